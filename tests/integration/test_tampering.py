"""The checks against a target that misbehaves on the wire: a 6-client scenario (actor, its other
session, same channel, other channel, override-denied member, non-member) passes through a clean
tampering proxy and fails with the right check when the proxy drops, duplicates, leaks or alters one
event type, or reorders the two events of one mutation."""
from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from harness.engine.results import RunOptionsRecord, RunResult, RunSummary, TargetRecord
from harness.redact import Redactor
from harness.engine.runner import RunnerOptions, ScenarioRunner
from harness.targets.proxy import TamperingProxy, TamperRule
from harness.targets.reference import ReferenceTarget
from reports.writers import write_reports
from scenarios import row_scenarios

SCENARIOS = {spec.id: spec for spec in row_scenarios()}
EDIT = SCENARIOS["row.message.edit"]
BAN = SCENARIOS["row.member.ban"]


@pytest.fixture(scope="module")
async def reference():
    async with ReferenceTarget() as target:
        yield target


async def _through_proxy(reference, rules, spec=EDIT):
    async with TamperingProxy(reference, rules) as proxy:
        result = await ScenarioRunner(proxy, RunnerOptions(deadline_s=1.0), Redactor()).run(spec)
        return result, list(proxy.tampered)


def _found(result) -> set[tuple[str, str]]:
    return {(f.check, f.kind) for f in result.failures}


async def test_the_scenario_has_six_clients_in_different_classes_and_passes_through_a_clean_proxy(reference):
    result, tampered = await _through_proxy(reference, [])
    assert result.status == "passed", [f.message for f in result.failures]
    assert len(result.clients) >= 6 and len({c.visibility_class for c in result.clients}) >= 6
    assert tampered == []


@pytest.mark.parametrize(("rule", "expected"), [
    (TamperRule.drop("message_update"), ("delivery", "loss")),
    (TamperRule.duplicate("message_update"), ("delivery", "duplicate")),
    (TamperRule.broadcast("message_update"), ("delivery", "leak")),
    (TamperRule.alter("message_update", "updated_fields.content", "not what was written"), ("delivery", "mismatch")),
    (TamperRule.alter("message_update", "updated_fields.content", "not what was written"),
     ("convergence", "diverged_from_rest")),
    (TamperRule.alter("message_update", "message_id", 42), ("contract", "schema")),
], ids=["drop", "duplicate", "leak", "alter-value", "alter-diverges", "alter-type"])
async def test_one_tampered_event_type_fails_the_right_check(reference, rule, expected):
    result, tampered = await _through_proxy(reference, [rule])
    assert tampered, "the proxy must really have tampered with frames"
    assert result.status == "failed"
    assert expected in _found(result), sorted(_found(result))


async def test_a_leak_says_the_recipient_could_not_read_it_through_rest(reference):
    result, _ = await _through_proxy(reference, [TamperRule.broadcast("message_update")])
    leaks = [f for f in result.failures if f.kind == "leak"]
    non_member = [f for f in leaks if f.client and "non_member" in {c.visibility_class for c in result.clients
                                                                    if c.label == f.client}]
    assert non_member and all(f.details.get("rest_readable") is False for f in non_member)


async def test_two_events_of_one_mutation_swapped_fail_the_order_check(reference):
    result, tampered = await _through_proxy(reference, [TamperRule.swap_next("workspace_member_ban")], spec=BAN)
    assert tampered and ("delivery", "order") in _found(result), sorted(_found(result))



class _DeepContentProxy(TamperingProxy):
    """Every ``message_update`` arrives with its ``content`` replaced by an object nested 900 levels deep
    (spliced into the text: the proxy's own rules copy values recursively)."""

    DEEP = '{"d":' * 900 + "{}" + "}" * 900

    def _apply_rules(self, conn, raw):  # type: ignore[no-untyped-def]
        if '"t":"message_update"' in raw[:40]:
            raw = re.sub(r'"content":"[^"]*"', '"content":' + self.DEEP, raw, count=1)
        super()._apply_rules(conn, raw)


async def test_a_900_deep_frame_fails_a_check_and_every_report_is_still_written(reference, tmp_path):
    """Issue 16: a frame nested 900 levels deep used to make every writer fail ("Maximum serialization
    depth exceeded"): no result.json, no junit.xml. Now the evidence is cut and the reports say failed."""
    async with _DeepContentProxy(reference, []) as proxy:
        result = await ScenarioRunner(proxy, RunnerOptions(deadline_s=1.0), Redactor()).run(EDIT)
    assert result.status == "failed" and ("delivery", "mismatch") in _found(result)
    run = RunResult(status="failed", started_at="2026-12-07T00:00:00+00:00", duration_s=1.0,
                    target=TargetRecord(spec="proxy", description="proxy"), options=RunOptionsRecord(),
                    summary=RunSummary(total=1, passed=0, failed=1, error=0, skipped=0), scenarios=[result])
    write_reports(run, Redactor(), report_dir=tmp_path)
    assert json.loads((tmp_path / "result.json").read_text())["scenarios"][0]["status"] == "failed"
    assert ET.parse(tmp_path / "junit.xml").getroot().get("failures") == "1"
    assert list((tmp_path / "allure-results").glob("*-result.json"))


async def test_a_frame_that_crashes_the_harness_replica_makes_the_scenario_an_error_with_its_cause(reference):
    """A crash while the harness handles a frame (the replica cannot hash an object id) used to be logged
    and forgotten; now the scenario is ``error`` with the cause, and the contract failure is kept."""
    result, tampered = await _through_proxy(reference, [TamperRule.alter("message_update", "message_id", {"a": 1})])
    assert tampered and result.status == "error"
    assert result.error.startswith("harness crashed: TypeError") and "handling a frame on" in result.error
    assert ("contract", "schema") in _found(result)
