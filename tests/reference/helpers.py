"""Test clients for the reference server: a REST session (httpx) and a gateway connection (websockets).

Nothing here imports the harness's contracts/ or model/: the tests check the server against the
written contract directly.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from dataclasses import dataclass, field
from typing import Any

import httpx
import websockets
from websockets.exceptions import ConnectionClosed

PASSWORD = "correct horse battery"
NOWHERE = "01ARZ3NDEKTSV4RRFFQ69G5FAV"  # a well-formed ULID that names nothing on the server
ALL_PERMISSIONS = [  # REST.md §3.1, canonical order
    "manage_roles", "manage_member_roles", "manage_workspace_roles", "manage_channel_overrides", "delete_message",
    "ban_member", "view_audit_log", "manage_ip_bans", "create_message", "publish_video", "publish_screen_share",
    "subscribe_streams",
]
ULID_RE = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
_names = itertools.count(1)
_nonces = itertools.count(1)
BARRIER = "__barrier_"
PNG = bytes.fromhex(
    "89504E470D0A1A0A0000000D4948445200000001000000010804000000B51C0C020000000B4944415478DA63FC5F0F00027F01F587CBD91F0000000049454E44AE426082"
)


@dataclass
class User:
    name: str
    user_id: str
    token: str
    refresh: str

    @property
    def h(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}


@dataclass
class Frame:
    t: str
    d: Any
    raw: str


class Api:
    """REST helper bound to one server."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = httpx.AsyncClient(base_url=base_url, timeout=10.0)

    async def aclose(self) -> None:
        await self.http.aclose()

    async def req(self, method: str, path: str, user: User | None = None, **kwargs: Any) -> httpx.Response:
        headers = dict(kwargs.pop("headers", {}) or {})
        if user is not None:
            headers.update(user.h)
        return await self.http.request(method, path, headers=headers, **kwargs)

    async def ok(self, method: str, path: str, user: User | None = None, status: int = 200, **kwargs: Any) -> Any:
        response = await self.req(method, path, user, **kwargs)
        assert response.status_code == status, (method, path, response.status_code, response.text)
        if not response.content:
            return None
        if response.headers.get("content-type", "").startswith("application/json"):
            return response.json()
        return response.text

    async def user(self, prefix: str = "u") -> User:
        name = f"{prefix}_{next(_names)}"
        await self.ok("POST", "/auth/register", json={"username": name, "password": PASSWORD})
        auth = await self.ok("POST", "/auth/login", json={"username": name, "password": PASSWORD})
        me = await self.ok("GET", "/auth/me", headers={"Authorization": f"Bearer {auth['access_token']}"})
        return User(name, me["user_id"], auth["access_token"], auth["refresh_token"])

    async def guild(self, owner: User, name: str = "Lab", visibility: str = "private") -> str:
        body = await self.ok("POST", "/guilds", owner, json={"name": name, "visibility": visibility})
        return body["guild_id"]

    async def channel(self, owner: User, guild_id: str, name: str = "general", kind: str = "text") -> str:
        body = await self.ok("POST", f"/guilds/{guild_id}/channels", owner, json={"name": name, "kind": kind})
        return body["channel_id"]

    async def add(self, owner: User, guild_id: str, *members: User) -> None:
        for member in members:
            await self.ok("POST", f"/guilds/{guild_id}/members/{member.user_id}", owner)

    async def roles(self, user: User, guild_id: str) -> dict[str, dict[str, Any]]:
        body = await self.ok("GET", f"/guilds/{guild_id}/roles", user)
        return {role["name"]: role for role in body["roles"]}

    async def message(self, user: User, guild_id: str, channel_id: str, content: str = "hello") -> dict[str, Any]:
        return await self.ok("POST", f"/guilds/{guild_id}/channels/{channel_id}/messages", user, json={"content": content})

    async def befriend(self, a: User, b: User) -> None:
        request = await self.ok("POST", "/friends/requests", a, json={"recipient_user_id": b.user_id})
        await self.ok("POST", f"/friends/requests/{request['request_id']}/accept", b)

    async def metric(self, family: str, **labels: str) -> int:
        text = (await self.http.get("/metrics")).text
        want = ",".join(f'{k}="{v}"' for k, v in labels.items())
        for line in text.splitlines():
            if line.startswith(f"{family}{{{want}}} "):
                return int(line.rsplit(" ", 1)[1])
        return 0


class Gw:
    """One gateway connection recording every data frame."""

    def __init__(self, api: Api, user: User, ws: Any) -> None:
        self.api = api
        self.user = user
        self.ws = ws
        self.frames: list[Frame] = []

    @classmethod
    async def open(cls, api: Api, user: User, expect_ready: bool = True, **kwargs: Any) -> "Gw":
        url = api.base_url.replace("http://", "ws://") + "/gateway/ws?access_token=" + user.token
        ws = await websockets.connect(url, max_size=None, ping_interval=None, open_timeout=5, **kwargs)
        gw = cls(api, user, ws)
        if expect_ready:
            ready = await gw.next()
            assert ready.t == "ready" and ready.d == {"user_id": user.user_id}, ready
        return gw

    async def close(self) -> None:
        await self.ws.close()

    async def send(self, t: str, d: Any) -> None:
        await self.ws.send(json.dumps({"v": 1, "t": t, "d": d}))

    async def next(self, timeout: float = 3.0, keep_barriers: bool = False) -> Frame:
        """The next data frame (barrier frames of other connections are skipped)."""
        while True:
            raw = await asyncio.wait_for(self.ws.recv(), timeout)
            envelope = json.loads(raw)
            assert list(envelope) == ["v", "t", "d"] and envelope["v"] == 1, raw
            # byte-exact egress: compact, members v,t,d, keys of d sorted at every depth, raw UTF-8
            assert raw == canonical_frame(envelope["t"], envelope["d"]), raw
            frame = Frame(envelope["t"], envelope["d"], raw)
            if not keep_barriers and _is_barrier(frame):
                continue
            self.frames.append(frame)
            return frame

    async def expect(self, t: str, timeout: float = 3.0) -> dict[str, Any]:
        frame = await self.next(timeout)
        assert frame.t == t, f"expected {t}, got {frame.t}: {frame.d}"
        return frame.d

    async def subscribe(self, guild_id: str, channel_id: str) -> list[Frame]:
        """Subscribe and read through the `voice_participant_sync` that ends a successful subscribe."""
        await self.send("subscribe", {"guild_id": guild_id, "channel_id": channel_id})
        frames = []
        while True:
            frame = await self.next()
            frames.append(frame)
            if frame.t == "voice_participant_sync":
                return frames

    async def drain(self) -> list[Frame]:
        """Every frame that reaches this connection before a barrier: a profile update of its own user
        (user-scoped events reach every connection of the user, in enqueue order)."""
        nonce = f"{BARRIER}{next(_nonces)}"
        await self.api.ok("PATCH", "/users/me/profile", self.user, json={"about_markdown": nonce})
        frames = []
        while True:
            frame = await self.next(keep_barriers=True)
            if frame.t == "profile_update" and frame.d["updated_fields"].get("about_markdown") == nonce:
                self.frames.pop()
                return frames
            if not _is_barrier(frame):
                frames.append(frame)

    async def quiet(self) -> None:
        frames = await self.drain()
        assert frames == [], [(f.t, f.d) for f in frames]

    async def closed(self, timeout: float = 3.0) -> ConnectionClosed:
        """Wait for the connection to end; returns the websockets exception (rcvd = Close frame or None)."""
        try:
            while True:
                await asyncio.wait_for(self.ws.recv(), timeout)
        except ConnectionClosed as exc:
            return exc
        raise AssertionError("connection did not close")  # pragma: no cover


def canonical_frame(t: str, d: Any) -> str:
    payload = json.dumps(d, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return '{"v":1,"t":' + json.dumps(t) + ',"d":' + payload + "}"


def _is_barrier(frame: Frame) -> bool:
    return (
        frame.t == "profile_update"
        and isinstance(frame.d, dict)
        and str(frame.d.get("updated_fields", {}).get("about_markdown", "")).startswith(BARRIER)
    )


def keys(d: dict[str, Any]) -> set[str]:
    return set(d)


def is_ulid(value: Any) -> bool:
    return isinstance(value, str) and bool(ULID_RE.match(value))


def is_int(value: Any) -> bool:
    return type(value) is int


@dataclass
class World:
    """A guild with an owner, a moderator, a member and one channel."""

    guild_id: str
    channel_id: str
    owner: User
    mod: User
    member: User
    roles: dict[str, dict[str, Any]] = field(default_factory=dict)


async def world(api: Api) -> World:
    owner, mod, member = await api.user("own"), await api.user("mod"), await api.user("mem")
    guild_id = await api.guild(owner)
    channel_id = await api.channel(owner, guild_id)
    await api.add(owner, guild_id, mod, member)
    await api.ok("PATCH", f"/guilds/{guild_id}/members/{mod.user_id}", owner, json={"role": "moderator"})
    return World(guild_id, channel_id, owner, mod, member, await api.roles(owner, guild_id))
