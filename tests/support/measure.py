"""Run a command as a child process and measure it: wall time, exit code, output and its own peak
memory (``ru_maxrss`` of that one child, from ``wait4``; not of the test process or other children)."""
from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Measured:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    maxrss_mb: float
    """Peak resident memory of the child, in MiB."""
    ended_at: float
    """``time.time()`` when the child had exited (to compare with a server's own timestamps)."""


def run_measured(argv: Sequence[str], *, timeout: float, env: dict[str, str] | None = None) -> Measured:
    """Run ``argv`` to its end (killed after ``timeout`` s: the test then fails on the exit code)."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.monotonic()
        proc = subprocess.Popen(list(argv), stdin=subprocess.DEVNULL, stdout=out, stderr=err, env=env,
                                start_new_session=True)
        status, usage = _wait4(proc, started + timeout)
        seconds = time.monotonic() - started
        ended_at = time.time()
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        return Measured(proc.returncode, out.read(), err.read(), seconds, usage.ru_maxrss / 1024.0, ended_at)


def _wait4(proc: subprocess.Popen, deadline: float) -> tuple[int, os.struct_rusage]:  # type: ignore[type-arg]
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid == proc.pid:
            return status, usage
        if time.monotonic() >= deadline:
            os.killpg(proc.pid, signal.SIGKILL)
            _, status, usage = os.wait4(proc.pid, 0)
            return status, usage
        time.sleep(0.05)
