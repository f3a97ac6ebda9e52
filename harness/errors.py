"""Errors the harness reports to its user, each mapped to a CLI exit code.

Exit codes: 0 all checks passed, 1 a check failed, 2 usage or target error (one-line cause), 130
interrupted, 143 terminated by SIGTERM (harness.cli).
"""
from __future__ import annotations


class HarnessError(Exception):
    """Base class: something the user must fix before a run can mean anything (exit code 2)."""

    exit_code = 2


class UsageError(HarnessError):
    """Bad command line, option value or scenario selection."""


class ScenarioError(HarnessError):
    """A scenario file or blueprint is malformed; the message names the file and the problem."""


class TargetError(HarnessError):
    """The system under test cannot be started, reached, or died: port in use, unreachable, crashed."""

    ends_run = False
    """True when no later scenario can mean anything either (the suite stops and reports it, exit 2)."""


class TargetUnreachable(TargetError):
    pass


class TargetUnresponsive(TargetUnreachable):
    """The target accepts connections but does not answer within one total deadline (a stuck
    handshake): every later scenario would wait the same, so the run ends here (exit 2)."""

    ends_run = True


class TargetCrashed(TargetError):
    """The target process exited while the harness needed it."""


class PortInUse(TargetError):
    pass


class BrowserUnavailable(HarnessError):
    """No usable Chromium: neither /usr/bin/chromium nor Playwright's own browser could be launched."""


class TargetDied(TargetError):
    """The target stopped serving in the middle of a run (its process exited, or a ``url:`` server no
    longer answers): the run ends, the report keeps what ran and names the cause."""


class Terminated(KeyboardInterrupt):
    """The harness got SIGTERM (what CI sends on cancel): handled like Ctrl-C, exit code 143."""
