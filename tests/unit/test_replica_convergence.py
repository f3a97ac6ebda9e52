"""Model, oracle, replica and checkers agree with each other.

Random mutation sequences run through the sandbox (which answers as a compliant server would and
delivers each expectation once to its MUST connections). Replicas reduce what their primary
connection got, their refetches are answered from the model's projection, and after every step each
replica must equal the projection over its live scope; the whole history must pass the delivery check.
A failure here means two parts of the brain disagree about the contract.
"""
from __future__ import annotations

from typing import Any, Callable

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness.checks.convergence import check_convergence
from harness.errors import ScenarioError
from harness.checks.delivery import check_delivery
from harness.model.mutations import *  # noqa: F403
from harness.model.replica import Refetch, Replica
from harness.model.sandbox import Sandbox
from harness.model.views import Scope

USERS = ("bob", "carol", "dave")
ACTORS = ("alice", *USERS)
WATCHED = {"b0": "bob", "c0": "carol", "a0": "alice"}


def answer(sb: Sandbox, user: str, refetch: Refetch) -> Any:
    """What a compliant server returns for a replica's refetch: the model's projection."""
    w = sb.model.world
    if refetch.kind == "users":
        return {w.user_id(a): w.user(a).username for a in w.users if w.user(a).id in refetch.user_ids}
    g = refetch.guild_id or ""
    channels = frozenset({(g, refetch.channel_id)}) if refetch.channel_id else frozenset()
    view = sb.model.projection(user, Scope(frozenset({g}), channels))
    guild = view.guilds.get(g)
    if refetch.kind == "guild":
        return guild
    if guild is None:
        return None
    if refetch.kind == "channels":
        return guild.channels
    if refetch.kind == "members":
        return guild.members
    return guild.messages.get(refetch.channel_id or "")


class World:
    def __init__(self) -> None:
        self.sb = sb = Sandbox()
        for u in ACTORS:
            sb.user(u)
        sb.guild("alice", "lab", "public")
        sb.setup(CreateChannel("alice", "lab", "general"))
        sb.setup(CreateChannel("alice", "lab", "random"))
        sb.setup(AddMember("alice", "lab", "bob"))
        sb.setup(AddMember("alice", "lab", "carol"))
        self.replicas: dict[str, Replica] = {}
        self.seen: dict[str, int] = {}
        for conn, user in WATCHED.items():
            sb.connect(user, conn)
            sb.subscribe(conn, "general")
            replica = Replica()
            replica.hydrate(sb.model.projection(user, sb.model.live_scope(conn)))
            self.replicas[conn] = replica
            self.seen[conn] = len(sb.frames[conn])
        self.n = 0
        self.gateway_conn = ""

    # aliases that exist
    def messages(self) -> list[str]:
        return sorted(self.sb.model.world.messages)

    def channels(self) -> list[str]:
        return sorted(self.sb.model.world.channels)

    def roles(self) -> list[str]:
        g = self.sb.model.world.guild("lab")
        return sorted(r for r in [*g.roles, *g.deleted_roles] if r not in ("@everyone", "workspace_owner"))

    def bans(self) -> list[str]:
        return sorted(a for a, b in self.sb.model.world.guild("lab").ip_bans.items() if b.id)

    def requests(self) -> list[str]:
        return sorted(self.sb.model.world.friend_requests)

    def sender(self) -> str:
        """bob's unwatched sending connection; a refused send makes the server drop it: open another."""
        if self.gateway_conn not in self.sb.model.conns.open:
            self.gateway_conn = self.fresh("bgw")
            self.sb.connect("bob", self.gateway_conn)
        return self.gateway_conn

    def fresh(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}{self.n}"

    def sync(self) -> None:
        """Feed each watched connection's new frames to its replica and settle the refetches."""
        for conn, replica in self.replicas.items():
            frames = self.sb.frames[conn][self.seen[conn]:]
            self.seen[conn] = len(self.sb.frames[conn])
            queue: list[Refetch] = []
            for f in frames:
                queue += replica.apply(f.event_type or "", f.data)
            while queue:
                refetch = queue.pop(0)
                queue += replica.merge(refetch, answer(self.sb, WATCHED[conn], refetch))

    def check(self) -> None:
        for conn, replica in self.replicas.items():
            scope = replica.scope()
            live = self.sb.model.live_scope(conn)
            # The replica never claims more than it can rely on; it may claim less (it conservatively
            # drops channel subscriptions it cannot check, e.g. while IP-banned).
            assert scope.guilds == live.guilds and scope.channels <= live.channels, conn
            expected = self.sb.model.projection(WATCHED[conn], scope)
            failures = check_convergence(conn, replica.view(), expected, None)
            assert failures == [], [f.message + f" {f.expected!r} vs {f.observed!r}" for f in failures]


Pick = Callable[[list], Any]
MENU: list[Callable[[World, Pick], Any]] = [
    lambda w, p: CreateMessage(p(ACTORS), p(w.channels()), w.fresh("m"), w.fresh("text ")),
    lambda w, p: GatewayMessage("bob", p(w.channels()), w.fresh("gm"), w.fresh("gateway "), conn=w.sender()),
    lambda w, p: EditMessage(p(ACTORS), p(w.messages()), w.fresh("edit ")) if w.messages() else None,
    lambda w, p: DeleteMessage(p(ACTORS), p(w.messages())) if w.messages() else None,
    lambda w, p: AddReaction(p(ACTORS), p(w.messages()), p(["👍", "x"])) if w.messages() else None,
    lambda w, p: RemoveReaction(p(ACTORS), p(w.messages()), p(["👍", "x"])) if w.messages() else None,
    lambda w, p: CreateChannel(p(ACTORS), "lab", w.fresh("ch")),
    lambda w, p: UpdateWorkspace("alice", "lab", name=p(["Lab", "Lab 2"]), visibility=p([None, "public"])),
    lambda w, p: AddMember(p(ACTORS), "lab", p(USERS)),
    lambda w, p: JoinGuild(p(USERS), "lab"),
    lambda w, p: UpdateMemberRole("alice", "lab", p(USERS), p(["member", "moderator"])),
    lambda w, p: KickMember(p(["alice", "bob"]), "lab", p(USERS)),
    lambda w, p: BanMember("alice", "lab", "dave"),
    lambda w, p: CreateRole("alice", "lab", w.fresh("r"), w.fresh("role"), p([(), ("create_message",), ("ban_member",)])),
    lambda w, p: UpdateRole("alice", "lab", p(w.roles()), permissions=p([(), ("create_message",)])),
    lambda w, p: DeleteRole("alice", "lab", p([r for r in w.roles() if r not in ("moderator", "member")] or ["member"])),
    lambda w, p: ReorderRoles("alice", "lab", tuple(r for r in w.roles() if r in w.sb.model.world.guild("lab").roles)[:3]),
    lambda w, p: AssignRole(p(["alice", "bob"]), "lab", p(w.roles()), p(USERS)),
    lambda w, p: UnassignRole("alice", "lab", p(w.roles()), p(USERS)),
    lambda w, p: SetPermissionOverride("alice", p(w.channels()), "member", p(USERS),
                                       *p([((), ("create_message",)), (("create_message",), ()), ((), ())])),
    lambda w, p: SetPermissionOverride("alice", p(w.channels()), "role", p([*w.roles(), "@everyone"]),
                                       *p([((), ("create_message",)), (("create_message",), ())])),
    lambda w, p: SetLegacyOverride("alice", p(w.channels()), "member", *p([((), ("create_message",)), ((), ())])),
    lambda w, p: UpdateProfile(p(ACTORS), username=p([None, w.fresh("name_")]), about=p([None, "about"])),
    lambda w, p: UploadAvatar(p(ACTORS)),
    lambda w, p: UploadBanner(p(ACTORS)),
    lambda w, p: IpBanUser(p(["alice", "bob"]), "lab", p(USERS), ban=w.fresh("ban")),
    lambda w, p: RemoveIpBan("alice", "lab", p(w.bans())) if w.bans() else None,
    lambda w, p: SendFriendRequest(p(ACTORS), p(ACTORS), w.fresh("fr")),
    lambda w, p: AcceptFriendRequest(p(ACTORS), p(w.requests())) if w.requests() else None,
    lambda w, p: DeleteFriendRequest(p(ACTORS), p(w.requests())) if w.requests() else None,
    lambda w, p: RemoveFriend(p(ACTORS), p(ACTORS)),
    lambda w, p: ("subscribe", p(list(WATCHED)), p(w.channels())),
]


def run(choices: list[tuple[int, int]]) -> World:
    w = World()
    for index, seed in choices:
        counter = [seed]

        def pick(options: list, counter: list = counter) -> Any:
            counter[0] = counter[0] * 31 + 7
            return options[counter[0] % len(options)] if options else None

        action = MENU[index % len(MENU)](w, pick)
        if action is None:
            continue
        if isinstance(action, tuple):
            if not w.sb.model.world.harness_ip_banned("lab"):  # else the server drops the connection
                w.sb.subscribe(action[1], action[2])
        else:
            try:
                w.sb.do(action)
            except ScenarioError:  # the random menu named something the model refuses to guess about
                continue
        w.sync()
        w.check()
    return w


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, len(MENU) - 1), st.integers(0, 10_000)), max_size=30))
def test_replicas_converge_and_history_passes_delivery(choices: list[tuple[int, int]]) -> None:
    w = run(choices)
    sb = w.sb
    report = check_delivery(sb.expectations, sb.frames, closes=sb.closes, invoked_at_by_step=sb.invoked_at,
                            classify_unattributed=sb.model.classify_unattributed)
    assert report.failures == [], [f.message for f in report.failures]


def test_scripted_kick_rejoin_resubscribe() -> None:
    """The classic path: kicked (drop the guild), re-joined (not told), re-subscribed (re-fetch)."""
    w = run([])
    sb = w.sb
    for m in (CreateMessage("alice", "general", "m1", "one"), KickMember("alice", "lab", "bob"),
              CreateMessage("alice", "general", "m2", "two"), JoinGuild("bob", "lab"),
              CreateMessage("alice", "general", "m3", "three")):
        sb.do(m)
        w.sync()
        w.check()
    assert sb.model.world.guild_id("lab") not in w.replicas["b0"].view().guilds
    sb.subscribe("b0", "general")
    w.sync()
    w.check()
    msgs = w.replicas["b0"].view().guilds[sb.model.world.guild_id("lab")].messages
    assert [m.content for m in msgs[sb.model.world.channel_id("general")].values()] == ["one", "two", "three"]


def test_scripted_hide_and_restore_a_channel() -> None:
    """Hidden: the channel and its subscription leave the live scope. Visible again: still out of
    scope (the server may have dropped the subscription) until the client subscribes again."""
    w = run([])
    sb = w.sb
    g, c = sb.model.world.guild_id("lab"), sb.model.world.channel_id("general")
    for m in (SetPermissionOverride("alice", "general", "member", "bob", deny=("create_message",)),
              CreateMessage("alice", "general", "m1", "while hidden"),
              SetPermissionOverride("alice", "general", "member", "bob"),
              CreateMessage("alice", "general", "m2", "maybe delivered")):
        sb.do(m)
        w.sync()
        w.check()
    assert (g, c) not in w.replicas["b0"].scope().channels and g in w.replicas["b0"].scope().guilds
    sb.subscribe("b0", "general")
    w.sync()
    w.check()
    msgs = w.replicas["b0"].view().guilds[g].messages[c]
    assert [m.content for m in msgs.values()] == ["while hidden", "maybe delivered"]


def test_many_seeded_random_sequences() -> None:
    """Broad and deterministic: long random sequences Hypothesis' shrinking budget would not reach."""
    import random

    for trial in range(150):
        rnd = random.Random(trial)
        w = run([(rnd.randrange(len(MENU)), rnd.randrange(10_000)) for _ in range(40)])
        sb = w.sb
        report = check_delivery(sb.expectations, sb.frames, closes=sb.closes, invoked_at_by_step=sb.invoked_at,
                                classify_unattributed=sb.model.classify_unattributed)
        assert report.failures == [], (trial, [f.message for f in report.failures])
