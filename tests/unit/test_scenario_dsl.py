"""The scenario DSL, the standard worlds and observers, and the catalogue as data — all offline: every
built-in scenario is dry-run against the model (no server), so a broken alias or an intent the model
disagrees with fails here in milliseconds rather than in the integration run."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from contracts.mutations import CATALOGUE_ROWS, MUTATIONS
from harness.errors import ScenarioError
from harness.model import permissions as perms
from harness.model.mutations import WhoAmI
from harness.model.sandbox import Sandbox
from harness.engine.scenario import ScenarioSpec, StepSpec, load_scenario_file
from harness.engine.seeding import seed_plan
from harness.engine.steps import resolve_step
from scenarios import catalogue, example_scenarios, row_scenarios
from scenarios.dryrun import dry_run
from scenarios.dsl import allowed, do, post, rejected, scenario, subscribe
from scenarios.moves import ROWS, Fresh, judge
from scenarios.observers import DENIED_BY_OVERRIDE, channel_audience, deny_view, relevant_classes
from scenarios.stateful import DEEP, GeneratedScenario, machine_class, playground, replay_json
from scenarios.worlds import lab

SPECS = [s for s in catalogue(seed=1) if s.id.startswith(("row.", "lifecycle."))] + example_scenarios()


def test_step_builders_carry_intent_and_parameters() -> None:
    step = rejected("member.kick", actor="alice", guild="lab", user="bob")
    assert step.do == "member.kick" and step.expect == "rejected"
    assert step.params == {"actor": "alice", "guild": "lab", "user": "bob"}
    assert allowed("message.edit", actor="a", message="m", content="c").expect == "allowed"
    assert do("disconnect", client="x").expect is None
    assert post("alice", "m1").params == {"actor": "alice", "channel": "general", "message": "m1",
                                          "content": "m1 from alice"}
    assert subscribe("bob", "lab/random").params == {"client": "bob", "guild": "lab", "channel": "random"}


def test_scenario_is_tagged_by_domain_and_forbidden_steps() -> None:
    spec = scenario("row.x.y", "t", rows=["message.edit"], world=lab(), observers=channel_audience(),
                    steps=[post("alice", "m1"), rejected("message.edit", actor="bob", message="m1", content="no")])
    assert spec.tags == ["row", "forbidden"]
    assert [c.observes_as for c in spec.clients][:2] == ["actor", "actor_other_session"]


def test_catalogue_ids_are_unique_dotted_and_stable() -> None:
    items = catalogue(seed=1)
    ids = [item.id for item in items]
    assert len(ids) == len(set(ids))
    assert all(i.split(".")[0] in {"row", "lifecycle", "nemesis", "browser", "stateful"} for i in ids)
    assert {"row.message.edit", "row.workspace.update.noop", "lifecycle.membership", "stateful.bounded"} <= set(ids)
    assert ids[-1] == "stateful.bounded" and catalogue(deep=True, seed=5)[-1].id == "stateful.deep"
    assert catalogue(deep=True, seed=5)[-1].budget == DEEP and catalogue(seed=5)[-1].seed == 5


@pytest.mark.parametrize("spec", SPECS, ids=[s.id for s in SPECS])
def test_every_scenario_dry_runs_against_the_model(spec: ScenarioSpec) -> None:
    """Aliases resolve, every intent agrees with the model, and each listed row is performed and allowed
    at least once (a scenario cannot list a row it never really exercises)."""
    seen = dry_run(spec)
    performed = {row for row, _ in seen.events}
    refused = list(seen.rejected)
    for row in spec.rows:
        assert row in performed, f"{spec.id} lists {row} but never performs it"
        assert sum(r == row for r, _ in seen.events) > refused.count(row), f"{spec.id}: {row} is never allowed"


def test_dry_run_reports_a_wrong_intent() -> None:
    spec = scenario("row.bad", "wrong intent", rows=["member.kick"], world=lab(), observers=[],
                    steps=[allowed("member.kick", actor="alice", guild="lab", user="bob")])
    with pytest.raises(ScenarioError, match="expected allowed"):
        dry_run(spec)


def test_row_scenarios_cover_all_thirty_rows_from_their_relevant_classes() -> None:
    by_row: dict[str, set[str]] = {}
    for spec in row_scenarios():
        assert spec.id.startswith("row.") and len(spec.rows) == 1
        by_row.setdefault(spec.rows[0], set()).update(c.observes_as for c in spec.clients)
    assert set(by_row) == set(CATALOGUE_ROWS) and len(CATALOGUE_ROWS) == 30
    for row, classes in by_row.items():
        missing = relevant_classes(row, MUTATIONS[row].scope) - classes
        assert not missing, f"{row} is not observed as {sorted(missing)}"


def test_three_workspace_update_scenarios_including_the_silent_noop() -> None:
    noop = next(s for s in row_scenarios() if s.id == "row.workspace.update.noop")
    assert [events for _, events in dry_run(noop).events] == [[], []]
    assert sum(s.rows == ["workspace.update"] for s in row_scenarios()) == 3


def _seeded(spec: ScenarioSpec) -> Sandbox:
    sb = Sandbox(deliver=False)
    plan = seed_plan(spec.world, "t")
    for registration in plan.registrations:
        sb.setup(registration)
        sb.setup(WhoAmI(registration.actor))
    for mutation in plan.mutations:
        sb.setup(mutation)
    return sb


@pytest.mark.parametrize("via", ["member", "role", "everyone"])
def test_every_deny_variant_hides_general_from_carol_only(via: str) -> None:
    spec = scenario("row.t", "t", rows=[], world=lab(), observers=[], steps=[])
    sb = _seeded(spec)
    sb.setup(resolve_step("t", 0, deny_view(via=via), "t"))  # type: ignore[arg-type]
    world = sb.model.world
    hidden = {u for u in world.guild("lab").members if not perms.may_see_channel(world, "general", u)}
    assert hidden == {"carol"}
    assert perms.may_see_channel(world, "random", "carol")


def test_examples_are_toml_files_that_load(tmp_path: Path) -> None:
    assert len(example_scenarios()) >= 2
    assert all(s.id.startswith("example.") for s in example_scenarios())
    broken = tmp_path / "broken.toml"
    broken.write_text('id = "x"\ntitle = "t"\n[world]\nusers = ["a"]\n[[clients]]\nlabel = "c"\nuser = "b"\n'
                      'observes_as = "actor"\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match="unknown user"):
        load_scenario_file(broken)


def test_a_mistyped_client_profile_is_an_error_not_a_silent_current_client(tmp_path: Path) -> None:
    path = tmp_path / "typo.toml"
    path.write_text('id = "x"\ntitle = "t"\n[world]\nusers = ["a"]\n[[clients]]\nlabel = "c"\nuser = "a"\n'
                    'observes_as = "actor"\nprofile = "legacy-2026-02-1"\n', encoding="utf-8")
    with pytest.raises(ScenarioError, match="unknown profile 'legacy-2026-02-1'; use one of .*legacy-2026-02-12"):
        load_scenario_file(path)
    path.write_text(path.read_text().replace("legacy-2026-02-1", "legacy-2026-02-12"), encoding="utf-8")
    [spec] = load_scenario_file(path)
    assert spec.clients[0].profile == "legacy-2026-02-12"


def test_candidates_are_judged_by_the_model_and_offer_both_shares() -> None:
    spec = playground()
    sb = _seeded(spec)
    for client in spec.clients:  # a gateway message needs the sender's connection
        sb.connect(client.user, conn=f"{client.label}/ws0")
    cands = judge(sb.model, Fresh(), "t", [c.label for c in spec.clients])
    assert set(ROWS) <= set(cands.allowed) and len(ROWS) == 28
    assert cands.allowed["message.create.gateway"] and not cands.rejected["message.create.gateway"]
    assert sum(map(len, cands.allowed.values())) > 100 and sum(map(len, cands.rejected.values())) > 100
    for row in ("member.kick", "workspace.update", "role.create", "channel.permission_override"):
        assert cands.allowed[row] and cands.rejected[row], row
    for step in cands.allowed["member.kick"] + cands.rejected["member.kick"]:
        assert step.expect in ("allowed", "rejected")
    assert all(s.do == "subscribe" and s.expect is None for s in cands.allowed["subscribe"])


def test_state_machine_has_one_rule_per_row_and_subscribe() -> None:
    cls = machine_class(exploration=None, seed=3)  # type: ignore[arg-type]
    rules = {name for name, value in vars(cls).items() if callable(value) and not name.startswith("_")}
    assert rules == {row.replace(".", "_") for row in ROWS} | {"subscribe"}
    assert cls._hypothesis_internal_use_seed == 3


def test_replay_is_a_scenario_file_the_cli_can_load(tmp_path: Path) -> None:
    steps = [StepSpec(do="member.kick", expect="allowed", actor="owner", guild="lab", user="bob"),
             StepSpec(do="subscribe", client=DENIED_BY_OVERRIDE, guild="lab", channel="random"),
             StepSpec(do="role.reorder", expect="allowed", actor="owner", guild="lab", roles=["quiet", "regulars"])]
    text = replay_json(GeneratedScenario(seed=42), 42, steps)
    path = tmp_path / "replay.json"
    path.write_text(text, encoding="utf-8")
    [spec] = load_scenario_file(path)
    assert spec.id == "stateful.bounded.replay" and "seed:42" in spec.tags and "42" in spec.title
    assert spec.steps == steps and spec.world == playground().world
    assert json.loads(text)["steps"][1] == {"do": "subscribe", "client": DENIED_BY_OVERRIDE, "guild": "lab",
                                             "channel": "random"}
    dry_run(spec)



def test_sim_clients_add_subscribed_members_whose_names_do_not_collide(tmp_path: Path) -> None:
    from harness.engine.population import with_extra_observers

    path = tmp_path / "extra.toml"
    path.write_text('id = "x"\ntitle = "t"\n[world]\nusers = ["owner", "extra1"]\n[[world.guilds]]\nalias = "g"\n'
                    'owner = "owner"\nchannels = [{ alias = "c" }]\nmembers = { extra1 = "member" }\n'
                    '[[clients]]\nlabel = "extra2"\nuser = "extra1"\nobserves_as = "same_channel"\n'
                    'subscribe = ["g/c"]\n', encoding="utf-8")
    [spec] = load_scenario_file(path)
    grown = with_extra_observers(spec, 2)
    assert grown.world.users == ["owner", "extra1", "extra3", "extra4"]
    assert [(c.label, c.observes_as, c.subscribe) for c in grown.clients[1:]] == [
        ("extra3", "extra_member", ["g/c"]), ("extra4", "extra_member", ["g/c"])]
    assert grown.world.guilds[0].members == {"extra1": "member", "extra3": "member", "extra4": "member"}
    assert with_extra_observers(spec, 0) is spec


def test_sim_clients_beyond_one_guilds_share_are_spread_over_crowd_guilds(tmp_path: Path) -> None:
    from harness.engine.population import PER_GUILD, with_extra_observers

    path = tmp_path / "crowd.toml"
    path.write_text('id = "x"\ntitle = "t"\n[world]\nusers = ["owner"]\n[[world.guilds]]\nalias = "g"\n'
                    'owner = "owner"\nchannels = [{ alias = "c" }]\n', encoding="utf-8")
    [spec] = load_scenario_file(path)
    grown = with_extra_observers(spec, PER_GUILD * 2 + 1)
    home, *crowds = grown.world.guilds
    assert len(home.members) == PER_GUILD
    assert [len(g.members) for g in crowds] == [PER_GUILD, 1]
    assert [g.owner for g in crowds] == ["crowd1_owner", "crowd2_owner"]
    assert {"crowd1_owner", "crowd2_owner"} <= set(grown.world.users)
    by_class: dict[str, set[str]] = {}
    for client in grown.clients:
        by_class.setdefault(client.observes_as, set()).update(client.subscribe)
    assert by_class == {"extra_member": {"g/c"}, "crowd_member": {"crowd1/crowd1_c", "crowd2/crowd2_c"}}
    # every crowd client subscribes in the guild it is a member of
    members = {u: g.alias for g in grown.world.guilds for u in g.members}
    assert all(members[c.user] == c.subscribe[0].split("/")[0] for c in grown.clients)
