"""World bookkeeping: aliases and ids, relations, scenario errors."""
from __future__ import annotations

import pytest

from harness.errors import ScenarioError
from harness.model.mutations import *  # noqa: F403
from harness.model.sandbox import Sandbox
from harness.model.world import Override, WorldConfig


@pytest.fixture
def sb() -> Sandbox:
    sb = Sandbox(deliver=False)
    for u in ("alice", "bob", "carol", "dave"):
        sb.user(u)
    sb.guild("alice", "lab")
    sb.guild("carol", "den")
    sb.setup(AddMember("alice", "lab", "bob"))
    sb.setup(CreateChannel("alice", "lab", "general"))
    return sb


def test_aliases_and_ids_round_trip(sb: Sandbox) -> None:
    w = sb.model.world
    for kind, alias in (("user", "bob"), ("guild", "lab"), ("channel", "general")):
        server_id = getattr(w, f"{kind}_id")(alias)
        assert w.alias_of(kind, server_id) == alias  # type: ignore[arg-type]
    assert w.role_alias_of(w.role_id("lab", "@everyone")) == ("lab", "@everyone")
    assert w.alias_of("user", "NOPE") is None


@pytest.mark.parametrize("lookup", [
    lambda w: w.user("nobody"), lambda w: w.guild("nowhere"), lambda w: w.channel("void"),
    lambda w: w.message("m404"), lambda w: w.request("fr404"), lambda w: w.role("lab", "r404"),
])
def test_unknown_aliases_are_scenario_errors(sb: Sandbox, lookup) -> None:  # noqa: ANN001
    with pytest.raises(ScenarioError):
        lookup(sb.model.world)


def test_unbound_ids_are_scenario_errors_with_a_hint(sb: Sandbox) -> None:
    w = sb.model.world
    sb.setup(CreateGuild("alice", "later"))  # no LoadRoles yet
    with pytest.raises(ScenarioError, match="LoadRoles"):
        w.role_id("later", "moderator")
    sb.setup(Register("erin"))
    with pytest.raises(ScenarioError, match="not known yet"):
        w.user_id("erin")


def test_relations(sb: Sandbox) -> None:
    w = sb.model.world
    assert w.co_members("bob") == {"alice"} and w.co_members("dave") == set()
    assert w.co_members("alice") == {"bob"}
    sb.setup(SendFriendRequest("dave", "bob", "fr1"))
    assert w.pending_request_between("bob", "dave") is w.request("fr1")
    sb.setup(AcceptFriendRequest("bob", "fr1"))
    assert w.friends_of("bob") == {"dave"} and w.are_friends("dave", "bob")
    assert w.pending_request_between("bob", "dave") is None
    sb.setup(BanMember("alice", "lab", "bob"))
    assert w.co_members("bob") == set() and not w.is_member("lab", "bob")


def test_harness_ip_ban_is_per_guild_and_uses_the_configured_address() -> None:
    sb = Sandbox(WorldConfig(harness_ip="::1"), deliver=False)
    for u in ("alice", "bob"):
        sb.user(u)
    sb.guild("alice", "lab", "public")
    sb.guild("alice", "den", "public")
    sb.setup(JoinGuild("bob", "lab"))
    sb.setup(IpBanUser("alice", "lab", "bob", ban="b1"))
    w = sb.model.world
    assert w.guild("lab").ip_bans["b1"].network == "::1/128"
    assert w.harness_ip_banned("lab") and not w.harness_ip_banned("den")


def test_override_is_a_plain_value() -> None:
    assert Override(("a",), ("b",)) == Override(("a",), ("b",))


def test_message_alias_survives_deletion(sb: Sandbox) -> None:
    sb.setup(CreateMessage("alice", "general", "m1", "x"))
    sb.setup(DeleteMessage("alice", "m1"))
    assert sb.model.world.message("m1").deleted
