"""Messages and reactions (REST.md §10.1–§10.5)."""

from __future__ import annotations

from aiohttp import web

from . import payloads
from .context import Ctx, no_content, ok
from .errors import forbidden, invalid_request, not_found
from .guards import require_channel, require_channel_perm
from .ids import now_unix
from .markdown import tokenize
from .messaging import MAX_CONTENT_BYTES, content_ok, create_message, normalise_attachment_ids
from .router import Router
from .schemas import MessageCreate, MessagePatch
from .store import Row


async def post_message(ctx: Ctx) -> web.Response:
    body = await ctx.json(MessageCreate)
    user = ctx.auth()
    guild_id, channel_id = ctx.params["guild_id"], ctx.params["channel_id"]
    ctx.ip_gate(guild_id, user["user_id"], "message.create")
    attachment_ids = normalise_attachment_ids(body.attachment_ids)
    if attachment_ids is None or not content_ok(body.content, attachment_ids):
        raise invalid_request()
    return ok(create_message(ctx.state, user["user_id"], guild_id, channel_id, body.content, attachment_ids))


async def list_messages(ctx: Ctx) -> web.Response:
    query = ctx.query({"limit": "int", "before": "str"}, strict=False)
    user = ctx.auth()
    guild_id, channel_id = ctx.params["guild_id"], ctx.params["channel_id"]
    ctx.ip_gate(guild_id, user["user_id"], "message.list")
    limit = query.get("limit", 20)
    if not 1 <= limit <= 100:
        raise invalid_request()
    require_channel_perm(ctx.state.authz(guild_id), user["user_id"], channel_id, "create_message")
    store = ctx.state.store
    rows = store.list_messages(channel_id, query.get("before"), limit)
    items = payloads.messages(store, rows, user["user_id"])
    return ok({"messages": items, "next_before": rows[-1]["message_id"] if rows else None})


def _editable(ctx: Ctx, user_id: str) -> tuple[Row, bool]:
    """The message of the path and whether the caller wrote it; 403/404 per REST.md §10.3."""
    guild_id, channel_id = ctx.params["guild_id"], ctx.params["channel_id"]
    authz = ctx.state.authz(guild_id)
    require_channel(authz, user_id, channel_id)
    row = ctx.state.store.message(channel_id, ctx.params["message_id"])
    if row is None or row["guild_id"] != guild_id:
        raise not_found()
    is_author = row["author_id"] == user_id
    if not is_author and not authz.has_channel_perm(user_id, channel_id, "delete_message"):
        raise forbidden()
    return row, is_author


async def patch_message(ctx: Ctx) -> web.Response:
    body = await ctx.json(MessagePatch)
    user = ctx.auth()
    uid = user["user_id"]
    guild_id, channel_id = ctx.params["guild_id"], ctx.params["channel_id"]
    ctx.ip_gate(guild_id, uid, "message.edit")
    if not 1 <= len(body.content.encode("utf-8")) <= MAX_CONTENT_BYTES:
        raise invalid_request()
    row, is_author = _editable(ctx, uid)
    store = ctx.state.store
    store.update_message(row["message_id"], body.content)
    if not is_author:
        store.audit(guild_id, uid, "message.edit.moderation", row["author_id"])
    now = now_unix()
    shown = row["content"] if ctx.state.faults.on("server.message_update_stale_content") else body.content
    ctx.state.emitter.channel(
        guild_id,
        channel_id,
        "message_update",
        {"channel_id": channel_id, "guild_id": guild_id, "message_id": row["message_id"], "updated_at_unix": now,
         "updated_fields": {"content": shown, "markdown_tokens": tokenize(shown)}},
    )
    # Postgres build quirk (REST.md §14.5): the edit response's created_at_unix is the edit time.
    return ok(payloads.message(store, store.message(channel_id, row["message_id"]), uid, created_at=now))


async def delete_message(ctx: Ctx) -> web.Response:
    user = ctx.auth()
    uid = user["user_id"]
    guild_id, channel_id = ctx.params["guild_id"], ctx.params["channel_id"]
    ctx.ip_gate(guild_id, uid, "message.delete")
    row, is_author = _editable(ctx, uid)
    store = ctx.state.store
    for attachment_id in store.delete_message(row["message_id"]):
        (ctx.state.files / "attachments" / attachment_id).unlink(missing_ok=True)
    if not is_author:
        store.audit(guild_id, uid, "message.delete.moderation", row["author_id"])
    ctx.state.emitter.channel(
        guild_id,
        channel_id,
        "message_delete",
        {"channel_id": channel_id, "deleted_at_unix": now_unix(), "guild_id": guild_id, "message_id": row["message_id"]},
    )
    return no_content()


def _reaction_target(ctx: Ctx) -> tuple[str, str, str, str, str]:
    user = ctx.auth()
    uid = user["user_id"]
    emoji = ctx.params["emoji"]
    if not 1 <= len(emoji) <= 32 or any(c.isspace() for c in emoji):
        raise invalid_request()
    guild_id, channel_id = ctx.params["guild_id"], ctx.params["channel_id"]
    ctx.ip_gate(guild_id, uid, "message.reaction")
    if not ctx.state.authz(guild_id).can_see_channel(uid, channel_id):
        raise forbidden()
    return uid, guild_id, channel_id, ctx.params["message_id"], emoji


def _emit_reaction(ctx: Ctx, uid: str, guild_id: str, channel_id: str, message_id: str, emoji: str, op: str, count: int) -> None:
    ctx.state.emitter.channel(
        guild_id,
        channel_id,
        "message_reaction",
        {"actor_user_id": uid, "channel_id": channel_id, "count": count, "emoji": emoji, "guild_id": guild_id,
         "message_id": message_id, "operation": op},
    )


async def add_reaction(ctx: Ctx) -> web.Response:
    uid, guild_id, channel_id, message_id, emoji = _reaction_target(ctx)
    store = ctx.state.store
    if store.message(channel_id, message_id) is None:
        raise not_found()
    store.add_reaction(message_id, emoji, uid)
    count = store.reaction_count(message_id, emoji)
    _emit_reaction(ctx, uid, guild_id, channel_id, message_id, emoji, "add", count)
    return ok(payloads.reaction(emoji, count, True))


async def remove_reaction(ctx: Ctx) -> web.Response:
    uid, guild_id, channel_id, message_id, emoji = _reaction_target(ctx)
    store = ctx.state.store
    # Postgres build: an unknown message is not an error here (200, count 0).
    store.remove_reaction(message_id, emoji, uid)
    count = store.reaction_count(message_id, emoji)
    _emit_reaction(ctx, uid, guild_id, channel_id, message_id, emoji, "remove", count)
    return ok(payloads.reaction(emoji, count, False))


def register(router: Router) -> None:
    base = "/guilds/{guild_id}/channels/{channel_id}/messages"
    router.add("POST", base, post_message)
    router.add("GET", base, list_messages)
    router.add("PATCH", base + "/{message_id}", patch_message)
    router.add("DELETE", base + "/{message_id}", delete_message)
    router.add("POST", base + "/{message_id}/reactions/{emoji}", add_reaction)
    router.add("DELETE", base + "/{message_id}/reactions/{emoji}", remove_reaction)
