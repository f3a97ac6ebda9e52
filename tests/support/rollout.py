"""Run ``sync-harness rollout`` as a real subprocess (bounded) and read the JSON report it wrote."""
from __future__ import annotations

import json
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
MANIFEST = REPO_ROOT / "tests" / "data" / "rollout" / "gateway_events_manifest.json"
ROLLOUT_TIMEOUT_S = 300


@dataclass
class RolloutRun:
    code: int
    stdout: str
    stderr: str
    report: dict[str, Any] | None

    def item(self, number: int) -> dict[str, Any]:
        assert self.report is not None, f"no report written; stderr: {self.stderr[-800:]}"
        return next(i for i in self.report["items"] if i["number"] == number)

    def statuses(self) -> dict[int, str]:
        assert self.report is not None, f"no report written; stderr: {self.stderr[-800:]}"
        return {i["number"]: i["status"] for i in self.report["items"]}


def run_rollout(report_dir: Path, *args: str) -> RolloutRun:
    done = subprocess.run([sys.executable, "-m", "harness.cli", "rollout", "--report", str(report_dir), *args],
                          capture_output=True, text=True, timeout=ROLLOUT_TIMEOUT_S, cwd=REPO_ROOT)
    path = report_dir / "rollout.json"
    report = json.loads(path.read_text()) if path.exists() else None
    return RolloutRun(done.returncode, done.stdout, done.stderr, report)


def export_baseline(directory: Path) -> Path:
    subprocess.run([sys.executable, "-m", "harness.cli", "contracts", "export", str(directory)], check=True,
                   capture_output=True, timeout=120, cwd=REPO_ROOT)
    return directory
