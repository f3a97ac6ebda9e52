"""A run's report never says "passed" when the run did not pass (issue 16): through real subprocesses,
a server whose REST answers have the wrong shape, a `url:` server killed mid-run, SIGTERM and a double
Ctrl-C each end quickly with a named status, a one-line cause, no traceback on the console, and a
result.json, junit.xml and Allure result that say what happened."""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from tests.support.processes import alive, descendants
from tests.support.servers import ServedProcess, wait_until

HARNESS = [sys.executable, "-m", "harness.cli"]
ROOT = Path(__file__).resolve().parents[2]


def _run(*args: str, timeout: float = 180) -> subprocess.CompletedProcess:
    return subprocess.run([*HARNESS, *args], capture_output=True, text=True, timeout=timeout, cwd=ROOT)


def _report(report: Path) -> tuple[dict, str, dict[str, dict]]:
    """result.json, junit.xml and the Allure results (by testCaseId) of a report folder."""
    result = json.loads((report / "result.json").read_text())
    junit = (report / "junit.xml").read_text()
    allure = {test["testCaseId"]: test for test in
              (json.loads(p.read_text()) for p in (report / "allure-results").glob("*-result.json"))}
    return result, junit, allure


def _no_traceback(text: str) -> None:
    assert "Traceback (most recent call last)" not in text, text


# --------------------------------------------------------------------------- crashes inside a scenario

@pytest.mark.parametrize(("fault", "cause"), [
    ("guild_entries_say_id", "KeyError: 'guild_id'"),
    ("create_guild_answers_empty", "KeyError: 'guild_id'"),
    ("read_answers_list", "AttributeError: 'list' object has no attribute 'get'"),
])
def test_a_server_answer_the_harness_cannot_use_is_a_scenario_error_and_the_suite_goes_on(
        tmp_path: Path, fault: str, cause: str) -> None:
    report = tmp_path / "report"
    with ServedProcess([sys.executable, "-m", "tests.support.rest_faults", "--fault", fault], cwd=ROOT) as server:
        started = time.monotonic()
        done = _run("run", "--target", f"url:{server.url}", "--scenario", "row.message.create",
                    "--scenario", "row.reaction.add", "--report", str(report))
        elapsed = time.monotonic() - started
    assert done.returncode == 1, done.stderr
    assert elapsed < 60
    _no_traceback(done.stderr + done.stdout)
    result, junit, allure = _report(report)
    assert result["status"] == "error"
    assert [(s["id"], s["status"]) for s in result["scenarios"]] == [
        ("row.message.create", "error"), ("row.reaction.add", "error")], "both ran: the suite went on"
    for scenario in result["scenarios"]:
        assert scenario["error"].startswith(f"harness crashed: {cause}") and "\n" not in scenario["error"]
        [log] = [a for a in scenario["artefacts"] if a["kind"] == "log"]
        assert "Traceback (most recent call last)" in Path(log["path"]).read_text()
    assert 'tests="2" failures="0" errors="2"' in junit
    assert {test["status"] for test in allure.values()} == {"broken"}
    assert all(cause in test["statusDetails"]["message"] for test in allure.values())
    assert re.search(rf"ERROR \[1/2\] row.message.create.*\n\s+harness crashed: {re.escape(cause)}", done.stderr)
    assert "-> error" in done.stderr and "-> passed" not in done.stderr


def test_a_scenario_that_raises_outside_the_session_is_an_error_not_a_missing_row(tmp_path: Path) -> None:
    # An entry whose run() itself raises (not through a ScenarioSession): the suite's own guard.
    import asyncio

    from harness.engine.runner import RunnerOptions, ScenarioRunner
    from harness.engine.suite import run_entries
    from harness.redact import Redactor
    from harness.targets.url import UrlTarget

    class Exploding:
        id, title, rows, tags = "custom.explodes", "raises", ["message.create"], ["custom"]

        async def run(self, runner: ScenarioRunner) -> None:
            raise ValueError("planted")

    class Quiet:
        def begin(self, *_: object) -> None: ...
        def end(self, *_: object) -> None: ...

    class Alive(UrlTarget):
        def alive(self) -> bool:
            return True

    async def scenario() -> list:
        results: list = []
        target = Alive("http://127.0.0.1:9")
        runner = ScenarioRunner(target, RunnerOptions(artefacts_dir=tmp_path), Redactor())
        ended = await run_entries([Exploding(), Exploding()], runner, browsers=0, progress=Quiet(), results=results)
        assert ended is not None and "no longer answers" in str(ended), "nothing serves on port 9: a dead url:"
        return results

    [result] = asyncio.run(scenario())
    assert result.status == "error" and result.error.startswith("harness crashed: ValueError: planted")
    assert (tmp_path / "custom.explodes" / "traceback.txt").read_text().count("ValueError: planted") == 1


# --------------------------------------------------------------------------- the run's own cause

def _start(args: list[str], *, wait_for: str) -> tuple[subprocess.Popen, list[str]]:
    proc = subprocess.Popen([*HARNESS, *args], stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, cwd=ROOT)
    seen: list[str] = []
    deadline = time.monotonic() + 90
    assert proc.stderr is not None
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line and proc.poll() is not None:
            break
        seen.append(line)
        if re.match(wait_for, line):
            return proc, seen
    proc.kill()
    raise AssertionError("never saw " + wait_for + ": " + "".join(seen))


def test_a_url_target_that_dies_mid_run_is_noticed_exit_2_with_the_cause_in_every_report(tmp_path: Path) -> None:
    report = tmp_path / "report"
    server = ServedProcess([*HARNESS, "serve-reference", "--port", "0"], cwd=ROOT)
    try:
        proc, seen = _start(["run", "--target", f"url:{server.url}", "--scenario", "row.*", "--report", str(report)],
                            wait_for=r"PASS \[\s*1/")
        server.stop()
        started = time.monotonic()
        _, err = proc.communicate(timeout=120)
    finally:
        server.stop()
    err = "".join(seen) + err
    assert proc.returncode == 2, err
    assert time.monotonic() - started < 60
    _no_traceback(err)
    [line] = [x for x in err.splitlines() if x.startswith("error:")]
    assert "the target died during scenario" in line and "no longer answers" in line
    assert len(re.findall(r"^ERROR ", err, re.M)) <= 1, "the run ended at the death, not after 29 refused scenarios"
    result, junit, allure = _report(report)
    assert result["status"] == "error"
    assert result["cause"]["kind"] == "target_died" and result["cause"]["scenario"].startswith("row.")
    assert result["scenarios"][0]["status"] == "passed"
    assert '<testcase classname="run" name="run"' in junit and "target_died" in junit
    assert allure["run"]["status"] == "broken" and "target_died" in allure["run"]["statusDetails"]["message"]
    assert "run target_died:" in err


def test_sigterm_is_handled_like_ctrl_c_exit_143_with_the_report_written(tmp_path: Path) -> None:
    report = tmp_path / "report"
    proc, seen = _start(["run", "--scenario", "row.*", "--report", str(report)], wait_for=r"PASS \[\s*1/")
    spawned = descendants(proc.pid)
    assert spawned, "the reference server is running"
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 143, err
    _no_traceback(err)
    assert wait_until(lambda: not alive(spawned), timeout=10), f"still running: {alive(spawned)}"
    result, junit, allure = _report(report)
    assert result["interrupted"] is True and result["status"] == "error"
    assert result["cause"]["kind"] == "terminated"
    assert result["scenarios"][0]["status"] == "passed"
    assert "terminated" in junit and allure["run"]["status"] == "broken"
    assert "terminated (SIGTERM)" in err


def test_a_second_ctrl_c_still_writes_the_report_and_stops_everything(tmp_path: Path) -> None:
    report = tmp_path / "report"
    proc, _ = _start(["run", "--scenario", "row.*", "--report", str(report)], wait_for=r"PASS \[\s*1/")
    spawned = descendants(proc.pid)
    proc.send_signal(signal.SIGINT)
    proc.send_signal(signal.SIGINT)  # at once: while the first is still being handled
    time.sleep(0.05)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    _no_traceback(err)
    assert wait_until(lambda: not alive(spawned), timeout=10), f"still running: {alive(spawned)}"
    result, _, allure = _report(report)
    assert result["cause"]["kind"] == "interrupted" and allure["run"]["status"] == "broken"


# --------------------------------------------------------------------------- papercuts of the README

def test_the_readme_pairing_serve_reference_then_run_url_passes_as_written(tmp_path: Path) -> None:
    # No config file: serve-reference's own defaults must let a harness run through (no 429s).
    with ServedProcess([*HARNESS, "serve-reference", "--port", "0"], cwd=ROOT) as server:
        done = _run("run", "--target", f"url:{server.url}", "--scenario", "row.message.*", "--scenario",
                    "row.member.*", "--json", str(tmp_path / "r.json"))
        assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["status"] == "passed" and result["summary"]["passed"] >= 8


def test_serve_reference_keeps_filaments_limits_when_asked(tmp_path: Path) -> None:
    # The planted fault for the test above: with Filament's limits the same pairing is refused with 429s.
    with ServedProcess([*HARNESS, "serve-reference", "--port", "0", "--filament-limits"], cwd=ROOT) as server:
        done = _run("run", "--target", f"url:{server.url}", "--scenario", "row.message.*", "--scenario",
                    "row.member.*", "--json", str(tmp_path / "r.json"))
    assert done.returncode != 0
    result = json.loads((tmp_path / "r.json").read_text())
    assert result["status"] != "passed"
    assert "429" in json.dumps(result)


def test_the_same_seed_twice_on_one_persistent_url_target_passes(tmp_path: Path) -> None:
    with ServedProcess([*HARNESS, "serve-reference", "--port", "0", "--db", str(tmp_path / "db.sqlite3")],
                       cwd=ROOT) as server:
        for attempt in ("first", "second"):
            done = _run("run", "--target", f"url:{server.url}", "--seed", "4242", "--scenario", "row.message.edit",
                        "--scenario", "row.friend.*", "--json", str(tmp_path / f"{attempt}.json"))
            assert done.returncode == 0, f"{attempt} run: {done.stderr[-3000:]}"
    first, second = (json.loads((tmp_path / f"{a}.json").read_text()) for a in ("first", "second"))
    assert first["options"]["seed"] == second["options"]["seed"] == 4242
    assert second["status"] == "passed"


def test_a_reused_report_folder_keeps_no_result_of_the_previous_run(tmp_path: Path) -> None:
    report = tmp_path / "report"
    failed = _run("run", "--scenario", "row.reaction.add", "--fault", "server.legacy_reaction_payload",
                  "--report", str(report))
    assert failed.returncode == 1
    assert (report / "artefacts" / "row.reaction.add").is_dir()
    passed = _run("run", "--scenario", "row.message.edit", "--report", str(report))
    assert passed.returncode == 0, passed.stderr
    assert not (report / "artefacts" / "row.reaction.add").exists(), "the previous run's artefacts are gone"
    _, junit, allure = _report(report)
    assert set(allure) == {"row.message.edit"}, "the previous run's failed result is gone"
    assert {test["status"] for test in allure.values()} == {"passed"}
    assert not list((report / "allure-results").glob("*.tmp"))


# --------------------------------------------------------------------------- bad input: exit 2 before anything starts

_STEP = '''id = "x"
title = "t"
[world]
users = ["a"]
[[world.guilds]]
alias = "g"
owner = "a"
[[clients]]
label = "a"
user = "a"
observes_as = "actor"
[[steps]]
do = "message.create"
actor = "a"
channel = "general"
message = "m1"
content = "hi"
'''


@pytest.mark.parametrize(("args", "files", "why"), [
    (["--deadline", "nan"], {}, "must be a finite number"),
    (["--quiet", "inf"], {}, "must be a finite number"),
    (["--target", "url:http://127.0.0.1:99999"], {}, "invalid port '99999'"),
    (["--target", "url:http://[::1"], {}, "not a valid URL"),
    (["--target", "url:http://256.1.1.1"], {}, "not an IPv4 address"),
    (["--json", "{tmp}"], {}, "is a directory"),
    (["--scenario-file", "{tmp}/garbage.toml"], {"garbage.toml": bytes(range(256)) * 8}, "not a text file"),
    (["--scenario-file", "{tmp}/deep.toml"], {"deep.toml": b"id = " + b"[" * 5000 + b"]" * 5000}, "nested too deeply"),
    (["--scenario-file", "{tmp}/extra.toml"], {"extra.toml": (_STEP + 'colour = "red"\n').encode()},
     "step 0 (message.create): unknown parameter 'colour'"),
    (["--scenario-file", "{tmp}/actor.toml"], {"actor.toml": _STEP.replace('actor = "a"', 'actor = "zed"').encode()},
     "actor 'zed' is not a user"),
], ids=["deadline-nan", "quiet-inf", "port-range", "ipv6", "ipv4", "json-dir", "binary", "deep", "extra-field",
        "unknown-actor"])
def test_bad_input_is_exit_2_with_one_line_before_any_target_starts(tmp_path: Path, args: list[str],
                                                                    files: dict[str, bytes], why: str) -> None:
    for name, content in files.items():
        (tmp_path / name).write_bytes(content)
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    started = time.monotonic()
    done = _run("run", *argv, "--scenario", "x" if files else "row.message.edit", timeout=60)
    assert done.returncode == 2, done.stderr
    assert time.monotonic() - started < 30
    _no_traceback(done.stderr + done.stdout)
    errors = [line for line in done.stderr.splitlines() if "error:" in line]
    assert len(errors) == 1 and why in errors[0], done.stderr
    assert "scenarios against" not in done.stderr, "no target was started"
    assert [p.name for p in tmp_path.iterdir() if p.suffix == ".tmp"] == []


@pytest.mark.browser
@pytest.mark.parametrize(("signals", "code", "kind"), [
    ((signal.SIGTERM,), 143, "terminated"),
    ((signal.SIGINT, signal.SIGINT), 130, "interrupted"),
], ids=["sigterm", "double-ctrl-c"])
def test_a_signal_with_browsers_stops_chromium_and_leaves_no_temporary_profile(
        tmp_path: Path, request, signals: tuple[signal.Signals, ...], code: int, kind: str) -> None:
    report = tmp_path / "report"
    # Playwright and Chromium put their profiles under TMPDIR: watch only ours. A short path: Chromium
    # cannot start under a TMPDIR as long as pytest's tmp_path (its socket paths get too long).
    temp = Path(tempfile.mkdtemp(prefix="rr-", dir="/tmp"))
    request.addfinalizer(lambda: shutil.rmtree(temp, ignore_errors=True))
    env = {**os.environ, "TMPDIR": str(temp)}
    proc = subprocess.Popen([*HARNESS, "run", "--browsers", "1", "--scenario", "browser.*", "--report", str(report)],
                            stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True, cwd=ROOT, env=env)
    seen: list[str] = []
    assert proc.stderr is not None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and not re.match(r"(PASS|FAIL|ERROR) \[\s*1/", seen[-1] if seen else ""):
        seen.append(proc.stderr.readline())
    spawned = descendants(proc.pid)
    assert any(b"chrom" in _cmdline(p).lower() for p in spawned), (seen, [_cmdline(p)[:80] for p in spawned])
    assert list(temp.iterdir()), "Chromium keeps its profile under TMPDIR"
    for signum in signals:
        proc.send_signal(signum)
        time.sleep(0.2)  # the second one arrives while the first is being handled
    _, err = proc.communicate(timeout=60)
    err = "".join(seen) + err
    assert proc.returncode == code, err
    _no_traceback(err)
    assert "Event loop is closed" not in err
    assert wait_until(lambda: not alive(spawned), timeout=15), f"still running: {alive(spawned)}"
    assert wait_until(lambda: not list(temp.iterdir()), timeout=10), f"left behind: {list(temp.iterdir())}"
    result = json.loads((report / "result.json").read_text())
    assert result["cause"]["kind"] == kind


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""
