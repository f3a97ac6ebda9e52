"""The pytest plugin: --sync-target turns scenarios into pytest items (the CI gate), failures are
reported with their check and nothing secret, JUnit and Allure output come with it, and a target that
cannot be reached is a clear error rather than a hang."""
from __future__ import annotations

import json
import re

import pytest

pytest_plugins = ["pytester"]


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_placeholder="def test_own_unit_test():\n    assert True\n")
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", *args, timeout=300)


def test_scenarios_become_pytest_items_that_pass_on_the_reference_target(pytester: pytest.Pytester) -> None:
    result = _run(pytester, "--sync-target=reference", "--sync-scenario=row.message.edit",
                  "--sync-scenario=row.profile.update", f"--junitxml={pytester.path / 'junit.xml'}",
                  f"--alluredir={pytester.path / 'allure'}", "-v")
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*sync-harness::row.message.edit PASSED*", "*row.profile.update PASSED*"])
    junit = (pytester.path / "junit.xml").read_text()
    assert 'name="row.message.edit"' in junit
    steps = [json.loads(p.read_text()) for p in (pytester.path / "allure").glob("*-result.json")]
    scenario = next(s for s in steps if s["name"] == "row.message.edit")
    assert scenario["steps"] and scenario["status"] == "passed"


def test_a_planted_fault_fails_its_item_with_the_check_and_no_secret(pytester: pytest.Pytester) -> None:
    result = _run(pytester, "--sync-target=reference", "--sync-fault=server.channel_events_skip_access_check",
                  "--sync-scenario=row.message.create", f"--alluredir={pytester.path / 'allure'}")
    result.assert_outcomes(passed=1, failed=1)
    output = result.stdout.str()
    assert "[delivery/leak]" in output
    assert not re.search(r"pw-[A-Za-z0-9_-]{12}|fat1\.[A-Za-z0-9_-]{20}", output)
    attachments = " ".join(p.read_text(errors="replace") for p in (pytester.path / "allure").glob("*-attachment*"))
    assert "leak" in attachments and not re.search(r"pw-[A-Za-z0-9_-]{12}|fat1\.[A-Za-z0-9_-]{20}", attachments)


def test_without_sync_target_only_the_projects_own_tests_run(pytester: pytest.Pytester) -> None:
    _run(pytester).assert_outcomes(passed=1)


def test_an_unreachable_target_is_one_clear_error_per_item(pytester: pytest.Pytester) -> None:
    result = _run(pytester, "--sync-target=url:http://127.0.0.1:9", "--sync-scenario=row.message.edit")
    result.assert_outcomes(passed=1, failed=1)
    result.stdout.fnmatch_lines(["*TargetUnreachable: cannot reach http://127.0.0.1:9/health*"])


def test_fixtures_give_a_seeded_world_and_logged_in_clients(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_world='''
def test_world(sync_world, sim_client_factory):
    world = sync_world({"users": ["owner", "alice"],
                        "guilds": [{"alias": "lab", "owner": "owner", "members": {"alice": "member"}}]},
                       clients=[{"label": "alice", "user": "alice", "observes_as": "same_channel",
                                 "subscribe": ["lab/general"]}])
    assert world.step(do="message.create", actor="owner", channel="general", message="m1", content="hi") == []
    assert world.finish().status == "passed"
    client = sim_client_factory("bob")
    assert client.user_id
''')
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--sync-target=reference", "-k", "test_world",
                                           timeout=300)
    result.assert_outcomes(passed=1)
