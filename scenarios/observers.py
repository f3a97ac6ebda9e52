"""Standard observers: one client per visibility class, each its own login session.

A visibility class names *why* a client must or must not see a mutation's events (GATEWAY.md §6);
the model derives MUST / MAY / MUST_NOT for every connection, the class only documents the intent and
is reported per row in the result file (``ClientRecord.visibility_class``).

The audiences below pair each class with a user of the standard worlds (``worlds.py``). A scenario
picks the audience of its row's scope and, for channel rows, a ``deny_view`` step that turns the
``denied_by_override`` observer's access off *after* it subscribed.
"""
from __future__ import annotations

from typing import Literal

from harness.engine.scenario import ClientSpec, StepSpec

GENERAL, RANDOM, ELSEWHERE = "lab/general", "lab/random", "other/elsewhere"
LOUNGE, DEN = "hub/lounge", "solo/den"
HALL = "vault/hall"

# ---- the visibility classes -------------------------------------------------------------------------

ACTOR = "actor"
ACTOR_OTHER_SESSION = "actor_other_session"
SAME_CHANNEL = "same_channel"
OTHER_CHANNEL = "other_channel"
DENIED_BY_OVERRIDE = "denied_by_override"
MODERATOR = "moderator"
PLAIN_MEMBER = "plain_member"
NON_MEMBER = "non_member"
REMOVED_USER = "removed_user"
SUBJECT = "subject"
"""The member a guild mutation is about (promoted, added, joining), watching on its own session."""
FRIEND = "friend"
CO_MEMBER = "co_member"
UNRELATED = "unrelated"
SENDER = "sender"
RECIPIENT = "recipient"
BYSTANDER = "bystander"
SECOND_SESSION = "second_session"

CHANNEL_CLASSES = frozenset({ACTOR, ACTOR_OTHER_SESSION, SAME_CHANNEL, OTHER_CHANNEL, DENIED_BY_OVERRIDE, NON_MEMBER})
GUILD_CLASSES = frozenset({ACTOR, ACTOR_OTHER_SESSION, SAME_CHANNEL, OTHER_CHANNEL, NON_MEMBER})
REMOVAL_CLASSES = GUILD_CLASSES | {REMOVED_USER}
IP_BAN_CLASSES = frozenset({ACTOR, MODERATOR, PLAIN_MEMBER, NON_MEMBER})
PROFILE_CLASSES = frozenset({ACTOR, SECOND_SESSION, FRIEND, CO_MEMBER, UNRELATED})
FRIEND_CLASSES = frozenset({SENDER, RECIPIENT, SECOND_SESSION, BYSTANDER})

_SPECIAL_ROWS: dict[str, frozenset[str]] = {
    "member.kick": REMOVAL_CLASSES,
    "member.ban": REMOVAL_CLASSES,
    "ip_ban.upsert": IP_BAN_CLASSES,
    "ip_ban.remove": IP_BAN_CLASSES,
}


def relevant_classes(row: str, scope: str) -> frozenset[str]:
    """The visibility classes a row's own scenario must observe it from (checked by the tests)."""
    if row in _SPECIAL_ROWS:
        return _SPECIAL_ROWS[row]
    if scope == "channel":
        return CHANNEL_CLASSES
    if scope == "guild":
        return GUILD_CLASSES
    return PROFILE_CLASSES if row.startswith("profile.") else FRIEND_CLASSES


# ---- one observer ---------------------------------------------------------------------------------

def observer(cls: str, user: str, *subscribe: str, label: str | None = None) -> ClientSpec:
    """A client of ``user`` standing for ``cls``, subscribed to ``guild/channel`` aliases in order."""
    return ClientSpec(label=label or cls, user=user, observes_as=cls, subscribe=list(subscribe))


# ---- standard audiences per row scope -------------------------------------------------------------

def channel_audience(actor: str = "alice") -> list[ClientSpec]:
    """Channel rows in lab #general: who must see a message event there, and who must not."""
    same = "bob" if actor != "bob" else "alice"
    return [
        observer(ACTOR, actor, GENERAL),
        observer(ACTOR_OTHER_SESSION, actor, GENERAL),
        observer(SAME_CHANNEL, same, GENERAL),
        observer(OTHER_CHANNEL, "dave", RANDOM),
        observer(DENIED_BY_OVERRIDE, "carol", GENERAL),
        observer(NON_MEMBER, "eve", ELSEWHERE),
    ]


def guild_audience(actor: str = "owner", *, denied: bool = False, same: str = "alice",
                   other: str = "dave") -> list[ClientSpec]:
    """Guild rows in lab: members on #general and on #random (both guild connections), the actor's two
    sessions and a non-member; ``denied`` adds carol, who stays a guild connection after losing #general."""
    clients = [
        observer(ACTOR, actor, GENERAL),
        observer(ACTOR_OTHER_SESSION, actor, RANDOM),
        observer(SAME_CHANNEL, same, GENERAL),
        observer(OTHER_CHANNEL, other, RANDOM),
        observer(NON_MEMBER, "eve", ELSEWHERE),
    ]
    return clients + ([observer(DENIED_BY_OVERRIDE, "carol", GENERAL)] if denied else [])


def ip_ban_audience() -> list[ClientSpec]:
    """IP-ban rows in vault: only IP-ban moderators may receive ``workspace_ip_ban_sync``."""
    return [
        observer(ACTOR, "keeper", HALL),
        observer(MODERATOR, "warden", HALL),
        observer(PLAIN_MEMBER, "pam", HALL),
        observer(NON_MEMBER, "eve", ELSEWHERE),
    ]


def profile_audience() -> list[ClientSpec]:
    """Profile rows of pat: owner sessions, a friend, a co-member, and an unrelated user."""
    return [
        observer(ACTOR, "pat", LOUNGE),
        observer(SECOND_SESSION, "pat"),
        observer(FRIEND, "fran"),
        observer(CO_MEMBER, "cora", LOUNGE),
        observer(UNRELATED, "una", DEN),
    ]


def friend_audience() -> list[ClientSpec]:
    """Friend rows between sam (sender) and rita (recipient), plus rita's second session and ben."""
    return [
        observer(SENDER, "sam"),
        observer(RECIPIENT, "rita"),
        observer(SECOND_SESSION, "rita"),
        observer(BYSTANDER, "ben"),
    ]


# ---- losing access after subscribing -------------------------------------------------------------

DenyVia = Literal["member", "role", "everyone"]


def deny_view(user: str = "carol", channel: str = "general", *, via: DenyVia = "member",
              actor: str = "owner") -> StepSpec:
    """The override step that hides ``channel`` from ``user`` (lab's roles make all three variants
    hit carol only): a member-target deny, a deny on her ``quiet`` role, or an ``@everyone`` deny
    that ``regulars`` (everyone else) re-allow."""
    target_kind, target = {"member": ("member", user), "role": ("role", "quiet"),
                           "everyone": ("role", "@everyone")}[via]
    return StepSpec(do="channel.permission_override", expect="allowed", actor=actor, channel=channel,
                    target_kind=target_kind, target=target, deny=["create_message"])
