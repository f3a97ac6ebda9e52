"""Every row of the mutation catalogue: the call, the verdict (allowed and refused), the events."""
from __future__ import annotations

import pytest

from harness.errors import ScenarioError
from harness.model.expectations import ABSENT, PRESENT
from harness.model.mutations import *  # noqa: F403 - the catalogue under test
from harness.model.mutations import ROWS
from harness.model.mutations.base import NO_BODY, GatewayCall, RestCall
from harness.model.sandbox import Sandbox
from harness.model.world import WorldConfig


@pytest.fixture
def sb() -> Sandbox:
    """lab (public): alice owner, bob member, mod moderator, carol member; dave outsider;
    #general; m1 by bob."""
    sb = Sandbox(WorldConfig(server_owner="root"), deliver=False)
    for u in ("alice", "bob", "carol", "dave", "mod", "root"):
        sb.user(u)
    sb.guild("alice", "lab", "public")
    sb.setup(CreateChannel("alice", "lab", "general"))
    for u in ("bob", "carol", "mod"):
        sb.setup(AddMember("alice", "lab", u))
    sb.setup(UpdateMemberRole("alice", "lab", "mod", "moderator"))
    sb.setup(CreateMessage("bob", "general", "m1", "hello"))
    return sb


def status(sb: Sandbox, m: Mutation) -> int | frozenset[int]:
    return sb.model.plan(m).verdict.status


def allowed(sb: Sandbox, m: Mutation) -> bool:
    return sb.model.plan(m).verdict.allowed


def events(sb: Sandbox, m: Mutation) -> list[tuple[str, dict, dict]]:
    out = sb.do(m)
    assert out.allowed, f"{m!r} refused: {out.result}"
    return [(e.event_type, dict(e.match), dict(e.fields)) for e in out.expected]


def ids(sb: Sandbox) -> dict[str, str]:
    w = sb.model.world
    return {"g": w.guild_id("lab"), "c": w.channel_id("general"), "m1": w.message_id("m1"),
            **{u: w.user_id(u) for u in ("alice", "bob", "carol", "dave", "mod")}}


def test_catalogue_has_the_thirty_rows() -> None:
    rows = {r for r in ROWS if not r.startswith("setup.")}
    assert rows == {
        "message.create", "message.create.gateway", "message.edit", "message.delete", "reaction.add",
        "reaction.remove", "channel.create", "workspace.update", "member.add", "member.join", "member.update",
        "member.kick", "member.ban", "role.create", "role.update", "role.delete", "role.reorder", "role.assign",
        "role.unassign", "channel.role_override", "channel.permission_override", "ip_ban.upsert", "ip_ban.remove",
        "profile.update", "profile.avatar", "profile.banner", "friend.request.create", "friend.request.accept",
        "friend.request.delete", "friend.remove"}


# ---- messages ----------------------------------------------------------------------------------------

def test_message_create(sb: Sandbox) -> None:
    i = ids(sb)
    m = CreateMessage("carol", "general", "m2", "hi there")
    assert sb.model.plan(m).call == RestCall("POST", f"/guilds/{i['g']}/channels/{i['c']}/messages",
                                             json={"content": "hi there"})
    [(t, match, fields)] = events(sb, m)
    assert t == "message_create" and match == {"message_id": sb.model.world.message_id("m2")}
    assert fields == {"content": "hi there", "author_id": i["carol"], "guild_id": i["g"], "channel_id": i["c"],
                      "reactions": [], "attachments": []}


@pytest.mark.parametrize(("actor", "content", "code"), [
    ("dave", "x", 403), ("carol", "", 400), ("carol", "é" * 1001, 400), ("carol", "x" * 2000, 200)])
def test_message_create_refusals(sb: Sandbox, actor: str, content: str, code: int) -> None:
    assert status(sb, CreateMessage(actor, "general", "m9", content)) == code


def test_message_create_in_a_hidden_channel_is_forbidden(sb: Sandbox) -> None:
    sb.setup(SetPermissionOverride("alice", "general", "member", "carol", deny=("create_message",)))
    assert status(sb, CreateMessage("carol", "general", "m9", "x")) == 403


def test_message_alias_reuse_is_a_scenario_error(sb: Sandbox) -> None:
    with pytest.raises(ScenarioError):
        sb.model.plan(CreateMessage("bob", "general", "m1", "again"))


def test_gateway_message(sb: Sandbox) -> None:
    i = ids(sb)
    sb.connect("carol")
    plan = sb.model.plan(GatewayMessage("carol", "general", "g1", "over the wire"))
    assert plan.call == GatewayCall("carol.1/ws0", {"v": 1, "t": "message_create", "d": {
        "guild_id": i["g"], "channel_id": i["c"], "content": "over the wire"}})
    [(t, match, _)] = events(sb, GatewayMessage("carol", "general", "g1", "over the wire"))
    assert match == {"channel_id": i["c"], "author_id": i["carol"], "content": "over the wire"}
    assert sb.model.world.message("g1").id is not None  # bound by the sandbox as the runner would


def test_gateway_message_refusals_are_disconnects(sb: Sandbox) -> None:
    sb.connect("dave")
    verdict = sb.model.plan(GatewayMessage("dave", "general", "g1", "x")).verdict
    assert (verdict.allowed, verdict.status, verdict.error) == (False, 0, "message_rejected")
    assert sb.model.plan(GatewayMessage("dave", "general", "g1", "")).verdict.error == "invalid_message_create_payload"
    sb.do(GatewayMessage("dave", "general", "g1", "x"))
    assert "dave.1/ws0" not in sb.model.conns.open  # the server drops the connection


def test_gateway_message_id_is_bound_from_the_attributed_frame(sb: Sandbox) -> None:
    sb.connect("carol")
    plan = sb.model.plan(GatewayMessage("carol", "general", "g1", "over the wire"))
    [exp] = sb.model.commit(sb.next_step(), GatewayMessage("carol", "general", "g1", "over the wire"), GATEWAY_SENT)
    assert sb.model.world.message("g1").id is None and plan.verdict.allowed
    assert sb.model.bind_attributed(exp, {"message_id": "01JGATEWAYMESSAGE000000000"}) == "g1"
    assert sb.model.world.message_id("g1") == "01JGATEWAYMESSAGE000000000"
    assert sb.model.bind_attributed(exp, {"message_id": "01JOTHER"}) is None  # bound once


def test_a_gateway_message_no_frame_bound_is_listed_until_bound_by_alias(sb: Sandbox) -> None:
    sb.connect("carol")
    sb.model.commit(sb.next_step(), GatewayMessage("carol", "general", "g1", "over the wire"), GATEWAY_SENT)
    assert [m.alias for m in sb.model.unbound_messages()] == ["g1"]
    sb.model.bind_message("g1", "01JGATEWAYMESSAGE000000000")  # found in the channel's listing
    assert sb.model.unbound_messages() == [] and sb.model.world.message_id("g1") == "01JGATEWAYMESSAGE000000000"


def test_gateway_message_needs_a_connection(sb: Sandbox) -> None:
    with pytest.raises(ScenarioError):
        sb.model.plan(GatewayMessage("carol", "general", "g1", "x"))


def test_message_edit(sb: Sandbox) -> None:
    i = ids(sb)
    assert sb.model.plan(EditMessage("bob", "m1", "new")).call.path == f"/guilds/{i['g']}/channels/{i['c']}/messages/{i['m1']}"
    [(t, match, fields)] = events(sb, EditMessage("bob", "m1", "new"))
    assert (t, match) == ("message_update", {"message_id": i["m1"]})
    assert fields["updated_fields.content"] == "new" and fields["updated_fields.markdown_tokens"] is PRESENT
    assert sb.model.world.message("m1").content == "new"


@pytest.mark.parametrize(("actor", "code"), [("bob", 200), ("mod", 200), ("alice", 200), ("carol", 403), ("dave", 403)])
def test_message_edit_who(sb: Sandbox, actor: str, code: int) -> None:
    assert status(sb, EditMessage(actor, "m1", "x")) == code


def test_author_who_lost_the_channel_may_still_edit(sb: Sandbox) -> None:
    # REST.md §10.3: membership + author, no create_message requirement.
    sb.setup(SetPermissionOverride("alice", "general", "member", "bob", deny=("create_message",)))
    assert status(sb, EditMessage("bob", "m1", "x")) == 200


def test_message_delete_then_edit_is_404(sb: Sandbox) -> None:
    [(t, match, _)] = events(sb, DeleteMessage("mod", "m1"))
    assert t == "message_delete" and status(sb, DeleteMessage("bob", "m1")) == 404
    assert status(sb, EditMessage("bob", "m1", "x")) == 404
    assert status(sb, DeleteMessage("carol", "m1")) == 404  # existence before authorship


def test_message_delete_answers_204(sb: Sandbox) -> None:
    assert status(sb, DeleteMessage("bob", "m1")) == 204


def test_reactions_count_and_idempotence(sb: Sandbox) -> None:
    i = ids(sb)
    add = AddReaction("carol", "m1", "👍")
    assert sb.model.plan(add).call.path.endswith("/reactions/%F0%9F%91%8D")
    assert events(sb, add)[0][2]["count"] == 1
    assert events(sb, AddReaction("bob", "m1", "👍"))[0][2]["count"] == 2
    again = events(sb, AddReaction("bob", "m1", "👍"))  # idempotent re-add still emits, count unchanged
    assert again[0][1] == {"message_id": i["m1"], "emoji": "👍", "operation": "add", "actor_user_id": i["bob"]}
    assert again[0][2]["count"] == 2
    removed = events(sb, RemoveReaction("carol", "m1", "👍"))
    assert removed[0][1]["operation"] == "remove" and removed[0][2]["count"] == 1
    assert events(sb, RemoveReaction("carol", "m1", "👍"))[0][2]["count"] == 1  # not held: still emitted
    assert sb.model.world.message("m1").reactions == {"👍": {"bob"}}


@pytest.mark.parametrize(("actor", "emoji", "code"), [("carol", "a b", 400), ("carol", "x" * 33, 400),
                                                      ("dave", "👍", 403), ("carol", "x" * 32, 200)])
def test_reaction_refusals(sb: Sandbox, actor: str, emoji: str, code: int) -> None:
    assert status(sb, AddReaction(actor, "m1", emoji)) == code


def test_reaction_on_deleted_message_is_404(sb: Sandbox) -> None:
    sb.setup(DeleteMessage("bob", "m1"))
    assert status(sb, AddReaction("bob", "m1", "x")) == 404


def test_reaction_remove_on_deleted_message_follows_db_mode(sb: Sandbox) -> None:
    """REST.md §10.5: Filament's Postgres build (and the reference target) answer 200 with count 0 and
    still emit the reaction event; memory mode's 404 is not what is shipped."""
    i = ids(sb)
    sb.setup(AddReaction("carol", "m1", "👍"))
    sb.setup(DeleteMessage("bob", "m1"))
    [(t, match, fields)] = events(sb, RemoveReaction("carol", "m1", "👍"))
    assert t == "message_reaction"
    assert match == {"message_id": i["m1"], "emoji": "👍", "operation": "remove", "actor_user_id": i["carol"]}
    assert fields["count"] == 0
    assert sb.model.world.message("m1").reactions == {}
    assert status(sb, RemoveReaction("dave", "m1", "👍")) == 403  # still gated by channel access


# ---- workspace -----------------------------------------------------------------------------------------

def test_channel_create(sb: Sandbox) -> None:
    i = ids(sb)
    m = CreateChannel("mod", "lab", "voice1", name="bridge-call", kind="voice")
    assert sb.model.plan(m).call == RestCall("POST", f"/guilds/{i['g']}/channels", json={"name": "bridge-call", "kind": "voice"})
    [(t, match, fields)] = events(sb, m)
    assert t == "channel_create" and match == {"channel.channel_id": sb.model.world.channel_id("voice1")}
    assert fields == {"guild_id": i["g"], "channel.name": "bridge-call", "channel.kind": "voice"}


@pytest.mark.parametrize(("actor", "name", "code"), [("bob", "x", 403), ("dave", "x", 403),
                                                     ("dave", "", 400), ("alice", "bad\tname", 400)])
def test_channel_create_refusals(sb: Sandbox, actor: str, name: str, code: int) -> None:
    assert status(sb, CreateChannel(actor, "lab", "c9", name=name)) == code


def test_workspace_update_only_changed_fields(sb: Sandbox) -> None:
    [(t, _, fields)] = events(sb, UpdateWorkspace("alice", "lab", name="Lab 2", visibility="public"))
    assert t == "workspace_update"
    assert fields["updated_fields.name"] == "Lab 2" and fields["updated_fields.visibility"] is ABSENT
    assert events(sb, UpdateWorkspace("alice", "lab", name="Lab 2", visibility="public")) == []  # no-op
    [(_, _, fields)] = events(sb, UpdateWorkspace("alice", "lab", visibility="private"))
    assert fields["updated_fields.visibility"] == "private" and fields["updated_fields.name"] is ABSENT


@pytest.mark.parametrize(("actor", "kwargs", "code"), [
    ("mod", {"name": "x"}, 403), ("bob", {}, 403), ("alice", {}, 400), ("alice", {"name": ""}, 400)])
def test_workspace_update_refusals(sb: Sandbox, actor: str, kwargs: dict, code: int) -> None:
    assert status(sb, UpdateWorkspace(actor, "lab", **kwargs)) == code


# ---- members --------------------------------------------------------------------------------------------

def test_member_add(sb: Sandbox) -> None:
    i = ids(sb)
    [(t, match, fields)] = events(sb, AddMember("mod", "lab", "dave"))
    assert (t, match, fields) == ("workspace_member_add", {"guild_id": i["g"], "user_id": i["dave"]},
                                  {"role": "member", "actor_user_id": i["mod"]})
    assert events(sb, AddMember("alice", "lab", "dave")) == []  # already a member: 200, nothing emitted


def test_member_add_refusals(sb: Sandbox) -> None:
    assert status(sb, AddMember("bob", "lab", "dave")) == 403
    sb.setup(BanMember("alice", "lab", "dave"))
    assert status(sb, AddMember("alice", "lab", "dave")) == 403


def test_member_add_assigns_the_default_join_role(sb: Sandbox) -> None:
    sb.setup(CreateRole("alice", "lab", "newbie", "newbie", ()))
    sb.setup(SetDefaultJoinRole("alice", "lab", "newbie"))
    sb.setup(AddMember("alice", "lab", "dave"))
    assert sb.model.world.guild("lab").assignments["dave"] == {"newbie"}


def test_member_join(sb: Sandbox) -> None:
    i = ids(sb)
    assert sb.model.plan(JoinGuild("dave", "lab")).call.json is NO_BODY
    [(t, match, fields)] = events(sb, JoinGuild("dave", "lab"))
    assert (match, fields) == ({"guild_id": i["g"], "user_id": i["dave"]}, {"role": "member", "actor_user_id": i["dave"]})
    assert events(sb, JoinGuild("dave", "lab")) == []  # already_member
    assert sb.model.world.ip_observations["dave"] == {"127.0.0.1"}


def test_member_join_refusals_still_record_the_ip(sb: Sandbox) -> None:
    sb.setup(UpdateWorkspace("alice", "lab", visibility="private"))
    out = sb.do(JoinGuild("dave", "lab"))
    assert out.result.status == 404 and out.expected == []
    assert sb.model.world.ip_observations["dave"] == {"127.0.0.1"}
    assert not sb.model.world.is_member("lab", "dave")


def test_member_join_banned(sb: Sandbox) -> None:
    sb.setup(BanMember("alice", "lab", "dave"))
    assert sb.model.plan(JoinGuild("dave", "lab")).verdict.error == "directory_join_user_banned"


def test_member_update(sb: Sandbox) -> None:
    i = ids(sb)
    [(t, match, fields)] = events(sb, UpdateMemberRole("alice", "lab", "bob", "moderator"))
    assert (t, match) == ("workspace_member_update", {"guild_id": i["g"], "user_id": i["bob"]})
    assert fields == {"updated_fields.role": "moderator", "actor_user_id": i["alice"]}
    g = sb.model.world.guild("lab")
    assert g.members["bob"] == "moderator" and g.assignments["bob"] == {"moderator"}


@pytest.mark.parametrize(("actor", "user", "role", "code"), [
    ("mod", "bob", "moderator", 403), ("mod", "bob", "member", 200), ("bob", "carol", "member", 403),
    ("alice", "alice", "member", 403), ("alice", "bob", "owner", 403), ("alice", "dave", "member", 404),
    ("dave", "bob", "member", 403)])
def test_member_update_refusals(sb: Sandbox, actor: str, user: str, role: str, code: int) -> None:
    assert status(sb, UpdateMemberRole(actor, "lab", user, role)) == code  # type: ignore[arg-type]


def test_member_kick(sb: Sandbox) -> None:
    i = ids(sb)
    out = sb.do(KickMember("mod", "lab", "bob"))
    [e] = out.expected
    assert (e.event_type, dict(e.match)) == ("workspace_member_remove", {"guild_id": i["g"], "user_id": i["bob"], "reason": "kick"})
    g = sb.model.world.guild("lab")
    assert "bob" not in g.members and g.removals["bob"] == 1 and "bob" not in g.banned


@pytest.mark.parametrize(("actor", "user", "code"), [
    ("mod", "alice", 403), ("alice", "alice", 403), ("mod", "mod", 403), ("bob", "carol", 403),
    ("alice", "dave", 404), ("dave", "bob", 403)])
def test_member_kick_refusals(sb: Sandbox, actor: str, user: str, code: int) -> None:
    assert status(sb, KickMember(actor, "lab", user)) == code


def test_custom_ban_member_role_does_not_unlock_kick(sb: Sandbox) -> None:
    sb.setup(CreateRole("alice", "lab", "bouncer", "bouncer", ("ban_member",)))
    sb.setup(AssignRole("alice", "lab", "bouncer", "carol"))
    assert status(sb, KickMember("carol", "lab", "bob")) == 403  # REST.md §3.5 consequence


def test_member_ban_emits_ban_then_remove_even_for_non_members(sb: Sandbox) -> None:
    i = ids(sb)
    got = events(sb, BanMember("alice", "lab", "dave"))
    assert [(t, m) for t, m, _ in got] == [
        ("workspace_member_ban", {"guild_id": i["g"], "user_id": i["dave"]}),
        ("workspace_member_remove", {"guild_id": i["g"], "user_id": i["dave"], "reason": "ban"})]
    assert sb.model.world.guild("lab").removals.get("dave", 0) == 0  # was not a member


def test_member_ban_of_a_member(sb: Sandbox) -> None:
    sb.setup(BanMember("mod", "lab", "bob"))
    g = sb.model.world.guild("lab")
    assert "bob" in g.banned and "bob" not in g.members and g.removals["bob"] == 1
    assert status(sb, BanMember("mod", "lab", "alice")) == 403


# ---- roles ----------------------------------------------------------------------------------------------

def test_role_create(sb: Sandbox) -> None:
    i = ids(sb)
    m = CreateRole("alice", "lab", "ops", "  ops_admin ", ("manage_roles", "manage_roles"), color="#00aaff")
    assert sb.model.plan(m).call.json == {"name": "  ops_admin ", "permissions": ["manage_roles", "manage_roles"],
                                          "color_hex": "#00aaff"}
    [(t, match, fields)] = events(sb, m)
    role = sb.model.world.role("lab", "ops")
    assert (t, match) == ("workspace_role_create", {"guild_id": i["g"], "role.role_id": role.id})
    assert fields["role.name"] == "ops_admin" and fields["role.permissions"] == ["manage_roles", "manage_roles"]
    assert fields["role.position"] == 9999 and fields["role.color_hex"] == "#00AAFF" and fields["role.is_system"] is False
    assert events(sb, CreateRole("alice", "lab", "plain", "plain"))[0][2]["role.color_hex"] is ABSENT


@pytest.mark.parametrize(("actor", "kwargs", "code"), [
    ("mod", {}, 403), ("bob", {}, 403), ("alice", {"name": "@everyone"}, 400),
    ("alice", {"name": "Workspace_Owner"}, 400), ("alice", {"name": "x" * 33}, 400),
    ("alice", {"color": "red"}, 400), ("alice", {"permissions": ("fly",)}, 422)])
def test_role_create_refusals(sb: Sandbox, actor: str, kwargs: dict, code: int) -> None:
    args = {"name": "r", **kwargs}
    assert status(sb, CreateRole(actor, "lab", "r9", **args)) == code


def test_role_create_hierarchy_for_non_owners(sb: Sandbox) -> None:
    sb.setup(CreateRole("alice", "lab", "admin", "admin", ("manage_workspace_roles",), position=50))
    sb.setup(AssignRole("alice", "lab", "admin", "carol"))
    assert status(sb, CreateRole("carol", "lab", "hi", "hi", position=50)) == 403
    assert status(sb, CreateRole("carol", "lab", "lo", "lo", position=49)) == 200
    sb.setup(CreateRole("carol", "lab", "dflt", "dflt"))
    assert sb.model.world.role("lab", "dflt").position == 49


def test_role_update(sb: Sandbox) -> None:
    sb.setup(CreateRole("alice", "lab", "ops", "ops", ("manage_roles",)))
    [(t, _, fields)] = events(sb, UpdateRole("alice", "lab", "ops", name=" renamed ", color="#abcdef"))
    assert fields["updated_fields.name"] == " renamed "  # raw, as sent
    assert fields["updated_fields.color_hex"] == "#ABCDEF" and fields["updated_fields.permissions"] is ABSENT
    role = sb.model.world.role("lab", "ops")
    assert (role.name, role.color, role.permissions) == ("renamed", "#ABCDEF", ("manage_roles",))


def test_role_update_refusals(sb: Sandbox) -> None:
    assert status(sb, UpdateRole("alice", "lab", "member")) == 400  # no field, before permissions
    assert status(sb, UpdateRole("bob", "lab", "member")) == 400
    assert status(sb, UpdateRole("alice", "lab", "@everyone", permissions=())) == 403
    assert status(sb, UpdateRole("alice", "lab", "workspace_owner", name="x")) == 403
    assert status(sb, UpdateRole("root", "lab", "@everyone", permissions=())) == 200
    assert status(sb, UpdateRole("mod", "lab", "member", name="m")) == 403  # no manage_workspace_roles
    sb.setup(CreateRole("alice", "lab", "gone", "gone"))
    sb.setup(DeleteRole("alice", "lab", "gone"))
    assert status(sb, UpdateRole("alice", "lab", "gone", name="x")) == 404


def test_role_delete(sb: Sandbox) -> None:
    sb.setup(CreateRole("alice", "lab", "ops", "ops"))
    sb.setup(AssignRole("alice", "lab", "ops", "bob"))
    sb.setup(SetPermissionOverride("alice", "general", "role", "ops", deny=("create_message",)))
    [(t, match, _)] = events(sb, DeleteRole("alice", "lab", "ops"))
    g = sb.model.world.guild("lab")
    assert t == "workspace_role_delete" and "ops" not in g.roles and "ops" not in g.assignments["bob"]
    assert ("general", "ops") not in g.role_overrides
    assert status(sb, DeleteRole("alice", "lab", "ops")) == 404
    assert status(sb, DeleteRole("alice", "lab", "workspace_owner")) == 403
    assert status(sb, DeleteRole("alice", "lab", "@everyone")) == 403


def test_deleting_seeded_moderator_is_not_modelled(sb: Sandbox) -> None:
    with pytest.raises(ScenarioError, match="14.8"):
        sb.model.plan(DeleteRole("alice", "lab", "moderator"))


def test_role_reorder(sb: Sandbox) -> None:
    for r in ("a1", "a2"):
        sb.setup(CreateRole("alice", "lab", r, r))
    w = sb.model.world
    [(t, match, _)] = events(sb, ReorderRoles("alice", "lab", ("a2", "a1", "moderator")))
    assert match["role_ids"] == [w.role_id("lab", r) for r in ("a2", "a1", "moderator")]
    assert [w.role("lab", r).position for r in ("a2", "a1", "moderator")] == [3, 2, 1]


@pytest.mark.parametrize(("roles", "code"), [((), 400), (("member", "member"), 400), (("@everyone",), 403),
                                             (("workspace_owner",), 403)])
def test_role_reorder_refusals(sb: Sandbox, roles: tuple, code: int) -> None:
    assert status(sb, ReorderRoles("alice", "lab", roles)) == code


def test_role_assign_and_legacy_recompute(sb: Sandbox) -> None:
    i = ids(sb)
    [(t, match, _)] = events(sb, AssignRole("alice", "lab", "moderator", "bob"))
    assert (t, match) == ("workspace_role_assignment_add", {"guild_id": i["g"], "user_id": i["bob"],
                                                            "role_id": sb.model.world.role_id("lab", "moderator")})
    assert sb.model.world.guild("lab").members["bob"] == "moderator"
    events(sb, UnassignRole("alice", "lab", "moderator", "bob"))
    assert sb.model.world.guild("lab").members["bob"] == "member"


@pytest.mark.parametrize(("actor", "role", "user", "code"), [
    ("alice", "@everyone", "bob", 400), ("alice", "workspace_owner", "bob", 403), ("root", "workspace_owner", "bob", 200),
    ("alice", "member", "dave", 404), ("bob", "member", "carol", 403), ("mod", "moderator", "bob", 403),
    ("mod", "member", "bob", 200)])
def test_role_assign_refusals(sb: Sandbox, actor: str, role: str, user: str, code: int) -> None:
    assert status(sb, AssignRole(actor, "lab", role, user)) == code


def test_role_assign_quota(sb: Sandbox) -> None:
    for n in range(16):
        sb.setup(CreateRole("alice", "lab", f"q{n}", f"q{n}"))
        sb.setup(AssignRole("alice", "lab", f"q{n}", "bob"))
    sb.setup(CreateRole("alice", "lab", "q16", "q16"))
    assert status(sb, AssignRole("alice", "lab", "q16", "bob")) == 409
    assert status(sb, AssignRole("alice", "lab", "q3", "bob")) == 200  # already held: idempotent


def test_role_unassign(sb: Sandbox) -> None:
    assert status(sb, UnassignRole("root", "lab", "workspace_owner", "alice")) == 403  # last holder
    assert status(sb, UnassignRole("alice", "lab", "member", "dave")) == 200  # no membership check
    sb.setup(AssignRole("root", "lab", "workspace_owner", "bob"))
    assert sb.model.world.guild("lab").members["bob"] == "owner"
    assert status(sb, UnassignRole("root", "lab", "workspace_owner", "alice")) == 200


# ---- overrides ------------------------------------------------------------------------------------------

def test_legacy_override(sb: Sandbox) -> None:
    i = ids(sb)
    m = SetLegacyOverride("alice", "general", "member", allow=(), deny=("create_message",))
    assert sb.model.plan(m).call.path == f"/guilds/{i['g']}/channels/{i['c']}/overrides/member"
    [(t, match, fields)] = events(sb, m)
    assert (t, match) == ("workspace_channel_role_override_update", {"channel_id": i["c"], "role": "member"})
    assert fields["updated_fields.allow"] == [] and fields["updated_fields.deny"] == ["create_message"]
    g = sb.model.world.guild("lab")
    assert g.role_overrides[("general", "member")].deny == ("create_message",)


@pytest.mark.parametrize(("actor", "allow", "deny", "code"), [
    ("mod", (), (), 403), ("bob", (), (), 403), ("alice", ("ban_member",), ("ban_member",), 400),
    ("mod", ("ban_member",), ("ban_member",), frozenset({400, 403})), ("alice", ("nope",), (), 422)])
def test_legacy_override_refusals(sb: Sandbox, actor: str, allow: tuple, deny: tuple, code: object) -> None:
    assert status(sb, SetLegacyOverride(actor, "general", "member", allow, deny)) == code


@pytest.mark.parametrize(("mode", "second_wins", "applied"), [
    ("immediate", True, True), ("first_write", False, True), ("deferred", False, False)])
def test_legacy_override_modes(mode: str, second_wins: bool, applied: bool) -> None:
    sb = Sandbox(WorldConfig(legacy_overrides=mode), deliver=False)  # type: ignore[arg-type]
    sb.user("alice")
    sb.guild("alice", "lab")
    sb.setup(CreateChannel("alice", "lab", "general"))
    sb.setup(SetLegacyOverride("alice", "general", "member", deny=("create_message",)))
    sb.setup(SetLegacyOverride("alice", "general", "member", deny=("ban_member",)))
    stored = sb.model.world.guild("lab").role_overrides.get(("general", "member"))
    if not applied:
        assert stored is None
    else:
        assert stored.deny == (("ban_member",) if second_wins else ("create_message",))


def test_permission_override_targets(sb: Sandbox) -> None:
    i = ids(sb)
    m = SetPermissionOverride("mod", "general", "member", "carol", allow=("manage_roles",), deny=("ban_member",))
    assert sb.model.plan(m).call.path == f"/guilds/{i['g']}/channels/{i['c']}/permission-overrides/member/{i['carol']}"
    [(t, match, fields)] = events(sb, m)
    assert match == {"channel_id": i["c"], "target_kind": "member", "target_id": i["carol"]}
    assert fields["updated_fields.allow"] == ["manage_roles"] and fields["updated_fields.deny"] == ["ban_member"]
    everyone = sb.model.world.role_id("lab", "@everyone")
    [(_, match, _)] = events(sb, SetPermissionOverride("alice", "general", "role", "@everyone"))
    assert match["target_id"] == everyone and match["target_kind"] == "role"


def test_permission_override_refusals(sb: Sandbox) -> None:
    assert status(sb, SetPermissionOverride("bob", "general", "member", "carol")) == 403
    assert status(sb, SetPermissionOverride("dave", "general", "member", "carol")) == 403
    assert status(sb, SetPermissionOverride("alice", "general", "member", "carol", ("ban_member",), ("ban_member",))) == 400
    sb.setup(SetPermissionOverride("alice", "general", "member", "bob", allow=("manage_channel_overrides",)))
    assert status(sb, SetPermissionOverride("bob", "general", "member", "carol")) == 200  # channel-level grant


# ---- IP bans --------------------------------------------------------------------------------------------

def test_ip_ban_without_observation_creates_nothing(sb: Sandbox) -> None:
    assert events(sb, IpBanUser("alice", "lab", "bob", ban="b1")) == []
    assert not sb.model.world.harness_ip_banned("lab")


def test_ip_ban_after_join(sb: Sandbox) -> None:
    i = ids(sb)
    sb.setup(JoinGuild("dave", "lab"))
    [(t, match, fields)] = events(sb, IpBanUser("mod", "lab", "dave", ban="b1", reason="spam"))
    assert (t, match, fields) == ("workspace_ip_ban_sync", {"guild_id": i["g"], "summary.action": "upsert"},
                                  {"summary.changed_count": 1, "actor_user_id": i["mod"]})
    assert sb.model.world.harness_ip_banned("lab")
    assert events(sb, IpBanUser("alice", "lab", "dave", ban="b2")) == []  # already banned: 0 entries
    # Every harness client now fails the IP-gated routes of lab, owners included (REST.md §3.10).
    assert status(sb, CreateMessage("alice", "general", "m9", "x")) == 403
    assert status(sb, UpdateWorkspace("alice", "lab", name="still fine")) == 200  # not gated
    [(t, match, fields)] = events(sb, RemoveIpBan("alice", "lab", "b1"))
    assert match["summary.action"] == "remove" and fields["summary.changed_count"] == 1
    assert status(sb, RemoveIpBan("alice", "lab", "b1")) == 404
    assert status(sb, CreateMessage("alice", "general", "m9", "x")) == 200


def test_ip_ban_refusals(sb: Sandbox) -> None:
    assert status(sb, IpBanUser("bob", "lab", "dave")) == 403
    assert status(sb, IpBanUser("bob", "lab", "dave", reason=" ")) == 400  # body before access
    assert status(sb, IpBanUser("alice", "lab", "dave", reason="x" * 241)) == 400
    assert status(sb, IpBanUser("alice", "lab", "dave", expires_in_secs=0)) == 400


# ---- profile --------------------------------------------------------------------------------------------

def test_profile_update(sb: Sandbox) -> None:
    i = ids(sb)
    [(t, match, fields)] = events(sb, UpdateProfile("bob", about="hi **there**"))
    assert (t, match) == ("profile_update", {"user_id": i["bob"]})
    assert fields == {"updated_fields.username": ABSENT, "updated_fields.about_markdown": "hi **there**",
                      "updated_fields.about_markdown_tokens": PRESENT}
    [(_, _, fields)] = events(sb, UpdateProfile("bob", username="bobby"))
    assert fields["updated_fields.username"] == "bobby" and fields["updated_fields.about_markdown"] is ABSENT


@pytest.mark.parametrize(("kwargs", "code"), [({}, 400), ({"username": "no"}, 400), ({"username": "carol"}, 400),
                                              ({"username": "bob"}, 200), ({"about": "x\x00"}, 400),
                                              ({"about": "x" * 2049}, 400)])
def test_profile_update_refusals(sb: Sandbox, kwargs: dict, code: int) -> None:
    assert status(sb, UpdateProfile("bob", **kwargs)) == code


def test_avatar_and_banner(sb: Sandbox) -> None:
    plan = sb.model.plan(UploadAvatar("bob"))
    assert plan.call.content == PNG_1X1 and plan.call.headers == {"Content-Type": "image/png"}
    [(t, _, fields)] = events(sb, UploadAvatar("bob"))
    assert t == "profile_avatar_update" and fields == {"avatar_version": 1}
    [(t, _, fields)] = events(sb, UploadBanner("bob"))
    assert t == "profile_banner_update" and fields == {"banner_version": 1}
    assert status(sb, UploadAvatar("bob", content_type="image/jpeg")) == 400
    assert status(sb, UploadAvatar("bob", data=b"plain text")) == 400
    assert status(sb, UploadAvatar("bob", data=b"")) == 400
    assert status(sb, UploadAvatar("bob", data=PNG_1X1 + b"0" * (2 * 1024 * 1024))) == 413
    assert status(sb, UploadBanner("bob", data=PNG_1X1 + b"0" * (2 * 1024 * 1024))) == 200


# ---- friends --------------------------------------------------------------------------------------------

def test_friend_request_lifecycle(sb: Sandbox) -> None:
    i = ids(sb)
    [(t, match, fields)] = events(sb, SendFriendRequest("bob", "dave", "fr1"))
    rid = sb.model.world.request("fr1").id
    assert (t, match) == ("friend_request_create", {"request_id": rid})
    assert fields == {"sender_user_id": i["bob"], "sender_username": "bob", "recipient_user_id": i["dave"],
                      "recipient_username": "dave"}
    assert status(sb, SendFriendRequest("dave", "bob", "fr2")) == 400  # pending in the other direction
    assert status(sb, AcceptFriendRequest("bob", "fr1")) == 404  # only the recipient accepts
    got = events(sb, AcceptFriendRequest("dave", "fr1"))
    assert [(t, m["user_id"], f["friend_user_id"]) for t, m, f in got] == [
        ("friend_request_update", i["dave"], i["bob"]), ("friend_request_update", i["bob"], i["dave"])]
    assert all(f["state"] == "accepted" and f["actor_user_id"] == i["dave"] for _, _, f in got)
    assert sb.model.world.are_friends("bob", "dave")
    assert status(sb, SendFriendRequest("bob", "dave", "fr3")) == 400  # already friends
    got = events(sb, RemoveFriend("dave", "bob"))
    assert [(m["user_id"], m["friend_user_id"]) for _, m, _ in got] == [(i["dave"], i["bob"]), (i["bob"], i["dave"])]
    assert events(sb, RemoveFriend("dave", "bob")) == []  # 204, nothing to remove, nothing emitted


def test_friend_request_delete(sb: Sandbox) -> None:
    sb.setup(SendFriendRequest("bob", "dave", "fr1"))
    assert status(sb, DeleteFriendRequest("carol", "fr1")) == 404
    [(t, match, fields)] = events(sb, DeleteFriendRequest("dave", "fr1"))
    assert t == "friend_request_delete" and fields == {"actor_user_id": ids(sb)["dave"]}
    assert status(sb, DeleteFriendRequest("bob", "fr1")) == 404
    assert status(sb, AcceptFriendRequest("dave", "fr1")) == 404


def test_friend_refusals(sb: Sandbox) -> None:
    assert status(sb, SendFriendRequest("bob", "bob", "fr1")) == 400
    assert status(sb, RemoveFriend("bob", "bob")) == 400


# ---- setup ----------------------------------------------------------------------------------------------

def test_register_call_hides_nothing_but_repr_hides_the_password() -> None:
    m = Register("alice", password="correct horse battery")
    assert "correct horse" not in repr(m)
    call = m.call(Sandbox().model.world)
    assert call.auth is False and call.json == {"username": "alice", "password": "correct horse battery"}


def test_register_refusals() -> None:
    sb = Sandbox()
    assert sb.model.plan(Register("al")).verdict.status == 400
    assert sb.model.plan(Register("alice", password="short")).verdict.status == 400


def test_guild_creation_cap() -> None:
    sb = Sandbox(deliver=False)
    sb.user("alice")
    for n in range(5):
        sb.setup(CreateGuild("alice", f"g{n}"))
    assert sb.model.plan(CreateGuild("alice", "g5")).verdict.error == "guild_creation_limit_reached"


def test_load_roles_binds_seed_ids(sb: Sandbox) -> None:
    w = sb.model.world
    assert all(w.role("lab", r).id for r in ("@everyone", "workspace_owner", "moderator", "member"))
    assert w.role_alias_of(w.role_id("lab", "moderator")) == ("lab", "moderator")


def test_default_join_role_refusals(sb: Sandbox) -> None:
    assert status(sb, SetDefaultJoinRole("alice", "lab", "@everyone")) == 403
    assert status(sb, SetDefaultJoinRole("mod", "lab", "member")) == 403
    assert status(sb, SetDefaultJoinRole("alice", "lab", None)) == 200


def test_agrees_with_the_contract_mutation_table() -> None:
    """Two independent readings of GATEWAY.md §5 (contracts/mutations.py and this catalogue) agree on
    every row: method, path shape, and the emitted event sequence (empty only where conditional)."""
    import random
    import re

    from contracts.mutations import MUTATIONS
    from tests.unit.test_replica_convergence import MENU, World

    seen: set[str] = set()
    for trial in range(40):
        rnd = random.Random(trial)
        w = World()
        for _ in range(40):
            seed = [rnd.randrange(10_000)]

            def pick(options: list, seed: list = seed) -> object:
                seed[0] = seed[0] * 31 + 7
                return options[seed[0] % len(options)] if options else None

            m = MENU[rnd.randrange(len(MENU))](w, pick)
            if m is None or isinstance(m, tuple):
                continue
            try:
                plan = w.sb.model.plan(m)
                out = w.sb.do(m)
            except ScenarioError:
                continue
            row = MUTATIONS[m.row]
            if isinstance(plan.call, RestCall):
                assert plan.call.method == row.method, m.row
                assert re.fullmatch(re.sub(r"\{[^}]+\}", "[^/]+", row.path), plan.call.path), (m.row, plan.call.path)
            if out.allowed:
                got = tuple(e.event_type for e in out.expected)
                assert got == row.events or (got == () and row.conditional), (m.row, got, row.events)
                seen.add(m.row)
    assert seen == {r for r in MUTATIONS if not r.startswith("voice.")}, sorted({r for r in MUTATIONS if not r.startswith("voice.")} - seen)
