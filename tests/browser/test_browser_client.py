"""BrowserClient against a real reference target (server subprocess) in a real Chromium.

Login by session seeding and by the form, frame recording (``ready``/``subscribed`` on ``<label>/ws<n>``,
closes with who closed them), reading the DOM view, convergence with a REST-derived expected view,
mutations performed through the UI returning the real REST response, and redacted artefacts.
"""
from __future__ import annotations

import zipfile
from dataclasses import replace

import pytest

from harness.clients.browser import ActionBlocked, BrowserClient, BrowserClientError, BrowserPool
from harness.errors import BrowserUnavailable
from harness.clients.browser_view import BrowserView, await_view, compare_views, expected_view, read_friends, read_view
from harness.clients.rest import RestSession
from harness.clients.snapshot import fetch_view
from harness.model.views import Scope

from .conftest import PASSWORD

pytestmark = pytest.mark.browser


async def fresh_tokens(ws, redactor) -> dict:
    """A login of its own for the browser: refresh tokens rotate, so sessions must not share a pair."""
    rest = RestSession(ws.target.rest_url, redactor=redactor)
    try:
        return (await rest.login(ws.owner.username, PASSWORD)).body
    finally:
        await rest.aclose()


async def model_like_expectation(ws, guild_id: str, channel_id: str) -> BrowserView:
    """The expected DOM, derived from a REST snapshot of the same user's view (the model's stand-in)."""
    view = await fetch_view(ws.owner.rest, Scope(guilds=frozenset({guild_id}),
                                                 channels=frozenset({(guild_id, channel_id)})))
    return expected_view(view, active_guild_id=guild_id, active_channel_id=channel_id)


async def test_session_seeding_records_frames_and_reads_the_view(reference_targets, seeder, browser_clients):
    target = await reference_targets()
    ws = await seeder.workspace(target)
    _, message = await ws.owner.rest.post(f"/guilds/{ws.guild_id}/channels/{ws.channel_id}/messages",
                                          {"content": "hello   from\nrest"})
    client: BrowserClient = browser_clients("alice.web", target, seeder.redactor)
    opened: list[str] = []
    client.on_socket(lambda sock: opened.append(sock.conn))

    await client.start(ws.owner.username, tokens=await fresh_tokens(ws, seeder.redactor))
    sock = await client.wait_live()

    assert client.user_id == ws.owner.user_id
    assert opened == ["alice.web/ws0"] and sock.conn == "alice.web/ws0"
    frames = client.frames_by_conn()["alice.web/ws0"]
    assert frames[0].event_type == "ready" and frames[0].data["user_id"] == ws.owner.user_id
    subscribed = [f for f in frames if f.event_type == "subscribed"]
    assert [(f.data["guild_id"], f.data["channel_id"]) for f in subscribed] == [(ws.guild_id, ws.channel_id)]
    assert [f.seq for f in frames] == list(range(len(frames)))
    assert all(f.envelope_error is None for f in frames)
    assert [f.at for f in frames] == sorted(f.at for f in frames)
    assert [(s.event_type, s.data) for s in sock.sent] == [
        ("subscribe", {"guild_id": ws.guild_id, "channel_id": ws.channel_id})]
    assert "«redacted:access_token»" in sock.url and "access_token=" in sock.url

    assert await read_view(client) == BrowserView(
        rail=frozenset({"Security Ops (public)"}), active_workspace=("Security Ops", "public"),
        active_channel="general", channels=frozenset({"#general"}),
        messages={message["message_id"]: "hello from rest"}, live=True)


async def test_form_login_then_remote_changes_converge(reference_targets, seeder, browser_clients):
    target = await reference_targets()
    ws = await seeder.workspace(target, visibility="private")
    client = browser_clients("bob.web", target, seeder.redactor)
    await client.start(ws.owner.username, PASSWORD)  # typed into the login form
    await client.wait_live()
    assert client.user_id == ws.owner.user_id

    messages = f"/guilds/{ws.guild_id}/channels/{ws.channel_id}/messages"
    _, first = await ws.owner.rest.post(messages, {"content": "first"})
    await ws.owner.rest.post(messages, {"content": "second"})
    assert (await ws.owner.rest.patch(f"/guilds/{ws.guild_id}", {"name": "Renamed Ops", "visibility": "public"}))[0] == 200
    assert (await ws.owner.rest.patch(f"{messages}/{first['message_id']}", {"content": "first, edited"}))[0] == 200

    expected = await model_like_expectation(ws, ws.guild_id, ws.channel_id)
    assert expected.active_workspace == ("Renamed Ops", "public")
    assert await await_view(client, expected, timeout=5.0) == []
    types = [f.event_type for f in client.frames_by_conn()["bob.web/ws0"]]
    assert {"workspace_update", "message_update"} <= set(types) and types.count("message_create") == 2

    # The comparison is not vacuous: a planted expectation fails, part by part.
    planted = replace(expected, messages={**expected.messages, first["message_id"]: "first"})
    failures = compare_views("bob.web", await read_view(client), planted, step=7)
    assert [(f.check, f.kind, f.details["part"], f.step) for f in failures] == [
        ("convergence", "dom_diverged", "messages", 7)]


async def test_ui_mutations_return_real_responses_and_sockets_are_recorded(reference_targets, seeder, browser_clients):
    target = await reference_targets()
    ws = await seeder.workspace(target)
    client = browser_clients("carol.web", target, seeder.redactor)
    await client.start(ws.owner.username, PASSWORD, login="session")  # REST login, then seeding
    await client.wait_live()

    status, body = await client.rename_workspace("Blue Team", "private")
    assert status == 200 and body == {"guild_id": ws.guild_id, "name": "Blue Team", "visibility": "private"}
    status, sent = await client.send_message("typed in the composer")
    assert status == 200 and sent["content"] == "typed in the composer"
    status, edited = await client.edit_message(sent["message_id"], "edited in the row")
    assert status == 200 and edited["content"] == "edited in the row"
    view = await read_view(client)
    assert view.active_workspace == ("Blue Team", "private")
    assert view.messages == {sent["message_id"]: "edited in the row"}

    # The page's own socket saw the echoes of its own mutations.
    await client.wait_frames("workspace_update", "message_create", "message_update", socket=0)

    # Switching channel: the page closes ws0 (recorded as closed by the harness side, code 1000) and opens ws1.
    await ws.owner.rest.post(f"/guilds/{ws.guild_id}/channels", {"name": "second", "kind": "text"})
    await client.wait_frames("channel_create", socket=0)
    await client.select_channel("second")
    assert client.connection_ids == ["carol.web/ws0", "carol.web/ws1"]
    closed = client.sockets[0].closed
    assert closed is not None and (closed.by, closed.code) == ("harness", 1000)
    assert client.sockets[1].closed is None and client.sockets[1].has("subscribed")
    assert client.closes() == [closed]

    status, doomed = await client.send_message("to be deleted")
    assert status == 200
    status, _ = await client.delete_message(doomed["message_id"])
    assert status in (200, 204)
    assert (await read_view(client)).messages == {}

    await client.close()
    assert all(s.closed is not None for s in client.sockets)


async def test_failure_artefacts_are_saved_and_redacted(reference_targets, seeder, browser_clients, tmp_path):
    target = await reference_targets()
    ws = await seeder.workspace(target)
    client = browser_clients("dave.web", target, seeder.redactor)
    await client.start(ws.owner.username, PASSWORD)  # the password is typed: it is in the trace's actions
    await client.wait_live()

    paths = await client.save_failure_artefacts(tmp_path / "artefacts")
    assert [p.name for p in paths] == ["dave.web.png", "dave.web-trace.zip"]
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    secrets = list(seeder.redactor.known_secrets())
    assert PASSWORD in secrets and len(secrets) >= 3  # password, access and refresh tokens of several logins
    with zipfile.ZipFile(paths[1]) as trace:
        names = trace.namelist()
        assert any(n.endswith(".trace") for n in names)
        for name in names:
            data = trace.read(name)
            assert not any(s.encode() in data for s in secrets), f"a secret survived in {name}"
    await client.discard_tracing()  # already stopped: a no-op


async def test_legacy_profile_cannot_rename(reference_targets, seeder, browser_clients):
    """A profile without a workspace settings panel refuses up front, before touching the page."""
    client = browser_clients("erin.web", await reference_targets(), seeder.redactor, profile="legacy-2026-02-12")
    with pytest.raises(ActionBlocked, match="no workspace settings panel"):
        await client.rename_workspace("Nope", "private")


async def test_friend_lists_follow_friend_events(reference_targets, seeder, browser_clients):
    target = await reference_targets()
    ws = await seeder.workspace(target)
    carol, dave, frank = [await seeder.user(target, name) for name in ("carol", "dave", "frank")]
    client = browser_clients("grace.web", target, seeder.redactor)
    await client.start(ws.owner.username, PASSWORD, login="session")
    await client.wait_live()
    assert (await read_view(client)).friends is None  # the panel is closed: not read, nothing clicked

    # Incoming from carol, outgoing to dave, and frank's request accepted: one row in each list.
    assert (await carol.rest.post("/friends/requests", {"recipient_user_id": ws.owner.user_id}))[0] == 200
    assert (await ws.owner.rest.post("/friends/requests", {"recipient_user_id": dave.user_id}))[0] == 200
    status, request = await frank.rest.post("/friends/requests", {"recipient_user_id": ws.owner.user_id})
    assert (await ws.owner.rest.post(f"/friends/requests/{request['request_id']}/accept", {}))[0] == 200

    expected = await model_like_expectation(ws, ws.guild_id, ws.channel_id)
    assert expected.friends.friends == {frank.user_id: frank.username}
    assert await await_view(client, expected, timeout=3.0, with_friends=True) == []
    friends = await read_friends(client)
    assert friends.incoming == {carol.user_id: carol.username}
    assert friends.outgoing == {dave.user_id: dave.username}
    assert await client.open_dialogs() == []  # read_friends closed the panel again


async def test_pool_reports_a_missing_browser_and_cleans_up():
    async def no_browser(_playwright):
        raise BrowserUnavailable("cannot launch Chromium (/nonexistent): not found")

    pool = BrowserPool(launch=no_browser)
    with pytest.raises(BrowserUnavailable, match="cannot launch Chromium"):
        await pool.start()
    assert pool.browser is None and pool._playwright is None  # Playwright's driver was stopped again
    with pytest.raises(BrowserClientError, match="not started"):
        await pool.new_context()
    await pool.close()  # idempotent


@pytest.mark.parametrize("filtered", [True, False], ids=["gateway-only", "planted-fault-every-socket"])
async def test_a_page_socket_that_is_not_the_gateway_is_not_recorded(reference_targets, seeder, browser_clients,
                                                                     monkeypatch, filtered):
    """Issue 16: under Vite's dev server the page also opens a hot-reload WebSocket; it used to be
    recorded as a gateway connection (and fail every browser scenario). Without the filter (the planted
    fault) the same page records it as a second connection."""
    import asyncio

    from websockets.asyncio.server import serve

    from harness.clients.browser import frames

    if not filtered:
        monkeypatch.setattr(frames, "is_gateway_url", lambda url: True)
    greeted = asyncio.Event()

    async def hot_reload(ws):  # type: ignore[no-untyped-def]
        await ws.send('{"type":"connected"}')  # what Vite's HMR socket sends first
        greeted.set()
        await ws.wait_closed()

    target = await reference_targets()
    ws = await seeder.workspace(target)
    client = browser_clients("carol.web", target, seeder.redactor)
    async with serve(hot_reload, "127.0.0.1", 0) as server:
        port = server.sockets[0].getsockname()[1]
        await client.start(ws.owner.username, tokens=await fresh_tokens(ws, seeder.redactor))
        await client.wait_live()
        await client.page.evaluate(f"() => {{ window.__hmr = new WebSocket('ws://127.0.0.1:{port}/?token=vite'); }}")
        await asyncio.wait_for(greeted.wait(), 15)
        await asyncio.sleep(0.3)  # the page has received the frame by now; Playwright has reported it
        if filtered:
            assert client.connection_ids == ["carol.web/ws0"]
            assert list(client.frames_by_conn()) == ["carol.web/ws0"]
            assert client.other_sockets == [f"ws://127.0.0.1:{port}/?token=«redacted:token»"]  # listed, redacted
        else:
            assert client.connection_ids == ["carol.web/ws0", "carol.web/ws1"]
        await client.page.evaluate("() => window.__hmr.close()")


async def test_a_socket_the_page_closes_while_connecting_is_recorded_as_closed_by_the_page(
        reference_targets, seeder, browser_clients):
    """H1 of docs/real-server.md: the real web client closes a socket it just opened (still connecting)
    and opens the next with the same URL; that socket ends with 1006 and must count as closed by the
    page, not dropped by the server, and the next one must not inherit the page's close."""
    import asyncio

    target = await reference_targets()
    ws = await seeder.workspace(target)
    client = browser_clients("dave.web", target, seeder.redactor)
    await client.start(ws.owner.username, tokens=await fresh_tokens(ws, seeder.redactor))
    live = await client.wait_live()
    await client.page.evaluate("""(url) => {
        const first = new WebSocket(url);
        first.close();
        window.__next = new WebSocket(url);
    }""", live.raw_url)
    await client.wait_frames("ready", socket=2, timeout=15)
    for _ in range(50):  # the page's report of the first socket's close code follows its close event
        first = client.sockets[1]
        if first.closed is not None and first.page_close is not None:
            break
        await asyncio.sleep(0.1)
    first, following = client.sockets[1], client.sockets[2]
    assert first.closed is not None and first.closed.by == "harness" and first.closed.code == 1006
    assert following.closed is None and not following.closed_by_page
    await client.page.evaluate("() => window.__next.close()")
