"""Channels, the two override routes and /permissions/self (REST.md §9)."""

from __future__ import annotations

import json

from aiohttp import web

from . import payloads
from .context import Ctx, accepted, ok
from .errors import forbidden, invalid_request, not_found
from .guards import require_access, require_channel_perm, require_guild_perm, valid_name
from .ids import now_unix
from .permissions import bits_of, names_of
from .router import Router
from .schemas import ChannelCreate, OverrideBody


async def create_channel(ctx: Ctx) -> web.Response:
    body = await ctx.json(ChannelCreate)
    user = ctx.auth()
    guild_id = ctx.params["guild_id"]
    ctx.ip_gate(guild_id, user["user_id"], "channel.create")
    if not valid_name(body.name):
        raise invalid_request()
    authz = ctx.state.authz(guild_id)
    require_guild_perm(authz, user["user_id"], "manage_channel_overrides")
    store = ctx.state.store
    channel_id = store.create_channel(guild_id, body.name, body.kind or "text")
    row = store.channel(guild_id, channel_id)
    ctx.state.emitter.guild(guild_id, "channel_create", {"channel": payloads.channel(row), "guild_id": guild_id})
    return ok(payloads.channel(row))


async def list_channels(ctx: Ctx) -> web.Response:
    user = ctx.auth()
    guild_id = ctx.params["guild_id"]
    ctx.ip_gate(guild_id, user["user_id"], "channel.list")
    authz = ctx.state.authz(guild_id)
    require_access(authz, user["user_id"])
    visible = [
        payloads.channel(row)
        for row in ctx.state.store.channels(guild_id)
        if authz.has_channel_perm(user["user_id"], row["channel_id"], "create_message")
    ]
    return ok({"channels": visible})


async def permissions_self(ctx: Ctx) -> web.Response:
    user = ctx.auth()
    guild_id, channel_id = ctx.params["guild_id"], ctx.params["channel_id"]
    ctx.ip_gate(guild_id, user["user_id"], "channel.permissions_self")
    authz = ctx.state.authz(guild_id)
    require_channel_perm(authz, user["user_id"], channel_id, "create_message")
    bits = authz.channel_bits(user["user_id"], channel_id) or 0
    return ok({"role": authz.label(user["user_id"]), "permissions": names_of(bits)})


def _check_overlap(body: OverrideBody) -> tuple[int, int]:
    if set(body.allow) & set(body.deny):
        raise invalid_request()
    return bits_of(body.allow), bits_of(body.deny)


async def legacy_override(ctx: Ctx) -> web.Response:
    role = ctx.path_enum("role", ("owner", "moderator", "member"))
    body = await ctx.json(OverrideBody)
    user = ctx.auth()
    guild_id, channel_id = ctx.params["guild_id"], ctx.params["channel_id"]
    ctx.ip_gate(guild_id, user["user_id"], "channel.override")
    authz = ctx.state.authz(guild_id)
    if authz.label(user["user_id"]) != "owner":
        raise forbidden()
    allow, deny = _check_overlap(body)
    store = ctx.state.store
    if store.channel(guild_id, channel_id) is None:
        raise not_found()
    with store.tx():
        store.upsert_legacy_override(guild_id, channel_id, role, allow, deny)
        # Reference choice (REST.md §14.3): apply immediately as the role-id override of the role the
        # legacy name maps to, so the server agrees with what the web client shows at once.
        role_id = authz.implied_role_id(role)
        if role_id is not None:
            store.upsert_override(guild_id, channel_id, "role", role_id, allow, deny)
    store.audit(guild_id, user["user_id"], "channel.override.update", None,
                json.dumps({"channel_id": channel_id, "role": role}))
    ctx.state.emitter.guild(
        guild_id,
        "workspace_channel_role_override_update",
        {"actor_user_id": user["user_id"], "channel_id": channel_id, "guild_id": guild_id, "role": role,
         "updated_at_unix": now_unix(), "updated_fields": {"allow": list(body.allow), "deny": list(body.deny)}},
    )
    return accepted()


async def permission_override(ctx: Ctx) -> web.Response:
    kind = ctx.path_enum("target_kind", ("role", "member"))
    target_id = ctx.params["target_id"]
    body = await ctx.json(OverrideBody)
    user = ctx.auth()
    guild_id, channel_id = ctx.params["guild_id"], ctx.params["channel_id"]
    ctx.ip_gate(guild_id, user["user_id"], "channel.permission_override")
    authz = ctx.state.authz(guild_id)
    require_channel_perm(authz, user["user_id"], channel_id, "manage_channel_overrides")
    allow, deny = _check_overlap(body)
    store = ctx.state.store
    store.upsert_override(guild_id, channel_id, kind, target_id, allow, deny)
    store.audit(guild_id, user["user_id"], "channel.permission_override.update", None,
                json.dumps({"channel_id": channel_id, "target_kind": kind, "target_id": target_id}))
    ctx.state.emitter.guild(
        guild_id,
        "workspace_channel_permission_override_update",
        {"actor_user_id": user["user_id"], "channel_id": channel_id, "guild_id": guild_id, "target_id": target_id,
         "target_kind": kind, "updated_at_unix": now_unix(),
         "updated_fields": {"allow": list(body.allow), "deny": list(body.deny)}},
    )
    return accepted()


def register(router: Router) -> None:
    router.add("POST", "/guilds/{guild_id}/channels", create_channel)
    router.add("GET", "/guilds/{guild_id}/channels", list_channels)
    router.add("GET", "/guilds/{guild_id}/channels/{channel_id}/permissions/self", permissions_self)
    router.add("POST", "/guilds/{guild_id}/channels/{channel_id}/overrides/{role}", legacy_override)
    router.add(
        "POST",
        "/guilds/{guild_id}/channels/{channel_id}/permission-overrides/{target_kind}/{target_id}",
        permission_override,
    )

