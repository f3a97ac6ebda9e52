"""Voice (without LiveKit) and search (REST.md §11.1, §11.2).

* Voice token: LiveKit is never configured in the reference target, so after the documented checks
  the route answers 500 `internal_error`, exactly what Filament does without LiveKit keys.
* Voice leave/state: 204 with no effect (there are never voice participants).
* Search: a case-insensitive term match over message content of the guild instead of Tantivy,
  with the same gates and validation; relevance = number of matching terms, then newest first.
"""

from __future__ import annotations

import re

from aiohttp import web

from . import payloads
from .context import Ctx, no_content, ok
from .errors import FrameworkError, internal_error, invalid_request, rate_limited
from .guards import require_channel_perm, require_guild_perm
from .router import Router
from .schemas import VoiceState, VoiceToken


async def voice_token(ctx: Ctx) -> web.Response:
    await ctx.json(VoiceToken)
    user = ctx.auth()
    uid = user["user_id"]
    guild_id, channel_id = ctx.params["guild_id"], ctx.params["channel_id"]
    ctx.ip_gate(guild_id, uid, "voice.token")
    if not ctx.state.limiters.media_token.allow(f"{ctx.ip_key}:{uid}:{guild_id}:{channel_id}"):
        ctx.state.metrics.inc("filament_rate_limit_hits_total", "media_token", "token")
        raise rate_limited()
    require_channel_perm(ctx.state.authz(guild_id), uid, channel_id, "create_message")
    raise internal_error()  # LiveKit is not configured


async def voice_leave(ctx: Ctx) -> web.Response:
    user = ctx.auth()
    ctx.ip_gate(ctx.params["guild_id"], user["user_id"], "voice.leave")
    return no_content()


async def voice_state(ctx: Ctx) -> web.Response:
    body = await ctx.json(VoiceState)
    if body.is_muted is None and body.is_deafened is None:
        raise invalid_request()
    user = ctx.auth()
    ctx.ip_gate(ctx.params["guild_id"], user["user_id"], "voice.state")
    return no_content()


def _terms(q: str) -> list[re.Pattern[str]]:
    """Validate a search query (REST.md §11.2) and turn each term into a case-insensitive pattern."""
    text = q.strip()
    if not 1 <= len(text.encode("utf-8")) <= 256 or ":" in text:
        raise invalid_request()
    words = text.split()
    if len(words) > 20 or text.count("*") + text.count("?") > 4 or text.count("~") > 2:
        raise invalid_request()
    patterns = []
    for word in words:
        word = re.sub(r"~\d*$", "", word)  # fuzzy suffix: treated as an exact term
        body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in word)
        if body:
            patterns.append(re.compile(body, re.IGNORECASE))
    if not patterns:
        raise invalid_request()
    return patterns


async def search(ctx: Ctx) -> web.Response:
    query = ctx.query({"q": "str", "limit": "int", "channel_id": "str"}, strict=False)
    if "q" not in query:
        raise FrameworkError(400, "Failed to deserialize query string: missing field `q`")
    user = ctx.auth()
    guild_id = ctx.params["guild_id"]
    ctx.ip_gate(guild_id, user["user_id"], "search")
    require_guild_perm(ctx.state.authz(guild_id), user["user_id"], "create_message")
    patterns = _terms(query["q"])
    limit = query.get("limit", 20)
    if not 1 <= limit <= 50:
        raise invalid_request()
    store = ctx.state.store
    scored = []
    for row in store.guild_messages(guild_id, query.get("channel_id")):
        score = sum(1 for p in patterns if p.search(row["content"]))
        if score:
            scored.append((score, row))
    scored.sort(key=lambda item: (-item[0], _desc(item[1]["message_id"])))
    rows = [row for _, row in scored[:limit]]
    return ok({"message_ids": [r["message_id"] for r in rows], "messages": payloads.messages(store, rows, None)})


def _desc(text: str) -> tuple[int, ...]:
    return tuple(-ord(c) for c in text)


async def search_rebuild(ctx: Ctx) -> web.Response:
    user = ctx.auth()
    guild_id = ctx.params["guild_id"]
    ctx.ip_gate(guild_id, user["user_id"], "search.rebuild")
    require_guild_perm(ctx.state.authz(guild_id), user["user_id"], "manage_workspace_roles")
    return no_content()


async def search_reconcile(ctx: Ctx) -> web.Response:
    user = ctx.auth()
    guild_id = ctx.params["guild_id"]
    ctx.ip_gate(guild_id, user["user_id"], "search.reconcile")
    require_guild_perm(ctx.state.authz(guild_id), user["user_id"], "manage_workspace_roles")
    return ok({"upserted": 0, "deleted": 0})  # the term index reads the store directly: never stale


def register(router: Router) -> None:
    base = "/guilds/{guild_id}/channels/{channel_id}/voice"
    router.add("POST", base + "/token", voice_token)
    router.add("POST", base + "/leave", voice_leave)
    router.add("POST", base + "/state", voice_state)
    router.add("GET", "/guilds/{guild_id}/search", search)
    router.add("POST", "/guilds/{guild_id}/search/rebuild", search_rebuild)
    router.add("POST", "/guilds/{guild_id}/search/reconcile", search_reconcile)
