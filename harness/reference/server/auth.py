"""Passwords, access tokens and refresh tokens (REST.md §5.2, §6.1–§6.4).

* Passwords: `hashlib.scrypt` with light parameters (the harness registers hundreds of users; Argon2
  with default parameters would dominate its run time). Format `scrypt$n$r$p$salt$hash`.
* Access tokens: opaque `fat1.<payload>.<mac>` strings (HMAC-SHA256 over a JSON claim set with a
  32-byte key drawn at process start), so every access token dies with the process, as Filament's
  PASETO tokens do.
* Refresh tokens: `<session ULID>.<base64url(32 random bytes)>`; only the SHA-256 is stored.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import time
from dataclasses import dataclass

_USERNAME_RE = re.compile(r"^[A-Za-z0-9_.]{3,32}$")
TOKEN_PREFIX = "fat1."


def valid_username(name: str) -> bool:
    return bool(_USERNAME_RE.match(name))


def valid_password(password: str) -> bool:
    return 12 <= len(password.encode("utf-8")) <= 128


class PasswordHasher:
    def __init__(self, n: int, r: int, p: int) -> None:
        self.n, self.r, self.p = n, r, p
        self._dummy = self.hash("dummy-password-for-timing")

    def hash(self, password: str) -> str:
        salt = os.urandom(16)
        digest = hashlib.scrypt(password.encode("utf-8"), salt=salt, n=self.n, r=self.r, p=self.p, dklen=32)
        return f"scrypt${self.n}${self.r}${self.p}${_b64(salt)}${_b64(digest)}"

    def verify(self, password: str, stored: str) -> bool:
        try:
            _, n, r, p, salt, digest = stored.split("$")
            actual = hashlib.scrypt(
                password.encode("utf-8"), salt=_unb64(salt), n=int(n), r=int(r), p=int(p), dklen=32
            )
        except (ValueError, TypeError):
            return False
        return hmac.compare_digest(actual, _unb64(digest))

    def dummy_verify(self, password: str) -> None:
        """Spend the same time as a real verification (unknown user)."""
        self.verify(password, self._dummy)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass(frozen=True)
class Claims:
    sub: str
    username: str
    iat: int
    exp: int


class TokenSigner:
    """Issues and verifies access tokens with a per-process random key."""

    def __init__(self, ttl_secs: int, key: bytes | None = None) -> None:
        self.ttl_secs = ttl_secs
        self._key = key or os.urandom(32)

    def issue(self, user_id: str, username: str) -> str:
        now = int(time.time())
        claims = {"sub": user_id, "username": username, "iat": now, "nbf": now, "exp": now + self.ttl_secs}
        payload = _b64(json.dumps(claims, separators=(",", ":")).encode())
        return f"{TOKEN_PREFIX}{payload}.{self._mac(payload)}"

    def _mac(self, payload: str) -> str:
        return _b64(hmac.new(self._key, payload.encode("ascii"), hashlib.sha256).digest())

    def decode(self, token: str, check_expiry: bool = True) -> Claims | None:
        """Claims of a token signed by this process (expired ones only if check_expiry is False)."""
        if not token.startswith(TOKEN_PREFIX) or len(token) > 4096:
            return None
        body = token[len(TOKEN_PREFIX):]
        payload, _, mac = body.partition(".")
        if not payload or not hmac.compare_digest(mac, self._mac(payload)):
            return None
        try:
            data = json.loads(_unb64(payload))
            claims = Claims(str(data["sub"]), str(data["username"]), int(data["iat"]), int(data["exp"]))
        except (ValueError, KeyError, TypeError):
            return None
        if check_expiry and claims.exp <= int(time.time()):
            return None
        return claims


def new_refresh_token(session_id: str) -> str:
    return f"{session_id}.{_b64(secrets.token_bytes(32))}"


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def bearer_token(header: str | None) -> str | None:
    """The token of an exact `Bearer <token>` header."""
    if header is None or not header.startswith("Bearer "):
        return None
    token = header[len("Bearer "):]
    return token or None
