"""Channels, overrides and /permissions/self (REST.md §3.4, §3.8, §9)."""

from __future__ import annotations

from .helpers import ALL_PERMISSIONS as ALL, NOWHERE, Api, world


async def test_create_channel(api: Api) -> None:
    w = await world(api)
    path = f"/guilds/{w.guild_id}/channels"
    made = await api.ok("POST", path, w.mod, json={"name": "mods made this"})
    assert made == {"channel_id": made["channel_id"], "name": "mods made this", "kind": "text"}
    voice = await api.ok("POST", path, w.owner, json={"name": "voice room", "kind": "voice"})
    assert voice["kind"] == "voice" and list(voice) == ["channel_id", "name", "kind"]
    await api.ok("POST", path, w.member, status=403, json={"name": "nope"})
    await api.ok("POST", path, await api.user(), status=400, json={"name": ""})  # name checked before permission
    await api.ok("POST", path, w.owner, status=422, json={"name": "x", "kind": "video"})
    await api.ok("POST", f"/guilds/{NOWHERE}/channels", w.owner, status=403, json={"name": "x"})
    names = [c["name"] for c in (await api.ok("GET", path, w.member))["channels"]]
    assert names == ["general", "mods made this", "voice room"]  # oldest first


async def test_channel_visibility_follows_overrides(api: Api) -> None:
    w = await world(api)
    hidden = await api.channel(w.owner, w.guild_id, "hidden")
    everyone = w.roles["@everyone"]["role_id"]
    await api.ok("POST", f"/guilds/{w.guild_id}/channels/{hidden}/permission-overrides/role/{everyone}", w.owner,
                 json={"allow": [], "deny": ["create_message"]})
    for user, expected in ((w.member, ["general"]), (w.mod, ["general"]), (w.owner, ["general", "hidden"])):
        assert [c["name"] for c in (await api.ok("GET", f"/guilds/{w.guild_id}/channels", user))["channels"]] == expected
    await api.ok("GET", f"/guilds/{w.guild_id}/channels/{hidden}/permissions/self", w.member, status=403)
    await api.ok("GET", f"/guilds/{w.guild_id}/channels/{hidden}/messages", w.member, status=403)
    await api.ok("GET", f"/guilds/{w.guild_id}/channels", await api.user(), status=403)


async def test_permissions_self(api: Api) -> None:
    w = await world(api)
    path = f"/guilds/{w.guild_id}/channels/{w.channel_id}/permissions/self"
    assert await api.ok("GET", path, w.owner) == {"role": "owner", "permissions": ALL}
    assert await api.ok("GET", path, w.member) == {"role": "member", "permissions": ["create_message", "subscribe_streams"]}
    assert (await api.ok("GET", path, w.mod))["role"] == "moderator"
    await api.ok("GET", f"/guilds/{w.guild_id}/channels/{NOWHERE}/permissions/self", w.member, status=404)
    await api.ok("GET", path, await api.user(), status=403)


async def test_override_layers_precedence(api: Api) -> None:
    w = await world(api)
    c = f"/guilds/{w.guild_id}/channels/{w.channel_id}"
    everyone, member_role = w.roles["@everyone"]["role_id"], w.roles["member"]["role_id"]
    extra = await api.ok("POST", f"/guilds/{w.guild_id}/roles", w.owner, json={"name": "extra", "permissions": []})
    await api.ok("POST", f"/guilds/{w.guild_id}/roles/{extra['role_id']}/members/{w.member.user_id}", w.owner)
    perms = lambda: api.ok("GET", f"{c}/permissions/self", w.member)
    await api.ok("POST", f"{c}/permission-overrides/role/{everyone}", w.owner, json={"allow": ["publish_video"], "deny": []})
    assert "publish_video" in (await perms())["permissions"]
    # within the role layer a deny from any role beats an allow from another role
    await api.ok("POST", f"{c}/permission-overrides/role/{member_role}", w.owner, json={"allow": [], "deny": ["publish_video"]})
    await api.ok("POST", f"{c}/permission-overrides/role/{extra['role_id']}", w.owner, json={"allow": ["publish_video"], "deny": []})
    assert "publish_video" not in (await perms())["permissions"]
    # the member layer wins over everything
    await api.ok("POST", f"{c}/permission-overrides/member/{w.member.user_id}", w.owner, json={"allow": ["publish_video"], "deny": []})
    assert "publish_video" in (await perms())["permissions"]
    # workspace owners ignore overrides
    await api.ok("POST", f"{c}/permission-overrides/member/{w.owner.user_id}", w.owner, json={"allow": [], "deny": ["create_message"]})
    assert (await api.ok("GET", f"{c}/permissions/self", w.owner))["permissions"] == ALL


async def test_permission_override_route(api: Api) -> None:
    w = await world(api)
    base = f"/guilds/{w.guild_id}/channels/{w.channel_id}/permission-overrides"
    body = {"allow": ["create_message"], "deny": []}
    assert await api.ok("POST", f"{base}/role/{w.roles['member']['role_id']}", w.mod, json=body) == {"accepted": True}
    await api.ok("POST", f"{base}/member/anything-goes", w.owner, json=body)  # target ids are not checked
    await api.ok("POST", f"{base}/role/x", w.member, status=403, json=body)
    await api.ok("POST", f"{base}/role/x", await api.user(), status=403, json=body)
    await api.ok("POST", f"/guilds/{w.guild_id}/channels/{NOWHERE}/permission-overrides/role/x", w.owner, status=404, json=body)
    await api.ok("POST", f"{base}/role/x", w.owner, status=400, json={"allow": ["ban_member"], "deny": ["ban_member"]})
    await api.ok("POST", f"{base}/role/x", w.owner, status=422, json={"allow": ["ban_member"]})
    audit = await api.ok("GET", f"/guilds/{w.guild_id}/audit?action_prefix=channel.", w.owner)
    assert [e["action"] for e in audit["events"]] == ["channel.permission_override.update"] * 2


async def test_legacy_override_route_applies_immediately(api: Api) -> None:
    w = await world(api)
    base = f"/guilds/{w.guild_id}/channels/{w.channel_id}/overrides"
    await api.ok("POST", f"{base}/member", w.mod, status=403, json={"allow": [], "deny": []})  # label owner only
    await api.ok("POST", f"{base}/member", w.owner, status=400, json={"allow": ["ban_member"], "deny": ["ban_member"]})
    await api.ok("POST", f"/guilds/{w.guild_id}/channels/{NOWHERE}/overrides/member", w.owner, status=404, json={"allow": [], "deny": []})
    everyone = w.roles["@everyone"]["role_id"]
    await api.ok("POST", f"/guilds/{w.guild_id}/channels/{w.channel_id}/permission-overrides/role/{everyone}", w.owner,
                 json={"allow": [], "deny": ["create_message"]})
    await api.ok("GET", f"/guilds/{w.guild_id}/channels/{w.channel_id}/messages", w.member, status=403)
    # reference choice: the legacy override is applied at once as the override of the `member` role id
    assert await api.ok("POST", f"{base}/member", w.owner, json={"allow": ["create_message"], "deny": []}) == {"accepted": True}
    await api.ok("GET", f"/guilds/{w.guild_id}/channels/{w.channel_id}/messages", w.member)
    await api.ok("POST", f"{base}/member", w.owner, json={"allow": [], "deny": ["create_message"]})  # later writes apply too
    await api.ok("GET", f"/guilds/{w.guild_id}/channels/{w.channel_id}/messages", w.member, status=403)
    audit = await api.ok("GET", f"/guilds/{w.guild_id}/audit?action_prefix=channel.override", w.owner)
    assert len(audit["events"]) == 2
