"""The pytest gate's ``--sync-NAME`` options are the `sync-harness run` options, defined once.

The definition is `run`'s own parser (harness/commands/run.py and the target options of options.py):
the plugin (fixtures/plugin.py) builds that parser and adds a ``--sync-NAME`` twin of each option with
the same type, default, choices, metavar and help. An option added to `run` later gets its twin for
free; an option that must not have one is listed in ``RUN_ONLY`` with the reason
(tests/unit/test_shared_options.py holds the two sides together).
"""
from __future__ import annotations

import argparse
from typing import Any, Iterator, Mapping

RUN_ONLY: Mapping[str, str] = {
    "--report": "pytest writes its own reports: --junitxml, --alluredir",
    "--json": "pytest writes its own reports: --junitxml, --alluredir",
    "--compare": "a comparison of the CLI's result.json files",
    "--artefacts": "the gate keeps failure artefacts (screenshots, traces) by default; --sync-artefacts DIR says where",
}
PYTEST_DEFAULTS: Mapping[str, Any] = {"--target": None}
"""Where the gate differs: without ``--sync-target`` the plugin only offers its fixtures."""
PYTEST_HELP: Mapping[str, str] = {
    "--target": "run the scenario catalogue against: reference | url:URL | command:CMD "
                "(without it the plugin only offers its fixtures, which then use the reference target)"}
PYTEST_ONLY = ("--sync-artefacts", "--sync-rollout", "--sync-baseline-schemas", "--sync-manifest",
               "--sync-max-event-bytes")
"""Gate options with no `run` twin: run keeps artefacts under --report; the others are `rollout`'s
(fixtures/rollout_items.py)."""

_ACTIONS = {argparse._StoreAction: "store", argparse._AppendAction: "append",
            argparse._StoreTrueAction: "store_true"}


def run_parser() -> argparse.ArgumentParser:
    """`sync-harness run`'s parser, built by its own ``register``."""
    from harness.commands.run import register

    subparsers = argparse.ArgumentParser(prog="sync-harness").add_subparsers()
    register(subparsers)
    return subparsers.choices["run"]


def twins(parser: argparse.ArgumentParser | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
    """(``--sync-NAME``, addoption keyword arguments) for every `run` option not in ``RUN_ONLY``."""
    for action in (parser or run_parser())._actions:
        long = next((o for o in action.option_strings if o.startswith("--")), None)
        if long is None or long == "--help" or long in RUN_ONLY:
            continue
        kind = _ACTIONS.get(type(action))
        if kind is None:
            raise TypeError(f"{long}: no pytest twin for argparse action {type(action).__name__}")
        kwargs: dict[str, Any] = {"action": kind, "help": PYTEST_HELP.get(long, action.help),
                                  "default": PYTEST_DEFAULTS.get(long, action.default)}
        if kind != "store_true":
            kwargs.update(type=action.type, choices=action.choices, metavar=action.metavar)
        yield "--sync-" + long[2:], {k: v for k, v in kwargs.items() if v is not None or k == "default"}


def add_pytest_options(group: Any) -> None:
    """Add the ``--sync-NAME`` twins to a pytest option group (``parser.getgroup(...)``)."""
    for name, kwargs in twins():
        group.addoption(name, **kwargs)
