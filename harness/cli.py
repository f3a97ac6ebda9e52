"""The ``sync-harness`` command: wiring only.

Every sub-command is a module with ``register(subparsers)``, found through the ``sync_harness.commands``
entry point group (the engine's own commands in :mod:`harness.commands`, ``serve-reference`` from the
reference target, so the engine never imports it). This module builds the parser from them and turns
errors into exit codes: 0 every check passed, 1 a check failed, 2 usage or target error (one-line cause
on stderr), 130 interrupted (Ctrl-C), 143 terminated (SIGTERM; handled like Ctrl-C).
"""
from __future__ import annotations

import argparse
import signal
import sys
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Callable, Sequence

from harness.commands.options import EXIT_INTERRUPTED, EXIT_TERMINATED, EXIT_USAGE
from harness.errors import HarnessError, Terminated

COMMAND_GROUP = "sync_harness.commands"
HELP_ORDER = ("run", "list", "contracts", "selftest", "bench", "serve-reference", "rollout", "matrix", "soak")
"""The order commands are listed in ``--help``; commands of other packages follow, by name."""


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    previous = _terminate_like_interrupt()
    try:
        return int(args.func(args))
    except HarnessError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except Terminated:
        print("terminated (SIGTERM): targets and browsers were stopped", file=sys.stderr)
        return EXIT_TERMINATED
    except KeyboardInterrupt:
        print("interrupted: targets and browsers were stopped", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _terminate_like_interrupt() -> Any:
    """SIGTERM raises :class:`Terminated` (a KeyboardInterrupt) so every command cleans up as on Ctrl-C;
    ``run`` handles both signals itself while its event loop runs (harness.commands.interrupts)."""
    def terminated(_signum: int, _frame: Any) -> None:
        raise Terminated()

    try:
        return signal.signal(signal.SIGTERM, terminated)
    except ValueError:  # not the main thread: leave signals alone
        return None


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sync-harness",
        description="End-to-end realtime sync checks (convergence and no leakage) for Filament-compatible servers.",
    )
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    found = _command_entry_points()
    if "run" not in {entry.name for entry in found}:
        print(f"warning: no '{COMMAND_GROUP}' entry points for the engine's commands; "
              "reinstall the package (pip install -e .)", file=sys.stderr)
    for entry in found:
        try:
            register: Callable[[argparse._SubParsersAction], None] = entry.load()
        except ImportError as exc:  # a broken optional command must not take the whole CLI down
            print(f"warning: command {entry.name!r} unavailable: {exc}", file=sys.stderr)
            continue
        register(commands)
    return parser


def _command_entry_points() -> list[EntryPoint]:
    unique = {entry.name: entry for entry in entry_points(group=COMMAND_GROUP)}
    rank = {name: index for index, name in enumerate(HELP_ORDER)}
    return sorted(unique.values(), key=lambda entry: (rank.get(entry.name, len(rank)), entry.name))


__all__ = ["main", "build_parser"]


if __name__ == "__main__":
    sys.exit(main())
