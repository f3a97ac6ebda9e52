"""Realtime-sync tests of "another project", written against the harness fixtures.

Run against the embedded reference target:   pytest examples/external_project --sync-target=reference
Run against your own server:                  pytest examples/external_project --sync-target=url:http://127.0.0.1:3000
"""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.chat


def test_a_message_reaches_the_channel_and_no_one_else(chat_world) -> None:
    failures = chat_world.step(do="message.create", actor="owner", channel="general", message="hello",
                               content="hello team", expect="allowed")
    assert failures == [], "\n".join(f.message for f in failures)
    result = chat_world.finish()  # quiet period, then every check over the whole history
    assert result.status == "passed", [f.message for f in result.failures]


def test_a_member_may_not_rename_the_workspace(chat_world) -> None:
    failures = chat_world.step(do="workspace.update", actor="member", guild="team", name="Renamed by member",
                               expect="rejected")
    assert failures == []
    assert chat_world.model.world.guild("team").name != "Renamed by member"
    assert chat_world.finish().status == "passed"


def test_a_friend_request_reaches_the_recipient_live(sim_client_factory, sync_harness) -> None:
    alice, bob = sim_client_factory("alice"), sim_client_factory("bob")
    connection = sync_harness.call(bob.open_connection())
    sync_harness.call(connection.wait_for("ready", timeout=5))
    status, _ = sync_harness.call(alice.rest.post("/friends/requests", {"recipient_user_id": bob.user_id}))
    assert status in (200, 201)
    frame = sync_harness.call(connection.wait_for("friend_request_create", timeout=5))
    assert frame.data["sender_user_id"] == alice.user_id
