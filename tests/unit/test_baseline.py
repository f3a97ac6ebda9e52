"""Known-issue baselines (harness/engine/baseline.py): loading, matching, stale entries, drafting."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.engine.baseline import (
    Baseline, KnownIssue, baseline_report, classify, draft_baseline, load_baseline, write_baseline,
)
from harness.engine.results import FailureRecord, ScenarioResult
from harness.errors import UsageError


def _failure(check: str = "delivery", kind: str = "leak", event: str | None = "message_create",
             conn: str | None = "carol.1/ws0", client: str | None = "carol.1", severity: str = "error") -> FailureRecord:
    return FailureRecord(check=check, kind=kind, message=f"{kind} of {event} on {conn}", event_type=event,
                         connection=conn, client=client, severity=severity)


def _result(scenario: str = "row.message.create", *failures: FailureRecord, status: str | None = None,
            error: str | None = None) -> ScenarioResult:
    status = status or ("failed" if failures else "passed")
    return ScenarioResult(id=scenario, title=scenario, status=status, duration_s=0.1, failures=list(failures),
                          error=error)


LEAK = KnownIssue(scenario="row.message.*", check="delivery", kind="leak", event="message_create",
                  connection="carol*", reason="server fans out before the access check", link="https://x/1")


def test_a_failure_an_entry_explains_makes_the_scenario_known() -> None:
    result = classify(_result("row.message.create", _failure()), Baseline(known=[LEAK]))
    assert result.status == "known"
    assert result.failures[0].known == {"entry": 0, "key": LEAK.key, "reason": LEAK.reason, "link": "https://x/1"}


@pytest.mark.parametrize("failure", [
    _failure(check="convergence", kind="leak"),   # another check class
    _failure(kind="duplicate"),                   # another kind
    _failure(event="message_update"),             # another event
    _failure(conn="bob.1/ws0", client="bob.1"),   # another connection
])
def test_a_failure_that_differs_in_any_part_stays_a_failure(failure: FailureRecord) -> None:
    result = classify(_result("row.message.create", failure), Baseline(known=[LEAK]))
    assert result.status == "failed" and result.failures[0].known is None


def test_one_new_failure_beside_known_ones_fails_the_scenario() -> None:
    result = classify(_result("row.message.create", _failure(), _failure(kind="loss")), Baseline(known=[LEAK]))
    assert result.status == "failed"
    assert [f.known is not None for f in result.failures] == [True, False]


def test_the_connection_pattern_matches_the_client_label_too() -> None:
    entry = LEAK.model_copy(update={"connection": "carol.1"})
    assert classify(_result("row.message.create", _failure()), Baseline(known=[entry])).status == "known"


def test_warnings_never_need_an_entry_and_passing_results_are_unchanged() -> None:
    passing = _result("row.message.create")
    assert classify(passing, Baseline(known=[LEAK])) is passing
    warned = _result("row.message.create", _failure(), _failure(kind="unknown_field", check="contract",
                                                                 severity="warning"))
    assert classify(warned, Baseline(known=[LEAK])).status == "known"


def test_a_scenario_error_is_known_only_through_an_error_entry() -> None:
    errored = _result("row.voice.join", status="error", error="POST /voice/token answered 503")
    assert classify(errored, Baseline(known=[LEAK])).status == "error"
    entry = KnownIssue(scenario="row.voice.*", check="error", message="*503*", reason="no LiveKit here")
    known = classify(errored, Baseline(known=[entry]))
    assert known.status == "known" and known.error_known["entry"] == 0


def test_report_tells_matched_stale_and_not_run_entries_apart() -> None:
    stale = KnownIssue(scenario="row.workspace.update", check="delivery", kind="loss", reason="was fixed")
    not_run = KnownIssue(scenario="row.friend.*", check="delivery", kind="loss", reason="not selected")
    baseline = Baseline(known=[LEAK, stale, not_run])
    results = [classify(_result("row.message.create", _failure()), baseline),
               classify(_result("row.workspace.update"), baseline)]
    report = baseline_report(baseline, results, path="b.toml")
    assert [u.state for u in report.uses] == ["matched", "stale", "not_run"]
    assert (report.matched, report.stale, report.not_run, report.new_failures) == (1, 1, 1, 0)
    assert report.uses[1].scenarios == ["row.workspace.update"]
    assert not report.fails_run
    assert baseline_report(baseline, results, path="b.toml", strict=True).fails_run


def test_a_skipped_scenario_does_not_make_its_entry_stale() -> None:
    skipped = _result("row.message.create", status="skipped")
    report = baseline_report(Baseline(known=[LEAK]), [skipped], path="b.toml")
    assert report.uses[0].state == "not_run"


@pytest.mark.parametrize("suffix", [".toml", ".json"])
def test_a_drafted_baseline_round_trips_and_explains_the_run_it_came_from(tmp_path: Path, suffix: str) -> None:
    results = [_result("row.message.create", _failure(), _failure(), _failure(kind="loss", conn="bob.1/ws0")),
               _result("row.voice.join", status="error", error="token [x] failed * 503?")]
    draft = draft_baseline(results, target="url:http://127.0.0.1:8080")
    assert len(draft.known) == 3, "one entry per distinct scenario/check/kind/event/connection"
    path = write_baseline(draft, tmp_path / f"draft{suffix}")
    loaded = load_baseline(path)
    assert loaded == draft
    assert all(classify(r, loaded).status == "known" for r in results)
    assert all(e.reason.startswith("TODO") for e in loaded.known)


def test_a_redraft_keeps_reviewed_entries_and_adds_new_failures(tmp_path: Path) -> None:
    reviewed = Baseline(target="t", known=[LEAK])
    results = [classify(_result("row.message.create", _failure(), _failure(kind="loss")), reviewed)]
    draft = draft_baseline(results, previous=reviewed)
    assert draft.known[0] == LEAK and len(draft.known) == 2 and draft.known[1].kind == "loss"


@pytest.mark.parametrize("content, problem", [
    ("version = 1\n[[known]]\nscenario = 'x'\ncheck = 'delivery'\n", "known.0.reason: Field required"),
    ("[[known]]\nscenario = 'x'\ncheck = 'leaks'\nreason = 'r'\n", "known.0.check"),
    ("[[known]]\nscenario = 'x'\ncheck = 'delivery'\nreason = 'r'\nconection = '*'\n", "known.0.conection"),
    ("version = 2\n", "version"),
    ("[[known]\n", "not valid TOML"),
])
def test_a_bad_baseline_is_a_usage_error_naming_file_and_problem(tmp_path: Path, content: str, problem: str) -> None:
    path = tmp_path / "b.toml"
    path.write_text(content)
    with pytest.raises(UsageError) as error:
        load_baseline(path)
    assert str(path) in str(error.value) and problem in str(error.value)
    assert "\n" not in str(error.value)


def test_a_missing_or_bad_json_baseline_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="cannot read baseline"):
        load_baseline(tmp_path / "missing.toml")
    (tmp_path / "b.json").write_text(json.dumps({"known": [{"scenario": "x"}]}))
    with pytest.raises(UsageError, match="known.0.check"):
        load_baseline(tmp_path / "b.json")
