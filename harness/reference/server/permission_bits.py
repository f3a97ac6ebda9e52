"""Permission bits and the seeded roles of REST.md §3.1–§3.5: data only.

The store seeds every new guild from ``SEED_ROLES`` and ``permissions.GuildAuthz`` evaluates with these
bits; both import this module, so neither imports the other's module for a constant.
"""

from __future__ import annotations

from typing import Iterable

PERMISSIONS: tuple[str, ...] = (
    "manage_roles",
    "manage_member_roles",
    "manage_workspace_roles",
    "manage_channel_overrides",
    "delete_message",
    "ban_member",
    "view_audit_log",
    "manage_ip_bans",
    "create_message",
    "publish_video",
    "publish_screen_share",
    "subscribe_streams",
)
BIT: dict[str, int] = {name: 1 << index for index, name in enumerate(PERMISSIONS)}
ALL_BITS = (1 << len(PERMISSIONS)) - 1


def bits_of(names: Iterable[str]) -> int:
    value = 0
    for name in names:
        value |= BIT[name]
    return value


def names_of(bits: int) -> list[str]:
    """Permission names in canonical order."""
    return [name for name in PERMISSIONS if bits & BIT[name]]


BASIC = bits_of(["create_message", "subscribe_streams"])
# The seeded moderator role holds everything but the two role-management bits (REST.md §3.2).
MODERATOR_BITS = ALL_BITS & ~bits_of(["manage_roles", "manage_workspace_roles"])

# (name, system_key, is_system, position, permission bits) — REST.md §3.2
SEED_ROLES: tuple[tuple[str, str, bool, int, int], ...] = (
    ("@everyone", "everyone", True, 0, BASIC),
    ("workspace_owner", "workspace_owner", True, 10000, ALL_BITS),
    ("moderator", "moderator", False, 100, MODERATOR_BITS),
    ("member", "member", False, 1, BASIC),
)

LABEL_RANK = {"owner": 3, "moderator": 2, "member": 1}
# REST.md §3.5: the legacy moderator set is the seeded moderator role's without manage_channel_overrides.
LEGACY_BITS = {
    "owner": ALL_BITS,
    "moderator": MODERATOR_BITS & ~BIT["manage_channel_overrides"],
    "member": BASIC,
}
