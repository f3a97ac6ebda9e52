"""REST.md §3 permission model, case by case."""
from __future__ import annotations

import math

import pytest

from harness.model import permissions as P
from harness.model.mutations import AddMember, AssignRole, CreateChannel, CreateRole, UpdateMemberRole
from harness.model.sandbox import Sandbox
from harness.model.world import Override, WorldConfig


@pytest.fixture
def sb() -> Sandbox:
    """lab: alice owner; bob member; mod moderator; carol member holding r_a and r_b; eve outsider."""
    sb = Sandbox(WorldConfig(server_owner="root"), deliver=False)
    for u in ("alice", "bob", "mod", "carol", "eve", "root"):
        sb.user(u)
    sb.guild("alice", "lab")
    sb.do(CreateChannel("alice", "lab", "general"))
    for u in ("bob", "mod", "carol"):
        sb.do(AddMember("alice", "lab", u))
    sb.do(UpdateMemberRole("alice", "lab", "mod", "moderator"))
    sb.do(CreateRole("alice", "lab", "r_a", "ra", ("view_audit_log",), position=50))
    sb.do(CreateRole("alice", "lab", "r_b", "rb", (), position=40))
    sb.do(AssignRole("alice", "lab", "r_a", "carol"))
    sb.do(AssignRole("alice", "lab", "r_b", "carol"))
    return sb


def _set(sb: Sandbox, **layers: tuple[tuple[str, ...], tuple[str, ...]]) -> None:
    """Overrides on #general: keys everyone / member_role / r_a / r_b (role targets), m_<user> (member)."""
    g = sb.model.world.guild("lab")
    names = {"everyone": "@everyone", "member_role": "member"}
    for key, (allow, deny) in layers.items():
        if key.startswith("m_"):
            g.member_overrides[("general", key[2:])] = Override(allow, deny)
        else:
            g.role_overrides[("general", names.get(key, key))] = Override(allow, deny)


CM = ("create_message",)
NONE: tuple[str, ...] = ()

# (case, overrides, user, sees #general) — REST.md §3.4 step 6 and §3.8
VISIBILITY_CASES = [
    ("default: @everyone and member grant create_message", {}, "bob", True),
    ("@everyone deny, no later allow", {"everyone": (NONE, CM)}, "bob", False),
    ("@everyone deny hides it from a custom-role holder too", {"everyone": (NONE, CM)}, "carol", False),
    ("@everyone deny, role layer allow wins", {"everyone": (NONE, CM), "member_role": (CM, NONE)}, "bob", True),
    ("@everyone deny, member allow wins", {"everyone": (NONE, CM), "m_bob": (CM, NONE)}, "bob", True),
    ("role deny beats @everyone allow", {"everyone": (CM, NONE), "member_role": (NONE, CM)}, "bob", False),
    ("within the role layer deny from any role wins", {"r_a": (CM, NONE), "r_b": (NONE, CM)}, "carol", False),
    ("role deny of a role the user does not hold is irrelevant", {"r_b": (NONE, CM)}, "bob", True),
    ("member allow beats role deny", {"member_role": (NONE, CM), "m_bob": (CM, NONE)}, "bob", True),
    ("member deny beats role allow", {"member_role": (CM, NONE), "m_bob": (NONE, CM)}, "bob", False),
    ("member override of another user is irrelevant", {"m_carol": (NONE, CM)}, "bob", True),
    ("moderator hidden by @everyone deny", {"everyone": (NONE, CM)}, "mod", False),
    ("moderator role allow restores it", {"everyone": (NONE, CM), "moderator": (CM, NONE)}, "mod", True),
    ("workspace owner ignores every override", {"everyone": (NONE, CM), "m_alice": (NONE, CM)}, "alice", True),
    ("server owner ignores overrides and membership", {"everyone": (NONE, CM)}, "root", True),
    ("non-member never sees it", {}, "eve", False),
]


@pytest.mark.parametrize(("case", "layers", "user", "visible"), VISIBILITY_CASES, ids=[c[0] for c in VISIBILITY_CASES])
def test_channel_visibility(sb: Sandbox, case: str, layers: dict, user: str, visible: bool) -> None:
    _set(sb, **layers)
    assert P.may_see_channel(sb.model.world, "general", user) is visible


def test_layer_normalisation_deny_wins_inside_a_layer() -> None:
    base = frozenset({"create_message"})
    both = Override(("create_message", "delete_message"), ("create_message",))
    assert P.layer_overrides(base, both, [], None) == frozenset({"delete_message"})
    assert P.layer_overrides(base, None, [both], None) == frozenset({"delete_message"})
    assert P.layer_overrides(base, None, [], both) == frozenset({"delete_message"})


def test_layers_apply_in_order_everyone_roles_member() -> None:
    base = frozenset({"create_message", "ban_member"})
    out = P.layer_overrides(base, Override((), ("ban_member",)), [Override(("ban_member",), ())],
                            Override((), ("create_message",)))
    assert out == frozenset({"ban_member"})


def test_guild_permissions_per_role(sb: Sandbox) -> None:
    w, g = sb.model.world, sb.model.world.guild("lab")
    assert P.guild_permissions(w, g, "alice") == P.ALL
    assert P.guild_permissions(w, g, "bob") == frozenset({"create_message", "subscribe_streams"})
    assert P.guild_permissions(w, g, "mod") == frozenset(P.MODERATOR_SEED)
    assert P.guild_permissions(w, g, "carol") == frozenset({"create_message", "subscribe_streams", "view_audit_log"})
    assert P.guild_permissions(w, g, "eve") is None
    assert P.guild_permissions(w, g, "root") == P.ALL


def test_banned_member_is_denied_even_with_a_membership_row(sb: Sandbox) -> None:
    g = sb.model.world.guild("lab")
    g.banned.add("bob")  # a membership row that reappeared does not help (§3.9)
    assert P.guild_permissions(sb.model.world, g, "bob") is None
    assert not P.may_see_channel(sb.model.world, "general", "bob")


def test_effective_roles_ignore_deleted_roles_and_include_the_implied_one(sb: Sandbox) -> None:
    g = sb.model.world.guild("lab")
    g.assignments["carol"].add("ghost")
    assert P.effective_roles(g, "carol") == frozenset({"r_a", "r_b", "member"})
    assert P.effective_roles(g, "alice") == frozenset({"workspace_owner"})
    assert P.effective_roles(g, "mod") == frozenset({"moderator"})


@pytest.mark.parametrize(("user", "label"), [("alice", "owner"), ("mod", "moderator"), ("bob", "member"),
                                             ("carol", "member"), ("eve", None), ("root", "owner")])
def test_resolved_label(sb: Sandbox, user: str, label: str | None) -> None:
    assert P.resolved_label(sb.model.world, sb.model.world.guild("lab"), user) == label


def test_label_follows_a_workspace_owner_assignment(sb: Sandbox) -> None:
    g = sb.model.world.guild("lab")
    g.assignments["bob"] = {"workspace_owner"}
    g.members["bob"] = P.recompute_legacy(g, "bob")
    assert P.resolved_label(sb.model.world, g, "bob") == "owner"


@pytest.mark.parametrize(("actor", "current", "new", "allowed"), [
    ("owner", "member", "moderator", True),
    ("owner", "moderator", "member", True),
    ("owner", "member", "member", True),
    ("owner", "owner", "member", False),       # nobody removes owner this way
    ("owner", "member", "owner", False),       # nobody grants owner this way
    ("moderator", "member", "moderator", False),  # rank(moderator) is not above moderator
    ("moderator", "member", "member", True),
    ("moderator", "moderator", "member", False),
    ("member", "member", "member", False),     # legacy member lacks manage_*
    (None, "member", "member", False),
])
def test_can_assign_legacy_role(actor: str | None, current: str, new: str, allowed: bool) -> None:
    assert P.can_assign_legacy_role(actor, current, new) is allowed


@pytest.mark.parametrize(("actor", "target", "allowed"), [
    ("owner", "member", True), ("owner", "moderator", True), ("owner", "owner", False),
    ("moderator", "member", True), ("moderator", "moderator", False), ("moderator", "owner", False),
    ("member", "member", False), (None, "member", False),
])
def test_can_moderate(actor: str | None, target: str, allowed: bool) -> None:
    assert P.can_moderate(actor, target) is allowed


def test_legacy_table_moderator_lacks_role_and_override_management() -> None:
    assert not P.legacy_allows("moderator", "manage_roles")
    assert not P.legacy_allows("moderator", "manage_channel_overrides")
    assert P.legacy_allows("moderator", "ban_member")
    assert P.legacy_allows("owner", "manage_channel_overrides")
    assert not P.legacy_allows(None, "create_message")


def test_actor_context(sb: Sandbox) -> None:
    w, g = sb.model.world, sb.model.world.guild("lab")
    assert P.actor_context(w, g, "alice") == P.ActorContext(False, True, 10000)
    assert P.actor_context(w, g, "mod") == P.ActorContext(False, False, 100)
    assert P.actor_context(w, g, "carol") == P.ActorContext(False, False, 50)
    assert P.actor_context(w, g, "bob").highest_position == -math.inf  # implied member not counted
    assert P.actor_context(w, g, "root") == P.ActorContext(True, True, math.inf)
    assert P.actor_context(w, g, "eve").highest_position == -math.inf


@pytest.mark.parametrize(("actor", "role", "manageable"), [
    ("root", "@everyone", True), ("root", "workspace_owner", True),
    ("alice", "@everyone", False), ("alice", "workspace_owner", False), ("alice", "moderator", True),
    ("alice", "r_a", True),
    ("mod", "r_a", True), ("mod", "member", True), ("mod", "moderator", False),
    ("carol", "r_b", True), ("carol", "r_a", False),
    ("bob", "member", False),
])
def test_role_manageable(sb: Sandbox, actor: str, role: str, manageable: bool) -> None:
    w = sb.model.world
    ctx = P.actor_context(w, w.guild("lab"), actor)
    assert P.role_manageable(ctx, w.role("lab", role)) is manageable


def test_default_role_position() -> None:
    assert P.default_role_position(P.ActorContext(False, True, 10000)) == 9999
    assert P.default_role_position(P.ActorContext(True, True, math.inf)) == 9999
    assert P.default_role_position(P.ActorContext(False, False, 100)) == 99
    assert P.default_role_position(P.ActorContext(False, False, 1)) == 1
    assert P.default_role_position(P.ActorContext(False, False, -math.inf)) == 1


@pytest.mark.parametrize(("user", "may"), [("alice", True), ("mod", True), ("bob", False), ("eve", False),
                                           ("root", True)])
def test_may_moderate_ip_bans(sb: Sandbox, user: str, may: bool) -> None:
    assert P.may_moderate_ip_bans(sb.model.world, sb.model.world.guild("lab"), user) is may


def test_custom_role_grants_guild_permissions(sb: Sandbox) -> None:
    w = sb.model.world
    sb.do(CreateRole("alice", "lab", "ipmod", "ipmod", ("manage_ip_bans", "manage_channel_overrides")))
    sb.do(AssignRole("alice", "lab", "ipmod", "bob"))
    assert P.may_moderate_ip_bans(w, w.guild("lab"), "bob")
    assert P.has_channel_perm(w, "general", "bob", "manage_channel_overrides")
    assert P.resolved_label(w, w.guild("lab"), "bob") == "member"  # custom roles never change the label


def test_canonical_order() -> None:
    assert P.canonical(["subscribe_streams", "manage_roles", "manage_roles"]) == ["manage_roles", "subscribe_streams"]
    assert P.canonical(P.ALL) == list(P.PERMISSIONS)


def test_seed_roles_match_the_contract() -> None:
    seeds = P.seed_roles()
    assert {r: (s.position, s.is_system) for r, s in seeds.items()} == {
        "@everyone": (0, True), "workspace_owner": (10000, True), "moderator": (100, False), "member": (1, False)}
    assert seeds["workspace_owner"].perms == P.ALL
    assert "manage_roles" not in seeds["moderator"].perms and "manage_channel_overrides" in seeds["moderator"].perms
