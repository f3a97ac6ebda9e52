"""Selector profiles: loading, validation errors, null elements, parameters, and the calls locate() makes."""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from harness.clients.selectors import (
    DEFAULT_PROFILE,
    PROFILES_DIR,
    REQUIRED_ELEMENTS,
    ElementAbsent,
    ProfileError,
    available_profiles,
    load_profile,
    locate,
)

LEGACY = "legacy-2026-02-12"


class FakeRoot:
    """Records the Playwright calls locate() makes: ``chain`` is the path from the page."""

    def __init__(self, chain: tuple[Any, ...] = (), page: "FakeRoot | None" = None) -> None:
        self.chain = chain
        self._page = page

    @property
    def page(self) -> "FakeRoot":
        return self._page or self

    def _child(self, *call: Any) -> "FakeRoot":
        return FakeRoot(self.chain + (call,), self.page)

    def locator(self, selector: str, **kwargs: Any) -> "FakeRoot":
        return self._child("locator", selector, kwargs)

    def get_by_role(self, role: str, **kwargs: Any) -> "FakeRoot":
        return self._child("role", role, kwargs)

    def get_by_title(self, text: Any, **kwargs: Any) -> "FakeRoot":
        return self._child("title", text, kwargs)

    def get_by_placeholder(self, text: Any, **kwargs: Any) -> "FakeRoot":
        return self._child("placeholder", text, kwargs)

    def get_by_label(self, text: Any, **kwargs: Any) -> "FakeRoot":
        return self._child("label", text, kwargs)

    def get_by_text(self, text: Any, **kwargs: Any) -> "FakeRoot":
        return self._child("text", text, kwargs)

    def filter(self, **kwargs: Any) -> "FakeRoot":
        return self._child("filter", kwargs)


def test_shipped_profiles_load_and_current_is_an_alias_of_the_default():
    assert {DEFAULT_PROFILE, LEGACY} <= set(available_profiles())
    current = load_profile("current")
    assert current.name == DEFAULT_PROFILE == load_profile().name
    for name in (DEFAULT_PROFILE, LEGACY):
        assert REQUIRED_ELEMENTS <= set(load_profile(name).elements)


def test_role_names_are_exact_and_scoped_as_in_web_ui_md():
    page = FakeRoot()
    gear = locate(page, "client_settings_gear")
    assert gear.chain == (
        ("locator", 'footer[aria-label="Account controls"]', {}),
        ("role", "button", {"name": "Open client settings panel", "exact": True}),
    )
    item = locate(page, "workspace_settings_menuitem")
    assert item.chain == (
        ("role", "menu", {"name": "Workspace menu", "exact": True}),
        ("role", "menuitem", {"name": "Open workspace settings panel", "exact": True}),
    )


def test_parameters_are_filled_and_escaped_for_css():
    page = FakeRoot()
    assert locate(page, "channel_button", name="general").chain[-1] == (
        "role", "button", {"name": "#general", "exact": True})
    assert locate(page, "workspace_rail_button", name="Ops", visibility="public").chain[-1] == (
        "title", "Ops (public)", {"exact": True})
    assert locate(page, "composer", channel="incident-room").chain == (
        ("placeholder", "Message #incident-room", {"exact": True}),)
    row = locate(page, "message_row", message_id='01X"]')
    assert row.chain == (("locator", 'article.message-row:has([data-reaction-anchor-for="01X\\"]"])', {}),)


def test_missing_parameter_is_a_clear_error():
    with pytest.raises(ProfileError, match="'channel_button' needs parameter 'name'"):
        locate(FakeRoot(), "channel_button")


def test_regex_specs_compile_and_has_filters_are_built_from_the_page():
    page = FakeRoot()
    subtitle = locate(page, "workspace_subtitle")
    kind, pattern, kwargs = subtitle.chain[-1]
    assert kind == "text" and isinstance(pattern, re.Pattern) and kwargs == {}
    assert pattern.match("private workspace") and not pattern.match("private workspace rules")
    rows = locate(page, "friend_incoming_rows")
    assert rows.chain[-1][0] == "filter"
    inner = rows.chain[-1][1]["has"]
    assert inner.chain == (("role", "button", {"name": "Accept", "exact": True}),)  # not scoped to the dialog
    assert rows.chain[:2] == (("role", "dialog", {"name": "Friendships panel", "exact": True}), ("locator", "li", {}))


def test_locating_inside_a_locator_uses_that_root():
    dialog = locate(FakeRoot(), "workspace_settings_dialog")
    control = locate(dialog, "workspace_name_input")
    assert control.chain == (
        ("role", "dialog", {"name": "Workspace settings panel", "exact": True}),
        ("role", "textbox", {"name": "Workspace settings name", "exact": True}),
    )


def test_null_elements_and_panels_are_explicit():
    legacy = load_profile(LEGACY)
    assert not legacy.has("client_settings_gear") and legacy.has("client_settings_menuitem")
    assert legacy.panel("workspace_settings") is None
    assert legacy.panel("client_settings").open == ["workspace_menu_button", "client_settings_menuitem"]
    with pytest.raises(ElementAbsent, match="client_settings_gear"):
        locate(FakeRoot(), "client_settings_gear", profile=legacy)
    assert legacy.describe("client_settings_gear") == f"(absent in profile {LEGACY})"
    assert locate(FakeRoot(), "client_settings_dialog", profile=legacy).chain == (
        ("role", "dialog", {"name": "Settings panel", "exact": True}),)
    with pytest.raises(ProfileError, match="no element 'nonsense'"):
        legacy.has("nonsense")


def test_describe_names_the_whole_locator():
    profile = load_profile()
    assert profile.describe("client_settings_gear") == (
        "role=button name='Open client settings panel' exact "
        "within account_footer[css='footer[aria-label=\"Account controls\"]']")
    assert profile.describe("channel_button", name="ops") == (
        "role=button name='#ops' exact within channel_nav[role=navigation name='channels' exact]")


def test_css_accessor_refuses_non_css_specs():
    profile = load_profile()
    assert profile.css("message_body") == "div.message-markdown"
    with pytest.raises(ProfileError, match="plain css"):
        profile.css("composer")


def _write(tmp_path: Path, name: str, data: Any) -> Path:
    path = tmp_path / f"{name}.json"
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def _base() -> dict[str, Any]:
    return json.loads((PROFILES_DIR / f"{DEFAULT_PROFILE}.json").read_text())


def test_unknown_profile_lists_what_exists(tmp_path: Path):
    _write(tmp_path, "mine", {**_base(), "name": "mine", "aliases": ["latest"]})
    with pytest.raises(ProfileError, match=r"no selector profile 'other'.*available: mine \(aliases: latest\)"):
        load_profile("other", tmp_path)
    assert load_profile("latest", tmp_path).name == "mine"


def test_invalid_json_names_file_and_line(tmp_path: Path):
    _write(tmp_path, "broken", '{\n  "name": "broken",\n  oops\n}')
    with pytest.raises(ProfileError, match=r"broken\.json: invalid JSON at line 3"):
        load_profile("broken", tmp_path)


@pytest.mark.parametrize("mutate, message", [
    (lambda p: p["elements"].pop("composer"), "elements missing.*composer"),
    (lambda p: p["elements"].update(composer={"role": "textbox", "css": "textarea"}), "exactly one of"),
    (lambda p: p["elements"].update(composer={"css": "textarea", "name": "x"}), "only meaningful with 'role'"),
    (lambda p: p["elements"]["client_settings_gear"].update(within="nowhere"), "unknown element 'nowhere'"),
    (lambda p: p["elements"].update(account_footer=None), "which is null in this profile"),
    (lambda p: p["elements"]["account_footer"].update(within="client_settings_gear"), "'within' cycle"),
    (lambda p: p["panels"]["client_settings"].update(dialog="missing_dialog"), "unknown element 'missing_dialog'"),
    (lambda p: p["panels"].pop("workspace_settings"), "panels missing.*workspace_settings"),
    (lambda p: p["elements"]["composer"].update(colour="red"), "colour"),
    (lambda p: p.update(name="other"), "'name' is 'other', expected 'bad'"),
])
def test_malformed_profiles_are_rejected_with_the_reason(tmp_path: Path, mutate, message):
    profile = _base()
    profile["name"] = "bad"
    mutate(profile)
    _write(tmp_path, "bad", profile)
    with pytest.raises(ProfileError, match=message):
        load_profile("bad", tmp_path)
