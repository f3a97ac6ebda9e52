"""Mixed-version judgement: what counts as expected degradation for an older client or server.

Three rules, each applied where the runner produces the findings (docs/mixed-versions.md):

* **Convergence** of a client that missed events since its last REST refresh (it ignored types its
  protocol profile does not know, or its server profile never emitted them): a replica-vs-REST
  difference that a missed event can explain (``Staleness.excuse``) is ``degraded``, not an error.
  After a refresh nothing is excused.
* **Delivery** of an event type a connection's client does not understand: a loss, duplicate, late or
  out-of-order copy cannot matter to that client, so it is a warning there. A leak stays an error:
  what a client may not see must never reach it, whatever its version.
* **A route the server profile does not have**: the server refusing it with 404/405 is the clear error
  Filament's client shows (WEB_UI.md §5), reported as ``degraded``; any other answer stays a verdict
  mismatch.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Mapping

from contracts.profiles import ProtocolProfile
from contracts.server_profiles import ServerProfile
from harness.checks.types import CheckFailure
from harness.history import ConnectionId
from harness.model.mutations import Mutation, RestResult
from harness.model.staleness import Staleness

_EXCUSABLE_CONVERGENCE = ("diverged_from_rest", "stale")
_IRRELEVANT_TO_AN_IGNORING_CLIENT = ("loss", "duplicate", "late", "order", "mismatch")
MISSING_ROUTE_STATUSES = (404, 405)


def degrade_convergence(failures: list[CheckFailure], staleness: Staleness) -> list[CheckFailure]:
    if not staleness.anything:
        return failures
    return [_degraded(f, staleness) for f in failures]


def _degraded(failure: CheckFailure, staleness: Staleness) -> CheckFailure:
    path = failure.details.get("path")
    if failure.kind not in _EXCUSABLE_CONVERGENCE or not isinstance(path, str):
        return failure
    missed = staleness.excuse(path)
    if not missed:
        return failure
    why = ", ".join(f"{t} ({reason})" for t, reason in sorted(missed.items()))
    return replace(failure, severity="degraded", message=f"{failure.message} — expected until a refresh: missed {why}",
                   details={**failure.details, "missed": missed})


def relax_delivery(failures: list[CheckFailure], profiles: Mapping[ConnectionId, ProtocolProfile]) -> list[CheckFailure]:
    out: list[CheckFailure] = []
    for failure in failures:
        profile = profiles.get(failure.conn) if failure.conn else None
        if (profile is not None and failure.event_type and failure.kind in _IRRELEVANT_TO_AN_IGNORING_CLIENT
                and failure.is_error and not profile.knows(failure.event_type)):
            failure = replace(failure, severity="warning",
                              message=f"{failure.message} (ignored by a {profile.name} client)")
        out.append(failure)
    return out


def degrade_missing_route(failures: list[CheckFailure], mutation: Mutation, result: RestResult,
                          server: ServerProfile) -> list[CheckFailure]:
    if not failures or not server.lacks(mutation.row) or result.status not in MISSING_ROUTE_STATUSES:
        return failures
    return [replace(f, severity="degraded",
                    message=f"{mutation.row} by {mutation.actor}: the {server.name} server has no such route and "
                            f"answered {result.status} (the clear error an older server gives)")
            for f in failures]
