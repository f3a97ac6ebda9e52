"""This project's fixtures, built on the harness plugin's (docs/pytest-gate.md).

``chat_world`` seeds the world every test here starts from — an owner, a member watching #general, a
member who loses #general to a channel override *after* subscribing (the case servers get wrong), and
a user outside the workspace — with one observer client per visibility class, so each test states only
the step it cares about."""
from __future__ import annotations

from typing import Any, Callable

import pytest

CHAT_WORLD = {
    "users": ["owner", "member", "denied", "outsider"],
    "guilds": [{
        "alias": "team", "owner": "owner", "members": {"member": "member", "denied": "member"},
        "channels": [{"alias": "general"}],
    }],
}
OBSERVERS = [
    {"label": "member", "user": "member", "observes_as": "same_channel", "subscribe": ["team/general"]},
    {"label": "denied", "user": "denied", "observes_as": "denied_by_override", "subscribe": ["team/general"]},
    {"label": "outsider", "user": "outsider", "observes_as": "non_member"},
]


@pytest.fixture
def chat_world(sync_world: Callable[..., Any], request: pytest.FixtureRequest) -> Any:
    """A seeded, connected world named after the test (its id shows in failures and reports)."""
    world = sync_world(CHAT_WORLD, clients=OBSERVERS, scenario_id=f"chat.{request.node.name}")
    failures = world.step(do="channel.permission_override", expect="allowed", actor="owner", channel="general",
                          target_kind="member", target="denied", deny=["create_message"])
    assert failures == [], [f.message for f in failures]
    return world
