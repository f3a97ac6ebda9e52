"""Auth, sessions, profiles and users (REST.md §6)."""

from __future__ import annotations

import asyncio
import hashlib
import re

from .helpers import PASSWORD, PNG, Api, is_ulid

VISIBLE = re.compile(r"^[\x21-\x7e]{32,4096}$")
REFRESH = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}\.[A-Za-z0-9_-]{43}$")


async def test_register_is_idempotent_and_validates(api: Api) -> None:
    body = {"username": "alice.b_1", "password": PASSWORD}
    assert await api.ok("POST", "/auth/register", json=body) == {"accepted": True}
    assert await api.ok("POST", "/auth/register", json={**body, "password": "another password"}) == {"accepted": True}
    assert (await api.req("POST", "/auth/login", json=body)).status_code == 200  # password not overwritten
    assert (await api.req("POST", "/auth/register", json={**body, "username": "bob", "captcha_token": None})).status_code == 200
    for username in ("ab", "a" * 33, "bad-name", "bad name", "émile"):
        assert (await api.req("POST", "/auth/register", json={"username": username, "password": PASSWORD})).status_code == 400
    for password in ("x" * 11, "x" * 129):
        assert (await api.req("POST", "/auth/register", json={"username": "carol", "password": password})).status_code == 400


async def test_login_response_shape_and_failures(api: Api) -> None:
    await api.ok("POST", "/auth/register", json={"username": "dave", "password": PASSWORD})
    auth = await api.ok("POST", "/auth/login", json={"username": "dave", "password": PASSWORD})
    assert list(auth) == ["access_token", "refresh_token", "expires_in_secs"]
    assert VISIBLE.match(auth["access_token"]) and REFRESH.match(auth["refresh_token"]) and auth["expires_in_secs"] == 900
    for body in (
        {"username": "dave", "password": "wrong password!"},
        {"username": "nobody_here", "password": PASSWORD},
        {"username": "x", "password": PASSWORD},
        {"username": "dave", "password": "short"},
    ):
        response = await api.req("POST", "/auth/login", json=body)
        assert (response.status_code, response.json()) == (401, {"error": "invalid_credentials"})
    assert (await api.req("POST", "/auth/login", json={"username": "dave", "password": PASSWORD, "captcha_token": "x"})).status_code == 422


async def test_login_lockout_after_five_failures(start_server) -> None:
    server = await start_server(login_lockout_secs=0.4)
    api = server.api
    await api.ok("POST", "/auth/register", json={"username": "erin", "password": PASSWORD})
    for _ in range(4):
        await api.ok("POST", "/auth/login", status=401, json={"username": "erin", "password": "not the password"})
    await api.ok("POST", "/auth/login", json={"username": "erin", "password": PASSWORD})  # success resets the counter
    for _ in range(5):
        await api.ok("POST", "/auth/login", status=401, json={"username": "erin", "password": "not the password"})
    await api.ok("POST", "/auth/login", status=401, json={"username": "erin", "password": PASSWORD})  # locked
    await asyncio.sleep(0.45)  # the lock duration is what is under test
    await api.ok("POST", "/auth/login", json={"username": "erin", "password": PASSWORD})


async def test_refresh_rotates_and_replay_revokes_the_session(api: Api) -> None:
    alice = await api.user()
    first = await api.ok("POST", "/auth/refresh", json={"refresh_token": alice.refresh})
    assert first["refresh_token"].split(".")[0] == alice.refresh.split(".")[0] != ""
    assert first["refresh_token"] != alice.refresh and REFRESH.match(first["refresh_token"])
    assert (await api.req("GET", "/auth/me", headers={"Authorization": "Bearer " + first["access_token"]})).status_code == 200
    second = await api.ok("POST", "/auth/refresh", json={"refresh_token": first["refresh_token"]})
    # replaying an already-rotated token revokes the whole session
    await api.ok("POST", "/auth/refresh", status=401, json={"refresh_token": first["refresh_token"]})
    await api.ok("POST", "/auth/refresh", status=401, json={"refresh_token": second["refresh_token"]})
    for token in ("", "x" * 513, "garbage", "01ARZ3NDEKTSV4RRFFQ69G5FAV.xxxx"):
        await api.ok("POST", "/auth/refresh", status=401, json={"refresh_token": token})


async def test_logout(api: Api) -> None:
    alice = await api.user()
    rotated = await api.ok("POST", "/auth/refresh", json={"refresh_token": alice.refresh})
    await api.ok("POST", "/auth/logout", status=401, json={"refresh_token": alice.refresh})  # not the current token
    response = await api.req("POST", "/auth/logout", json={"refresh_token": rotated["refresh_token"]})
    assert (response.status_code, response.content) == (204, b"")
    assert (await api.req("POST", "/auth/logout", json={"refresh_token": rotated["refresh_token"]})).status_code == 204
    await api.ok("POST", "/auth/refresh", status=401, json={"refresh_token": rotated["refresh_token"]})
    await api.ok("GET", "/auth/me", headers={"Authorization": "Bearer " + rotated["access_token"]})  # still valid
    for token in ("", "x" * 513, "nope.nope"):
        await api.ok("POST", "/auth/logout", status=401, json={"refresh_token": token})


async def test_auth_route_limiter(start_server) -> None:
    server = await start_server(auth_route_requests_per_minute=2)
    api = server.api
    for _ in range(2):
        await api.ok("POST", "/auth/register", json={"username": "frank", "password": PASSWORD})
    response = await api.req("POST", "/auth/register", json={"username": "frank", "password": PASSWORD})
    assert (response.status_code, response.json()) == (429, {"error": "rate_limited"})
    await api.ok("POST", "/auth/login", json={"username": "frank", "password": PASSWORD})  # separate key per route
    # profile routes: the limiter runs before authentication
    for expected in (401, 401, 429):
        assert (await api.req("PATCH", "/users/me/profile", json={"about_markdown": "x"})).status_code == expected
    for expected in (401, 401, 429):
        assert (await api.req("POST", "/users/me/profile/avatar", content=PNG)).status_code == expected
    assert await api.metric("filament_rate_limit_hits_total", surface="auth", reason="register") == 1


async def test_me_and_profile_reads(api: Api) -> None:
    alice, bob = await api.user(), await api.user()
    me = await api.ok("GET", "/auth/me", alice)
    assert me == {"user_id": alice.user_id, "username": alice.name, "about_markdown": "", "about_markdown_tokens": [],
                  "avatar_version": 0, "banner_version": 0}
    assert await api.ok("GET", f"/users/{alice.user_id}/profile", bob) == me
    assert await api.ok("GET", f"/users/{alice.user_id.lower()}/profile", bob) == me  # parsed as a ULID
    await api.ok("GET", f"/users/not-a-ulid/profile", bob, status=400)
    await api.ok("GET", "/users/01ARZ3NDEKTSV4RRFFQ69G5FAV/profile", bob, status=404)
    await api.ok("GET", f"/users/{alice.user_id}/profile", status=401)


async def test_patch_profile(api: Api) -> None:
    alice, bob = await api.user(), await api.user()
    profile = await api.ok("PATCH", "/users/me/profile", alice, json={"username": alice.name + "_v2", "about_markdown": "hi **there**"})
    assert profile["username"] == alice.name + "_v2" and profile["about_markdown_tokens"] == [
        {"type": "paragraph_start"}, {"type": "text", "text": "hi "}, {"type": "strong_start"},
        {"type": "text", "text": "there"}, {"type": "strong_end"}, {"type": "paragraph_end"}]
    await api.ok("POST", "/auth/login", json={"username": alice.name + "_v2", "password": PASSWORD})
    await api.ok("PATCH", "/users/me/profile", alice, json={"username": alice.name + "_v2"})  # own name again is fine
    for body in ({}, {"username": None, "about_markdown": None}, {"username": "no way"}, {"username": bob.name},
                 {"about_markdown": "x" * 2049}, {"about_markdown": "nul\u0000byte"}):
        await api.ok("PATCH", "/users/me/profile", alice, status=400, json=body)
    assert (await api.ok("GET", "/auth/me", alice))["about_markdown"] == "hi **there**"  # failed PATCH saved nothing
    await api.ok("PATCH", "/users/me/profile", status=401, json={"about_markdown": "x"})


async def test_avatar_and_banner_upload_and_download(start_server) -> None:
    server = await start_server(avatar_max_bytes=200)
    api = server.api
    alice = await api.user()
    await api.ok("GET", f"/users/{alice.user_id}/avatar", status=404)
    await api.ok("GET", "/users/nope/avatar", status=400)
    first = await api.ok("POST", "/users/me/profile/avatar", alice, content=PNG, headers={"Content-Type": "image/png"})
    assert first["avatar_version"] > 0
    second = await api.ok("POST", "/users/me/profile/avatar", alice, content=PNG)
    assert second["avatar_version"] > first["avatar_version"]
    response = await api.req("GET", f"/users/{alice.user_id}/avatar?v={second['avatar_version']}")  # no auth
    assert response.status_code == 200 and response.content == PNG
    assert response.headers["content-type"] == "image/png"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["cache-control"] == "public, max-age=300"
    assert response.headers["etag"] == f'"{hashlib.sha256(PNG).hexdigest()}"'
    for content, headers in (
        (PNG, {"Content-Type": "image/jpeg"}),  # declared type differs from the sniffed one
        (PNG, {"Content-Type": "not a mime"}),
        (b"", {}),
        (b"plain text is not an image", {}),
        (b"<svg xmlns='http://www.w3.org/2000/svg'/>", {}),
        (b"%PDF-1.4 not an image", {}),
    ):
        await api.ok("POST", "/users/me/profile/avatar", alice, status=400, content=content, headers=headers)
    big = PNG + b"\0" * 200
    assert (await api.req("POST", "/users/me/profile/avatar", alice, content=big)).json() == {"error": "payload_too_large"}
    await api.ok("POST", "/users/me/profile/avatar", status=401, content=PNG)
    gif = await api.ok("POST", "/users/me/profile/banner", alice, content=b"GIF89a" + b"\0" * 10, headers={"Content-Type": "image/gif; x=1"})
    assert gif["banner_version"] > 0
    banner = await api.req("GET", f"/users/{alice.user_id}/banner")
    assert banner.headers["content-type"] == "image/gif"


async def test_user_lookup(api: Api) -> None:
    alice, bob = await api.user(), await api.user()
    ids = [bob.user_id, "01ARZ3NDEKTSV4RRFFQ69G5FAV", alice.user_id.lower(), bob.user_id]
    body = await api.ok("POST", "/users/lookup", alice, json={"user_ids": ids})
    assert body == {"users": [{"user_id": bob.user_id, "username": bob.name, "avatar_version": 0},
                              {"user_id": alice.user_id, "username": alice.name, "avatar_version": 0}]}
    for user_ids in ([], ["01ARZ3NDEKTSV4RRFFQ69G5FAV"] * 65, ["nope"]):
        await api.ok("POST", "/users/lookup", alice, status=400, json={"user_ids": user_ids})
    await api.ok("POST", "/users/lookup", status=401, json={"user_ids": [alice.user_id]})
    assert is_ulid(alice.user_id)
