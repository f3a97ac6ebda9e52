"""Convergence (Zulip's ``verify_action``): a client's replica equals a fresh REST snapshot taken with
its own token, and the REST snapshot equals the model's projection.

* replica vs REST: each differing path is ``diverged_from_rest``, except data the replica still holds
  that REST no longer returns (a guild, a channel, a channel's messages, a message): ``stale`` — the
  client kept something it lost access to or that was deleted.
* REST vs model: each differing path is ``diverged_from_model`` (the server state is not what the
  contract makes of the actions so far — or the model is wrong; the diff says which path).

Guild channel data that one side cannot read (``channels is None``: the harness address is IP-banned
in that guild) is left out of both comparisons. Also ``check_verdict``: the REST outcome against the
model's verdict. Pure.
"""
from __future__ import annotations

from typing import Any

from harness.checks.types import CheckClass, CheckFailure
from harness.model.mutations.base import Mutation, RestResult, Verdict
from harness.model.views import ClientView

MAX_PATHS = 50
"""Differences reported per comparison; the rest are summarised in one more failure."""

_ABSENT = "<absent>"


def diff_trees(left: Any, right: Any, path: str = "") -> list[tuple[str, Any, Any]]:
    """Every path where two plain trees differ: ``(path, left value, right value)``; a key present on
    one side only is reported once at that key, with ``"<absent>"`` for the missing side."""
    if isinstance(left, dict) and isinstance(right, dict):
        out: list[tuple[str, Any, Any]] = []
        for key in sorted(set(left) | set(right), key=str):
            sub = f"{path}.{key}" if path else str(key)
            if key not in right:
                out.append((sub, left[key], _ABSENT))
            elif key not in left:
                out.append((sub, _ABSENT, right[key]))
            else:
                out.extend(diff_trees(left[key], right[key], sub))
        return out
    return [] if left == right else [(path, left, right)]


def comparable_trees(a: ClientView, b: ClientView) -> tuple[dict[str, Any], dict[str, Any]]:
    """Both views as trees, without channel data of guilds whose channels one side cannot read."""
    ta, tb = a.tree(), b.tree()
    for gid in set(ta["guilds"]) & set(tb["guilds"]):
        ga, gb = ta["guilds"][gid], tb["guilds"][gid]
        if ga["channels"] is None or gb["channels"] is None:
            for g in (ga, gb):
                g.pop("channels")
                g.pop("messages")
    return ta, tb


def _is_stale_path(path: str) -> bool:
    """guilds.G | guilds.G.channels.C | guilds.G.messages.C | guilds.G.messages.C.M"""
    parts = path.split(".")
    if parts[0] != "guilds":
        return False
    return len(parts) == 2 or (len(parts) == 4 and parts[2] in ("channels", "messages")) or (
        len(parts) == 5 and parts[2] == "messages")


def check_convergence(
    client: str, replica_view: ClientView | None, rest_view: ClientView, model_view: ClientView | None,
    *, step: int | None = None,
) -> list[CheckFailure]:
    failures: list[CheckFailure] = []
    if replica_view is not None:
        failures += _compare(client, step, replica_view, rest_view, "replica", "rest", stale_aware=True)
    if model_view is not None:
        failures += _compare(client, step, rest_view, model_view, "rest", "model", stale_aware=False)
    return failures


def _compare(
    client: str, step: int | None, left: ClientView, right: ClientView, lname: str, rname: str, *, stale_aware: bool
) -> list[CheckFailure]:
    if left == right:  # equal views have equal trees: the walk below is for finding where they differ
        return []
    ta, tb = comparable_trees(left, right)
    diffs = diff_trees(ta, tb)
    out: list[CheckFailure] = []
    for path, lv, rv in diffs[:MAX_PATHS]:
        if stale_aware and rv == _ABSENT and _is_stale_path(path):
            kind, msg = "stale", f"{client}: the {lname} still shows {path}, which {rname} no longer returns"
        elif stale_aware:
            kind, msg = "diverged_from_rest", f"{client}: {path} differs between the {lname} and a fresh REST read"
        else:
            kind, msg = "diverged_from_model", f"{client}: {path} differs between {lname} and the model's projection"
        out.append(CheckFailure(CheckClass.CONVERGENCE, kind, msg, step=step, client=client, expected=rv,
                                observed=lv, details={"path": path, "observed_side": lname, "expected_side": rname}))
    if len(diffs) > MAX_PATHS:
        kind = "diverged_from_rest" if stale_aware else "diverged_from_model"
        out.append(CheckFailure(CheckClass.CONVERGENCE, kind, f"{client}: {len(diffs) - MAX_PATHS} more differences",
                                step=step, client=client, details={"paths": [p for p, _, _ in diffs[MAX_PATHS:]]}))
    return out


def check_verdict(
    step: int, mutation: Mutation, verdict: Verdict, result: RestResult, *, client: str | None = None
) -> list[CheckFailure]:
    """The server accepted what the model forbids, refused what it allows, or used another status."""
    if verdict.allowed == result.ok and verdict.accepts(result.status):
        return []
    if verdict.allowed and not result.ok:
        what = "refused a mutation the model allows"
    elif not verdict.allowed and result.ok:
        what = "accepted a mutation the model forbids"
    else:
        what = "answered another status than predicted"
    return [CheckFailure(
        CheckClass.CONVERGENCE, "verdict_mismatch", f"{mutation.row} by {mutation.actor}: the server {what}",
        step=step, client=client, expected=verdict.describe(), observed=result.status,
        details={"row": mutation.row, "body": result.body, "mutation": repr(mutation)},
    )]
