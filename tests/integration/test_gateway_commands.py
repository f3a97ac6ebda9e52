"""Gateway commands have no reply: a refused ``message_create`` is answered by dropping the connection
(GATEWAY.md §3.2). The runner waits for that drop, so a refusal is not taken for a verdict mismatch,
and the other clients see nothing of it."""
from __future__ import annotations

from harness.redact import Redactor
from harness.engine.runner import RunnerOptions, ScenarioRunner
from harness.engine.scenario import ScenarioSpec
from harness.targets.reference import ReferenceTarget

REFUSED = ScenarioSpec.model_validate({
    "id": "gateway.refused", "title": "a non-member's gateway message is refused",
    "world": {"users": ["owner", "alice", "outsider"],
              "guilds": [{"alias": "lab", "owner": "owner", "members": {"alice": "member"}},
                         {"alias": "other", "owner": "outsider", "channels": [{"alias": "yard"}]}]},
    "clients": [{"label": "alice", "user": "alice", "observes_as": "same_channel", "subscribe": ["lab/general"]},
                {"label": "outsider", "user": "outsider", "observes_as": "non_member", "subscribe": ["other/yard"]}],
    "steps": [{"do": "message.create.gateway", "actor": "outsider", "channel": "general", "message": "m1",
               "content": "let me in", "expect": "rejected"},
              {"do": "message.create", "actor": "owner", "channel": "general", "message": "m2", "content": "fine"}],
})


async def test_a_refused_gateway_message_drops_the_connection_and_emits_nothing():
    async with ReferenceTarget() as target:
        result = await ScenarioRunner(target, RunnerOptions(), Redactor()).run(REFUSED)
    assert result.status == "passed", [f.message for f in result.failures]
    [refused] = [s for s in result.steps if s.name == "message.create.gateway"]
    assert refused.outcome == "refused"
