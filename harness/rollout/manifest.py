"""Item 5, manifest drift: Filament's ``gateway_events_manifest.json`` against the harness's catalogue.

The manifest (``{"events": [{"event_type", "schema_version", "scope", "lifecycle"}, …]}``, GATEWAY.md
§2.1) is what the server declares it emits. Every declared event must be in the catalogue and every
catalogue event declared, with the same schema version and manifest scope; a difference fails, naming
the event.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Mapping

from contracts.catalogue import CATALOGUE, EventSpec
from harness.errors import UsageError
from harness.rollout.checklist import ItemResult, failed, passed, skipped

NUMBER, KEY, TITLE = 5, "manifest_drift", "Manifest drift"


def load_manifest(path: Path) -> dict[str, dict[str, Any]]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        entries = document["events"]
        return {entry["event_type"]: entry for entry in entries}
    except FileNotFoundError:
        raise UsageError(f"--manifest {path}: no such file") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"--manifest {path}: not a gateway events manifest "
                         f"({{\"events\": [{{\"event_type\", \"schema_version\", \"scope\", \"lifecycle\"}}]}}): "
                         f"{type(exc).__name__}: {exc}") from None


def judge_manifest(path: Path | None, catalogue: Mapping[str, EventSpec] = CATALOGUE) -> ItemResult:
    if path is None:
        return skipped(NUMBER, KEY, TITLE, "no --manifest given (Filament's gateway_events_manifest.json)")
    declared = load_manifest(path)
    problems: list[str] = []
    for name in sorted(set(declared) - set(catalogue)):
        problems.append(f"{name}: declared by the server's manifest, unknown to the harness's catalogue")
    for name in sorted(set(catalogue) - set(declared)):
        problems.append(f"{name}: in the harness's catalogue, missing from the server's manifest")
    for name in sorted(set(declared) & set(catalogue)):
        entry, spec = declared[name], catalogue[name]
        if entry.get("schema_version") != spec.schema_version:
            problems.append(f"{name}: schema_version {entry.get('schema_version')} in the manifest, "
                            f"{spec.schema_version} in the catalogue")
        if entry.get("scope") != spec.manifest_scope:
            problems.append(f"{name}: scope {entry.get('scope')!r} in the manifest, {spec.manifest_scope!r} in the catalogue")
    inactive = sorted(n for n, e in declared.items() if e.get("lifecycle", "active") != "active")
    evidence = [f"manifest {path}: {len(declared)} events; catalogue: {len(catalogue)} events"]
    if inactive:
        evidence.append("not active in the manifest: " + ", ".join(f"{n} ({declared[n].get('lifecycle')})" for n in inactive))
    if problems:
        return failed(NUMBER, KEY, TITLE, f"{len(problems)} difference(s); first: {problems[0]}", problems + evidence)
    return passed(NUMBER, KEY, TITLE, f"the manifest's {len(declared)} events equal the catalogue (names, schema "
                  "versions, scopes)", evidence)
