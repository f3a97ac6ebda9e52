"""Candidate steps for the randomised run: every parameter combination of one row the current world
offers, each already judged by the model (``allowed`` or ``rejected`` intent).

Pure functions of the model's world: the state machine (``stateful.py``) draws one candidate from
the allowed or the rejected share. Candidates are listed in a stable order (aliases, not server
ids), so the same seed draws the same steps against any compliant server.

Left out on purpose: IP bans (a ban locks every harness client out of the guild for the rest of the
run; ``ip_bans.py`` covers both rows). Gateway-created messages are drawn only when allowed: the
server answers a refused one by closing the sender's connection, which would end that client's
observation for the rest of the example.
"""
from __future__ import annotations

from itertools import permutations
from typing import Any, Callable, Iterable, Iterator

from harness.errors import ScenarioError
from harness.model.mutations import ROWS as MUTATIONS
from harness.model.mutations import UpdateProfile
from harness.model.oracle import Model
from harness.model.world import World
from harness.engine.scenario import StepSpec
from harness.engine.seeding import username_for

Params = dict[str, Any]
EMOJIS = ("👍", "🎉")
GUILD_NAMES = ("Lab", "Lab two")
ROLE_PERMISSIONS: tuple[tuple[str, ...], ...] = ((), ("delete_message",), ("manage_channel_overrides",))
OVERRIDES: tuple[Params, ...] = ({"deny": ["create_message"]}, {"allow": ["create_message"]}, {})


class Fresh:
    """Fresh aliases and texts for created entities (one counter per run, so replays keep them)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, prefix: str) -> str:
        self.count += 1
        return f"{prefix}{self.count}"


def _all_messages(world: World) -> list[str]:
    """Deleted ones included: acting on them is a rejected candidate (404)."""
    return sorted(world.messages)


def _custom_roles(world: World, guild: str, *, deleted: bool = True) -> list[str]:
    g = world.guild(guild)
    live = [a for a, r in g.roles.items() if not r.is_seed]
    return sorted(live + (list(g.deleted_roles) if deleted else []))


def _text_channels(world: World) -> list[str]:
    return sorted(c for c, ch in world.channels.items() if ch.kind == "text")


# ---- per row: the parameter combinations --------------------------------------------------------

def _messages(world: World, fresh: Fresh) -> dict[str, Iterator[Params]]:
    users, msgs = sorted(world.users), _all_messages(world)
    alias = fresh("m")
    return {
        "message.create": ({"actor": u, "channel": c, "message": alias, "content": f"{alias} by {u}"}
                           for u in users for c in _text_channels(world)),
        "message.create.gateway": ({"actor": u, "channel": c, "message": alias, "content": f"{alias} via {u}'s socket"}
                                   for u in users for c in _text_channels(world)),
        "message.edit": ({"actor": u, "message": m, "content": f"{m} edited by {u}"} for u in users for m in msgs),
        "message.delete": ({"actor": u, "message": m} for u in users for m in msgs),
        "reaction.add": ({"actor": u, "message": m, "emoji": e} for u in users for m in msgs for e in EMOJIS),
        "reaction.remove": ({"actor": u, "message": m, "emoji": e} for u in users for m in msgs for e in EMOJIS),
    }


def _workspace(world: World, fresh: Fresh) -> dict[str, Iterator[Params]]:
    users, guilds = sorted(world.users), sorted(world.guilds)
    channel = fresh("c")
    return {
        "channel.create": ({"actor": u, "guild": g, "channel": channel} for u in users for g in guilds),
        "workspace.update": ({"actor": u, "guild": g, **change} for u in users for g in guilds
                             for change in [{"name": n} for n in GUILD_NAMES]
                             + [{"visibility": v} for v in ("public", "private")]),
    }


def _members(world: World, fresh: Fresh) -> dict[str, Iterator[Params]]:
    users, guilds = sorted(world.users), sorted(world.guilds)
    pairs = [(a, g, u) for a in users for g in guilds for u in users]
    return {
        "member.add": ({"actor": a, "guild": g, "user": u} for a, g, u in pairs),
        "member.join": ({"actor": u, "guild": g} for u in users for g in guilds),
        "member.update": ({"actor": a, "guild": g, "user": u, "role": r} for a, g, u in pairs
                          for r in ("moderator", "member")),
        "member.kick": ({"actor": a, "guild": g, "user": u} for a, g, u in pairs),
        "member.ban": ({"actor": a, "guild": g, "user": u} for a, g, u in pairs),
    }


def _roles(world: World, fresh: Fresh) -> dict[str, Iterator[Params]]:
    users, guilds = sorted(world.users), sorted(world.guilds)
    alias = fresh("r")

    def assignable(g: str) -> list[str]:
        return _custom_roles(world, g, deleted=False) + ["moderator", "workspace_owner"]

    return {
        "role.create": ({"actor": u, "guild": g, "role": alias, "name": alias, "permissions": list(p)}
                        for u in users for g in guilds for p in ROLE_PERMISSIONS),
        "role.update": ({"actor": u, "guild": g, "role": r, **change} for u in users for g in guilds
                        for r in _custom_roles(world, g)
                        for change in ({"name": f"{r} renamed"}, {"permissions": ["create_message"]},
                                       {"color": "#112233"})),
        "role.delete": ({"actor": u, "guild": g, "role": r} for u in users for g in guilds
                        for r in _custom_roles(world, g)),
        "role.reorder": ({"actor": u, "guild": g, "roles": list(order)} for u in users for g in guilds
                         for order in permutations(_custom_roles(world, g, deleted=False), 2)),
        "role.assign": ({"actor": a, "guild": g, "role": r, "user": u} for a in users for g in guilds
                        for r in assignable(g) for u in users),
        "role.unassign": ({"actor": a, "guild": g, "role": r, "user": u} for a in users for g in guilds
                          for r in assignable(g) for u in users),
    }


def _overrides(world: World, fresh: Fresh) -> dict[str, Iterator[Params]]:
    users, channels = sorted(world.users), _text_channels(world)

    def targets(channel: str) -> list[Params]:
        guild = world.channel(channel).guild
        roles = ["@everyone", *_custom_roles(world, guild, deleted=False)]
        return [{"target_kind": "role", "target": r} for r in roles] + \
               [{"target_kind": "member", "target": u} for u in users]

    return {
        "channel.role_override": ({"actor": a, "channel": c, "role": r, **o} for a in users for c in channels
                                  for r in ("member", "moderator") for o in OVERRIDES),
        "channel.permission_override": ({"actor": a, "channel": c, **t, **o} for a in users for c in channels
                                        for t in targets(c) for o in OVERRIDES),
    }


def _profile(world: World, fresh: Fresh) -> dict[str, Iterator[Params]]:
    users = sorted(world.users)
    name = fresh("nick")
    return {
        "profile.update": ({"actor": u, **change} for u in users
                           for change in ({"username": name}, {"about": f"about {name}"})),
        "profile.avatar": ({"actor": u} for u in users),
        "profile.banner": ({"actor": u} for u in users),
    }


def _friends(world: World, fresh: Fresh) -> dict[str, Iterator[Params]]:
    users = sorted(world.users)
    pending = sorted(a for a, r in world.friend_requests.items() if r.state == "pending" and r.id)
    alias = fresh("fr")
    return {
        "friend.request.create": ({"actor": a, "to": b, "request": alias} for a in users for b in users),
        "friend.request.accept": ({"actor": u, "request": r} for u in users for r in pending),
        "friend.request.delete": ({"actor": u, "request": r} for u in users for r in pending),
        "friend.remove": ({"actor": a, "friend": b} for a in users for b in users),
    }


_DOMAINS: tuple[Callable[[World, Fresh], dict[str, Iterator[Params]]], ...] = (
    _messages, _workspace, _members, _roles, _overrides, _profile, _friends)

ROWS: tuple[str, ...] = (
    "message.create", "message.create.gateway", "message.edit", "message.delete", "reaction.add", "reaction.remove",
    "channel.create", "workspace.update", "member.add", "member.join", "member.update", "member.kick",
    "member.ban", "role.create", "role.update", "role.delete", "role.reorder", "role.assign", "role.unassign",
    "channel.role_override", "channel.permission_override", "profile.update", "profile.avatar",
    "profile.banner", "friend.request.create", "friend.request.accept", "friend.request.delete", "friend.remove",
)
"""The rows the randomised run draws from (28 of 30; see the module docstring for the other two)."""

ALLOWED_ONLY = frozenset({"message.create.gateway"})
"""Rows whose refused candidates are never drawn (see the module docstring)."""


# ---- judging ------------------------------------------------------------------------------------

class Candidates:
    """Per row: the candidate steps the model allows and those it rejects, on the current world."""

    def __init__(self, allowed: dict[str, list[StepSpec]], rejected: dict[str, list[StepSpec]]) -> None:
        self.allowed = allowed
        self.rejected = rejected

    def any(self, row: str) -> bool:
        return bool(self.allowed.get(row) or self.rejected.get(row))


def judge(model: Model, fresh: Fresh, namespace: str, clients: Iterable[str]) -> Candidates:
    """Every candidate step of every row, split by the model's verdict, plus ``subscribe`` steps for
    the client labels (no intent: a subscribe the user may not make is silently ignored). Combinations
    the model cannot predict (``ScenarioError``, e.g. deleting a seeded role) are left out."""
    allowed: dict[str, list[StepSpec]] = {row: [] for row in ROWS}
    rejected: dict[str, list[StepSpec]] = {row: [] for row in ROWS}
    allowed["subscribe"] = subscriptions(clients, model.world)
    for domain in _DOMAINS:
        for row, combos in domain(model.world, fresh).items():
            for step, ok in _judged(model, row, combos, namespace):
                if ok or row not in ALLOWED_ONLY:
                    (allowed if ok else rejected)[row].append(step)
    return Candidates(allowed, rejected)


def _judged(model: Model, row: str, combos: Iterable[Params], namespace: str) -> Iterator[tuple[StepSpec, bool]]:
    cls = MUTATIONS[row]
    for params in combos:
        try:
            ok = model.plan(cls(**_as_sent(cls, params, namespace))).verdict.allowed
        except ScenarioError:
            continue
        yield StepSpec(do=row, expect="allowed" if ok else "rejected", **params), ok


def _as_sent(cls: type, params: Params, namespace: str) -> Params:
    """The mutation's fields as ``harness.engine.steps.resolve_step`` would build them. Built directly
    because resolve_step validates through a new pydantic TypeAdapter per call (about 1 ms), which
    over thousands of candidates per step would dominate the run."""
    if cls is UpdateProfile and isinstance(params.get("username"), str):
        return {**params, "username": username_for(params["username"], namespace)}
    return params


def subscriptions(clients: Iterable[str], world: World) -> list[StepSpec]:
    """``subscribe`` steps: any client to any text channel (renewals after a re-join included)."""
    return [StepSpec(do="subscribe", client=label, guild=world.channel(c).guild, channel=c)
            for label in sorted(clients) for c in _text_channels(world)]
