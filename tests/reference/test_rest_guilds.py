"""Guilds, directory, members, moderation and audit (REST.md §8.1–§8.9, §8.11)."""

from __future__ import annotations

from .helpers import NOWHERE, Api, world


async def test_create_and_list_guilds(start_server) -> None:
    server = await start_server(max_created_guilds_per_user=2)
    api = server.api
    alice = await api.user()
    first = await api.ok("POST", "/guilds", alice, json={"name": "First Guild"})
    assert first == {"guild_id": first["guild_id"], "name": "First Guild", "visibility": "private"}
    second = await api.ok("POST", "/guilds", alice, json={"name": "x" * 64, "visibility": "public"})
    assert (await api.req("POST", "/guilds", alice, json={"name": "third"})).json() == {"error": "guild_creation_limit_reached"}
    assert [g["guild_id"] for g in (await api.ok("GET", "/guilds", alice))["guilds"]] == [second["guild_id"], first["guild_id"]]
    for name in ("", "x" * 65, "tab\there", "ünïcode"):
        await api.ok("POST", "/guilds", alice, status=400, json={"name": name})
    assert (await api.ok("GET", f"/guilds/{first['guild_id']}/channels", alice)) == {"channels": []}  # no channels


async def test_patch_guild(api: Api) -> None:
    w = await world(api)
    outsider = await api.user()
    for user in (w.mod, w.member, outsider):
        await api.ok("PATCH", f"/guilds/{w.guild_id}", user, status=403, json={"name": "x"})
    await api.ok("PATCH", f"/guilds/{NOWHERE}", w.owner, status=403, json={"name": "x"})  # DB mode: 403
    await api.ok("PATCH", f"/guilds/{w.guild_id}", w.owner, status=400, json={})
    await api.ok("PATCH", f"/guilds/{w.guild_id}", w.owner, status=400, json={"name": ""})
    body = await api.ok("PATCH", f"/guilds/{w.guild_id}", w.owner, json={"visibility": "public"})
    assert body == {"guild_id": w.guild_id, "name": "Lab", "visibility": "public"}


async def test_public_directory(api: Api) -> None:
    alice, bob = await api.user(), await api.user()
    a = await api.guild(alice, "Alpha Public", "public")
    b = await api.guild(alice, "Beta_Public", "public")
    await api.guild(alice, "Hidden", "private")
    assert [g["guild_id"] for g in (await api.ok("GET", "/guilds/public", bob))["guilds"]][:2] == [b, a]
    found = await api.ok("GET", "/guilds/public?q=%20ALPHA%20&limit=5", bob)
    assert found == {"guilds": [{"guild_id": a, "name": "Alpha Public", "visibility": "public"}]}
    assert {g["guild_id"] for g in (await api.ok("GET", "/guilds/public?q=a_p", bob))["guilds"]} >= {a}  # LIKE wildcard
    for query in ("limit=0", "limit=51", "q=" + "x" * 65):
        await api.ok("GET", f"/guilds/public?{query}", bob, status=400)
    await api.ok("GET", "/guilds/public", status=401)


async def test_join_outcomes_and_audit(api: Api) -> None:
    owner, joiner = await api.user(), await api.user()
    public = await api.guild(owner, "Open", "public")
    private = await api.guild(owner, "Closed", "private")
    await api.ok("POST", f"/guilds/{NOWHERE}/join", joiner, status=404)
    await api.ok("POST", f"/guilds/{private}/join", joiner, status=404)
    assert await api.ok("POST", f"/guilds/{public}/join", joiner) == {"guild_id": public, "outcome": "accepted"}
    assert await api.ok("POST", f"/guilds/{public}/join", joiner) == {"guild_id": public, "outcome": "already_member"}
    await api.ok("POST", f"/guilds/{public}/members/{joiner.user_id}/ban", owner)
    response = await api.req("POST", f"/guilds/{public}/join", joiner)
    assert (response.status_code, response.json()) == (403, {"error": "directory_join_user_banned"})
    actions = [e["action"] for e in (await api.ok("GET", f"/guilds/{public}/audit", owner))["events"]]
    assert actions == ["directory.join.rejected.user_ban", "member.ban", "directory.join.accepted", "directory.join.accepted"]
    assert [e["action"] for e in (await api.ok("GET", f"/guilds/{private}/audit", owner))["events"]] == [
        "directory.join.rejected.visibility"]


async def test_join_limiters(start_server) -> None:
    server = await start_server(directory_join_requests_per_minute_per_user=2, directory_join_requests_per_minute_per_ip=4)
    api = server.api
    owner, alice, bob = await api.user(), await api.user(), await api.user()
    guild = await api.guild(owner, "Open", "public")
    for _ in range(2):
        await api.ok("POST", f"/guilds/{guild}/join", alice)
    assert (await api.req("POST", f"/guilds/{guild}/join", alice)).json() == {"error": "rate_limited"}
    await api.ok("POST", f"/guilds/{guild}/join", bob)  # fourth request from this IP (the IP check runs first)
    await api.ok("POST", f"/guilds/{guild}/join", bob, status=429)  # fifth: per-IP limit
    assert await api.metric("filament_rate_limit_hits_total", surface="directory_join", reason="ip") == 1


async def test_member_list_pagination_and_role_ids(api: Api) -> None:
    w = await world(api)
    extra = [await api.user() for _ in range(3)]
    await api.add(w.owner, w.guild_id, *extra)
    everyone = sorted([w.owner, w.mod, w.member, *extra], key=lambda u: u.user_id)
    full = await api.ok("GET", f"/guilds/{w.guild_id}/members?limit=200", w.member)
    assert [m["user_id"] for m in full["members"]] == [u.user_id for u in everyone] and full["next_cursor"] is None
    role_ids = {m["user_id"]: m["role_ids"] for m in full["members"]}
    assert role_ids[w.owner.user_id] == [w.roles["workspace_owner"]["role_id"]]
    assert role_ids[w.mod.user_id] == [w.roles["moderator"]["role_id"]]
    assert role_ids[w.member.user_id] == []
    page = await api.ok("GET", f"/guilds/{w.guild_id}/members?limit=2", w.member)
    assert [m["user_id"] for m in page["members"]] == [u.user_id for u in everyone[:2]]
    assert page["next_cursor"] == everyone[2].user_id  # the first member NOT returned
    nxt = await api.ok("GET", f"/guilds/{w.guild_id}/members?limit=2&cursor={page['next_cursor']}", w.member)
    assert [m["user_id"] for m in nxt["members"]] == [u.user_id for u in everyone[3:5]]  # faithful skip of one member
    for query in ("limit=0", "limit=201", "cursor=nope"):
        await api.ok("GET", f"/guilds/{w.guild_id}/members?{query}", w.member, status=400)
    outsider = await api.user()
    await api.ok("GET", f"/guilds/{w.guild_id}/members", outsider, status=403)
    await api.ok("GET", f"/guilds/{NOWHERE}/members", outsider, status=403)


async def test_add_member(api: Api) -> None:
    w = await world(api)
    newbie, banned = await api.user(), await api.user()
    await api.ok("POST", f"/guilds/{w.guild_id}/members/{newbie.user_id}", w.member, status=403)
    await api.ok("POST", f"/guilds/{w.guild_id}/members/nope", w.owner, status=400)
    await api.ok("POST", f"/guilds/{w.guild_id}/members/{NOWHERE}", w.owner, status=404)
    await api.ok("POST", f"/guilds/{w.guild_id}/members/{banned.user_id}/ban", w.owner)
    await api.ok("POST", f"/guilds/{w.guild_id}/members/{banned.user_id}", w.owner, status=403)
    assert await api.ok("POST", f"/guilds/{w.guild_id}/members/{newbie.user_id}", w.mod) == {"accepted": True}
    assert await api.ok("POST", f"/guilds/{w.guild_id}/members/{newbie.user_id}", w.mod) == {"accepted": True}
    assert [g["guild_id"] for g in (await api.ok("GET", "/guilds", newbie))["guilds"]] == [w.guild_id]


async def test_legacy_role_change_rules(api: Api) -> None:
    w = await world(api)
    other = await api.user()
    await api.add(w.owner, w.guild_id, other)
    path = f"/guilds/{w.guild_id}/members"
    await api.ok("PATCH", f"{path}/{other.user_id}", w.mod, status=403, json={"role": "moderator"})  # rank(mod) !> rank(new)
    await api.ok("PATCH", f"{path}/{other.user_id}", w.mod, json={"role": "member"})  # member -> member: ranks allow it
    await api.ok("PATCH", f"{path}/{other.user_id}", w.member, status=403, json={"role": "member"})
    await api.ok("PATCH", f"{path}/{other.user_id}", w.owner, status=403, json={"role": "owner"})
    await api.ok("PATCH", f"{path}/{w.owner.user_id}", w.owner, status=403, json={"role": "member"})
    await api.ok("PATCH", f"{path}/nope", w.owner, status=400, json={"role": "member"})
    await api.ok("PATCH", f"{path}/{NOWHERE}", w.owner, status=404, json={"role": "member"})
    await api.ok("PATCH", f"{path}/{other.user_id}", await api.user(), status=403, json={"role": "member"})
    await api.ok("PATCH", f"{path}/{other.user_id}", w.owner, status=422, json={"role": "admin"})
    assert await api.ok("PATCH", f"{path}/{other.user_id}", w.owner, json={"role": "moderator"}) == {"accepted": True}
    perms = await api.ok("GET", f"/guilds/{w.guild_id}/channels/{w.channel_id}/permissions/self", other)
    assert perms["role"] == "moderator"
    await api.ok("PATCH", f"{path}/{other.user_id}", w.owner, json={"role": "member"})
    members = {m["user_id"]: m["role_ids"] for m in (await api.ok("GET", f"{path}?limit=200", w.owner))["members"]}
    assert members[other.user_id] == [w.roles["member"]["role_id"]]
    audit = await api.ok("GET", f"/guilds/{w.guild_id}/audit?action_prefix=member.role", w.owner)
    assert len(audit["events"]) == 4 and audit["events"][0]["target_user_id"] == other.user_id


async def test_kick(api: Api) -> None:
    w = await world(api)
    mod2 = await api.user()
    await api.add(w.owner, w.guild_id, mod2)
    await api.ok("PATCH", f"/guilds/{w.guild_id}/members/{mod2.user_id}", w.owner, json={"role": "moderator"})
    kick = f"/guilds/{w.guild_id}/members/{{}}/kick"
    await api.ok("POST", kick.format(w.mod.user_id), w.member, status=403)  # members cannot moderate
    await api.ok("POST", kick.format(mod2.user_id), w.mod, status=403)  # equal rank
    await api.ok("POST", kick.format(w.owner.user_id), w.mod, status=403)  # owners are protected
    await api.ok("POST", kick.format(w.owner.user_id), w.owner, status=403)  # self-kick
    await api.ok("POST", kick.format("nope"), w.owner, status=400)
    await api.ok("POST", kick.format(NOWHERE), w.owner, status=404)
    assert await api.ok("POST", kick.format(w.member.user_id), w.mod) == {"accepted": True}
    assert (await api.ok("GET", "/guilds", w.member))["guilds"] == []
    for path in (f"/guilds/{w.guild_id}/channels", f"/guilds/{w.guild_id}/roles", f"/guilds/{w.guild_id}/members"):
        await api.ok("GET", path, w.member, status=403)
    await api.ok("POST", kick.format(w.member.user_id), w.mod, status=404)  # no longer a member
    await api.add(w.owner, w.guild_id, w.member)  # can be re-added
    await api.ok("GET", f"/guilds/{w.guild_id}/channels", w.member)


async def test_ban(api: Api) -> None:
    w = await world(api)
    await api.ok("PATCH", f"/guilds/{w.guild_id}", w.owner, json={"visibility": "public"})
    ban = f"/guilds/{w.guild_id}/members/{{}}/ban"
    await api.ok("POST", ban.format(w.member.user_id), w.member, status=403)
    await api.ok("POST", ban.format(w.owner.user_id), w.mod, status=403)
    assert await api.ok("POST", ban.format(w.member.user_id), w.mod) == {"accepted": True}
    assert (await api.ok("GET", "/guilds", w.member))["guilds"] == []
    await api.ok("POST", f"/guilds/{w.guild_id}/members/{w.member.user_id}", w.owner, status=403)
    await api.ok("GET", f"/guilds/{w.guild_id}/channels/{w.channel_id}/messages", w.member, status=403)
    stranger = await api.user()
    assert await api.ok("POST", ban.format(stranger.user_id), w.owner) == {"accepted": True}  # pre-emptive
    assert (await api.req("POST", f"/guilds/{w.guild_id}/join", stranger)).json() == {"error": "directory_join_user_banned"}
    await api.ok("POST", ban.format(NOWHERE), w.owner, status=500)  # Postgres build: unknown user fails the insert
    assert (await api.ok("GET", "/guilds/public", w.member))["guilds"][0]["guild_id"] == w.guild_id


async def test_audit_access_validation_and_cursor(start_server) -> None:
    server = await start_server(audit_list_limit_max=5)
    api = server.api
    w = await world(api)
    for name in ("r1", "r2", "r3", "r4"):
        await api.ok("POST", f"/guilds/{w.guild_id}/roles", w.owner, json={"name": name, "permissions": []})
    path = f"/guilds/{w.guild_id}/audit"
    everything = await api.ok("GET", f"{path}?limit=5", w.mod)  # moderators hold view_audit_log
    assert [e["action"] for e in everything["events"]] == ["role.create"] * 4 + ["member.role.update"]
    event = everything["events"][0]
    assert list(event) == ["audit_id", "actor_user_id", "target_user_id", "action", "created_at_unix", "ip_ban_match"]
    assert event["target_user_id"] is None and event["ip_ban_match"] is False
    page = await api.ok("GET", f"{path}?limit=2&action_prefix=role.", w.owner)
    assert len(page["events"]) == 2 and page["next_cursor"] == f"{everything['events'][2]['created_at_unix']}_{everything['events'][2]['audit_id']}"
    rest = await api.ok("GET", f"{path}?limit=2&action_prefix=role.&cursor={page['next_cursor']}", w.owner)
    assert [e["audit_id"] for e in rest["events"]] == [everything["events"][3]["audit_id"]]  # skips one (faithful)
    for query in ("limit=0", "limit=6", "action_prefix=Role", "action_prefix=" + "a" * 65, "cursor=abc", "cursor=1_nope", "cursor=x_" + NOWHERE):
        await api.ok("GET", f"{path}?{query}", w.owner, status=400)
    for user in (w.member, await api.user()):
        assert (await api.req("GET", f"{path}?limit=5", user)).json() == {"error": "audit_access_denied"}
    await api.ok("GET", f"/guilds/{NOWHERE}/audit?limit=5", w.owner, status=404)
    assert (await api.req("GET", f"{path}?limit=0")).status_code == 401  # authentication comes first
