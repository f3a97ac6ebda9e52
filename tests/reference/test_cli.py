"""The command line, run as real subprocesses: announce line, port in use, config errors, faults list,
graceful SIGTERM, and data surviving a restart on the same --db file."""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import socket
import time
from pathlib import Path

import httpx
import pytest
import websockets
from websockets.exceptions import ConnectionClosed

from harness.reference.cli import register

from .conftest import PYTHON, python_env
from .helpers import PASSWORD, PNG

MODULE = ["-m", "harness.reference"]


class Proc:
    def __init__(self, process: asyncio.subprocess.Process, base_url: str, started_in: float) -> None:
        self.process = process
        self.base_url = base_url
        self.started_in = started_in

    async def stop(self, sig: int = signal.SIGTERM) -> int:
        if self.process.returncode is None:
            self.process.send_signal(sig)
        return await asyncio.wait_for(self.process.wait(), 10)


async def spawn(*args: str, env: dict[str, str] | None = None) -> Proc:
    started = time.monotonic()
    process = await asyncio.create_subprocess_exec(
        PYTHON, *MODULE, "--port", "0", *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env=env or python_env(), cwd=str(Path(__file__).resolve().parents[2]),
    )
    line = (await asyncio.wait_for(process.stdout.readline(), 15)).decode()
    elapsed = time.monotonic() - started
    assert line.startswith("listening on http://127.0.0.1:") and line.endswith("\n"), line
    return Proc(process, line.split()[-1], elapsed)


@pytest.fixture
async def procs():
    running: list[Proc] = []

    async def start(*args: str, env: dict[str, str] | None = None) -> Proc:
        proc = await spawn(*args, env=env)
        running.append(proc)
        return proc

    yield start
    for proc in running:
        if proc.process.returncode is None:
            proc.process.kill()
            await proc.process.wait()


async def run_to_end(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        PYTHON, *MODULE, *args, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE, env=env or python_env(),
    )
    out, err = await asyncio.wait_for(process.communicate(), 15)
    return process.returncode, out.decode(), err.decode()


async def test_start_announce_and_sigterm(procs, tmp_path: Path) -> None:
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    proc = await procs(env={**python_env(), "TMPDIR": str(scratch)})
    assert len(list(scratch.iterdir())) == 1  # the default database lives in a fresh temporary directory
    # Start-up time is a figure of `sync-harness bench`, not an assertion here: a busy CI machine is no bug.
    async with httpx.AsyncClient(base_url=proc.base_url) as client:
        assert (await client.get("/health")).json() == {"status": "ok"}
        assert (await client.get("/api/health")).json() == {"status": "ok"}
    assert await proc.stop() == 0
    rest = await proc.process.stdout.read()
    assert rest == b""  # exactly one stdout line
    assert list(scratch.iterdir()) == []  # ...which is removed at exit


async def test_sigterm_drops_open_websockets_without_close_frame_and_sigint_works(procs) -> None:
    proc = await procs()
    async with httpx.AsyncClient(base_url=proc.base_url) as client:
        await client.post("/auth/register", json={"username": "sig_user", "password": PASSWORD})
        token = (await client.post("/auth/login", json={"username": "sig_user", "password": PASSWORD})).json()["access_token"]
    ws = await websockets.connect(proc.base_url.replace("http", "ws") + f"/gateway/ws?access_token={token}")
    await ws.recv()
    proc.process.send_signal(signal.SIGTERM)
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            await asyncio.wait_for(ws.recv(), 5)
    # GATEWAY.md §1.7: only slow consumers get a Close frame; a shutdown drops the socket (1006).
    assert closed.value.rcvd is None and ws.close_code == 1006
    assert await asyncio.wait_for(proc.process.wait(), 10) == 0
    second = await procs()
    assert await second.stop(signal.SIGINT) == 0


async def test_port_in_use_is_exit_2_with_one_line(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        code, out, err = await run_to_end("--port", str(port))
    assert (code, out, err) == (2, "", f"error: 127.0.0.1:{port} is already in use\n")


async def test_bad_config_files_are_exit_2(tmp_path: Path) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{nope")
    unknown = tmp_path / "unknown.json"
    unknown.write_text(json.dumps({"no_such_key": 1}))
    bad_value = tmp_path / "bad.toml"
    bad_value.write_text("max_gateway_event_bytes = 70000\n")
    for path in (broken, unknown, bad_value, tmp_path / "missing.json"):
        code, out, err = await run_to_end("--config", str(path), "--port", "0")
        assert code == 2 and out == "" and err.startswith("error: ") and err.count("\n") == 1, (path, err)
    code, _, err = await run_to_end("--fault", "server.no_such_fault", "--port", "0")
    assert code == 2 and "no_such_fault" in err
    code, out, err = await run_to_end("--max-gateway-event-bytes", "70000", "--port", "0")
    assert code == 2 and out == "" and "max_gateway_event_bytes" in err and err.count("\n") == 1
    code, _, err = await run_to_end("--port", "0", env={**python_env(), "FILAMENT_MAX_GATEWAY_EVENT_BYTES": "0"})
    assert code == 2 and "max_gateway_event_bytes" in err


async def test_a_small_max_gateway_event_bytes_drops_an_oversized_message_and_counts_it(procs) -> None:
    """--max-gateway-event-bytes (the rollout's telemetry gate forces an oversized drop with it)."""
    from websockets.asyncio.client import connect

    proc = await procs("--max-gateway-event-bytes", "1024")
    async with httpx.AsyncClient(base_url=proc.base_url) as client:
        await client.post("/auth/register", json={"username": "big_user", "password": PASSWORD})
        token = (await client.post("/auth/login", json={"username": "big_user", "password": PASSWORD})).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        guild = (await client.post("/guilds", json={"name": "big"}, headers=headers)).json()["guild_id"]
        channel = (await client.post(f"/guilds/{guild}/channels", json={"name": "c"}, headers=headers)).json()["channel_id"]
        ws_url = proc.base_url.replace("http://", "ws://") + f"/gateway/ws?access_token={token}"
        async with connect(ws_url, open_timeout=5) as ws:
            await ws.send(json.dumps({"v": 1, "t": "subscribe", "d": {"guild_id": guild, "channel_id": channel}}))
            while json.loads(await asyncio.wait_for(ws.recv(), 5))["t"] != "voice_participant_sync":
                pass
            answer = await client.post(f"/guilds/{guild}/channels/{channel}/messages", json={"content": "x" * 600},
                                       headers=headers)
            assert answer.status_code == 200  # 600 bytes of content + its text token: over 1024 as an envelope
            with pytest.raises(asyncio.TimeoutError):
                await asyncio.wait_for(ws.recv(), 0.3)
        metrics = (await client.get("/metrics")).text
    assert 'filament_gateway_events_dropped_total{scope="channel",event_type="message_create",reason="oversized_outbound"} 1' in metrics


async def test_config_file_env_and_flags(tmp_path: Path, procs) -> None:
    config = tmp_path / "ref.toml"
    config.write_text('max_created_guilds_per_user = 3\nfaults = ["web.gear_missing"]\nport = 1\n')
    env = {**python_env(), "FILAMENT_MAX_CREATED_GUILDS_PER_USER": "1"}  # env beats the file, flags beat both
    proc = await procs("--config", str(config), "--fault", "web.edit_not_applied", env=env)
    async with httpx.AsyncClient(base_url=proc.base_url) as client:
        script = (await client.get("/assets/reference-config.js")).text
        assert script == 'window.__FILAMENT_REFERENCE__ = {"webFaults": ["web.edit_not_applied", "web.gear_missing"]};\n'
        await client.post("/auth/register", json={"username": "cfg_user", "password": PASSWORD})
        token = (await client.post("/auth/login", json={"username": "cfg_user", "password": PASSWORD})).json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        assert (await client.post("/guilds", json={"name": "one"}, headers=headers)).status_code == 200
        second = await client.post("/guilds", json={"name": "two"}, headers=headers)
        assert second.json() == {"error": "guild_creation_limit_reached"}


async def test_list_faults() -> None:
    code, out, _ = await run_to_end("--list-faults", "--json")
    faults = json.loads(out)
    assert code == 0 and all(set(f) == {"name", "description", "component"} for f in faults)
    names = {f["name"] for f in faults}
    assert {"suppress:message_create", "web.gear_missing", "web.server_settings_opens_client_panel",
            "web.rename_not_applied", "web.edit_not_applied", "server.no_slow_consumer_close"} <= names
    code, text, _ = await run_to_end("--list-faults")
    assert code == 0 and "suppress:workspace_update" in text


async def test_restart_on_the_same_db_keeps_everything(tmp_path: Path, procs) -> None:
    db = tmp_path / "keep.sqlite3"
    first = await procs("--db", str(db))
    async with httpx.AsyncClient(base_url=first.base_url) as client:
        for name in ("keep_alice", "keep_bob"):
            await client.post("/auth/register", json={"username": name, "password": PASSWORD})
        alice = (await client.post("/auth/login", json={"username": "keep_alice", "password": PASSWORD})).json()
        bob = (await client.post("/auth/login", json={"username": "keep_bob", "password": PASSWORD})).json()
        ha, hb = {"Authorization": f"Bearer {alice['access_token']}"}, {"Authorization": f"Bearer {bob['access_token']}"}
        bob_id = (await client.get("/auth/me", headers=hb)).json()["user_id"]
        guild = (await client.post("/guilds", json={"name": "Persist", "visibility": "public"}, headers=ha)).json()["guild_id"]
        channel = (await client.post(f"/guilds/{guild}/channels", json={"name": "general"}, headers=ha)).json()["channel_id"]
        await client.post(f"/guilds/{guild}/join", headers=hb)
        upload = (await client.post(f"/guilds/{guild}/channels/{channel}/attachments", content=PNG, headers=ha)).json()
        message = (await client.post(f"/guilds/{guild}/channels/{channel}/messages", headers=ha,
                                     json={"content": "survives", "attachment_ids": [upload["attachment_id"]]})).json()
        request = (await client.post("/friends/requests", json={"recipient_user_id": bob_id}, headers=ha)).json()
        await client.post(f"/friends/requests/{request['request_id']}/accept", headers=hb)
        await client.post("/users/me/profile/avatar", content=PNG, headers=ha)
        before = {path: (await client.get(path, headers=ha)).json()
                  for path in ("/auth/me", "/guilds", "/friends", f"/guilds/{guild}/channels")}
        before_members = (await client.get(f"/guilds/{guild}/members", headers=ha)).json()
        assert {m["user_id"]: m["role_ids"] for m in before_members["members"]}[bob_id] == []
    assert await first.stop() == 0
    second = await procs("--db", str(db))
    async with httpx.AsyncClient(base_url=second.base_url) as client:
        assert (await client.get("/auth/me", headers=ha)).status_code == 401  # the access-token key is per process
        refreshed = await client.post("/auth/refresh", json={"refresh_token": alice["refresh_token"]})
        assert refreshed.status_code == 200  # sessions are stored
        ha = {"Authorization": f"Bearer {refreshed.json()['access_token']}"}
        for path, body in before.items():
            assert (await client.get(path, headers=ha)).json() == body, path
        listed = (await client.get(f"/guilds/{guild}/channels/{channel}/messages", headers=ha)).json()["messages"]
        assert [m["message_id"] for m in listed] == [message["message_id"]] and listed[0]["attachments"] == [upload]
        download = await client.get(f"/guilds/{guild}/channels/{channel}/attachments/{upload['attachment_id']}", headers=ha)
        assert download.content == PNG
        me = before["/auth/me"]
        assert (await client.get(f"/users/{me['user_id']}/avatar")).content == PNG
        roles = (await client.get(f"/guilds/{guild}/roles", headers=ha)).json()
        member_role = next(r["role_id"] for r in roles["roles"] if r["name"] == "member")
        assert roles["default_join_role_id"] == member_role  # schema bootstrap on start (REST.md §2.1)
        members = (await client.get(f"/guilds/{guild}/members", headers=ha)).json()
        backfilled = {m["user_id"]: m["role_ids"] for m in members["members"]}
        assert backfilled[bob_id] == [member_role]  # bootstrap back-fills the legacy role's assignment
        assert [m["user_id"] for m in members["members"]] == [m["user_id"] for m in before_members["members"]]
    assert await second.stop() == 0


def test_register_adds_serve_reference_subcommand() -> None:
    parser = argparse.ArgumentParser(prog="sync-harness")
    register(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["serve-reference", "--port", "0", "--db", "x.sqlite3", "--fault", "a", "--fault", "b"])
    assert args.command == "serve-reference" and callable(args.func)
    assert (args.port, args.db, args.fault, args.host, args.list_faults) == (0, "x.sqlite3", ["a", "b"], None, False)
