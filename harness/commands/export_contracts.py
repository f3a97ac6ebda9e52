"""`sync-harness contracts export DIR`: the JSON Schema of every gateway event, from contracts/."""
from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from contracts.export import export_json_schemas
from harness.commands.options import EXIT_OK


def register(commands: Any) -> None:
    contracts = commands.add_parser("contracts", help="work with the wire contract models")
    sub = contracts.add_subparsers(metavar="ACTION")
    export = sub.add_parser("export", help="write JSON Schema for every gateway event")
    export.add_argument("directory", type=Path)
    export.set_defaults(func=_cmd_contracts_export)


def _cmd_contracts_export(args: argparse.Namespace) -> int:
    written = export_json_schemas(args.directory)
    print(f"wrote {len(written)} JSON Schema files to {args.directory}")
    return EXIT_OK
