"""Browser clients on a browser that runs elsewhere: Playwright's ``connect`` / ``connect_over_cdp``.

``--browser-endpoint`` names the remote browser:

* ``ws://host:port/...`` (or ``wss://``): a Playwright browser server (``npx playwright run-server``,
  or ``browserType.launchServer()``), attached with ``chromium.connect``;
* ``http://host:port`` (or ``https://``): a Chromium started with ``--remote-debugging-port``,
  attached over the DevTools protocol with ``chromium.connect_over_cdp``.

The harness then only opens contexts and pages on it; closing the run closes its contexts, not the
remote browser's process (someone else started it). The pages load the web client from ``--web-url``,
which must be reachable *from the machine the browser runs on*.
"""
from __future__ import annotations

from typing import Any, Awaitable, Callable

from harness.errors import BrowserUnavailable

CONNECT_TIMEOUT_MS = 15_000


def remote_launcher(endpoint: str) -> Callable[[Any], Awaitable[Any]]:
    """A ``launch`` for :class:`BrowserPool` that attaches to the browser at ``endpoint``."""
    if not endpoint.startswith(("ws://", "wss://", "http://", "https://")):
        raise BrowserUnavailable(f"--browser-endpoint {endpoint!r}: expected ws://… (a Playwright browser server) "
                                 "or http://… (a Chromium DevTools endpoint)")

    async def connect(playwright: Any) -> Any:
        try:
            if endpoint.startswith(("ws://", "wss://")):
                return await playwright.chromium.connect(endpoint, timeout=CONNECT_TIMEOUT_MS)
            return await playwright.chromium.connect_over_cdp(endpoint, timeout=CONNECT_TIMEOUT_MS)
        except Exception as exc:  # Playwright's own Error type; keep its first line
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise BrowserUnavailable(f"cannot attach to the remote browser at {endpoint}: {first}") from exc

    return connect
