"""REST response DTOs (REST.md §1.4, §5–§11)."""
from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from contracts import rest
from contracts.base import unknown_field_paths
from contracts.examples import example_payload

U1, U2 = "01HV5G0000000000000000A001", "01HV5G0000000000000000B001"

# REST.md §5.1 example, with the elided id "01J..." replaced by a full ULID.
PROFILE = ('{"user_id":"01J...","username":"alice_1","about_markdown":"hi **there**","about_markdown_tokens":'
           '[{"type":"paragraph_start"},{"type":"text","text":"hi "},{"type":"strong_start"},{"type":"text",'
           '"text":"there"},{"type":"strong_end"},{"type":"paragraph_end"}],"avatar_version":0,"banner_version":0}'
           ).replace("01J...", U1)

VALID = [
    (rest.Profile, json.loads(PROFILE)),
    (rest.AuthResponse, {"access_token": "v4.local." + "a" * 40, "refresh_token": U1 + "." + "b" * 43,
                         "expires_in_secs": 900}),
    (rest.Accepted, {"accepted": True}),
    (rest.ErrorBody, {"error": "forbidden"}),
    (rest.GuildList, {"guilds": [{"guild_id": U1, "name": "My Guild", "visibility": "private"}]}),
    (rest.PublicGuildList, {"guilds": [{"guild_id": U1, "name": "Open", "visibility": "public"}]}),
    (rest.JoinResult, {"guild_id": U1, "outcome": "already_member"}),
    (rest.ChannelList, {"channels": [{"channel_id": U1, "name": "general", "kind": "text"}]}),
    (rest.PermissionsSelf, {"role": "owner", "permissions": ["manage_roles", "create_message"]}),
    (rest.RoleList, {"roles": [{"role_id": U1, "name": "@everyone", "position": 0, "is_system": True,
                                "permissions": ["create_message", "subscribe_streams"], "color_hex": None}],
                     "default_join_role_id": None}),
    (rest.MemberPage, {"members": [{"user_id": U1, "role_ids": [U2]}], "next_cursor": None}),
    (rest.MessageResponse, example_payload("message_create")),
    (rest.MessagePage, {"messages": [example_payload("message_create")], "next_before": U1}),
    (rest.ReactionResponse, {"emoji": "👍", "count": 1, "reacted_by_me": True, "reactor_user_ids": [U1]}),
    (rest.ReactionResponse, {"emoji": "👍", "count": 0, "reacted_by_me": False}),
    (rest.FriendList, {"friends": [{"user_id": U2, "username": "bob", "created_at_unix": 0}]}),
    (rest.FriendRequestList, {"incoming": [], "outgoing": [{
        "request_id": U1, "sender_user_id": U1, "sender_username": "alice", "recipient_user_id": U2,
        "recipient_username": "bob", "created_at_unix": 1760000000}]}),
    (rest.FriendRequestCreated, {"request_id": U1, "sender_user_id": U1, "recipient_user_id": U2,
                                 "created_at_unix": 1760000000}),
    (rest.UserLookup, {"users": [{"user_id": U1, "username": "alice", "avatar_version": 0}]}),
    (rest.IpBanList, {"bans": [{"ban_id": U1, "source_user_id": None, "reason": None,
                                "created_at_unix": 1760000000, "expires_at_unix": None}], "next_cursor": None}),
    (rest.IpBanByUserResult, {"created_count": 1, "ban_ids": [U1]}),
]


@pytest.mark.parametrize(("model", "body"), VALID)
def test_documented_bodies_validate(model: type, body: dict) -> None:
    model.model_validate(body)


INVALID = [
    (rest.Accepted, {"accepted": "true"}),
    (rest.Accepted, {"accepted": False}),
    (rest.AuthResponse, {"access_token": "short", "refresh_token": "x" * 70, "expires_in_secs": 900}),
    (rest.AuthResponse, {"access_token": "a" * 40, "refresh_token": "b" * 40, "expires_in_secs": "900"}),
    (rest.PublicGuildList, {"guilds": [{"guild_id": U1, "name": "Closed", "visibility": "private"}]}),
    (rest.RoleList, {"roles": [], }),  # default_join_role_id is required (nullable)
    (rest.MemberPage, {"members": []}),  # next_cursor required
    (rest.Profile, {**json.loads(PROFILE), "avatar_version": True}),
    (rest.IpBanByUserResult, {"created_count": 2, "ban_ids": [U1]}),
    (rest.FriendRequestCreated, {"request_id": U1, "sender_user_id": U1, "recipient_user_id": U2,
                                 "created_at_unix": 0}),
    (rest.JoinResult, {"guild_id": U1, "outcome": "rejected"}),
]


@pytest.mark.parametrize(("model", "body"), INVALID)
def test_violations_fail(model: type, body: dict) -> None:
    with pytest.raises(ValidationError):
        model.model_validate(body)


def test_rest_extra_members_tolerated_and_reported() -> None:
    body = {"guilds": [{"guild_id": U1, "name": "G", "visibility": "public", "icon": "x"}], "total": 1}
    parsed = rest.GuildList.model_validate(body)
    assert unknown_field_paths(parsed) == ["total", "guilds.0.icon"]
