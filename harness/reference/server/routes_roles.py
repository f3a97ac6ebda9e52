"""Workspace role routes (REST.md §8.10): CRUD, reorder, default join role, assignments."""

from __future__ import annotations

import json
import re

from aiohttp import web

from . import payloads
from .context import Ctx, accepted, ok
from .errors import forbidden, invalid_request, not_found, quota_exceeded
from .guards import require_access, require_ulid_param
from .ids import canonical_ulid, is_ulid, now_unix
from .permissions import GuildAuthz, POS_INF, bits_of
from .router import Router
from .schemas import RoleCreate, RoleDefault, RolePatch, RoleReorder
from .store import Row

_COLOR_RE = re.compile(r"^#[0-9A-Fa-f]{6}$")
MAX_ROLES = 64
MAX_ASSIGNMENTS = 16


def _clean_name(raw: str) -> str:
    name = raw.strip()
    if not 1 <= len(name.encode("utf-8")) <= 32 or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise invalid_request()
    if name == "@everyone" or name.lower() == "workspace_owner":
        raise invalid_request()
    return name


def _clean_color(raw: str) -> str:
    color = raw.strip()
    if not _COLOR_RE.match(color):
        raise invalid_request()
    return color.upper()


def _manage_context(ctx: Ctx, user_id: str) -> GuildAuthz:
    """G-perm manage_workspace_roles (the server owner holds every G-perm of an existing guild); 403
    otherwise, unknown guilds included."""
    authz = ctx.state.authz(ctx.params["guild_id"])
    if not authz.has_guild_perm(user_id, "manage_workspace_roles"):
        raise forbidden()
    return authz


def _require_manageable(authz: GuildAuthz, user_id: str, role: Row) -> None:
    """System roles and roles at or above the actor's position (§3.7) cannot be changed: 403."""
    if role["is_system"] or not authz.can_manage_role(user_id, role):
        raise forbidden()


def _is_any_owner(authz: GuildAuthz, user_id: str) -> bool:
    return authz.is_server_owner(user_id) or authz.is_workspace_owner(user_id)


async def list_roles(ctx: Ctx) -> web.Response:
    user = ctx.auth()
    authz = ctx.state.authz(ctx.params["guild_id"])
    require_access(authz, user["user_id"])
    return ok({"roles": [payloads.role(r) for r in authz.roles], "default_join_role_id": authz.guild["default_join_role_id"]})


async def create_role(ctx: Ctx) -> web.Response:
    body = await ctx.json(RoleCreate)
    user = ctx.auth()
    uid = user["user_id"]
    authz = _manage_context(ctx, uid)
    name = _clean_name(body.name)
    color = _clean_color(body.color_hex) if body.color_hex is not None else None
    highest = authz.highest_position(uid)
    if body.position is None:
        position = 9999 if highest == POS_INF else int(max(highest - 1, 1))
    else:
        position = body.position
        if not _is_any_owner(authz, uid) and position >= highest:
            raise forbidden()
    store = ctx.state.store
    if store.count_roles(authz.guild_id) >= MAX_ROLES:
        raise quota_exceeded()
    role_id = store.create_role(authz.guild_id, name, bits_of(body.permissions), position, color)
    store.audit(authz.guild_id, uid, "role.create", None, json.dumps({"role_id": role_id}))
    row = store.role(authz.guild_id, role_id)
    event_role = {"is_system": False, "name": name, "permissions": list(body.permissions), "position": position,
                  "role_id": role_id}
    if color is not None:
        event_role["color_hex"] = color
    ctx.state.emitter.guild(authz.guild_id, "workspace_role_create",
                            {"actor_user_id": uid, "guild_id": authz.guild_id, "role": event_role})
    return ok(payloads.role(row, permissions=list(body.permissions)))


async def patch_role(ctx: Ctx) -> web.Response:
    body = await ctx.json(RolePatch)
    user = ctx.auth()
    uid = user["user_id"]
    role_id = require_ulid_param(ctx.params["role_id"])
    if body.name is None and body.permissions is None and body.color_hex is None:
        raise invalid_request()
    authz = _manage_context(ctx, uid)
    role = authz.role_by_id.get(role_id)
    if role is None:
        raise not_found()
    if not authz.can_manage_role(uid, role):
        raise forbidden()
    name = _clean_name(body.name) if body.name is not None else None
    color = _clean_color(body.color_hex) if body.color_hex is not None else None
    bits = bits_of(body.permissions) if body.permissions is not None else None
    store = ctx.state.store
    store.update_role(role_id, name, bits, color)
    for changed, action in ((bits, "role.permissions.update"), (name, "role.update"), (color, "role.color.update")):
        if changed is not None:
            store.audit(authz.guild_id, uid, action, None, json.dumps({"role_id": role_id}))
    fields: dict[str, object] = {}
    if body.name is not None:
        fields["name"] = body.name  # the raw request string, not the trimmed stored value
    if body.permissions is not None:
        fields["permissions"] = list(body.permissions)
    if body.color_hex is not None:
        fields["color_hex"] = color
    ctx.state.emitter.guild(
        authz.guild_id,
        "workspace_role_update",
        {"actor_user_id": uid, "guild_id": authz.guild_id, "role_id": role_id, "updated_at_unix": now_unix(),
         "updated_fields": fields},
    )
    return ok(payloads.role(store.role(authz.guild_id, role_id)))


async def delete_role(ctx: Ctx) -> web.Response:
    user = ctx.auth()
    uid = user["user_id"]
    role_id = require_ulid_param(ctx.params["role_id"])
    authz = _manage_context(ctx, uid)
    role = authz.role_by_id.get(role_id)
    if role is None:
        raise not_found()
    _require_manageable(authz, uid, role)
    store = ctx.state.store
    store.delete_role(authz.guild_id, role_id)
    store.audit(authz.guild_id, uid, "role.delete", None, json.dumps({"role_id": role_id}))
    ctx.state.emitter.guild(
        authz.guild_id,
        "workspace_role_delete",
        {"actor_user_id": uid, "deleted_at_unix": now_unix(), "guild_id": authz.guild_id, "role_id": role_id},
    )
    return accepted()


async def reorder_roles(ctx: Ctx) -> web.Response:
    body = await ctx.json(RoleReorder)
    user = ctx.auth()
    uid = user["user_id"]
    authz = _manage_context(ctx, uid)
    ids = body.role_ids
    if not ids or len(ids) > MAX_ROLES or not all(is_ulid(r) for r in ids):
        raise invalid_request()
    ids = [canonical_ulid(r) for r in ids]
    if len(set(ids)) != len(ids) or any(r not in authz.role_by_id for r in ids):
        raise invalid_request()
    for role_id in ids:
        _require_manageable(authz, uid, authz.role_by_id[role_id])
    store = ctx.state.store
    store.set_role_positions({role_id: len(ids) - index for index, role_id in enumerate(ids)})
    store.audit(authz.guild_id, uid, "role.reorder", None, json.dumps({"role_ids": ids}))
    ctx.state.emitter.guild(
        authz.guild_id,
        "workspace_role_reorder",
        {"actor_user_id": uid, "guild_id": authz.guild_id, "role_ids": ids, "updated_at_unix": now_unix()},
    )
    return accepted()


async def default_role(ctx: Ctx) -> web.Response:
    body = await ctx.json(RoleDefault)
    user = ctx.auth()
    uid = user["user_id"]
    authz = _manage_context(ctx, uid)
    role_id = None
    if body.role_id is not None:
        role_id = require_ulid_param(body.role_id)
        role = authz.role_by_id.get(role_id)
        if role is None:
            raise invalid_request()
        _require_manageable(authz, uid, role)
    store = ctx.state.store
    store.set_default_join_role(authz.guild_id, role_id)
    store.audit(authz.guild_id, uid, "role.default_join.update", None, json.dumps({"role_id": role_id}))
    return accepted()


def _assignment_context(ctx: Ctx, uid: str) -> tuple[GuildAuthz, Row, str]:
    role_id = require_ulid_param(ctx.params["role_id"])
    target = require_ulid_param(ctx.params["user_id"])
    authz = ctx.state.authz(ctx.params["guild_id"])
    if not authz.is_server_owner(uid) and not authz.has_guild_perm(uid, "manage_member_roles"):
        raise forbidden()
    role = authz.role_by_id.get(role_id)
    if role is None:
        raise not_found()
    if role["system_key"] == "everyone":
        raise invalid_request()
    if role["system_key"] == "workspace_owner" and not authz.is_server_owner(uid):
        raise forbidden()
    if not _is_any_owner(authz, uid) and role["position"] >= authz.highest_position(uid):
        raise forbidden()
    return authz, role, target


def _sync_legacy(ctx: Ctx, authz: GuildAuthz, target: str) -> None:
    if ctx.state.store.member(authz.guild_id, target) is not None:
        ctx.state.store.set_legacy_role(authz.guild_id, target, authz.recompute_legacy(target))


async def assign_role(ctx: Ctx) -> web.Response:
    user = ctx.auth()
    uid = user["user_id"]
    authz, role, target = _assignment_context(ctx, uid)
    if not authz.is_member(target):
        raise not_found()
    store = ctx.state.store
    held = authz.explicit_assignments(target)
    if role["role_id"] not in held and len(held) >= MAX_ASSIGNMENTS:
        raise quota_exceeded()
    with store.tx():
        store.assign_role(authz.guild_id, role["role_id"], target)
        _sync_legacy(ctx, authz, target)
    store.audit(authz.guild_id, uid, "role.assign", target, json.dumps({"role_id": role["role_id"]}))
    ctx.state.emitter.guild(
        authz.guild_id,
        "workspace_role_assignment_add",
        {"actor_user_id": uid, "assigned_at_unix": now_unix(), "guild_id": authz.guild_id,
         "role_id": role["role_id"], "user_id": target},
    )
    return accepted()


async def unassign_role(ctx: Ctx) -> web.Response:
    user = ctx.auth()
    uid = user["user_id"]
    authz, role, target = _assignment_context(ctx, uid)
    store = ctx.state.store
    if role["system_key"] == "workspace_owner" and store.role_holder_count(role["role_id"]) <= 1:
        raise forbidden()
    with store.tx():
        store.unassign_role(role["role_id"], target)
        _sync_legacy(ctx, authz, target)
    store.audit(authz.guild_id, uid, "role.unassign", target, json.dumps({"role_id": role["role_id"]}))
    ctx.state.emitter.guild(
        authz.guild_id,
        "workspace_role_assignment_remove",
        {"actor_user_id": uid, "guild_id": authz.guild_id, "removed_at_unix": now_unix(),
         "role_id": role["role_id"], "user_id": target},
    )
    return accepted()


def register(router: Router) -> None:
    router.add("GET", "/guilds/{guild_id}/roles", list_roles)
    router.add("POST", "/guilds/{guild_id}/roles", create_role)
    router.add("POST", "/guilds/{guild_id}/roles/reorder", reorder_roles)
    router.add("POST", "/guilds/{guild_id}/roles/default", default_role)
    router.add("PATCH", "/guilds/{guild_id}/roles/{role_id}", patch_role)
    router.add("DELETE", "/guilds/{guild_id}/roles/{role_id}", delete_role)
    router.add("POST", "/guilds/{guild_id}/roles/{role_id}/members/{user_id}", assign_role)
    router.add("DELETE", "/guilds/{guild_id}/roles/{role_id}/members/{user_id}", unassign_role)
