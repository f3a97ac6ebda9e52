"""`sync-harness bench` end to end on the reference target, small: every figure it promises is there,
the scaling runs pass without a false failure, and the ratio line is printed."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

HARNESS = [sys.executable, "-m", "harness.cli"]


def test_bench_prints_and_writes_its_figures_with_the_scaling_ratio(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run([*HARNESS, "bench", "--clients", "3", "--messages", "20", "--scale-clients", "4,60",
                           "--json", str(out)], capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    figures = json.loads(out.read_text())
    assert {"startup_s", "fanout", "scenario", "checked_vs_bare", "scaling"} <= set(figures)
    scaling = figures["scaling"]
    assert [run["status"] for run in scaling["runs"]] == ["passed", "passed"]
    assert scaling["false_failures"] == 0
    small, large = scaling["runs"]
    assert large["clients"] > small["clients"] and large["frames"] > small["frames"]
    assert scaling["wall_ratio"] == round(large["wall_s"] / small["wall_s"], 2)
    checked = figures["checked_vs_bare"]["checked"]
    assert checked["failures"] == 0 and checked["frames_checked_per_s_per_core"] > 0
    printed = done.stdout + done.stderr
    assert "scale ratio:" in printed and "checked vs bare:" in printed


def test_scale_client_counts_are_validated_before_anything_starts() -> None:
    done = subprocess.run([*HARNESS, "bench", "--scale-clients", "50"], capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and "give two client counts" in done.stderr
    assert "Traceback" not in done.stderr
