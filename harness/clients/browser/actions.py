"""DOM actions: what a browser client reads and does through the page, by accessible names.

Elements are named in the client's selector profile (:mod:`harness.clients.selectors`) and located
through it, so one action works across client versions. :class:`DomActions`, a mixin of
:class:`~harness.clients.browser.BrowserClient`, holds navigation (workspace and channel), settings
panels, the mutations performed through the UI (each returning the page's own REST response), and
the bounded waits they are built on. A wait that expires raises :class:`BrowserTimeout` quoting what
the page showed instead (an accessibility snapshot, at most :data:`SEEN_LIMIT` characters).
"""
from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from playwright.async_api import Error as PlaywrightError
from playwright.async_api import TimeoutError as PlaywrightTimeoutError

from harness.clients.browser.errors import (
    ActionBlocked, BrowserClientError, BrowserTimeout, FeatureAbsent, PanelNotOpened,
)
from harness.clients.browser.pool import _quietly
from harness.clients.selectors import SelectorProfile

if TYPE_CHECKING:
    from harness.clients.browser.frames import BrowserSocket

__all__ = ["DomActions", "SEEN_LIMIT"]

SEEN_LIMIT = 1500
"""Characters of accessibility snapshot quoted in an error ("what the page showed")."""


class DomActions:
    """The DOM half of a browser client (mixed into ``BrowserClient``).

    The host sets ``label``, ``profile``, ``page`` and ``timeout``; navigation waits for the new
    socket through the host's recording (``sockets``, ``wait_live``).
    """

    # Provided by the host client (annotations only: nothing here shadows the host's attributes).
    label: str
    profile: SelectorProfile
    page: Any
    timeout: float
    sockets: list[BrowserSocket]

    if TYPE_CHECKING:  # provided by FrameRecording; a real stub here would shadow it in the MRO
        async def wait_live(self, timeout: float | None = None, *, after: int = 0,
                            subscribed: bool = True) -> BrowserSocket: ...

    # ------------------------------------------------------------------------------- locating
    def locate(self, element: str, *, root: Any = None, **params: Any) -> Any:
        """``profile.locate(root or page, element, **params)``."""
        return self.profile.locate(root if root is not None else self.page, element, **params)

    # ------------------------------------------------------------------------------- reading the page
    async def is_live(self) -> bool:
        """Whether the badge shows ``Live`` right now (no waiting; see ``wait_live`` for that)."""
        badge = self.locate("live_badge")
        return await badge.count() > 0 and (await badge.first.inner_text()).strip() == "Live"

    async def active_workspace_name(self) -> str | None:
        title = self.locate("workspace_menu_title")
        return (await title.first.inner_text()).strip() if await title.count() else None

    async def active_channel_name(self) -> str | None:
        title = self.locate("channel_title")
        text = (await title.first.inner_text()).strip() if await title.count() else ""
        # Clients before 2026-02-13 title a text channel "#general" (and "#no-channel"); later ones "general".
        text = text.removeprefix("#")
        return None if text in ("", "no-channel") else text

    # ------------------------------------------------------------------------------- navigation
    async def select_workspace(self, name: str, visibility: str, *, live: bool = True) -> None:
        """Click the rail button titled ``<name> (<visibility>)``; wait for it to become active (and live)."""
        if await self.active_workspace_name() == name:
            return
        before = len(self.sockets)
        await self.click("workspace_rail_button", name=name, visibility=visibility)
        await self._wait_text("workspace_menu_title", name)
        if live:
            await self.wait_live(after=before)

    async def select_channel(self, name: str, *, live: bool = True) -> None:
        """Click the text channel ``#<name>``; wait for it to become active (and for its new socket)."""
        if await self.active_channel_name() == name:
            return
        before = len(self.sockets)
        await self.click("channel_button", name=name)
        await self._wait_text("channel_title", name)
        if live:
            await self.wait_live(after=before)

    # ------------------------------------------------------------------------------- panels
    async def open_panel(self, panel: str, timeout: float | None = None) -> Any:
        """Open a settings panel along the profile's path; returns the dialog locator.

        Raises :class:`BrowserTimeout` naming the first opener that is missing, or
        :class:`PanelNotOpened` when the expected dialog does not appear.
        """
        spec = self.profile.panel(panel)
        if spec is None:
            raise BrowserClientError(f"{self.label}: profile {self.profile.name!r} has no {panel} panel")
        timeout = self.timeout if timeout is None else timeout
        for element in spec.open:
            await self.click(element, timeout=timeout)
        dialog = self.locate(spec.dialog)
        try:
            await dialog.wait_for(state="visible", timeout=timeout * 1000)
        except PlaywrightTimeoutError:
            dialogs = await self.open_dialogs()
            raise PanelNotOpened(
                f"{self.label}: {spec.open[-1]} was clicked but {spec.dialog} "
                f"({self.profile.describe(spec.dialog)}) did not appear within {timeout:g}s; open dialogs: {dialogs}",
                element=spec.dialog, locator=self.profile.describe(spec.dialog), open_dialogs=dialogs) from None
        return dialog

    async def close_panel(self, panel: str, *, how: str = "close", timeout: float | None = None) -> None:
        """Close an open panel with its ``Close`` button (``how="close"``) or the Escape key."""
        spec = self.profile.panel(panel)
        if spec is None:
            raise BrowserClientError(f"{self.label}: profile {self.profile.name!r} has no {panel} panel")
        timeout = self.timeout if timeout is None else timeout
        dialog = self.locate(spec.dialog)
        if how == "escape":
            await self.page.keyboard.press("Escape")
        else:
            await self.click("dialog_close", root=dialog, timeout=timeout)
        try:
            await dialog.wait_for(state="hidden", timeout=timeout * 1000)
        except PlaywrightTimeoutError:
            raise BrowserTimeout(f"{self.label}: {spec.dialog} still open {timeout:g}s after "
                                 f"{'Escape' if how == 'escape' else 'Close'}", element=spec.dialog,
                                 locator=self.profile.describe(spec.dialog)) from None

    async def opener_text(self, panel: str, timeout: float | None = None) -> str:
        """The visible text of the panel's last opener (e.g. the menu item), read without choosing it:
        the path before it is clicked, the text read, then Escape closes the menu again."""
        spec = self.profile.panel(panel)
        if spec is None:
            raise BrowserClientError(f"{self.label}: profile {self.profile.name!r} has no {panel} panel")
        timeout = self.timeout if timeout is None else timeout
        for element in spec.open[:-1]:
            await self.click(element, timeout=timeout)
        last = self.locate(spec.open[-1])
        try:
            await self.wait_visible(spec.open[-1], timeout)
            return " ".join((await last.first.inner_text()).split())
        finally:
            if spec.open[:-1]:
                await self.page.keyboard.press("Escape")

    async def open_dialogs(self) -> list[str]:
        """Accessible names (aria-label) of every dialog in the page."""
        return await self.locate("any_dialog").evaluate_all(
            "els => els.map(e => e.getAttribute('aria-label') || e.textContent.trim().slice(0, 40))")

    # ------------------------------------------------------------------------------- UI mutations
    async def rename_workspace(self, name: str, visibility: str) -> tuple[int, Any]:
        """Rename the active workspace through ``Workspace settings``; returns the PATCH's (status, body)."""
        spec = self.profile.panel("workspace_settings")
        if spec is None:
            raise FeatureAbsent(f"{self.label}: profile {self.profile.name!r} has no workspace settings panel "
                                "(that client version cannot rename a workspace)")
        dialog = await self.open_panel("workspace_settings")
        try:
            save = self.locate("workspace_save_button", root=dialog)
            name_input = self.locate("workspace_name_input", root=dialog)
            await self.wait_visible("workspace_save_button", self.timeout, root=dialog)
            if not (await name_input.is_enabled() and await save.is_enabled()):
                raise ActionBlocked(f"{self.label}: the workspace settings form is disabled "
                                    "(no role-management permission); nothing was sent")
            await self._do("filling workspace_name_input", name_input.fill(name))
            await self._do("choosing the visibility",
                           self.locate("workspace_visibility_select", root=dialog).select_option(visibility))
            return await self._expect_rest("PATCH", r"/guilds/[^/]+", save.click)
        finally:
            await _quietly(self.close_panel("workspace_settings"))

    async def send_message(self, text: str) -> tuple[int, Any]:
        """Type into the composer of the active channel and press Enter; returns the POST's (status, body)."""
        channel = await self.active_channel_name()
        if channel is None:
            raise ActionBlocked(f"{self.label}: no active channel to send to")
        composer = self.locate("composer", channel=channel)
        await self.wait_visible("composer", self.timeout, channel=channel)
        await self._do("typing into the composer", composer.fill(text))
        return await self._expect_rest("POST", r"/guilds/[^/]+/channels/[^/]+/messages",
                                       lambda: self._do("pressing Enter in the composer", composer.press("Enter")))

    async def edit_message(self, message_id: str, text: str) -> tuple[int, Any]:
        """Edit a message of the active channel through its row; returns the PATCH's (status, body)."""
        row = await self._hovered_row(message_id)
        await self.click("message_edit_button", root=row)
        await self.wait_visible("message_edit_input", self.timeout, root=row)
        await self._do("typing the edit", self.locate("message_edit_input", root=row).fill(text))
        return await self._expect_rest("PATCH", rf"/messages/{re.escape(message_id)}",
                                       lambda: self.click("message_edit_save", root=row))

    async def delete_message(self, message_id: str) -> tuple[int, Any]:
        """Delete a message through its row (no confirmation); returns the DELETE's (status, body)."""
        row = await self._hovered_row(message_id)
        return await self._expect_rest("DELETE", rf"/messages/{re.escape(message_id)}",
                                       lambda: self.click("message_delete_button", root=row))

    async def _hovered_row(self, message_id: str) -> Any:
        row = self.locate("message_row", message_id=message_id)
        await self.wait_visible("message_row", self.timeout, message_id=message_id)
        # The hover bar is inert until the row is hovered (WEB_UI.md §2).
        await self._do(f"hovering message {message_id}", row.hover())
        return row

    async def _do(self, what: str, action: Awaitable[Any]) -> Any:
        """Await one Playwright action, turning its errors into this module's (with the label)."""
        try:
            return await action
        except PlaywrightTimeoutError as exc:
            raise BrowserTimeout(f"{self.label}: {what} timed out: {str(exc).splitlines()[0]}") from None
        except PlaywrightError as exc:
            raise BrowserClientError(f"{self.label}: {what} failed: {str(exc).splitlines()[0]}") from None

    async def _expect_rest(self, method: str, path_pattern: str, trigger: Callable[[], Any]) -> tuple[int, Any]:
        """Run ``trigger`` and capture the page's own ``method`` request whose path ends with the pattern."""
        pattern = re.compile(path_pattern + "$")

        def matches(response: Any) -> bool:
            return response.request.method == method and bool(pattern.search(urlsplit(response.url).path))

        try:
            async with self.page.expect_response(matches, timeout=self.timeout * 1000) as info:
                await trigger()
            response = await info.value
        except PlaywrightTimeoutError:
            alerts = await self._texts(self.page.get_by_role("alert"))
            raise BrowserTimeout(f"{self.label}: the page sent no {method} …{path_pattern} within "
                                 f"{self.timeout:g}s; alerts {alerts}", seen=f"alerts: {alerts}") from None
        return response.status, await _response_body(response)

    # ------------------------------------------------------------------------------- small waits
    async def wait_visible(self, element: str, timeout: float, *, root: Any = None, **params: Any) -> None:
        """Wait (bounded) for the first match of ``element`` to be visible; else :class:`BrowserTimeout`
        with the accessibility snapshot of its closest container as what was seen instead."""
        locator = self.locate(element, root=root, **params)
        try:
            await locator.first.wait_for(state="visible", timeout=timeout * 1000)
        except PlaywrightTimeoutError:
            seen = await self.seen_near(element, **params)
            raise BrowserTimeout(
                f"{self.label}: {element} ({self.profile.describe(element, **params)}) not visible within "
                f"{timeout:g}s; the page showed: {seen}",
                element=element, locator=self.profile.describe(element, **params), seen=seen) from None

    async def click(self, element: str, *, root: Any = None, timeout: float | None = None, **params: Any) -> None:
        """Wait for ``element`` to be visible, then click it (both bounded)."""
        timeout = self.timeout if timeout is None else timeout
        await self.wait_visible(element, timeout, root=root, **params)
        try:
            await self.locate(element, root=root, **params).click(timeout=timeout * 1000)
        except PlaywrightError as exc:
            raise BrowserClientError(f"{self.label}: clicking {element} "
                                     f"({self.profile.describe(element, **params)}) failed: "
                                     f"{str(exc).splitlines()[0]}") from None

    async def _wait_text(self, element: str, text: str, **params: Any) -> None:
        locator = self.locate(element, **params)

        async def current() -> str:
            return (await locator.first.inner_text()).strip() if await locator.count() else "(absent)"

        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.timeout
        while (seen := await current()) != text:
            if loop.time() >= deadline:
                raise BrowserTimeout(f"{self.label}: {element} shows {seen!r}, expected {text!r} after "
                                     f"{self.timeout:g}s", element=element,
                                     locator=self.profile.describe(element, **params), seen=seen)
            await asyncio.sleep(0.05)

    async def seen_near(self, element: str, **params: Any) -> str:
        """What the page shows where ``element`` was expected: the accessibility snapshot of its
        closest existing container (``within`` chain), else of the page body."""
        spec = self.profile.spec_or_none(element)
        container = spec.within if spec else None
        while container is not None:
            locator = self.locate(container, **params)
            if await locator.count():
                return f"{container}: " + await _snapshot(locator.first)
            parent = self.profile.spec_or_none(container)
            container = parent.within if parent else None
        return "page: " + await _snapshot(self.page.locator("body"))

    async def _texts(self, locator: Any) -> list[str]:
        try:
            return [t.strip() for t in await locator.all_inner_texts() if t.strip()]
        except PlaywrightError:
            return []


async def _response_body(response: Any) -> Any:
    """A response's body as JSON, else as text; ``None`` when empty or no longer readable."""
    try:
        text = await response.text()
    except PlaywrightError:
        return None
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError:
        return text


async def _snapshot(locator: Any) -> str:
    """The accessibility snapshot of ``locator``, capped at :data:`SEEN_LIMIT`. It is only ever quoted
    inside another error, so failing to take it is described rather than raised."""
    try:
        text = await locator.aria_snapshot(timeout=1000)
    except PlaywrightError as exc:
        return f"(no snapshot: {str(exc).splitlines()[0]})"
    return text if len(text) <= SEEN_LIMIT else text[:SEEN_LIMIT] + " …"
