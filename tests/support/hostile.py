"""A hostile server for tests: real sockets on 127.0.0.1, misbehaving on demand.

Run it as a process (``python -m tests.support.hostile --port 0 [options]``); like every server a test
starts it binds its own port and announces ``listening on http://127.0.0.1:PORT`` (tests/support/servers.py).
With ``--upstream URL`` it is an honest proxy in front of a real server (``serve-reference``) for
everything it is not told to break, so a scenario runs normally until the misbehaviour begins:

* ``--health dribble``: ``GET /health`` answers 200 with a 600-byte body announced, then sends it one
  byte per second (a read timeout that restarts with every byte never fires);
* ``--gateway hang``: the WebSocket upgrade at ``/gateway/ws`` is read and never answered;
* ``--big-frame BYTES``: right after ``ready``, every gateway connection gets one text frame of
  ``BYTES`` bytes (a well-formed envelope, padded);
* ``--flood FRAMES``: right after ``ready``, every gateway connection gets ``FRAMES`` frames of
  ``--flood-frame-bytes`` bytes each, as fast as the socket takes them;
* ``--flood-distinct-types``: each flood frame has its own event type (``hostile_flood_0``, …), so
  no two of them are the same failure;
* ``--misbehave-connections N``: only the first ``N`` gateway connections get the big frame or the
  flood (default: all);
* ``--dribble-body PATH``: ``GET PATH`` answers 200 and sends its 600-byte body one byte per second;
* ``--huge-body PATH --huge-body-bytes BYTES``: ``GET PATH`` answers 200 ``application/json`` and
  streams ``BYTES`` bytes of one never-ending JSON string (chunked; nothing is held in memory).

Without ``--upstream`` every other route answers 404. Each misbehaviour, when it begins, prints
``event NAME UNIX_TIME`` on stdout, so a test can measure how long the harness took from there.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from typing import Any

import aiohttp
from aiohttp import WSMsgType, web

DRIBBLE_BODY_BYTES = 600
CHUNK = 64 * 1024


def announce(name: str) -> None:
    print(f"event {name} {time.time():.3f}", flush=True)


def envelope_of_size(event_type: str, size: int, index: int = 0) -> str:
    """A ``{v,t,d}`` text frame of exactly ``size`` bytes (at least the empty envelope's size)."""
    head = json.dumps({"v": 1, "t": event_type, "d": {"i": index, "pad": ""}}, separators=(",", ":"))
    return head[:-3] + "x" * max(0, size - len(head)) + head[-3:]


class Hostile:
    def __init__(self, options: argparse.Namespace) -> None:
        self.options = options
        self.upstream: str | None = options.upstream.rstrip("/") if options.upstream else None
        self.http: aiohttp.ClientSession | None = None
        self.connections = 0

    def app(self) -> web.Application:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/health", self.health)
        app.router.add_get("/gateway/ws", self.gateway)
        app.router.add_route("*", "/{tail:.*}", self.rest)
        app.on_startup.append(self._open)
        app.on_cleanup.append(self._close)
        return app

    async def _open(self, _: web.Application) -> None:
        self.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30), auto_decompress=False)

    async def _close(self, _: web.Application) -> None:
        if self.http is not None:
            await self.http.close()

    # ------------------------------------------------------------------ /health
    async def health(self, request: web.Request) -> web.StreamResponse:
        if self.options.health != "dribble":
            return web.json_response({"status": "ok"})
        announce("health_dribble")
        return await self._dribble(request)

    async def _dribble(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(status=200, headers={"Content-Type": "application/json",
                                                           "Content-Length": str(DRIBBLE_BODY_BYTES)})
        await response.prepare(request)
        for _ in range(DRIBBLE_BODY_BYTES):
            await response.write(b" ")
            await asyncio.sleep(1.0)
        return response

    # ------------------------------------------------------------------ REST
    async def rest(self, request: web.Request) -> web.StreamResponse:
        if self.options.dribble_body and request.method == "GET" and request.path == self.options.dribble_body:
            announce("rest_dribble")
            return await self._dribble(request)
        if self.options.huge_body and request.method == "GET" and request.path == self.options.huge_body:
            return await self._huge(request)
        if self.upstream is None or self.http is None:
            raise web.HTTPNotFound()
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        async with self.http.request(request.method, self.upstream + request.path_qs, headers=headers,
                                     data=await request.read(), allow_redirects=False) as upstream:
            body = await upstream.read()
            keep = {k: v for k, v in upstream.headers.items()
                    if k.lower() not in ("content-length", "transfer-encoding", "content-encoding", "connection")}
            return web.Response(status=upstream.status, body=body, headers=keep)

    async def _huge(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(status=200, headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        sent, total = 0, self.options.huge_body_bytes
        first = b'{"pad":"'
        await response.write(first)
        sent += len(first)
        block = b"x" * CHUNK
        try:
            while sent < total:
                piece = block[: min(CHUNK, total - sent)]
                await response.write(piece)
                sent += len(piece)
        except (ConnectionResetError, aiohttp.ClientConnectionResetError):
            return response  # the client stopped reading: what a capped client should do
        await response.write_eof()
        return response

    # ------------------------------------------------------------------ gateway
    async def gateway(self, request: web.Request) -> web.StreamResponse:
        if self.options.gateway == "hang":
            announce("gateway_hang")
            await asyncio.Event().wait()  # read the upgrade, never answer it
        if self.upstream is None or self.http is None:
            raise web.HTTPNotFound()
        client = web.WebSocketResponse(max_msg_size=0, autoping=True)
        upstream_url = self.upstream.replace("http", "ws", 1) + request.path_qs
        async with self.http.ws_connect(upstream_url, max_msg_size=0, autoping=True) as server:
            await client.prepare(request)
            pumps = [asyncio.create_task(self._to_client(server, client)),
                     asyncio.create_task(self._to_server(client, server))]
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
            for task in pumps:
                task.cancel()
            await asyncio.gather(*pumps, return_exceptions=True)
        await client.close()
        return client

    async def _to_client(self, server: aiohttp.ClientWebSocketResponse, client: web.WebSocketResponse) -> None:
        first = True
        async for message in server:
            if message.type != WSMsgType.TEXT:
                break
            await client.send_str(message.data)
            if first:
                first = False
                await self._misbehave(client)

    async def _to_server(self, client: web.WebSocketResponse, server: aiohttp.ClientWebSocketResponse) -> None:
        async for message in client:
            if message.type == WSMsgType.TEXT:
                await server.send_str(message.data)
            elif message.type == WSMsgType.BINARY:
                await server.send_bytes(message.data)
            else:
                break

    async def _misbehave(self, client: web.WebSocketResponse) -> None:
        self.connections += 1
        if self.options.misbehave_connections is not None and self.connections > self.options.misbehave_connections:
            return
        try:
            if self.options.big_frame:
                await client.send_str(envelope_of_size("hostile_big", self.options.big_frame))
            for index in range(self.options.flood):
                event_type = f"hostile_flood_{index}" if self.options.flood_distinct_types else "hostile_flood"
                await client.send_str(envelope_of_size(event_type, self.options.flood_frame_bytes, index))
        except (ConnectionResetError, aiohttp.ClientConnectionResetError, RuntimeError):
            pass  # the harness closed the connection: that is the point


def parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="hostile", description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--upstream", help="an honest server to proxy everything else to")
    parser.add_argument("--health", choices=("ok", "dribble"), default="ok")
    parser.add_argument("--gateway", choices=("proxy", "hang"), default="proxy")
    parser.add_argument("--big-frame", type=int, default=0, metavar="BYTES")
    parser.add_argument("--flood", type=int, default=0, metavar="FRAMES")
    parser.add_argument("--flood-frame-bytes", type=int, default=1024, metavar="BYTES")
    parser.add_argument("--flood-distinct-types", action="store_true")
    parser.add_argument("--misbehave-connections", type=int, default=None, metavar="N")
    parser.add_argument("--dribble-body", metavar="PATH", help="GET PATH sends its body one byte a second")
    parser.add_argument("--huge-body", metavar="PATH", help="GET PATH streams a huge JSON body")
    parser.add_argument("--huge-body-bytes", type=int, default=400 * 1024 * 1024, metavar="BYTES")
    return parser.parse_args(argv)


async def serve(options: argparse.Namespace) -> None:
    runner = web.AppRunner(Hostile(options).app(), access_log=None, handle_signals=False, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", options.port)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    print(f"listening on http://127.0.0.1:{port}", flush=True)
    try:
        await asyncio.Event().wait()
    finally:
        await runner.cleanup()


def main(argv: list[str] | None = None) -> None:
    options = parse(sys.argv[1:] if argv is None else argv)
    try:
        asyncio.run(serve(options))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()


__all__: list[Any] = ["envelope_of_size", "main"]
