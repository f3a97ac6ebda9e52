"""Friend routes (REST.md §7)."""

from __future__ import annotations

from .helpers import Api


async def test_friend_request_lifecycle(api: Api) -> None:
    alice, bob, carol = await api.user(), await api.user(), await api.user()
    request = await api.ok("POST", "/friends/requests", alice, json={"recipient_user_id": bob.user_id})
    assert list(request) == ["request_id", "sender_user_id", "recipient_user_id", "created_at_unix"]
    assert (request["sender_user_id"], request["recipient_user_id"]) == (alice.user_id, bob.user_id)
    other = await api.ok("POST", "/friends/requests", carol, json={"recipient_user_id": bob.user_id})
    listed = await api.ok("GET", "/friends/requests", bob)
    assert [r["request_id"] for r in listed["incoming"]] == [other["request_id"], request["request_id"]]  # newest first
    assert listed["outgoing"] == []
    assert listed["incoming"][1] == {"request_id": request["request_id"], "sender_user_id": alice.user_id,
                                     "sender_username": alice.name, "recipient_user_id": bob.user_id,
                                     "recipient_username": bob.name, "created_at_unix": request["created_at_unix"]}
    assert [r["request_id"] for r in (await api.ok("GET", "/friends/requests", alice))["outgoing"]] == [request["request_id"]]
    for user, body in (
        (alice, {"recipient_user_id": "nope"}),
        (alice, {"recipient_user_id": alice.user_id}),
        (alice, {"recipient_user_id": "01ARZ3NDEKTSV4RRFFQ69G5FAV"}),
        (alice, {"recipient_user_id": bob.user_id}),  # pending already
        (bob, {"recipient_user_id": alice.user_id}),  # pending in the other direction
    ):
        await api.ok("POST", "/friends/requests", user, status=400, json=body)
    await api.ok("POST", f"/friends/requests/{request['request_id']}/accept", alice, status=404)  # sender cannot accept
    await api.ok("POST", "/friends/requests/01ARZ3NDEKTSV4RRFFQ69G5FAV/accept", bob, status=404)
    assert await api.ok("POST", f"/friends/requests/{request['request_id']}/accept", bob) == {"accepted": True}
    await api.ok("POST", "/friends/requests", alice, status=400, json={"recipient_user_id": bob.user_id})  # friends
    friends = await api.ok("GET", "/friends", alice)
    assert [f["user_id"] for f in friends["friends"]] == [bob.user_id] and friends["friends"][0]["username"] == bob.name
    assert friends["friends"][0]["created_at_unix"] > 0
    await api.ok("DELETE", f"/friends/requests/{other['request_id']}", alice, status=404)  # not a party
    response = await api.req("DELETE", f"/friends/requests/{other['request_id']}", carol)
    assert (response.status_code, response.content) == (204, b"")
    await api.ok("DELETE", f"/friends/requests/{other['request_id']}", carol, status=404)


async def test_remove_friend(api: Api) -> None:
    alice, bob = await api.user(), await api.user()
    await api.befriend(alice, bob)
    await api.ok("DELETE", "/friends/nope", alice, status=400)
    await api.ok("DELETE", f"/friends/{alice.user_id}", alice, status=400)
    for _ in range(2):  # idempotent
        await api.ok("DELETE", f"/friends/{bob.user_id}", alice, status=204)
    assert (await api.ok("GET", "/friends", bob)) == {"friends": []}
    for method, path in (("GET", "/friends"), ("GET", "/friends/requests"), ("DELETE", f"/friends/{bob.user_id}")):
        await api.ok(method, path, status=401)
