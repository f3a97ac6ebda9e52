"""Targets against real processes and sockets: reference, command:, url:, factory, process hygiene."""
from __future__ import annotations

import asyncio
import os
import select
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest

from harness.clients.rest import RestSession
from harness.errors import PortInUse, TargetCrashed, TargetError, TargetUnreachable, UsageError
from harness.redact import Redactor
from harness.targets import make_target
from harness.targets.command import CommandTarget
from harness.targets.reference import ReferenceTarget
from harness.targets.url import UrlTarget

from .conftest import PASSWORD, free_port, process_gone, require_reference, unique_username

ROOT = Path(__file__).resolve().parents[2]


class Listener:
    """Occupies a port with a plain listening socket (nothing Filament about it)."""

    def __enter__(self) -> int:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1)
        return self.sock.getsockname()[1]

    def __exit__(self, *exc: object) -> None:
        self.sock.close()


async def wait_gone(pid: int, timeout: float = 5.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process_gone(pid):
            return True
        await asyncio.sleep(0.02)
    return process_gone(pid)


# ------------------------------------------------------------------------------------ factory
def test_factory_forms() -> None:
    assert isinstance(make_target("reference"), ReferenceTarget)
    t = make_target("url:http://127.0.0.1:3000/api")
    assert isinstance(t, UrlTarget)
    assert t.rest_url == "http://127.0.0.1:3000/api"
    assert t.gateway_url == "ws://127.0.0.1:3000/gateway/ws"
    c = make_target("command:./filament-server --flag 'a b'", target_url="http://127.0.0.1:3000",
                    target_env=["FILAMENT_DATABASE_URL=postgres://u:secretpw12345@db/f", "X=1"])
    assert isinstance(c, CommandTarget)
    assert c.argv == ["./filament-server", "--flag", "a b"]
    assert c.env == {"FILAMENT_DATABASE_URL": "postgres://u:secretpw12345@db/f", "X": "1"}
    assert "secretpw12345" not in c.description
    assert make_target("url:https://chat.example/api").gateway_url == "wss://chat.example/gateway/ws"


@pytest.mark.parametrize(
    "spec, options, needle",
    [
        ("nonsense", {}, "reference"),
        ("docker:  ", {}, "needs an image"),
        ("compose:x.yml", {"url": "http://127.0.0.1:1"}, "do not apply"),
        ("command:./filament-server", {}, "--target-url"),
        ("command:", {"url": "http://127.0.0.1:1"}, "command line"),
        ("url:ftp://x", {}, "http(s) URL"),
        ("reference", {"no_such_option": 1}, "bad option"),
        ("command:x", {"url": "http://127.0.0.1:1", "env": ["NOEQUALS"]}, "NAME=value"),
    ],
)
def test_factory_usage_errors(spec: str, options: dict, needle: str) -> None:
    with pytest.raises(UsageError) as info:
        make_target(spec, **options)
    assert needle in str(info.value)
    assert "\n" not in str(info.value)


def test_unknown_spec_lists_every_form() -> None:
    with pytest.raises(UsageError) as info:
        make_target("kubernetes:foo")
    for form in ("reference", "url:", "command:", "docker:", "compose:"):
        assert form in str(info.value)


# ------------------------------------------------------------------------------------ command:
async def test_command_target_port_in_use() -> None:
    with Listener() as port:
        target = CommandTarget([sys.executable, "-c", "import time; time.sleep(30)"], f"http://127.0.0.1:{port}")
        with pytest.raises(PortInUse) as info:
            await target.start()
        assert f"port {port}" in str(info.value) and "already in use" in str(info.value)
        assert target.pid is None  # nothing was started


async def test_command_target_exiting_at_once_is_reported_with_its_stderr() -> None:
    cmd = "sh -c 'echo starting; echo \"fatal: FILAMENT_DATABASE_URL is not set\" >&2; exit 3'"
    target = make_target(f"command:{cmd}", url=f"http://127.0.0.1:{free_port()}")
    started = time.monotonic()
    with pytest.raises(TargetCrashed) as info:
        await target.start()
    message = str(info.value)
    assert "exited with code 3" in message
    assert "FILAMENT_DATABASE_URL is not set" in message
    assert "\n" not in message
    assert time.monotonic() - started < 5
    assert "fatal" in target.log_tail()


async def test_command_target_not_found() -> None:
    target = CommandTarget(["/nonexistent/filament-server"], f"http://127.0.0.1:{free_port()}")
    with pytest.raises(TargetError, match="command not found"):
        await target.start()


async def test_command_target_never_ready_is_bounded_and_cleaned_up() -> None:
    target = CommandTarget([sys.executable, "-c", "import time; time.sleep(60)"],
                           f"http://127.0.0.1:{free_port()}", start_timeout=0.5)
    with pytest.raises(TargetUnreachable, match="not ready after 0.5s"):
        await target.start()
    assert target.pid is not None
    assert await wait_gone(target.pid)


def group_members(pgid: int) -> list[int]:
    members = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as fh:
                    fields = fh.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == pgid and fields[0] not in ("Z", "X"):
                members.append(int(entry))
    return members


async def test_command_target_behind_a_shell_wrapper_is_stopped_as_a_group() -> None:
    require_reference()
    port = free_port()
    # the shell is the process group leader; the server is its child (a typical wrapper script)
    cmd = f"sh -c '{sys.executable} -m harness.reference --host 127.0.0.1 --port {port} & wait'"
    target = make_target(f"command:{cmd}", url=f"http://127.0.0.1:{port}", env={"PYTHONPATH": str(ROOT)})
    await target.start()
    try:
        assert target.alive()
        async with httpx.AsyncClient(trust_env=False) as http:
            resp = await http.get(f"{target.rest_url}/health")
        assert resp.json() == {"status": "ok"}
        assert target.pid is not None
        members = group_members(target.pid)
        assert len(members) >= 2, members  # sh + the server
    finally:
        await target.stop()
    assert not target.alive()
    for pid in members:
        assert await wait_gone(pid), f"process {pid} of the command's group survived stop()"


# ------------------------------------------------------------------------------------ url:
async def test_url_target_unreachable() -> None:
    port = free_port()
    target = make_target(f"url:http://127.0.0.1:{port}")
    with pytest.raises(TargetUnreachable) as info:
        await target.start()
    assert str(info.value) == f"cannot reach http://127.0.0.1:{port}/health (connection refused)"
    with pytest.raises(TargetError, match="does not own"):
        await target.kill()
    with pytest.raises(TargetError, match="does not own"):
        await target.restart()
    assert not target.supports_restart


async def test_url_target_attaches_to_a_running_server(reference_target: ReferenceTarget) -> None:
    async with make_target(f"url:{reference_target.rest_url}") as target:
        assert target.alive()
        assert target.gateway_url == reference_target.gateway_url


# ------------------------------------------------------------------------------------ reference
async def test_reference_target_lifecycle_and_restart_keeps_data() -> None:
    require_reference()
    redactor = Redactor()
    target = ReferenceTarget(redactor=redactor)
    await target.start()
    try:
        assert target.alive() and target.supports_restart
        port, db = target.port, target.db_path
        assert port and db is not None and db.exists()
        assert target.rest_url == f"http://127.0.0.1:{port}"
        assert target.gateway_url == f"ws://127.0.0.1:{port}/gateway/ws"
        assert "reference (127.0.0.1:" in target.description
        assert "listening on" in target.log_tail()

        username = unique_username("restart")
        async with RestSession(target.rest_url, redactor=redactor) as rest:
            assert (await rest.register(username, PASSWORD)).status == 200
            await rest.login(username, PASSWORD)
            user_id = (await rest.me()).body["user_id"]

        old_pid = target.pid
        await target.restart()
        assert target.alive() and target.pid != old_pid
        assert target.port == port and target.db_path == db
        assert old_pid is not None and await wait_gone(old_pid)
        async with RestSession(target.rest_url, redactor=redactor) as rest:
            await rest.login(username, PASSWORD)
            assert (await rest.me()).body["user_id"] == user_id

        await target.kill()
        assert not target.alive()
        assert db.exists()  # kill keeps the files for a restart
        await target.restart()
        async with RestSession(target.rest_url, redactor=redactor) as rest:
            await rest.login(username, PASSWORD)
    finally:
        pid = target.pid
        await target.stop()
    assert not target.alive() and pid is not None and await wait_gone(pid)
    assert not db.exists() and not db.parent.exists()  # temporary files removed on stop


async def test_reference_target_on_a_busy_port() -> None:
    require_reference()
    with Listener() as port:
        target = ReferenceTarget(port=port)
        with pytest.raises(PortInUse) as info:
            await target.start()
        assert str(port) in str(info.value) and "in use" in str(info.value)
        await target.stop()


async def test_reference_target_bad_config_is_a_clear_error() -> None:
    require_reference()
    target = ReferenceTarget(config={"gateway_outbound_queue": "not a number"})
    with pytest.raises(TargetError) as info:
        await target.start()
    assert "\n" not in str(info.value)
    await target.stop()


async def test_reference_restart_reports_a_lost_port() -> None:
    require_reference()
    target = ReferenceTarget()
    await target.start()
    try:
        port = target.port
        assert port
        await target.kill()
        with socket.socket() as squatter:
            squatter.bind(("127.0.0.1", port))
            squatter.listen(1)
            import harness.targets.reference as ref

            saved, ref.RESTART_BIND_TIMEOUT = ref.RESTART_BIND_TIMEOUT, 0.3
            try:
                with pytest.raises(TargetError, match=f"previous port {port}"):
                    await target.restart()
            finally:
                ref.RESTART_BIND_TIMEOUT = saved
    finally:
        await target.stop()


# ------------------------------------------------------------------------------------ hygiene
CHILD_PLAIN = textwrap.dedent(
    """
    import asyncio, sys
    from harness.targets.process import ManagedProcess
    async def main():
        p = ManagedProcess([sys.executable, "-c", "import time; time.sleep(120)"], name="sleeper")
        p.start()
        print(p.pid, flush=True)
        await asyncio.sleep(120)
    asyncio.run(main())
    """
)

CHILD_REFERENCE = textwrap.dedent(
    """
    import asyncio
    from harness.targets.reference import ReferenceTarget
    async def main():
        t = ReferenceTarget()
        await t.start()
        print(t.pid, t.db_path, flush=True)
        await asyncio.sleep(120)
    asyncio.run(main())
    """
)


def _read_line(proc: subprocess.Popen[str], timeout: float) -> str:
    assert proc.stdout is not None
    ready, _, _ = select.select([proc.stdout], [], [], timeout)
    if not ready:
        proc.kill()
        raise AssertionError(f"child printed nothing within {timeout}s; stderr: {proc.stderr.read() if proc.stderr else ''}")
    return proc.stdout.readline().strip()


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM, signal.SIGKILL])
async def test_no_orphans_when_the_harness_process_dies(sig: int) -> None:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-c", CHILD_PLAIN], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env, start_new_session=True)
    try:
        server_pid = int(_read_line(proc, 10))
        assert not process_gone(server_pid)
        os.kill(proc.pid, sig)
        proc.wait(timeout=10)
        assert await wait_gone(server_pid), f"server {server_pid} survived {signal.Signals(sig).name} of the harness"
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=5)


async def test_no_orphaned_reference_server_after_sigint() -> None:
    require_reference()
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    proc = subprocess.Popen([sys.executable, "-c", CHILD_REFERENCE], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=env, start_new_session=True)
    try:
        pid_text, db = _read_line(proc, 20).split(" ", 1)
        server_pid = int(pid_text)
        assert not process_gone(server_pid)
        os.kill(proc.pid, signal.SIGINT)
        proc.wait(timeout=10)
        assert await wait_gone(server_pid), "reference server survived SIGINT of the harness"
        assert not Path(db).exists(), "temporary database left behind"
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=5)


async def test_reference_target_passes_faults() -> None:
    require_reference()
    from harness.clients.gateway import GatewayConnection, GatewayTimeout

    target = ReferenceTarget(faults=["suppress:ready"])
    await target.start()
    try:
        assert "faults suppress:ready" in target.description
        async with RestSession(target.rest_url, redactor=Redactor()) as rest:
            username = unique_username("fault")
            await rest.register(username, PASSWORD)
            await rest.login(username, PASSWORD)
            conn = await GatewayConnection("fault/ws0", target.gateway_url, rest.access_token).open()
            with pytest.raises(GatewayTimeout):
                await conn.wait_for("ready", timeout=0.3)
            await conn.close()
    finally:
        await target.stop()
    bad = ReferenceTarget(faults=["no.such.fault"])
    with pytest.raises(TargetError) as info:
        await bad.start()
    assert "no.such.fault" in str(info.value) and "\n" not in str(info.value)
    await bad.stop()
