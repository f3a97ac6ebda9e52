"""The errors a browser client raises: one family under :class:`BrowserClientError`.

Every bounded wait raises :class:`BrowserTimeout` carrying what was awaited (``element``, ``locator``) and
what the page showed instead (``seen``), so a failed run explains itself without a re-run.
"""
from __future__ import annotations

from harness.errors import HarnessError

__all__ = ["BrowserClientError", "BrowserTimeout", "PanelNotOpened", "ActionBlocked", "FeatureAbsent"]


class BrowserClientError(HarnessError):
    """A browser client could not do what it was asked (the message says what and why)."""


class BrowserTimeout(BrowserClientError):
    """A bounded wait expired. ``element``/``locator``/``seen`` say what was awaited and what was there."""

    def __init__(self, message: str, *, element: str | None = None, locator: str | None = None,
                 seen: str | None = None) -> None:
        super().__init__(message)
        self.element = element
        self.locator = locator
        self.seen = seen


class PanelNotOpened(BrowserTimeout):
    """The opener was clicked but the expected dialog did not appear; ``open_dialogs`` lists what did."""

    def __init__(self, message: str, *, element: str, locator: str, open_dialogs: list[str]) -> None:
        super().__init__(message, element=element, locator=locator, seen=f"open dialogs: {open_dialogs}")
        self.open_dialogs = open_dialogs


class ActionBlocked(BrowserClientError):
    """The UI refuses the action before any request is sent (e.g. a disabled ``Save workspace``)."""


class FeatureAbsent(ActionBlocked):
    """The client version has no UI for the action at all: its selector profile declares the panel or
    element absent (``null``). A scenario that needs it degrades as declared (skipped, with this reason)
    instead of erroring: an old client cannot do what did not exist yet."""
