"""Raw gateway connections for the checklist: send one frame, see how the server ends (or keeps) the socket."""
from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

CONNECT_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Ending:
    """How a connection ended after an offending frame (or that it did not, within the wait)."""

    closed: bool
    close_frame: bool = False
    code: int | None = None

    def describe(self) -> str:
        if not self.closed:
            return "stayed open"
        if not self.close_frame:
            return "dropped without a Close frame (1006)"
        return f"closed with a Close frame {self.code}"


def gateway_url_with_token(gateway_url: str, token: str) -> str:
    return f"{gateway_url}?access_token={quote(token, safe='')}"


async def open_gateway(gateway_url: str, token: str) -> ClientConnection:
    """Connect and read ``ready`` (bounded); the caller closes the connection."""
    ws = await connect(gateway_url_with_token(gateway_url, token), open_timeout=CONNECT_TIMEOUT_S,
                       close_timeout=1.0, max_size=None, ping_interval=None)
    try:
        first = json.loads(await asyncio.wait_for(ws.recv(), CONNECT_TIMEOUT_S))
    except BaseException:
        await ws.close()
        raise
    if not isinstance(first, dict) or first.get("t") != "ready":
        await ws.close()
        raise ConnectionError(f"first gateway frame was not ready: {str(first)[:80]}")
    return ws


async def ending_after(ws: ClientConnection, frame: str, wait_s: float) -> Ending:
    """Send ``frame`` and read until the socket ends or ``wait_s`` passes."""
    await ws.send(frame)
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_s
    try:
        while (left := deadline - loop.time()) > 0:
            await asyncio.wait_for(ws.recv(), left)
    except ConnectionClosed as exc:
        return Ending(closed=True, close_frame=exc.rcvd is not None, code=exc.rcvd.code if exc.rcvd else None)
    except (TimeoutError, asyncio.TimeoutError):
        pass
    return Ending(closed=False)


async def frames_within(ws: ClientConnection, wait_s: float) -> tuple[list[dict[str, Any]], Ending]:
    """Every data frame received within ``wait_s``, and whether the socket was still open after it."""
    frames: list[dict[str, Any]] = []
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_s
    try:
        while (left := deadline - loop.time()) > 0:
            raw = await asyncio.wait_for(ws.recv(), left)
            try:
                frames.append(json.loads(raw))
            except ValueError:
                frames.append({"t": None, "raw": str(raw)[:80]})
    except ConnectionClosed as exc:
        return frames, Ending(closed=True, close_frame=exc.rcvd is not None, code=exc.rcvd.code if exc.rcvd else None)
    except (TimeoutError, asyncio.TimeoutError):
        pass
    return frames, Ending(closed=False)


async def wait_for_type(ws: ClientConnection, event_type: str, wait_s: float) -> dict[str, Any] | None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_s
    try:
        while (left := deadline - loop.time()) > 0:
            frame = json.loads(await asyncio.wait_for(ws.recv(), left))
            if isinstance(frame, dict) and frame.get("t") == event_type:
                return frame
    except (TimeoutError, asyncio.TimeoutError, ConnectionClosed, ValueError):
        return None
    return None


def envelope(event_type: str, data: Any) -> str:
    return json.dumps({"v": 1, "t": event_type, "d": data}, separators=(",", ":"))
