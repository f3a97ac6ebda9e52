"""System routes: /health, /metrics, /echo, /slow (REST.md §11.3)."""

from __future__ import annotations

import asyncio

from aiohttp import web

from .context import Ctx, ok
from .metrics import CONTENT_TYPE
from .router import Router
from .schemas import Echo


async def health(ctx: Ctx) -> web.Response:
    return ok({"status": "ok"})


async def metrics(ctx: Ctx) -> web.Response:
    omit = frozenset({"filament_gateway_events_unknown_received_total"}) \
        if ctx.state.faults.on("server.metrics_missing_family") else frozenset()
    body = ctx.state.metrics.render(omit).encode("utf-8")
    response = web.Response(status=200, body=body)
    response.headers["Content-Type"] = CONTENT_TYPE
    return response


async def echo(ctx: Ctx) -> web.Response:
    body = await ctx.json(Echo)
    if body.message == "":
        return web.Response(status=400)
    return ok({"message": body.message})


async def slow(ctx: Ctx) -> web.Response:
    await asyncio.sleep(0.2)
    return ok({"status": "ok"})


def register(router: Router) -> None:
    router.add("GET", "/health", health)
    router.add("GET", "/metrics", metrics)
    router.add("POST", "/echo", echo)
    router.add("GET", "/slow", slow)
