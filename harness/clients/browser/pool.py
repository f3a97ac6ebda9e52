"""The shared browser: one Playwright and one Chromium per run, one browser context per client.

Chromium is launched only through :func:`harness.clients.chromium.launch_chromium`, and every close here
is bounded (:data:`CLOSE_TIMEOUT`) and quiet, so clean-up also finishes when the run failed, hung or was
interrupted.
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from playwright.async_api import async_playwright

from harness.clients.browser.errors import BrowserClientError
from harness.clients.chromium import launch_chromium

__all__ = ["BrowserPool", "CLOSE_TIMEOUT"]

log = logging.getLogger(__name__)


class BrowserPool:
    """One Chromium for the whole run; one context per client. Use ``async with BrowserPool() as pool``."""

    def __init__(self, *, launch: Callable[[Any], Any] = launch_chromium) -> None:
        self._launch = launch
        self._playwright: Any = None
        self.browser: Any = None
        self._contexts: list[Any] = []

    async def start(self) -> "BrowserPool":
        """Start Playwright and launch Chromium; raises ``BrowserUnavailable`` when none can start."""
        if self.browser is not None:
            return self
        self._playwright = await async_playwright().start()
        try:
            self.browser = await self._launch(self._playwright)
        except BaseException:
            await self._stop_playwright()
            raise
        return self

    async def new_context(self, **options: Any) -> Any:
        if self.browser is None:
            raise BrowserClientError("the browser pool is not started (await pool.start() first)")
        context = await self.browser.new_context(**options)
        self._contexts.append(context)
        return context

    async def release(self, context: Any) -> None:
        """Close one client's context (idempotent)."""
        if context in self._contexts:
            self._contexts.remove(context)
        await _quietly(context.close())

    async def close(self) -> None:
        """Close every context, the browser and Playwright. Safe to call twice and after failures."""
        for context in list(self._contexts):
            await self.release(context)
        if self.browser is not None:
            await _quietly(self.browser.close())
            self.browser = None
        await self._stop_playwright()

    async def _stop_playwright(self) -> None:
        if self._playwright is not None:
            await _quietly(self._playwright.stop())
            self._playwright = None

    async def __aenter__(self) -> "BrowserPool":
        return await self.start()

    async def __aexit__(self, *exc: object) -> None:
        # Shielded: a Ctrl-C that cancelled the run must not also cancel the clean-up.
        await asyncio.shield(self.close())


CLOSE_TIMEOUT = 10.0
"""Seconds one close (a context, the browser, Playwright) may take before it is given up on."""


async def _quietly(awaitable: Any) -> None:
    """Await one close, bounded by :data:`CLOSE_TIMEOUT`; a failure is logged, never raised."""
    try:
        await asyncio.wait_for(awaitable, CLOSE_TIMEOUT)
    except Exception as exc:  # closing something already gone (or hung) is not an error worth raising
        log.debug("ignored while closing: %r", exc)
