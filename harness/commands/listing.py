"""`sync-harness list`: the scenarios a selection picks and the rows they cover."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from harness.commands.options import EXIT_OK
from reports.console import Console
from scenarios.selection import select_entries


def register(commands: Any) -> None:
    listing = commands.add_parser("list", help="list scenarios and the rows they cover")
    listing.add_argument("--scenario", action="append", default=[], metavar="PATTERN")
    listing.add_argument("--scenario-file", action="append", default=[], type=Path, metavar="FILE")
    listing.set_defaults(func=_cmd_list)


def _cmd_list(args: argparse.Namespace) -> int:
    Console().listing(select_entries(args.scenario, args.scenario_file))
    return EXIT_OK
