"""Item 7, mixed-version fallback (Filament's GATEWAY_EVENTS.md "Mixed-Version Fallback Behavior").

The target's own web client runs in Chromium behind a frame-injecting proxy, so the harness can show it
what a newer server would send:

1. an event type it does not know: it must ignore it and keep processing (a message sent next appears);
2. a malformed payload of a known type: rejected without a state change and without closing the socket;
3. an event it missed (dropped on its way, as for a client that does not understand it): its REST
   refresh (a reload) must reach the state the server holds.
"""
from __future__ import annotations

import asyncio
import secrets
import time
from typing import Any, Awaitable, Callable

from harness.clients.browser import BrowserClient, BrowserPool
from harness.clients.browser_view import normalise_text, read_view
from harness.errors import HarnessError
from harness.rollout.checklist import ItemResult, failed, passed, skipped
from harness.rollout.context import RolloutContext, RolloutUser
from harness.rollout.gateway_probe import envelope
from harness.targets.proxy import TamperingProxy, TamperRule

NUMBER, KEY, TITLE = 7, "mixed_version_fallback", "Mixed-version fallback"
FUTURE_EVENT = "rollout_future_event"
GUILD_NAME, CHANNEL_NAME = "rollout fallback", "fallback"
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def fake_ulid() -> str:
    return "01" + "".join(secrets.choice(CROCKFORD) for _ in range(24))


async def check_fallback(ctx: RolloutContext) -> ItemResult:
    if ctx.browsers is None:
        return skipped(NUMBER, KEY, TITLE, "needs a browser client (--browsers 1 or more) and a web client to open")
    if ctx.settings.web_url or ctx.target.web_url is None:
        return skipped(NUMBER, KEY, TITLE, "needs the web client served by the target itself (it is driven through "
                       "a proxy that injects frames; a web client served elsewhere cannot be pointed at it)")
    proxy = TamperingProxy(ctx.target)
    await proxy.start()
    owner = await ctx.new_user("fallback")
    client: BrowserClient | None = None
    try:
        pool: BrowserPool = await ctx.browsers.pool()
        client = BrowserClient("fallback", pool, proxy.web_url or proxy.rest_url, redactor=ctx.redactor)
        return await Fallback(ctx, proxy, owner, client).run()
    finally:
        if client is not None:
            await _quietly(client.close())
        await _quietly(owner.session.aclose())
        await _quietly(proxy.stop())


async def _quietly(work: Awaitable[Any]) -> None:
    try:
        await asyncio.wait_for(work, 10.0)
    except Exception:  # cleanup must not hide the verdict
        pass


class Fallback:
    def __init__(self, ctx: RolloutContext, proxy: TamperingProxy, owner: RolloutUser, client: BrowserClient) -> None:
        self.ctx, self.proxy, self.owner, self.client = ctx, proxy, owner, client
        self.evidence: list[str] = []
        self.wait_s = max(ctx.settings.deadline_s, 2.0) * 2
        self.gid = self.cid = ""

    async def run(self) -> ItemResult:
        first = await self._setup()
        problems = [*await self._unknown_event(), *await self._malformed_payload(first),
                    *await self._missed_event_refresh(first)]
        if problems:
            return failed(NUMBER, KEY, TITLE, problems[0], problems + self.evidence)
        return passed(NUMBER, KEY, TITLE, "the web client ignored an unknown event, rejected a malformed payload "
                      "without closing, and reached the server's state through its REST refresh", self.evidence)

    async def _setup(self) -> str:
        rest = self.owner.session
        self.gid = (await _ok(rest.post("/guilds", json={"name": GUILD_NAME}), "create the guild"))["guild_id"]
        channel = await _ok(rest.post(f"/guilds/{self.gid}/channels", json={"name": CHANNEL_NAME}), "create a channel")
        self.cid = channel["channel_id"]
        first = await self._post("before anything unusual")
        await self.client.start(self.owner.username, self.owner.password, login="session", trace=False)
        await self.client.select_workspace(GUILD_NAME, "private")
        await self.client.select_channel(CHANNEL_NAME)
        if not await self._until(lambda m: first in m):
            raise HarnessError("fallback: the web client never showed the channel's first message")
        return first

    async def _unknown_event(self) -> list[str]:
        reached = self.proxy.inject(envelope(FUTURE_EVENT, {"guild_id": self.gid, "note": "not known to this client"}),
                                    user_id=self.client.user_id)
        text = "after an unknown event"
        after = await self._post(text)
        shown = await self._until(lambda m: after in m)
        self.evidence.append(f"unknown event {FUTURE_EVENT!r} injected on {reached} connection(s); the next "
                             f"message_create {'appeared' if shown else 'did NOT appear'} on the page")
        if not shown:
            return [f"the client stopped processing after an unknown event type ({FUTURE_EVENT}): the message sent "
                    f"next never reached the page within {self.wait_s:g} s"]
        return []

    async def _malformed_payload(self, first: str) -> list[str]:
        socket = self.client.current_socket
        bad_id = fake_ulid()
        payload = {"attachments": [], "author_id": self.client.user_id, "channel_id": self.cid, "content": 12345,
                   "created_at_unix": int(time.time()), "guild_id": self.gid, "markdown_tokens": [],
                   "message_id": bad_id, "reactions": []}
        self.proxy.inject(envelope("message_create", payload), user_id=self.client.user_id)
        after = await self._post("after a malformed payload")
        shown = await self._until(lambda m: after in m)
        messages = (await read_view(self.client)).messages or {}
        kept = socket is not None and socket.closed is None and self.client.current_socket is socket
        self.evidence.append(f"malformed message_create injected: {'SHOWN' if bad_id in messages else 'not shown'}, "
                             f"socket {'kept open' if kept else 'CLOSED or replaced'}")
        problems = []
        if bad_id in messages:
            problems.append("a malformed message_create (content is a number) changed the page's state")
        if not kept:
            problems.append("the client closed or replaced its gateway socket after a malformed payload")
        if not shown:
            problems.append("after a malformed payload the next message_create never reached the page")
        return problems

    async def _missed_event_refresh(self, first: str) -> list[str]:
        self.proxy.add_rule(TamperRule.drop("message_update", user_id=self.client.user_id))
        edited = "edited while the client could not follow"
        await _ok(self.owner.session.patch(f"/guilds/{self.gid}/channels/{self.cid}/messages/{first}",
                                           json={"content": edited}), "edit the first message")
        await asyncio.sleep(0.3)
        missed = (await read_view(self.client)).messages or {}
        self.proxy.clear_rules()
        self.evidence.append(f"message_update withheld from the page; it shows {missed.get(first)!r} before refreshing")
        await self.client.page.reload()
        await self.client.select_workspace(GUILD_NAME, "private")
        await self.client.select_channel(CHANNEL_NAME)
        refreshed = await self._until(lambda m: m.get(first) == normalise_text(edited))
        now = ((await read_view(self.client)).messages or {}).get(first)
        self.evidence.append(f"after its REST refresh the page shows {now!r}")
        if not refreshed:
            return [f"after its REST refresh the page shows {now!r} for the edited message, the server holds {edited!r}"]
        return []

    async def _post(self, text: str) -> str:
        body = await _ok(self.owner.session.post(f"/guilds/{self.gid}/channels/{self.cid}/messages",
                                                 json={"content": text}), "post a message")
        return body["message_id"]

    async def _until(self, predicate: Callable[[dict[str, str]], bool]) -> bool:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.wait_s
        while True:
            messages = (await read_view(self.client)).messages or {}
            if predicate(messages):
                return True
            if loop.time() >= deadline:
                return False
            await asyncio.sleep(0.1)


async def _ok(call: Awaitable[tuple[int, Any]], what: str) -> Any:
    status, body = await call
    if status != 200:
        raise HarnessError(f"fallback: cannot {what}: HTTP {status}")
    return body
