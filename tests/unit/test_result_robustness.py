"""The pieces that keep a run's result true (issue 16), each shown failing on the input it exists for:
deep evidence, report writers with a run-level cause, re-used report folders, option and URL types,
scenario files validated whole, crash causes, gateway-only browser sockets, and signals."""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from harness.checks.types import CheckClass, CheckFailure
from harness.clients.browser.frames import is_gateway_url
from harness.commands.interrupts import run_until_signalled
from harness.commands.options import http_url, non_negative_float, positive_float, target_spec
from harness.commands.run import json_file, run_namespace
from harness.engine.crash import one_line_cause
from harness.engine.evidence_depth import MAX_DEPTH, bounded_depth
from harness.engine.results import (
    RunCause, RunOptionsRecord, RunResult, RunSummary, ScenarioResult, TargetRecord, failure_record,
)
from harness.engine.scenario import StepSpec
from harness.engine.steps import resolve_step
from harness.errors import ScenarioError, Terminated, UsageError
from harness.redact import Redactor
from harness.targets.urls import checked_http_url
from reports.json_report import write_json_data
from reports.writers import check_file_writable, write_reports
from scenarios.selection import select_entries


def _nested(depth: int) -> dict:
    root: dict = {}
    node = root
    for _ in range(depth):
        node["d"] = {}
        node = node["d"]
    return root


def _depth(value: object) -> int:
    depth = 0
    while isinstance(value, dict) and value:
        value = next(iter(value.values()))
        depth += 1
    return depth


def _run(scenarios: list[ScenarioResult], cause: RunCause | None = None, status: str = "error") -> RunResult:
    count = {s: sum(1 for r in scenarios if r.status == s) for s in ("passed", "failed", "error", "skipped")}
    return RunResult(status=status, started_at="2026-12-07T00:00:00+00:00", duration_s=1.0, cause=cause,
                     interrupted=bool(cause and cause.kind in ("interrupted", "terminated")),
                     target=TargetRecord(spec="reference", description="reference"), options=RunOptionsRecord(),
                     summary=RunSummary(total=len(scenarios), **count), scenarios=scenarios)


# ------------------------------------------------------------------ evidence and writers

def test_a_900_deep_frame_is_cut_and_every_writer_still_writes(tmp_path: Path) -> None:
    frame = _nested(900)
    failure = failure_record(CheckFailure(CheckClass.CONTRACT, "schema", "planted", observed=frame,
                                          expected={"ok": frame}, details={"frame": frame}))
    assert _depth(failure.observed) == MAX_DEPTH  # 32 objects, then the marker string
    assert "nested deeper than 32 levels" in json.dumps(failure.observed)
    scenario = ScenarioResult(id="row.x", title="x", status="failed", duration_s=0.1, failures=[failure])
    write_reports(_run([scenario], status="failed"), Redactor(), report_dir=tmp_path / "r", json_path=tmp_path / "j.json")
    for path in (tmp_path / "r" / "result.json", tmp_path / "j.json"):
        assert json.loads(path.read_text())["scenarios"][0]["status"] == "failed"
    assert ET.parse(tmp_path / "r" / "junit.xml").getroot().get("failures") == "1"
    assert list((tmp_path / "r" / "allure-results").glob("*-result.json"))


def test_without_the_cut_the_deep_frame_breaks_the_writer(tmp_path: Path) -> None:
    # The planted fault for the test above: the same value, not bounded, cannot be dumped at all.
    with pytest.raises((RecursionError, ValueError)):
        ScenarioResult.model_validate({"id": "x", "title": "x", "status": "failed", "duration_s": 0,
                                       "failures": [{"check": "contract", "kind": "schema", "message": "m",
                                                     "observed": _nested(900)}]}).model_dump_json()


def test_bounded_depth_keeps_shallow_values_and_their_order() -> None:
    value = {"b": [1, (2, {"c": None})], "a": "x"}
    assert bounded_depth(value) == {"b": [1, [2, {"c": None}]], "a": "x"}
    assert list(bounded_depth(value)) == ["b", "a"]


def test_a_run_level_cause_is_an_error_testcase_in_junit_and_a_broken_test_in_allure(tmp_path: Path) -> None:
    passed = ScenarioResult(id="row.a", title="a", status="passed", duration_s=0.1)
    cause = RunCause(kind="target_died", message="the target died during scenario 'row.b': gone", scenario="row.b")
    write_reports(_run([passed], cause), Redactor(), report_dir=tmp_path)
    suite = ET.parse(tmp_path / "junit.xml").getroot()
    assert (suite.get("tests"), suite.get("errors")) == ("2", "1")
    [error] = suite.iter("error")
    assert error.get("type") == "target_died" and "gone" in error.get("message", "")
    allure = {t["testCaseId"]: t for t in (json.loads(p.read_text())
                                           for p in (tmp_path / "allure-results").glob("*-result.json"))}
    assert allure["run"]["status"] == "broken" and "target_died" in allure["run"]["statusDetails"]["message"]
    assert json.loads((tmp_path / "result.json").read_text())["cause"]["kind"] == "target_died"


def test_a_passed_run_has_no_run_testcase(tmp_path: Path) -> None:
    write_reports(_run([ScenarioResult(id="row.a", title="a", status="passed", duration_s=0.1)], status="passed"),
                  Redactor(), report_dir=tmp_path)
    assert ET.parse(tmp_path / "junit.xml").getroot().get("tests") == "1"


def test_a_reused_allure_folder_loses_the_previous_results_but_not_other_files(tmp_path: Path) -> None:
    folder = tmp_path / "allure-results"
    folder.mkdir()
    (folder / "0-result.json").write_text("{}")
    (folder / "0-attachment.json").write_text("{}")
    (folder / "categories.json").write_text("[]")  # a user's own Allure file stays
    write_reports(_run([ScenarioResult(id="row.a", title="a", status="passed", duration_s=0.1)], status="passed"),
                  Redactor(), report_dir=tmp_path)
    assert not (folder / "0-result.json").exists() and not (folder / "0-attachment.json").exists()
    assert (folder / "categories.json").exists()
    assert len(list(folder.glob("*-result.json"))) == 1


def test_a_json_result_that_cannot_be_written_leaves_no_stray_tmp(tmp_path: Path) -> None:
    with pytest.raises((RecursionError, ValueError)):
        write_json_data(_nested(5000), tmp_path / "r.json")
    (tmp_path / "dir.json").mkdir()
    with pytest.raises(OSError):
        write_json_data({"ok": 1}, tmp_path / "dir.json")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["dir.json"]


def test_json_pointing_at_a_directory_is_refused_before_the_run(tmp_path: Path) -> None:
    with pytest.raises(argparse.ArgumentTypeError, match="is a directory"):
        json_file(str(tmp_path))
    with pytest.raises(UsageError, match="is a directory"):
        check_file_writable(tmp_path, "the JSON result")
    assert json_file(str(tmp_path / "r.json")) == tmp_path / "r.json"


# ------------------------------------------------------------------ option values and URLs

@pytest.mark.parametrize("text", ["nan", "inf", "-inf", "NaN", "1e999"])
def test_non_finite_seconds_are_refused(text: str) -> None:
    for parse in (positive_float, non_negative_float):
        with pytest.raises(argparse.ArgumentTypeError, match="finite"):
            parse(text)


@pytest.mark.parametrize(("url", "why"), [
    ("http://127.0.0.1:99999", "invalid port '99999'"),
    ("http://127.0.0.1:abc", "invalid port 'abc'"),
    ("http://[::1", "not a valid URL"),
    ("http://256.1.1.1", "not an IPv4 address"),
    ("http://1.2.3", "not an IPv4 address"),
    ("http://127.0.0.1:0", "port 0"),
    ("ftp://127.0.0.1", "http(s) URL"),
    ("http://user:secret@256.1.1.1", "not an IPv4 address"),
])
def test_bad_target_urls_are_one_line_usage_errors(url: str, why: str) -> None:
    with pytest.raises(UsageError, match=r"^[^\n]*" + __import__("re").escape(why)) as caught:
        checked_http_url(url)
    assert "secret" not in str(caught.value)
    with pytest.raises(argparse.ArgumentTypeError):
        target_spec(f"url:{url}")
    with pytest.raises(argparse.ArgumentTypeError):
        http_url(url)


@pytest.mark.parametrize("url", ["http://127.0.0.1:3000", "https://chat.example/api", "http://[::1]:8080",
                                 "http://localhost"])
def test_good_target_urls_pass_unchanged(url: str) -> None:
    assert checked_http_url(url) == url and target_spec(f"url:{url}") == f"url:{url}"


def test_a_fresh_namespace_per_run_of_fixed_length() -> None:
    names = {run_namespace() for _ in range(50)}
    assert len(names) == 50 and {len(n) for n in names} == {6}


# ------------------------------------------------------------------ scenario files validated whole

_GOOD = '''id = "x"
title = "t"
[world]
users = ["a", "b"]
[[world.guilds]]
alias = "g"
owner = "a"
members = { b = "member" }
[[clients]]
label = "a"
user = "a"
observes_as = "actor"
subscribe = ["g/general"]
[[steps]]
do = "message.create"
actor = "a"
channel = "general"
message = "m1"
content = "hi"
'''


@pytest.mark.parametrize(("content", "why"), [
    (bytes(range(256)), "not a text file"),
    ("id = " + "[" * 5000 + "]" * 5000 + "\n", "nested too deeply"),
    (_GOOD + 'colour = "red"\n', "step 0 (message.create): unknown parameter 'colour'"),
    (_GOOD.replace('do = "message.create"', 'do = "message.crate"'), "unknown action 'message.crate'"),
    (_GOOD.replace('actor = "a"', 'actor = "zed"'), "step 0 (message.create): actor 'zed' is not a user"),
    (_GOOD.replace('channel = "general"', 'channel = "nochan"'), "step 0 (message.create): unknown channel alias"),
    (_GOOD + '[[steps]]\ndo = "disconnect"\nclient = "nobody"\n', "step 1 (disconnect): no client labelled 'nobody'"),
    (_GOOD + '[[steps]]\ndo = "subscribe"\nclient = "a"\nguild = "g"\nchannel = "zz"\n', "step 1 (subscribe)"),
])
def test_a_bad_scenario_file_is_one_error_naming_file_and_place(tmp_path: Path, content: str | bytes, why: str) -> None:
    path = tmp_path / "bad.toml"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(ScenarioError) as caught:
        select_entries(["x"], [path])
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and why in message and "\n" not in message


def test_the_good_file_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "good.toml"
    path.write_text(_GOOD)
    [entry] = select_entries(["x"], [path])
    assert entry.id == "x"


def test_an_unknown_step_parameter_is_refused_not_dropped() -> None:
    with pytest.raises(ScenarioError, match="unknown parameter 'bogus'"):
        resolve_step("s", 0, StepSpec(do="subscribe", client="a", guild="g", channel="c", bogus=1), "ns")


# ------------------------------------------------------------------ crashes, sockets, signals

def test_a_crash_cause_is_one_line_with_where_it_happened() -> None:
    try:
        {}["guild_id"]
    except KeyError as exc:
        cause = one_line_cause(exc)
    assert cause.startswith("harness crashed: KeyError: 'guild_id' (at ") and "test_result_robustness.py:" in cause
    assert "\n" not in one_line_cause(ValueError("first\nsecond"))


@pytest.mark.parametrize(("url", "gateway"), [
    ("ws://127.0.0.1:8080/gateway/ws?access_token=x", True),
    ("wss://chat.example/gateway/ws", True),
    ("ws://localhost:5173/?token=abc", False),  # Vite's hot-reload socket
    ("ws://localhost:5173/gateway/ws-not", False),
])
def test_only_the_gateway_path_is_a_gateway_socket(url: str, gateway: bool) -> None:
    assert is_gateway_url(url) is gateway


def test_a_second_signal_does_not_abort_the_cleanup_of_the_first() -> None:
    cleaned: list[str] = []

    async def main(stopping) -> None:  # type: ignore[no-untyped-def]
        os.kill(os.getpid(), signal.SIGINT)
        try:
            await asyncio.sleep(30)
        except asyncio.CancelledError:
            os.kill(os.getpid(), signal.SIGINT)  # a second Ctrl-C while cleaning up
            os.kill(os.getpid(), signal.SIGTERM)
            await asyncio.sleep(0.3)  # the signals are handled now, during the cleanup
            cleaned.append(stopping.kind)
            raise

    with pytest.raises(KeyboardInterrupt) as caught:
        run_until_signalled(main)
    assert cleaned == ["interrupted"] and not isinstance(caught.value, Terminated)


def test_sigterm_first_makes_the_run_terminated() -> None:
    async def main(stopping) -> None:  # type: ignore[no-untyped-def]
        os.kill(os.getpid(), signal.SIGTERM)
        await asyncio.sleep(30)

    with pytest.raises(Terminated):
        run_until_signalled(main)


def test_only_a_folder_holding_an_earlier_harness_report_is_cleared(tmp_path: Path) -> None:
    from reports.writers import clear_previous_report

    mine = tmp_path / "mine"
    (mine / "artefacts").mkdir(parents=True)
    (mine / "artefacts" / "keep.txt").write_text("the user's")
    clear_previous_report(mine)  # no result.json: not a harness report folder
    assert (mine / "artefacts" / "keep.txt").exists()
    (mine / "result.json").write_text('{"tool": "something-else"}')
    clear_previous_report(mine)
    assert (mine / "artefacts" / "keep.txt").exists()
    (mine / "result.json").write_text('{"tool": "filament-sync-harness"}')
    clear_previous_report(mine)
    assert not (mine / "artefacts").exists()
