"""The mutation → event table of GATEWAY.md §5."""
from __future__ import annotations

from contracts.catalogue import CATALOGUE
from contracts.mutations import CATALOGUE_ROWS, MUTATIONS, SILENT_MUTATIONS, coverage_rows

ROW_IDS = [
    "message.create", "message.create.gateway", "message.edit", "message.delete", "reaction.add",
    "reaction.remove", "channel.create", "workspace.update", "member.add", "member.join", "member.update",
    "member.kick", "member.ban", "role.create", "role.update", "role.delete", "role.reorder", "role.assign",
    "role.unassign", "channel.role_override", "channel.permission_override", "ip_ban.upsert", "ip_ban.remove",
    "voice.token", "voice.leave", "voice.state", "profile.update", "profile.avatar", "profile.banner",
    "friend.request.create", "friend.request.accept", "friend.request.delete", "friend.remove",
]


def test_exactly_the_33_rows_in_table_order() -> None:
    assert list(MUTATIONS) == ROW_IDS
    assert len(MUTATIONS) == 33


def test_coverage_denominator_is_the_30_rows_without_livekit() -> None:
    assert len(CATALOGUE_ROWS) == 30
    assert set(ROW_IDS) - set(CATALOGUE_ROWS) == {"voice.token", "voice.leave", "voice.state"}
    assert [r.id for r in coverage_rows()] == list(CATALOGUE_ROWS)
    assert len(coverage_rows(include_livekit=True)) == 33


def test_every_event_is_in_the_catalogue_with_a_matching_scope() -> None:
    for row in MUTATIONS.values():
        assert row.events, row.id
        for event in row.events + row.may_emit:
            assert event in CATALOGUE, (row.id, event)
        assert {CATALOGUE[e].delivery_scope for e in row.events} == {row.scope}, row.id


def test_emission_order_and_conditions() -> None:
    assert MUTATIONS["member.ban"].events == ("workspace_member_ban", "workspace_member_remove")
    assert MUTATIONS["voice.leave"].events == ("voice_stream_unpublish", "voice_participant_leave")
    assert MUTATIONS["friend.request.accept"].personalised
    assert MUTATIONS["friend.request.accept"].events == ("friend_request_update",) * 2
    assert MUTATIONS["friend.remove"].personalised and MUTATIONS["friend.remove"].conditional
    assert MUTATIONS["workspace.update"].conditional
    assert MUTATIONS["message.create.gateway"].method == "GATEWAY"
    assert MUTATIONS["member.kick"].may_emit == ("voice_stream_unpublish", "voice_participant_leave")
    assert MUTATIONS["role.create"].conditional is None


def test_silent_mutations() -> None:
    never = {(m.method, m.path) for m in SILENT_MUTATIONS if m.when is None}
    assert ("POST", "/guilds") in never
    assert ("POST", "/auth/login") in never
    assert ("POST", "/guilds/{guild_id}/roles/default") in never
    conditional = {(m.method, m.path) for m in SILENT_MUTATIONS if m.when}
    assert ("PATCH", "/guilds/{guild_id}") in conditional
