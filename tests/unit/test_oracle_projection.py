"""The model's projection: what a user should see over a scope."""
from __future__ import annotations

import pytest

from harness.model.mutations import *  # noqa: F403
from harness.model.sandbox import Sandbox
from harness.model.views import MESSAGE_WINDOW, ChannelView, MessageView, ProfileView, RoleView, Scope


@pytest.fixture
def sb() -> Sandbox:
    sb = Sandbox(deliver=False)
    for u in ("alice", "bob", "carol", "erin"):
        sb.user(u)
    sb.guild("alice", "lab")
    sb.setup(CreateChannel("alice", "lab", "general"))
    sb.setup(CreateChannel("alice", "lab", "secret"))
    sb.setup(AddMember("alice", "lab", "bob"))
    sb.setup(AddMember("alice", "lab", "carol"))
    sb.setup(SetPermissionOverride("alice", "secret", "role", "member", deny=("create_message",)))
    return sb


def scope(sb: Sandbox, *channels: str) -> Scope:
    w = sb.model.world
    g = w.guild_id("lab")
    return Scope(frozenset({g}), frozenset((g, w.channel_id(c)) for c in channels))


def test_guild_part(sb: Sandbox) -> None:
    w = sb.model.world
    sb.setup(CreateRole("alice", "lab", "ops", "ops", ("ban_member", "ban_member"), position=5, color="#abcdef"))
    sb.setup(AssignRole("alice", "lab", "ops", "bob"))
    view = sb.model.projection("bob", scope(sb, "general"))
    g = view.guilds[w.guild_id("lab")]
    assert (g.name, g.visibility) == ("lab", "private")
    assert g.channels == {w.channel_id("general"): ChannelView("general", "text")}  # secret is hidden
    assert g.roles == {w.role_id("lab", "ops"): RoleView("ops", 5, frozenset({"ban_member"}), "#ABCDEF")}
    assert g.members == {w.user_id("alice"): frozenset(), w.user_id("bob"): {w.role_id("lab", "ops")},
                         w.user_id("carol"): frozenset()}
    assert len(g.seed_role_ids) == 4
    assert view.usernames == {w.user_id("alice"): "alice", w.user_id("carol"): "carol"}
    assert sb.model.projection("alice", scope(sb)).guilds[w.guild_id("lab")].channels.keys() == {
        w.channel_id("general"), w.channel_id("secret")}


def test_messages_only_for_subscribed_visible_channels_and_windowed(sb: Sandbox) -> None:
    w = sb.model.world
    for n in range(MESSAGE_WINDOW + 3):
        sb.setup(CreateMessage("alice", "general", f"m{n}", f"n{n}"))
    sb.setup(CreateMessage("alice", "secret", "s1", "hidden"))
    sb.setup(AddReaction("bob", "m102", "👍"))
    sb.setup(DeleteMessage("alice", "m101"))
    view = sb.model.projection("bob", scope(sb, "general", "secret"))
    msgs = view.guilds[w.guild_id("lab")].messages
    assert set(msgs) == {w.channel_id("general")}
    general = msgs[w.channel_id("general")]
    # 103 created, one deleted: the newest 100 of the 102 left, so m2 slides in after the deletion
    assert len(general) == MESSAGE_WINDOW and w.message_id("m1") not in general and w.message_id("m2") in general
    assert general[w.message_id("m102")] == MessageView("n102", {"👍": 1}) and w.message_id("m101") not in general


def test_guilds_outside_scope_or_lost_are_absent(sb: Sandbox) -> None:
    assert sb.model.projection("bob", Scope()).guilds == {}
    s = scope(sb, "general")
    sb.setup(KickMember("alice", "lab", "bob"))
    view = sb.model.projection("bob", s)
    assert view.guilds == {} and view.usernames == {}


def test_user_part(sb: Sandbox) -> None:
    w = sb.model.world
    sb.setup(UpdateProfile("bob", username="bobby", about="hi"))
    sb.setup(UploadBanner("bob"))
    sb.setup(SendFriendRequest("bob", "erin", "fr1"))
    sb.setup(SendFriendRequest("carol", "bob", "fr2"))
    sb.setup(SendFriendRequest("alice", "bob", "fr3"))
    sb.setup(AcceptFriendRequest("bob", "fr3"))
    view = sb.model.projection("bob", Scope())
    assert view.user_id == w.user_id("bob") and view.profile == ProfileView("bobby", "hi", 0, 1)
    assert view.outgoing == {w.request("fr1").id: w.user_id("erin")}
    assert view.incoming == {w.request("fr2").id: w.user_id("carol")}
    assert view.friends == {w.user_id("alice"): "alice"} and view.usernames == {w.user_id("alice"): "alice"}


def test_ip_ban_makes_channels_unreadable(sb: Sandbox) -> None:
    w = sb.model.world
    sb.setup(UpdateWorkspace("alice", "lab", visibility="public"))
    sb.setup(JoinGuild("erin", "lab"))
    sb.setup(IpBanUser("alice", "lab", "erin"))
    g = sb.model.projection("alice", scope(sb, "general")).guilds[w.guild_id("lab")]
    assert g.channels is None and g.messages == {}
