"""Guild, directory, membership, moderation and audit routes (REST.md §8.1–§8.9, §8.11)."""

from __future__ import annotations

import json
import re

from aiohttp import web

from . import payloads
from .context import Ctx, accepted, ip_banned, ok
from .errors import forbidden, internal_error, invalid_request, not_found, rate_limited
from .guards import legacy_has, require_access, require_guild_perm, require_ulid_param, valid_name
from .ids import canonical_ulid, is_ulid, now_unix
from .server_profiles import SERVER_PROFILES
from .permissions import LABEL_RANK, GuildAuthz
from .router import Router
from .schemas import GuildCreate, GuildPatch, MemberPatch

_PREFIX_RE = re.compile(r"^[a-z0-9._]{1,64}$")
_CURSOR_RE = re.compile(r"^[A-Za-z0-9_-]{1,128}$")


def parse_cursor(raw: str | None) -> tuple[int, str] | None:
    """`<created_at_unix>_<ULID>` cursors of the audit and IP-ban lists; 400 otherwise."""
    if raw is None:
        return None
    if not _CURSOR_RE.match(raw):
        raise invalid_request()
    head, sep, tail = raw.partition("_")
    if not sep or not head.isdigit() or not is_ulid(tail):
        raise invalid_request()
    return int(head), canonical_ulid(tail)


# -- guilds -----------------------------------------------------------------------------------------


async def create_guild(ctx: Ctx) -> web.Response:
    body = await ctx.json(GuildCreate)
    user = ctx.auth()
    if not valid_name(body.name):
        raise invalid_request()
    store = ctx.state.store
    if store.count_created_guilds(user["user_id"]) >= ctx.state.config.max_created_guilds_per_user:
        raise forbidden("guild_creation_limit_reached")
    guild_id = store.create_guild(user["user_id"], body.name, body.visibility or "private")
    return ok(payloads.guild(store.guild(guild_id)))


async def list_guilds(ctx: Ctx) -> web.Response:
    user = ctx.auth()
    return ok({"guilds": [payloads.guild(g) for g in ctx.state.store.user_guilds(user["user_id"])]})


async def patch_guild(ctx: Ctx) -> web.Response:
    if SERVER_PROFILES[ctx.state.config.server_profile].lacks("PATCH", "/guilds/{guild_id}"):
        raise not_found()  # an older server had no such route (WEB_UI.md §5, before 370080d)
    body = await ctx.json(GuildPatch)
    user = ctx.auth()
    guild_id = ctx.params["guild_id"]
    authz = ctx.state.authz(guild_id)
    require_guild_perm(authz, user["user_id"], "manage_roles")
    if body.name is None and body.visibility is None:
        raise invalid_request()
    if body.name is not None and not valid_name(body.name):
        raise invalid_request()
    store = ctx.state.store
    before = authz.guild
    name = before["name"] if body.name is None else body.name
    visibility = before["visibility"] if body.visibility is None else body.visibility
    store.update_guild(guild_id, name, visibility)
    changed: dict[str, str] = {}
    if name != before["name"]:
        changed["name"] = name
    if visibility != before["visibility"]:
        changed["visibility"] = visibility
    if not changed and ctx.state.faults.on("server.noop_workspace_patch_emits"):
        changed = {k: v for k, v in (("name", body.name), ("visibility", body.visibility)) if v is not None}
    if changed:
        ctx.state.emitter.guild(
            guild_id,
            "workspace_update",
            {"actor_user_id": user["user_id"], "guild_id": guild_id, "updated_at_unix": now_unix(), "updated_fields": changed},
        )
    return ok(payloads.guild(store.guild(guild_id)))


async def public_guilds(ctx: Ctx) -> web.Response:
    query = ctx.query({"q": "str", "limit": "int"}, strict=False)
    ctx.auth()
    limit = query.get("limit", 20)
    if not 1 <= limit <= 50:
        raise invalid_request()
    q = query.get("q", "").strip().lower()
    if len(q.encode("utf-8")) > 64:
        raise invalid_request()
    rows = ctx.state.store.public_guilds(q or None, limit)
    return ok({"guilds": [payloads.guild(g) for g in rows]})


async def join_guild(ctx: Ctx) -> web.Response:
    user = ctx.auth()
    state = ctx.state
    uid = user["user_id"]
    if not state.limiters.join_ip.allow(ctx.ip_key):
        state.metrics.inc("filament_rate_limit_hits_total", "directory_join", "ip")
        raise rate_limited()
    if not state.limiters.join_user.allow(uid):
        state.metrics.inc("filament_rate_limit_hits_total", "directory_join", "user")
        raise rate_limited()
    if ctx.client_ip is not None:
        state.store.record_ip_observation(uid, ctx.client_ip)
    guild_id = ctx.params["guild_id"]
    store = state.store
    guild = store.guild(guild_id)
    if guild is None:
        raise not_found()
    if guild["visibility"] != "public":
        store.audit(guild_id, uid, "directory.join.rejected.visibility", uid)
        raise not_found()
    if store.is_banned(guild_id, uid):
        store.audit(guild_id, uid, "directory.join.rejected.user_ban", uid)
        raise forbidden("directory_join_user_banned")
    if ip_banned(state, guild_id, ctx.client_ip):
        store.audit(guild_id, uid, "directory.join.rejected.ip_ban", uid)
        raise forbidden("directory_join_ip_banned")
    added = store.add_member(guild_id, uid, _default_join_role(ctx, guild_id))
    store.audit(guild_id, uid, "directory.join.accepted", uid)
    if added:
        _emit_member_add(ctx, guild_id, uid, uid)
    return ok({"guild_id": guild_id, "outcome": "accepted" if added else "already_member"})


def _default_join_role(ctx: Ctx, guild_id: str) -> str | None:
    """The default join role if set, existing and not a system role."""
    guild = ctx.state.store.guild(guild_id)
    role_id = guild["default_join_role_id"] if guild else None
    role = ctx.state.store.role(guild_id, role_id) if role_id else None
    return role["role_id"] if role is not None and not role["is_system"] else None


def _emit_member_add(ctx: Ctx, guild_id: str, user_id: str, actor_id: str) -> None:
    ctx.state.emitter.guild(
        guild_id,
        "workspace_member_add",
        {"actor_user_id": actor_id, "guild_id": guild_id, "joined_at_unix": now_unix(), "role": "member", "user_id": user_id},
    )


# -- audit ------------------------------------------------------------------------------------------


async def audit(ctx: Ctx) -> web.Response:
    query = ctx.query({"limit": "int", "action_prefix": "str", "cursor": "str"}, strict=True)
    user = ctx.auth()
    limit = query.get("limit", 20)
    if not 1 <= limit <= ctx.state.config.audit_list_limit_max:
        raise invalid_request()
    prefix = query.get("action_prefix")
    if prefix is not None and not _PREFIX_RE.match(prefix):
        raise invalid_request()
    cursor = parse_cursor(query.get("cursor"))
    authz = ctx.state.authz(ctx.params["guild_id"])
    if not authz.exists:
        raise not_found()
    if not authz.has_guild_perm(user["user_id"], "view_audit_log"):
        raise forbidden("audit_access_denied")
    rows = ctx.state.store.list_audit(authz.guild_id, prefix, cursor, limit + 1)
    next_cursor = f"{rows[limit]['created_at']}_{rows[limit]['audit_id']}" if len(rows) > limit else None
    events = [
        {
            "audit_id": r["audit_id"],
            "actor_user_id": r["actor_user_id"],
            "target_user_id": r["target_user_id"],
            "action": r["action"],
            "created_at_unix": r["created_at"],
            "ip_ban_match": r["action"] in ("directory.join.rejected.ip_ban", "moderation.ip_ban.hit"),
        }
        for r in rows[:limit]
    ]
    return ok({"events": events, "next_cursor": next_cursor})


# -- members ----------------------------------------------------------------------------------------


async def list_members(ctx: Ctx) -> web.Response:
    query = ctx.query({"cursor": "str", "limit": "int"}, strict=True)
    user = ctx.auth()
    cursor = query.get("cursor")
    if cursor is not None:
        cursor = require_ulid_param(cursor)
    limit = query.get("limit", 50)
    if not 1 <= limit <= 200:
        raise invalid_request()
    authz = ctx.state.authz(ctx.params["guild_id"])
    require_access(authz, user["user_id"])
    rows = ctx.state.store.list_members(authz.guild_id, cursor, limit + 1)
    # Faithful off-by-one: next_cursor is the first member NOT returned, and the next page starts
    # strictly after it (REST.md §14.2).
    next_cursor = rows[limit]["user_id"] if len(rows) > limit else None
    page = rows[:limit]
    assigned = ctx.state.store.assignments(authz.guild_id, [r["user_id"] for r in page])
    everyone = authz.everyone["role_id"] if authz.everyone else None
    members = [
        {"user_id": r["user_id"], "role_ids": sorted(assigned[r["user_id"]] - {everyone})[:16]} for r in page
    ]
    return ok({"members": members, "next_cursor": next_cursor})


async def add_member(ctx: Ctx) -> web.Response:
    actor = ctx.auth()
    guild_id = ctx.params["guild_id"]
    authz = ctx.state.authz(guild_id)
    require_guild_perm(authz, actor["user_id"], "manage_member_roles")
    target = require_ulid_param(ctx.params["user_id"])
    store = ctx.state.store
    if store.is_banned(guild_id, target):
        raise forbidden()
    if store.user(target) is None:
        raise not_found()
    if store.add_member(guild_id, target, _default_join_role(ctx, guild_id)):
        _emit_member_add(ctx, guild_id, target, actor["user_id"])
    return accepted()


async def patch_member(ctx: Ctx) -> web.Response:
    body = await ctx.json(MemberPatch)
    actor = ctx.auth()
    guild_id = ctx.params["guild_id"]
    authz = ctx.state.authz(guild_id)
    actor_label = authz.label(actor["user_id"])
    if actor_label is None:
        raise forbidden()
    target = require_ulid_param(ctx.params["user_id"])
    if not authz.is_member(target):
        raise not_found()
    target_label = authz.label(target)
    allowed = (
        target_label != "owner"
        and body.role != "owner"
        and (legacy_has(actor_label, "manage_roles") or legacy_has(actor_label, "manage_member_roles"))
        and LABEL_RANK[actor_label] > LABEL_RANK[target_label]
        and LABEL_RANK[actor_label] > LABEL_RANK[body.role]
    )
    if not allowed:
        raise forbidden()
    store = ctx.state.store
    with store.tx():
        store.set_legacy_role(guild_id, target, body.role)
        for role in (authz.owner_role, authz.moderator_role, authz.member_role):
            if role is not None:
                store.unassign_role(role["role_id"], target)
        new_role = authz.moderator_role if body.role == "moderator" else authz.member_role
        if new_role is not None:
            store.assign_role(guild_id, new_role["role_id"], target)
    ctx.state.emitter.guild(
        guild_id,
        "workspace_member_update",
        {"actor_user_id": actor["user_id"], "guild_id": guild_id, "updated_at_unix": now_unix(),
         "updated_fields": {"role": body.role}, "user_id": target},
    )
    store.audit(guild_id, actor["user_id"], "member.role.update", target, json.dumps({"role": body.role}))
    return accepted()


def _moderation_target(ctx: Ctx) -> tuple[str, str, str, GuildAuthz]:
    """(actor id, actor label, target id, authz) after the shared kick/ban checks."""
    actor = ctx.auth()
    authz = ctx.state.authz(ctx.params["guild_id"])
    label = authz.label(actor["user_id"])
    if not legacy_has(label, "ban_member"):
        raise forbidden()
    target = require_ulid_param(ctx.params["user_id"])
    return actor["user_id"], label, target, authz


def _check_rank(authz: GuildAuthz, actor_label: str, target: str) -> None:
    target_label = authz.label(target)
    if target_label == "owner" or LABEL_RANK[actor_label] <= LABEL_RANK[target_label]:
        raise forbidden()


async def kick(ctx: Ctx) -> web.Response:
    actor_id, label, target, authz = _moderation_target(ctx)
    guild_id = authz.guild_id
    if not authz.is_member(target):
        raise not_found()
    _check_rank(authz, label, target)
    store = ctx.state.store
    store.remove_member(guild_id, target)
    now = now_unix()
    ctx.state.emitter.guild(
        guild_id,
        "workspace_member_remove",
        {"actor_user_id": actor_id, "guild_id": guild_id, "reason": "kick", "removed_at_unix": now, "user_id": target},
        removed_user=target,
    )
    ctx.state.emitter.member_removed(target, guild_id)
    store.audit(guild_id, actor_id, "member.kick", target)
    return accepted()


async def ban(ctx: Ctx) -> web.Response:
    actor_id, label, target, authz = _moderation_target(ctx)
    guild_id = authz.guild_id
    store = ctx.state.store
    if authz.is_member(target):
        _check_rank(authz, label, target)
    elif store.user(target) is None:
        raise internal_error()  # the Postgres build fails the ban insert (REST.md §14.12)
    if not authz.exists:
        raise internal_error()
    now = now_unix()
    store.ban_user(guild_id, target, actor_id, now)
    ban_event = ("workspace_member_ban",
                 {"actor_user_id": actor_id, "banned_at_unix": now, "guild_id": guild_id, "user_id": target})
    remove_event = ("workspace_member_remove",
                    {"actor_user_id": actor_id, "guild_id": guild_id, "reason": "ban", "removed_at_unix": now, "user_id": target})
    events = [ban_event, remove_event]
    if ctx.state.faults.on("server.ban_events_swapped"):
        events.reverse()
    for event_type, data in events:
        ctx.state.emitter.guild(guild_id, event_type, data, removed_user=target)
    ctx.state.emitter.member_removed(target, guild_id)
    store.audit(guild_id, actor_id, "member.ban", target)
    return accepted()


def register(router: Router) -> None:
    router.add("POST", "/guilds", create_guild)
    router.add("GET", "/guilds", list_guilds)
    router.add("PATCH", "/guilds/{guild_id}", patch_guild)
    router.add("GET", "/guilds/public", public_guilds)
    router.add("POST", "/guilds/{guild_id}/join", join_guild)
    router.add("GET", "/guilds/{guild_id}/audit", audit)
    router.add("GET", "/guilds/{guild_id}/members", list_members)
    router.add("POST", "/guilds/{guild_id}/members/{user_id}", add_member)
    router.add("PATCH", "/guilds/{guild_id}/members/{user_id}", patch_member)
    router.add("POST", "/guilds/{guild_id}/members/{user_id}/kick", kick)
    router.add("POST", "/guilds/{guild_id}/members/{user_id}/ban", ban)

