"""A test server whose REST answers are wrong in shape on demand: the embedded reference target behind
the tampering proxy, with one JSON rewrite applied to matching responses. The gateway passes through.

    python -m tests.support.rest_faults --fault guild_entries_say_id

prints ``listening on http://127.0.0.1:PORT`` once it serves (tests.support.servers.ServedProcess waits
for that and ``/health``) and stops its reference server on SIGTERM or SIGINT. Each fault makes the
harness meet an answer it cannot use, which must end the scenario as ``error`` with a one-line cause,
never as a crash that leaves a report saying ``passed``.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import re
import signal
from collections.abc import Callable
from typing import Any

from aiohttp import web

from harness.targets.proxy import TamperingProxy
from harness.targets.reference import ReferenceTarget


def _rename_guild_id(body: Any) -> Any:
    for guild in body.get("guilds", []):
        guild["id"] = guild.pop("guild_id", None)
    return body


FAULTS: dict[str, tuple[str, re.Pattern[str], Callable[[Any], Any]]] = {
    # GET /guilds entries carry "id" instead of "guild_id" (REST.md §8.2)
    "guild_entries_say_id": ("GET", re.compile(r"^(/api)?/guilds$"), _rename_guild_id),
    # POST /guilds answers {} instead of the created Guild (REST.md §8.1)
    "create_guild_answers_empty": ("POST", re.compile(r"^(/api)?/guilds$"), lambda _body: {}),
    # a REST read answers a JSON list instead of an object (GET /friends, REST.md §12)
    "read_answers_list": ("GET", re.compile(r"^(/api)?/friends$"), lambda _body: []),
}


class RewritingProxy(TamperingProxy):
    """The tampering proxy, with one REST response rewrite."""

    def __init__(self, inner: ReferenceTarget, fault: str) -> None:
        super().__init__(inner, owns_inner=True)
        self.method, self.path, self.rewrite = FAULTS[fault]

    async def _proxy_http(self, request: web.Request) -> web.StreamResponse:
        response = await super()._proxy_http(request)
        if request.method != self.method or not self.path.match(request.path) or response.status != 200:
            return response
        assert isinstance(response, web.Response) and response.body is not None
        body = self.rewrite(json.loads(bytes(response.body)))  # type: ignore[arg-type]
        return web.json_response(body, status=200)


async def serve(fault: str) -> None:
    proxy = RewritingProxy(ReferenceTarget(), fault)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    await proxy.start()
    try:
        print(f"listening on {proxy.rest_url}", flush=True)
        await stop.wait()
    finally:
        await proxy.stop()


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m tests.support.rest_faults")
    parser.add_argument("--fault", choices=sorted(FAULTS), required=True)
    asyncio.run(serve(parser.parse_args().fault))


if __name__ == "__main__":
    main()
