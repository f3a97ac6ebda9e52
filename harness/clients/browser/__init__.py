"""Browser clients: the web client in Chromium, driven through a selector profile (docs/browser-clients.md).

* :class:`BrowserPool` (``pool.py``) — one Playwright instance and **one Chromium per run** (launched
  only through :func:`harness.clients.chromium.launch_chromium`); it hands out one browser context per
  client and closes everything, also when the run fails or is interrupted (``async with`` /
  ``close()`` in a ``finally``; a cancelled task still runs it).
* :class:`BrowserClient` (``client.py``) — one login session of the web client in its own context (its
  own sessionStorage). It logs in through the form or by seeding the session key and saves a
  screenshot and a Playwright trace when asked (``artefacts.py`` names and redacts those files). It is
  composed of two mixins:

  - ``frames.py`` — records every WebSocket frame the page receives as
    :class:`harness.history.ReceivedFrame` (connection ids ``<label>/ws<n>``, one per socket the page
    opens), every frame it sends as :class:`SentFrame` and every socket end as
    :class:`harness.history.ConnectionClosed`;
  - ``actions.py`` — reads and acts on the DOM through accessible names, performing mutations while
    capturing the page's real REST response.
* ``errors.py`` — :class:`BrowserClientError` and its subclasses. Every wait is bounded and raises
  :class:`BrowserTimeout` with a message naming the element, its locator and what the page showed
  instead.

Import from here (``from harness.clients.browser import BrowserClient``); the modules are the layout.
"""
from __future__ import annotations

from harness.clients.browser.actions import SEEN_LIMIT
from harness.clients.browser.artefacts import file_stem, redact_zip
from harness.clients.browser.client import DEFAULT_LIVE_TIMEOUT, DEFAULT_TIMEOUT, SESSION_KEY, BrowserClient
from harness.clients.browser.errors import ActionBlocked, BrowserClientError, BrowserTimeout, PanelNotOpened
from harness.clients.browser.frames import BrowserSocket, SentFrame
from harness.clients.browser.pool import CLOSE_TIMEOUT, BrowserPool

__all__ = [
    "SESSION_KEY",
    "BrowserPool",
    "BrowserClient",
    "BrowserSocket",
    "SentFrame",
    "BrowserClientError",
    "BrowserTimeout",
    "PanelNotOpened",
    "ActionBlocked",
    "DEFAULT_TIMEOUT",
    "DEFAULT_LIVE_TIMEOUT",
    "SEEN_LIMIT",
    "CLOSE_TIMEOUT",
    "file_stem",
    "redact_zip",
]
