"""Browser clients as observers of a scenario, on the same footing as simulated ones.

Every socket the page opens is recorded like a simulated connection, and what the page sends and
receives is fed to the model as it happens (the page opens its socket and sends its own ``subscribe``
frames), so the delivery, contract and redaction checks apply unchanged. Convergence for a browser
is the DOM (read through the selector profile) against the model's projection for that user.
"""
from __future__ import annotations

import asyncio
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from harness.checks.types import CheckFailure
from harness.clients.browser import BrowserClient, BrowserSocket, SentFrame
from harness.clients.browser_view import compare_views, expected_view, read_friends, read_view
from harness.history import ConnectionClosed, ReceivedFrame
from harness.model.mutations import Mutation, RestResult
from harness.model.views import Scope
from harness.engine.scenario import ClientSpec
from harness.engine.recorder import PAGE_EVENT_SLACK_S  # defined where backdating is
from harness.engine.session_api import SessionApi

UI_ROWS = ("workspace.update", "message.create", "message.edit", "message.delete")
"""Mutations a browser client can perform through its UI (``via`` in a step)."""



@dataclass
class BrowserObserver:
    spec: ClientSpec
    client: BrowserClient
    session: SessionApi
    active: tuple[str, str] | None = None
    """(guild id, channel id) of the page's active channel: its first text subscribe per socket."""
    _subscribed_on: set[str] = field(default_factory=set)

    def attach(self) -> None:
        """Page events reach the model in their order, after any mutation in flight
        (harness.engine.page_event_order)."""
        order = self.session.page_events
        self.client.on_socket(lambda socket: order.page_event(self._socket_opened, socket))
        self.client.on_sent(lambda sent: order.page_event(self._sent, sent))
        self.client.on_frame(lambda frame: order.page_event(self._received, frame))
        self.client.on_close(lambda closed: order.page_event(self._closed, closed))

    @property
    def connections(self) -> list[str]:
        return self.client.connection_ids

    @property
    def current(self) -> BrowserSocket | None:
        socket = self.client.current_socket
        return socket if socket is not None and socket.closed is None else None

    # ---- page events → history and model ----------------------------------------------------------

    def _socket_opened(self, socket: BrowserSocket, *, lag: float = 0.0) -> None:
        recorder, model = self.session.recorder, self.session.model
        earlier = self.client.sockets[:self.client.sockets.index(socket)]  # not those opened since (events wait)
        for previous in earlier:
            if previous.closed is None:
                # The web client keeps one socket: a new one means it is closing the previous one,
                # and the server may see the two in either order (docs/browser-clients.md).
                closing = recorder.begin("disconnect", "page_switch", self.spec.label, conn=previous.conn, backdate_s=PAGE_EVENT_SLACK_S + lag)
                recorder.expect(model.connection_closing(closing.step, previous.conn))
                recorder.finish(closing, "ok")
        action = recorder.begin("connect", "gateway", self.spec.label, conn=socket.conn, by="page", backdate_s=PAGE_EVENT_SLACK_S + lag)
        recorder.add_connection(socket.conn, self.spec.label, socket)
        self.session.evaluator.set_profile(socket.conn, self.session.protocol_profile(self.spec))
        recorder.expect(model.connection_opened(action.step, socket.conn, self.spec.user))
        recorder.finish(action, "ok")

    def _sent(self, sent: SentFrame, *, lag: float = 0.0) -> None:
        if sent.event_type != "subscribe" or not isinstance(sent.data, dict):
            return
        guild_id, channel_id = sent.data.get("guild_id"), sent.data.get("channel_id")
        world = self.session.model.world
        guild, channel = world.alias_of("guild", guild_id), world.alias_of("channel", channel_id)
        recorder = self.session.recorder
        action = recorder.begin("subscribe", f"{guild or guild_id}/{channel or channel_id}", self.spec.label,
                                conn=sent.conn, by="page", backdate_s=PAGE_EVENT_SLACK_S + lag)
        if guild is not None and channel is not None:
            recorder.expect(self.session.model.subscribe_requested(action.step, sent.conn, guild, channel))
            if sent.conn not in self._subscribed_on and world.channel(channel).kind == "text":
                self._subscribed_on.add(sent.conn)
                self.active = (guild_id, channel_id)
        recorder.finish(action, "ok")

    def _received(self, frame: ReceivedFrame, *, lag: float = 0.0) -> None:
        if frame.event_type == "subscribed" and isinstance(frame.data, dict):
            self.session.model.subscription_acked(frame.conn, frame.data.get("guild_id"), frame.data.get("channel_id"))

    def _closed(self, closed: ConnectionClosed, *, lag: float = 0.0) -> None:
        recorder = self.session.recorder
        action = recorder.begin("disconnect", "page_closed" if closed.by == "harness" else "server_closed",
                                self.spec.label, conn=closed.conn, backdate_s=PAGE_EVENT_SLACK_S + lag)
        recorder.expect(self.session.model.connection_closed(action.step, closed.conn, by=closed.by))
        recorder.finish(action, "ok")

    # ---- convergence ------------------------------------------------------------------------------

    async def converged(self, step: int | None) -> list[CheckFailure]:
        """The DOM against the model's projection for this user (no REST read: the page is the client)."""
        socket = self.current
        model = self.session.model
        if socket is None:
            scope_view = model.projection(self.spec.user, Scope())
            expected = expected_view(scope_view, active_guild_id=None, active_channel_id=None, live=None,
                                     compare_friends=False)
        else:
            projection = model.projection(self.spec.user, model.live_scope(socket.conn))
            guild_id, channel_id = self.active or (None, None)
            expected = expected_view(projection, active_guild_id=guild_id, active_channel_id=channel_id,
                                     compare_friends=self.compare_friends)
        observed = await read_view(self.client)
        if self.compare_friends and socket is not None:
            observed = replace(observed, friends=await read_friends(self.client))
        return compare_views(self.spec.label, observed, expected, step)

    @property
    def compare_friends(self) -> bool:
        """Friend lists are read by opening the friendships panel, so only where a scenario needs them."""
        return any(row.startswith("friend.") for row in self.session.spec.rows)

    # ---- UI-performed mutations -------------------------------------------------------------------

    async def perform(self, mutation: Mutation) -> RestResult:
        """Do ``mutation`` through the page and return the REST answer the page received."""
        world = self.session.model.world
        row = mutation.row
        if row == "workspace.update":
            guild = world.guild(mutation.guild)  # type: ignore[attr-defined]
            name = mutation.name if mutation.name is not None else guild.name  # type: ignore[attr-defined]
            visibility = mutation.visibility or guild.visibility  # type: ignore[attr-defined]
            status, body = await self.client.rename_workspace(name, visibility)
        elif row == "message.create":
            status, body = await self.client.send_message(mutation.content)  # type: ignore[attr-defined]
        elif row == "message.edit":
            status, body = await self.client.edit_message(world.message_id(mutation.message),  # type: ignore[attr-defined]
                                                          mutation.content)  # type: ignore[attr-defined]
        elif row == "message.delete":
            status, body = await self.client.delete_message(world.message_id(mutation.message))  # type: ignore[attr-defined]
        else:
            raise ValueError(f"{row} cannot be performed through the web client; use one of {', '.join(UI_ROWS)}")
        return RestResult(status, body, {})

    async def save_artefacts(self, directory: Path) -> list[tuple[str, Path]]:
        paths = await self.client.save_failure_artefacts(directory)
        return [("trace" if p.suffix == ".zip" else "screenshot", p) for p in paths]


class LazyBrowsers:
    """One browser per run, launched only when the first browser client is needed, closed by ``close``.
    ``for_target`` shares that browser with runs against other targets (the selftest's faulty ones)."""

    def __init__(self, max_clients: int, web_url: str, *, shared: "LazyBrowsers | None" = None,
                 endpoint: str | None = None) -> None:
        self.max_clients = max_clients
        self.web_url = web_url
        self._shared = shared
        self.endpoint = endpoint
        """A remote browser to attach to (harness.clients.browser.remote) instead of launching one."""
        self._pool: Any = None
        self._starting = asyncio.Lock()

    def for_target(self, web_url: str) -> "LazyBrowsers":
        return LazyBrowsers(self.max_clients, web_url, shared=self)

    async def pool(self) -> Any:
        if self._shared is not None:
            return await self._shared.pool()
        async with self._starting:  # concurrent runs must not launch two browsers
            return await self._launch()

    async def _launch(self) -> Any:
        if self._pool is None:
            from harness.clients.browser import BrowserPool
            from harness.clients.browser.remote import remote_launcher

            pool = BrowserPool(launch=remote_launcher(self.endpoint)) if self.endpoint else BrowserPool()
            self._pool = await pool.start()
        return self._pool

    async def close(self) -> None:
        if self._pool is not None:
            pool, self._pool = self._pool, None
            await pool.close()
