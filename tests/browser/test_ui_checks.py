"""UI checks (harness.engine.ui_checks) and DOM convergence (harness.clients.browser_view) against real
reference targets, clean and with each planted web fault: every fault must make exactly the matching
check fail, with a screenshot; the legacy selector profile must fail against the current client.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from harness.engine.ui_checks import (
    check_client_settings,
    check_panels_close,
    check_panels_separate,
    check_settings_split,
    check_workspace_permissions,
    check_workspace_settings,
)
from harness.clients.browser import ActionBlocked
from harness.clients.browser_view import await_view, expected_view
from harness.clients.snapshot import fetch_view
from harness.model.views import Scope

from .conftest import PASSWORD

pytestmark = pytest.mark.browser

CONVERGENCE_WAIT = 1.5
"""Bounded wait before a DOM divergence is reported (the clean target converges in well under it)."""


async def live_owner(target, seeder, browser_clients, label: str, **options):
    ws = await seeder.workspace(target)
    client = browser_clients(label, target, seeder.redactor, **options)
    await client.start(ws.owner.username, PASSWORD, login="session")
    await client.wait_live()
    return client, ws


async def expected_for(ws):
    scope = Scope(guilds=frozenset({ws.guild_id}), channels=frozenset({(ws.guild_id, ws.channel_id)}))
    return expected_view(await fetch_view(ws.owner.rest, scope), active_guild_id=ws.guild_id,
                         active_channel_id=ws.channel_id)


def summary(failures) -> list[tuple[str, str, str]]:
    return [(str(f.check), f.kind, f.details.get("element") or f.details.get("part")) for f in failures]


async def test_clean_target_passes_for_owner_and_plain_member(reference_targets, seeder, browser_clients):
    target = await reference_targets()
    owner, ws = await live_owner(target, seeder, browser_clients, "owner.web")
    assert await check_settings_split(owner, may_manage=True) == []
    assert await check_panels_separate(owner) == []

    member = await seeder.user(target, "member")
    assert (await member.rest.post(f"/guilds/{ws.guild_id}/join", {}))[0] == 200
    client = browser_clients("member.web", target, seeder.redactor)
    await client.start(member.username, PASSWORD)
    await client.wait_live()
    assert await check_settings_split(client, may_manage=False) == []
    with pytest.raises(ActionBlocked, match="disabled"):
        await client.rename_workspace("Hijacked", "public")
    assert (await client.open_dialogs()) == []  # the check and the refused action left no panel open


async def test_permission_check_fails_on_the_wrong_expectation(reference_targets, seeder, browser_clients):
    owner, _ = await live_owner(await reference_targets(), seeder, browser_clients, "owner2.web")
    failures = await check_workspace_permissions(owner, may_manage=False)
    assert sorted(summary(failures)) == [
        ("ui", "permission", "workspace_name_input"), ("ui", "permission", "workspace_permission_note"),
        ("ui", "permission", "workspace_save_button"), ("ui", "permission", "workspace_visibility_select")]


async def test_fault_gear_missing_fails_check_a(reference_targets, seeder, browser_clients, tmp_path: Path):
    target = await reference_targets("web.gear_missing")
    client, _ = await live_owner(target, seeder, browser_clients, "gear.web")
    failures = await check_client_settings(client, screenshot_dir=tmp_path)
    assert summary(failures) == [("ui", "missing_entry_point", "client_settings_gear")]
    failure = failures[0]
    assert "Open client settings panel" in failure.details["locator"]
    assert failure.details["seen"].startswith("account_footer:")  # what the footer showed instead
    assert Path(failure.details["screenshot"]).is_file()
    assert await check_workspace_settings(client) == []
    assert summary(await check_settings_split(client, may_manage=True)) == summary(failures)


async def test_fault_server_settings_opens_client_panel_fails_check_b(reference_targets, seeder, browser_clients,
                                                                      tmp_path: Path):
    target = await reference_targets("web.server_settings_opens_client_panel")
    client, _ = await live_owner(target, seeder, browser_clients, "menu.web")
    failures = await check_workspace_settings(client, screenshot_dir=tmp_path)
    assert summary(failures) == [("ui", "wrong_panel", "workspace_settings_dialog")]
    assert failures[0].observed == ["Client settings panel"]
    assert Path(failures[0].details["screenshot"]).is_file()
    assert await check_client_settings(client) == []
    assert await check_panels_close(client, skip_panels=frozenset({"workspace_settings"})) == []


async def test_fault_rename_not_applied_diverges(reference_targets, seeder, browser_clients, tmp_path: Path):
    target = await reference_targets("web.rename_not_applied")
    client, ws = await live_owner(target, seeder, browser_clients, "rename.web")
    assert (await ws.owner.rest.patch(f"/guilds/{ws.guild_id}", {"name": "Renamed Ops", "visibility": "private"}))[0] == 200
    await client.wait_frames("workspace_update")  # delivered: only the page ignores it

    failures = await await_view(client, await expected_for(ws), timeout=CONVERGENCE_WAIT, step=3,
                                screenshot_dir=tmp_path)
    assert summary(failures) == [("convergence", "dom_diverged", "rail"),
                                 ("convergence", "dom_diverged", "active_workspace")]
    assert failures[0].details["missing"] == ["Renamed Ops (private)"]
    assert failures[1].expected == ("Renamed Ops", "private") and failures[1].observed == ("Security Ops", "public")
    assert all(f.step == 3 and Path(f.details["screenshot"]).is_file() for f in failures)
    artefacts = await client.save_failure_artefacts(tmp_path)
    assert [p.suffix for p in artefacts] == [".png", ".zip"]


async def test_fault_edit_not_applied_diverges(reference_targets, seeder, browser_clients, tmp_path: Path):
    target = await reference_targets("web.edit_not_applied")
    client, ws = await live_owner(target, seeder, browser_clients, "edit.web")
    path = f"/guilds/{ws.guild_id}/channels/{ws.channel_id}/messages"
    _, message = await ws.owner.rest.post(path, {"content": "original text"})
    assert (await ws.owner.rest.patch(f"{path}/{message['message_id']}", {"content": "edited text"}))[0] == 200
    await client.wait_frames("message_create", "message_update")

    failures = await await_view(client, await expected_for(ws), timeout=CONVERGENCE_WAIT, screenshot_dir=tmp_path)
    assert summary(failures) == [("convergence", "dom_diverged", "messages")]
    assert failures[0].details["changed"] == {message["message_id"]: {"expected": "edited text",
                                                                       "observed": "original text"}}
    assert Path(failures[0].details["screenshot"]).is_file()


async def test_legacy_profile_against_current_client_is_detected(reference_targets, seeder, browser_clients,
                                                                 tmp_path: Path):
    target = await reference_targets()
    client, _ = await live_owner(target, seeder, browser_clients, "legacy.web", profile="legacy-2026-02-12")
    failures = await check_client_settings(client, screenshot_dir=tmp_path)
    assert summary(failures) == [("ui", "missing_entry_point", "client_settings_menuitem")]
    assert "Open settings panel" in failures[0].details["locator"]
    assert "Open workspace settings panel" in failures[0].details["seen"]  # the current item was there instead
    assert await check_workspace_settings(client) == []  # that version had no workspace panel to check
    assert summary(await check_settings_split(client, may_manage=True)) == summary(failures)
