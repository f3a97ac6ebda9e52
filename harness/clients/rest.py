"""One REST login session against a target (REST.md §1, §5.2, §6.1–§6.4), on one ``httpx.AsyncClient``.

* ``login`` stores the access token, the refresh token and the access token's expiry;
* every authenticated request carries ``Authorization: Bearer <access token>``; shortly before the
  access token expires it is refreshed first, and a 401 is answered once by refresh-and-retry
  (refresh tokens rotate: the new pair replaces the old one; concurrent 401s share one refresh, since
  presenting an already-rotated refresh token revokes the whole session, REST.md §6.3);
* transport failures become :class:`TargetUnreachable` with a one-line cause;
* a 429 becomes :class:`RateLimited`, naming the limiter's environment variable (REST.md §1.8);
* every password and token is registered with the run's :class:`Redactor` as soon as it is known.

``get(path, params)`` and ``post(path, json)`` return ``(status, body)``: the ``RestReader`` protocol
used by the snapshot reader.
"""
from __future__ import annotations

import functools
import json as json_module
import ssl

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from harness.errors import TargetError, TargetUnreachable
from harness.targets.base import read_at_most
from harness.redact import Redactor
from harness.targets.base import describe_transport_error

__all__ = [
    "RestResult",
    "RestSession",
    "RateLimited",
    "ResponseTooLarge",
    "MAX_BODY_BYTES",
    "RestAuthError",
    "REFRESH_MARGIN",
]

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 8 * 1024 * 1024
"""Largest REST response body the harness reads (REST.md's biggest answers, a page of 100 messages of
2,000 characters with their markdown tokens, are well under 1 MiB). A bigger body is not read past the
cap: :class:`ResponseTooLarge`, with nothing more held in memory."""
TOTAL_TIMEOUT_FACTOR = 2.0
"""A request's one total deadline (connect, send, the whole body) is this many times the per-phase
timeout: httpx's read timeout restarts with every byte, so a body sent one byte a second never trips it."""

REFRESH_MARGIN = 15.0
"""Seconds before the access token's expiry at which a request refreshes it first."""

_UNSET: Any = object()

AUTH_LIMITED_PATHS = frozenset(
    {
        "/auth/register",
        "/auth/login",
        "/auth/refresh",
        "/users/me/profile",
        "/users/me/profile/avatar",
        "/users/me/profile/banner",
    }
)
_NO_RETRY_PATHS = frozenset({"/auth/register", "/auth/login", "/auth/refresh", "/auth/logout"})


class RateLimited(TargetError):
    """The target answered 429; the message names the limiter and its environment variable."""

    def __init__(self, message: str, result: "RestResult") -> None:
        super().__init__(message)
        self.result = result


class ResponseTooLarge(TargetError):
    """A REST response body grew past :data:`MAX_BODY_BYTES`; the harness stopped reading it."""


class RestAuthError(TargetError):
    """Login or refresh was refused (the status and error code are in the message)."""

    def __init__(self, message: str, result: "RestResult | None" = None) -> None:
        super().__init__(message)
        self.result = result


@dataclass(frozen=True)
class RestResult:
    status: int
    body: Any
    """Parsed JSON when the response is JSON; else text (or bytes when not decodable); None if empty."""
    headers: Mapping[str, str] = field(repr=False)
    elapsed: float
    """Seconds from sending the request to having the whole response."""
    method: str = ""
    path: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def error_code(self) -> str | None:
        """``body["error"]`` of an application error envelope (REST.md §1.4), if any."""
        return self.body.get("error") if isinstance(self.body, dict) else None


def _parse_body(raw: bytes, headers: httpx.Headers) -> Any:
    if not raw:
        return None
    ctype = headers.get("content-type", "").lower()
    if "json" in ctype:
        try:
            return json_module.loads(raw)
        except (ValueError, RecursionError):
            pass
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw


def _path_only(path: str) -> str:
    return path.split("?", 1)[0].rstrip("/") or "/"


def rate_limit_message(method: str, path: str, result: RestResult) -> str:
    p = _path_only(path)
    head = f"{method} {p} answered 429"
    if result.error_code == "rate_limited":
        if p in AUTH_LIMITED_PATHS:
            return (
                f"{head}: the target's auth-route rate limiter is exhausted (per IP and route, "
                "FILAMENT_AUTH_ROUTE_REQUESTS_PER_MINUTE, default 60/min). The harness registers and logs in "
                "many users from one IP: raise FILAMENT_AUTH_ROUTE_REQUESTS_PER_MINUTE (and "
                "FILAMENT_RATE_LIMIT_REQUESTS_PER_MINUTE) on the target; the reference target relaxes both"
            )
        if p.endswith("/join"):
            return (
                f"{head}: the target's directory-join limiter is exhausted: raise "
                "FILAMENT_DIRECTORY_JOIN_REQUESTS_PER_MINUTE_PER_IP / "
                "FILAMENT_DIRECTORY_JOIN_REQUESTS_PER_MINUTE_PER_USER on the target"
            )
        if "/voice/" in p:
            return (
                f"{head}: the target's media token limiter is exhausted: raise "
                "FILAMENT_MEDIA_TOKEN_REQUESTS_PER_MINUTE / FILAMENT_MEDIA_PUBLISH_REQUESTS_PER_MINUTE"
            )
    return (
        f"{head}: the target's global rate limiter is exhausted (per user or IP, "
        "FILAMENT_RATE_LIMIT_REQUESTS_PER_MINUTE, default burst 600 then 1/min). Raise "
        "FILAMENT_RATE_LIMIT_REQUESTS_PER_MINUTE (and FILAMENT_AUTH_ROUTE_REQUESTS_PER_MINUTE) on the target; "
        "the reference target relaxes both"
    )


class RestSession:
    """One login session: ``register``/``login``/``refresh``/``logout`` plus authenticated requests."""

    def __init__(
        self,
        base_url: str,
        *,
        redactor: Redactor,
        timeout: float = 5.0,
        label: str | None = None,
        raise_on_rate_limit: bool = True,
        clock: Callable[[], float] = time.monotonic,
        transport: httpx.AsyncBaseTransport | None = None,
        max_body_bytes: int = MAX_BODY_BYTES,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.redactor = redactor
        self.timeout = timeout
        self.total_timeout = timeout * TOTAL_TIMEOUT_FACTOR
        self.max_body_bytes = max_body_bytes
        self.label = label or "rest"
        self.raise_on_rate_limit = raise_on_rate_limit
        self.clock = clock
        self._client = httpx.AsyncClient(
            base_url=self.base_url,
            verify=_shared_ssl_context(),
            timeout=httpx.Timeout(timeout),
            trust_env=False,
            follow_redirects=False,
            transport=transport,
        )
        self.username: str | None = None
        self.access_token: str | None = None
        self.refresh_token: str | None = None
        self.access_expires_at: float | None = None
        """``clock()`` value at which the access token expires (from ``expires_in_secs``)."""
        self.refreshes = 0
        """How many refreshes succeeded (each one rotated the refresh token)."""
        self._refresh_lock: asyncio.Lock | None = None

    # ------------------------------------------------------------------ auth
    async def register(self, username: str, password: str) -> RestResult:
        """``POST /auth/register``; 200 ``{"accepted": true}`` whether or not the name existed."""
        self.redactor.add_password(password)
        return await self.request(
            "POST", "/auth/register", json={"username": username, "password": password}, auth=False
        )

    async def login(self, username: str, password: str) -> RestResult:
        """``POST /auth/login``; stores the tokens. Raises :class:`RestAuthError` unless 200."""
        self.redactor.add_password(password)
        result = await self.request(
            "POST", "/auth/login", json={"username": username, "password": password}, auth=False
        )
        if result.status != 200:
            raise RestAuthError(
                f"login as {username!r} failed: {result.status} {result.error_code or _short(result.body)}", result
            )
        self._store_tokens(result)
        self.username = username
        return result

    async def refresh(self) -> RestResult:
        """``POST /auth/refresh`` with the current refresh token; rotates both tokens.

        Raises :class:`RestAuthError` when refused (the session is then unusable: tokens cleared).
        """
        if not self.refresh_token:
            raise RestAuthError(f"{self.label}: no refresh token (not logged in)")
        presented = self.refresh_token
        result = await self.request("POST", "/auth/refresh", json={"refresh_token": presented}, auth=False)
        if result.status != 200:
            if self.refresh_token == presented:
                self.refresh_token = None
            raise RestAuthError(
                f"{self.label}: token refresh failed: {result.status} {result.error_code or _short(result.body)}",
                result,
            )
        self._store_tokens(result)
        self.refreshes += 1
        return result

    async def logout(self) -> RestResult:
        """``POST /auth/logout`` (204); forgets the refresh token. The access token stays usable."""
        if not self.refresh_token:
            raise RestAuthError(f"{self.label}: no refresh token (not logged in)")
        result = await self.request("POST", "/auth/logout", json={"refresh_token": self.refresh_token}, auth=False)
        if result.status == 204:
            self.refresh_token = None
        return result

    async def me(self) -> RestResult:
        return await self.request("GET", "/auth/me")

    async def ensure_fresh(self, margin: float = REFRESH_MARGIN) -> None:
        """Refresh now if the access token expires within ``margin`` seconds (and it can be refreshed)."""
        if (
            self.refresh_token
            and self.access_expires_at is not None
            and self.clock() >= self.access_expires_at - margin
        ):
            await self._refresh_once(self.access_token)

    def _store_tokens(self, result: RestResult) -> None:
        body = result.body if isinstance(result.body, dict) else {}
        access = body.get("access_token")
        refresh = body.get("refresh_token")
        if not isinstance(access, str) or not isinstance(refresh, str):
            raise RestAuthError(f"{self.label}: {result.path} answered 200 without access_token/refresh_token")
        self.redactor.add_access_token(access)
        self.redactor.add_refresh_token(refresh)
        self.access_token = access
        self.refresh_token = refresh
        expires = body.get("expires_in_secs")
        self.access_expires_at = self.clock() + float(expires) if isinstance(expires, (int, float)) else None

    async def _refresh_once(self, token_used: str | None) -> bool:
        """Refresh unless another task already did since ``token_used`` was sent. True if usable now."""
        if self._refresh_lock is None:
            self._refresh_lock = asyncio.Lock()
        async with self._refresh_lock:
            if self.access_token != token_used:
                return self.access_token is not None
            if not self.refresh_token:
                return False
            try:
                await self.refresh()
            except RestAuthError as exc:
                log.info("%s", self.redactor.redact_text(str(exc)))
                return False
            return True

    # ------------------------------------------------------------------ requests
    async def request(
        self,
        method: str,
        path: str,
        *,
        json: Any = _UNSET,
        content: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        files: Any = None,
        auth: bool = True,
        retry_on_401: bool = True,
    ) -> RestResult:
        """Send one request (``path`` relative to the base URL). Never raises for an HTTP status,
        except 429 (:class:`RateLimited`, unless ``raise_on_rate_limit`` is off)."""
        method = method.upper()
        if not path.startswith("/"):
            path = "/" + path
        p = _path_only(path)
        if auth and p not in _NO_RETRY_PATHS:
            await self.ensure_fresh()
        token_used = self.access_token if auth else None
        result = await self._send(method, path, json=json, content=content, headers=headers, params=params,
                                  files=files, token=token_used)
        if (
            result.status == 401
            and auth
            and retry_on_401
            and token_used is not None
            and self.refresh_token
            and p not in _NO_RETRY_PATHS
        ):
            if await self._refresh_once(token_used):
                result = await self._send(method, path, json=json, content=content, headers=headers,
                                          params=params, files=files, token=self.access_token)
        if result.status == 429 and self.raise_on_rate_limit:
            raise RateLimited(rate_limit_message(method, path, result), result)
        return result

    async def _send(
        self,
        method: str,
        path: str,
        *,
        json: Any,
        content: bytes | str | None,
        headers: Mapping[str, str] | None,
        params: Mapping[str, Any] | None,
        files: Any,
        token: str | None,
    ) -> RestResult:
        hdrs = dict(headers or {})
        if token is not None and not any(k.lower() == "authorization" for k in hdrs):
            hdrs["Authorization"] = f"Bearer {token}"
        kwargs: dict[str, Any] = {"headers": hdrs}
        if json is not _UNSET:
            kwargs["json"] = json
        if content is not None:
            kwargs["content"] = content
        if params is not None:
            kwargs["params"] = params
        if files is not None:
            kwargs["files"] = files
        started = self.clock()
        try:
            async with asyncio.timeout(self.total_timeout):
                resp, raw = await self._exchange(method, path, kwargs)
        except TimeoutError:
            raise TargetUnreachable(
                f"{method} {self.base_url}{_path_only(path)}: no complete answer within {self.total_timeout:g}s"
            ) from None
        except httpx.TimeoutException as exc:
            raise TargetUnreachable(
                f"{method} {self.base_url}{_path_only(path)}: no answer within {self.timeout:g}s "
                f"({describe_transport_error(exc)})"
            ) from None
        except (httpx.TransportError, OSError) as exc:
            raise TargetUnreachable(
                f"cannot reach {self.base_url} ({describe_transport_error(exc)}) for {method} {_path_only(path)}"
            ) from None
        elapsed = self.clock() - started
        if raw is None:
            raise ResponseTooLarge(
                f"{method} {self.base_url}{_path_only(path)} answered {resp.status_code} with a body over "
                f"{self.max_body_bytes} bytes; the harness stopped reading it"
            )
        result = RestResult(resp.status_code, _parse_body(raw, resp.headers), resp.headers, elapsed, method, path)
        if log.isEnabledFor(logging.DEBUG):
            log.debug("%s %s %s -> %s (%.3fs)", self.label, method, self.redactor.redact_url(path),
                      resp.status_code, elapsed)
        return result

    async def _exchange(self, method: str, path: str, kwargs: dict[str, Any]) -> tuple[httpx.Response, bytes | None]:
        """Send and read the body as a stream, stopping at ``max_body_bytes`` (None: over the cap)."""
        request = self._client.build_request(method, path, **kwargs)
        resp = await self._client.send(request, stream=True)
        try:
            return resp, await read_at_most(resp, self.max_body_bytes)
        finally:
            await resp.aclose()

    # RestReader protocol ------------------------------------------------
    async def get(self, path: str, params: Mapping[str, Any] | None = None) -> tuple[int, Any]:
        result = await self.request("GET", path, params=params)
        return result.status, result.body

    async def post(self, path: str, json: Any = None) -> tuple[int, Any]:
        result = await self.request("POST", path, json=json)
        return result.status, result.body

    async def patch(self, path: str, json: Any = None) -> tuple[int, Any]:
        result = await self.request("PATCH", path, json=json)
        return result.status, result.body

    async def delete(self, path: str) -> tuple[int, Any]:
        result = await self.request("DELETE", path)
        return result.status, result.body

    # ------------------------------------------------------------------ lifecycle
    @property
    def closed(self) -> bool:
        return self._client.is_closed

    async def aclose(self) -> None:
        await self._client.aclose()

    close = aclose

    async def __aenter__(self) -> "RestSession":
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"<RestSession {self.label} {self.base_url} user={self.username!r}>"


def _short(body: Any, limit: int = 120) -> str:
    text = body if isinstance(body, str) else repr(body)
    return text[:limit]


@functools.lru_cache(maxsize=1)
def _shared_ssl_context() -> ssl.SSLContext:
    """One TLS context for every session: building one per client reloads the CA bundle each time
    (about 15 ms), which a run that opens hundreds of sessions notices."""
    return ssl.create_default_context()
