"""SQLite persistence of every piece of domain state (users, sessions, guilds, roles, messages...).

One connection, used only from the event-loop thread. Handlers are synchronous between awaits, so a
mutation and the events it emits are atomic with respect to other requests. Multi-statement
mutations run inside `tx()`.
"""

from __future__ import annotations

import contextlib
import sqlite3
from typing import Any, Iterable, Iterator, Mapping, Sequence

from .ids import new_ulid, now_unix
from .permission_bits import SEED_ROLES

Row = sqlite3.Row

SCHEMA = """
CREATE TABLE IF NOT EXISTS users(
  user_id TEXT PRIMARY KEY, username TEXT NOT NULL UNIQUE, password_hash TEXT NOT NULL,
  about_markdown TEXT NOT NULL DEFAULT '', avatar_version INTEGER NOT NULL DEFAULT 0,
  banner_version INTEGER NOT NULL DEFAULT 0, avatar_mime TEXT, avatar_sha256 TEXT,
  banner_mime TEXT, banner_sha256 TEXT, failed_logins INTEGER NOT NULL DEFAULT 0,
  locked_until REAL NOT NULL DEFAULT 0, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS sessions(
  session_id TEXT PRIMARY KEY, user_id TEXT NOT NULL, token_hash TEXT NOT NULL,
  expires_at INTEGER NOT NULL, revoked INTEGER NOT NULL DEFAULT 0, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS used_refresh_tokens(
  token_hash TEXT PRIMARY KEY, session_id TEXT NOT NULL, expires_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS guilds(
  guild_id TEXT PRIMARY KEY, name TEXT NOT NULL, visibility TEXT NOT NULL, creator_id TEXT NOT NULL,
  default_join_role_id TEXT, created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS members(
  guild_id TEXT NOT NULL, user_id TEXT NOT NULL, legacy_role TEXT NOT NULL,
  joined_at INTEGER NOT NULL, PRIMARY KEY(guild_id, user_id));
CREATE INDEX IF NOT EXISTS members_user ON members(user_id);
CREATE TABLE IF NOT EXISTS guild_bans(
  guild_id TEXT NOT NULL, user_id TEXT NOT NULL, actor_user_id TEXT NOT NULL,
  banned_at INTEGER NOT NULL, PRIMARY KEY(guild_id, user_id));
CREATE TABLE IF NOT EXISTS roles(
  role_id TEXT PRIMARY KEY, guild_id TEXT NOT NULL, name TEXT NOT NULL, system_key TEXT,
  is_system INTEGER NOT NULL, position INTEGER NOT NULL, permissions INTEGER NOT NULL,
  color_hex TEXT, created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS roles_guild ON roles(guild_id);
CREATE TABLE IF NOT EXISTS role_assignments(
  guild_id TEXT NOT NULL, role_id TEXT NOT NULL, user_id TEXT NOT NULL,
  assigned_at INTEGER NOT NULL, PRIMARY KEY(role_id, user_id));
CREATE INDEX IF NOT EXISTS role_assignments_user ON role_assignments(guild_id, user_id);
CREATE TABLE IF NOT EXISTS channels(
  channel_id TEXT PRIMARY KEY, guild_id TEXT NOT NULL, name TEXT NOT NULL, kind TEXT NOT NULL,
  created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS channels_guild ON channels(guild_id);
CREATE TABLE IF NOT EXISTS channel_overrides(
  channel_id TEXT NOT NULL, target_kind TEXT NOT NULL, target_id TEXT NOT NULL,
  guild_id TEXT NOT NULL, allow_bits INTEGER NOT NULL, deny_bits INTEGER NOT NULL,
  updated_at INTEGER NOT NULL, PRIMARY KEY(channel_id, target_kind, target_id));
CREATE TABLE IF NOT EXISTS legacy_channel_overrides(
  channel_id TEXT NOT NULL, role TEXT NOT NULL, guild_id TEXT NOT NULL,
  allow_bits INTEGER NOT NULL, deny_bits INTEGER NOT NULL, updated_at INTEGER NOT NULL,
  PRIMARY KEY(channel_id, role));
CREATE TABLE IF NOT EXISTS messages(
  message_id TEXT PRIMARY KEY, guild_id TEXT NOT NULL, channel_id TEXT NOT NULL,
  author_id TEXT NOT NULL, content TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS messages_channel ON messages(channel_id, message_id);
CREATE INDEX IF NOT EXISTS messages_guild ON messages(guild_id, message_id);
CREATE TABLE IF NOT EXISTS reactions(
  message_id TEXT NOT NULL, emoji TEXT NOT NULL, user_id TEXT NOT NULL, created_at INTEGER NOT NULL,
  PRIMARY KEY(message_id, emoji, user_id));
CREATE TABLE IF NOT EXISTS attachments(
  attachment_id TEXT PRIMARY KEY, guild_id TEXT NOT NULL, channel_id TEXT NOT NULL,
  owner_id TEXT NOT NULL, filename TEXT NOT NULL, mime_type TEXT NOT NULL,
  size_bytes INTEGER NOT NULL, sha256_hex TEXT NOT NULL, message_id TEXT,
  created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS attachments_message ON attachments(message_id);
CREATE INDEX IF NOT EXISTS attachments_owner ON attachments(owner_id);
CREATE TABLE IF NOT EXISTS friendships(
  user_low TEXT NOT NULL, user_high TEXT NOT NULL, created_at INTEGER NOT NULL,
  PRIMARY KEY(user_low, user_high));
CREATE INDEX IF NOT EXISTS friendships_high ON friendships(user_high);
CREATE TABLE IF NOT EXISTS friend_requests(
  request_id TEXT PRIMARY KEY, sender_id TEXT NOT NULL, recipient_id TEXT NOT NULL,
  created_at INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS audit_log(
  audit_id TEXT PRIMARY KEY, guild_id TEXT NOT NULL, actor_user_id TEXT NOT NULL,
  target_user_id TEXT, action TEXT NOT NULL, details TEXT NOT NULL, created_at INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS audit_guild ON audit_log(guild_id, created_at, audit_id);
CREATE TABLE IF NOT EXISTS ip_observations(
  user_id TEXT NOT NULL, ip TEXT NOT NULL, last_seen_at INTEGER NOT NULL, PRIMARY KEY(user_id, ip));
CREATE TABLE IF NOT EXISTS ip_bans(
  ban_id TEXT PRIMARY KEY, guild_id TEXT NOT NULL, network TEXT NOT NULL, source_user_id TEXT,
  reason TEXT, created_at INTEGER NOT NULL, expires_at INTEGER, actor_user_id TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS ip_bans_guild ON ip_bans(guild_id);
"""


def _placeholders(items: Sequence[Any]) -> str:
    return ",".join("?" for _ in items)


class Store:
    def __init__(self, path: str) -> None:
        self.path = path
        self.db = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=OFF")
        self.db.executescript(SCHEMA)
        self._depth = 0

    def close(self) -> None:
        self.db.close()

    # -- plumbing ----------------------------------------------------------------------------------

    @contextlib.contextmanager
    def tx(self) -> Iterator[None]:
        """A write transaction; nested uses join the outer one."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self.db.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth = 0
            self.db.execute("ROLLBACK")
            raise
        self._depth = 0
        self.db.execute("COMMIT")

    @staticmethod
    def _args(args: Iterable[Any] | Mapping[str, Any]) -> Sequence[Any] | Mapping[str, Any]:
        return args if isinstance(args, Mapping) else tuple(args)

    def one(self, sql: str, args: Iterable[Any] = ()) -> Row | None:
        return self.db.execute(sql, self._args(args)).fetchone()

    def all(self, sql: str, args: Iterable[Any] = ()) -> list[Row]:
        return self.db.execute(sql, self._args(args)).fetchall()

    def run(self, sql: str, args: Iterable[Any] | Mapping[str, Any] = ()) -> int:
        return self.db.execute(sql, self._args(args)).rowcount

    def scalar(self, sql: str, args: Iterable[Any] = ()) -> Any:
        row = self.one(sql, args)
        return None if row is None else row[0]

    # -- start-up bootstrap (mirrors the Postgres schema bootstrap, REST.md §2.1) --------------------

    def bootstrap(self) -> None:
        """Run at every start: (a) re-create missing seed roles, (b) back-fill the assignment implied by
        each member's legacy role, (d) default join role := `member` where NULL. (c), copying legacy
        channel overrides, is not needed: the reference applies them when they are written."""
        with self.tx():
            for guild in self.all("SELECT guild_id FROM guilds"):
                gid = guild["guild_id"]
                self._seed_missing_roles(gid)
                self.run(
                    "INSERT OR IGNORE INTO role_assignments(guild_id,role_id,user_id,assigned_at)"
                    " SELECT m.guild_id, r.role_id, m.user_id, ? FROM members m JOIN roles r"
                    " ON r.guild_id=m.guild_id AND r.system_key = CASE m.legacy_role"
                    " WHEN 'owner' THEN 'workspace_owner' ELSE m.legacy_role END"
                    " WHERE m.guild_id=?",
                    (now_unix(), gid),
                )
                member = self.one(
                    "SELECT role_id FROM roles WHERE guild_id=? AND system_key='member'", (gid,)
                )
                if member is not None:
                    self.run(
                        "UPDATE guilds SET default_join_role_id=? WHERE guild_id=? AND default_join_role_id IS NULL",
                        (member["role_id"], gid),
                    )

    def _seed_missing_roles(self, guild_id: str) -> None:
        now = now_unix()
        for name, key, is_system, position, bits in SEED_ROLES:
            if self.one("SELECT 1 FROM roles WHERE guild_id=? AND system_key=?", (guild_id, key)):
                continue
            self.run(
                "INSERT INTO roles(role_id,guild_id,name,system_key,is_system,position,permissions,color_hex,created_at)"
                " VALUES(?,?,?,?,?,?,?,NULL,?)",
                (new_ulid(), guild_id, name, key, int(is_system), position, bits, now),
            )

    # -- users ---------------------------------------------------------------------------------------

    def create_user(self, username: str, password_hash: str) -> str | None:
        """Insert a user; None when the username is taken (nothing changes then)."""
        user_id = new_ulid()
        try:
            self.run(
                "INSERT INTO users(user_id,username,password_hash,created_at) VALUES(?,?,?,?)",
                (user_id, username, password_hash, now_unix()),
            )
        except sqlite3.IntegrityError:
            return None
        return user_id

    def user(self, user_id: str) -> Row | None:
        return self.one("SELECT * FROM users WHERE user_id=?", (user_id,))

    def user_by_name(self, username: str) -> Row | None:
        return self.one("SELECT * FROM users WHERE username=?", (username,))

    def users_by_ids(self, user_ids: Sequence[str]) -> dict[str, Row]:
        if not user_ids:
            return {}
        rows = self.all(f"SELECT * FROM users WHERE user_id IN ({_placeholders(user_ids)})", user_ids)
        return {row["user_id"]: row for row in rows}

    def set_login_state(self, user_id: str, failed: int, locked_until: float) -> None:
        self.run("UPDATE users SET failed_logins=?, locked_until=? WHERE user_id=?", (failed, locked_until, user_id))

    def update_profile(self, user_id: str, username: str | None, about: str | None) -> bool:
        """Apply the given fields; False when the username belongs to someone else."""
        try:
            with self.tx():
                if username is not None:
                    self.run("UPDATE users SET username=? WHERE user_id=?", (username, user_id))
                if about is not None:
                    self.run("UPDATE users SET about_markdown=? WHERE user_id=?", (about, user_id))
        except sqlite3.IntegrityError:
            return False
        return True

    def set_profile_image(self, user_id: str, kind: str, mime: str, sha: str, version: int) -> None:
        assert kind in ("avatar", "banner")
        self.run(
            f"UPDATE users SET {kind}_version=?, {kind}_mime=?, {kind}_sha256=? WHERE user_id=?",
            (version, mime, sha, user_id),
        )

    # -- sessions -----------------------------------------------------------------------------------

    def create_session(self, session_id: str, user_id: str, token_hash: str, expires_at: int) -> None:
        self.run(
            "INSERT INTO sessions(session_id,user_id,token_hash,expires_at,created_at) VALUES(?,?,?,?,?)",
            (session_id, user_id, token_hash, expires_at, now_unix()),
        )

    def session(self, session_id: str) -> Row | None:
        return self.one("SELECT * FROM sessions WHERE session_id=?", (session_id,))

    def rotate_session(self, session_id: str, old_hash: str, new_hash: str, expires_at: int, used_until: int) -> None:
        with self.tx():
            self.run(
                "UPDATE sessions SET token_hash=?, expires_at=? WHERE session_id=?",
                (new_hash, expires_at, session_id),
            )
            self.run(
                "INSERT OR REPLACE INTO used_refresh_tokens(token_hash,session_id,expires_at) VALUES(?,?,?)",
                (old_hash, session_id, used_until),
            )

    def used_token_session(self, token_hash: str) -> str | None:
        return self.scalar(
            "SELECT session_id FROM used_refresh_tokens WHERE token_hash=? AND expires_at>?",
            (token_hash, now_unix()),
        )

    def revoke_session(self, session_id: str) -> None:
        self.run("UPDATE sessions SET revoked=1 WHERE session_id=?", (session_id,))

    # -- guilds -------------------------------------------------------------------------------------

    def create_guild(self, creator_id: str, name: str, visibility: str) -> str:
        guild_id = new_ulid()
        now = now_unix()
        with self.tx():
            self.run(
                "INSERT INTO guilds(guild_id,name,visibility,creator_id,default_join_role_id,created_at)"
                " VALUES(?,?,?,?,NULL,?)",
                (guild_id, name, visibility, creator_id, now),
            )
            self._seed_missing_roles(guild_id)
            self.run(
                "INSERT INTO members(guild_id,user_id,legacy_role,joined_at) VALUES(?,?,?,?)",
                (guild_id, creator_id, "owner", now),
            )
            owner_role = self.scalar(
                "SELECT role_id FROM roles WHERE guild_id=? AND system_key='workspace_owner'", (guild_id,)
            )
            self.assign_role(guild_id, owner_role, creator_id)
        return guild_id

    def guild(self, guild_id: str) -> Row | None:
        return self.one("SELECT * FROM guilds WHERE guild_id=?", (guild_id,))

    def count_created_guilds(self, user_id: str) -> int:
        return int(self.scalar("SELECT COUNT(*) FROM guilds WHERE creator_id=?", (user_id,)))

    def user_guilds(self, user_id: str, limit: int = 200) -> list[Row]:
        return self.all(
            "SELECT g.* FROM guilds g JOIN members m ON m.guild_id=g.guild_id AND m.user_id=?"
            " WHERE NOT EXISTS(SELECT 1 FROM guild_bans b WHERE b.guild_id=g.guild_id AND b.user_id=?)"
            " ORDER BY g.created_at DESC, g.guild_id DESC LIMIT ?",
            (user_id, user_id, limit),
        )

    def update_guild(self, guild_id: str, name: str, visibility: str) -> None:
        self.run("UPDATE guilds SET name=?, visibility=? WHERE guild_id=?", (name, visibility, guild_id))

    def public_guilds(self, pattern: str | None, limit: int) -> list[Row]:
        if pattern:
            # SQL LIKE on purpose: `%` and `_` act as wildcards, as in the Postgres build (REST.md §8.4)
            return self.all(
                "SELECT * FROM guilds WHERE visibility='public' AND lower(name) LIKE ?"
                " ORDER BY created_at DESC, guild_id DESC LIMIT ?",
                (f"%{pattern}%", limit),
            )
        return self.all(
            "SELECT * FROM guilds WHERE visibility='public' ORDER BY created_at DESC, guild_id DESC LIMIT ?",
            (limit,),
        )

    # -- membership and bans ------------------------------------------------------------------------

    def member(self, guild_id: str, user_id: str) -> Row | None:
        return self.one("SELECT * FROM members WHERE guild_id=? AND user_id=?", (guild_id, user_id))

    def members_of(self, guild_id: str, user_ids: Sequence[str]) -> dict[str, Row]:
        if not user_ids:
            return {}
        rows = self.all(
            f"SELECT * FROM members WHERE guild_id=? AND user_id IN ({_placeholders(user_ids)})",
            (guild_id, *user_ids),
        )
        return {row["user_id"]: row for row in rows}

    def add_member(self, guild_id: str, user_id: str, default_role_id: str | None) -> bool:
        """Add as legacy `member` (+ default join role); False if already a member."""
        with self.tx():
            if self.member(guild_id, user_id):
                return False
            self.run(
                "INSERT INTO members(guild_id,user_id,legacy_role,joined_at) VALUES(?,?,?,?)",
                (guild_id, user_id, "member", now_unix()),
            )
            if default_role_id:
                self.assign_role(guild_id, default_role_id, user_id)
        return True

    def remove_member(self, guild_id: str, user_id: str) -> None:
        with self.tx():
            self.run("DELETE FROM members WHERE guild_id=? AND user_id=?", (guild_id, user_id))
            self.run("DELETE FROM role_assignments WHERE guild_id=? AND user_id=?", (guild_id, user_id))

    def set_legacy_role(self, guild_id: str, user_id: str, role: str) -> None:
        self.run("UPDATE members SET legacy_role=? WHERE guild_id=? AND user_id=?", (role, guild_id, user_id))

    def list_members(self, guild_id: str, after: str | None, limit: int) -> list[Row]:
        if after is None:
            return self.all(
                "SELECT * FROM members WHERE guild_id=? ORDER BY user_id LIMIT ?", (guild_id, limit)
            )
        return self.all(
            "SELECT * FROM members WHERE guild_id=? AND user_id>? ORDER BY user_id LIMIT ?",
            (guild_id, after, limit),
        )

    def co_member_ids(self, user_id: str) -> set[str]:
        """Users sharing at least one guild membership with `user_id` (banned rows excluded)."""
        rows = self.all(
            "SELECT DISTINCT o.user_id FROM members m JOIN members o ON o.guild_id=m.guild_id"
            " WHERE m.user_id=? AND o.user_id<>?"
            " AND NOT EXISTS(SELECT 1 FROM guild_bans b WHERE b.guild_id=m.guild_id AND b.user_id IN (m.user_id, o.user_id))",
            (user_id, user_id),
        )
        return {r[0] for r in rows}

    def is_banned(self, guild_id: str, user_id: str) -> bool:
        return self.one("SELECT 1 FROM guild_bans WHERE guild_id=? AND user_id=?", (guild_id, user_id)) is not None

    def banned_among(self, guild_id: str, user_ids: Sequence[str]) -> set[str]:
        if not user_ids:
            return set()
        rows = self.all(
            f"SELECT user_id FROM guild_bans WHERE guild_id=? AND user_id IN ({_placeholders(user_ids)})",
            (guild_id, *user_ids),
        )
        return {r[0] for r in rows}

    def ban_user(self, guild_id: str, user_id: str, actor_id: str, at: int) -> None:
        with self.tx():
            self.run(
                "INSERT OR REPLACE INTO guild_bans(guild_id,user_id,actor_user_id,banned_at) VALUES(?,?,?,?)",
                (guild_id, user_id, actor_id, at),
            )
            self.remove_member(guild_id, user_id)

    # -- roles --------------------------------------------------------------------------------------

    def roles(self, guild_id: str) -> list[Row]:
        return self.all(
            "SELECT * FROM roles WHERE guild_id=? ORDER BY position DESC, created_at ASC, role_id ASC",
            (guild_id,),
        )

    def role(self, guild_id: str, role_id: str) -> Row | None:
        return self.one("SELECT * FROM roles WHERE guild_id=? AND role_id=?", (guild_id, role_id))

    def count_roles(self, guild_id: str) -> int:
        return int(self.scalar("SELECT COUNT(*) FROM roles WHERE guild_id=?", (guild_id,)))

    def create_role(self, guild_id: str, name: str, bits: int, position: int, color: str | None) -> str:
        role_id = new_ulid()
        self.run(
            "INSERT INTO roles(role_id,guild_id,name,system_key,is_system,position,permissions,color_hex,created_at)"
            " VALUES(?,?,?,NULL,0,?,?,?,?)",
            (role_id, guild_id, name, position, bits, color, now_unix()),
        )
        return role_id

    def update_role(self, role_id: str, name: str | None, bits: int | None, color: str | None) -> None:
        with self.tx():
            if name is not None:
                self.run("UPDATE roles SET name=? WHERE role_id=?", (name, role_id))
            if bits is not None:
                self.run("UPDATE roles SET permissions=? WHERE role_id=?", (bits, role_id))
            if color is not None:
                self.run("UPDATE roles SET color_hex=? WHERE role_id=?", (color, role_id))

    def delete_role(self, guild_id: str, role_id: str) -> None:
        with self.tx():
            self.run("DELETE FROM roles WHERE role_id=?", (role_id,))
            self.run("DELETE FROM role_assignments WHERE role_id=?", (role_id,))
            self.run(
                "UPDATE guilds SET default_join_role_id=NULL WHERE guild_id=? AND default_join_role_id=?",
                (guild_id, role_id),
            )

    def set_role_positions(self, positions: dict[str, int]) -> None:
        with self.tx():
            for role_id, position in positions.items():
                self.run("UPDATE roles SET position=? WHERE role_id=?", (position, role_id))

    def set_default_join_role(self, guild_id: str, role_id: str | None) -> None:
        self.run("UPDATE guilds SET default_join_role_id=? WHERE guild_id=?", (role_id, guild_id))

    def assignments(self, guild_id: str, user_ids: Sequence[str]) -> dict[str, set[str]]:
        """Explicit role assignments (ids of existing roles only) per user."""
        out: dict[str, set[str]] = {uid: set() for uid in user_ids}
        if not user_ids:
            return out
        rows = self.all(
            "SELECT ra.user_id, ra.role_id FROM role_assignments ra JOIN roles r ON r.role_id=ra.role_id"
            f" WHERE ra.guild_id=? AND ra.user_id IN ({_placeholders(user_ids)})",
            (guild_id, *user_ids),
        )
        for row in rows:
            out[row["user_id"]].add(row["role_id"])
        return out

    def assign_role(self, guild_id: str, role_id: str, user_id: str) -> None:
        self.run(
            "INSERT OR IGNORE INTO role_assignments(guild_id,role_id,user_id,assigned_at) VALUES(?,?,?,?)",
            (guild_id, role_id, user_id, now_unix()),
        )

    def unassign_role(self, role_id: str, user_id: str) -> None:
        self.run("DELETE FROM role_assignments WHERE role_id=? AND user_id=?", (role_id, user_id))

    def role_holder_count(self, role_id: str) -> int:
        return int(self.scalar("SELECT COUNT(*) FROM role_assignments WHERE role_id=?", (role_id,)))

    # -- channels and overrides ---------------------------------------------------------------------

    def create_channel(self, guild_id: str, name: str, kind: str) -> str:
        channel_id = new_ulid()
        self.run(
            "INSERT INTO channels(channel_id,guild_id,name,kind,created_at) VALUES(?,?,?,?,?)",
            (channel_id, guild_id, name, kind, now_unix()),
        )
        return channel_id

    def channel(self, guild_id: str, channel_id: str) -> Row | None:
        return self.one("SELECT * FROM channels WHERE guild_id=? AND channel_id=?", (guild_id, channel_id))

    def channels(self, guild_id: str, limit: int = 500) -> list[Row]:
        return self.all(
            "SELECT * FROM channels WHERE guild_id=? ORDER BY created_at ASC, channel_id ASC LIMIT ?",
            (guild_id, limit),
        )

    def overrides(self, guild_id: str) -> list[Row]:
        return self.all("SELECT * FROM channel_overrides WHERE guild_id=?", (guild_id,))

    def upsert_override(self, guild_id: str, channel_id: str, kind: str, target: str, allow: int, deny: int) -> None:
        self.run(
            "INSERT OR REPLACE INTO channel_overrides(channel_id,target_kind,target_id,guild_id,allow_bits,deny_bits,updated_at)"
            " VALUES(?,?,?,?,?,?,?)",
            (channel_id, kind, target, guild_id, allow, deny, now_unix()),
        )

    def upsert_legacy_override(self, guild_id: str, channel_id: str, role: str, allow: int, deny: int) -> None:
        self.run(
            "INSERT OR REPLACE INTO legacy_channel_overrides(channel_id,role,guild_id,allow_bits,deny_bits,updated_at)"
            " VALUES(?,?,?,?,?,?)",
            (channel_id, role, guild_id, allow, deny, now_unix()),
        )

    # -- messages and reactions ---------------------------------------------------------------------

    def create_message(self, guild_id: str, channel_id: str, author_id: str, content: str, attachment_ids: Sequence[str]) -> str:
        message_id = new_ulid()
        with self.tx():
            self.run(
                "INSERT INTO messages(message_id,guild_id,channel_id,author_id,content,created_at) VALUES(?,?,?,?,?,?)",
                (message_id, guild_id, channel_id, author_id, content, now_unix()),
            )
            for attachment_id in attachment_ids:
                self.run("UPDATE attachments SET message_id=? WHERE attachment_id=?", (message_id, attachment_id))
        return message_id

    def message(self, channel_id: str, message_id: str) -> Row | None:
        return self.one("SELECT * FROM messages WHERE channel_id=? AND message_id=?", (channel_id, message_id))

    def list_messages(self, channel_id: str, before: str | None, limit: int) -> list[Row]:
        if before is None:
            return self.all(
                "SELECT * FROM messages WHERE channel_id=? ORDER BY message_id DESC LIMIT ?", (channel_id, limit)
            )
        return self.all(
            "SELECT * FROM messages WHERE channel_id=? AND message_id<? ORDER BY message_id DESC LIMIT ?",
            (channel_id, before, limit),
        )

    def guild_messages(self, guild_id: str, channel_id: str | None) -> list[Row]:
        if channel_id is None:
            return self.all("SELECT * FROM messages WHERE guild_id=? ORDER BY message_id DESC", (guild_id,))
        return self.all(
            "SELECT * FROM messages WHERE guild_id=? AND channel_id=? ORDER BY message_id DESC",
            (guild_id, channel_id),
        )

    def update_message(self, message_id: str, content: str) -> None:
        self.run("UPDATE messages SET content=? WHERE message_id=?", (content, message_id))

    def delete_message(self, message_id: str) -> list[str]:
        """Delete the message, its reactions and attachments; returns the attachment ids removed."""
        with self.tx():
            ids = [r[0] for r in self.all("SELECT attachment_id FROM attachments WHERE message_id=?", (message_id,))]
            self.run("DELETE FROM attachments WHERE message_id=?", (message_id,))
            self.run("DELETE FROM reactions WHERE message_id=?", (message_id,))
            self.run("DELETE FROM messages WHERE message_id=?", (message_id,))
        return ids

    def reaction_rows(self, message_ids: Sequence[str]) -> list[Row]:
        if not message_ids:
            return []
        return self.all(
            f"SELECT message_id, emoji, user_id FROM reactions WHERE message_id IN ({_placeholders(message_ids)})"
            " ORDER BY message_id, emoji, user_id",
            message_ids,
        )

    def add_reaction(self, message_id: str, emoji: str, user_id: str) -> None:
        self.run(
            "INSERT OR IGNORE INTO reactions(message_id,emoji,user_id,created_at) VALUES(?,?,?,?)",
            (message_id, emoji, user_id, now_unix()),
        )

    def remove_reaction(self, message_id: str, emoji: str, user_id: str) -> None:
        self.run("DELETE FROM reactions WHERE message_id=? AND emoji=? AND user_id=?", (message_id, emoji, user_id))

    def reaction_count(self, message_id: str, emoji: str) -> int:
        return int(self.scalar("SELECT COUNT(*) FROM reactions WHERE message_id=? AND emoji=?", (message_id, emoji)))

    # -- attachments --------------------------------------------------------------------------------

    def create_attachment(self, row: dict[str, Any]) -> None:
        self.run(
            "INSERT INTO attachments(attachment_id,guild_id,channel_id,owner_id,filename,mime_type,size_bytes,sha256_hex,message_id,created_at)"
            " VALUES(:attachment_id,:guild_id,:channel_id,:owner_id,:filename,:mime_type,:size_bytes,:sha256_hex,NULL,:created_at)",
            row,
        )

    def attachment(self, guild_id: str, channel_id: str, attachment_id: str) -> Row | None:
        return self.one(
            "SELECT * FROM attachments WHERE guild_id=? AND channel_id=? AND attachment_id=?",
            (guild_id, channel_id, attachment_id),
        )

    def attachments_by_ids(self, attachment_ids: Sequence[str]) -> dict[str, Row]:
        if not attachment_ids:
            return {}
        rows = self.all(
            f"SELECT * FROM attachments WHERE attachment_id IN ({_placeholders(attachment_ids)})", attachment_ids
        )
        return {row["attachment_id"]: row for row in rows}

    def attachments_for_messages(self, message_ids: Sequence[str]) -> dict[str, list[Row]]:
        out: dict[str, list[Row]] = {mid: [] for mid in message_ids}
        if not message_ids:
            return out
        rows = self.all(
            f"SELECT * FROM attachments WHERE message_id IN ({_placeholders(message_ids)})"
            " ORDER BY created_at, attachment_id",
            message_ids,
        )
        for row in rows:
            out[row["message_id"]].append(row)
        return out

    def delete_attachment(self, attachment_id: str) -> None:
        self.run("DELETE FROM attachments WHERE attachment_id=?", (attachment_id,))

    def user_attachment_bytes(self, user_id: str) -> int:
        return int(self.scalar("SELECT COALESCE(SUM(size_bytes),0) FROM attachments WHERE owner_id=?", (user_id,)))

    # -- friends ------------------------------------------------------------------------------------

    @staticmethod
    def _pair(a: str, b: str) -> tuple[str, str]:
        return (a, b) if a < b else (b, a)

    def friendship(self, a: str, b: str) -> Row | None:
        return self.one("SELECT * FROM friendships WHERE user_low=? AND user_high=?", self._pair(a, b))

    def add_friendship(self, a: str, b: str, at: int) -> None:
        self.run("INSERT OR IGNORE INTO friendships(user_low,user_high,created_at) VALUES(?,?,?)", (*self._pair(a, b), at))

    def remove_friendship(self, a: str, b: str) -> bool:
        return self.run("DELETE FROM friendships WHERE user_low=? AND user_high=?", self._pair(a, b)) > 0

    def friends(self, user_id: str) -> list[Row]:
        return self.all(
            "SELECT CASE WHEN f.user_low=? THEN f.user_high ELSE f.user_low END AS user_id, f.created_at AS created_at,"
            " u.username AS username FROM friendships f"
            " JOIN users u ON u.user_id = CASE WHEN f.user_low=? THEN f.user_high ELSE f.user_low END"
            " WHERE f.user_low=? OR f.user_high=? ORDER BY f.created_at DESC, user_id DESC",
            (user_id, user_id, user_id, user_id),
        )

    def friend_ids(self, user_id: str) -> set[str]:
        """The other party of every friendship of `user_id` (profile fanout: no join, no ordering)."""
        rows = self.all(
            "SELECT CASE WHEN user_low=? THEN user_high ELSE user_low END FROM friendships WHERE user_low=? OR user_high=?",
            (user_id, user_id, user_id),
        )
        return {r[0] for r in rows}

    def create_friend_request(self, sender: str, recipient: str) -> Row:
        request_id = new_ulid()
        self.run(
            "INSERT INTO friend_requests(request_id,sender_id,recipient_id,created_at) VALUES(?,?,?,?)",
            (request_id, sender, recipient, now_unix()),
        )
        row = self.friend_request(request_id)
        assert row is not None
        return row

    def friend_request(self, request_id: str) -> Row | None:
        return self.one("SELECT * FROM friend_requests WHERE request_id=?", (request_id,))

    def pending_request_between(self, a: str, b: str) -> bool:
        return (
            self.one(
                "SELECT 1 FROM friend_requests WHERE (sender_id=? AND recipient_id=?) OR (sender_id=? AND recipient_id=?)",
                (a, b, b, a),
            )
            is not None
        )

    def friend_requests_of(self, user_id: str) -> list[Row]:
        return self.all(
            "SELECT r.*, s.username AS sender_username, t.username AS recipient_username FROM friend_requests r"
            " JOIN users s ON s.user_id=r.sender_id JOIN users t ON t.user_id=r.recipient_id"
            " WHERE r.sender_id=? OR r.recipient_id=? ORDER BY r.created_at DESC, r.request_id DESC",
            (user_id, user_id),
        )

    def delete_friend_request(self, request_id: str) -> None:
        self.run("DELETE FROM friend_requests WHERE request_id=?", (request_id,))

    # -- audit --------------------------------------------------------------------------------------

    def audit(self, guild_id: str, actor_id: str, action: str, target_id: str | None = None, details: str = "{}") -> None:
        self.run(
            "INSERT INTO audit_log(audit_id,guild_id,actor_user_id,target_user_id,action,details,created_at) VALUES(?,?,?,?,?,?,?)",
            (new_ulid(), guild_id, actor_id, target_id, action, details, now_unix()),
        )

    def list_audit(self, guild_id: str, prefix: str | None, cursor: tuple[int, str] | None, limit: int) -> list[Row]:
        sql = "SELECT * FROM audit_log WHERE guild_id=?"
        args: list[Any] = [guild_id]
        if prefix:
            sql += " AND substr(action,1,?)=?"
            args += [len(prefix), prefix]
        if cursor:
            sql += " AND (created_at<? OR (created_at=? AND audit_id<?))"
            args += [cursor[0], cursor[0], cursor[1]]
        sql += " ORDER BY created_at DESC, audit_id DESC LIMIT ?"
        args.append(limit)
        return self.all(sql, args)

    # -- IP observations and IP bans ----------------------------------------------------------------

    def record_ip_observation(self, user_id: str, ip: str, min_interval: int = 60) -> None:
        now = now_unix()
        row = self.one("SELECT last_seen_at FROM ip_observations WHERE user_id=? AND ip=?", (user_id, ip))
        if row is not None and now - row[0] < min_interval:
            return
        self.run("INSERT OR REPLACE INTO ip_observations(user_id,ip,last_seen_at) VALUES(?,?,?)", (user_id, ip, now))

    def ip_observations(self, user_id: str, limit: int) -> list[str]:
        rows = self.all(
            "SELECT ip FROM ip_observations WHERE user_id=? ORDER BY last_seen_at DESC, ip LIMIT ?", (user_id, limit)
        )
        return [r[0] for r in rows]

    def active_ip_bans(self, guild_id: str) -> list[Row]:
        return self.all(
            "SELECT * FROM ip_bans WHERE guild_id=? AND (expires_at IS NULL OR expires_at>?)", (guild_id, now_unix())
        )

    def count_ip_bans(self, guild_id: str) -> int:
        return int(self.scalar("SELECT COUNT(*) FROM ip_bans WHERE guild_id=?", (guild_id,)))

    def create_ip_ban(self, guild_id: str, network: str, source_user_id: str, reason: str | None, expires_at: int | None, actor: str) -> str:
        ban_id = new_ulid()
        self.run(
            "INSERT INTO ip_bans(ban_id,guild_id,network,source_user_id,reason,created_at,expires_at,actor_user_id)"
            " VALUES(?,?,?,?,?,?,?,?)",
            (ban_id, guild_id, network, source_user_id, reason, now_unix(), expires_at, actor),
        )
        return ban_id

    def ip_ban(self, guild_id: str, ban_id: str) -> Row | None:
        return self.one("SELECT * FROM ip_bans WHERE guild_id=? AND ban_id=?", (guild_id, ban_id))

    def delete_ip_ban(self, ban_id: str) -> None:
        self.run("DELETE FROM ip_bans WHERE ban_id=?", (ban_id,))

    def list_ip_bans(self, guild_id: str, cursor: tuple[int, str] | None, limit: int) -> list[Row]:
        sql = "SELECT * FROM ip_bans WHERE guild_id=? AND (expires_at IS NULL OR expires_at>?)"
        args: list[Any] = [guild_id, now_unix()]
        if cursor:
            sql += " AND (created_at<? OR (created_at=? AND ban_id<?))"
            args += [cursor[0], cursor[0], cursor[1]]
        sql += " ORDER BY created_at DESC, ban_id DESC LIMIT ?"
        args.append(limit)
        return self.all(sql, args)
