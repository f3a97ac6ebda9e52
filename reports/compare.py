"""What changed since previous runs (``run --compare PREVIOUS.json``, repeatable): new failures, fixed,
still failing, and flaky scenarios — so a CI gate can say what broke since the last green build.

Design (docs/html-report.md): no history file of our own. The previous runs are the JSON results CI
already keeps (result.json of earlier builds); pass one for "since the last build", several for
flakiness. They are ordered by ``started_at``. Outcomes: ``passed`` is pass, ``failed`` and ``error``
are fail, ``skipped`` or absent is "did not run" (ignored).

* new failure: fails now, and passed the last time it ran (or never ran before);
* fixed: passes now, failed the last time it ran;
* still failing: fails now and failed the last time it ran (with the check/kind pairs that are new);
* flaky: its outcome flipped at least twice over the previous runs and this one (pass→fail→pass…);
  a single flip is a new failure or a fix, not flakiness.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Sequence

from harness.errors import UsageError

Outcome = str  # "pass" | "fail"
_OUTCOME = {"passed": "pass", "failed": "fail", "error": "fail"}
COMPARISON_FILE = "comparison.json"


def load_previous(paths: Sequence[Path]) -> list[dict[str, Any]]:
    """Read previous results now, before the run: a bad file is a one-line usage error (exit 2)."""
    runs = []
    for path in paths:
        try:
            data = json.loads(Path(path).read_text(encoding="utf-8"))
        except OSError as exc:
            raise UsageError(f"--compare {path}: cannot read it: {exc.strerror or exc}") from None
        except ValueError as exc:
            raise UsageError(f"--compare {path}: not JSON ({exc})") from None
        if not isinstance(data, dict) or not isinstance(data.get("scenarios"), list) or "started_at" not in data:
            raise UsageError(f"--compare {path}: not a sync-harness result (no started_at and scenarios)")
        runs.append({**data, "_path": str(path)})
    return sorted(runs, key=lambda run: str(run["started_at"]))


def compare(current: dict[str, Any], previous: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """``current`` and ``previous`` are results as result.json holds them; ``previous`` oldest first."""
    past = [_outcomes(run) for run in previous]
    now = _outcomes(current)
    out: dict[str, Any] = {"previous": [{"started_at": run["started_at"], "status": run.get("status"),
                                         "path": run.get("_path")} for run in previous],
                           "new_failures": [], "fixed": [], "still_failing": [], "flaky": [],
                           "new_checks": {}, "history": {}}
    for scenario_id, (outcome, checks) in now.items():
        history = [p[scenario_id][0] for p in past if scenario_id in p] + [outcome]
        last = next((p[scenario_id] for p in reversed(past) if scenario_id in p), None)
        out["history"][scenario_id] = history
        if outcome == "fail" and (last is None or last[0] == "pass"):
            out["new_failures"].append(scenario_id)
        elif outcome == "pass" and last is not None and last[0] == "fail":
            out["fixed"].append(scenario_id)
        elif outcome == "fail" and last is not None:
            out["still_failing"].append(scenario_id)
            added = sorted(checks - last[1])
            if added:
                out["new_checks"][scenario_id] = added
        if sum(1 for a, b in zip(history, history[1:]) if a != b) >= 2:
            out["flaky"].append(scenario_id)
    return out


def _outcomes(run: dict[str, Any]) -> dict[str, tuple[Outcome, set[str]]]:
    """scenario id -> (pass | fail, the check/kind pairs it failed); scenarios that did not run are left out."""
    out = {}
    for scenario in run.get("scenarios", []):
        outcome = _OUTCOME.get(scenario.get("status", ""))
        if outcome is not None:
            out[scenario["id"]] = (outcome, {f"{f['check']}/{f['kind']}" for f in scenario.get("failures", [])})
    return out


def describe(comparison: dict[str, Any]) -> list[str]:
    """The comparison as console lines."""
    count = len(comparison["previous"])
    lines = [f"compared with {count} previous run{'' if count == 1 else 's'}:"]
    for key, title in (("new_failures", "new failures"), ("fixed", "fixed"), ("still_failing", "still failing"),
                       ("flaky", "flaky")):
        ids = comparison[key]
        lines.append(f"  {title} ({len(ids)}): {', '.join(ids) if ids else '-'}")
    for scenario_id, checks in comparison["new_checks"].items():
        lines.append(f"  {scenario_id} now also fails {', '.join(checks)}")
    return lines
