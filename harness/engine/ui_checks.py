"""UI checks of the settings entry points (WEB_UI.md §3), through a browser client and its selector profile.

Each check is an async function over a live :class:`~harness.clients.browser.BrowserClient` returning
``list[CheckFailure]`` of class ``ui``; it leaves the page as it found it (panels closed). What is
expected comes from the client's selector profile, so the same checks judge any client version; running
a profile against a client of another version fails — that is the mixed-version detector.

| check | WEB_UI.md §3 | kinds |
|---|---|---|
| :func:`check_client_settings` (a) | gear → ``Client settings panel`` with Voice / Profile, no workspace controls | ``missing_entry_point``, ``wrong_panel``, ``missing_control``, ``foreign_control``, ``foreign_panel``, ``opener_text`` |
| :func:`check_workspace_settings` (b) | menu → ``Server Settings`` → ``Workspace settings panel`` with name / visibility / save, no client controls | same |
| :func:`check_workspace_permissions` (c) | gated controls disabled + note shown for a plain member, enabled for a manager | ``permission`` (+ the above when it cannot open) |
| :func:`check_panels_close` (d) | ``Close`` and Escape each close each panel | ``not_closed`` |
| :func:`check_panels_separate` (e) | neither panel shows the other's controls | ``foreign_control``, ``foreign_panel`` |

A panel the profile marks ``null`` is not checked (that version has no such panel). Every failure
names the logical element, its locator, the profile and what the page showed (``details``); with a
``screenshot_dir`` the page is captured at the first failure and the path is in ``details["screenshot"]``.
"""
from __future__ import annotations

import re
from dataclasses import replace
from pathlib import Path
from typing import Any

from harness.checks.types import CheckClass, CheckFailure
from harness.clients.browser import BrowserClient, BrowserClientError, BrowserTimeout, PanelNotOpened
from harness.clients.selectors import PanelSpec

__all__ = [
    "CLIENT_PANEL",
    "WORKSPACE_PANEL",
    "check_client_settings",
    "check_workspace_settings",
    "check_workspace_permissions",
    "check_panels_close",
    "check_panels_separate",
    "check_settings_split",
]

CLIENT_PANEL = "client_settings"
WORKSPACE_PANEL = "workspace_settings"
_CANNOT_OPEN = frozenset({"missing_entry_point", "wrong_panel"})
CONTROL_TIMEOUT = 3.0
"""Seconds for a panel's own controls to appear (the real client lazy-loads the panel body)."""
UI_TIMEOUT = 2.0
"""Seconds for an opener or a dialog to appear: the page is already loaded, so an element that is not
there within this bound is missing (and a fault makes a check cost this much, not the 5 s default)."""


class _Findings:
    """Failures of one check run; the page is screenshotted once, at the first failure."""

    def __init__(self, client: Any, check: str, screenshot_dir: Path | str | None,
                 timeout: float = UI_TIMEOUT) -> None:
        self.client = client
        self.timeout = timeout
        self.check = check
        self.screenshot_dir = Path(screenshot_dir) if screenshot_dir is not None else None
        self.failures: list[CheckFailure] = []
        self.screenshot: str | None = None

    async def fail(self, kind: str, element: str, message: str, *, expected: Any = None, observed: Any = None,
                   seen: str | None = None, **params: Any) -> None:
        profile = self.client.profile
        self.failures.append(CheckFailure(
            check=CheckClass.UI, kind=kind, client=self.client.label,
            message=f"{self.client.label}: {message} [{element}: {profile.describe(element, **params)}; "
                    f"profile {profile.name}]",
            expected=expected, observed=observed,
            details={"ui_check": self.check, "element": element, "locator": profile.describe(element, **params),
                     "profile": profile.name, "seen": seen}))
        await self._capture()

    async def _capture(self) -> None:
        if self.screenshot_dir is None or self.screenshot is not None:
            return
        stem = re.sub(r"[^A-Za-z0-9_.-]+", "_", f"{self.client.label}-{self.check}")
        try:
            self.screenshot = str(await self.client.screenshot(self.screenshot_dir / f"{stem}.png"))
        except Exception as exc:  # a failed screenshot must not hide the finding itself
            self.screenshot = f"(screenshot failed: {exc})"

    def result(self) -> list[CheckFailure]:
        if self.screenshot is None:
            return list(self.failures)
        return [replace(f, details={**f.details, "screenshot": self.screenshot}) for f in self.failures]


# ------------------------------------------------------------------------------------------- the checks
async def check_client_settings(client: BrowserClient, *, screenshot_dir: Path | str | None = None) -> list[CheckFailure]:
    """(a) The client-settings entry point opens the client panel with its controls and nothing else."""
    return await _check_panel(client, CLIENT_PANEL, "client_settings", screenshot_dir)


async def check_workspace_settings(client: BrowserClient, *, screenshot_dir: Path | str | None = None) -> list[CheckFailure]:
    """(b) ``Server Settings`` in the workspace menu opens the workspace panel with its controls only."""
    return await _check_panel(client, WORKSPACE_PANEL, "workspace_settings", screenshot_dir)


async def check_workspace_permissions(client: BrowserClient, *, may_manage: bool,
                                      screenshot_dir: Path | str | None = None) -> list[CheckFailure]:
    """(c) Gated controls are enabled iff ``may_manage`` (workspace role-management access, WEB_UI.md §3);
    the permission note is shown iff they are not."""
    findings = _Findings(client, "workspace_permissions", screenshot_dir)
    spec = client.profile.panel(WORKSPACE_PANEL)
    if spec is None:
        return []
    dialog = await _open(client, WORKSPACE_PANEL, spec, findings)
    if dialog is None:
        return findings.result()
    try:
        await _check_gates(client, spec, dialog, may_manage, findings)
    finally:
        await _close_quietly(client, WORKSPACE_PANEL)
    return findings.result()


async def check_panels_close(client: BrowserClient, *, screenshot_dir: Path | str | None = None,
                             skip_panels: frozenset[str] = frozenset()) -> list[CheckFailure]:
    """(d) ``Close`` and Escape each close each panel (except ``skip_panels``: known not to open)."""
    findings = _Findings(client, "panels_close", screenshot_dir)
    for panel, spec in _panels(client):
        if panel in skip_panels:
            continue
        for how in ("close", "escape"):
            if await _open(client, panel, spec, findings) is None:
                break
            try:
                await client.close_panel(panel, how=how, timeout=findings.timeout)
            except BrowserClientError as exc:
                await findings.fail("not_closed", spec.dialog, f"{spec.dialog} did not close with "
                                    f"{'Escape' if how == 'escape' else 'Close'}: {exc}",
                                    expected="closed", observed="open", seen=getattr(exc, "seen", None))
                await _close_quietly(client, panel)
    return findings.result()


async def check_panels_separate(client: BrowserClient, *, screenshot_dir: Path | str | None = None) -> list[CheckFailure]:
    """(e) Neither panel shows the other's controls, and opening one never opens the other's dialog."""
    findings = _Findings(client, "panels_separate", screenshot_dir)
    for panel, spec in _panels(client):
        dialog = await _open(client, panel, spec, findings)
        if dialog is None:
            continue
        try:
            await _check_foreign(client, panel, dialog, findings)
        finally:
            await _close_quietly(client, panel)
    return findings.result()


async def check_settings_split(client: BrowserClient, *, may_manage: bool,
                               screenshot_dir: Path | str | None = None) -> list[CheckFailure]:
    """(a)–(e) together. (e) is part of (a) and (b), so it is not run a second time; a panel that
    cannot be opened is reported once, by (a) or (b), and skipped by (c) and (d)."""
    client_failures = await check_client_settings(client, screenshot_dir=screenshot_dir)
    workspace_failures = await check_workspace_settings(client, screenshot_dir=screenshot_dir)
    unopenable = frozenset(panel for panel, found in ((CLIENT_PANEL, client_failures),
                                                      (WORKSPACE_PANEL, workspace_failures))
                           if any(f.kind in _CANNOT_OPEN for f in found))
    failures = client_failures + workspace_failures
    if WORKSPACE_PANEL not in unopenable:
        failures += await check_workspace_permissions(client, may_manage=may_manage, screenshot_dir=screenshot_dir)
    failures += await check_panels_close(client, screenshot_dir=screenshot_dir, skip_panels=unopenable)
    return failures


# ---------------------------------------------------------------------------------------------- steps
def _panels(client: Any) -> list[tuple[str, PanelSpec]]:
    return [(name, spec) for name, spec in sorted(client.profile.panels.items()) if spec is not None]


async def _check_panel(client: Any, panel: str, check: str, screenshot_dir: Path | str | None) -> list[CheckFailure]:
    findings = _Findings(client, check, screenshot_dir)
    spec = client.profile.panel(panel)
    if spec is None:
        return []
    if spec.opener_text is not None and not await _check_opener_text(client, panel, spec, findings):
        return findings.result()
    dialog = await _open(client, panel, spec, findings)
    if dialog is None:
        return findings.result()
    try:
        await _check_controls(client, spec, dialog, findings)
        await _check_foreign(client, panel, dialog, findings)
    finally:
        await _close_quietly(client, panel)
    return findings.result()


async def _open(client: Any, panel: str, spec: PanelSpec, findings: _Findings) -> Any:
    """Open the panel; on failure record why (and close whatever opened instead) and return None."""
    try:
        return await client.open_panel(panel, timeout=findings.timeout)
    except BrowserClientError as exc:
        await _cannot_open(client, panel, spec, exc, findings)
        return None


async def _cannot_open(client: Any, panel: str, spec: PanelSpec, exc: BrowserClientError, findings: _Findings) -> None:
    if isinstance(exc, PanelNotOpened):
        await findings.fail("wrong_panel", spec.dialog,
                            f"{spec.open[-1]} opened {exc.open_dialogs or 'no dialog'} instead of {spec.dialog}",
                            expected=spec.dialog, observed=exc.open_dialogs, seen=exc.seen)
    elif isinstance(exc, BrowserTimeout):
        element = exc.element or spec.open[0]
        await findings.fail("missing_entry_point", element, f"cannot open {panel}: {element} is not there",
                            expected="visible", observed="absent", seen=exc.seen)
    else:
        await findings.fail("missing_entry_point", spec.open[-1], f"cannot open {panel}: {exc}",
                            expected="usable", observed=str(exc))
    await client.page.keyboard.press("Escape")  # close a menu or a wrong panel left open


async def _check_opener_text(client: Any, panel: str, spec: PanelSpec, findings: _Findings) -> bool:
    """Whether the opener is there (its text is checked on the way); False after recording why not."""
    try:
        text = await client.opener_text(panel, timeout=findings.timeout)
    except BrowserClientError as exc:
        await _cannot_open(client, panel, spec, exc, findings)
        return False
    if text != spec.opener_text:
        await findings.fail("opener_text", spec.open[-1], f"{spec.open[-1]} shows {text!r}, expected "
                            f"{spec.opener_text!r}", expected=spec.opener_text, observed=text)
    return True


async def _check_controls(client: Any, spec: PanelSpec, dialog: Any, findings: _Findings) -> None:
    for control in spec.controls:
        try:
            await client.wait_visible(control, CONTROL_TIMEOUT, root=dialog)
        except BrowserTimeout:
            seen = await client.seen_near(spec.dialog)
            await findings.fail("missing_control", control, f"{spec.dialog} lacks {control}",
                                expected="visible", observed="absent", seen=seen)


async def _check_foreign(client: Any, panel: str, dialog: Any, findings: _Findings) -> None:
    """Controls and dialogs of the *other* panels must not be in (or open beside) this one."""
    own = client.profile.panel(panel)
    for other, spec in _panels(client):
        if other == panel:
            continue
        for control in spec.controls:
            if control in own.controls:
                continue
            count = await client.locate(control, root=dialog).count()
            if count:
                await findings.fail("foreign_control", control, f"{own.dialog} shows {other}'s control {control}",
                                    expected=0, observed=count, seen=await client.seen_near(own.dialog))
        if await client.locate(spec.dialog).count():
            await findings.fail("foreign_panel", spec.dialog, f"opening {panel} also shows {spec.dialog}",
                                expected=0, observed=await client.open_dialogs())


async def _check_gates(client: Any, spec: PanelSpec, dialog: Any, may_manage: bool, findings: _Findings) -> None:
    for control in spec.gated:
        locator = client.locate(control, root=dialog)
        try:
            await client.wait_visible(control, CONTROL_TIMEOUT, root=dialog)
        except BrowserTimeout:
            await findings.fail("missing_control", control, f"{spec.dialog} lacks {control}",
                                expected="visible", observed="absent")
            continue
        enabled = await locator.first.is_enabled()
        if enabled != may_manage:
            await findings.fail("permission", control,
                                f"{control} is {'enabled' if enabled else 'disabled'} for a user who "
                                f"{'may' if may_manage else 'may not'} manage the workspace",
                                expected="enabled" if may_manage else "disabled",
                                observed="enabled" if enabled else "disabled")
    if spec.permission_note is not None:
        note = client.locate(spec.permission_note, root=dialog)
        shown = await note.count() > 0 and await note.first.is_visible()
        if shown == may_manage:
            await findings.fail("permission", spec.permission_note,
                                f"the permission note is {'shown' if shown else 'missing'} for a user who "
                                f"{'may' if may_manage else 'may not'} manage the workspace",
                                expected="hidden" if may_manage else "shown", observed="shown" if shown else "hidden")


async def _close_quietly(client: Any, panel: str) -> None:
    """Leave the page as found; a panel that will not close is check (d)'s finding, not this one's."""
    try:
        await client.close_panel(panel, how="escape", timeout=1.0)
    except BrowserClientError:
        await client.page.keyboard.press("Escape")
