"""Framework-level behaviour (REST.md §1): plain-text/empty statuses, strict bodies, ordering, /api."""

from __future__ import annotations

import pytest

from .helpers import Api, world

ULID = "01ARZ3NDEKTSV4RRFFQ69G5FAV"
G, C, M, R, U = ULID, ULID, ULID, ULID, ULID

# Every route with a strict JSON body, with a minimal body of the right shape.
STRICT_BODIES = [
    ("POST", "/echo", {"message": "x"}),
    ("POST", "/auth/register", {"username": "abc", "password": "x" * 12}),
    ("POST", "/auth/login", {"username": "abc", "password": "x" * 12}),
    ("POST", "/auth/refresh", {"refresh_token": "x"}),
    ("POST", "/auth/logout", {"refresh_token": "x"}),
    ("PATCH", "/users/me/profile", {"username": "abc"}),
    ("POST", "/users/lookup", {"user_ids": [U]}),
    ("POST", "/friends/requests", {"recipient_user_id": U}),
    ("POST", "/guilds", {"name": "x"}),
    ("PATCH", f"/guilds/{G}", {"name": "x"}),
    ("PATCH", f"/guilds/{G}/members/{U}", {"role": "member"}),
    ("POST", f"/guilds/{G}/roles", {"name": "x", "permissions": []}),
    ("POST", f"/guilds/{G}/roles/reorder", {"role_ids": [R]}),
    ("POST", f"/guilds/{G}/roles/default", {"role_id": None}),
    ("PATCH", f"/guilds/{G}/roles/{R}", {"name": "x"}),
    ("POST", f"/guilds/{G}/ip-bans/by-user", {"target_user_id": U}),
    ("POST", f"/guilds/{G}/channels", {"name": "x"}),
    ("POST", f"/guilds/{G}/channels/{C}/overrides/member", {"allow": [], "deny": []}),
    ("POST", f"/guilds/{G}/channels/{C}/permission-overrides/role/{R}", {"allow": [], "deny": []}),
    ("POST", f"/guilds/{G}/channels/{C}/messages", {"content": "x"}),
    ("PATCH", f"/guilds/{G}/channels/{C}/messages/{M}", {"content": "x"}),
    ("POST", f"/guilds/{G}/channels/{C}/voice/token", {}),
    ("POST", f"/guilds/{G}/channels/{C}/voice/state", {"is_muted": True}),
]


@pytest.mark.parametrize("method,path,body", STRICT_BODIES, ids=[f"{m} {p}" for m, p, _ in STRICT_BODIES])
async def test_strict_bodies_reject_unknown_fields_before_auth(api: Api, method: str, path: str, body: dict) -> None:
    for variant in (f"/api{path}", path):
        response = await api.req(method, variant, json={**body, "zz_unknown": 1})
        assert response.status_code == 422, (variant, response.text)
        assert response.headers["content-type"].startswith("text/plain")
    response = await api.req(method, path, content=b"{", headers={"Content-Type": "application/json"})
    assert response.status_code == 400 and response.headers["content-type"].startswith("text/plain")
    response = await api.req(method, path, content=b"{}", headers={"Content-Type": "text/plain"})
    assert response.status_code == 415


@pytest.mark.parametrize(
    "body",
    [
        b'{"username":"abc"}',  # missing field
        b'{"username":5,"password":"xxxxxxxxxxxx"}',  # wrong type
        b'{"username":"abc","password":"xxxxxxxxxxxx","username":"abd"}',  # duplicate key
        b'["abc","xxxxxxxxxxxx"]',  # not an object
        b'{"username":"abc","password":null}',  # null for a required string
    ],
)
async def test_wrong_shapes_are_422(api: Api, body: bytes) -> None:
    response = await api.req("POST", "/auth/login", content=body, headers={"Content-Type": "application/json"})
    assert response.status_code == 422


async def test_enum_values_and_content_type_variants(api: Api) -> None:
    alice = await api.user()
    assert (await api.req("POST", "/guilds", alice, json={"name": "x", "visibility": "secret"})).status_code == 422
    assert (await api.req("POST", "/guilds", alice, json={"name": "x", "visibility": None})).status_code == 200
    charset = {"Content-Type": "application/json; charset=utf-8"}
    assert (await api.req("POST", "/guilds", alice, content=b'{"name":"y"}', headers=charset)).status_code == 200
    assert (await api.req("POST", "/guilds", alice, content=b'{"name":"y"}')).status_code == 415  # no content type
    assert (await api.req("POST", "/guilds", alice, json={"name": "x", "nope": NaN_SAFE})).status_code == 422


NaN_SAFE = 1


async def test_body_limit_is_413_plain_text(start_server) -> None:
    server = await start_server(request_body_limit_bytes=100)
    response = await server.api.req("POST", "/echo", json={"message": "x" * 200})
    assert response.status_code == 413 and response.headers["content-type"].startswith("text/plain")
    assert (await server.api.req("POST", "/echo", json={"message": "x" * 50})).status_code == 200


async def test_unknown_paths_and_methods_are_empty_404_405(api: Api) -> None:
    for path in ("/nope", "/api/nope", "/health/", "/guilds/x/y/z", "/api"):
        response = await api.req("GET", path)
        assert (response.status_code, response.content) == (404, b""), path
    for method, path in (
        ("DELETE", "/health"),
        ("PUT", "/guilds"),
        ("GET", "/users/me/profile"),  # the static path only has PATCH
        ("PATCH", "/guilds/public"),
        ("DELETE", "/friends/requests"),
        ("GET", "/api/auth/login"),
    ):
        response = await api.req(method, path)
        assert (response.status_code, response.content) == (405, b""), (method, path)


async def test_query_and_path_extraction_errors_precede_auth(api: Api) -> None:
    for path in (
        f"/guilds/{G}/members?limit=abc",
        f"/guilds/{G}/members?unknown=1",
        f"/guilds/{G}/members?limit=1&limit=2",
        f"/guilds/{G}/audit?bogus=1",
        f"/guilds/{G}/channels/{C}/messages?limit=-1",
        f"/guilds/{G}/search",
    ):
        response = await api.req("GET", path)
        assert response.status_code == 400 and response.headers["content-type"].startswith("text/plain"), path
    response = await api.req("POST", f"/guilds/{G}/channels/{C}/overrides/admin", json={"allow": [], "deny": []})
    assert response.status_code == 400 and not response.text.startswith("{")
    response = await api.req("POST", f"/guilds/{G}/channels/{C}/permission-overrides/x/{R}", json={"allow": [], "deny": []})
    assert response.status_code == 400 and not response.text.startswith("{")
    # non-strict queries ignore unknown keys: the handler runs and authentication fails
    assert (await api.req("GET", "/guilds/public?whatever=1")).status_code == 401


async def test_auth_header_rules(api: Api) -> None:
    alice = await api.user()
    assert (await api.req("GET", "/auth/me", headers={"Authorization": "bearer " + alice.token})).status_code == 401
    assert (await api.req("GET", "/auth/me", headers={"Authorization": "Bearer  " + alice.token})).status_code == 401
    assert (await api.req("GET", "/auth/me", headers={"Authorization": alice.token})).status_code == 401
    response = await api.req("GET", "/auth/me")
    assert (response.status_code, response.json()) == (401, {"error": "invalid_credentials"})


async def test_api_prefix_is_equivalent(api: Api) -> None:
    w = await world(api)
    for path in ("/auth/me", "/guilds", f"/guilds/{w.guild_id}/roles", f"/guilds/{w.guild_id}/channels"):
        direct = await api.req("GET", path, w.owner)
        prefixed = await api.req("GET", "/api" + path, w.owner)
        assert (direct.status_code, direct.json()) == (prefixed.status_code, prefixed.json())
    sent = await api.ok("POST", f"/api/guilds/{w.guild_id}/channels/{w.channel_id}/messages", w.owner, json={"content": "x"})
    listed = await api.ok("GET", f"/guilds/{w.guild_id}/channels/{w.channel_id}/messages", w.owner)
    assert listed["messages"][0] == sent


async def test_request_id_echo_and_system_routes(api: Api) -> None:
    response = await api.req("GET", "/health", headers={"x-request-id": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"
    assert (await api.ok("POST", "/echo", json={"message": "ping"})) == {"message": "ping"}
    empty = await api.req("POST", "/echo", json={"message": ""})
    assert (empty.status_code, empty.content) == (400, b"")
    assert (await api.ok("GET", "/slow")) == {"status": "ok"}


async def test_request_timeout_is_408_empty(start_server) -> None:
    server = await start_server(request_timeout_secs=0.05)
    response = await server.api.req("GET", "/slow")
    assert (response.status_code, response.content) == (408, b"")


async def test_global_governor_burst_then_plain_text_429(start_server) -> None:
    server = await start_server(rate_limit_requests_per_minute=3)
    api = server.api
    for _ in range(3):
        assert (await api.req("GET", "/health")).status_code == 200
    limited = await api.req("GET", "/health")
    assert limited.status_code == 429 and limited.headers["content-type"].startswith("text/plain")
    assert not limited.text.startswith("{")
    assert (await api.req("GET", "/metrics")).status_code == 429  # keyed by IP for anonymous requests
    assert (await api.req("GET", "/nope")).status_code == 404  # unknown paths are not governed


async def test_governor_keys_authenticated_requests_by_user(start_server) -> None:
    server = await start_server(rate_limit_requests_per_minute=4)
    api = server.api
    alice = await api.user()  # register + login: 2 tokens of ip:127.0.0.1; me: 1 token of user:alice
    assert (await api.req("GET", "/auth/me", alice)).status_code == 200
    assert (await api.req("GET", "/auth/me", alice)).status_code == 200
    for _ in range(2):  # the IP bucket still has two tokens
        assert (await api.req("GET", "/health")).status_code == 200
    assert (await api.req("GET", "/health")).status_code == 429
    assert (await api.req("GET", "/auth/me", alice)).status_code == 200
    assert (await api.req("GET", "/auth/me", alice)).status_code == 429


async def test_metrics_exposition(api: Api) -> None:
    response = await api.req("GET", "/metrics")
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    families = [line.split()[2] for line in response.text.splitlines() if line.startswith("# TYPE")]
    assert families == [
        "filament_auth_failures_total",
        "filament_rate_limit_hits_total",
        "filament_ws_disconnects_total",
        "filament_gateway_events_emitted_total",
        "filament_gateway_events_dropped_total",
        "filament_gateway_events_unknown_received_total",
        "filament_gateway_events_parse_rejected_total",
        "filament_voice_sync_repairs_total",
    ]
    assert all(f"# TYPE {f} counter" in response.text and f"# HELP {f} " in response.text for f in families)


BEARER_ROUTES = [
    ("GET", "/auth/me", None),
    ("PATCH", "/users/me/profile", {"about_markdown": "x"}),
    ("GET", f"/users/{U}/profile", None),
    ("POST", "/users/lookup", {"user_ids": [U]}),
    ("POST", "/users/me/profile/avatar", b"\x89PNG"),
    ("POST", "/users/me/profile/banner", b"\x89PNG"),
    ("GET", "/friends", None),
    ("DELETE", f"/friends/{U}", None),
    ("POST", "/friends/requests", {"recipient_user_id": U}),
    ("GET", "/friends/requests", None),
    ("POST", f"/friends/requests/{U}/accept", None),
    ("DELETE", f"/friends/requests/{U}", None),
    ("POST", "/guilds", {"name": "x"}),
    ("GET", "/guilds", None),
    ("PATCH", f"/guilds/{G}", {"name": "x"}),
    ("GET", "/guilds/public", None),
    ("POST", f"/guilds/{G}/join", None),
    ("GET", f"/guilds/{G}/audit", None),
    ("GET", f"/guilds/{G}/members", None),
    ("POST", f"/guilds/{G}/members/{U}", None),
    ("PATCH", f"/guilds/{G}/members/{U}", {"role": "member"}),
    ("POST", f"/guilds/{G}/members/{U}/kick", None),
    ("POST", f"/guilds/{G}/members/{U}/ban", None),
    ("GET", f"/guilds/{G}/roles", None),
    ("POST", f"/guilds/{G}/roles", {"name": "x", "permissions": []}),
    ("POST", f"/guilds/{G}/roles/reorder", {"role_ids": [R]}),
    ("POST", f"/guilds/{G}/roles/default", {}),
    ("PATCH", f"/guilds/{G}/roles/{R}", {"name": "x"}),
    ("DELETE", f"/guilds/{G}/roles/{R}", None),
    ("POST", f"/guilds/{G}/roles/{R}/members/{U}", None),
    ("DELETE", f"/guilds/{G}/roles/{R}/members/{U}", None),
    ("GET", f"/guilds/{G}/ip-bans", None),
    ("POST", f"/guilds/{G}/ip-bans/by-user", {"target_user_id": U}),
    ("DELETE", f"/guilds/{G}/ip-bans/{U}", None),
    ("POST", f"/guilds/{G}/channels", {"name": "x"}),
    ("GET", f"/guilds/{G}/channels", None),
    ("GET", f"/guilds/{G}/channels/{C}/permissions/self", None),
    ("POST", f"/guilds/{G}/channels/{C}/overrides/member", {"allow": [], "deny": []}),
    ("POST", f"/guilds/{G}/channels/{C}/permission-overrides/role/{R}", {"allow": [], "deny": []}),
    ("POST", f"/guilds/{G}/channels/{C}/messages", {"content": "x"}),
    ("GET", f"/guilds/{G}/channels/{C}/messages", None),
    ("PATCH", f"/guilds/{G}/channels/{C}/messages/{M}", {"content": "x"}),
    ("DELETE", f"/guilds/{G}/channels/{C}/messages/{M}", None),
    ("POST", f"/guilds/{G}/channels/{C}/messages/{M}/reactions/x", None),
    ("DELETE", f"/guilds/{G}/channels/{C}/messages/{M}/reactions/x", None),
    ("POST", f"/guilds/{G}/channels/{C}/attachments", b"\x89PNG"),
    ("GET", f"/guilds/{G}/channels/{C}/attachments/{U}", None),
    ("DELETE", f"/guilds/{G}/channels/{C}/attachments/{U}", None),
    ("POST", f"/guilds/{G}/channels/{C}/voice/token", {}),
    ("POST", f"/guilds/{G}/channels/{C}/voice/leave", None),
    ("POST", f"/guilds/{G}/channels/{C}/voice/state", {"is_muted": True}),
    ("GET", f"/guilds/{G}/search?q=x", None),
    ("POST", f"/guilds/{G}/search/rebuild", None),
    ("POST", f"/guilds/{G}/search/reconcile", None),
]


async def test_every_bearer_route_is_401_without_a_token(api: Api) -> None:
    expired_or_foreign = {"Authorization": "Bearer fat1.eyJzdWIiOiJ4In0.AAAA"}
    for method, path, body in BEARER_ROUTES:
        for headers in ({}, expired_or_foreign):
            kwargs = {"content": body} if isinstance(body, bytes) else {"json": body} if body is not None else {}
            response = await api.req(method, path, headers=headers, **kwargs)
            assert (response.status_code, response.json()) == (401, {"error": "invalid_credentials"}), (method, path)
