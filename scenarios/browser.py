"""Browser clients in the catalogue: the settings entry points and convergence in the real DOM.

Every scenario has browser observers (Playwright on the web client under test) next to simulated ones.
Worlds are arranged so each page boots straight into the observed workspace: the web client opens the
newest workspace of ``GET /guilds`` first, so ``lab`` is seeded last.
"""
from __future__ import annotations

from harness.engine.scenario import ScenarioSpec

_WORLD = {
    "users": ["owner", "member", "alice", "outsider"],
    "guilds": [
        {"alias": "home", "owner": "member", "channels": [{"alias": "hall"}]},
        {"alias": "elsewhere", "owner": "outsider", "channels": [{"alias": "yard"}]},
        {"alias": "lab", "owner": "owner", "name": "Lab", "channels": [{"alias": "general"}, {"alias": "random"}],
         "members": {"member": "member", "alice": "member"}},
    ],
}
_B_OWNER = {"label": "b_owner", "user": "owner", "kind": "browser", "observes_as": "actor_browser",
            "subscribe": ["lab/general"]}
_B_MEMBER = {"label": "b_member", "user": "member", "kind": "browser", "observes_as": "same_channel_browser",
             "subscribe": ["lab/general"]}
_ALICE = {"label": "alice", "user": "alice", "observes_as": "same_channel", "subscribe": ["lab/general"]}
_OUTSIDER = {"label": "outsider", "user": "outsider", "observes_as": "non_member", "subscribe": ["elsewhere/yard"]}


def _scenario(name: str, title: str, rows: list[str], clients: list[dict], steps: list[dict]) -> ScenarioSpec:
    return ScenarioSpec.model_validate({"id": f"browser.{name}", "title": title, "rows": rows, "tags": ["browser"],
                                        "requires": ["browser"], "world": _WORLD, "clients": clients,
                                        "steps": steps})


def _post(alias: str, actor: str = "owner", channel: str = "general", **extra: str) -> dict:
    return {"do": "message.create", "actor": actor, "channel": channel, "message": alias, "content": alias, **extra}


BROWSER_SCENARIOS: list[ScenarioSpec] = [
    _scenario("settings.owner", "owner: the gear opens client settings, Server Settings opens workspace settings",
              [], [_B_OWNER], [{"do": "ui.settings_split", "client": "b_owner"}]),
    _scenario("settings.member", "plain member: workspace settings open but disabled, with the permission note",
              [], [_B_MEMBER], [{"do": "ui.settings_split", "client": "b_member"}]),
    _scenario("workspace.rename_via_ui", "the owner renames through the UI; every other client sees it live",
              ["workspace.update"], [_B_OWNER, _B_MEMBER, _ALICE, _OUTSIDER],
              [{"do": "workspace.update", "actor": "owner", "guild": "lab", "name": "Lab Renamed",
                "visibility": "public", "via": "b_owner"}]),
    _scenario("message.edit_delete", "edits and deletes reach the browser's message list without reload",
              ["message.create", "message.edit", "message.delete"], [_B_MEMBER, _ALICE, _OUTSIDER],
              [_post("m1"), {"do": "message.edit", "actor": "owner", "message": "m1", "content": "edited live"},
               _post("m2", actor="member", via="b_member"),
               {"do": "message.delete", "actor": "owner", "message": "m1"}]),
    _scenario("channel.create", "a new channel appears in the browser's channel rail",
              ["channel.create"], [_B_MEMBER, _ALICE],
              [{"do": "channel.create", "actor": "owner", "guild": "lab", "channel": "ops", "name": "ops"}]),
    _scenario("member.kick_self", "the kicked browser user's workspace vanishes from its rail",
              ["member.kick"], [_B_MEMBER, _ALICE],
              [_post("m1"), {"do": "member.kick", "actor": "owner", "guild": "lab", "user": "member"},
               _post("m2")]),
    _scenario("roles.hide_channel", "a role assignment that denies the channel removes it from the browser",
              ["role.create", "channel.permission_override", "role.assign"], [_B_MEMBER, _ALICE],
              [{"do": "role.create", "actor": "owner", "guild": "lab", "role": "muted", "name": "muted"},
               {"do": "channel.permission_override", "actor": "owner", "channel": "general",
                "target_kind": "role", "target": "muted", "deny": ["create_message"]},
               {"do": "role.assign", "actor": "owner", "guild": "lab", "role": "muted", "user": "member"},
               _post("m1")]),
    _scenario("friend.request", "a friend request and its acceptance show in the browser's friend lists",
              ["friend.request.create", "friend.request.accept"], [_B_MEMBER, _ALICE],
              [{"do": "friend.request.create", "actor": "alice", "to": "member", "request": "r1"},
               {"do": "friend.request.accept", "actor": "member", "request": "r1"}]),
]
