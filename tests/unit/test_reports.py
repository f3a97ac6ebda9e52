"""The three report writers (JSON, JUnit, Allure): what a user reads, and no secret in any file even when
a failure quotes one (an event that leaked a token, a target error that echoes a password)."""
from __future__ import annotations

import json
from pathlib import Path

from harness.redact import Redactor
from harness.engine.results import (
    FailureRecord,
    RunOptionsRecord,
    RunResult,
    RunSummary,
    ScenarioResult,
    StepRecord,
    TargetRecord,
)
from reports.writers import write_reports

PASSWORD = "pw-correct-horse-battery"
ACCESS = "opaque-access-token-0123456789abcdef"


def _run() -> RunResult:
    leak = FailureRecord(check="redaction", kind="secret", message=f"profile_update carried {ACCESS}",
                         event_type="profile_update", connection="bob/ws0", client="bob",
                         expected="no token", observed={"token": ACCESS, "note": f"login {PASSWORD}"},
                         details={"frame": json.dumps({"d": {"access_token": ACCESS}})})
    steps = [StepRecord(step=1, kind="mutation", name="profile.update", client="alice", outcome="ok", status=200,
                        started_s=0.1),
             StepRecord(step=2, kind="mutation", name="workspace.update", client="bob", outcome="refused",
                        status=403, started_s=0.2),
             StepRecord(step=3, kind="ui_check", name="settings_split", client="carol.web", outcome="fail",
                        started_s=0.3)]
    failed = ScenarioResult(id="row.profile.update", title="a rename", status="failed", duration_s=1.0,
                            steps=steps, failures=[leak])
    broken = ScenarioResult(id="row.friend.remove", title="unfriend", status="error", duration_s=0.5,
                            error=f"target answered 500 to login with password {PASSWORD}")
    return RunResult(status="failed", started_at="2026-11-26T00:00:00Z", duration_s=1.5,
                     target=TargetRecord(spec="reference", description="embedded"), options=RunOptionsRecord(),
                     summary=RunSummary(total=2, passed=0, failed=1, error=1, skipped=0), scenarios=[failed, broken])


def _write(tmp_path: Path) -> Path:
    redactor = Redactor()
    redactor.add_password(PASSWORD)
    redactor.add_access_token(ACCESS)
    report = tmp_path / "report"
    write_reports(_run(), redactor, report_dir=report, json_path=tmp_path / "r.json")
    return report


def test_no_file_of_any_report_holds_a_secret(tmp_path: Path) -> None:
    report = _write(tmp_path)
    files = [tmp_path / "r.json", *(p for p in report.rglob("*") if p.is_file())]
    assert len(files) >= 5  # r.json, result.json, junit.xml, two Allure results and their attachments
    for path in files:
        text = path.read_text()
        assert PASSWORD not in text and ACCESS not in text, path
    assert "redacted" in (report / "result.json").read_text(), "the failure still says what was there"


def test_allure_and_junit_tell_a_refused_step_from_a_failed_one(tmp_path: Path) -> None:
    report = _write(tmp_path)
    results = {r["testCaseId"]: r for r in
               (json.loads(p.read_text()) for p in (report / "allure-results").glob("*-result.json"))}
    assert results["row.profile.update"]["status"] == "failed"
    assert results["row.friend.remove"]["status"] == "broken"
    assert [(s["name"], s["status"]) for s in results["row.profile.update"]["steps"]] == [
        ("mutation profile.update by alice", "passed"), ("mutation workspace.update by bob", "passed"),
        ("ui_check settings_split by carol.web", "failed"),
        # the redaction failure names no step: it goes on the last step, so no failure is shown green
        ("final judgement (quiet period, whole history)", "failed")]
    junit = (report / "junit.xml").read_text()
    assert 'tests="2" failures="1" errors="1"' in junit and "[redaction/secret]" in junit


def test_a_degraded_scenario_is_its_own_outcome_in_every_writer(tmp_path: Path) -> None:
    """Expected degradation of an older version (docs/mixed-versions.md): neither failed nor plain passed."""
    import io

    from reports.console import Console

    stale = FailureRecord(check="convergence", kind="diverged_from_rest", severity="degraded",
                          message="viewer: guilds.G.name differs — expected until a refresh: missed workspace_update")
    degraded = ScenarioResult(id="compat.workspace.rename", title="rename", status="degraded", duration_s=1.0,
                              degradations=[stale])
    run = RunResult(status="passed", started_at="2026-11-26T00:00:00Z", duration_s=1.0,
                    target=TargetRecord(spec="reference", description="embedded"), options=RunOptionsRecord(),
                    summary=RunSummary(total=1, passed=0, failed=0, error=0, skipped=0, degraded=1),
                    scenarios=[degraded])
    report = tmp_path / "report"
    write_reports(run, Redactor(), report_dir=report)
    saved = json.loads((report / "result.json").read_text())["scenarios"][0]
    assert saved["status"] == "degraded" and saved["degradations"][0]["severity"] == "degraded"
    assert 'failures="0" errors="0"' in (report / "junit.xml").read_text()
    [allure] = [json.loads(p.read_text()) for p in (report / "allure-results").glob("*-result.json")]
    assert allure["status"] == "passed"
    out = io.StringIO()
    console = Console(out)
    console.begin(1, 1, degraded.id)
    console.end(degraded)
    console.summary(run)
    text = out.getvalue()
    assert "DEGRADED" in text and "expected until a refresh" in text and "1 degraded as expected" in text


def test_junit_failure_body_says_check_kind_event_connection_expected_observed_and_rest_readability(
        tmp_path: Path) -> None:
    from xml.etree import ElementTree as ET

    from reports.junit import write_junit

    leak = FailureRecord(check="delivery", kind="leak", step=4, event_type="message_create",
                         connection="denied/ws0", client="denied",
                         message="message_create (step 4) reached denied/ws0, which must not receive it",
                         observed={"content": "secret plans", "access_token": ACCESS},
                         details={"seq": 7, "rest_readable": False, "rest_probe": "GET /guilds/g/channels/c/messages -> 403"})
    loss = FailureRecord(check="delivery", kind="loss", step=5, event_type="message_update", connection="alice/ws0",
                         client="alice", message="message_update (step 5) never reached alice/ws0",
                         expected={"message_id": "m1"})
    run = _run()
    run.scenarios[0].failures = [leak, loss]
    redactor = Redactor()
    redactor.add_access_token(ACCESS)
    path = write_junit(run, tmp_path / "junit.xml", redactor)
    case = ET.parse(path).getroot().find("testcase[@name='row.profile.update']")
    assert case is not None and case.get("classname") == "sync_harness.row.profile"
    failure = case.find("failure")
    assert failure is not None and failure.get("type") == "delivery/leak"
    assert failure.get("message") == f"[delivery/leak] {leak.message} (+1 more)"
    body = failure.text or ""
    for line in ("check: delivery  kind: leak  step: 4", "event: message_create",
                 "connection: denied/ws0  client: denied", 'observed: {"access_token": "«redacted:access_token»"',
                 "readable over REST by the recipient: no (security leak: its own token cannot read this) "
                 "[GET /guilds/g/channels/c/messages -> 403]",
                 "[delivery/loss] message_update (step 5) never reached alice/ws0", 'expected: {"message_id": "m1"}',
                 "observed: -"):
        assert line in body, line
    assert ACCESS not in path.read_text()


def test_report_html_redacts_failures_steps_and_even_an_unredacted_timeline(tmp_path: Path) -> None:
    """report.html is covered like every other artefact: the failure texts, and the frames of a timeline
    that (against the rules) was written with secrets in it, come out redacted — yet still readable."""
    from harness.engine.results import ArtefactRecord, ClientRecord

    timeline = tmp_path / "timeline.json"
    timeline.write_text(json.dumps({
        "started_at_unix": 1_790_000_000.0,
        "lanes": [{"conn": "bob/ws0", "client": "bob"}],
        "steps": [{"step": 1, "kind": "mutation", "name": "profile.update", "client": "alice", "t_s": 0.1,
                   "end_s": 0.12, "outcome": "ok", "status": 200,
                   "expected": [{"order": 0, "event_type": "profile_update", "match": {},
                                 "audience": {"bob/ws0": "must"}}]}],
        "frames": {"bob/ws0": [{"seq": 0, "t_s": 0.15, "event_type": "profile_update",
                                "data": json.dumps({"user_id": "u1", "access_token": ACCESS, "bio": PASSWORD}),
                                "attributed": {"step": 1, "order": 0, "delivery": "must"}}]},
        "closes": {}}))
    run = _run()
    run.scenarios[0].artefacts.append(ArtefactRecord(kind="history", path=str(timeline)))
    run.scenarios[0].clients.append(ClientRecord(label="bob", kind="simulated", user="bob",
                                                 visibility_class="friend", connections=["bob/ws0"]))
    run.scenarios[0].failures[0] = run.scenarios[0].failures[0].model_copy(update={"details": {"seq": 0}})
    redactor = Redactor()
    redactor.add_password(PASSWORD)
    redactor.add_access_token(ACCESS)
    write_reports(run, redactor, report_dir=tmp_path / "report")
    html = (tmp_path / "report" / "report.html").read_text()
    assert PASSWORD not in html and ACCESS not in html
    assert html.count("«redacted:") >= 3, "the failure, its observed value and the frame say what was there"
    assert 'data-lane="bob/ws0"' in html and "mark-secret" in html, "the redaction failure is marked on its frame"
