"""What a browser client's DOM shows, what the model says it must show, and the difference.

* :class:`BrowserView` — a pure value: workspace rail titles, the active workspace (name, visibility),
  the active channel, the channels of the active workspace (accessible names: ``#general`` for text,
  ``lobby`` for voice), the messages of the active channel (id → text), the friend lists when they
  were read, and whether the ``Live`` badge shows.
* :func:`read_view` reads it from the page through the selector profile (never opening anything);
  :func:`read_friends` opens the friendships panel, reads it and closes it again.
* :func:`expected_view` derives the view from the model's projection (a :class:`ClientView`) — pure.
* :func:`compare_views` returns one ``convergence``/``dom_diverged`` failure per differing part;
  :func:`await_view` polls ``read_view`` until it matches or a bounded wait ends (then screenshots).

Comparison rules that follow from how the web client works (WEB_UI.md §2, §4):

* the rail lists every workspace with a readable, non-empty channel list, but only the *active* one
  receives live updates; so by default the expected rail titles must be present (subset) and extra
  titles are tolerated; ``expected_view(..., rail_complete=True)`` demands equality;
* the client loads the newest 50 messages and appends live ones; when the model holds more than that
  window, messages older than the oldest expected one are ignored (they were loaded earlier);
* message text is the rendered markdown's text, compared with the content after collapsing
  whitespace: scenarios compared through the DOM should send plain text;
* a friend request's counterpart username is not always known to the model (only friends and
  co-members are), so those rows compare by user id and by name only where the model knows it.
"""
from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from harness.checks.types import CheckClass, CheckFailure
from harness.clients.browser import BrowserClient, file_stem
from harness.model.views import ClientView, GuildView

__all__ = [
    "HISTORY_WINDOW",
    "FriendLists",
    "BrowserView",
    "read_view",
    "read_friends",
    "expected_view",
    "compare_views",
    "await_view",
    "parse_rail_title",
    "normalise_text",
]

HISTORY_WINDOW = 50
"""Messages the web client loads when a channel opens (``GET …/messages?limit=50``)."""

_TITLE_RE = re.compile(r"^(?P<name>.*) \((?P<visibility>[^()]*)\)$")
_SUBTITLE_RE = re.compile(r"^(?P<visibility>\S+) workspace$", re.IGNORECASE)
_ULID_RE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")


@dataclass(frozen=True)
class FriendLists:
    """user id -> username (None: the model does not know the name; compare the id only)."""

    incoming: Mapping[str, str | None] = field(default_factory=dict)
    outgoing: Mapping[str, str | None] = field(default_factory=dict)
    friends: Mapping[str, str | None] = field(default_factory=dict)


@dataclass(frozen=True)
class BrowserView:
    rail: frozenset[str]
    """Rail button titles ``<name> (<visibility>)``."""
    active_workspace: tuple[str, str] | None
    """(name, visibility) from the menu button and its subtitle; None without a workspace."""
    active_channel: str | None
    """Channel title (name without ``#``); None for ``no-channel``."""
    channels: frozenset[str] | None
    """Accessible names of the channel rows; None = not compared."""
    messages: Mapping[str, str] | None
    """message id -> normalised text of the active channel; None = not compared."""
    live: bool | None
    friends: FriendLists | None = None
    """None when not read (observed) or not compared (expected)."""
    # Comparison policy, set by expected_view on the *expected* side:
    rail_complete: bool = field(default=False, compare=False)
    messages_truncated: bool = field(default=False, compare=False)


# ------------------------------------------------------------------------------------------ pure bits
def normalise_text(text: str) -> str:
    return " ".join(text.split())


def parse_rail_title(title: str) -> tuple[str, str] | None:
    """``"Security Ops (private)"`` -> ``("Security Ops", "private")``."""
    match = _TITLE_RE.match(title)
    return (match["name"], match["visibility"]) if match else None


def rail_title(name: str, visibility: str) -> str:
    return f"{name} ({visibility})"


def channel_accessible_name(name: str, kind: str) -> str:
    """Text rows are named ``#<name>``, voice rows ``<name>`` (WEB_UI.md §2)."""
    return f"#{name}" if kind == "text" else name


def expected_view(
    client_view: ClientView,
    *,
    active_guild_id: str | None,
    active_channel_id: str | None,
    history_window: int = HISTORY_WINDOW,
    rail_complete: bool = False,
    live: bool | None = True,
    compare_friends: bool = True,
) -> BrowserView:
    """What the DOM must show for the model's projection ``client_view`` (names, not ids; message ids kept)."""
    guild = client_view.guilds.get(active_guild_id) if active_guild_id else None
    channel = _channel(guild, active_channel_id)
    messages, truncated = _expected_messages(guild, active_channel_id, history_window)
    return BrowserView(
        rail=frozenset(rail_title(g.name, g.visibility) for g in client_view.guilds.values() if g.channels),
        active_workspace=(guild.name, guild.visibility) if guild else None,
        active_channel=channel.name if channel else None,
        channels=None if guild is None or guild.channels is None else frozenset(
            channel_accessible_name(c.name, c.kind) for c in guild.channels.values()),
        messages=messages,
        live=live,
        friends=_expected_friends(client_view) if compare_friends else None,
        rail_complete=rail_complete,
        messages_truncated=truncated,
    )


def _channel(guild: GuildView | None, channel_id: str | None) -> Any:
    if guild is None or guild.channels is None or channel_id is None:
        return None
    return guild.channels.get(channel_id)


def _expected_messages(guild: GuildView | None, channel_id: str | None, window: int) -> tuple[dict[str, str] | None, bool]:
    if guild is None or channel_id is None or channel_id not in guild.messages:
        return None, False
    messages = guild.messages[channel_id]
    newest = sorted(messages)[-window:] if window > 0 else []
    return {m: normalise_text(messages[m].content) for m in newest}, len(messages) > len(newest)


def _expected_friends(view: ClientView) -> FriendLists:
    return FriendLists(
        incoming={sender: view.usernames.get(sender) for sender in view.incoming.values()},
        outgoing={recipient: view.usernames.get(recipient) for recipient in view.outgoing.values()},
        friends=dict(view.friends),
    )


def compare_views(label: str, observed: BrowserView, expected: BrowserView, step: int | None = None) -> list[CheckFailure]:
    """One failure per part of the DOM that differs from the expected view."""
    diffs: list[tuple[str, Any, Any, dict[str, Any]]] = []
    diffs += _rail_diff(observed, expected)
    if observed.active_workspace != expected.active_workspace:
        diffs.append(("active_workspace", expected.active_workspace, observed.active_workspace, {}))
    if observed.active_channel != expected.active_channel:
        diffs.append(("active_channel", expected.active_channel, observed.active_channel, {}))
    if expected.channels is not None and observed.channels != expected.channels:
        diffs.append(("channels", sorted(expected.channels), sorted(observed.channels or ()),
                      _set_diff(observed.channels or frozenset(), expected.channels)))
    diffs += _messages_diff(observed, expected)
    diffs += _friends_diff(observed, expected)
    if expected.live is not None and observed.live != expected.live:
        diffs.append(("live", expected.live, observed.live, {}))
    return [_failure(label, step, part, exp, obs, details) for part, exp, obs, details in diffs]


def _set_diff(observed: frozenset[str], expected: frozenset[str]) -> dict[str, Any]:
    return {"missing": sorted(expected - observed), "extra": sorted(observed - expected)}


def _rail_diff(observed: BrowserView, expected: BrowserView) -> list[tuple[str, Any, Any, dict[str, Any]]]:
    details = _set_diff(observed.rail, expected.rail)
    if not expected.rail_complete:
        details["extra"] = []  # other workspaces get no live updates: only the expected ones must be there
    if not details["missing"] and not details["extra"]:
        return []
    return [("rail", sorted(expected.rail), sorted(observed.rail), details)]


def _messages_diff(observed: BrowserView, expected: BrowserView) -> list[tuple[str, Any, Any, dict[str, Any]]]:
    if expected.messages is None or observed.messages is None:
        return []
    shown = dict(observed.messages)
    if expected.messages_truncated and expected.messages:
        oldest = min(expected.messages)
        shown = {m: t for m, t in shown.items() if m >= oldest}  # older rows were loaded earlier: ignored
    missing = sorted(set(expected.messages) - set(shown))
    extra = sorted(set(shown) - set(expected.messages))
    changed = {m: {"expected": expected.messages[m], "observed": shown[m]}
               for m in sorted(set(expected.messages) & set(shown)) if normalise_text(shown[m]) != expected.messages[m]}
    if not (missing or extra or changed):
        return []
    return [("messages", dict(expected.messages), shown, {"missing": missing, "extra": extra, "changed": changed})]


def _friends_diff(observed: BrowserView, expected: BrowserView) -> list[tuple[str, Any, Any, dict[str, Any]]]:
    if expected.friends is None or observed.friends is None:
        return []
    diffs = []
    for part in ("incoming", "outgoing", "friends"):
        exp: Mapping[str, str | None] = getattr(expected.friends, part)
        obs: Mapping[str, str | None] = getattr(observed.friends, part)
        details = _set_diff(frozenset(obs), frozenset(exp))
        details["renamed"] = {u: {"expected": exp[u], "observed": obs[u]}
                              for u in sorted(set(exp) & set(obs)) if exp[u] is not None and exp[u] != obs[u]}
        if details["missing"] or details["extra"] or details["renamed"]:
            diffs.append((f"friends.{part}", dict(exp), dict(obs), details))
    return diffs


def _failure(label: str, step: int | None, part: str, expected: Any, observed: Any, details: dict[str, Any]) -> CheckFailure:
    summary = ", ".join(f"{k} {v}" for k, v in details.items() if v) or f"expected {expected!r}, shows {observed!r}"
    return CheckFailure(
        check=CheckClass.CONVERGENCE, kind="dom_diverged",
        message=f"{label}: the page's {part} differs from the model: {summary}",
        step=step, client=label, expected=expected, observed=observed,
        details={"part": part, **details})


# ---------------------------------------------------------------------------------------------- reading
async def read_view(client: BrowserClient) -> BrowserView:
    """Read the view from ``client`` (a :class:`~harness.clients.browser.BrowserClient`) without
    clicking anything. Friend lists are read only when the friendships panel happens to be open."""
    page, profile = client.page, client.profile
    titles = await client.locate("workspace_rail_buttons").evaluate_all(
        "els => els.map(e => e.getAttribute('title') || '')")
    friends = await _read_friend_rows(client) if await client.locate("friendships_dialog").count() else None
    return BrowserView(
        rail=frozenset(t for t in titles if t),
        active_workspace=await _read_active_workspace(client),
        active_channel=await client.active_channel_name(),
        channels=await _read_channels(client),
        messages=await _read_messages(page, profile),
        live=await client.is_live(),
        friends=friends,
    )


async def _read_active_workspace(client: Any) -> tuple[str, str] | None:
    button = client.locate("workspace_menu_button")
    if not await button.count() or await button.first.is_disabled():
        return None  # "No Workspace": the trigger is disabled without an active workspace
    name = await client.active_workspace_name()
    subtitle = client.locate("workspace_subtitle")
    text = (await subtitle.first.inner_text()).strip() if await subtitle.count() else ""
    match = _SUBTITLE_RE.match(text)
    return (name or "", match["visibility"].lower() if match else text)


async def _read_channels(client: Any) -> frozenset[str] | None:
    if not await client.locate("channel_nav").count():
        return frozenset()
    names = await client.locate("channel_buttons").evaluate_all(
        "els => els.map(e => e.getAttribute('aria-label') || e.textContent.trim())")
    controls = {client.profile.spec(e).name for e in ("create_text_channel", "create_voice_channel")
                if client.profile.has(e)}
    return frozenset(n for n in names if n and n not in controls)


async def _read_messages(page: Any, profile: Any) -> dict[str, str]:
    rows = page.locator(profile.css("message_rows"))
    pairs = await rows.evaluate_all(
        """(rows, sel) => rows.map(r => {
             const anchor = r.querySelector(sel.anchor);
             const body = r.querySelector(sel.body);
             return [anchor ? anchor.getAttribute('data-reaction-anchor-for') : null, body ? body.innerText : null];
           })""",
        {"anchor": profile.css("message_anchor"), "body": profile.css("message_body")})
    return {mid: normalise_text(text or "") for mid, text in pairs if mid}


async def _read_friend_rows(client: Any) -> FriendLists:
    return FriendLists(
        incoming=await _friend_list(client, "friend_incoming_rows"),
        outgoing=await _friend_list(client, "friend_outgoing_rows"),
        friends=await _friend_list(client, "friend_rows"),
    )


async def _friend_list(client: Any, element: str) -> dict[str, str | None]:
    # Text nodes outside buttons, in order: the username, then the user id (WEB_UI.md §2 "Friendships").
    texts = await client.locate(element).evaluate_all(
        """rows => rows.map(row => {
             const out = [];
             const walk = document.createTreeWalker(row, NodeFilter.SHOW_TEXT);
             for (let n = walk.nextNode(); n; n = walk.nextNode()) {
               if (n.parentElement.closest('button')) continue;
               const t = n.textContent.trim();
               if (t) out.push(t);
             }
             return out;
           })""")
    result: dict[str, str | None] = {}
    for parts in texts:
        ids = [p for p in parts if _ULID_RE.match(p)]
        names = [p for p in parts if not _ULID_RE.match(p)]
        if ids:
            result[ids[0]] = names[0] if names else None
    return result


async def read_friends(client: BrowserClient) -> FriendLists:
    """Open the friendships panel, read its three lists and close it again (this does touch the UI)."""
    await client.click("friendships_open")
    dialog = client.locate("friendships_dialog")
    await client.wait_visible("friendships_dialog", client.timeout)
    try:
        return await _read_friend_rows(client)
    finally:
        await client.click("dialog_close", root=dialog)
        await dialog.wait_for(state="hidden", timeout=client.timeout * 1000)


async def await_view(
    client: BrowserClient,
    expected: BrowserView,
    *,
    timeout: float = 2.0,
    step: int | None = None,
    screenshot_dir: Path | str | None = None,
    with_friends: bool = False,
) -> list[CheckFailure]:
    """Poll the page until it shows ``expected`` or ``timeout`` passes; returns the last differences.

    With ``with_friends`` the friendships panel is opened once per poll to read the lists. On failure,
    a screenshot is saved in ``screenshot_dir`` (if given) and named in each failure's details.
    """
    deadline = time.monotonic() + timeout
    delay = 0.05
    while True:
        observed = await read_view(client)
        if with_friends:
            observed = replace(observed, friends=await read_friends(client))
        failures = compare_views(client.label, observed, expected, step)
        if not failures or time.monotonic() >= deadline:
            break
        await asyncio.sleep(delay)
        delay = min(delay * 1.5, 0.25)
    if failures and screenshot_dir is not None:
        shot = await client.screenshot(Path(screenshot_dir) / f"{file_stem(client.label)}-dom-diverged.png")
        failures = [replace(f, details={**f.details, "screenshot": str(shot)}) for f in failures]
    return failures
