"""Guild IP bans (REST.md §8.12). The banned network is never returned nor emitted (GATEWAY.md §7)."""

from __future__ import annotations

import json

from aiohttp import web

from .clientip import host_network, ip_in_network
from .context import Ctx, accepted, ok
from .errors import forbidden, invalid_request, not_found, quota_exceeded
from .guards import require_ulid_param
from .ids import now_unix
from .permissions import GuildAuthz
from .router import Router
from .routes_guilds import parse_cursor
from .schemas import IpBanByUser

MAX_EXPIRY_SECS = 15_552_000


def _access(ctx: Ctx, user_id: str) -> GuildAuthz:
    authz = ctx.state.authz(ctx.params["guild_id"])
    if not authz.exists:
        raise not_found()
    if not authz.can_moderate_ip_bans(user_id):
        raise forbidden()
    return authz


async def list_bans(ctx: Ctx) -> web.Response:
    query = ctx.query({"cursor": "str", "limit": "int"}, strict=True)
    user = ctx.auth()
    limit = query.get("limit", 20)
    if not 1 <= limit <= 100:
        raise invalid_request()
    cursor = parse_cursor(query.get("cursor"))
    authz = _access(ctx, user["user_id"])
    rows = ctx.state.store.list_ip_bans(authz.guild_id, cursor, limit + 1)
    next_cursor = f"{rows[limit]['created_at']}_{rows[limit]['ban_id']}" if len(rows) > limit else None
    bans = [
        {
            "ban_id": r["ban_id"],
            "source_user_id": r["source_user_id"],
            "reason": r["reason"] or None,
            "created_at_unix": r["created_at"],
            "expires_at_unix": r["expires_at"],
        }
        for r in rows[:limit]
    ]
    return ok({"bans": bans, "next_cursor": next_cursor})


async def ban_by_user(ctx: Ctx) -> web.Response:
    body = await ctx.json(IpBanByUser)
    user = ctx.auth()
    target = require_ulid_param(body.target_user_id)
    if body.reason is not None and (not body.reason.strip() or len(body.reason.encode("utf-8")) > 240):
        raise invalid_request()
    if body.expires_in_secs is not None and not 1 <= body.expires_in_secs <= MAX_EXPIRY_SECS:
        raise invalid_request()
    authz = _access(ctx, user["user_id"])
    store, config = ctx.state.store, ctx.state.config
    active = store.active_ip_bans(authz.guild_id)
    networks: list[str] = []
    for ip in store.ip_observations(target, config.guild_ip_ban_max_entries):
        network = host_network(ip)
        if network in networks or any(ip_in_network(ip, row["network"]) for row in active):
            continue
        networks.append(network)
    if store.count_ip_bans(authz.guild_id) + len(networks) > config.guild_ip_ban_max_entries:
        raise quota_exceeded()
    expires = now_unix() + body.expires_in_secs if body.expires_in_secs is not None else None
    with store.tx():
        ban_ids = [
            store.create_ip_ban(authz.guild_id, net, target, body.reason, expires, user["user_id"]) for net in networks
        ]
    if ban_ids:
        store.audit(authz.guild_id, user["user_id"], "moderation.ip_ban.add", target,
                    json.dumps({"ban_ids": ban_ids, "networks": networks}))
        summary: dict[str, object] = {"action": "upsert", "changed_count": len(ban_ids)}
        if ctx.state.faults.on("server.ip_ban_sync_leaks_ip"):
            summary["ip"] = networks[0]
        _emit_sync(ctx, authz.guild_id, user["user_id"], summary)
    return ok({"created_count": len(ban_ids), "ban_ids": ban_ids})


async def remove_ban(ctx: Ctx) -> web.Response:
    user = ctx.auth()
    ban_id = require_ulid_param(ctx.params["ban_id"])
    authz = _access(ctx, user["user_id"])
    store = ctx.state.store
    row = store.ip_ban(authz.guild_id, ban_id)
    if row is None:
        raise not_found()
    store.delete_ip_ban(ban_id)
    store.audit(authz.guild_id, user["user_id"], "moderation.ip_ban.remove", row["source_user_id"],
                json.dumps({"ban_id": ban_id}))
    _emit_sync(ctx, authz.guild_id, user["user_id"], {"action": "remove", "changed_count": 1})
    return accepted()


def _emit_sync(ctx: Ctx, guild_id: str, actor_id: str, summary: dict[str, object]) -> None:
    ctx.state.emitter.guild(
        guild_id,
        "workspace_ip_ban_sync",
        {"actor_user_id": actor_id, "guild_id": guild_id, "summary": summary, "updated_at_unix": now_unix()},
        ip_ban_moderators_only=True,
    )


def register(router: Router) -> None:
    router.add("GET", "/guilds/{guild_id}/ip-bans", list_bans)
    router.add("POST", "/guilds/{guild_id}/ip-bans/by-user", ban_by_user)
    router.add("DELETE", "/guilds/{guild_id}/ip-bans/{ban_id}", remove_ban)
