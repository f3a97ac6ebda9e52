"""Known-issue baselines: a reviewed file of failures a target is known to have.

A run with ``--baseline FILE`` reports a failure that matches an entry as *known* (the scenario's status
becomes ``known``; the run still passes), fails on any failure no entry matches, and reports an entry
that matched nothing in a scenario that ran as *stale* (the bug was fixed, or the entry is wrong), which
fails the run only with ``--baseline-strict`` — the same contract as pytest's strict xfail.

File format (TOML; JSON with the same keys works too)::

    version = 1
    target = "filament-server 2f1262f, PostgreSQL"

    [[known]]
    scenario = "row.member.kick"          # glob over scenario ids
    check = "delivery"                    # contract | delivery | convergence | redaction | ui | error
    kind = "leak"                         # glob over the check's kind (for ``error``: ``scenario``)
    event = "workspace_member_remove"     # glob over the event type (default "*")
    connection = "carol*"                 # glob over the connection id or client label (default "*")
    message = "*"                         # glob over the failure message / scenario error (default "*")
    reason = "the server sends … to … (crates/…/gateway.rs: fanout_guild)"
    link = "https://github.com/poisson-fish/filament/issues/…"
    evidence = "frames: …"                # optional: what was observed, where in the server's code

``check = "error"`` matches a scenario that could not run to its end (its one-line ``error``).
"""
from __future__ import annotations

import fnmatch
import json
import tomllib
from pathlib import Path
from typing import Iterable, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from harness.engine.results import BaselineReport, EntryUse, FailureRecord, ScenarioResult
from harness.errors import UsageError

__all__ = ["Baseline", "KnownIssue", "BaselineReport", "EntryUse", "load_baseline", "classify",
           "baseline_report", "draft_baseline", "write_baseline", "ERROR_CHECK"]

ERROR_CHECK = "error"
BaselineCheck = Literal["contract", "delivery", "convergence", "redaction", "ui", "error"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class KnownIssue(_Strict):
    scenario: str = Field(min_length=1)
    check: BaselineCheck
    kind: str = "*"
    event: str = "*"
    connection: str = "*"
    message: str = "*"
    reason: str = Field(min_length=1)
    link: str = ""
    evidence: str = ""

    @property
    def key(self) -> str:
        """A short name for reports: ``scenario check/kind event connection``."""
        parts = [self.scenario, f"{self.check}/{self.kind}"]
        parts += [p for p in (self.event, self.connection) if p != "*"]
        return " ".join(parts)

    def matches_scenario(self, scenario_id: str) -> bool:
        return fnmatch.fnmatchcase(scenario_id, self.scenario)

    def matches_failure(self, scenario_id: str, failure: FailureRecord) -> bool:
        return (self.check == failure.check and self.matches_scenario(scenario_id)
                and _glob(failure.kind, self.kind) and _glob(failure.event_type, self.event)
                and (_glob(failure.connection, self.connection) or _glob(failure.client, self.connection))
                and _glob(failure.message, self.message))

    def matches_error(self, scenario_id: str, error: str) -> bool:
        return (self.check == ERROR_CHECK and self.matches_scenario(scenario_id)
                and _glob("scenario", self.kind) and _glob(error, self.message))


def _glob(value: str | None, pattern: str) -> bool:
    return pattern == "*" or fnmatch.fnmatchcase(value or "", pattern)


class Baseline(_Strict):
    version: Literal[1] = 1
    target: str = ""
    known: list[KnownIssue] = Field(default_factory=list)

    def first_match(self, scenario_id: str, failure: FailureRecord) -> int | None:
        return next((i for i, e in enumerate(self.known) if e.matches_failure(scenario_id, failure)), None)

    def error_match(self, scenario_id: str, error: str) -> int | None:
        return next((i for i, e in enumerate(self.known) if e.matches_error(scenario_id, error)), None)


def load_baseline(path: Path) -> Baseline:
    """The baseline at ``path`` (TOML, or JSON by suffix); UsageError naming the file and the problem."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise UsageError(f"cannot read baseline {path}: {exc.strerror or exc}") from None
    try:
        data = json.loads(text) if path.suffix == ".json" else tomllib.loads(text)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise UsageError(f"baseline {path}: not valid {'JSON' if path.suffix == '.json' else 'TOML'}: {exc}") \
            from None
    try:
        return Baseline.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(file)'}: {e['msg']}" for e in exc.errors())
        raise UsageError(f"baseline {path}: {problems}") from None


# ---- classifying results ------------------------------------------------------------------------------

def classify(result: ScenarioResult, baseline: Baseline) -> ScenarioResult:
    """``result`` with each failure that an entry matches marked ``known`` (entry index, reason, link);
    status ``known`` when every error-severity failure (and the scenario error, if any) is known."""
    if result.status not in ("failed", "error"):
        return result
    failures = [_mark(f, baseline, result.id) for f in result.failures]
    all_known = all(f.known is not None for f in failures if f.severity == "error")
    error_known = None
    if result.status == "error" and result.error:
        index = baseline.error_match(result.id, result.error)
        error_known = None if index is None else _known(baseline, index)
        all_known = all_known and error_known is not None
    update: dict[str, object] = {"failures": failures, "error_known": error_known}
    if all_known:
        update["status"] = "known"
    return result.model_copy(update=update)


def _mark(failure: FailureRecord, baseline: Baseline, scenario_id: str) -> FailureRecord:
    if failure.severity != "error":
        return failure
    index = baseline.first_match(scenario_id, failure)
    return failure if index is None else failure.model_copy(update={"known": _known(baseline, index)})


def _known(baseline: Baseline, index: int) -> dict[str, object]:
    entry = baseline.known[index]
    return {"entry": index, "key": entry.key, "reason": entry.reason, "link": entry.link}


def baseline_report(baseline: Baseline, results: Iterable[ScenarioResult], *, path: str,
                    strict: bool = False) -> BaselineReport:
    """How each entry fared over classified ``results``."""
    results = list(results)
    uses = []
    for index, entry in enumerate(baseline.known):
        ran = [r for r in results if entry.matches_scenario(r.id) and r.status != "skipped"]
        hits = [(r.id, n) for r in ran for n in _hits(r, index)]
        state = "matched" if hits else ("stale" if ran else "not_run")
        uses.append(EntryUse(entry=index, key=entry.key, reason=entry.reason, link=entry.link, state=state,
                             scenarios=sorted({r for r, _ in hits} or {r.id for r in ran}),
                             failures=sum(n for _, n in hits)))
    new = sum(1 for r in results for f in r.failures if f.severity == "error" and f.known is None)
    new += sum(1 for r in results if r.status == "error" and r.error and r.error_known is None)
    count = {s: sum(1 for u in uses if u.state == s) for s in ("matched", "stale", "not_run")}
    return BaselineReport(path=path, strict=strict, entries=len(baseline.known), new_failures=new, uses=uses,
                          **count)


def _hits(result: ScenarioResult, index: int) -> list[int]:
    count = sum(1 for f in result.failures if f.known and f.known.get("entry") == index)
    if result.error_known and result.error_known.get("entry") == index:
        count += 1
    return [count] if count else []


# ---- drafting a baseline from a run -------------------------------------------------------------------

def draft_baseline(results: Iterable[ScenarioResult], *, target: str = "",
                   previous: Baseline | None = None) -> Baseline:
    """One entry per distinct (scenario, check, kind, event, connection) among the run's failures; entries
    of ``previous`` that explained a failure are kept as they are (with their reviewed reason)."""
    entries: list[KnownIssue] = []
    seen: set[tuple[str, ...]] = set()
    kept: set[int] = set()
    for result in results:
        for failure in result.failures:
            if failure.severity != "error":
                continue
            if failure.known is not None and previous is not None:
                kept.add(int(failure.known["entry"]))
                continue
            key = (result.id, failure.check, failure.kind, failure.event_type or "*", failure.connection or "*")
            if key not in seen:
                seen.add(key)
                entries.append(KnownIssue(
                    scenario=result.id, check=failure.check, kind=failure.kind, event=key[3], connection=key[4],
                    reason=f"TODO: review. {failure.message[:200]}"))
        if result.status == "error" and result.error:
            if result.error_known is not None and previous is not None:
                kept.add(int(result.error_known["entry"]))
            elif (result.id, ERROR_CHECK) not in seen:
                seen.add((result.id, ERROR_CHECK))
                entries.append(KnownIssue(scenario=result.id, check=ERROR_CHECK, kind="scenario",
                                          message=_escape_glob(result.error.splitlines()[0][:120]) + "*",
                                          reason="TODO: review. the scenario could not run to its end"))
    reviewed = [previous.known[i] for i in sorted(kept)] if previous is not None else []
    return Baseline(target=target or (previous.target if previous else ""), known=[*reviewed, *entries])


def _escape_glob(text: str) -> str:
    return "".join(f"[{c}]" if c in "*?[" else c for c in text)


def write_baseline(baseline: Baseline, path: Path) -> Path:
    """TOML (or JSON by suffix), written through a temporary file."""
    if path.suffix == ".json":
        text = json.dumps(baseline.model_dump(), indent=2, ensure_ascii=False) + "\n"
    else:
        text = _to_toml(baseline)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)
    return path


def _to_toml(baseline: Baseline) -> str:
    # JSON string escapes are valid TOML basic-string escapes, so json.dumps quotes safely.
    lines = ["# Known-issue baseline (sync-harness run --baseline FILE); review every reason and link.",
             "version = 1", f"target = {json.dumps(baseline.target, ensure_ascii=False)}"]
    defaults = KnownIssue(scenario="x", check="error", reason="x")
    for entry in baseline.known:
        lines += ["", "[[known]]"]
        for name, value in entry.model_dump().items():
            if name in ("scenario", "check", "reason") or value != getattr(defaults, name):
                lines.append(f"{name} = {json.dumps(value, ensure_ascii=False)}")
    return "\n".join(lines) + "\n"
