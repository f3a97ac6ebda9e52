"""Playwright smoke tests of the reference web client (harness/reference/web), driven only through the
accessible names of WEB_UI.md, plus one test per planted web fault showing the faulty behaviour is real.

Every wait is bounded (Playwright's 5 s default per action/assertion, set in conftest.py).
"""
from __future__ import annotations

import re

import pytest
from playwright.async_api import Page, expect

from .conftest import PASSWORD, Api, open_seeded_app, unique_username

pytestmark = pytest.mark.browser

LIVE_TIMEOUT_MS = 8000  # first gateway connection, including the socket's own start-up


def nav_channel(page: Page, name: str):
    return page.get_by_role("navigation", name="channels").get_by_role("button", name=f"#{name}", exact=True)


async def expect_live(page: Page) -> None:
    await expect(page.locator("header.chat-header")).to_contain_text("Live", timeout=LIVE_TIMEOUT_MS)
    await expect(page.get_by_title("Gateway connected")).to_have_text("Live")


async def seeded_workspace(server, api_factory, context) -> tuple[Page, Api, str, str]:
    """A user with workspace `Security Ops` / `#incident-room`, created over REST, and a live page."""
    api = api_factory(server.url)
    username = unique_username()
    await api.register(username)
    await api.login(username)
    guild_id, channel_id = await api.create_workspace("Security Ops", "incident-room")
    page = await open_seeded_app(context, server, api)
    await expect(page.get_by_title("Security Ops (private)")).to_be_visible()
    await expect_live(page)
    return page, api, guild_id, channel_id


async def test_register_login_settings_split_and_live_updates(reference_server, context, api_factory):
    page = await context.new_page()
    await page.goto(f"{reference_server.url}/")
    await expect(page).to_have_url(re.compile(r"/login$"))
    await expect(page).to_have_title("Filament")

    # Register: the page reports success, flips back to login mode and keeps the typed values.
    username = unique_username("web")
    submit = page.locator("form.auth-form button[type=submit]")
    await page.get_by_role("button", name="Register", exact=True).click()
    await expect(page.get_by_role("heading", name="Create Account", level=1)).to_be_visible()
    await page.get_by_label("Username").fill(username)
    await page.get_by_label("Password").fill(PASSWORD)
    await expect(submit).to_have_text("Create account")
    await submit.click()
    await expect(page.get_by_role("status")).to_have_text("Account accepted. Continue with login.")
    await expect(page.get_by_role("heading", name="Welcome Back", level=1)).to_be_visible()
    await expect(page.get_by_label("Username")).to_have_value(username)

    # Login lands on /app with the forced first-workspace dialog.
    await submit.click()
    await expect(page).to_have_url(re.compile(r"/app$"))
    await expect(page.get_by_role("heading", name="Create your first workspace")).to_be_visible()
    create = page.get_by_role("dialog", name="Create workspace panel", exact=True)
    await expect(create.get_by_role("button", name="Close", exact=True)).to_be_disabled()
    await expect(create.get_by_label("Workspace name")).to_have_value("Security Ops")
    await expect(create.get_by_label("First channel")).to_have_value("incident-room")
    await create.get_by_role("button", name="Create workspace", exact=True).click()
    await expect(create).to_have_count(0)
    await expect(page.get_by_title("Security Ops (private)")).to_be_visible()
    await expect(page.get_by_role("complementary", name="servers").get_by_role("button", name="S", exact=True)).to_be_visible()
    await expect(nav_channel(page, "incident-room")).to_be_visible()
    await expect(page.get_by_placeholder("Message #incident-room")).to_be_enabled()
    await expect_live(page)

    workspace_dialog = page.get_by_role("dialog", name="Workspace settings panel", exact=True)
    client_dialog = page.get_by_role("dialog", name="Client settings panel", exact=True)
    menu_button = page.get_by_role("button", name="Open workspace menu", exact=True)
    gear = page.locator('footer[aria-label="Account controls"]').get_by_role("button", name="Open client settings panel", exact=True)
    await expect(gear).to_have_attribute("title", "Client settings")

    async def open_workspace_settings() -> None:
        await menu_button.click()
        await expect(menu_button).to_have_attribute("aria-expanded", "true")
        await page.get_by_role("menu", name="Workspace menu").get_by_role(
            "menuitem", name="Open workspace settings panel", exact=True).click()
        await expect(workspace_dialog).to_be_visible()

    # Workspace settings: workspace controls only, closed with Close.
    await open_workspace_settings()
    await expect(page.get_by_role("menu", name="Workspace menu")).to_have_count(0)
    await expect(workspace_dialog.get_by_role("textbox", name="Workspace settings name", exact=True)).to_have_value("Security Ops")
    await expect(workspace_dialog.get_by_role("combobox", name="Workspace settings visibility", exact=True)).to_have_value("private")
    await expect(workspace_dialog.get_by_role("button", name="Save workspace", exact=True)).to_be_enabled()
    await expect(workspace_dialog.get_by_role("button", name="Open Server Profile workspace section", exact=True)).to_have_attribute("aria-current", "page")
    await expect(workspace_dialog.get_by_role("button", name="Open Voice settings category", exact=True)).to_have_count(0)
    await expect(workspace_dialog.get_by_role("textbox", name="Profile username", exact=True)).to_have_count(0)
    await expect(client_dialog).to_have_count(0)
    await workspace_dialog.get_by_role("button", name="Close", exact=True).click()
    await expect(workspace_dialog).to_have_count(0)

    # Client settings: per-user controls only, closed with Escape.
    await gear.click()
    await expect(client_dialog).to_be_visible()
    await expect(client_dialog.get_by_role("button", name="Open Voice settings category", exact=True)).to_have_attribute("aria-current", "page")
    await expect(client_dialog.get_by_role("combobox", name="Select microphone device", exact=True)).to_be_visible()
    await expect(client_dialog.get_by_role("textbox", name="Workspace settings name", exact=True)).to_have_count(0)
    await expect(client_dialog.get_by_role("button", name="Save workspace", exact=True)).to_have_count(0)
    await expect(workspace_dialog).to_have_count(0)
    await client_dialog.get_by_role("button", name="Open Profile settings category", exact=True).click()
    await expect(client_dialog.get_by_role("textbox", name="Profile username", exact=True)).to_have_value(username)
    await page.keyboard.press("Escape")
    await expect(client_dialog).to_have_count(0)

    # The other closing paths: Escape for workspace settings, Close and a backdrop click for client settings.
    await open_workspace_settings()
    await page.keyboard.press("Escape")
    await expect(workspace_dialog).to_have_count(0)
    await gear.click()
    await client_dialog.get_by_role("button", name="Close", exact=True).click()
    await expect(client_dialog).to_have_count(0)
    await gear.click()
    await page.locator("div.panel-backdrop").click(position={"x": 4, "y": 4})
    await expect(client_dialog).to_have_count(0)

    # Send from the composer (Enter submits), then edit from a second client: the page follows live.
    await page.evaluate("window.__sameDocument = true")
    composer = page.get_by_placeholder("Message #incident-room")
    await composer.fill("hello from the page")
    await composer.press("Enter")
    row = page.locator("article.message-row", has_text="hello from the page")
    await expect(row).to_have_count(1)
    await expect(composer).to_have_value("")
    message_id = await row.get_by_role("button", name="Add reaction", exact=True).get_attribute("data-reaction-anchor-for")
    assert message_id and re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{26}", message_id)

    second = api_factory(reference_server.url)
    await second.login(username)
    guilds = (await second.call("GET", "/guilds"))["guilds"]
    guild_id = next(g["guild_id"] for g in guilds if g["name"] == "Security Ops")
    channels = (await second.call("GET", f"/guilds/{guild_id}/channels"))["channels"]
    channel_id = next(c["channel_id"] for c in channels if c["name"] == "incident-room")
    await second.edit(guild_id, channel_id, message_id, "edited by the second client")
    by_id = page.locator(f'article.message-row:has([data-reaction-anchor-for="{message_id}"])')
    await expect(by_id.locator("div.safe-markdown.message-markdown")).to_have_text("edited by the second client")

    # A remote rename reaches the rail, the menu button and the subtitle.
    await second.rename(guild_id, "Renamed Ops", "public")
    await expect(page.get_by_title("Renamed Ops (public)")).to_be_visible()
    await expect(menu_button).to_contain_text("Renamed Ops")
    await expect(page.locator("aside.channel-rail")).to_contain_text("public workspace")
    assert await page.evaluate("window.__sameDocument === true"), "the page reloaded"


async def test_edit_mode_and_reaction_chips_follow_web_ui(reference_server, context, api_factory):
    """WEB_UI.md §2 message rows: the edit textarea is unnamed and Enter does not submit the edit (only
    `Save` does); a reaction chip is named `<emoji> reaction (<n>)` and carries no aria-pressed."""
    page, api, guild_id, channel_id = await seeded_workspace(reference_server, api_factory, context)
    message_id = await api.send(guild_id, channel_id, "first line")
    row = page.locator(f'article.message-row:has([data-reaction-anchor-for="{message_id}"])')
    await expect(row.locator("div.message-markdown")).to_have_text("first line")

    await row.hover()
    await row.get_by_role("button", name="Edit message", exact=True).click()
    editor = row.locator("textarea")
    await expect(editor).to_have_value("first line")
    assert await editor.get_attribute("aria-label") is None
    await editor.press("End")
    await editor.press("Enter")  # a newline in the draft, not a save
    await editor.press_sequentially("second line")
    await expect(editor).to_have_value("first line\nsecond line")
    await row.get_by_role("button", name="Save", exact=True).click()
    await expect(editor).to_have_count(0)
    await expect(page.get_by_role("status").filter(has_text="Message updated.")).to_be_visible()
    await expect(row.locator("div.message-markdown")).to_contain_text("second line")

    await row.hover()
    await row.get_by_role("button", name="Add reaction", exact=True).click()
    await page.get_by_role("dialog", name="Choose reaction", exact=True).get_by_role("button", name="👍", exact=True).click()
    chip = row.get_by_role("button", name="👍 reaction (1)", exact=True)
    await expect(chip).to_be_visible()
    assert await chip.get_attribute("aria-pressed") is None


async def test_fault_gear_missing(start_reference_server, context, api_factory):
    server = start_reference_server("web.gear_missing")
    page, *_ = await seeded_workspace(server, api_factory, context)
    footer = page.locator('footer[aria-label="Account controls"]')
    await expect(footer.get_by_role("button", name=re.compile(r"^Open .+ profile$"))).to_be_visible()
    await expect(footer).to_contain_text("Online")
    await expect(page.get_by_role("button", name="Open client settings panel", exact=True)).to_have_count(0)


async def test_fault_server_settings_opens_client_panel(start_reference_server, context, api_factory):
    server = start_reference_server("web.server_settings_opens_client_panel")
    page, *_ = await seeded_workspace(server, api_factory, context)
    await page.get_by_role("button", name="Open workspace menu", exact=True).click()
    await page.get_by_role("menuitem", name="Open workspace settings panel", exact=True).click()
    await expect(page.get_by_role("dialog", name="Client settings panel", exact=True)).to_be_visible()
    await expect(page.get_by_role("dialog", name="Workspace settings panel", exact=True)).to_have_count(0)
    await expect(page.get_by_role("textbox", name="Workspace settings name", exact=True)).to_have_count(0)


async def test_fault_rename_not_applied(start_reference_server, context, api_factory):
    server = start_reference_server("web.rename_not_applied")
    page, api, guild_id, channel_id = await seeded_workspace(server, api_factory, context)
    await api.rename(guild_id, "Renamed Ops")
    # Events reach one connection in emission order: once this later message is shown, the
    # workspace_update has been received too, so "not renamed" is a fact, not a timing guess.
    await api.send(guild_id, channel_id, "after the rename")
    await expect(page.locator("article.message-row", has_text="after the rename")).to_have_count(1)
    await expect(page.get_by_title("Security Ops (private)")).to_be_visible()
    await expect(page.get_by_title("Renamed Ops (private)")).to_have_count(0)
    await expect(page.get_by_role("button", name="Open workspace menu", exact=True)).to_contain_text("Security Ops")


async def test_fault_edit_not_applied(start_reference_server, context, api_factory):
    server = start_reference_server("web.edit_not_applied")
    page, api, guild_id, channel_id = await seeded_workspace(server, api_factory, context)
    message_id = await api.send(guild_id, channel_id, "original text")
    row = page.locator(f'article.message-row:has([data-reaction-anchor-for="{message_id}"])')
    await expect(row.locator("div.message-markdown")).to_have_text("original text")
    await api.edit(guild_id, channel_id, message_id, "edited text")
    await api.send(guild_id, channel_id, "after the edit")  # same ordering argument as above
    await expect(page.locator("article.message-row", has_text="after the edit")).to_have_count(1)
    await expect(row.locator("div.message-markdown")).to_have_text("original text")
    # The server did apply the edit: a REST refresh shows it, only the live update was dropped.
    await page.get_by_role("button", name="Refresh", exact=True).click()
    await expect(row.locator("div.message-markdown")).to_have_text("edited text")
