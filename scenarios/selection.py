"""Which catalogue entries a run gets: the built-in catalogue plus scenario files, filtered by globs."""
from __future__ import annotations

import fnmatch
from pathlib import Path
from typing import Sequence

from harness.engine.scenario import load_scenario_file
from harness.engine.suite import Entry
from harness.errors import ScenarioError, UsageError


def select_entries(patterns: Sequence[str], files: Sequence[Path], *, deep: bool = False,
                   seed: int | None = None) -> list[Entry]:
    from scenarios import catalogue  # the catalogue imports every domain module: only when selecting

    entries: list[Entry] = list(catalogue(deep=deep, seed=seed))
    for path in files:
        entries += load_scenario_file(path)
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
