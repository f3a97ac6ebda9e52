"""Guild IP bans and the request-level IP gate (REST.md §3.10, §8.5, §8.12). Distinct client IPs are
simulated with X-Forwarded-For from a trusted loopback proxy."""

from __future__ import annotations

import pytest

from .helpers import Api, world

NOWHERE = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
TROLL_IP = {"X-Forwarded-For": "203.0.113.5"}


@pytest.fixture
async def proxied(start_server):
    return await start_server(trusted_proxy_cidrs=["127.0.0.0/8"], guild_ip_ban_max_entries=3)


async def _public_world(api: Api):
    w = await world(api)
    await api.ok("PATCH", f"/guilds/{w.guild_id}", w.owner, json={"visibility": "public"})
    troll = await api.user("troll")
    await api.ok("POST", f"/guilds/{w.guild_id}/join", troll, headers=TROLL_IP)
    await api.ok("POST", f"/guilds/{w.guild_id}/join", troll, headers={"X-Forwarded-For": "2001:db8::1"})
    return w, troll


async def test_ban_by_user_list_and_remove(proxied) -> None:
    api = proxied.api
    w, troll = await _public_world(api)
    path = f"/guilds/{w.guild_id}/ip-bans"
    created = await api.ok("POST", f"{path}/by-user", w.mod,
                           json={"target_user_id": troll.user_id, "reason": "spam", "expires_in_secs": 3600})
    assert created["created_count"] == 2 and len(created["ban_ids"]) == 2
    listed = await api.ok("GET", path, w.owner)
    assert {b["ban_id"] for b in listed["bans"]} == set(created["ban_ids"]) and listed["next_cursor"] is None
    ban = listed["bans"][0]
    assert list(ban) == ["ban_id", "source_user_id", "reason", "created_at_unix", "expires_at_unix"]
    assert ban["source_user_id"] == troll.user_id and ban["reason"] == "spam"
    assert ban["expires_at_unix"] == ban["created_at_unix"] + 3600
    raw = (await api.req("GET", path, w.owner)).text
    assert "203.0.113" not in raw and "2001:db8" not in raw and '"ip' not in raw  # redaction
    again = await api.ok("POST", f"{path}/by-user", w.mod, json={"target_user_id": troll.user_id})
    assert again == {"created_count": 0, "ban_ids": []}  # networks already banned are skipped
    page = await api.ok("GET", f"{path}?limit=1", w.owner)
    assert len(page["bans"]) == 1 and page["next_cursor"] is not None
    assert await api.ok("DELETE", f"{path}/{created['ban_ids'][0]}", w.owner) == {"accepted": True}
    await api.ok("DELETE", f"{path}/{created['ban_ids'][0]}", w.owner, status=404)
    assert len((await api.ok("GET", path, w.owner))["bans"]) == 1
    audit = await api.ok("GET", f"/guilds/{w.guild_id}/audit?action_prefix=moderation.ip_ban", w.owner)
    assert [e["action"] for e in audit["events"]] == ["moderation.ip_ban.remove", "moderation.ip_ban.add"]


async def test_ip_ban_validation_and_access(proxied) -> None:
    api = proxied.api
    w, troll = await _public_world(api)
    path = f"/guilds/{w.guild_id}/ip-bans"
    outsider = await api.user()
    for body in ({"target_user_id": "nope"}, {"target_user_id": troll.user_id, "reason": "  "},
                 {"target_user_id": troll.user_id, "reason": "x" * 241},
                 {"target_user_id": troll.user_id, "expires_in_secs": 0},
                 {"target_user_id": troll.user_id, "expires_in_secs": 15_552_001}):
        await api.ok("POST", f"{path}/by-user", outsider, status=400, json=body)  # body before access
    await api.ok("POST", f"{path}/by-user", w.owner, status=422, json={"target_user_id": troll.user_id, "expires_in_secs": -1})
    await api.ok("POST", f"{path}/by-user", w.member, status=403, json={"target_user_id": troll.user_id})
    await api.ok("POST", f"/guilds/{NOWHERE}/ip-bans/by-user", w.owner, status=404, json={"target_user_id": troll.user_id})
    await api.ok("DELETE", f"{path}/nope", outsider, status=400)  # ban id checked before access
    await api.ok("DELETE", f"{path}/{NOWHERE}", w.member, status=403)
    await api.ok("GET", path, w.member, status=403)
    await api.ok("GET", f"/guilds/{NOWHERE}/ip-bans", w.owner, status=404)
    for query in ("limit=0", "limit=101", "cursor=bad", "x=1"):
        await api.ok("GET", f"{path}?{query}", w.owner, status=400)
    unseen = await api.user()  # no observations: nothing created, nothing emitted
    assert await api.ok("POST", f"{path}/by-user", w.owner, json={"target_user_id": unseen.user_id}) == {
        "created_count": 0, "ban_ids": []}


async def test_ip_ban_cap_is_409(proxied) -> None:
    api = proxied.api
    w, troll = await _public_world(api)
    other = await api.user()
    for ip in ("198.51.100.1", "198.51.100.2"):
        await api.ok("POST", f"/guilds/{w.guild_id}/join", other, headers={"X-Forwarded-For": ip})
    await api.ok("POST", f"/guilds/{w.guild_id}/ip-bans/by-user", w.owner, json={"target_user_id": troll.user_id})
    response = await api.req("POST", f"/guilds/{w.guild_id}/ip-bans/by-user", w.owner, json={"target_user_id": other.user_id})
    assert (response.status_code, response.json()) == (409, {"error": "quota_exceeded"})


async def test_ip_gate_blocks_everyone_on_that_address(proxied) -> None:
    api = proxied.api
    w, troll = await _public_world(api)
    await api.ok("POST", f"/guilds/{w.guild_id}/ip-bans/by-user", w.owner, json={"target_user_id": troll.user_id})
    g, c = w.guild_id, w.channel_id
    for user in (troll, w.owner):  # owners included
        for method, path, body in (
            ("GET", f"/guilds/{g}/channels", None),
            ("GET", f"/guilds/{g}/channels/{c}/messages", None),
            ("POST", f"/guilds/{g}/channels/{c}/messages", {"content": "x"}),
            ("GET", f"/guilds/{g}/channels/{c}/permissions/self", None),
            ("GET", f"/guilds/{g}/search?q=x", None),
        ):
            response = await api.req(method, path, user, json=body, headers=TROLL_IP)
            assert (response.status_code, response.json()) == (403, {"error": "forbidden"}), (method, path)
    # routes outside the gate keep working from that address
    await api.ok("GET", f"/guilds/{g}/roles", w.owner, headers=TROLL_IP)
    await api.ok("GET", f"/guilds/{g}/members", w.owner, headers=TROLL_IP)
    await api.ok("GET", f"/guilds/{g}/channels", w.owner, headers={"X-Forwarded-For": "198.51.100.9"})
    # join from the banned address
    newcomer = await api.user()
    response = await api.req("POST", f"/guilds/{g}/join", newcomer, headers=TROLL_IP)
    assert (response.status_code, response.json()) == (403, {"error": "directory_join_ip_banned"})
    audit = await api.ok("GET", f"/guilds/{g}/audit?limit=100", w.owner)
    actions = [e["action"] for e in audit["events"]]
    assert actions[0] == "directory.join.rejected.ip_ban" and actions.count("moderation.ip_ban.hit") == 10
    assert all(e["ip_ban_match"] == (e["action"] in ("directory.join.rejected.ip_ban", "moderation.ip_ban.hit"))
               for e in audit["events"])


async def test_untrusted_peers_cannot_spoof_forwarded_for(api: Api) -> None:
    w = await world(api)
    await api.ok("PATCH", f"/guilds/{w.guild_id}", w.owner, json={"visibility": "public"})
    troll = await api.user()
    await api.ok("POST", f"/guilds/{w.guild_id}/join", troll, headers=TROLL_IP)  # recorded as 127.0.0.1
    await api.ok("POST", f"/guilds/{w.guild_id}/ip-bans/by-user", w.owner, json={"target_user_id": troll.user_id})
    await api.ok("GET", f"/guilds/{w.guild_id}/channels", w.owner, status=403)  # loopback itself is now banned
