"""The page probe names sockets by id, not URL: a web client opens its sockets with one token, so they
share a URL, and it may close one while it is still connecting and open the next at once (the real
Filament client does on a workspace switch: its effect runs for the new workspace, then again for the
new channel). That first socket ends with 1006 *because the page closed it*; matched by URL the close
was pinned on the newest socket and the first looked dropped by the server (H1 in docs/real-server.md)."""
from __future__ import annotations

from typing import Any, Callable

from harness.clients.browser.frames import FrameRecording
from harness.redact import Redactor

URL = "ws://127.0.0.1:4173/gateway/ws?access_token=same-token-for-every-socket"


class FakePlaywrightSocket:
    def __init__(self, url: str) -> None:
        self.url = url
        self.handlers: dict[str, Callable[..., None]] = {}

    def on(self, event: str, handler: Callable[..., None]) -> None:
        self.handlers[event] = handler


class Recording(FrameRecording):
    def __init__(self) -> None:
        self.label, self.redactor, self.clock = "b", Redactor(), (lambda: 0.0)
        self.timeout = self.live_timeout = 1.0
        self.page_errors = []
        self._init_recording()


def _switch(order: str) -> Recording:
    """ws0 live; the page opens ws1, closes it while connecting, opens ws2 — Playwright's events and the
    probe's reports interleaved as ``order`` says (both channels keep their own order)."""
    rec = Recording()
    pw = [FakePlaywrightSocket(URL) for _ in range(3)]
    probe = {
        "open0": {"kind": "opened", "id": "d:0", "url": URL},
        "open1": {"kind": "opened", "id": "d:1", "url": URL},
        "close1": {"kind": "close_called", "id": "d:1", "url": URL},
        "closed1": {"kind": "closed", "id": "d:1", "url": URL, "code": 1006, "reason": ""},
        "open2": {"kind": "opened", "id": "d:2", "url": URL},
    }
    steps: dict[str, Callable[[], Any]] = {
        **{f"pw{i}": (lambda i=i: rec._on_websocket(pw[i])) for i in range(3)},
        "pwclose1": lambda: pw[1].handlers["close"](pw[1]),
        **{name: (lambda r=report: rec._on_page_socket_report(None, r)) for name, report in probe.items()},
    }
    for name in order.split():
        steps[name]()
    return rec


def _assert_first_closed_by_the_page(rec: Recording) -> None:
    ws0, ws1, ws2 = rec.sockets
    assert ws1.closed is not None and (ws1.closed.by, ws1.closed.code) == ("harness", 1006)
    assert not ws2.closed_by_page and ws2.closed is None
    assert not ws0.closed_by_page


def test_playwright_first_then_the_probe() -> None:
    _assert_first_closed_by_the_page(_switch("pw0 open0 pw1 pw2 pwclose1 open1 close1 open2 closed1"))


def test_the_probe_first_then_playwright() -> None:
    # The reports about ws1 arrive before Playwright announced it: parked, then applied to it.
    _assert_first_closed_by_the_page(_switch("pw0 open0 open1 close1 open2 closed1 pw1 pwclose1 pw2"))


def test_interleaved() -> None:
    _assert_first_closed_by_the_page(_switch("open0 pw0 open1 pw1 close1 pw2 open2 pwclose1 closed1"))


def test_a_socket_that_is_not_the_gateway_keeps_the_count_aligned() -> None:
    rec = Recording()
    hmr, gateway = FakePlaywrightSocket("ws://127.0.0.1:5173/?token=vite"), FakePlaywrightSocket(URL)
    rec._on_page_socket_report(None, {"kind": "opened", "id": "d:0", "url": hmr.url})
    rec._on_page_socket_report(None, {"kind": "opened", "id": "d:1", "url": URL})
    rec._on_websocket(hmr)
    rec._on_websocket(gateway)
    rec._on_page_socket_report(None, {"kind": "close_called", "id": "d:1", "url": URL})
    assert [s.conn for s in rec.sockets] == ["b/ws0"] and rec.sockets[0].closed_by_page

