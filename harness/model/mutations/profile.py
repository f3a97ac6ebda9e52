"""Rows ``profile.update``, ``profile.avatar``, ``profile.banner`` (REST.md §6.6, §6.8). User scope:
the owner, current friends and users sharing a guild (GATEWAY.md §6.3)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from harness.model.expectations import ABSENT, PRESENT
from harness.model.mutations import rules
from harness.model.mutations.base import (
    EventPrediction, Mutation, RestCall, RestResult, Verdict, bad_request, ok,
)
from harness.model.world import World

PNG_1X1 = bytes.fromhex(
    "89504E470D0A1A0A0000000D4948445200000001000000010804000000B51C0C02"
    "0000000B4944415478DA63FC5F0F00027F01F587CBD91F0000000049454E44AE426082"
)
"""The 68-byte PNG Filament's own tests upload (REST.md §6.8)."""

_SIGNATURES: tuple[tuple[bytes, int, str], ...] = (
    (b"\x89PNG", 0, "image/png"),
    (b"\xff\xd8\xff", 0, "image/jpeg"),
    (b"GIF", 0, "image/gif"),
    (b"WEBP", 8, "image/webp"),
)


def sniff_image(data: bytes) -> str | None:
    """The MIME type a small magic-number sniffer would report for the image types accepted."""
    for magic, offset, mime in _SIGNATURES:
        if data[offset:offset + len(magic)] == magic and (mime != "image/webp" or len(data) >= 12):
            return mime
    return None


@dataclass(frozen=True)
class UpdateProfile(Mutation):
    """PATCH /users/me/profile; ``None`` = not sent. Emitted even when nothing changes."""

    actor: str
    username: str | None = None
    about: str | None = None
    row: ClassVar[str] = "profile.update"

    def call(self, world: World) -> RestCall:
        body = {k: v for k, v in (("username", self.username), ("about_markdown", self.about)) if v is not None}
        return RestCall("PATCH", "/users/me/profile", json=body)

    def verdict(self, world: World) -> Verdict:
        if self.username is None and self.about is None:
            return bad_request()
        if self.username is not None and (not rules.valid_username(self.username)
                                          or world.username_taken(self.username, by_other_than=self.actor)):
            return bad_request()
        if self.about is not None and not rules.valid_about(self.about):
            return bad_request()
        return ok()

    def apply(self, world: World, result: RestResult) -> list[EventPrediction]:
        user = world.user(self.actor)
        if self.username is not None:
            user.username = self.username
        if self.about is not None:
            user.about = self.about
        fields = {
            "updated_fields.username": self.username if self.username is not None else ABSENT,
            "updated_fields.about_markdown": self.about if self.about is not None else ABSENT,
            "updated_fields.about_markdown_tokens": PRESENT if self.about is not None else ABSENT,
        }
        return [EventPrediction("profile_update", "profile", match={"user_id": world.user_id(self.actor)},
                                fields=fields, subject=self.actor)]


@dataclass(frozen=True)
class _Upload(Mutation):
    actor: str
    data: bytes = PNG_1X1
    content_type: str | None = "image/png"
    kind: ClassVar[str] = "avatar"
    limit: ClassVar[int] = 2 * 1024 * 1024

    def call(self, world: World) -> RestCall:
        headers = {"Content-Type": self.content_type} if self.content_type is not None else {}
        return RestCall("POST", f"/users/me/profile/{self.kind}", content=self.data, headers=headers)

    def verdict(self, world: World) -> Verdict:
        if len(self.data) > self.limit:
            return Verdict(False, 413, "payload_too_large")
        sniffed = sniff_image(self.data) if self.data else None
        if sniffed is None:
            return bad_request()
        if self.content_type is not None and self.content_type.split(";")[0].strip().lower() != sniffed:
            return bad_request()
        return ok()

    def apply(self, world: World, result: RestResult) -> list[EventPrediction]:
        user = world.user(self.actor)
        key = f"{self.kind}_version"
        previous = getattr(user, key)
        version = (result.body or {}).get(key, previous + 1)
        setattr(user, key, version)
        # The version comes from the server clock; the event must carry the one the response reported.
        return [EventPrediction(f"profile_{self.kind}_update", "profile", match={"user_id": world.user_id(self.actor)},
                                fields={key: version}, subject=self.actor)]


@dataclass(frozen=True)
class UploadAvatar(_Upload):
    row: ClassVar[str] = "profile.avatar"


@dataclass(frozen=True)
class UploadBanner(_Upload):
    row: ClassVar[str] = "profile.banner"
    kind: ClassVar[str] = "banner"
    limit: ClassVar[int] = 6 * 1024 * 1024
