"""The known-issue baseline as a CI gate, on the reference target with planted faults, through real
``sync-harness run`` subprocesses and a real pytest session: a known fault passes (exit 0) and is
reported as known in every report; a new fault under the same baseline fails with its own check; an
entry that no longer fails is stale, and fails the run only with --baseline-strict."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

HARNESS = [sys.executable, "-m", "harness.cli"]
SCENARIO = ("--scenario", "row.message.create")
KNOWN_FAULT = ("--fault", "server.channel_events_skip_access_check")   # delivery/leak of message_create
NEW_FAULT = ("--fault", "server.duplicate_message_create")             # delivery/duplicate


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([*HARNESS, "run", *SCENARIO, *args], capture_output=True, text=True, timeout=300,
                          env=dict(os.environ))


@pytest.fixture(scope="module")
def drafted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A baseline drafted from a run with the known fault (what a team would review and commit)."""
    path = tmp_path_factory.mktemp("baseline") / "known.toml"
    done = _run(*KNOWN_FAULT, "--write-baseline", str(path))
    assert done.returncode == 1, done.stderr
    assert f"baseline draft written to {path}" in done.stderr
    return path


def test_the_draft_names_the_leak_the_fault_causes(drafted: Path) -> None:
    text = drafted.read_text()
    assert 'scenario = "row.message.create"' in text and 'check = "delivery"' in text
    assert 'kind = "leak"' in text and 'event = "message_create"' in text
    assert 'kind = "duplicate"' not in text


def test_a_known_fault_is_exit_0_and_known_in_console_json_junit_and_allure(drafted: Path, tmp_path: Path) -> None:
    report = tmp_path / "report"
    done = _run(*KNOWN_FAULT, "--baseline", str(drafted), "--report", str(report))
    assert done.returncode == 0, done.stderr
    assert "KNOWN" in done.stderr and "(known)" in done.stderr and "1 known" in done.stderr
    result = json.loads((report / "result.json").read_text())
    assert result["status"] == "passed"
    [scenario] = result["scenarios"]
    assert scenario["status"] == "known" and scenario["failures"]
    assert all(f["known"]["reason"].startswith("TODO") for f in scenario["failures"])
    assert result["summary"]["known"] == 1 and result["summary"]["failed"] == 0
    assert result["baseline"]["matched"] >= 1 and result["baseline"]["new_failures"] == 0
    junit = (report / "junit.xml").read_text()
    assert 'type="known-issue"' in junit and "<failure" not in junit
    [allure] = [json.loads(p.read_text()) for p in (report / "allure-results").glob("*-result.json")]
    assert allure["status"] == "skipped" and allure["statusDetails"]["message"].startswith("known issue:")


def test_a_new_fault_under_the_same_baseline_fails_with_its_own_check(drafted: Path, tmp_path: Path) -> None:
    done = _run(*KNOWN_FAULT, *NEW_FAULT, "--baseline", str(drafted), "--json", str(tmp_path / "r.json"))
    assert done.returncode == 1, done.stderr
    result = json.loads((tmp_path / "r.json").read_text())
    [scenario] = result["scenarios"]
    assert scenario["status"] == "failed"
    new = [f for f in scenario["failures"] if f["known"] is None]
    assert new and {(f["check"], f["kind"]) for f in new} == {("delivery", "duplicate")}
    assert result["baseline"]["new_failures"] == len(new)


def test_an_entry_that_no_longer_fails_is_stale_and_fails_only_when_strict(drafted: Path, tmp_path: Path) -> None:
    lenient = _run("--baseline", str(drafted), "--report", str(tmp_path / "lenient"))
    assert lenient.returncode == 0, lenient.stderr
    assert "STALE entry 0" in lenient.stderr
    result = json.loads((tmp_path / "lenient" / "result.json").read_text())
    assert result["baseline"]["stale"] >= 1 and result["scenarios"][0]["status"] == "passed"
    strict = _run("--baseline", str(drafted), "--baseline-strict", "--report", str(tmp_path / "strict"))
    assert strict.returncode == 1, strict.stderr
    assert "fails the run (--baseline-strict)" in strict.stderr
    assert json.loads((tmp_path / "strict" / "result.json").read_text())["status"] == "failed"
    junit = (tmp_path / "strict" / "junit.xml").read_text()
    assert 'classname="baseline"' in junit and "<failure" in junit


def test_a_bad_baseline_is_exit_2_with_one_line_before_the_target_starts(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[[known]]\nscenario = 'x'\ncheck = 'delivery'\n")
    done = _run("--baseline", str(bad))
    assert done.returncode == 2
    [line] = [x for x in done.stderr.splitlines() if x.startswith("error:")]
    assert str(bad) in line and "reason" in line


pytest_plugins = ["pytester"]


def _pytest(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_placeholder="def test_own():\n    assert True\n")
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "--sync-target=reference",
                                         "--sync-scenario=row.message.create", *args, timeout=300)


@pytest.mark.timeout(900)
def test_the_pytest_gate_xfails_a_known_fault_fails_a_new_one_and_flags_stale(pytester: pytest.Pytester,
                                                                               drafted: Path) -> None:
    known = _pytest(pytester, "--sync-fault=server.channel_events_skip_access_check", f"--sync-baseline={drafted}",
                    f"--junitxml={pytester.path / 'junit.xml'}")
    known.assert_outcomes(passed=1, xfailed=1)
    assert "known: row.message.create delivery/leak" in (pytester.path / "junit.xml").read_text()
    new = _pytest(pytester, "--sync-fault=server.channel_events_skip_access_check",
                  "--sync-fault=server.duplicate_message_create", f"--sync-baseline={drafted}")
    new.assert_outcomes(passed=1, failed=1)
    assert "[delivery/duplicate]" in new.stdout.str()
    strict = _pytest(pytester, f"--sync-baseline={drafted}", "--sync-baseline-strict",
                     f"--sync-write-baseline={pytester.path / 'draft.toml'}")
    strict.assert_outcomes(passed=2)  # every scenario passed; the stale entry alone fails the session
    assert strict.ret == 1 and "STALE entry 0" in strict.stdout.str() and "fails the session" in strict.stdout.str()
    assert (pytester.path / "draft.toml").read_text().count("[[known]]") == 0, "nothing failed, nothing drafted"


SHIPPED = Path(__file__).resolve().parents[2] / "baselines" / "filament-2f1262f.toml"


def test_the_shipped_real_server_baseline_knows_its_leak_and_fails_a_new_fault(tmp_path: Path) -> None:
    """The reference target with the planted analogue of the real server's F1 (channel events without an
    access re-check) passes under the shipped baseline; a new fault under the same baseline fails with
    its own check."""
    known = _run(*KNOWN_FAULT, "--baseline", str(SHIPPED), "--json", str(tmp_path / "known.json"))
    assert known.returncode == 0, known.stderr
    [scenario] = json.loads((tmp_path / "known.json").read_text())["scenarios"]
    assert scenario["status"] == "known"
    assert {f["known"]["reason"][:3] for f in scenario["failures"]} == {"F1:"}
    new = _run(*KNOWN_FAULT, *NEW_FAULT, "--baseline", str(SHIPPED), "--json", str(tmp_path / "new.json"))
    assert new.returncode == 1, new.stderr
    [scenario] = json.loads((tmp_path / "new.json").read_text())["scenarios"]
    assert {(f["check"], f["kind"]) for f in scenario["failures"] if f["known"] is None} == {("delivery", "duplicate")}
