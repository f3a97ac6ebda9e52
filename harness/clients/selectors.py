"""Selector profiles: how one web-client version names its elements, as data.

A profile (``harness/clients/profiles/<name>.json``) maps each *logical element* the harness uses
(``workspace_menu_button``, ``client_settings_dialog``, ``message_body`` …) to a locator spec, or to
``null`` when that client version does not have the element at all. Code never hard-codes a name from
WEB_UI.md: it asks the profile, so supporting another client version means writing a JSON file.

A locator spec has exactly one *kind*:

* ``role`` (+ ``name``): ``get_by_role(role, name=…, exact=…)`` — preferred wherever WEB_UI.md gives a
  role and accessible name;
* ``title``, ``placeholder``, ``label``, ``text``: the matching ``get_by_*`` call;
* ``css``: ``locator(css)`` (for hooks without a role, e.g. ``article.message-row``).

Options: ``exact`` (default **true**: several names collide under Playwright's default substring
matching, WEB_UI.md "Ambiguities" 1), ``regex`` (``name``/``text``/``title`` are regular expressions),
``within`` (another element that scopes this one), ``has`` (keep matches containing that element),
``has_text``. Strings may hold ``{param}`` placeholders filled from ``locate(..., param=value)``.

``panels`` describe the settings layout of the version (WEB_UI.md §3, §5): how each settings panel is
opened (a path of elements clicked in order), its dialog, the controls it must show, and which of them
are permission-gated. A panel may be ``null`` (e.g. the legacy client had no workspace settings).
"""
from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from harness.errors import HarnessError

__all__ = [
    "PROFILES_DIR",
    "DEFAULT_PROFILE",
    "REQUIRED_ELEMENTS",
    "LocatorSpec",
    "PanelSpec",
    "SelectorProfile",
    "ProfileError",
    "ElementAbsent",
    "available_profiles",
    "load_profile",
    "locate",
]

PROFILES_DIR = Path(__file__).resolve().parent / "profiles"
DEFAULT_PROFILE = "filament-2f1262f"

_KINDS = ("role", "css", "title", "placeholder", "label", "text")
_PARAM_RE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")

REQUIRED_ELEMENTS: frozenset[str] = frozenset({
    # login page
    "login_username", "login_password", "login_submit",
    # server rail
    "server_rail", "workspace_rail_button", "workspace_rail_buttons", "friendships_open",
    # channel rail, workspace menu, account footer
    "channel_rail", "workspace_menu_button", "workspace_menu_title", "workspace_subtitle", "workspace_menu",
    "workspace_settings_menuitem", "client_settings_menuitem", "account_footer", "client_settings_gear",
    "channel_nav", "channel_button", "channel_buttons", "create_text_channel", "create_voice_channel",
    # chat column
    "chat_header", "channel_title", "live_badge", "message_rows", "message_row", "message_anchor",
    "message_body", "message_edit_button", "message_delete_button", "message_edit_input", "message_edit_save",
    "composer",
    # dialogs
    "any_dialog", "dialog_close", "client_settings_dialog", "client_voice_category", "client_profile_category",
    "workspace_settings_dialog", "workspace_name_input", "workspace_visibility_select", "workspace_save_button",
    "workspace_permission_note", "friendships_dialog", "friend_incoming_rows", "friend_outgoing_rows",
    "friend_rows",
})
"""Every profile must name each of these (as a spec or as ``null``), so code can rely on the keys."""

REQUIRED_PANELS: frozenset[str] = frozenset({"client_settings", "workspace_settings"})


class ProfileError(HarnessError):
    """A selector profile is missing, malformed, or asked for something it cannot give."""


class ElementAbsent(ProfileError):
    """The profile says this client version has no such element (it is ``null``)."""

    def __init__(self, element: str, profile: str) -> None:
        super().__init__(f"element {element!r} does not exist in selector profile {profile!r} (it is null there)")
        self.element = element
        self.profile = profile


class Root(Protocol):
    """What a Playwright ``Page`` and ``Locator`` have in common (all locate() needs)."""

    def locator(self, selector: str, **kwargs: Any) -> Any: ...
    def get_by_role(self, role: Any, **kwargs: Any) -> Any: ...
    def get_by_title(self, text: Any, **kwargs: Any) -> Any: ...
    def get_by_placeholder(self, text: Any, **kwargs: Any) -> Any: ...
    def get_by_label(self, text: Any, **kwargs: Any) -> Any: ...
    def get_by_text(self, text: Any, **kwargs: Any) -> Any: ...


class LocatorSpec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    role: str | None = None
    name: str | None = None
    css: str | None = None
    title: str | None = None
    placeholder: str | None = None
    label: str | None = None
    text: str | None = None
    exact: bool = True
    regex: bool = False
    within: str | None = None
    has: str | None = None
    has_text: str | None = None
    note: str | None = None
    """Free text for humans (where the name comes from); ignored by code."""

    @model_validator(mode="after")
    def _one_kind(self) -> "LocatorSpec":
        kinds = [k for k in _KINDS if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(f"a locator spec needs exactly one of {', '.join(_KINDS)}; got {kinds or 'none'}")
        if self.name is not None and self.role is None:
            raise ValueError("'name' is only meaningful with 'role'")
        return self

    @property
    def kind(self) -> str:
        return next(k for k in _KINDS if getattr(self, k) is not None)

    @property
    def value(self) -> str:
        return getattr(self, self.kind)

    def params(self) -> set[str]:
        texts = [self.value, self.name, self.has_text]
        return {m for t in texts if t for m in _PARAM_RE.findall(t)}


class PanelSpec(BaseModel):
    """One settings panel of a client version: how it opens and what it must contain."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    open: list[str]
    """Elements clicked in order to open it (e.g. menu button, then menu item)."""
    dialog: str
    controls: list[str]
    """Elements (located inside ``dialog``) that must be visible once it is open."""
    gated: list[str] = []
    """Controls enabled only for users with workspace role-management access (WEB_UI.md §3)."""
    permission_note: str | None = None
    """Element shown (inside ``dialog``) only when the gated controls are disabled."""
    opener_text: str | None = None
    """Visible text the last opener must show (e.g. ``Server Settings``, whose accessible name differs)."""

    def elements(self) -> list[str]:
        return [*self.open, self.dialog, *self.controls, *self.gated,
                *([self.permission_note] if self.permission_note else [])]


class SelectorProfile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str
    description: str
    aliases: list[str] = []
    elements: dict[str, LocatorSpec | None]
    panels: dict[str, PanelSpec | None]

    @model_validator(mode="after")
    def _consistent(self) -> "SelectorProfile":
        missing = sorted(REQUIRED_ELEMENTS - set(self.elements))
        if missing:
            raise ValueError(f"elements missing (give a spec or null): {', '.join(missing)}")
        missing_panels = sorted(REQUIRED_PANELS - set(self.panels))
        if missing_panels:
            raise ValueError(f"panels missing (give a spec or null): {', '.join(missing_panels)}")
        for element, spec in self.elements.items():
            for ref in (spec.within, spec.has) if spec else ():
                self._check_reference(element, ref)
            if spec and spec.has and (self.elements[spec.has] or spec).within:
                raise ValueError(f"{element}: 'has' element {spec.has!r} must not use 'within' "
                                 "(it is matched inside each candidate)")
        for element in self.elements:
            self._check_no_cycle(element)
        for panel, pspec in self.panels.items():
            for ref in pspec.elements() if pspec else ():
                self._check_reference(f"panel {panel}", ref)
        return self

    def _check_no_cycle(self, element: str) -> None:
        seen: list[str] = []
        current: str | None = element
        while current is not None:
            if current in seen:
                raise ValueError(f"'within' cycle: {' -> '.join([*seen, current])}")
            seen.append(current)
            spec = self.elements.get(current)
            current = spec.within if spec else None

    def _check_reference(self, owner: str, ref: str | None) -> None:
        if ref is None:
            return
        if ref not in self.elements:
            raise ValueError(f"{owner} refers to unknown element {ref!r}")
        if self.elements[ref] is None:
            raise ValueError(f"{owner} refers to element {ref!r}, which is null in this profile")

    # ---------------------------------------------------------------------------------------- queries
    def has(self, element: str) -> bool:
        """Whether this client version has ``element`` (False when the profile marks it ``null``)."""
        return self.spec_or_none(element) is not None

    def spec_or_none(self, element: str) -> LocatorSpec | None:
        if element not in self.elements:
            raise ProfileError(f"selector profile {self.name!r} has no element {element!r} "
                               f"(known: {', '.join(sorted(self.elements))})")
        return self.elements[element]

    def spec(self, element: str) -> LocatorSpec:
        spec = self.spec_or_none(element)
        if spec is None:
            raise ElementAbsent(element, self.name)
        return spec

    def panel(self, panel: str) -> PanelSpec | None:
        if panel not in self.panels:
            raise ProfileError(f"selector profile {self.name!r} has no panel {panel!r}")
        return self.panels[panel]

    def css(self, element: str, **params: Any) -> str:
        """The raw CSS of a css-kind element (for reading many rows in one ``evaluate_all``)."""
        spec = self.spec(element)
        if spec.kind != "css" or spec.within or spec.has or spec.has_text:
            raise ProfileError(f"element {element!r} of profile {self.name!r} must be a plain css spec here")
        return _fill(spec.css or "", params, element, css=True)

    def describe(self, element: str, **params: Any) -> str:
        """The locator in one human-readable line (without the element name), for failure messages."""
        spec = self.spec_or_none(element)
        if spec is None:
            return f"(absent in profile {self.name})"
        parts = [_describe_kind(spec, params, element)]
        if spec.has:
            parts.append(f"has {spec.has}[{self.describe(spec.has, **params)}]")
        if spec.has_text:
            parts.append(f"has_text {spec.has_text!r}")
        if spec.within:
            parts.append(f"within {spec.within}[{self.describe(spec.within, **params)}]")
        return " ".join(parts)

    # --------------------------------------------------------------------------------------- locate
    def locate(self, root: Root, element: str, **params: Any) -> Any:
        """A Playwright ``Locator`` for ``element`` under ``root`` (a Page or a Locator)."""
        spec = self.spec(element)
        base = self.locate(root, spec.within, **params) if spec.within else root
        locator = _apply_kind(base, spec, params, element)
        if spec.has:
            # Playwright queries the inner locator relative to each match, so it must be built from
            # the page, not from a scoped root (its selector would carry the scope along).
            page = getattr(root, "page", root)
            locator = locator.filter(has=self.locate(page, spec.has, **params))
        if spec.has_text:
            locator = locator.filter(has_text=_fill(spec.has_text, params, element))
        return locator


# ------------------------------------------------------------------------------------------- helpers
def _fill(template: str, params: dict[str, Any], element: str, *, css: bool = False, regex: bool = False) -> str:
    def sub(match: re.Match[str]) -> str:
        key = match.group(1)
        if key not in params:
            raise ProfileError(f"element {element!r} needs parameter {key!r} (locate(..., {key}=...))")
        value = str(params[key])
        if regex:
            return re.escape(value)
        if css:  # inside a quoted CSS attribute value
            return value.replace("\\", "\\\\").replace('"', '\\"')
        return value

    return _PARAM_RE.sub(sub, template)


def _pattern(spec: LocatorSpec, template: str, params: dict[str, Any], element: str) -> str | re.Pattern[str]:
    if spec.regex:
        return re.compile(_fill(template, params, element, regex=True))
    return _fill(template, params, element)


def _apply_kind(base: Root, spec: LocatorSpec, params: dict[str, Any], element: str) -> Any:
    if spec.kind == "css":
        return base.locator(_fill(spec.css or "", params, element, css=True))
    if spec.kind == "role":
        kwargs: dict[str, Any] = {}
        if spec.name is not None:
            kwargs["name"] = _pattern(spec, spec.name, params, element)
            if not spec.regex:
                kwargs["exact"] = spec.exact
        return base.get_by_role(spec.role, **kwargs)
    value = _pattern(spec, spec.value, params, element)
    getter = getattr(base, f"get_by_{spec.kind}")
    return getter(value) if spec.regex else getter(value, exact=spec.exact)


def _describe_kind(spec: LocatorSpec, params: dict[str, Any], element: str) -> str:
    try:
        value = _fill(spec.value, params, element)
        name = _fill(spec.name, params, element) if spec.name else None
    except ProfileError:  # describing must never fail: show the template instead
        value, name = spec.value, spec.name
    flags = " regex" if spec.regex else (" exact" if spec.exact and spec.kind != "css" else "")
    if spec.kind == "role":
        return f"role={spec.role}" + (f" name={name!r}{flags}" if name is not None else "")
    return f"{spec.kind}={value!r}{flags}"


# -------------------------------------------------------------------------------------------- loader
def available_profiles(directory: Path = PROFILES_DIR) -> list[str]:
    return sorted(p.stem for p in directory.glob("*.json"))


def _aliases(directory: Path) -> dict[str, str]:
    table: dict[str, str] = {}
    for path in sorted(directory.glob("*.json")):
        try:
            aliases = json.loads(path.read_text()).get("aliases", [])
        except (OSError, ValueError, AttributeError):
            continue  # a broken file is reported when it is loaded by name
        for alias in aliases if isinstance(aliases, list) else []:
            table[str(alias)] = path.stem
    return table


def load_profile(name: str | None = None, directory: Path = PROFILES_DIR) -> SelectorProfile:
    """Load ``<directory>/<name>.json`` (or the profile that lists ``name`` as an alias)."""
    name = name or DEFAULT_PROFILE
    if directory == PROFILES_DIR:
        return _load_cached(name)
    return _load(name, directory)


@lru_cache(maxsize=None)
def _load_cached(name: str) -> SelectorProfile:
    return _load(name, PROFILES_DIR)


def _load(name: str, directory: Path) -> SelectorProfile:
    path = directory / f"{name}.json"
    if not path.is_file():
        resolved = _aliases(directory).get(name)
        if resolved is None:
            known = available_profiles(directory)
            aliases = sorted(_aliases(directory))
            raise ProfileError(f"no selector profile {name!r} in {directory}; available: "
                               f"{', '.join(known) or 'none'}" + (f" (aliases: {', '.join(aliases)})" if aliases else ""))
        path = directory / f"{resolved}.json"
    try:
        raw = json.loads(path.read_text())
    except json.JSONDecodeError as exc:
        raise ProfileError(f"selector profile {path}: invalid JSON at line {exc.lineno} column {exc.colno}: "
                           f"{exc.msg}") from exc
    try:
        profile = SelectorProfile.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(f"{'.'.join(map(str, e['loc'])) or '(profile)'}: {e['msg']}" for e in exc.errors())
        raise ProfileError(f"selector profile {path} is malformed: {problems}") from exc
    if profile.name != path.stem:
        raise ProfileError(f"selector profile {path}: 'name' is {profile.name!r}, expected {path.stem!r}")
    return profile


def locate(root: Root, element: str, *, profile: SelectorProfile | str | None = None, **params: Any) -> Any:
    """``profile.locate(root, element, **params)`` with the default profile unless one is given."""
    chosen = profile if isinstance(profile, SelectorProfile) else load_profile(profile)
    return chosen.locate(root, element, **params)
