"""Input rules (REST.md §6–§10) and the common gates every guild route starts with.

Gates return ``None`` when passed, else the refusal; mutations chain them in the order the contract
gives for their route.
"""
from __future__ import annotations

import re

from harness.model import permissions as perms
from harness.model.mutations.base import Verdict, forbidden
from harness.model.world import World

_USERNAME = re.compile(r"^[A-Za-z0-9_.]{3,32}$")
_COLOR = re.compile(r"^#[0-9A-Fa-f]{6}$")


def valid_username(name: str) -> bool:
    return bool(_USERNAME.match(name))


def valid_password(password: str) -> bool:
    return 12 <= len(password.encode()) <= 128


def valid_display_name(name: str) -> bool:
    """Guild and channel names: 1–64 bytes, printable ASCII or space, no trimming (§8.1)."""
    return 1 <= len(name.encode()) <= 64 and all(0x20 <= ord(c) <= 0x7E for c in name)


def role_name_problem(name: str) -> bool:
    """True when a role name is refused (400): trimmed 1–32 bytes, no control chars, not reserved."""
    trimmed = name.strip()
    if not 1 <= len(trimmed.encode()) <= 32:
        return True
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in trimmed):
        return True
    return trimmed == "@everyone" or trimmed.lower() == "workspace_owner"


def normalize_color(color: str) -> str | None:
    """``#rrggbb`` -> ``#RRGGBB`` (trimmed); None when invalid."""
    trimmed = color.strip()
    return trimmed.upper() if _COLOR.match(trimmed) else None


def valid_content(content: str) -> bool:
    return 1 <= len(content.encode()) <= 2000


def valid_emoji(emoji: str) -> bool:
    return 1 <= len(emoji) <= 32 and not any(c.isspace() for c in emoji)


def valid_about(about: str) -> bool:
    return len(about.encode()) <= 2048 and "\x00" not in about


# ---- gates ---------------------------------------------------------------------------------------

def ip_gate(world: World, guild: str) -> Verdict | None:
    """REST.md §3.10: every caller from a banned address gets 403 on the gated routes."""
    return forbidden() if world.harness_ip_banned(guild) else None


def member_gate(world: World, guild: str, actor: str) -> Verdict | None:
    g = world.guild(guild)
    if perms.is_server_owner(world, actor) or perms.is_member(g, actor):
        return None
    return forbidden()


def guild_perm_gate(world: World, guild: str, actor: str, perm: str) -> Verdict | None:
    if perms.has_guild_perm(world, world.guild(guild), actor, perm):
        return None
    return forbidden()


def channel_perm_gate(world: World, channel: str, actor: str, perm: str) -> Verdict | None:
    """C-perm check: 403 for non-members and for a missing permission (channels are always known)."""
    if perms.has_channel_perm(world, channel, actor, perm):
        return None
    return forbidden()
