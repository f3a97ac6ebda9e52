"""Protocol profiles for mixed-version runs."""
from __future__ import annotations

from contracts.catalogue import CATALOGUE, validate_payload
from contracts.events.messages import MessageReactionV1
from contracts.examples import example_payload
from contracts.profiles import CURRENT, LEGACY_2026_02_12, PROFILES


def test_profiles_registry() -> None:
    assert set(PROFILES) == {"current", "workspace-2026-02-12", "lifecycle-2026-02-12", "legacy-2026-02-12"}
    assert PROFILES["current"] is CURRENT


def test_current_knows_all_36_and_errors_on_unknown() -> None:
    assert CURRENT.known_event_types == frozenset(CATALOGUE)
    assert CURRENT.unknown_event_severity == "error"
    assert CURRENT.model_for("message_reaction") is CATALOGUE["message_reaction"].model
    assert CURRENT.model_for("channel_update") is None


def test_legacy_predates_message_lifecycle_and_workspace_events() -> None:
    legacy = LEGACY_2026_02_12
    assert legacy.unknown_event_severity == "warning"
    assert legacy.known_event_types < CURRENT.known_event_types
    for newer in ("message_update", "message_delete", "workspace_update", "workspace_member_add",
                  "workspace_role_create", "workspace_ip_ban_sync", "profile_update", "friend_request_create",
                  "voice_participant_join"):
        assert not legacy.knows(newer)
    for known in ("ready", "subscribed", "message_create", "message_reaction", "channel_create",
                  "presence_sync", "presence_update"):
        assert legacy.knows(known)


def test_legacy_parses_count_only_reactions_and_tolerates_schema_2() -> None:
    model = LEGACY_2026_02_12.model_for("message_reaction")
    assert model is MessageReactionV1
    current_payload = example_payload("message_reaction")
    result = validate_payload(model, current_payload)
    assert result.ok
    assert sorted(result.unknown_fields) == ["actor_user_id", "operation"]
    count_only = {k: v for k, v in current_payload.items() if k not in ("actor_user_id", "operation")}
    assert validate_payload(model, count_only).ok


def test_each_older_profile_knows_a_subset_of_the_next() -> None:
    """WEB_UI.md §5: ce23ea4 added message_update/delete, 370080d workspace_update and member events."""
    legacy, lifecycle, workspace = (PROFILES[n].known_event_types for n in
                                    ("legacy-2026-02-12", "lifecycle-2026-02-12", "workspace-2026-02-12"))
    assert lifecycle - legacy == {"message_update", "message_delete"}
    assert workspace - lifecycle == {"workspace_update", "workspace_member_add", "workspace_member_update",
                                     "workspace_member_remove", "workspace_member_ban"}
    assert workspace < CURRENT.known_event_types
    assert not any(t.startswith("workspace_role") for t in workspace)
