"""The built-in scenario catalogue: one scenario per mutation row (``row.*``), lifecycle stories
(``lifecycle.*``), harness-injected faults (``nemesis.*``, docs/nemesis.md), browser scenarios
(``browser.*``, skipped unless the run has browser clients, docs/browser-clients.md) and the
randomised run (``stateful.bounded``, or ``stateful.deep``).

Scenarios are data (``harness.engine.scenario.ScenarioSpec``) built with the DSL of ``scenarios.dsl`` from
the standard worlds (``scenarios.worlds``) and observers (``scenarios.observers``); the randomised
run is a ``GeneratedScenario`` that drives the runner step by step. Ids are stable and dotted.
"""
from __future__ import annotations

from pathlib import Path

from harness.engine.scenario import ScenarioSpec, load_scenario_file
from scenarios import friends, ip_bans, lifecycles, members, messages, overrides, profile, roles, stateful, workspace
from scenarios.browser import BROWSER_SCENARIOS
from scenarios.nemesis import NEMESIS_SCENARIOS
from scenarios.stateful import GeneratedScenario

EXAMPLES = Path(__file__).resolve().parent / "examples"
"""Scenarios written as TOML files (the format ``sync-harness run --scenario-file`` reads)."""

_DOMAINS = (messages, workspace, members, roles, overrides, ip_bans, profile, friends)


def row_scenarios() -> list[ScenarioSpec]:
    """One scenario per row (``workspace.update`` and ``channel.permission_override`` have several)."""
    return [spec for domain in _DOMAINS for spec in domain.catalogue()]


def example_scenarios() -> list[ScenarioSpec]:
    return [spec for path in sorted(EXAMPLES.glob("*.toml")) for spec in load_scenario_file(path)]


def catalogue(*, deep: bool = False, seed: int | None = None) -> list[ScenarioSpec | GeneratedScenario]:
    """Every built-in scenario: rows, lifecycles, nemesis, browser, then the randomised run (bounded
    for CI; ``deep`` for long explorations; ``seed`` makes it reproducible, None draws one and
    reports it)."""
    generated = stateful.deep(seed) if deep else stateful.bounded(seed)
    return [*row_scenarios(), *lifecycles.catalogue(), *NEMESIS_SCENARIOS, *BROWSER_SCENARIOS, generated]


__all__ = ["catalogue", "row_scenarios", "example_scenarios", "GeneratedScenario", "EXAMPLES"]
