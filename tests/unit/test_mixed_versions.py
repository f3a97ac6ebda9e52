"""Mixed-version judgement (harness.model.staleness, harness.engine.compat), server profiles on both
sides, and the matrix file's rules (harness.engine.matrix). Pure: no servers."""
from __future__ import annotations

from pathlib import Path

import pytest

from contracts.profiles import CURRENT, LEGACY_2026_02_12, LIFECYCLE_2026_02_12
from contracts.server_profiles import SERVER_PROFILES
from harness.checks.types import CheckClass, CheckFailure
from harness.engine.compat import degrade_convergence, degrade_missing_route, relax_delivery
from harness.engine.matrix import ClientEntry, ServerEntry, judge_cell, load_plan, observed_outcome
from harness.engine.results import FailureRecord, ScenarioResult
from harness.errors import UsageError
from harness.model.mutations import RestResult
from harness.model.mutations.workspace import UpdateWorkspace
from harness.model.staleness import Staleness
from harness.reference.server.server_profiles import SERVER_PROFILES as REFERENCE_PROFILES

G, OTHER = "G1", "G2"
MATRIX = Path(__file__).resolve().parents[2] / "scenarios" / "compat" / "matrix.toml"


def diverged(path: str, kind: str = "diverged_from_rest") -> CheckFailure:
    return CheckFailure(CheckClass.CONVERGENCE, kind, f"x: {path} differs", details={"path": path})


# ---- server profiles ---------------------------------------------------------------------------------

def test_the_reference_target_and_the_oracle_agree_on_every_server_profile() -> None:
    assert set(SERVER_PROFILES) == set(REFERENCE_PROFILES)
    for name, profile in SERVER_PROFILES.items():
        reference = REFERENCE_PROFILES[name]
        assert reference.emitted == profile.emitted_event_types, name
        assert reference.lacks("PATCH", "/guilds/{guild_id}") == profile.lacks("workspace.update"), name


def test_older_servers_emit_what_older_clients_knew() -> None:
    assert SERVER_PROFILES["pre-lifecycle"].emitted_event_types == LEGACY_2026_02_12.known_event_types
    assert SERVER_PROFILES["pre-workspace"].emitted_event_types == LIFECYCLE_2026_02_12.known_event_types
    assert SERVER_PROFILES["head"].emitted_event_types == CURRENT.known_event_types


# ---- staleness and convergence -----------------------------------------------------------------------

def test_a_missed_guild_event_excuses_only_that_guilds_paths_until_a_refresh() -> None:
    stale = Staleness()
    stale.note("workspace_update", {"guild_id": G}, "ignored")
    found = degrade_convergence([diverged(f"guilds.{G}.name"), diverged(f"guilds.{OTHER}.name"),
                                 diverged("friends.U1"), diverged(f"guilds.{G}.name", "diverged_from_model")], stale)
    assert [f.severity for f in found] == ["degraded", "error", "error", "error"]
    assert "workspace_update (ignored)" in found[0].message and found[0].details["missed"] == {"workspace_update": "ignored"}
    stale.clear()
    assert degrade_convergence([diverged(f"guilds.{G}.name")], stale)[0].severity == "error"


def test_a_missed_user_event_excuses_user_level_paths() -> None:
    stale = Staleness()
    stale.note("friend_request_create", {"request_id": "R"}, "not emitted")
    found = degrade_convergence([diverged("incoming.R"), diverged(f"guilds.{G}.name"), diverged("usernames.U2")], stale)
    assert [f.severity for f in found] == ["degraded", "error", "degraded"]


def test_delivery_of_an_unknown_type_is_a_warning_for_that_client_but_a_leak_stays_an_error() -> None:
    loss = CheckFailure(CheckClass.DELIVERY, "loss", "lost", event_type="message_update", conn="c.1/ws0")
    leak = CheckFailure(CheckClass.DELIVERY, "leak", "leaked", event_type="message_update", conn="c.1/ws0")
    known = CheckFailure(CheckClass.DELIVERY, "loss", "lost", event_type="message_create", conn="c.1/ws0")
    other = CheckFailure(CheckClass.DELIVERY, "loss", "lost", event_type="message_update", conn="d.1/ws0")
    found = relax_delivery([loss, leak, known, other], {"c.1/ws0": LEGACY_2026_02_12, "d.1/ws0": CURRENT})
    assert [f.severity for f in found] == ["warning", "error", "error", "error"]


def test_a_missing_route_is_degradation_only_when_the_server_profile_lacks_it_and_answers_404() -> None:
    verdict = [CheckFailure(CheckClass.CONVERGENCE, "verdict_mismatch", "refused")]
    rename = UpdateWorkspace("owner", "lab", name="x")
    old, head = SERVER_PROFILES["pre-workspace"], SERVER_PROFILES["head"]
    assert degrade_missing_route(verdict, rename, RestResult(404, {"error": "not_found"}), old)[0].severity == "degraded"
    assert degrade_missing_route(verdict, rename, RestResult(500, {}), old)[0].severity == "error"
    assert degrade_missing_route(verdict, rename, RestResult(404, {}), head)[0].severity == "error"


# ---- the matrix file ---------------------------------------------------------------------------------

def result(status: str, **kw: object) -> ScenarioResult:
    return ScenarioResult(id="s", title="s", status=status, duration_s=0.1, **kw)  # type: ignore[arg-type]


def test_the_shipped_matrix_declares_every_cell_of_three_clients_by_three_servers() -> None:
    plan = load_plan(MATRIX)
    assert len(plan.clients) >= 3 and len(plan.servers) >= 3
    assert len(plan.cells) == len(plan.clients) * len(plan.servers)


@pytest.mark.parametrize("text, message", [
    ("not toml [", "not valid TOML"),
    ('scenario_files=["a"]\ncells=[]\n[[clients]]\nname="c"\nprofile="current"\n[[servers]]\nname="s"\n',
     "missing: c × s"),
    ('scenario_files=["a"]\n[[clients]]\nname="c"\nprofile="nope"\n[[servers]]\nname="s"\n', "unknown protocol profile"),
    ('scenario_files=["a"]\ncells=[]\n[[clients]]\nname="c"\nprofile="current"\n[[servers]]\nname="s"\nprofile="v0"\n',
     "unknown server profile"),
])
def test_a_bad_matrix_file_is_a_one_line_usage_error(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "m.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(UsageError, match=message):
        load_plan(path)


def test_observed_outcomes_and_red_cells() -> None:
    degraded = result("degraded", degradations=[FailureRecord(check="convergence", kind="stale", message="m",
                                                              severity="degraded")])
    assert observed_outcome([result("passed")]) == "compatible"
    assert observed_outcome([result("passed"), degraded]) == "degrades"
    assert observed_outcome([degraded, result("failed")]) == "incompatible"
    plan = load_plan(MATRIX)
    client, server = ClientEntry(name="current", profile="current"), ServerEntry(name="head")
    cell = judge_cell(client, server, plan.cell("current", "head"), [result("passed")])
    assert cell.ok and cell.observed == "compatible"
    red = judge_cell(client, server, plan.cell("current", "head"),
                     [result("failed", failures=[FailureRecord(check="delivery", kind="loss", message="lost x")])])
    assert not red.ok and red.reasons[0] == "declared compatible, observed incompatible"
    assert "s: [delivery/loss] lost x" in red.reasons
