"""The checks against a target that misbehaves on the wire: a 6-client scenario (actor, its other
session, same channel, other channel, override-denied member, non-member) passes through a clean
tampering proxy and fails with the right check when the proxy drops, duplicates, leaks or alters one
event type, or reorders the two events of one mutation."""
from __future__ import annotations

import pytest

from harness.redact import Redactor
from harness.engine.runner import RunnerOptions, ScenarioRunner
from harness.targets.proxy import TamperingProxy, TamperRule
from harness.targets.reference import ReferenceTarget
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
