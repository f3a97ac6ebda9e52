"""The `sync-harness run` contract with its user, through real subprocesses: exit codes (0 pass,
1 check failed, 2 usage/target error, 130 interrupted), a one-line cause for bad input, a report that
keeps what ran when the target dies or the user presses Ctrl-C, and no process left behind."""
from __future__ import annotations

import json
import os
import re
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from harness.targets.reference import HARNESS_REFERENCE_CONFIG

from tests.support.processes import alive, descendants
from tests.support.servers import ServedProcess, free_port, wait_until

HARNESS = [sys.executable, "-m", "harness.cli"]


def _run(*args: str, env: dict[str, str] | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([*HARNESS, *args], capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})


def _error_line(done: subprocess.CompletedProcess) -> str:
    lines = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, done.stderr
    return lines[0]


def test_a_passing_run_exits_0_and_a_failing_one_exits_1(tmp_path: Path) -> None:
    assert _run("run", "--scenario", "row.reaction.add").returncode == 0
    failed = _run("run", "--scenario", "row.reaction.add", "--fault", "server.legacy_reaction_payload",
                  "--json", str(tmp_path / "r.json"))
    assert failed.returncode == 1
    assert json.loads((tmp_path / "r.json").read_text())["summary"]["failures_by_check"]["contract"] > 0


SECRET = re.compile(r"pw-[A-Za-z0-9_-]{12}|fat1\.[A-Za-z0-9_-]{20}|[0-9A-Z]{26}\.[A-Za-z0-9_-]{40}")
"""The harness's generated passwords, the reference target's access tokens and its refresh tokens."""


def test_a_failing_run_writes_every_report_and_no_secret(tmp_path: Path) -> None:
    report = tmp_path / "report"
    done = _run("run", "--scenario", "row.message.create", "--scenario", "row.workspace.update.visibility",
                "--fault", "server.channel_events_skip_access_check", "--report", str(report))
    assert done.returncode == 1, done.stderr
    result = json.loads((report / "result.json").read_text())
    assert {s["id"]: s["status"] for s in result["scenarios"]} == {
        "row.message.create": "failed", "row.workspace.update.visibility": "passed"}
    assert 'tests="2" failures="1"' in (report / "junit.xml").read_text()
    allure = {test["testCaseId"]: test for test in
              (json.loads(p.read_text()) for p in (report / "allure-results").glob("*-result.json"))}
    assert allure["row.message.create"]["status"] == "failed"
    assert "[delivery/leak]" in allure["row.message.create"]["statusDetails"]["message"]
    # The plain member's refused visibility change is the step doing its job, not a failed step.
    [refused] = [s for s in result["scenarios"][1]["steps"] if s["outcome"] == "refused"]
    assert refused["name"] == "workspace.update" and refused["status"] == 403
    assert {step["status"] for step in allure["row.workspace.update.visibility"]["steps"]} == {"passed"}
    histories = list((report / "artefacts" / "row.message.create").glob("history-*.json"))
    assert len(histories) == 6, "one history per client of the failing scenario"
    for path in (p for p in report.rglob("*") if p.is_file()):
        assert not SECRET.search(path.read_text(errors="replace")), path
    assert not SECRET.search(done.stdout + done.stderr)


def test_legacy_overrides_mode_reaches_the_model_and_the_result(tmp_path: Path) -> None:
    # The reference target applies the legacy override route at once: a model told that the target
    # defers it (Filament with Postgres) must disagree, which shows the option is not ignored.
    done = _run("run", "--scenario", "row.channel.role_override", "--legacy-overrides", "deferred",
                "--json", str(tmp_path / "r.json"))
    assert done.returncode == 1, done.stderr
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["options"]["legacy_overrides"] == "deferred"
    assert result["summary"]["failures_by_check"].get("convergence", 0) > 0


def test_an_unreachable_target_is_exit_2_with_one_line_within_10_s() -> None:
    started = time.monotonic()
    done = _run("run", "--target", "url:http://127.0.0.1:9")
    assert time.monotonic() - started < 10
    assert done.returncode == 2
    assert _error_line(done) == "error: cannot reach http://127.0.0.1:9/health (connection refused)"


def _serve_reference_argv(tmp_path: Path, port: int = 0) -> list[str]:
    """`sync-harness serve-reference` as a user would start it, with the harness's relaxed rate limits
    (port 0: the server binds a free port itself and announces it)."""
    config = tmp_path / "config.json"
    config.write_text(json.dumps(dict(HARNESS_REFERENCE_CONFIG)))
    return [*HARNESS, "serve-reference", "--port", str(port), "--db", str(tmp_path / "db.sqlite3"),
            "--config", str(config)]


def test_url_target_runs_against_a_separately_started_serve_reference(tmp_path: Path) -> None:
    # The server binds its own port and answers /health before the harness starts: a url: target
    # fails fast on a refused connection by design, so the test must not race the server's start.
    with ServedProcess(_serve_reference_argv(tmp_path)) as server:
        done = _run("run", "--target", f"url:{server.url}", "--scenario", "row.message.*",
                    "--json", str(tmp_path / "r.json"))
        assert done.returncode == 0, done.stderr + "\nserver output:\n" + server.log_tail()
        assert server.alive(), "the harness never stops a url: target"
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["target"]["spec"].startswith("url:") and result["summary"]["passed"] >= 4


def test_command_target_starts_runs_and_stops_serve_reference(tmp_path: Path) -> None:
    port = free_port()
    command = shlex.join(_serve_reference_argv(tmp_path, port))
    done = _run("run", "--target", f"command:{command}", "--target-url", f"http://127.0.0.1:{port}",
                "--scenario", "row.workspace.*", "--json", str(tmp_path / "r.json"))
    assert done.returncode == 0, done.stderr
    assert json.loads((tmp_path / "r.json").read_text())["summary"]["passed"] >= 3
    with socket.socket() as probe:  # the command's process group is gone: nothing listens any more
        assert probe.connect_ex(("127.0.0.1", port)) != 0


@pytest.mark.parametrize(("content", "suffix", "message"), [
    ('id = "x', ".toml", "not valid TOML"),
    ('{"id": "x", "title": "t", "world": {"users": ["a"], "guilds": [{"alias": "g", "owner": "zed"}]}}', ".json",
     "guild 'g' names unknown users: zed"),
    ('{"id": "x", "title": "t", "world": {"users": ["a"]}, "steps": [{"do": "message.edt"}]}', ".json",
     "unknown action 'message.edt'"),
])
def test_a_malformed_scenario_file_is_exit_2_naming_file_and_problem(tmp_path: Path, content: str, suffix: str,
                                                                     message: str) -> None:
    path = tmp_path / f"bad{suffix}"
    path.write_text(content)
    done = _run("run", "--scenario-file", str(path), "--scenario", "x")
    assert done.returncode == 2
    line = _error_line(done)
    assert message in line and ("bad" in line or "scenario 'x'" in line)


def test_a_port_in_use_is_exit_2_with_one_line() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        done = _run("run", "--target", f"command:{sys.executable} -m harness.reference --port {port}",
                    "--target-url", f"http://127.0.0.1:{port}")
    assert done.returncode == 2
    assert f"port {port} on 127.0.0.1 is already in use" in _error_line(done)


def test_a_missing_browser_is_exit_2_with_one_line(tmp_path: Path) -> None:
    done = _run("run", "--browsers", "1", "--scenario", "browser.settings.owner", "--json", str(tmp_path / "r.json"),
                env={"SYNC_HARNESS_CHROMIUM": "/nonexistent/chromium"})
    assert done.returncode == 2
    assert "/nonexistent/chromium is not an executable file" in _error_line(done)


def _start_and_wait_for_first_scenario(*args: str) -> tuple[subprocess.Popen, list[str]]:
    proc = subprocess.Popen([*HARNESS, "run", *args], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    seen: list[str] = []
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        seen.append(line)
        if re.match(r"PASS \[\s*1/", line):  # progress lines right-align the index: "[ 1/33]"
            return proc, seen
    proc.kill()
    raise AssertionError("no scenario finished: " + "".join(seen))


def test_a_target_killed_mid_run_is_exit_2_and_the_report_keeps_what_ran(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    proc, _ = _start_and_wait_for_first_scenario("--scenario", "row.*", "--json", str(report))
    servers = [p for p in descendants(proc.pid) if b"harness.reference" in Path(f"/proc/{p}/cmdline").read_bytes()]
    assert servers
    os.kill(servers[0], signal.SIGKILL)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 2
    [line] = [x for x in err.splitlines() if x.startswith("error:")]
    assert "the target died" in line or "cannot reach" in line
    result = json.loads(report.read_text())
    assert result["status"] == "error" and result["scenarios"][0]["status"] == "passed"


def test_ctrl_c_stops_servers_and_browsers_and_keeps_the_report(tmp_path: Path) -> None:
    report = tmp_path / "r.json"
    proc, _ = _start_and_wait_for_first_scenario("--browsers", "2", "--scenario", "browser.*", "--json", str(report))
    spawned = descendants(proc.pid)
    assert spawned, "a server and a browser are running"
    proc.send_signal(signal.SIGINT)
    proc.communicate(timeout=60)
    assert proc.returncode == 130
    assert wait_until(lambda: not alive(spawned), timeout=10), f"still running: {alive(spawned)}"
    result = json.loads(report.read_text())
    assert result["interrupted"] is True and result["status"] == "error"
