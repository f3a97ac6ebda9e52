"""The version matrix: which client versions work with which server versions, as reviewed data.

A matrix file (TOML, ``scenarios/compat/matrix.toml``) names the client profiles, the servers (a server
profile of the reference target, optionally with planted faults), the scenario set, and for **every**
cell its declared expectation, like a can-i-deploy table a team reviews:

* ``compatible`` — every scenario passes;
* ``degrades`` — no failure, and at least one scenario ends ``degraded`` (expected degradation:
  staleness until the client's refresh flow, a clear error on a route the server lacks);
* ``incompatible`` — at least one scenario fails or errors.

A cell is green when what it observed is what it declares; red otherwise, with the reason.
"""
from __future__ import annotations

import fnmatch
import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from contracts.profiles import PROFILES
from contracts.server_profiles import SERVER_PROFILES
from harness.engine.results import ScenarioResult
from harness.engine.scenario import ScenarioSpec, load_scenario_file
from harness.errors import ScenarioError, UsageError

Expectation = Literal["compatible", "degrades", "incompatible"]
MAX_REASONS = 5


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class ClientEntry(_Model):
    name: str
    profile: str

    @field_validator("profile")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in PROFILES:
            raise ValueError(f"unknown protocol profile {value!r}; use one of {', '.join(PROFILES)}")
        return value


class ServerEntry(_Model):
    name: str
    profile: str = "head"
    faults: list[str] = Field(default_factory=list)
    """Planted faults of the reference target (a server that deviates from its profile)."""

    @field_validator("profile")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in SERVER_PROFILES:
            raise ValueError(f"unknown server profile {value!r}; use one of {', '.join(SERVER_PROFILES)}")
        return value


class CellEntry(_Model):
    client: str
    server: str
    expect: Expectation
    why: str = ""
    """The reviewer's reason, shown in the report."""


class MatrixPlan(_Model):
    scenario_files: list[str]
    """Relative to the matrix file."""
    scenarios: list[str] = Field(default_factory=lambda: ["*"])
    """Glob patterns over the scenario ids of those files."""
    clients: list[ClientEntry]
    servers: list[ServerEntry]
    cells: list[CellEntry]

    @model_validator(mode="after")
    def _every_cell_declared_once(self) -> "MatrixPlan":
        clients, servers = [c.name for c in self.clients], [s.name for s in self.servers]
        for kind, names in (("client", clients), ("server", servers)):
            if len(set(names)) != len(names):
                raise ValueError(f"{kind} names must be unique")
        declared: set[tuple[str, str]] = set()
        for cell in self.cells:
            if cell.client not in clients or cell.server not in servers:
                raise ValueError(f"cell {cell.client} × {cell.server} names an unknown client or server")
            if (cell.client, cell.server) in declared:
                raise ValueError(f"cell {cell.client} × {cell.server} is declared twice")
            declared.add((cell.client, cell.server))
        missing = [f"{c} × {s}" for c in clients for s in servers if (c, s) not in declared]
        if missing:
            raise ValueError(f"every cell needs a declared expectation; missing: {', '.join(missing)}")
        return self

    def cell(self, client: str, server: str) -> CellEntry:
        return next(c for c in self.cells if c.client == client and c.server == server)

    def only(self, clients: list[str], servers: list[str]) -> "MatrixPlan":
        """The sub-matrix of the named clients and servers (all when a list is empty)."""
        for wanted, known, kind in ((clients, self.clients, "client"), (servers, self.servers, "server")):
            unknown = sorted(set(wanted) - {e.name for e in known})
            if unknown:
                raise UsageError(f"unknown {kind} {unknown[0]!r} in the matrix; known: {', '.join(e.name for e in known)}")
        keep_c = [c for c in self.clients if not clients or c.name in clients]
        keep_s = [s for s in self.servers if not servers or s.name in servers]
        names_c, names_s = {c.name for c in keep_c}, {s.name for s in keep_s}
        return self.model_copy(update={"clients": keep_c, "servers": keep_s,
                                       "cells": [c for c in self.cells if c.client in names_c and c.server in names_s]})


def load_plan(path: Path) -> MatrixPlan:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UsageError(f"cannot read the matrix file {path}: {exc.strerror or exc}") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise UsageError(f"matrix file {path}: not valid TOML: {str(exc).splitlines()[0]}") from None
    try:
        return MatrixPlan.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"]) or "(file)"
        raise UsageError(f"matrix file {path}: {where}: {first['msg']}") from None


def plan_scenarios(plan: MatrixPlan, matrix_path: Path) -> list[ScenarioSpec]:
    specs: list[ScenarioSpec] = []
    for name in plan.scenario_files:
        specs += load_scenario_file(matrix_path.parent / name)
    chosen = [s for s in specs if any(fnmatch.fnmatchcase(s.id, p) for p in plan.scenarios)]
    if not chosen:
        raise ScenarioError(f"matrix file {matrix_path}: the patterns {plan.scenarios} select no scenario")
    return chosen


# ---- results -------------------------------------------------------------------------------------

class CellResult(_Model):
    client: str
    client_profile: str
    server: str
    server_profile: str
    faults: list[str] = Field(default_factory=list)
    declared: Expectation
    why: str = ""
    observed: Expectation
    ok: bool
    reasons: list[str] = Field(default_factory=list)
    """Why the cell is red (or, when green and degrading, what degraded)."""
    scenarios: list[ScenarioResult] = Field(default_factory=list)


class MatrixResult(_Model):
    schema_version: str = "1.0"
    tool: str = "filament-sync-harness"
    kind: Literal["matrix"] = "matrix"
    status: Literal["passed", "failed"]
    started_at: str
    duration_s: float
    matrix_file: str
    clients: list[str]
    servers: list[str]
    scenario_ids: list[str]
    cells: list[CellResult]


def observed_outcome(results: list[ScenarioResult]) -> Expectation:
    if any(r.status in ("failed", "error") for r in results):
        return "incompatible"
    if any(r.status == "degraded" for r in results):
        return "degrades"
    return "compatible"


def judge_cell(client: ClientEntry, server: ServerEntry, cell: CellEntry, results: list[ScenarioResult]) -> CellResult:
    observed = observed_outcome(results)
    ok = observed == cell.expect
    return CellResult(client=client.name, client_profile=client.profile, server=server.name,
                      server_profile=server.profile, faults=list(server.faults), declared=cell.expect, why=cell.why,
                      observed=observed, ok=ok, reasons=_reasons(observed, cell.expect, results), scenarios=results)


def _reasons(observed: Expectation, declared: Expectation, results: list[ScenarioResult]) -> list[str]:
    lines: list[str] = []
    if observed == "incompatible":
        for r in results:
            if r.error:
                lines.append(f"{r.id}: error: {r.error}")
            lines += [f"{r.id}: [{f.check}/{f.kind}] {f.message}" for f in r.failures]
    elif observed == "degrades":
        lines += [f"{r.id}: [{f.check}/{f.kind}] {f.message}" for r in results for f in r.degradations]
    elif declared != observed:
        lines.append(f"declared {declared}, but every scenario passed")
    if declared != observed and observed != "compatible":
        lines.insert(0, f"declared {declared}, observed {observed}")
    return lines[:MAX_REASONS]
