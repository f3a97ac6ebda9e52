"""Workspace roles, hierarchy, default join role and assignments (REST.md §3, §8.10)."""

from __future__ import annotations

from .helpers import ALL_PERMISSIONS as ALL, NOWHERE, Api, world


async def test_seeded_roles_and_order(api: Api) -> None:
    w = await world(api)
    body = await api.ok("GET", f"/guilds/{w.guild_id}/roles", w.member)
    assert [(r["name"], r["position"], r["is_system"]) for r in body["roles"]] == [
        ("workspace_owner", 10000, True), ("moderator", 100, False), ("member", 1, False), ("@everyone", 0, True)]
    assert body["default_join_role_id"] is None
    assert body["roles"][0]["permissions"] == ALL and body["roles"][0]["color_hex"] is None
    assert body["roles"][3]["permissions"] == ["create_message", "subscribe_streams"]
    assert list(body["roles"][0]) == ["role_id", "name", "position", "is_system", "permissions", "color_hex"]
    await api.ok("GET", f"/guilds/{w.guild_id}/roles", await api.user(), status=403)


async def test_create_role_validation_and_hierarchy(start_server) -> None:
    api = (await start_server()).api
    w = await world(api)
    path = f"/guilds/{w.guild_id}/roles"
    role = await api.ok("POST", path, w.owner, json={"name": "  ops  ", "permissions": ["ban_member", "ban_member"],
                                                     "color_hex": " #a1b2c3 "})
    assert (role["name"], role["position"], role["is_system"], role["permissions"], role["color_hex"]) == (
        "ops", 9999, False, ["ban_member", "ban_member"], "#A1B2C3")
    for body in (
        {"name": "", "permissions": []},
        {"name": "   ", "permissions": []},
        {"name": "x" * 33, "permissions": []},
        {"name": "@everyone", "permissions": []},
        {"name": "Workspace_Owner", "permissions": []},
        {"name": "bell\u0007", "permissions": []},
        {"name": "ok", "permissions": [], "color_hex": "red"},
    ):
        await api.ok("POST", path, w.owner, status=400, json=body)
    await api.ok("POST", path, w.owner, status=422, json={"name": "x", "permissions": ["fly"]})
    await api.ok("POST", path, w.owner, status=422, json={"name": "x"})
    await api.ok("POST", path, w.mod, status=403, json={"name": "x", "permissions": []})  # lacks manage_workspace_roles
    # a custom role with manage_workspace_roles manages strictly below its own position
    manager = await api.ok("POST", path, w.owner, json={"name": "mgr", "permissions": ["manage_workspace_roles"], "position": 50})
    await api.ok("POST", f"{path}/{manager['role_id']}/members/{w.member.user_id}", w.owner)
    assert (await api.ok("POST", path, w.member, json={"name": "low", "permissions": []}))["position"] == 49
    await api.ok("POST", path, w.member, status=403, json={"name": "high", "permissions": [], "position": 50})
    await api.ok("PATCH", f"{path}/{manager['role_id']}", w.member, status=403, json={"name": "self"})
    await api.ok("PATCH", f"{path}/{role['role_id']}", w.member, status=403, json={"name": "above"})


async def test_role_cap_is_409(api: Api) -> None:
    w = await world(api)
    for index in range(60):
        await api.ok("POST", f"/guilds/{w.guild_id}/roles", w.owner, json={"name": f"r{index}", "permissions": []})
    response = await api.req("POST", f"/guilds/{w.guild_id}/roles", w.owner, json={"name": "r64", "permissions": []})
    assert (response.status_code, response.json()) == (409, {"error": "quota_exceeded"})


async def test_patch_role(api: Api) -> None:
    w = await world(api)
    role = await api.ok("POST", f"/guilds/{w.guild_id}/roles", w.owner, json={"name": "x", "permissions": []})
    path = f"/guilds/{w.guild_id}/roles/{role['role_id']}"
    patched = await api.ok("PATCH", path, w.owner, json={"permissions": ["subscribe_streams", "ban_member"], "color_hex": "#00ff00"})
    assert patched["permissions"] == ["ban_member", "subscribe_streams"] and patched["color_hex"] == "#00FF00"
    await api.ok("PATCH", f"/guilds/{w.guild_id}/roles/nope", w.owner, status=400, json={"name": "y"})
    await api.ok("PATCH", path, w.owner, status=400, json={})
    await api.ok("PATCH", path, w.owner, status=400, json={"color_hex": None})  # null means absent
    await api.ok("PATCH", path, w.owner, status=422, json={"position": 3})
    await api.ok("PATCH", path, w.mod, status=403, json={"name": "y"})
    await api.ok("PATCH", f"/guilds/{w.guild_id}/roles/{NOWHERE}", w.owner, status=404, json={"name": "y"})
    await api.ok("PATCH", path, w.owner, status=400, json={"name": "workspace_owner"})
    for name in ("@everyone", "workspace_owner"):  # only the server owner may edit system roles
        await api.ok("PATCH", f"/guilds/{w.guild_id}/roles/{w.roles[name]['role_id']}", w.owner, status=403, json={"name": "z"})
    renamed = await api.ok("PATCH", f"/guilds/{w.guild_id}/roles/{w.roles['moderator']['role_id']}", w.owner, json={"name": "mods"})
    assert renamed["name"] == "mods"


async def test_delete_role(api: Api) -> None:
    w = await world(api)
    role = await api.ok("POST", f"/guilds/{w.guild_id}/roles", w.owner, json={"name": "temp", "permissions": []})
    await api.ok("POST", f"/guilds/{w.guild_id}/roles/{role['role_id']}/members/{w.member.user_id}", w.owner)
    for name in ("@everyone", "workspace_owner"):
        await api.ok("DELETE", f"/guilds/{w.guild_id}/roles/{w.roles[name]['role_id']}", w.owner, status=403)
    await api.ok("DELETE", f"/guilds/{w.guild_id}/roles/{role['role_id']}", w.mod, status=403)
    await api.ok("DELETE", f"/guilds/{w.guild_id}/roles/{NOWHERE}", w.owner, status=404)
    await api.ok("DELETE", f"/guilds/{w.guild_id}/roles/nope", w.owner, status=400)
    assert await api.ok("DELETE", f"/guilds/{w.guild_id}/roles/{role['role_id']}", w.owner) == {"accepted": True}
    members = {m["user_id"]: m["role_ids"] for m in (await api.ok("GET", f"/guilds/{w.guild_id}/members", w.owner))["members"]}
    assert members[w.member.user_id] == []


async def test_deleting_a_seed_role_degrades_the_guild(api: Api) -> None:
    """Postgres build (REST.md §3.4.7, §14.8): without all seed roles everybody falls back to basic permissions."""
    w = await world(api)
    await api.ok("DELETE", f"/guilds/{w.guild_id}/roles/{w.roles['member']['role_id']}", w.owner)
    perms = await api.ok("GET", f"/guilds/{w.guild_id}/channels/{w.channel_id}/permissions/self", w.owner)
    assert perms == {"role": "owner", "permissions": ["create_message", "subscribe_streams"]}
    await api.ok("POST", f"/guilds/{w.guild_id}/channels", w.owner, status=403, json={"name": "nope"})


async def test_reorder(api: Api) -> None:
    w = await world(api)
    a = await api.ok("POST", f"/guilds/{w.guild_id}/roles", w.owner, json={"name": "a", "permissions": [], "position": 5})
    b = await api.ok("POST", f"/guilds/{w.guild_id}/roles", w.owner, json={"name": "b", "permissions": [], "position": 6})
    path = f"/guilds/{w.guild_id}/roles/reorder"
    assert await api.ok("POST", path, w.owner, json={"role_ids": [a["role_id"], b["role_id"]]}) == {"accepted": True}
    roles = await api.roles(w.owner, w.guild_id)
    assert (roles["a"]["position"], roles["b"]["position"], roles["moderator"]["position"]) == (2, 1, 100)
    for ids in ([], ["nope"], [a["role_id"], a["role_id"]], [NOWHERE], [a["role_id"]] * 65):
        await api.ok("POST", path, w.owner, status=400, json={"role_ids": ids})
    await api.ok("POST", path, w.owner, status=403, json={"role_ids": [w.roles["@everyone"]["role_id"]]})
    await api.ok("POST", path, w.mod, status=403, json={"role_ids": [a["role_id"]]})


async def test_default_join_role(api: Api) -> None:
    w = await world(api)
    await api.ok("PATCH", f"/guilds/{w.guild_id}", w.owner, json={"visibility": "public"})
    greeter = await api.ok("POST", f"/guilds/{w.guild_id}/roles", w.owner, json={"name": "greeter", "permissions": []})
    path = f"/guilds/{w.guild_id}/roles/default"
    assert await api.ok("POST", path, w.owner, json={"role_id": greeter["role_id"]}) == {"accepted": True}
    assert (await api.ok("GET", f"/guilds/{w.guild_id}/roles", w.owner))["default_join_role_id"] == greeter["role_id"]
    joiner, added = await api.user(), await api.user()
    await api.ok("POST", f"/guilds/{w.guild_id}/join", joiner)
    await api.add(w.owner, w.guild_id, added)
    members = {m["user_id"]: m["role_ids"] for m in (await api.ok("GET", f"/guilds/{w.guild_id}/members", w.owner))["members"]}
    assert members[joiner.user_id] == members[added.user_id] == [greeter["role_id"]]
    await api.ok("POST", path, w.owner, json={})  # missing key = clear
    assert (await api.ok("GET", f"/guilds/{w.guild_id}/roles", w.owner))["default_join_role_id"] is None
    await api.ok("POST", path, w.owner, status=400, json={"role_id": "nope"})
    await api.ok("POST", path, w.owner, status=400, json={"role_id": NOWHERE})
    await api.ok("POST", path, w.owner, status=403, json={"role_id": w.roles["@everyone"]["role_id"]})
    await api.ok("POST", path, w.mod, status=403, json={"role_id": None})


async def test_assign_and_unassign(api: Api) -> None:
    w = await world(api)
    g = w.guild_id
    low = await api.ok("POST", f"/guilds/{g}/roles", w.owner, json={"name": "low", "permissions": [], "position": 50})
    high = await api.ok("POST", f"/guilds/{g}/roles", w.owner, json={"name": "high", "permissions": [], "position": 500})
    assign = f"/guilds/{g}/roles/{{}}/members/{{}}"
    assert await api.ok("POST", assign.format(low["role_id"], w.member.user_id), w.mod) == {"accepted": True}
    await api.ok("POST", assign.format(high["role_id"], w.member.user_id), w.mod, status=403)  # above the moderator
    await api.ok("POST", assign.format(low["role_id"], w.member.user_id), w.member, status=403)
    await api.ok("POST", assign.format(NOWHERE, w.member.user_id), w.owner, status=404)
    await api.ok("POST", assign.format("nope", w.member.user_id), w.owner, status=400)
    await api.ok("POST", assign.format(low["role_id"], "nope"), w.owner, status=400)
    await api.ok("POST", assign.format(w.roles["@everyone"]["role_id"], w.member.user_id), w.owner, status=400)
    await api.ok("POST", assign.format(w.roles["workspace_owner"]["role_id"], w.member.user_id), w.owner, status=403)
    await api.ok("DELETE", assign.format(w.roles["workspace_owner"]["role_id"], w.owner.user_id), w.owner, status=403)
    await api.ok("POST", assign.format(low["role_id"], (await api.user()).user_id), w.owner, status=404)  # not a member
    # assigning the moderator role makes the legacy label follow
    await api.ok("POST", assign.format(w.roles["moderator"]["role_id"], w.member.user_id), w.owner)
    perms = await api.ok("GET", f"/guilds/{g}/channels/{w.channel_id}/permissions/self", w.member)
    assert perms["role"] == "moderator"
    await api.ok("DELETE", assign.format(w.roles["moderator"]["role_id"], w.member.user_id), w.owner)
    assert (await api.ok("GET", f"/guilds/{g}/channels/{w.channel_id}/permissions/self", w.member))["role"] == "member"
    assert await api.ok("DELETE", assign.format(high["role_id"], w.member.user_id), w.owner) == {"accepted": True}


async def test_assignment_cap(api: Api) -> None:
    w = await world(api)
    ids = []
    for index in range(17):
        role = await api.ok("POST", f"/guilds/{w.guild_id}/roles", w.owner, json={"name": f"c{index}", "permissions": []})
        ids.append(role["role_id"])
    for role_id in ids[:16]:
        await api.ok("POST", f"/guilds/{w.guild_id}/roles/{role_id}/members/{w.member.user_id}", w.owner)
    await api.ok("POST", f"/guilds/{w.guild_id}/roles/{ids[0]}/members/{w.member.user_id}", w.owner)  # held: idempotent
    response = await api.req("POST", f"/guilds/{w.guild_id}/roles/{ids[16]}/members/{w.member.user_id}", w.owner)
    assert (response.status_code, response.json()) == (409, {"error": "quota_exceeded"})
    members = {m["user_id"]: m["role_ids"] for m in (await api.ok("GET", f"/guilds/{w.guild_id}/members", w.owner))["members"]}
    assert members[w.member.user_id] == sorted(ids[:16])
