"""Every `sync-harness run` option has its pytest twin, from one definition (run's own parser), with the
same type, default and choices — except the few that are run-only on purpose, each with its reason."""
from __future__ import annotations

import argparse

import pytest

from fixtures import plugin
from harness.commands.shared_options import PYTEST_DEFAULTS, PYTEST_ONLY, RUN_ONLY, run_parser, twins


def _pytest_parser() -> pytest.Parser:
    parser = pytest.Parser(_ispytest=True)  # the parser pytest hands to pytest_addoption
    plugin.pytest_addoption(parser)
    return parser


def _pytest_options(parser: pytest.Parser) -> dict[str, argparse.Action]:
    group = parser.getgroup("sync-harness")
    return {opt.names()[0]: opt for opt in group.options}


def test_every_run_option_has_a_sync_twin_or_a_reason_not_to() -> None:
    run_options = {o for a in run_parser()._actions for o in a.option_strings if o.startswith("--")} - {"--help"}
    gate = set(_pytest_options(_pytest_parser()))
    missing = {o for o in run_options - set(RUN_ONLY) if f"--sync-{o[2:]}" not in gate}
    assert not missing, f"run options without a --sync- twin: {sorted(missing)}"
    assert "--sync-web-url" in gate  # the one the issue found missing
    assert gate - {name for name, _ in twins()} == set(PYTEST_ONLY)


def test_twins_parse_values_like_run_does() -> None:
    options = dict(twins())
    run = run_parser()
    for name, kwargs in options.items():
        action = next(a for a in run._actions if f"--{name[len('--sync-'):]}" in a.option_strings)
        assert kwargs.get("type") is action.type and kwargs.get("choices") == action.choices, name
        assert kwargs["default"] == PYTEST_DEFAULTS.get(f"--{name[len('--sync-'):]}", action.default), name
    parsed = _pytest_parser().parse_known_args(["--sync-browsers", "2", "--sync-deadline", "0.5",
                                                "--sync-web-url", "http://127.0.0.1:5173", "--sync-deep"])
    assert (parsed.sync_browsers, parsed.sync_deadline, parsed.sync_web_url, parsed.sync_deep) == (
        2, 0.5, "http://127.0.0.1:5173", True)
    assert parsed.sync_target is None, "without --sync-target the plugin stays out of the project's own tests"


def test_a_bad_value_is_refused_by_the_same_type_as_run() -> None:
    with pytest.raises(pytest.UsageError, match="--sync-browsers: must not be negative, got -1"):
        _pytest_parser().parse(["--sync-browsers", "-1"])
