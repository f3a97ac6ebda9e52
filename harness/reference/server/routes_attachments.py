"""Attachment upload, download and delete (REST.md §10.6). Files live under `<root>/attachments/`."""

from __future__ import annotations

import hashlib

from aiohttp import web

from . import payloads
from .context import Ctx, no_content, ok, stored_file
from .errors import forbidden, invalid_request, not_found, payload_too_large, quota_exceeded
from .guards import legacy_has, require_access, require_channel_perm
from .ids import new_ulid, now_unix
from .router import Router
from .sniff import mime_essence, sniff


def _valid_filename(name: str) -> bool:
    return 1 <= len(name.encode("utf-8")) <= 128 and not any(c in name for c in "/\\\x00")


async def upload(ctx: Ctx) -> web.Response:
    query = ctx.query({"filename": "str"}, strict=True)
    user = ctx.auth()
    uid = user["user_id"]
    filename = query.get("filename", "upload.bin")
    if not _valid_filename(filename):
        raise invalid_request()
    guild_id, channel_id = ctx.params["guild_id"], ctx.params["channel_id"]
    ctx.ip_gate(guild_id, uid, "attachment.upload")
    require_channel_perm(ctx.state.authz(guild_id), uid, channel_id, "create_message")
    declared = ctx.request.headers.get("Content-Type")
    essence = mime_essence(declared) if declared is not None else None
    if declared is not None and essence is None:
        raise invalid_request()
    config, store = ctx.state.config, ctx.state.store
    used = store.user_attachment_bytes(uid)
    if used >= config.user_attachment_quota_bytes:
        raise quota_exceeded()
    remaining = config.user_attachment_quota_bytes - used
    data = await ctx.read_body(min(config.attachment_max_bytes, remaining))
    if data is None:
        # Over the per-file cap -> 413; within it but over the remaining quota -> 409.
        if remaining < config.attachment_max_bytes:
            raise quota_exceeded()
        raise payload_too_large()
    if not data:
        raise invalid_request()
    detected = sniff(data)
    if detected is None or (essence is not None and essence != detected):
        raise invalid_request()
    attachment_id = new_ulid()
    (ctx.state.files / "attachments" / attachment_id).write_bytes(data)
    row = {
        "attachment_id": attachment_id,
        "guild_id": guild_id,
        "channel_id": channel_id,
        "owner_id": uid,
        "filename": filename,
        "mime_type": detected,
        "size_bytes": len(data),
        "sha256_hex": hashlib.sha256(data).hexdigest(),
        "created_at": now_unix(),
    }
    store.create_attachment(row)
    return ok(payloads.attachment(row))


async def download(ctx: Ctx) -> web.StreamResponse:
    user = ctx.auth()
    guild_id, channel_id = ctx.params["guild_id"], ctx.params["channel_id"]
    ctx.ip_gate(guild_id, user["user_id"], "attachment.download")
    require_channel_perm(ctx.state.authz(guild_id), user["user_id"], channel_id, "create_message")
    row = ctx.state.store.attachment(guild_id, channel_id, ctx.params["attachment_id"])
    if row is None:
        raise not_found()
    return stored_file(ctx.state.files / "attachments" / row["attachment_id"], row["mime_type"], "private, no-store")


async def delete(ctx: Ctx) -> web.Response:
    user = ctx.auth()
    uid = user["user_id"]
    guild_id, channel_id = ctx.params["guild_id"], ctx.params["channel_id"]
    ctx.ip_gate(guild_id, uid, "attachment.delete")
    authz = ctx.state.authz(guild_id)
    require_access(authz, uid)
    store = ctx.state.store
    row = store.attachment(guild_id, channel_id, ctx.params["attachment_id"])
    if row is None:
        raise not_found()
    if row["owner_id"] != uid and not legacy_has(authz.label(uid), "delete_message"):
        raise forbidden()
    store.delete_attachment(row["attachment_id"])
    (ctx.state.files / "attachments" / row["attachment_id"]).unlink(missing_ok=True)
    return no_content()


def register(router: Router) -> None:
    base = "/guilds/{guild_id}/channels/{channel_id}/attachments"
    router.add("POST", base, upload)
    router.add("GET", base + "/{attachment_id}", download)
    router.add("DELETE", base + "/{attachment_id}", delete)
