"""Application factory: one aiohttp app serving REST (at `/` and under `/api`), the gateway at
`/gateway/ws` and the static web client, on one port.

A single catch-all aiohttp route hands every request to `dispatch`, which reproduces the layer
order of Filament's router: global governor -> request timeout -> route (404/405 with empty bodies).
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import tempfile
from pathlib import Path

from aiohttp import web

from . import routes_attachments, routes_auth, routes_channels, routes_friends, routes_guilds
from . import routes_ipbans, routes_messages, routes_roles, routes_system, routes_voice_search
from . import web as web_client
from .auth import bearer_token
from .config import ServerConfig
from .context import Ctx
from .errors import ApiError, FrameworkError, internal_error
from .faults import FaultSet
from .server_profiles import SERVER_PROFILES
from .gateway import Gateway
from .router import Router
from .state import AppState
from .store import Store

log = logging.getLogger("filament.reference")

STATE_KEY = web.AppKey("state", AppState)
GATEWAY_KEY = web.AppKey("gateway", Gateway)
GATEWAY_PATH = "/gateway/ws"


def build_router() -> Router:
    router = Router()
    for module in (
        routes_system,
        routes_auth,
        routes_friends,
        routes_guilds,
        routes_roles,
        routes_ipbans,
        routes_channels,
        routes_messages,
        routes_attachments,
        routes_voice_search,
    ):
        module.register(router)
    return router


def _governor_key(ctx: Ctx) -> str:
    token = bearer_token(ctx.request.headers.get("Authorization"))
    claims = ctx.state.signer.decode(token, check_expiry=False) if token else None
    return f"user:{claims.sub}" if claims else f"ip:{ctx.client_ip or '0.0.0.0'}"  # IP resolved only if needed


def _governed(ctx: Ctx) -> web.Response | None:
    allowed, wait = ctx.state.limiters.governor.allow(_governor_key(ctx))
    if allowed:
        return None
    response = web.Response(status=429, text=f"Too Many Requests! Wait for {int(wait) + 1}s", content_type="text/plain")
    response.headers["retry-after"] = str(int(wait) + 1)
    return response


class Dispatcher:
    def __init__(self, state: AppState, router: Router, gateway: Gateway) -> None:
        self.state = state
        self.router = router
        self.gateway = gateway

    async def __call__(self, request: web.Request) -> web.StreamResponse:
        response = await self._dispatch(request)
        request_id = request.headers.get("x-request-id")
        if request_id is not None and not response.prepared:
            response.headers["x-request-id"] = request_id
        return response

    async def _dispatch(self, request: web.Request) -> web.StreamResponse:
        raw_path = request.raw_path.partition("?")[0]
        if raw_path == GATEWAY_PATH:
            if request.method != "GET":
                return web.Response(status=405)
            limited = _governed(Ctx(request, self.state, {}))
            return limited or await self.gateway.handle(request)
        if web_client.is_web_path(raw_path):
            return web_client.serve(raw_path, request.method, self.state.faults.web_faults())
        if raw_path == "/api" or raw_path.startswith("/api/"):
            raw_path = raw_path[4:] or "/"
        try:
            match = self.router.resolve(raw_path)
        except FrameworkError as exc:
            return exc.response()
        if match is None:
            return web.Response(status=404)
        handler = match.handler(request.method)
        if handler is None:
            return web.Response(status=405)
        ctx = Ctx(request, self.state, match.params)
        limited = _governed(ctx)
        if limited is not None:
            return limited
        try:
            async with asyncio.timeout(self.state.config.request_timeout_secs):
                response = await handler(ctx)
        except (ApiError, FrameworkError) as exc:
            response = exc.response()
        except TimeoutError:
            response = web.Response(status=408)
        except Exception:
            log.exception("unhandled error on %s %s", request.method, raw_path)
            response = internal_error().response()
        return response


def build_app(config: ServerConfig) -> web.Application:
    """The aiohttp application; its state is under `app[STATE_KEY]`. Storage is opened here and
    closed on cleanup; with `config.db` unset a temporary directory is used and removed."""
    faults = FaultSet(config.faults, silenced=SERVER_PROFILES[config.server_profile].silenced())
    temp_dir: str | None = None
    db_path = config.db
    if db_path is None:
        temp_dir = tempfile.mkdtemp(prefix="filament-reference-")
        db_path = str(Path(temp_dir) / "reference.sqlite3")
    files = Path(config.attachment_root) if config.attachment_root else Path(f"{db_path}.files")
    store = Store(db_path)
    store.bootstrap()
    state = AppState(config=config, store=store, files=files, faults=faults)
    gateway = Gateway(state)
    app = web.Application(client_max_size=1024**4)
    app[STATE_KEY] = state
    app[GATEWAY_KEY] = gateway
    app.router.add_route("*", "/{tail:.*}", Dispatcher(state, build_router(), gateway).__call__)

    async def on_shutdown(_: web.Application) -> None:
        await gateway.close_all()

    async def on_cleanup(_: web.Application) -> None:
        store.close()
        if temp_dir is not None:
            shutil.rmtree(temp_dir, ignore_errors=True)

    app.on_shutdown.append(on_shutdown)
    app.on_cleanup.append(on_cleanup)
    return app
