"""Access checks shared by the guild-scoped routes, with Postgres-mode status codes.

In the Postgres build an unknown guild id usually fails the membership lookup first, so most guild
routes answer 403 (not 404) for it (REST.md §14.10); audit, IP-ban and join routes check existence
first and answer 404.
"""

from __future__ import annotations

from .errors import forbidden, invalid_request, not_found
from .ids import canonical_ulid, is_ulid
from .permissions import GuildAuthz, LEGACY_BITS, BIT
from .store import Row


def valid_name(name: str) -> bool:
    """Guild and channel names: 1-64 bytes of printable ASCII or space (REST.md §8.1)."""
    return 1 <= len(name.encode("utf-8")) <= 64 and all(c == " " or "!" <= c <= "~" for c in name)


def require_access(authz: GuildAuthz, user_id: str) -> None:
    if not authz.has_access(user_id):
        raise forbidden()


def require_guild_perm(authz: GuildAuthz, user_id: str, permission: str) -> None:
    if not authz.has_guild_perm(user_id, permission):
        raise forbidden()


def require_channel(authz: GuildAuthz, user_id: str, channel_id: str) -> Row:
    """Membership (403), then the channel must exist in the guild (404)."""
    require_access(authz, user_id)
    channel = authz.store.channel(authz.guild_id, channel_id)
    if channel is None:
        raise not_found()
    return channel


def require_channel_perm(authz: GuildAuthz, user_id: str, channel_id: str, permission: str) -> Row:
    channel = require_channel(authz, user_id, channel_id)
    if not authz.has_channel_perm(user_id, channel_id, permission):
        raise forbidden()
    return channel


def legacy_has(label: str | None, permission: str) -> bool:
    return label is not None and bool(LEGACY_BITS[label] & BIT[permission])


def require_ulid_param(value: str) -> str:
    """A ULID-typed value: 400 unless it parses; canonical upper case (parse-then-format)."""
    if not is_ulid(value):
        raise invalid_request()
    return canonical_ulid(value)
