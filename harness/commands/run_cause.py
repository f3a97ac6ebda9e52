"""The run-level cause (``RunResult.cause``): why a run as a whole ended early or abnormally."""
from __future__ import annotations

from typing import Literal

from harness.engine.results import RunCause
from harness.errors import BrowserUnavailable, HarnessError, TargetDied, TargetError
from harness.targets.base import Target


def run_cause(crash: HarnessError | None, stopped: Literal["interrupted", "terminated", False],
              target: Target, *, running: str | None = None) -> RunCause | None:
    """``stopped``: the signal that stopped the run, if one did; ``running``: the scenario it stopped."""
    if stopped:
        what = "SIGTERM" if stopped == "terminated" else "Ctrl-C"
        return RunCause(kind=stopped, message=f"stopped by {what} before every scenario ran", scenario=running)
    if crash is None:
        return None
    message = str(crash).strip().splitlines()[0] if str(crash).strip() else type(crash).__name__
    if isinstance(crash, TargetDied) or (isinstance(crash, TargetError) and not _alive(target)):
        return RunCause(kind="target_died", message=message, scenario=_scenario_in(message))
    if isinstance(crash, TargetError):
        return RunCause(kind="target_error", message=message)
    if isinstance(crash, BrowserUnavailable):
        return RunCause(kind="browser_unavailable", message=message)
    return RunCause(kind="harness_crashed", message=message)


def _alive(target: Target) -> bool:
    try:
        return target.alive()
    except Exception:  # noqa: BLE001 - a target that cannot even say is not serving
        return False


def _scenario_in(message: str) -> str | None:
    """The scenario id the suite names in "the target died during scenario 'x': …"."""
    marker = "during scenario '"
    if marker not in message:
        return None
    return message.split(marker, 1)[1].split("'", 1)[0]
