"""Standard worlds: the Blueprints most scenarios start from, so a scenario names a cast, not a setup.

Each world is small on purpose (seeding is part of every scenario's run time) and gives every
visibility class of ``observers.py`` a user who belongs to it:

``lab()`` — guild "lab" (#general, #random) owned by ``owner``; ``mod`` is its moderator; ``alice``,
``bob``, ``carol`` and ``dave`` are members. Two custom roles prepare the three "denied by override"
variants without seeding the denial itself (observers must subscribe *before* they lose access):
``quiet`` (held by carol, no permissions) is the role-target variant, and ``regulars`` (held by
everyone but carol) carries an allow of ``create_message`` on #general, so an ``@everyone`` deny on
#general hides it from carol only. Guild "other" (#elsewhere) is owned by ``eve``: the non-member.

``social()`` — profile and friendship observers: ``pat`` shares guild "hub" with ``cora`` (co-member,
not a friend), is friends with ``fran`` (friend, no shared guild); ``una`` is unrelated (own guild
"solo"); ``sam`` and ``rita`` are the two parties of friend requests and ``ben`` a bystander.

``vault()`` — a dedicated guild for IP bans (every harness client comes from 127.0.0.1, so a ban
locks all of them out of that guild): ``keeper`` owns public "vault" (#hall), ``warden`` moderates,
``pam`` is a plain member and ``troll`` joined through the directory (which records the IP
observation a by-user ban needs). ``eve`` owns "other" as the non-member.
"""
from __future__ import annotations

from harness.engine.scenario import Blueprint, ChannelSpec, GuildSpec, OverrideSpec, RoleSpec

LAB_MEMBERS = ("alice", "bob", "carol", "dave")
"""Plain members of lab, in the order scenarios use them."""


def _channels(*aliases: str) -> list[ChannelSpec]:
    return [ChannelSpec(alias=alias) for alias in aliases]


def other_guild(owner: str = "eve") -> GuildSpec:
    """The guild of the non-member observer: subscribed somewhere, never in lab."""
    return GuildSpec(alias="other", owner=owner, channels=_channels("elsewhere"))


def lab_guild(*, public: bool = False, members: tuple[str, ...] = LAB_MEMBERS) -> GuildSpec:
    everyone_but_carol = [m for m in ("mod", *members) if m != "carol"]
    return GuildSpec(
        alias="lab", owner="owner", name="Lab", visibility="public" if public else "private",
        channels=_channels("general", "random"),
        members={"mod": "moderator", **{m: "member" for m in members}},
        roles=[RoleSpec(alias="quiet", name="quiet", position=5),
               RoleSpec(alias="regulars", name="regulars", position=4)],
        assignments={"quiet": ["carol"] if "carol" in members else [], "regulars": everyone_but_carol},
        overrides=[OverrideSpec(channel="general", target="role", name="regulars", allow=["create_message"])],
    )


def lab(*, public: bool = False, outsiders: tuple[str, ...] = (), members: tuple[str, ...] = LAB_MEMBERS,
        friendships: tuple[tuple[str, str], ...] = ()) -> Blueprint:
    """The standard guild world; ``outsiders`` are extra users in no guild (joiners, invitees)."""
    users = ["owner", "mod", *members, "eve", *outsiders]
    return Blueprint(users=users, guilds=[lab_guild(public=public, members=members), other_guild()],
                     friendships=list(friendships))


def social() -> Blueprint:
    """Profile and friendship observers (see the module docstring)."""
    return Blueprint(
        users=["pat", "cora", "fran", "una", "sam", "rita", "ben"],
        guilds=[GuildSpec(alias="hub", owner="pat", channels=_channels("lounge"), members={"cora": "member"}),
                GuildSpec(alias="solo", owner="una", channels=_channels("den"))],
        friendships=[("pat", "fran")],
    )


def vault() -> Blueprint:
    """A dedicated guild for IP-ban scenarios (see the module docstring)."""
    return Blueprint(
        users=["keeper", "warden", "pam", "troll", "eve"],
        guilds=[GuildSpec(alias="vault", owner="keeper", visibility="public", channels=_channels("hall"),
                          members={"warden": "moderator", "pam": "member"}, joined=["troll"]),
                other_guild()],
    )
