"""The ``sync-harness`` command.

Exit codes: 0 every check passed, 1 a check failed, 2 usage or target error (one-line cause on stderr),
130 interrupted. Sub-commands contributed by other packages (``serve-reference``) are discovered through
the ``sync_harness.commands`` entry point group, so the engine never imports the reference target.
"""
from __future__ import annotations

import argparse
import asyncio
import sys
from importlib.metadata import entry_points
from pathlib import Path
from typing import Callable, Sequence

from harness.errors import HarnessError, UsageError
from harness.model.world import LEGACY_OVERRIDE_MODES
from harness.profile_names import profile_argument

EXIT_OK, EXIT_CHECK_FAILED, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    try:
        return int(args.func(args))
    except HarnessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted: targets and browsers were stopped", file=sys.stderr)
        return EXIT_INTERRUPTED


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sync-harness",
        description="End-to-end realtime sync checks (convergence and no leakage) for Filament-compatible servers.",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    _add_run(commands)
    _add_list(commands)
    _add_contracts(commands)
    _add_selftest(commands)
    _add_bench(commands)
    for entry in entry_points(group="sync_harness.commands"):
        try:
            register: Callable[[argparse._SubParsersAction], None] = entry.load()
        except ImportError as exc:  # a broken optional command must not take the whole CLI down
            print(f"warning: command {entry.name!r} unavailable: {exc}", file=sys.stderr)
            continue
        register(commands)
    return parser


def add_target_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--target", default="reference",
        help="reference (default) | url:URL | command:CMD",
    )
    parser.add_argument("--target-url", help="for command: targets, the URL the command serves")
    parser.add_argument(
        "--target-env", action="append", default=[], metavar="KEY=VALUE",
        help="extra environment for command: targets (repeatable)",
    )
    parser.add_argument(
        "--web-url", help="where the web client under test is served (default: the target's own web client)",
    )
    parser.add_argument(
        "--fault", action="append", default=[], metavar="NAME",
        help="start the reference target with a planted fault (repeatable; see serve-reference --list-faults)",
    )


def _add_run(commands: argparse._SubParsersAction) -> None:
    run = commands.add_parser("run", help="run scenarios against a target and write the report")
    add_target_options(run)
    run.add_argument("--scenario", action="append", default=[], metavar="PATTERN",
                     help="glob over scenario ids (repeatable; default: all)")
    run.add_argument("--scenario-file", action="append", default=[], type=Path, metavar="FILE",
                     help="extra scenarios from a TOML or JSON file (repeatable)")
    run.add_argument("--sim-clients", type=_non_negative_int, default=0, metavar="N",
                     help="extra plain-member simulated observers added to every scenario (default 0)")
    run.add_argument("--browsers", type=_non_negative_int, default=0, metavar="N",
                     help="browser clients for browser scenarios; 0 skips them (default 0)")
    run.add_argument("--seed", type=int, help="seed of the randomised sequences (default: random, printed)")
    run.add_argument("--deadline", type=_positive_float, default=2.0, metavar="S",
                     help="convergence deadline per step in seconds (default 2)")
    run.add_argument("--quiet", type=_non_negative_float, default=0.25, metavar="S",
                     help="quiet period after settling, to catch late leaks (default 0.25)")
    run.add_argument("--profile", type=profile_argument, default="current",
                     help="client protocol profile (current | legacy-2026-02-12)")
    run.add_argument("--legacy-overrides", choices=LEGACY_OVERRIDE_MODES, default="immediate",
                     help="how the target applies POST .../overrides/{owner|moderator|member} (REST.md §14.3): "
                          "immediate (reference target, default), first_write (Filament memory mode), "
                          "deferred (Filament with Postgres: only after a restart)")
    run.add_argument("--deep", action="store_true", help="long randomised runs instead of the bounded CI run")
    run.add_argument("--report", type=Path, metavar="DIR", help="write result.json, junit.xml, allure-results here")
    run.add_argument("--json", type=Path, metavar="FILE", help="write the JSON result to FILE")
    run.add_argument("--artefacts", choices=("failures", "always"), default="failures",
                     help="when to keep browser screenshots and traces (default: failures)")
    run.set_defaults(func=_cmd_run)


def _add_list(commands: argparse._SubParsersAction) -> None:
    listing = commands.add_parser("list", help="list scenarios and the rows they cover")
    listing.add_argument("--scenario", action="append", default=[], metavar="PATTERN")
    listing.add_argument("--scenario-file", action="append", default=[], type=Path, metavar="FILE")
    listing.set_defaults(func=_cmd_list)


def _add_contracts(commands: argparse._SubParsersAction) -> None:
    contracts = commands.add_parser("contracts", help="work with the wire contract models")
    sub = contracts.add_subparsers(metavar="ACTION")
    export = sub.add_parser("export", help="write JSON Schema for every gateway event")
    export.add_argument("directory", type=Path)
    export.set_defaults(func=_cmd_contracts_export)


def _add_selftest(commands: argparse._SubParsersAction) -> None:
    selftest = commands.add_parser("selftest", help="prove every planted fault is caught by its expected check")
    selftest.add_argument("--json", type=Path, metavar="FILE", help="write the JSON result with the matrix")
    selftest.add_argument("--jobs", type=_positive_int, default=2, help="faulty targets run in parallel (default 2)")
    selftest.add_argument("--fault", action="append", default=[], metavar="NAME", help="only these faults")
    selftest.add_argument("--disable-check", action="append", default=[], metavar="CHECK",
                          help="deliberately break the harness by disabling a checker (proves selftest fails)")
    selftest.add_argument("--no-browsers", action="store_true",
                          help="skip the web-client faults (no Chromium); the verdict then fails")
    selftest.set_defaults(func=_cmd_selftest)


def _add_bench(commands: argparse._SubParsersAction) -> None:
    bench = commands.add_parser("bench", help="measure startup, latency and throughput with figures")
    add_target_options(bench)
    bench.add_argument("--json", type=Path, metavar="FILE")
    bench.add_argument("--clients", type=_positive_int, default=8)
    bench.add_argument("--messages", type=_positive_int, default=200)
    bench.set_defaults(func=_cmd_bench)


def _cmd_run(args: argparse.Namespace) -> int:
    from harness.suite import RunOptions, run_suite

    options = RunOptions.from_args(args)
    result = asyncio.run(run_suite(options))
    return EXIT_OK if result.status == "passed" else EXIT_CHECK_FAILED


def _cmd_list(args: argparse.Namespace) -> int:
    from harness.suite import print_listing

    print_listing(args.scenario, args.scenario_file)
    return EXIT_OK


def _cmd_contracts_export(args: argparse.Namespace) -> int:
    from contracts.export import export_json_schemas

    written = export_json_schemas(args.directory)
    print(f"wrote {len(written)} JSON Schema files to {args.directory}")
    return EXIT_OK


def _cmd_selftest(args: argparse.Namespace) -> int:
    from harness.selftest import run_selftest

    return asyncio.run(run_selftest(args))


def _cmd_bench(args: argparse.Namespace) -> int:
    from harness.bench import run_bench

    return asyncio.run(run_bench(args))


def _positive_int(text: str) -> int:
    value = _int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _non_negative_int(text: str) -> int:
    value = _int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {value}")
    return value


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None


def _positive_float(text: str) -> float:
    value = _non_negative_float(text)
    if value == 0:
        raise argparse.ArgumentTypeError("must be greater than 0")
    return value


def _non_negative_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"must not be negative, got {value}")
    return value


__all__ = ["main", "build_parser", "add_target_options", "UsageError"]


if __name__ == "__main__":
    sys.exit(main())
