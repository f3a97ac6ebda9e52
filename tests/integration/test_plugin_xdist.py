"""The pytest gate spread over workers with pytest-xdist: ``pytest -n 2 --sync-target=reference -m
sync_scenario`` gives each worker its own reference target (its own port and SQLite file), the
scenarios are shared out, and the controller writes one merged JUnit file."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

pytest_plugins = ["pytester"]

SCENARIOS = ("row.message.edit", "row.profile.update", "row.message.delete", "row.workspace.update.name")


@pytest.mark.timeout(600)  # two worker processes, each booting its own target, on a shared 2-core machine
def test_the_scenario_gate_runs_on_two_workers_with_one_merged_junit(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_placeholder="def test_own_unit_test():\n    assert True\n")
    junit = pytester.path / "junit.xml"
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-n", "2", "--sync-target=reference", "-m", "sync_scenario",
        *(f"--sync-scenario={s}" for s in SCENARIOS), f"--junitxml={junit}", "-v", timeout=600)
    assert result.ret == 0, result.stdout.str()[-3000:]
    result.assert_outcomes(passed=len(SCENARIOS))  # the placeholder unit test is deselected by -m
    workers = {line.split("]")[0] for line in result.stdout.lines if line.startswith("[gw")}
    assert workers == {"[gw0", "[gw1"}, "both workers ran scenarios"
    cases = ET.parse(junit).getroot().iter("testcase")
    assert sorted(c.get("name") for c in cases) == sorted(SCENARIOS)
