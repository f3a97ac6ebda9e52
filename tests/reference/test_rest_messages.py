"""Messages, reactions, attachments, search and voice (REST.md §10, §11.1, §11.2)."""

from __future__ import annotations

import hashlib
from urllib.parse import quote

from .helpers import PNG, Api, world

NOWHERE = "01ARZ3NDEKTSV4RRFFQ69G5FAV"


def msgs(w, channel_id: str | None = None) -> str:
    return f"/guilds/{w.guild_id}/channels/{channel_id or w.channel_id}/messages"


def files(w) -> str:
    return f"/guilds/{w.guild_id}/channels/{w.channel_id}/attachments"


async def test_create_message_validation_and_gates(api: Api) -> None:
    w = await world(api)
    sent = await api.ok("POST", msgs(w), w.member, json={"content": "hello *world*"})
    assert list(sent) == ["message_id", "guild_id", "channel_id", "author_id", "content", "markdown_tokens", "attachments",
                          "reactions", "created_at_unix"]
    assert sent["reactions"] == [] and sent["attachments"] == [] and sent["created_at_unix"] > 0
    for body in ({"content": ""}, {"content": "x" * 2001}, {"content": "x", "attachment_ids": [NOWHERE] * 6},
                 {"content": "x", "attachment_ids": ["nope"]}, {"content": "x", "attachment_ids": [NOWHERE]}):
        await api.ok("POST", msgs(w), w.member, status=400, json=body)
    assert (await api.ok("POST", msgs(w), w.member, json={"content": "é" * 1000}))["content"] == "é" * 1000  # 2000 bytes
    await api.ok("POST", msgs(w), w.member, status=400, json={"content": "é" * 1000 + "x"})
    await api.ok("POST", msgs(w), await api.user(), status=403, json={"content": "x"})
    await api.ok("POST", msgs(w, NOWHERE), w.member, status=404, json={"content": "x"})
    await api.ok("POST", f"/guilds/{NOWHERE}/channels/{w.channel_id}/messages", w.member, status=403, json={"content": "x"})
    await api.ok("POST", msgs(w), status=401, json={"content": "x"})


async def test_attachment_binding_rules(api: Api) -> None:
    w = await world(api)
    other_channel = await api.channel(w.owner, w.guild_id, "other")
    mine = await api.ok("POST", files(w), w.member, content=PNG)
    theirs = await api.ok("POST", files(w), w.owner, content=PNG)
    elsewhere = await api.ok("POST", f"/guilds/{w.guild_id}/channels/{other_channel}/attachments", w.member, content=PNG)
    for attachment in (theirs, elsewhere):
        await api.ok("POST", msgs(w), w.member, status=400, json={"content": "x", "attachment_ids": [attachment["attachment_id"]]})
    sent = await api.ok("POST", msgs(w), w.member, json={"content": "", "attachment_ids": [mine["attachment_id"]]})
    assert sent["attachments"] == [mine] and sent["markdown_tokens"] == []
    await api.ok("POST", msgs(w), w.member, status=400, json={"content": "x", "attachment_ids": [mine["attachment_id"]]})


async def test_list_messages_pagination(api: Api) -> None:
    w = await world(api)
    ids = [(await api.message(w.owner, w.guild_id, w.channel_id, f"m{i}"))["message_id"] for i in range(5)]
    page = await api.ok("GET", f"{msgs(w)}?limit=2", w.member)
    assert [m["message_id"] for m in page["messages"]] == ids[::-1][:2] and page["next_before"] == ids[3]
    older = await api.ok("GET", f"{msgs(w)}?limit=10&before={page['next_before']}", w.member)
    assert [m["message_id"] for m in older["messages"]] == ids[::-1][2:] and older["next_before"] == ids[0]
    assert await api.ok("GET", f"{msgs(w)}?before={ids[0]}", w.member) == {"messages": [], "next_before": None}
    assert len((await api.ok("GET", msgs(w), w.member, params={"ignored": "x"}))["messages"]) == 5
    for query in ("limit=0", "limit=101"):
        await api.ok("GET", f"{msgs(w)}?{query}", w.member, status=400)
    await api.ok("GET", msgs(w), await api.user(), status=403)
    await api.ok("GET", msgs(w, NOWHERE), w.member, status=404)


async def test_edit_message(api: Api) -> None:
    w = await world(api)
    sent = await api.message(w.member, w.guild_id, w.channel_id, "before")
    path = f"{msgs(w)}/{sent['message_id']}"
    edited = await api.ok("PATCH", path, w.member, json={"content": "after _edit_"})
    assert edited["content"] == "after _edit_" and edited["message_id"] == sent["message_id"]
    assert edited["created_at_unix"] >= sent["created_at_unix"]  # Postgres build: the edit time
    moderated = await api.ok("PATCH", path, w.mod, json={"content": "moderated"})
    assert moderated["author_id"] == w.member.user_id
    other = await api.message(w.mod, w.guild_id, w.channel_id, "mod's")
    await api.ok("PATCH", f"{msgs(w)}/{other['message_id']}", w.member, status=403, json={"content": "x"})
    await api.ok("PATCH", path, w.member, status=400, json={"content": ""})
    await api.ok("PATCH", f"{msgs(w)}/{NOWHERE}", w.member, status=404, json={"content": "x"})
    await api.ok("PATCH", path, await api.user(), status=403, json={"content": "x"})
    audit = await api.ok("GET", f"/guilds/{w.guild_id}/audit?action_prefix=message.", w.owner)
    assert [e["action"] for e in audit["events"]] == ["message.edit.moderation"]
    listed = (await api.ok("GET", msgs(w), w.member))["messages"]
    assert listed[1]["content"] == "moderated" and listed[1]["created_at_unix"] == sent["created_at_unix"]


async def test_delete_message(api: Api) -> None:
    w = await world(api)
    attachment = await api.ok("POST", files(w), w.member, content=PNG)
    sent = await api.ok("POST", msgs(w), w.member, json={"content": "bye", "attachment_ids": [attachment["attachment_id"]]})
    other = await api.message(w.owner, w.guild_id, w.channel_id, "owner's")
    await api.ok("DELETE", f"{msgs(w)}/{other['message_id']}", w.member, status=403)
    await api.ok("DELETE", f"{msgs(w)}/{NOWHERE}", w.member, status=404)
    response = await api.req("DELETE", f"{msgs(w)}/{sent['message_id']}", w.mod)
    assert (response.status_code, response.content) == (204, b"")
    await api.ok("GET", f"{files(w)}/{attachment['attachment_id']}", w.member, status=404)  # attachments go too
    assert [m["message_id"] for m in (await api.ok("GET", msgs(w), w.member))["messages"]] == [other["message_id"]]
    await api.ok("DELETE", f"{msgs(w)}/{other['message_id']}", w.owner, status=204)


async def test_reactions(api: Api) -> None:
    w = await world(api)
    sent = await api.message(w.owner, w.guild_id, w.channel_id)
    path = f"{msgs(w)}/{sent['message_id']}/reactions"
    thumbs = quote("👍")
    assert await api.ok("POST", f"{path}/{thumbs}", w.member) == {"emoji": "👍", "count": 1, "reacted_by_me": True}
    assert await api.ok("POST", f"{path}/{thumbs}", w.member) == {"emoji": "👍", "count": 1, "reacted_by_me": True}
    assert (await api.ok("POST", f"{path}/{thumbs}", w.owner))["count"] == 2
    await api.ok("POST", f"{path}/ok", w.owner)
    listed = (await api.ok("GET", msgs(w), w.member))["messages"][0]["reactions"]
    assert listed == [{"emoji": "ok", "count": 1, "reacted_by_me": False}, {"emoji": "👍", "count": 2, "reacted_by_me": True}]
    assert await api.ok("DELETE", f"{path}/{thumbs}", w.member) == {"emoji": "👍", "count": 1, "reacted_by_me": False}
    assert (await api.ok("DELETE", f"{path}/{thumbs}", w.member))["count"] == 1  # not reacted: still 200
    for emoji in ("x" * 33, quote("a b"), quote("\t")):
        await api.ok("POST", f"{path}/{emoji}", w.member, status=400)
    await api.ok("POST", f"{msgs(w)}/{NOWHERE}/reactions/{thumbs}", w.member, status=404)
    assert (await api.ok("DELETE", f"{msgs(w)}/{NOWHERE}/reactions/{thumbs}", w.member))["count"] == 0  # Postgres: 200
    await api.ok("POST", f"{path}/{thumbs}", await api.user(), status=403)
    await api.ok("POST", f"{msgs(w, NOWHERE)}/{sent['message_id']}/reactions/{thumbs}", w.member, status=403)


async def test_attachment_upload_download_delete(api: Api) -> None:
    w = await world(api)
    up = await api.ok("POST", f"{files(w)}?filename=dot.png", w.member, content=PNG, headers={"Content-Type": "image/png"})
    assert list(up) == ["attachment_id", "guild_id", "channel_id", "owner_id", "filename", "mime_type", "size_bytes", "sha256_hex"]
    assert (up["filename"], up["mime_type"], up["size_bytes"], up["sha256_hex"]) == (
        "dot.png", "image/png", len(PNG), hashlib.sha256(PNG).hexdigest())
    assert (await api.ok("POST", files(w), w.member, content=b"%PDF-1.7 ..."))["filename"] == "upload.bin"
    pdf = await api.ok("POST", files(w), w.member, content=b"%PDF-1.7 ...")
    assert pdf["mime_type"] == "application/pdf"
    for query, content, headers in (
        ("?filename=a/b", PNG, {}),
        ("?filename=" + "x" * 129, PNG, {}),
        ("?filename=", PNG, {}),
        ("", b"just text", {}),
        ("", b"", {}),
        ("", PNG, {"Content-Type": "image/gif"}),
        ("", PNG, {"Content-Type": "nonsense"}),
    ):
        await api.ok("POST", f"{files(w)}{query}", w.member, status=400, content=content, headers=headers)
    assert (await api.req("POST", f"{files(w)}?other=1", w.member, content=PNG)).status_code == 400  # strict query
    await api.ok("POST", files(w), await api.user(), status=403, content=PNG)
    download = await api.req("GET", f"{files(w)}/{up['attachment_id']}", w.owner)
    assert download.content == PNG and download.headers["content-type"] == "image/png"
    assert download.headers["cache-control"] == "private, no-store" and download.headers["x-content-type-options"] == "nosniff"
    await api.ok("GET", f"{files(w)}/{NOWHERE}", w.owner, status=404)
    await api.ok("GET", f"{files(w)}/{up['attachment_id']}", await api.user(), status=403)
    theirs = await api.ok("POST", files(w), w.owner, content=PNG)
    await api.ok("DELETE", f"{files(w)}/{theirs['attachment_id']}", w.member, status=403)
    await api.ok("DELETE", f"{files(w)}/{theirs['attachment_id']}", w.mod, status=204)  # moderators may
    await api.ok("DELETE", f"{files(w)}/{up['attachment_id']}", w.member, status=204)  # uploaders may
    await api.ok("DELETE", f"{files(w)}/{up['attachment_id']}", w.member, status=404)


async def test_attachment_size_and_quota(start_server) -> None:
    server = await start_server(attachment_max_bytes=100, user_attachment_quota_bytes=150)
    api = server.api
    w = await world(api)
    too_big = await api.req("POST", files(w), w.member, content=PNG + b"\0" * 40)
    assert (too_big.status_code, too_big.json()) == (413, {"error": "payload_too_large"})
    await api.ok("POST", files(w), w.member, content=PNG)  # 68 of 150
    await api.ok("POST", files(w), w.member, content=PNG)  # 136 of 150
    over = await api.req("POST", files(w), w.member, content=PNG)  # would exceed the remaining 14 bytes
    assert (over.status_code, over.json()) == (409, {"error": "quota_exceeded"})


async def test_search(api: Api) -> None:
    w = await world(api)
    hidden = await api.channel(w.owner, w.guild_id, "hidden")
    everyone = w.roles["@everyone"]["role_id"]
    await api.ok("POST", f"/guilds/{w.guild_id}/channels/{hidden}/permission-overrides/role/{everyone}", w.owner,
                 json={"allow": [], "deny": ["create_message"]})
    a = await api.message(w.owner, w.guild_id, w.channel_id, "Deploy the rocket")
    b = await api.message(w.owner, w.guild_id, hidden, "secret rocket plans")
    await api.message(w.owner, w.guild_id, w.channel_id, "unrelated")
    path = f"/guilds/{w.guild_id}/search"
    found = await api.ok("GET", f"{path}?q=ROCKET", w.member)
    assert found["message_ids"] == [b["message_id"], a["message_id"]]  # hidden channels are searchable (§11.2)
    assert [m["message_id"] for m in found["messages"]] == found["message_ids"]
    assert (await api.ok("GET", f"{path}?q=rocket&channel_id={w.channel_id}", w.member))["message_ids"] == [a["message_id"]]
    assert (await api.ok("GET", f"{path}?q=dep*", w.member))["message_ids"] == [a["message_id"]]
    for query in ("q=", "q=a:b", "q=" + "x" * 257, "q=" + "+".join(["w"] * 21), "q=*a*b*c*d*", "q=a~+b~+c~", "q=x&limit=0",
                  "q=x&limit=51"):
        await api.ok("GET", f"{path}?{query}", w.member, status=400)
    await api.ok("GET", f"{path}?q=x", await api.user(), status=403)
    await api.ok("POST", f"{path}/rebuild", w.owner, status=204)
    assert await api.ok("POST", f"{path}/reconcile", w.owner) == {"upserted": 0, "deleted": 0}
    await api.ok("POST", f"{path}/rebuild", w.mod, status=403)  # lacks manage_workspace_roles
    await api.ok("POST", f"{path}/reconcile", w.mod, status=403)


async def test_voice_routes_without_livekit(api: Api) -> None:
    w = await world(api)
    voice = f"/guilds/{w.guild_id}/channels/{w.channel_id}/voice"
    response = await api.req("POST", f"{voice}/token", w.member, json={"can_subscribe": True, "publish_sources": ["camera"]})
    assert (response.status_code, response.json()) == (500, {"error": "internal_error"})
    await api.ok("POST", f"{voice}/token", await api.user(), status=403, json={})
    await api.ok("POST", f"{voice}/token", w.member, status=422, json={"publish_sources": ["hologram"]})
    assert (await api.req("POST", f"{voice}/leave", w.member)).status_code == 204
    assert (await api.req("POST", f"{voice}/leave", await api.user())).status_code == 204  # no membership check
    assert (await api.req("POST", f"{voice}/state", w.member, json={"is_muted": True})).status_code == 204
    assert (await api.req("POST", f"{voice}/state", json={})).status_code == 400  # checked before auth
    assert (await api.req("POST", f"{voice}/state", json={"is_muted": True})).status_code == 401
