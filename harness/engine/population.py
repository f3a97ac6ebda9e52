"""``--sim-clients N``: N more simulated clients for a scenario, spread so that checking them stays linear.

The first ``PER_GUILD`` extras become plain members of the scenario's first guild with a channel and
subscribe to that channel: they observe the scenario's fanout. The rest are spread over *crowd*
guilds of at most ``PER_GUILD`` members each (an owner, one channel), where they subscribe too: they
hold connections and must receive nothing of the scenario, so they also witness its leaks.

Why spread: every user's first subscription in a guild sends ``presence_update`` to every connection
subscribed there (GATEWAY.md §6.0), so N clients in one guild exchange ~N²/2 frames by the protocol
itself: the run would measure the square of N, not the harness.
"""
from __future__ import annotations

import itertools
from typing import TypeVar

from harness.engine.scenario import Blueprint, ChannelSpec, ClientSpec, GuildSpec, ScenarioSpec

E = TypeVar("E")

PER_GUILD = 50
"""Extras per guild (the scenario's guild, then each crowd guild)."""


def with_extra_observers(entry: E, count: int) -> E:
    """The scenario with ``count`` extra subscribed clients (any other entry unchanged)."""
    if count == 0 or not isinstance(entry, ScenarioSpec):
        return entry
    index = next((i for i, g in enumerate(entry.world.guilds) if g.channels), None)
    if index is None:
        return entry
    world = entry.world
    taken = {*world.users, *(c.label for c in entry.clients), *(g.alias for g in world.guilds),
             *(ch.alias for g in world.guilds for ch in g.channels)}
    extra = _unused_names("extra", count, taken)
    taken |= set(extra)
    near, far = extra[:PER_GUILD], extra[PER_GUILD:]
    guilds = list(world.guilds)
    home = guilds[index]
    guilds[index] = home.model_copy(update={"members": {**home.members, **{u: "member" for u in near}}})
    clients = [*entry.clients, *_subscribed(near, f"{home.alias}/{home.channels[0].alias}", "extra_member")]
    owners: list[str] = []
    for group in _chunks(far, PER_GUILD):
        alias = _unused_names("crowd", 1, taken)[0]
        owner, channel = f"{alias}_owner", f"{alias}_c"
        taken |= {alias, owner, channel}
        owners.append(owner)
        guilds.append(GuildSpec(alias=alias, owner=owner, channels=[ChannelSpec(alias=channel)],
                                members={u: "member" for u in group}))
        clients += _subscribed(group, f"{alias}/{channel}", "crowd_member")
    grown = Blueprint.model_validate({**world.model_dump(), "users": [*world.users, *extra, *owners],
                                      "guilds": [g.model_dump() for g in guilds]})
    grown_entry = ScenarioSpec.model_validate({**entry.model_dump(), "world": grown.model_dump(),
                                               "clients": [c.model_dump() for c in clients]})
    return grown_entry  # type: ignore[return-value]  # E is ScenarioSpec here


def _subscribed(users: list[str], guild_channel: str, observes_as: str) -> list[ClientSpec]:
    return [ClientSpec(label=u, user=u, observes_as=observes_as, subscribe=[guild_channel]) for u in users]


def _chunks(items: list[str], size: int) -> list[list[str]]:
    return [items[i:i + size] for i in range(0, len(items), size)]


def _unused_names(stem: str, count: int, taken: set[str]) -> list[str]:
    """``stem1``, ``stem2``, … skipping names a scenario already uses (a user named ``extra1`` stays itself)."""
    candidates = (f"{stem}{i}" for i in itertools.count(1))
    return list(itertools.islice((name for name in candidates if name not in taken), count))
