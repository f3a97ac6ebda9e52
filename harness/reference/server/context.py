"""Per-request helpers that reproduce axum's extractor behaviour (REST.md §1.3, §1.5).

Handlers call them in extractor order (path, query, body) BEFORE authenticating, because in
Filament extraction errors (plain-text 400/415/422/413) precede authentication.
"""

from __future__ import annotations

import functools
import json
import re
import urllib.parse
from pathlib import Path
from typing import Any, Literal, TypeVar

from aiohttp import web
from pydantic import BaseModel, ValidationError

from .auth import bearer_token
from .clientip import ip_in_network, resolve_client_ip
from .errors import FrameworkError, forbidden, json_response, not_found, rate_limited, unauthorized
from .state import AppState
from .store import Row
from .strictjson import DupDict, parse_json_bytes

M = TypeVar("M", bound=BaseModel)
_UINT_RE = re.compile(r"^\+?[0-9]+$")
QueryType = Literal["int", "str"]


def _json_content_type(header: str | None) -> bool:
    if not header:
        return False
    essence = header.split(";", 1)[0].strip().lower()
    if "/" not in essence:
        return False
    kind, sub = essence.split("/", 1)
    return kind == "application" and (sub == "json" or sub.endswith("+json"))


class Ctx:
    def __init__(self, request: web.Request, state: AppState, params: dict[str, str]) -> None:
        self.request = request
        self.state = state
        self.params = params

    # -- extraction ---------------------------------------------------------------------------------

    def path_enum(self, name: str, allowed: tuple[str, ...]) -> str:
        value = self.params[name]
        if value not in allowed:
            raise FrameworkError(400, f"Invalid URL: Cannot parse `{value}` to a `{name}`")
        return value

    async def read_body(self, limit: int) -> bytes | None:
        """The raw body, or None when it exceeds `limit` bytes (checked while streaming)."""
        chunks: list[bytes] = []
        total = 0
        while True:
            chunk = await self.request.content.read(65536)
            if not chunk:
                return b"".join(chunks)
            total += len(chunk)
            if total > limit:
                return None
            chunks.append(chunk)

    async def json(self, model: type[M]) -> M:
        if not _json_content_type(self.request.headers.get("Content-Type")):
            raise FrameworkError(415, "Expected request with `Content-Type: application/json`")
        raw = await self.read_body(self.state.config.request_body_limit_bytes)
        if raw is None:
            raise FrameworkError(413, "Failed to buffer the request body: length limit exceeded")
        try:
            data = parse_json_bytes(raw)
        except (ValueError, UnicodeDecodeError) as exc:
            raise FrameworkError(400, f"Failed to parse the request body as JSON: {exc}") from exc
        if isinstance(data, DupDict):
            raise FrameworkError(422, "Failed to deserialize the JSON body into the target type: duplicate field")
        if not isinstance(data, dict):
            raise FrameworkError(422, "Failed to deserialize the JSON body into the target type: invalid type")
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ()))
            raise FrameworkError(
                422, f"Failed to deserialize the JSON body into the target type: {where}: {first.get('msg')}"
            ) from exc

    def query(self, spec: dict[str, QueryType], strict: bool) -> dict[str, Any]:
        """serde_urlencoded into a struct of optional fields; unknown keys fail only when strict."""
        raw = self.request.raw_path.partition("?")[2]
        try:
            pairs = urllib.parse.parse_qsl(raw, keep_blank_values=True, errors="strict")
        except (UnicodeDecodeError, ValueError) as exc:
            raise FrameworkError(400, "Failed to deserialize query string") from exc
        out: dict[str, Any] = {}
        for key, value in pairs:
            if key not in spec:
                if strict:
                    raise FrameworkError(400, f"Failed to deserialize query string: unknown field `{key}`")
                continue
            if key in out:
                raise FrameworkError(400, f"Failed to deserialize query string: duplicate field `{key}`")
            if spec[key] == "int":
                if not _UINT_RE.match(value) or int(value) >= 1 << 64:
                    raise FrameworkError(400, f"Failed to deserialize query string: invalid digit in `{key}`")
                out[key] = int(value)
            else:
                out[key] = value
        return out

    # -- identity -----------------------------------------------------------------------------------

    def auth(self) -> Row:
        """The authenticated user row; 401 invalid_credentials otherwise."""
        token = bearer_token(self.request.headers.get("Authorization"))
        claims = self.state.signer.decode(token) if token else None
        user = self.state.store.user(claims.sub) if claims else None
        if user is None:
            self.state.metrics.inc("filament_auth_failures_total", "unauthorized")
            raise unauthorized()
        return user

    @functools.cached_property
    def client_ip(self) -> str | None:
        return request_client_ip(self.request, self.state)

    @property
    def ip_key(self) -> str:
        return self.client_ip or "unknown"

    def auth_route_limit(self, route: str) -> None:
        if not self.state.limiters.auth_routes.allow(f"{route}:{self.ip_key}"):
            self.state.metrics.inc("filament_rate_limit_hits_total", "auth", route)
            raise rate_limited()

    def ip_gate(self, guild_id: str, actor_id: str, surface: str) -> None:
        """REST.md §3.10: 403 when the caller's IP is inside an active IP ban of the guild."""
        if ip_banned(self.state, guild_id, self.client_ip):
            self.state.store.audit(guild_id, actor_id, "moderation.ip_ban.hit", None, json.dumps({"surface": surface}))
            raise forbidden()


def request_client_ip(request: web.Request, state: AppState) -> str | None:
    """REST.md §1.7 for a REST request or a gateway upgrade: the peer, or a trusted proxy's header."""
    info = request.transport.get_extra_info("peername") if request.transport is not None else None
    return resolve_client_ip(info[0] if info else None, request.headers, state.trusted_networks)


def ip_banned(state: AppState, guild_id: str, ip: str | None) -> bool:
    if ip is None:
        return False
    return any(ip_in_network(ip, row["network"]) for row in state.store.active_ip_bans(guild_id))


def ok(payload: object) -> web.Response:
    return json_response(payload)


def accepted() -> web.Response:
    return ok({"accepted": True})


def no_content() -> web.Response:
    return web.Response(status=204)


def stored_file(path: Path, mime: str, cache_control: str, etag: str | None = None) -> web.Response:
    """A stored upload's raw bytes (REST.md §6.9, §10.6): the stored MIME, `nosniff`; 404 when the file
    is gone. `path` is built from server-generated ids only, never from request text."""
    try:
        data = path.read_bytes()
    except OSError:
        raise not_found() from None
    response = web.Response(status=200, body=data)
    response.headers["Content-Type"] = mime
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = cache_control
    if etag is not None:
        response.headers["ETag"] = f'"{etag}"'
    return response

