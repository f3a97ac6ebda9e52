"""Command line of the embedded reference target.

`python -m harness.reference [options]` and the `sync-harness serve-reference` sub-command (found
through the `sync_harness.commands` entry point) share these options and behaviour.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import sys
from typing import Any


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=None, help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="port to bind; 0 picks a free port (default 8080)")
    parser.add_argument("--db", default=None, help="SQLite file to keep data in (default: a temporary file removed at exit)")
    parser.add_argument("--config", default=None, help="configuration file (JSON, or TOML by .toml extension)")
    parser.add_argument("--fault", action="append", default=[], metavar="NAME", help="activate a planted fault (repeatable)")
    parser.add_argument("--server-profile", default=None, metavar="NAME",
                        help="behave like an older Filament server: head (default), pre-workspace, pre-lifecycle")
    parser.add_argument("--max-gateway-event-bytes", type=int, default=None, metavar="N",
                        help="largest gateway envelope in bytes, at most 65536 (default 65536); a small value "
                             "forces oversized-outbound drops (rollout's telemetry gate)")
    parser.add_argument("--list-faults", action="store_true", help="list the available faults and exit")
    parser.add_argument("--json", action="store_true", help="with --list-faults: print JSON")
    parser.add_argument("--filament-limits", action="store_true",
                        help="keep Filament's own REST rate limits (default: limits relaxed for harness runs, "
                             "which register many users from one address)")


HARNESS_FRIENDLY_LIMITS: dict[str, Any] = {
    "rate_limit_requests_per_minute": 1_000_000,
    "auth_route_requests_per_minute": 1_000_000,
    "directory_join_requests_per_minute_per_ip": 1_000_000,
}
"""What ``serve-reference`` relaxes unless ``--filament-limits``: the same three limiters the harness's own
reference target relaxes (harness.targets.reference.HARNESS_REFERENCE_CONFIG), so that the README's
``serve-reference`` + ``run --target url:…`` pairing is not refused with 429s. A config file or a
``FILAMENT_*`` variable still wins."""


def _list_faults(as_json: bool) -> int:
    from .server.faults import catalogue

    faults = catalogue()
    if as_json:
        print(json.dumps([f.as_dict() for f in faults], indent=2))
    else:
        width = max(len(f.name) for f in faults)
        for fault in faults:
            print(f"{fault.name:<{width}}  [{fault.component}] {fault.description}")
    return 0


def run(args: argparse.Namespace) -> int:
    """Entry point for both command lines; returns the exit code."""
    if args.list_faults:
        return _list_faults(args.json)
    from .server.config import ConfigError, load_config
    from .server.faults import FaultSet, UnknownFault
    from .server.serve import serve

    overrides: dict[str, Any] = {"host": args.host, "port": args.port, "db": args.db, "faults": args.fault or None,
                                 "server_profile": args.server_profile,
                                 "max_gateway_event_bytes": args.max_gateway_event_bytes}
    try:
        base = {} if getattr(args, "filament_limits", False) else HARNESS_FRIENDLY_LIMITS
        config = load_config(args.config, overrides, base=base)
        FaultSet(config.faults)
    except (ConfigError, UnknownFault) as exc:
        print(f"error: {exc}", file=sys.stderr, flush=True)
        return 2
    logging.basicConfig(level=logging.WARNING, stream=sys.stderr, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        return asyncio.run(serve(config))
    except KeyboardInterrupt:  # pragma: no cover - signal handlers normally win
        return 0


def register(subparsers: Any) -> None:
    """Add the `serve-reference` sub-command to an argparse sub-parsers object."""
    parser = subparsers.add_parser(
        "serve-reference",
        help="run the embedded Filament reference server",
        description="Run the embedded Filament reference server (REST + gateway + web client on one port).",
    )
    add_arguments(parser)
    parser.set_defaults(func=run)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m harness.reference", description="Filament reference server")
    add_arguments(parser)
    return parser


def main(argv: list[str] | None = None) -> int:
    return run(build_parser().parse_args(argv))
