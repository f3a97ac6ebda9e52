"""The permission model of REST.md §3: overrides, hierarchy, legacy labels, evaluated per user.

`GuildAuthz` is a read-only snapshot of one guild's authorisation state, loaded lazily from the
store. REST handlers build one per request; the emitter builds one per broadcast to re-check every
recipient at delivery time. The bits and seeded roles are data in ``permission_bits``.
"""

from __future__ import annotations

from typing import Iterable

from .permission_bits import (  # noqa: F401  (re-exported: handlers import the bits from here)
    PERMISSIONS, BIT, ALL_BITS, bits_of, names_of, BASIC, MODERATOR_BITS, SEED_ROLES, LABEL_RANK, LEGACY_BITS,
)
from .store import Row, Store

NEG_INF = float("-inf")
POS_INF = float("inf")


class GuildAuthz:
    """Authorisation state of one guild, evaluated per user (REST.md §3.4–§3.7)."""

    def __init__(self, store: Store, guild_id: str, server_owner_id: str | None) -> None:
        self.store = store
        self.guild_id = guild_id
        self.server_owner_id = server_owner_id
        self.guild = store.guild(guild_id)
        self.roles: list[Row] = store.roles(guild_id) if self.guild else []
        self.role_by_id = {r["role_id"]: r for r in self.roles}
        self.everyone = self._by_key("everyone")
        self.owner_role = self._by_key("workspace_owner")
        self.moderator_role = self._by_key_or_name("moderator")
        self.member_role = self._by_key_or_name("member")
        # DB mode: a guild whose seed roles cannot all be found falls back to basic permissions (§3.4.7)
        self.degraded = None in (self.everyone, self.owner_role, self.moderator_role, self.member_role)
        self._members: dict[str, Row | None] = {}
        self._banned: dict[str, bool] = {}
        self._assign: dict[str, set[str]] = {}
        self._overrides: dict[str, list[Row]] | None = None

    # -- loading ------------------------------------------------------------------------------------

    def _by_key(self, key: str) -> Row | None:
        for role in self.roles:
            if role["system_key"] == key:
                return role
        return None

    def _by_key_or_name(self, key: str) -> Row | None:
        found = self._by_key(key)
        if found is not None:
            return found
        candidates = [r for r in self.roles if r["name"].lower() == key]
        candidates.sort(key=lambda r: (r["created_at"], r["role_id"]))
        return candidates[0] if candidates else None

    def preload(self, user_ids: Iterable[str]) -> None:
        """Load membership, bans and assignments of many users in three queries."""
        wanted = [u for u in dict.fromkeys(user_ids) if u not in self._members]
        if not wanted or self.guild is None:
            return
        rows = self.store.members_of(self.guild_id, wanted)
        banned = self.store.banned_among(self.guild_id, wanted)
        assigned = self.store.assignments(self.guild_id, wanted)
        for uid in wanted:
            self._members[uid] = rows.get(uid)
            self._banned[uid] = uid in banned
            self._assign[uid] = assigned.get(uid, set())

    def _member_row(self, user_id: str) -> Row | None:
        self.preload([user_id])
        return self._members.get(user_id)

    def _channel_overrides(self, channel_id: str) -> list[Row]:
        if self._overrides is None:
            grouped: dict[str, list[Row]] = {}
            for row in self.store.overrides(self.guild_id):
                grouped.setdefault(row["channel_id"], []).append(row)
            self._overrides = grouped
        return self._overrides.get(channel_id, [])

    # -- identity -----------------------------------------------------------------------------------

    @property
    def exists(self) -> bool:
        return self.guild is not None

    def is_server_owner(self, user_id: str) -> bool:
        return self.server_owner_id is not None and user_id == self.server_owner_id

    def is_banned(self, user_id: str) -> bool:
        self.preload([user_id])
        return self._banned.get(user_id, False)

    def is_member(self, user_id: str) -> bool:
        """A current member: membership row present and not banned."""
        return self._member_row(user_id) is not None and not self.is_banned(user_id)

    def has_access(self, user_id: str) -> bool:
        """Member, or the configured server owner (who needs no membership)."""
        return self.exists and (self.is_server_owner(user_id) or self.is_member(user_id))

    def legacy_role(self, user_id: str) -> str | None:
        row = self._member_row(user_id)
        return None if row is None else row["legacy_role"]

    def explicit_assignments(self, user_id: str) -> set[str]:
        self.preload([user_id])
        return set(self._assign.get(user_id, set()))

    def implied_role_id(self, legacy: str) -> str | None:
        role = {"owner": self.owner_role, "moderator": self.moderator_role, "member": self.member_role}[legacy]
        return None if role is None else role["role_id"]

    def effective_assignments(self, user_id: str) -> set[str]:
        legacy = self.legacy_role(user_id)
        roles = self.explicit_assignments(user_id)
        if legacy is not None:
            implied = self.implied_role_id(legacy)
            if implied:
                roles.add(implied)
        return roles

    def is_workspace_owner(self, user_id: str) -> bool:
        return self.owner_role is not None and self.owner_role["role_id"] in self.effective_assignments(user_id)

    def _label_of(self, roles: set[str]) -> str:
        """owner if the set holds workspace_owner, else moderator if it holds the moderator role (§3.3)."""
        if self.owner_role is not None and self.owner_role["role_id"] in roles:
            return "owner"
        if self.moderator_role is not None and self.moderator_role["role_id"] in roles:
            return "moderator"
        return "member"

    def label(self, user_id: str) -> str | None:
        """Resolved role label (§3.3); None for non-members."""
        if self.is_server_owner(user_id):
            return "owner"
        if not self.is_member(user_id):
            return None
        if self.degraded:
            return self.legacy_role(user_id)
        return self._label_of(self.effective_assignments(user_id))

    # -- permissions --------------------------------------------------------------------------------

    def guild_bits(self, user_id: str) -> int | None:
        """G-perms; None when the user has no access to the guild."""
        if not self.exists:
            return None
        if self.is_server_owner(user_id):
            return ALL_BITS
        if not self.is_member(user_id):
            return None
        if self.degraded:
            return BASIC
        roles = self.effective_assignments(user_id)
        if self.owner_role["role_id"] in roles:
            return ALL_BITS
        bits = self.everyone["permissions"]
        for role_id in roles:
            role = self.role_by_id.get(role_id)
            if role is not None:
                bits |= role["permissions"]
        return bits & ALL_BITS

    def channel_bits(self, user_id: str, channel_id: str) -> int | None:
        """C-perms after the three override layers; None when the guild is not accessible."""
        bits = self.guild_bits(user_id)
        if bits is None:
            return None
        if self.is_server_owner(user_id) or self.degraded:
            return bits
        roles = self.effective_assignments(user_id)
        if self.owner_role["role_id"] in roles:  # workspace owners ignore channel overrides (§3.4.5)
            return bits
        everyone_allow = everyone_deny = role_allow = role_deny = member_allow = member_deny = 0
        for row in self._channel_overrides(channel_id):
            allow, deny = row["allow_bits"], row["deny_bits"]
            if row["target_kind"] == "role":
                if row["target_id"] == self.everyone["role_id"]:
                    everyone_allow, everyone_deny = allow & ~deny, deny
                elif row["target_id"] in roles:
                    role_allow |= allow
                    role_deny |= deny
            elif row["target_kind"] == "member" and row["target_id"] == user_id:
                member_allow, member_deny = allow & ~deny, deny
        role_allow &= ~role_deny  # deny wins inside the role layer
        bits = (bits & ~everyone_deny) | everyone_allow
        bits = (bits & ~role_deny) | role_allow
        bits = (bits & ~member_deny) | member_allow
        return bits & ALL_BITS

    def has_guild_perm(self, user_id: str, name: str) -> bool:
        bits = self.guild_bits(user_id)
        return bits is not None and bool(bits & BIT[name])

    def channel_exists(self, channel_id: str) -> bool:
        return self.exists and self.store.channel(self.guild_id, channel_id) is not None

    def has_channel_perm(self, user_id: str, channel_id: str, name: str) -> bool:
        bits = self.channel_bits(user_id, channel_id)
        return bits is not None and bool(bits & BIT[name])

    def can_see_channel(self, user_id: str, channel_id: str) -> bool:
        """REST.md §3.8: C-perm create_message (and the channel exists)."""
        return self.has_channel_perm(user_id, channel_id, "create_message") and self.channel_exists(channel_id)

    def can_moderate_ip_bans(self, user_id: str) -> bool:
        return self.has_guild_perm(user_id, "manage_ip_bans")

    # -- hierarchy (§3.7) ---------------------------------------------------------------------------

    def highest_position(self, user_id: str) -> float:
        if self.is_server_owner(user_id):
            return POS_INF
        roles = self.explicit_assignments(user_id)
        legacy = self.legacy_role(user_id)
        if legacy == "owner" and self.owner_role is not None:
            roles.add(self.owner_role["role_id"])
        if legacy == "moderator" and self.moderator_role is not None:
            roles.add(self.moderator_role["role_id"])
        positions = [self.role_by_id[r]["position"] for r in roles if r in self.role_by_id]
        return max(positions) if positions else NEG_INF

    def can_manage_role(self, user_id: str, role: Row) -> bool:
        if self.is_server_owner(user_id):
            return True
        if role["system_key"] in ("workspace_owner", "everyone"):
            return False
        if self.is_workspace_owner(user_id):
            return True
        return role["position"] < self.highest_position(user_id)

    def recompute_legacy(self, user_id: str) -> str:
        """Legacy role implied by the explicit assignments as stored now (§3.3), not the snapshot's."""
        return self._label_of(self.store.assignments(self.guild_id, [user_id]).get(user_id, set()))
