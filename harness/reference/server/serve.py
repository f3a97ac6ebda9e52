"""Run the reference server until SIGTERM/SIGINT: bind, announce the port, shut down gracefully."""

from __future__ import annotations

import asyncio
import errno
import logging
import signal
import sys

from aiohttp import web

from .app import build_app
from .config import ServerConfig

log = logging.getLogger("filament.reference")


def bound_port(site: web.TCPSite) -> int:
    server = site._server  # aiohttp exposes no public accessor for the bound socket
    assert server is not None and server.sockets
    return int(server.sockets[0].getsockname()[1])


async def serve(config: ServerConfig) -> int:
    """Serve until a stop signal; returns the process exit code."""
    app = build_app(config)
    runner = web.AppRunner(app, access_log=None, handle_signals=False, shutdown_timeout=2.0)
    await runner.setup()
    site = web.TCPSite(runner, config.host, config.port)
    try:
        await site.start()
    except OSError as exc:
        await runner.cleanup()
        if exc.errno == errno.EADDRINUSE:
            print(f"error: {config.host}:{config.port} is already in use", file=sys.stderr, flush=True)
        else:
            print(f"error: cannot listen on {config.host}:{config.port}: {exc.strerror or exc}", file=sys.stderr, flush=True)
        return 2
    print(f"listening on http://{config.host}:{bound_port(site)}", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    try:
        await stop.wait()
    finally:
        log.info("shutting down")
        await runner.cleanup()
    return 0
