"""Resolve a scenario step (data) into what the runner executes: a mutation or a harness action.

``do`` is either a mutation row id of contracts.mutations (``message.edit``, ``member.kick``, … and the
``setup.*`` mutations) whose parameters are the mutation's fields, or one of the harness actions
below. Unknown names and bad parameters become a ScenarioError naming the scenario and the step.
"""
from __future__ import annotations

import dataclasses
import functools
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import TypeAdapter, ValidationError

from harness.errors import ScenarioError
from harness.model.mutations import ROWS, Mutation, UpdateProfile
from harness.engine.scenario import StepSpec
from harness.engine.seeding import username_for


@dataclass(frozen=True)
class Subscribe:
    """Subscribe every connection of ``client`` to ``guild/channel`` (aliases)."""

    client: str
    guild: str
    channel: str


@dataclass(frozen=True)
class Connect:
    """Open one more gateway connection for ``client``; it subscribes like the client's others."""

    client: str


@dataclass(frozen=True)
class Disconnect:
    """Close connection ``index`` of ``client``: gracefully, or abruptly (a network drop)."""

    client: str
    index: int = 0
    abrupt: bool = False


@dataclass(frozen=True)
class Refresh:
    """``client`` re-reads its whole state over REST (the web client's Refresh action or a reload): the
    refresh flow through which an older client catches up with what it ignored (docs/mixed-versions.md)."""

    client: str


@dataclass(frozen=True)
class Nemesis:
    """A fault injected by the harness (docs/nemesis.md): recorded in the history like any action."""

    name: Literal["drop", "reconnect", "drop_and_reconnect", "stall_reads", "restart_server", "latency"]
    client: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class UiCheck:
    """A web-client check through Playwright (harness.engine.ui_checks): ``do: ui.<check>``."""

    client: str
    check: Literal["settings_split", "client_settings", "workspace_settings", "workspace_permissions",
                   "panels_close", "panels_separate"]


HarnessAction = Subscribe | Connect | Disconnect | Nemesis | UiCheck | Refresh
Action = Mutation | HarnessAction

_HARNESS_ACTIONS: dict[str, type] = {
    "subscribe": Subscribe,
    "connect": Connect,
    "disconnect": Disconnect,
    "refresh": Refresh,
}


def resolve_step(scenario_id: str, index: int, step: StepSpec, namespace: str) -> Action:
    """The executable action of one step; ``namespace`` keeps new usernames unique within the run."""
    where = f"scenario {scenario_id!r}, step {index} ({step.do})"
    params = step.params
    if step.do.startswith("nemesis."):
        name = step.do.removeprefix("nemesis.")
        client = params.pop("client", None)
        return _build(Nemesis, {"name": name, "client": client, "params": params}, where)
    if step.do.startswith("ui."):
        return _build(UiCheck, {"check": step.do.removeprefix("ui."), **params}, where)
    if step.do in _HARNESS_ACTIONS:
        return _build(_HARNESS_ACTIONS[step.do], params, where)
    mutation_cls = ROWS.get(step.do)
    if mutation_cls is None:
        known = ", ".join(sorted([*ROWS, *_HARNESS_ACTIONS, "nemesis.<name>", "ui.<check>"]))
        raise ScenarioError(f"{where}: unknown action {step.do!r}; known: {known}")
    if mutation_cls is UpdateProfile and isinstance(params.get("username"), str):
        params["username"] = username_for(params["username"], namespace)
    return _build(mutation_cls, params, where)


@functools.lru_cache(maxsize=None)
def _parameters(cls: type) -> frozenset[str]:
    """The names a step may give ``cls`` (its init fields; ``actor`` included for mutations)."""
    return frozenset(f.name for f in dataclasses.fields(cls) if f.init)


@functools.lru_cache(maxsize=None)
def _adapter(cls: type) -> TypeAdapter[Any]:
    """Building a TypeAdapter costs about a millisecond; the randomised run resolves thousands of steps."""
    return TypeAdapter(cls)


def _build(cls: type, params: dict[str, Any], where: str) -> Any:
    unknown = sorted(set(params) - _parameters(cls))
    if unknown:  # a misspelt parameter would otherwise be dropped and the step test something else
        known = ", ".join(sorted(_parameters(cls)))
        raise ScenarioError(f"{where}: unknown parameter {unknown[0]!r}; known: {known}")
    try:
        return _adapter(cls).validate_python(params)
    except ValidationError as exc:
        first = exc.errors()[0]
        field_name = ".".join(str(part) for part in first["loc"]) or "(parameters)"
        raise ScenarioError(f"{where}: {field_name}: {first['msg']}") from None
