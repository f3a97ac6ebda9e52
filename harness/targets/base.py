"""The Target seam: a running system under test and its URLs (docs/architecture.md, "The seams").

A target is started, probed for readiness (bounded polling of ``GET /health`` → 200
``{"status":"ok"}``), and can be stopped, killed and restarted for fault injection. Every wait is
bounded and ends in a :class:`harness.errors.TargetError` with a one-line cause.

Targets are also async context managers::

    async with make_target("reference") as target:
        ...                       # started; stopped on exit (and after a failed start)
"""
from __future__ import annotations

import asyncio
import errno
import json
import socket
from abc import ABC, abstractmethod
from collections.abc import Callable
from types import TracebackType
from urllib.parse import urlsplit, urlunsplit

import httpx

from harness.errors import PortInUse, TargetCrashed, TargetError, TargetUnreachable

__all__ = [
    "Target",
    "HEALTH_PATH",
    "DEFAULT_READY_TIMEOUT",
    "wait_ready",
    "probe_health",
    "read_at_most",
    "gateway_url_for",
    "origin_of",
    "port_in_use",
    "check_port_free",
    "describe_transport_error",
]

HEALTH_PATH = "/health"
GATEWAY_PATH = "/gateway/ws"
DEFAULT_READY_TIMEOUT = 20.0
"""Seconds a started process gets to answer ``GET /health`` with 200."""


class Target(ABC):
    """A running system under test (see docs/architecture.md).

    Subclasses provide ``description``, ``rest_url``, ``gateway_url``, ``web_url`` and
    ``supports_restart``; the URL properties raise :class:`TargetError` before the target knows them.
    """

    description: str
    rest_url: str
    gateway_url: str
    web_url: str | None
    supports_restart: bool = False

    @abstractmethod
    async def start(self) -> None:
        """Bring the target up and wait (bounded) until ``GET /health`` answers 200."""

    @abstractmethod
    async def stop(self) -> None:
        """Graceful stop, then kill after a bound. Idempotent."""

    @abstractmethod
    async def kill(self) -> None:
        """Stop at once (SIGKILL): a crash, as far as clients can tell."""

    @abstractmethod
    async def restart(self) -> None:
        """Stop (if running) and start again with the same database."""

    @abstractmethod
    def alive(self) -> bool:
        """Whether the target's process (if the harness owns one) is running."""

    def log_tail(self, lines: int = 40) -> str:
        """The last ``lines`` lines of the target's output, if the harness captures it."""
        return ""

    def logs(self) -> dict[str, str]:
        """Whole logs kept for the report after :meth:`stop`, by service name (redacted); docker: and
        compose: targets keep them, since their containers are gone after stop."""
        return {}

    async def start_cleanly(self) -> None:
        """:meth:`start`; when it fails or is cancelled (Ctrl-C), :meth:`stop` first, so nothing it began
        (a process, its files) outlives the error."""
        try:
            await self.start()
        except BaseException:
            try:
                await self.stop()
            except Exception:  # the start's own error is the one to report
                pass
            raise

    async def __aenter__(self) -> "Target":
        await self.start_cleanly()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.stop()

    def __repr__(self) -> str:
        try:
            return f"<{type(self).__name__} {self.description}>"
        except Exception:  # pragma: no cover
            return f"<{type(self).__name__}>"


# ---------------------------------------------------------------------------------------- URLs
class AtUrl:
    """URLs of a server that answers at one base URL the user gave (``url:`` and ``command:``)."""

    _url: str
    _gateway_url: str | None
    _web_url: str | None

    @property
    def rest_url(self) -> str:
        return self._url

    @property
    def gateway_url(self) -> str:
        return self._gateway_url or gateway_url_for(self._url)

    @property
    def web_url(self) -> str | None:
        return self._web_url or origin_of(self._url) + "/"


def origin_of(url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "", "", ""))


def gateway_url_for(rest_url: str) -> str:
    """``ws://host:port/gateway/ws`` at the origin of ``rest_url`` (the gateway is never under /api)."""
    parts = urlsplit(rest_url)
    scheme = {"http": "ws", "https": "wss"}.get(parts.scheme, parts.scheme)
    return urlunsplit((scheme, parts.netloc, GATEWAY_PATH, "", ""))


def host_port_of(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    if not parts.hostname:
        raise TargetError(f"not an absolute URL: {url!r}")
    port = parts.port or (443 if parts.scheme in ("https", "wss") else 80)
    return parts.hostname, port


# ---------------------------------------------------------------------------------------- ports
_LOCAL_HOSTS = {"127.0.0.1", "localhost", "0.0.0.0", "::1", "::", "[::1]"}


def port_in_use(host: str, port: int) -> bool:
    """True when something already listens on ``host:port`` (checked by binding like a server would)."""
    if port == 0:
        return False
    bind_host = "127.0.0.1" if host in ("localhost",) else host.strip("[]")
    family = socket.AF_INET6 if ":" in bind_host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((bind_host, port))
        except OSError as exc:
            if exc.errno in (errno.EADDRINUSE, errno.EACCES):
                return True
            raise
    return False


def check_port_free(url: str, *, what: str) -> None:
    """Raise :class:`PortInUse` when the local port ``url`` names is already taken."""
    host, port = host_port_of(url)
    if host not in _LOCAL_HOSTS:
        return
    try:
        busy = port_in_use(host, port)
    except OSError:
        return
    if busy:
        raise PortInUse(
            f"port {port} on {host} is already in use; {what} cannot serve {url} "
            f"(stop whatever listens there, or choose another port)"
        )


# ---------------------------------------------------------------------------------------- readiness
def describe_transport_error(exc: BaseException) -> str:
    """A short human cause for a connection-level failure: 'connection refused', 'timed out', …"""
    text = str(exc) or type(exc).__name__
    chain: list[BaseException] = []
    cur: BaseException | None = exc
    while cur is not None and len(chain) < 8:
        chain.append(cur)
        cur = cur.__cause__ or cur.__context__
    for e in chain:
        if isinstance(e, ConnectionRefusedError) or getattr(e, "errno", None) == errno.ECONNREFUSED:
            return "connection refused"
        if isinstance(e, ConnectionResetError):
            return "connection reset by peer"
        if isinstance(e, socket.gaierror):
            return f"cannot resolve host ({e.strerror or e})"
        if isinstance(e, (TimeoutError, asyncio.TimeoutError, httpx.TimeoutException)):
            return "timed out"
    low = text.lower()
    if "connection refused" in low or "connect call failed" in low or "errno 111" in low:
        return "connection refused"
    if "reset" in low:
        return "connection reset by peer"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"server closed the connection unexpectedly ({text})"
    return text.splitlines()[0] if text else type(exc).__name__


HEALTH_BODY_CAP = 64 * 1024
"""Bytes of a ``/health`` body read at most: ``{"status":"ok"}`` is 15; a bigger body is not an answer."""


async def probe_health(client: httpx.AsyncClient, rest_url: str) -> tuple[bool, str]:
    """One ``GET /health``. Returns (ready, cause-if-not). The caller bounds it in time (a server can
    answer 200 and then send its body one byte a second: httpx's read timeout restarts with each byte)."""
    url = rest_url.rstrip("/") + HEALTH_PATH
    try:
        async with client.stream("GET", url) as resp:
            if resp.status_code != 200:
                return False, f"GET {url} answered {resp.status_code}"
            raw = await read_at_most(resp, HEALTH_BODY_CAP)
    except (httpx.TransportError, OSError) as exc:
        return False, f"cannot reach {url} ({describe_transport_error(exc)})"
    if raw is None:
        return False, f"GET {url} answered 200 with a body over {HEALTH_BODY_CAP} bytes"
    try:
        body = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError, RecursionError):
        return False, f"GET {url} answered 200 but not JSON"
    if body != {"status": "ok"}:
        return False, f"GET {url} answered 200 with {json.dumps(body)[:120]} instead of {{\"status\":\"ok\"}}"
    return True, ""


async def read_at_most(resp: httpx.Response, cap: int) -> bytes | None:
    """The body of a streamed response, or None as soon as it grows past ``cap`` bytes (the rest is
    never read, so a hostile body cannot grow the harness's memory)."""
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.aiter_bytes():
        size += len(chunk)
        if size > cap:
            return None
        chunks.append(chunk)
    return b"".join(chunks)


async def wait_ready(
    rest_url: str,
    *,
    timeout: float,
    name: str,
    exited: Callable[[], str | None] | None = None,
    unreachable_fails_fast: bool = False,
) -> None:
    """Poll ``GET /health`` until it answers 200 ``{"status":"ok"}`` or ``timeout`` passes.

    ``timeout`` is one total deadline over every probe, read and pause (a probe still reading when it
    passes is abandoned), not a timeout per read.

    ``exited`` is consulted between probes: when it returns a message, the target's process has died
    and :class:`TargetCrashed` is raised with it. ``unreachable_fails_fast`` (for targets that should
    already be running) raises :class:`TargetUnreachable` on the first refused connection.
    """
    url = rest_url.rstrip("/") + HEALTH_PATH
    state = {"last": "no probe yet"}
    try:
        async with asyncio.timeout(timeout):
            await _poll_health(rest_url, state, exited, unreachable_fails_fast)
            return
    except TimeoutError:
        pass
    if exited is not None:
        crash = exited()
        if crash:
            raise TargetCrashed(crash)
    last = state["last"]
    if last == _PROBING:
        last = f"GET {url} gave no complete answer within the deadline"
    if last.startswith("cannot reach"):
        raise TargetUnreachable(f"{name} not ready after {timeout:g}s: {last}")
    raise TargetError(f"{name} not ready after {timeout:g}s: {last}")


_PROBING = "probing"


async def _poll_health(rest_url: str, state: dict[str, str], exited: Callable[[], str | None] | None,
                       unreachable_fails_fast: bool) -> None:
    delay = 0.02
    async with httpx.AsyncClient(timeout=httpx.Timeout(2.0), trust_env=False) as client:
        while True:
            if exited is not None:
                crash = exited()
                if crash:
                    raise TargetCrashed(crash)
            state["last"] = _PROBING
            ok, state["last"] = await probe_health(client, rest_url)
            if ok:
                return
            if unreachable_fails_fast and state["last"].startswith("cannot reach"):
                raise TargetUnreachable(state["last"])
            await asyncio.sleep(delay)
            delay = min(delay * 1.5, 0.25)
