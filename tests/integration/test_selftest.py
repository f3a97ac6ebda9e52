"""`sync-harness selftest`: a planted fault is caught by its expected check class, and a harness with a
checker switched off is noticed (selftest fails), so the selftest itself is shown able to fail."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from harness.checks.types import CheckClass
from harness.commands.selftest import PLANTED, ROLLOUT_ONLY_FAULTS, reference_faults, suppression_probes
from scenarios import catalogue

FAULTS = ["server.duplicate_message_create", "server.ip_ban_sync_leaks_ip", "server.legacy_reaction_payload"]


def _selftest(tmp_path: Path, *extra: str) -> tuple[int, str, dict]:
    out = tmp_path / "selftest.json"
    args = [sys.executable, "-m", "harness.cli", "selftest", "--json", str(out)]
    for fault in FAULTS:
        args += ["--fault", fault]
    done = subprocess.run([*args, *extra], capture_output=True, text=True, timeout=300)
    return done.returncode, done.stderr, json.loads(out.read_text())


def test_planted_faults_are_caught_by_their_expected_check(tmp_path: Path) -> None:
    code, log, result = _selftest(tmp_path)
    assert code == 0, log
    faults = {f["fault"]: f for f in result["selftest"]["faults"]}
    assert {f: faults[f]["caught"] for f in FAULTS} == {f: True for f in FAULTS}
    assert faults["server.ip_ban_sync_leaks_ip"]["expected_check"] == "redaction"
    assert result["selftest"]["matrix"]["server.duplicate_message_create"]["delivery"] > 0
    assert "planted fault × check class" in log and "server.legacy_reaction_payload" in log


def test_a_disabled_checker_makes_the_selftest_fail(tmp_path: Path) -> None:
    code, log, result = _selftest(tmp_path, "--disable-check", "redaction")
    assert code == 1, log
    faults = {f["fault"]: f for f in result["selftest"]["faults"]}
    assert faults["server.ip_ban_sync_leaks_ip"]["caught"] is False
    assert faults["server.duplicate_message_create"]["caught"] is True
    assert result["selftest"]["verdict"] == "failed"


def test_the_fault_table_covers_every_planted_fault_and_every_check_class() -> None:
    known = reference_faults()
    assert ROLLOUT_ONLY_FAULTS <= set(known)  # caught by the rollout checklist (tests/*/test_rollout_*.py)
    planted = [f for f in known if not f.startswith("suppress:") and f not in ROLLOUT_ONLY_FAULTS]
    assert len(planted) >= 16 + 4  # at least 16 server faults, plus the 4 web-client faults
    assert sorted(p.fault for p in PLANTED) == sorted(planted)
    assert {p.expected for p in PLANTED} == set(CheckClass)
    ids = [entry.id for entry in catalogue(seed=1)]
    assert all(scenario in ids for p in PLANTED for scenario in p.scenarios)
    assert len(suppression_probes(ids)) >= 25  # every event a catalogue row emits
