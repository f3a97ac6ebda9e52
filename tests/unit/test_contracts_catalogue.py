"""The event catalogue: exactly Filament's 36 manifest events with their scope/version/actor facts."""
from __future__ import annotations

from contracts.catalogue import CATALOGUE, EVENT_TYPES

MANIFEST = {
    "ready", "subscribed", "presence_sync", "voice_participant_sync",
    "message_create", "message_update", "message_delete", "message_reaction",
    "channel_create", "presence_update", "workspace_update",
    "workspace_member_add", "workspace_member_update", "workspace_member_remove", "workspace_member_ban",
    "workspace_role_create", "workspace_role_update", "workspace_role_delete", "workspace_role_reorder",
    "workspace_role_assignment_add", "workspace_role_assignment_remove",
    "workspace_channel_role_override_update", "workspace_channel_permission_override_update",
    "workspace_ip_ban_sync",
    "profile_update", "profile_avatar_update", "profile_banner_update",
    "friend_request_create", "friend_request_update", "friend_request_delete", "friend_remove",
    "voice_participant_join", "voice_participant_leave", "voice_participant_update",
    "voice_stream_publish", "voice_stream_unpublish",
}


def test_exactly_the_36_manifest_events() -> None:
    assert len(MANIFEST) == 36
    assert set(CATALOGUE) == MANIFEST == EVENT_TYPES
    assert all(spec.name == name for name, spec in CATALOGUE.items())


def test_schema_versions() -> None:
    assert {n for n, s in CATALOGUE.items() if s.schema_version != 1} == {"message_reaction"}
    assert CATALOGUE["message_reaction"].schema_version == 2


def test_manifest_versus_delivery_scope() -> None:
    differing = {n: (s.manifest_scope, s.delivery_scope) for n, s in CATALOGUE.items()
                 if s.manifest_scope != s.delivery_scope}
    assert differing == {"presence_sync": ("guild", "connection"), "voice_participant_sync": ("channel", "connection")}
    assert CATALOGUE["presence_sync"].scope == "connection"
    scopes = {s.delivery_scope for s in CATALOGUE.values()}
    assert scopes == {"connection", "channel", "guild", "user"}
    assert {n for n, s in CATALOGUE.items() if s.scope == "user"} == {
        "profile_update", "profile_avatar_update", "profile_banner_update",
        "friend_request_create", "friend_request_update", "friend_request_delete", "friend_remove",
    }


def test_actor_carriers() -> None:
    carriers = {n for n, s in CATALOGUE.items() if s.carries_actor}
    expected = {n for n in MANIFEST if n.startswith("workspace_")} | {
        "message_reaction", "friend_request_update", "friend_request_delete", "friend_remove",
    }
    assert carriers == expected
    for name in ("message_update", "message_delete", "channel_create", "presence_update",
                 "profile_update", "friend_request_create"):
        assert not CATALOGUE[name].carries_actor
    assert {n for n, s in CATALOGUE.items() if s.actor_required} == {"message_reaction"}
    # the model declares the member exactly where the catalogue says it may appear
    assert {n for n, s in CATALOGUE.items() if "actor_user_id" in s.model.model_fields} == carriers
