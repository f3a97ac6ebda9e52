"""Every report file a run writes, and the check that it can be written before the run starts."""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from harness.engine.results import RunResult
from harness.errors import UsageError
from harness.redact import Redactor
from reports.allure_report import remove_previous_allure_results, write_allure
from reports.html import REPORT_FILE, write_html
from reports.compare import COMPARISON_FILE
from reports.json_report import write_json, write_json_data
from reports.junit import write_junit


def check_writable(directory: Path, what: str) -> None:
    """Create ``directory`` now: a report that cannot be written is a one-line error before the run,
    not a traceback after it (with the run's result lost)."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise UsageError(f"cannot write {what} to {directory}: not a directory") from None
    except OSError as exc:
        raise UsageError(f"cannot write {what} to {directory}: {exc.strerror or exc}") from None
    if not os.access(directory, os.W_OK):
        raise UsageError(f"cannot write {what} to {directory}: permission denied")


def check_file_writable(path: Path, what: str) -> None:
    """``path`` names a file that can be (over)written: its folder is created now, and a path that is a
    folder is refused before the run (it used to lose the whole run's result at the end)."""
    if path.is_dir():
        raise UsageError(f"cannot write {what} to {path}: it is a directory; name a file, e.g. {path / 'result.json'}")
    check_writable(path.parent, what)


def clear_previous_report(report_dir: Path) -> None:
    """A ``--report`` folder that holds an earlier run of this harness (its ``result.json`` says so) loses
    that run's artefacts and Allure results before this run starts, so nothing in it outlives its run.
    A folder without such a result.json is left as it is: it may be the user's own."""
    try:
        previous = json.loads((report_dir / "result.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return
    if not isinstance(previous, dict) or previous.get("tool") != "filament-sync-harness":
        return
    shutil.rmtree(report_dir / "artefacts", ignore_errors=True)
    remove_previous_allure_results(report_dir / "allure-results")


def write_reports(run: RunResult, redactor: Redactor, *, report_dir: Path | None = None,
                  json_path: Path | None = None, comparison: dict[str, Any] | None = None) -> None:
    """``json_path``: the JSON result alone; ``report_dir``: result.json, junit.xml, allure-results and
    report.html (with ``comparison``, what changed since previous runs: reports/compare.py)."""
    if json_path:
        write_json(run, json_path, redactor)
    if report_dir:
        write_json(run, report_dir / "result.json", redactor)
        write_junit(run, report_dir / "junit.xml", redactor)
        write_allure(run, report_dir / "allure-results", redactor)
        write_html(run, report_dir / REPORT_FILE, redactor, comparison)
        if comparison is not None:
            write_json_data(redactor.redact(comparison), report_dir / COMPARISON_FILE)
