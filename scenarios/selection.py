"""Which catalogue entries a run gets: the built-in catalogue plus scenario files, filtered by globs."""
from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Sequence

from harness.engine.scenario import ScenarioSpec, load_scenario_file
from harness.engine.suite import Entry
from harness.errors import ScenarioError, UsageError


def select_entries(patterns: Sequence[str], files: Sequence[Path], *, deep: bool = False,
                   seed: int | None = None) -> list[Entry]:
    from scenarios import catalogue  # the catalogue imports every domain module: only when selecting

    entries: list[Entry] = list(catalogue(deep=deep, seed=seed))
    for path in files:
        entries += validated(path, load_scenario_file(path))
    _reject_duplicate_ids(entries)
    if not patterns:
        return entries
    chosen = [e for e in entries if any(fnmatch.fnmatchcase(e.id, p) for p in patterns)]
    if not chosen:
        raise UsageError(f"no scenario matches {', '.join(patterns)}; see 'sync-harness list'")
    return chosen


def _reject_duplicate_ids(entries: Sequence[Entry]) -> None:
    seen: set[str] = set()
    for entry in entries:
        if entry.id in seen:
            raise ScenarioError(f"two scenarios share the id {entry.id!r}")
        seen.add(entry.id)


def validated(path: Path, specs: list[ScenarioSpec]) -> list[ScenarioSpec]:
    """Every scenario of a file, dry-run against the model before any target starts: unknown actions,
    parameters, actors, clients and aliases are one error naming the file and the step, not a crash
    after earlier scenarios ran."""
    from scenarios.dryrun import dry_run

    for spec in specs:
        try:
            dry_run(spec)
        except ScenarioError as exc:
            raise ScenarioError(f"{path}: {exc}") from None
        except Exception as exc:  # the model refused the scenario in a way it has no message for
            raise ScenarioError(f"{path}: scenario {spec.id!r} cannot run: {type(exc).__name__}: {exc}") from None
    return specs
