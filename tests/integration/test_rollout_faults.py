"""`sync-harness rollout` against the reference target with planted faults: each item fails with its own
clear message (and the run exits 1); bad input is a one-line usage error (exit 2) before any target starts.

The fast smoke subsets (``--scenario``) keep each run short; the full checklist run and the web-client
fault are in tests/browser/test_rollout_browser.py.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.support.rollout import MANIFEST, export_baseline, run_rollout

pytestmark = pytest.mark.timeout(300)

FAULTS = [
    # fault, smoke subset, item that must fail, words its message must contain
    ("server.metrics_missing_family", "row.profile.update", 1,
     "family filament_gateway_events_unknown_received_total is missing"),
    ("server.parse_rejected_not_counted", "row.profile.update", 2,
     'filament_gateway_events_parse_rejected_total{reason="invalid_envelope",scope="ingress"} did not move'),
    ("server.silent_drop_message_update", "row.message.edit", 3,
     "message_update: emitted_total moved"),
    ("server.message_create_renamed_field", "row.message.edit", 4,
     "message_create: a payload seen on the wire breaks the baseline schema at d: 'author_id' is a required property "
     "(members the baseline does not know: author_user_id; renamed?)"),
    ("server.message_update_stale_content", "row.message.edit", 6,
     "smoke scenarios failed; first: row.message.edit"),
]


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return export_baseline(tmp_path_factory.mktemp("rollout") / "baseline")


@pytest.mark.parametrize(("fault", "scenario", "number", "words"), FAULTS, ids=[f[0] for f in FAULTS])
def test_each_item_fails_on_its_planted_fault(tmp_path: Path, baseline: Path, fault: str, scenario: str,
                                              number: int, words: str) -> None:
    run = run_rollout(tmp_path, "--fault", fault, "--scenario", scenario, "--browsers", "0",
                      "--baseline-schemas", str(baseline), "--manifest", str(MANIFEST))
    assert run.code == 1, run.stderr
    item = run.item(number)
    assert item["status"] == "failed", item
    assert words in item["message"], item["message"]
    assert f"failed  {number}. " in run.stdout  # the console line says which item


def test_an_event_missing_from_the_manifest_fails_item_5_naming_it(tmp_path: Path) -> None:
    manifest = json.loads(MANIFEST.read_text())
    manifest["events"] = [e for e in manifest["events"] if e["event_type"] != "workspace_role_reorder"]
    drifted = tmp_path / "manifest.json"
    drifted.write_text(json.dumps(manifest))
    run = run_rollout(tmp_path / "report", "--manifest", str(drifted), "--scenario", "row.profile.update",
                      "--browsers", "0")
    assert run.code == 1
    assert run.item(5)["status"] == "failed"
    assert "workspace_role_reorder: in the harness's catalogue, missing from the server's manifest" in run.item(5)["message"]
    assert {n: s for n, s in run.statuses().items() if n != 5} == {1: "passed", 2: "passed", 3: "passed",
                                                                    4: "passed", 6: "passed", 7: "skipped"}
    written = (tmp_path / "report" / "rollout.json").read_text() + (tmp_path / "report" / "rollout.html").read_text()
    assert "Rollout-" not in written and "fat1." not in written  # no password, no access token in the reports


@pytest.mark.parametrize(("args", "words"), [
    (["--manifest", "/nonexistent/manifest.json"], "--manifest /nonexistent/manifest.json: no such file"),
    (["--baseline-schemas", "/nonexistent"], "--baseline-schemas /nonexistent: "),
    (["--fault", "server.metrics_missing_family", "--target", "url:http://127.0.0.1:9"], "--fault needs --target reference"),
])
def test_bad_input_is_a_one_line_usage_error(tmp_path: Path, args: list[str], words: str) -> None:
    run = run_rollout(tmp_path, *args)
    assert run.code == 2
    assert run.stderr.startswith("error: ") and words in run.stderr and len(run.stderr.strip().splitlines()) == 1
    assert run.report is None


def test_against_a_running_server_with_the_fixed_64_kib_limit_the_oversized_drop_is_skipped(tmp_path: Path) -> None:
    """A url: target whose max_gateway_event_bytes is unknown (Filament's fixed 64 KiB): the gate judges
    the four offending frames and says the oversized drop is not forceable; a profile limit forces it."""
    import os
    import sys

    from tests.support.servers import ServedProcess

    env = {**os.environ, "FILAMENT_RATE_LIMIT_REQUESTS_PER_MINUTE": "100000",
           "FILAMENT_AUTH_ROUTE_REQUESTS_PER_MINUTE": "100000", "FILAMENT_MAX_GATEWAY_EVENT_BYTES": "2048"}
    server = ServedProcess([sys.executable, "-m", "harness.reference", "--port", "0"], env=env)
    try:
        common = ("--target", f"url:{server.url}", "--scenario", "row.profile.update", "--browsers", "0")
        unknown = run_rollout(tmp_path / "unknown", *common)
        assert unknown.code == 0, unknown.stdout[-2000:]
        assert unknown.item(2)["message"].endswith("(oversized drop skipped: not forceable on this target)")
        assert any("skipped: not forceable on this target (max_gateway_event_bytes 65536" in line
                   for line in unknown.item(2)["evidence"])
        profiled = run_rollout(tmp_path / "profiled", *common, "--max-event-bytes", "2048")
        assert profiled.code == 0, profiled.stdout[-2000:]
        assert any("oversized outbound drop (limit 2048 bytes): REST 200, 0 message_create delivered" in line
                   for line in profiled.item(2)["evidence"])
    finally:
        server.stop()
