"""The rollout checklist as a pytest gate: ``-m sync_rollout`` (or ``--sync-rollout``) with ``--sync-target``
collects one item per checklist item; a planted fault fails its item with the item's message."""
from __future__ import annotations

import pytest

from tests.support.rollout import MANIFEST

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.timeout(300)


def _run(pytester: pytest.Pytester, *args: str) -> pytest.RunResult:
    pytester.makepyfile(test_placeholder="def test_own_unit_test():\n    assert True\n")
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "--sync-target=reference",
                                         "--sync-scenario=row.profile.update", f"--sync-manifest={MANIFEST}",
                                         *args, timeout=280)


def test_the_marker_collects_the_seven_items_and_they_pass_on_the_reference_target(pytester: pytest.Pytester) -> None:
    result = _run(pytester, "-m", "sync_rollout", "-v", "-rs")
    result.assert_outcomes(passed=6, skipped=1, deselected=1)
    result.stdout.fnmatch_lines(["*sync-rollout::1-metrics_surface PASSED*", "*sync-rollout::5-manifest_drift PASSED*",
                                 "*needs a browser client*"])


def test_a_planted_fault_fails_its_item_with_the_items_message(pytester: pytest.Pytester) -> None:
    result = _run(pytester, "--sync-rollout", "--sync-fault=server.metrics_missing_family")
    outcomes = result.parseoutcomes()
    assert outcomes["failed"] >= 1
    result.stdout.fnmatch_lines(["*1. Metrics surface: family filament_gateway_events_unknown_received_total is missing*"])
