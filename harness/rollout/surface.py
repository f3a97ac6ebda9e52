"""Item 1, metrics surface: ``GET /metrics`` exposes every counter family of GATEWAY.md §9 with its labels."""
from __future__ import annotations

from harness.rollout.checklist import ItemResult, failed, passed
from harness.rollout.context import RolloutContext
from harness.rollout.metrics import CONTRACT_FAMILIES, MetricsSnapshot, fetch_metrics

NUMBER, KEY, TITLE = 1, "metrics_surface", "Metrics surface"


async def check_metrics_surface(ctx: RolloutContext) -> ItemResult:
    snapshot = await fetch_metrics(ctx.http, ctx.rest_url)
    return judge_surface(snapshot)


def judge_surface(snapshot: MetricsSnapshot) -> ItemResult:
    problems: list[str] = []
    evidence: list[str] = [f"content type: {snapshot.content_type or '(none)'}"]
    if not snapshot.content_type.startswith("text/plain"):
        problems.append(f"content type {snapshot.content_type!r} is not text/plain")
    for name, labels in CONTRACT_FAMILIES.items():
        family = snapshot.families.get(name)
        if family is None:
            problems.append(f"family {name} is missing")
            evidence.append(f"{name}: MISSING")
            continue
        if family.type != "counter":
            problems.append(f"family {name} is a {family.type}, not a counter")
        wrong = sorted(",".join(sorted(s)) for s in family.label_names if s != frozenset(labels))
        if wrong:
            problems.append(f"family {name} has labels {{{'; '.join(wrong)}}}, contract: {{{','.join(labels)}}}")
        samples = len(snapshot.series(name))
        seen = "labels checked on its samples" if samples else "no samples yet (labels not observable)"
        evidence.append(f"{name}{{{','.join(labels)}}}: {family.type}, {samples} series, {seen}")
    if problems:
        return failed(NUMBER, KEY, TITLE, "; ".join(problems), evidence)
    return passed(NUMBER, KEY, TITLE, f"all {len(CONTRACT_FAMILIES)} counter families of GATEWAY.md §9 present "
                  "as counters with the contract's labels", evidence)
