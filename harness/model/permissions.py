"""REST.md §3: the permission model, implemented from the written contract (not from any server code).

Vocabulary:
* A = the user's *effective role set* in a guild: explicit assignments ∪ the role implied by the
  legacy role (§3.3). ``@everyone`` is never in A; its permissions are always added.
* P_g = guild permissions; P = channel permissions after the three override layers (§3.4 step 6).
* The *label* (owner/moderator/member) resolved from A drives the rank-based legacy checks (§3.5).

Functions return ``None`` where the server answers 403 because the user is not (or no longer) a
member; callers turn that into verdicts.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable

from contracts.types import Permission
from harness.model.world import Guild, LegacyRole, Override, Role, World

PERMISSIONS: tuple[str, ...] = tuple(permission.value for permission in Permission)
"""Canonical order (REST.md §3.1): responses listing permissions use it."""

ALL: frozenset[str] = frozenset(PERMISSIONS)

MODERATOR_SEED: tuple[str, ...] = (
    "manage_member_roles",
    "manage_channel_overrides",
    "delete_message",
    "ban_member",
    "view_audit_log",
    "manage_ip_bans",
    "create_message",
    "publish_video",
    "publish_screen_share",
    "subscribe_streams",
)


@dataclass(frozen=True)
class SeedSpec:
    name: str
    system_key: str
    is_system: bool
    position: int
    permissions: tuple[str, ...]


SEEDS: tuple[SeedSpec, ...] = (
    SeedSpec("@everyone", "everyone", True, 0, ("create_message", "subscribe_streams")),
    SeedSpec("workspace_owner", "workspace_owner", True, 10000, PERMISSIONS),
    SeedSpec("moderator", "moderator", False, 100, MODERATOR_SEED),
    SeedSpec("member", "member", False, 1, ("create_message", "subscribe_streams")),
)
"""REST.md §3.2. The role alias of a seed inside its guild is its name."""

IMPLIED_ROLE: dict[LegacyRole, str] = {"owner": "workspace_owner", "moderator": "moderator", "member": "member"}
"""Legacy role -> the seeded role it implies (§3.3). Also how a legacy channel override maps."""

LEGACY_RANK: dict[str, int] = {"owner": 3, "moderator": 2, "member": 1}

LEGACY_PERMS: dict[str, frozenset[str]] = {
    "owner": ALL,
    "moderator": frozenset(MODERATOR_SEED) - {"manage_channel_overrides"},
    "member": frozenset({"create_message", "subscribe_streams"}),
}
"""§3.5: the fixed table the rank-based routes use (moderators lack the three manage_* of roles/overrides)."""


def canonical(perms: Iterable[str]) -> list[str]:
    """Permissions in canonical order, without duplicates (how REST responses list them)."""
    wanted = set(perms)
    return [p for p in PERMISSIONS if p in wanted]


def seed_roles() -> dict[str, Role]:
    """Fresh seed roles for a new guild (ids unknown until GET /roles)."""
    return {
        s.name: Role(alias=s.name, name=s.name, position=s.position, permissions=s.permissions,
                     is_system=s.is_system, system_key=s.system_key, seq=i)
        for i, s in enumerate(SEEDS)
    }


# ---- membership ------------------------------------------------------------------------------------

def is_server_owner(world: World, user: str) -> bool:
    return world.config.server_owner is not None and world.config.server_owner == user


def is_member(guild: Guild, user: str) -> bool:
    """A current member: has a membership row and no ban (the engine denies banned users, §3.9)."""
    return guild.is_member(user)


def effective_roles(guild: Guild, user: str) -> frozenset[str]:
    """A (§3.4 step 3): explicit assignments of existing roles ∪ the role implied by the legacy role."""
    explicit = {r for r in guild.assignments.get(user, set()) if r in guild.roles}
    legacy = guild.members.get(user)
    if legacy is not None:
        explicit.add(IMPLIED_ROLE[legacy])
    return frozenset(explicit)


def recompute_legacy(guild: Guild, user: str) -> LegacyRole:
    """§3.3: after assign/unassign the legacy role follows the explicit assignments."""
    held = guild.assignments.get(user, set())
    if "workspace_owner" in held:
        return "owner"
    if "moderator" in held:
        return "moderator"
    return "member"


# ---- effective permissions (§3.4) ------------------------------------------------------------------

def guild_permissions(world: World, guild: Guild, user: str) -> frozenset[str] | None:
    """P_g, or None when the user is neither the server owner nor a current member (403)."""
    if is_server_owner(world, user):
        return ALL
    if not is_member(guild, user):
        return None
    roles = effective_roles(guild, user)
    if "workspace_owner" in roles:
        return ALL
    perms = set(guild.roles["@everyone"].perms)
    for alias in roles:
        perms |= guild.roles[alias].perms
    return frozenset(perms)


def channel_permissions(world: World, channel: str, user: str) -> frozenset[str] | None:
    """P for a channel (§3.4 step 6), or None when the user is not a member (403)."""
    ch = world.channel(channel)
    guild = world.guild(ch.guild)
    base = guild_permissions(world, guild, user)
    if base is None:
        return None
    if is_server_owner(world, user) or "workspace_owner" in effective_roles(guild, user):
        return ALL  # owners ignore channel overrides entirely (step 5)
    roles = effective_roles(guild, user)
    everyone = guild.role_overrides.get((channel, "@everyone"))
    role_layer = [guild.role_overrides[(channel, r)] for r in sorted(roles) if (channel, r) in guild.role_overrides]
    member = guild.member_overrides.get((channel, user))
    return layer_overrides(base, everyone, role_layer, member)


def layer_overrides(
    base: frozenset[str], everyone: Override | None, roles: list[Override], member: Override | None
) -> frozenset[str]:
    """@everyone, then the union of role overrides, then the member override; deny wins in a layer."""
    perms = set(base)
    layers: list[tuple[set[str], set[str]]] = []
    if everyone is not None:
        layers.append((set(everyone.allow), set(everyone.deny)))
    if roles:
        allow = set().union(*(set(o.allow) for o in roles))
        deny = set().union(*(set(o.deny) for o in roles))
        layers.append((allow, deny))
    if member is not None:
        layers.append((set(member.allow), set(member.deny)))
    for allow, deny in layers:
        allow -= deny  # normalisation: inside one layer a deny beats an allow
        perms = (perms - deny) | allow
    return frozenset(perms)


def has_guild_perm(world: World, guild: Guild, user: str, perm: str) -> bool:
    perms = guild_permissions(world, guild, user)
    return perms is not None and perm in perms


def has_channel_perm(world: World, channel: str, user: str, perm: str) -> bool:
    perms = channel_permissions(world, channel, user)
    return perms is not None and perm in perms


def may_see_channel(world: World, channel: str, user: str) -> bool:
    """§3.8 / GATEWAY.md §6.0: C-perm create_message (server owner: any existing channel)."""
    return has_channel_perm(world, channel, user, "create_message")


def may_moderate_ip_bans(world: World, guild: Guild, user: str) -> bool:
    """GATEWAY.md §6.0: ``GET /guilds/{G}/ip-bans`` answers 200 (G-perm manage_ip_bans)."""
    return has_guild_perm(world, guild, user, "manage_ip_bans")


# ---- legacy checks (§3.3, §3.5) --------------------------------------------------------------------

def resolved_label(world: World, guild: Guild, user: str) -> LegacyRole | None:
    """owner / moderator / member from the effective set, or None when not a member."""
    if is_server_owner(world, user):
        return "owner"
    if not is_member(guild, user):
        return None
    roles = effective_roles(guild, user)
    if "workspace_owner" in roles:
        return "owner"
    if "moderator" in roles:
        return "moderator"
    return "member"


def legacy_allows(label: str | None, perm: str) -> bool:
    return label is not None and perm in LEGACY_PERMS[label]


def can_assign_legacy_role(actor: str | None, current: str, new: str) -> bool:
    """PATCH member (§3.5): nobody grants or removes owner; rank strictly above both roles."""
    if actor is None or current == "owner" or new == "owner":
        return False
    if not (legacy_allows(actor, "manage_roles") or legacy_allows(actor, "manage_member_roles")):
        return False
    return LEGACY_RANK[actor] > LEGACY_RANK[current] and LEGACY_RANK[actor] > LEGACY_RANK[new]


def can_moderate(actor: str | None, target: str) -> bool:
    """Kick/ban (§3.5): legacy ban_member, target not owner, rank strictly above the target."""
    if actor is None or not legacy_allows(actor, "ban_member") or target == "owner":
        return False
    return LEGACY_RANK[actor] > LEGACY_RANK[target]


# ---- role hierarchy (§3.7) -------------------------------------------------------------------------

@dataclass(frozen=True)
class ActorContext:
    is_server_owner: bool
    is_workspace_owner: bool
    highest_position: float
    """max position over the actor's explicit assignments, plus the role implied by a legacy owner or
    moderator role; -inf without roles; +inf for the server owner. The implied ``member`` role is not
    counted (DB semantics; memory mode counts it, which only matters for roles at position <= 1)."""


def actor_context(world: World, guild: Guild, user: str) -> ActorContext:
    if is_server_owner(world, user):
        return ActorContext(True, True, math.inf)
    if not is_member(guild, user):
        return ActorContext(False, False, -math.inf)
    held = {r for r in guild.assignments.get(user, set()) if r in guild.roles}
    legacy = guild.members[user]
    if legacy in ("owner", "moderator"):
        held.add(IMPLIED_ROLE[legacy])
    positions = [guild.roles[r].position for r in held]
    return ActorContext(False, "workspace_owner" in held, max(positions, default=-math.inf))


def role_manageable(ctx: ActorContext, role: Role) -> bool:
    if ctx.is_server_owner:
        return True
    if role.system_key in ("workspace_owner", "everyone"):
        return False
    if ctx.is_workspace_owner:
        return True
    return role.position < ctx.highest_position


def has_manage_context(world: World, guild: Guild, user: str) -> bool:
    """Role routes (§8.10): G-perm manage_workspace_roles unless server owner."""
    return is_server_owner(world, user) or has_guild_perm(world, guild, user, "manage_workspace_roles")


def default_role_position(ctx: ActorContext) -> int:
    """POST /roles without ``position``: max(highest − 1, 1); owners get 9999."""
    if ctx.is_server_owner or ctx.is_workspace_owner:
        return 9999
    if ctx.highest_position == -math.inf:
        return 1
    return max(int(ctx.highest_position) - 1, 1)


def sorted_roles(guild: Guild) -> list[Role]:
    """Role list order (§3.7): position desc, then creation order."""
    return sorted(guild.roles.values(), key=lambda r: (-r.position, r.seq))
