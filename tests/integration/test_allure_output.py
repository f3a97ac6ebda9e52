"""Allure output people can read, from the CLI (`run --report`) and from the pytest gate (`--alluredir`):
real start/stop times for scenarios and steps (durations, the Timeline tab), the step where a check
failed shown red, a failed check reported as a failed product defect (not "broken") with its check
class as the category, and no secret.

Planted faults: ``server.channel_events_skip_access_check`` (a leak of message_create) and
``suppress:message_update`` (a loss of message_update). When the Allure command line is installed
(``allure`` on PATH or ``ALLURE_BIN``; ``npm install allure-commandline`` brings it, Java runs it), the
last test also runs ``allure generate`` and reads the generated report's data.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

FAULTS = ["server.channel_events_skip_access_check", "suppress:message_update"]
SECRET = re.compile(r"pw-[A-Za-z0-9_-]{12}|fat1\.[A-Za-z0-9_-]{20}|[0-9A-Z]{26}\.[A-Za-z0-9_-]{40}")


def _results(directory: Path) -> dict[str, dict]:
    """The CLI's results by scenario id (its testCaseId)."""
    return {r["testCaseId"]: r for r in (json.loads(p.read_text()) for p in directory.glob("*-result.json"))}


def _category_of(message: str, categories: list[dict], status: str) -> str:
    """What Allure does: the first category whose statuses and whole-message regex match."""
    for category in categories:
        if status not in category.get("matchedStatuses", [status]):
            continue
        regex = category.get("messageRegex")
        if regex is None or re.fullmatch(regex, message):
            return category["name"]
    return "(none)"


@pytest.fixture(scope="module")
def cli_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    report = tmp_path_factory.mktemp("allure") / "report"
    args = [sys.executable, "-m", "harness.cli", "run", "--scenario", "row.message.create", "--scenario",
            "row.message.edit", "--scenario", "row.profile.update", "--report", str(report)]
    for fault in FAULTS:
        args += ["--fault", fault]
    done = subprocess.run(args, capture_output=True, text=True, timeout=300)
    assert done.returncode == 1, done.stderr
    return report


def test_cli_scenarios_and_steps_have_real_times_and_the_failing_step_is_red(cli_report: Path) -> None:
    results = _results(cli_report / "allure-results")
    scenario = json.loads((cli_report / "result.json").read_text())
    durations = {s["id"]: s["duration_s"] for s in scenario["scenarios"]}
    previous_stop = 0
    for scenario_id in ("row.message.create", "row.message.edit", "row.profile.update"):
        test = results[scenario_id]
        assert test["stop"] - test["start"] == pytest.approx(durations[scenario_id] * 1000, abs=2)
        assert test["start"] >= previous_stop, "scenarios run one after another"
        previous_stop = test["stop"]
        for step in test["steps"]:
            assert test["start"] <= step["start"] <= step["stop"] <= test["stop"], step["name"]
        assert {label["name"] for label in test["labels"]} >= {"host", "thread"}  # Timeline tab lanes
    created = results["row.message.create"]
    red = [s for s in created["steps"] if s["status"] == "failed"]
    assert [s["name"] for s in red] == ["mutation message.create by actor"]
    assert red[0]["statusDetails"]["message"].startswith("[delivery/leak] message_create")
    assert "readable over REST by the recipient: no (security leak" in red[0]["statusDetails"]["trace"]
    assert {s["status"] for s in results["row.profile.update"]["steps"]} == {"passed"}
    assert results["row.profile.update"]["status"] == "passed"


def test_cli_failures_are_product_defects_categorised_by_check_class(cli_report: Path) -> None:
    results = _results(cli_report / "allure-results")
    categories = json.loads((cli_report / "allure-results" / "categories.json").read_text())
    created, edited = results["row.message.create"], results["row.message.edit"]
    assert created["status"] == edited["status"] == "failed"
    assert _category_of(created["statusDetails"]["message"], categories, "failed") == "delivery failures (product defect)"
    first_edit_check = edited["statusDetails"]["message"].split("/")[0].lstrip("[")
    assert _category_of(edited["statusDetails"]["message"], categories, "failed") == \
        f"{first_edit_check} failures (product defect)"
    for path in (cli_report / "allure-results").iterdir():
        assert not SECRET.search(path.read_text(errors="replace")), path


def test_pytest_gate_failure_is_a_failed_assertion_with_red_step_times_and_category(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_placeholder="def test_own_unit_test():\n    assert True\n")
    allure_dir = pytester.path / "allure"
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--sync-target=reference",
                                           "--sync-scenario=row.message.create", "--sync-scenario=row.profile.update",
                                           f"--sync-fault={FAULTS[0]}", f"--alluredir={allure_dir}", timeout=300)
    result.assert_outcomes(passed=2, failed=1)
    tests = {r["name"]: r for r in (json.loads(p.read_text()) for p in allure_dir.glob("*-result.json"))}
    created = tests["row.message.create"]
    assert created["status"] == "failed", "a check failure is a product defect, not a broken test"
    message = created["statusDetails"]["message"]
    assert re.match(r"\S*ScenarioFailed: \[delivery/leak\]", message), message
    categories = json.loads((allure_dir / "categories.json").read_text())
    assert _category_of(message, categories, "failed") == "delivery failures (product defect)"
    red = [s for s in created["steps"] if s["status"] == "failed"]
    assert [s["name"] for s in red] == ["mutation message.create by actor"]
    for step in created["steps"]:
        assert created["start"] - 5 <= step["start"] <= step["stop"] <= created["stop"] + 5, step
    assert created["stop"] - created["start"] > 500, "the scenario's real duration, not an instant"
    assert {s["status"] for s in tests["row.profile.update"]["steps"]} == {"passed"}
    for path in allure_dir.iterdir():
        assert not SECRET.search(path.read_text(errors="replace")), path
    if _allure_bin() is not None:  # and what `allure generate` makes of it
        data = _generate(allure_dir, pytester.path / "generated")
        assert "row.message.create" in _category_members(data)["delivery failures (product defect)"]
        case = next(c for c in (json.loads(p.read_text()) for p in (data / "test-cases").glob("*.json"))
                    if c["name"] == "row.message.create")
        assert case["time"]["duration"] > 500
        assert [s["name"] for s in case["testStage"]["steps"] if s["status"] == "failed"] == [
            "mutation message.create by actor"]


def _allure_bin() -> str | None:
    """ALLURE_BIN, else the copy scripts/bootstrap.sh installs with npm, else one on PATH."""
    bootstrapped = Path(__file__).resolve().parents[2] / ".tools/allure/node_modules/.bin/allure"
    return os.environ.get("ALLURE_BIN") or (str(bootstrapped) if bootstrapped.is_file() else shutil.which("allure"))


def _generate(results: Path, out: Path) -> Path:
    done = subprocess.run([_allure_bin() or "allure", "generate", str(results), "-o", str(out), "--clean"],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return out / "data"


def _category_members(data: Path) -> dict[str, list[str]]:
    """category -> its messages -> the tests with that message, flattened to test names."""
    return {c["name"]: [t["name"] for message in c["children"] for t in message["children"]]
            for c in json.loads((data / "categories.json").read_text())["children"]}


@pytest.mark.skipif(_allure_bin() is None, reason="Allure command line not installed (npm install allure-commandline)")
def test_allure_generate_shows_durations_a_filled_timeline_red_steps_and_categories(cli_report: Path,
                                                                                      tmp_path: Path) -> None:
    data = _generate(cli_report / "allure-results", tmp_path / "generated")
    categories = _category_members(data)
    assert "a REST message reaches exactly the channel's current viewers" in categories["delivery failures (product defect)"]
    timeline = json.loads((data / "timeline.json").read_text())
    leaves = []

    def walk(node: dict) -> None:
        leaves.extend(child for child in node.get("children", []) if "time" in child)
        for child in node.get("children", []):
            walk(child)

    walk(timeline)
    assert len(leaves) == 3 and all(leaf["time"]["duration"] > 0 for leaf in leaves)
    cases = [json.loads(p.read_text()) for p in (data / "test-cases").glob("*.json")]
    created = next(c for c in cases if c["name"].startswith("a REST message"))
    assert created["time"]["duration"] > 0
    assert [s["name"] for s in created["testStage"]["steps"] if s["status"] == "failed"] == [
        "mutation message.create by actor"]
