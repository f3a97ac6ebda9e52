"""Start a server for a test and wait until it really serves: no fixed sleeps, no port races.

Every server a test starts binds port 0 itself and announces its port on stdout (``listening on
http://127.0.0.1:PORT``), so no port is picked before it is bound; the test then waits, within one
total deadline, for ``GET /health`` to answer 200. A start that fails raises with the server's own
output, so a red test says why.
"""
from __future__ import annotations

import random
import re
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import deque
from collections.abc import Sequence
from pathlib import Path

LISTENING = re.compile(r"listening on (https?://\S+)")
START_TIMEOUT_S = 30.0
STOP_TIMEOUT_S = 10.0

# Linux hands out ephemeral ports from 32768 up; a port below that range is never taken by an
# outgoing connection between the moment we check it and the moment a server binds it.
_UNEPHEMERAL_PORTS = (20000, 32000)


class ServerFailedToStart(AssertionError):
    """The server did not announce its port or answer /health in time; the message has its output."""


class ServedProcess:
    """A server subprocess that announces ``listening on URL`` and answers ``GET /health``.

    Its output (stdout and stderr, merged) is drained by a thread for its whole life, so a chatty
    server never blocks on a full pipe, and the last lines are kept for error messages.
    """

    def __init__(self, argv: Sequence[str], *, cwd: Path | None = None, env: dict[str, str] | None = None,
                 timeout: float = START_TIMEOUT_S) -> None:
        self.argv = list(argv)
        self.url: str | None = None
        self._log: deque[str] = deque(maxlen=200)
        self._announced = threading.Event()
        self.proc = subprocess.Popen(self.argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1)
        self._reader = threading.Thread(target=self._drain, name="served-process-log", daemon=True)
        self._reader.start()
        try:
            self._wait_ready(time.monotonic() + timeout, timeout)
        except BaseException:
            self.stop()
            raise

    def _drain(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self._log.append(line.rstrip("\n"))
            match = LISTENING.search(line)
            if match and self.url is None:
                self.url = match.group(1).rstrip("/")
                self._announced.set()
        self._announced.set()  # EOF: the process ended; the waiter sees url is None

    def _wait_ready(self, deadline: float, timeout: float) -> None:
        if not self._announced.wait(max(0.0, deadline - time.monotonic())) or self.url is None:
            raise ServerFailedToStart(self._why(f"did not announce 'listening on' within {timeout:.0f}s"))
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise ServerFailedToStart(self._why(f"exited with code {self.proc.returncode}"))
            if health_ok(self.url, timeout=min(2.0, max(0.1, deadline - time.monotonic()))):
                return
            time.sleep(0.05)
        raise ServerFailedToStart(self._why(f"{self.url}/health did not answer 200 within {timeout:.0f}s"))

    def _why(self, problem: str) -> str:
        return f"{' '.join(self.argv)}: {problem}; output:\n{self.log_tail()}"

    @property
    def port(self) -> int:
        assert self.url is not None
        return int(self.url.rsplit(":", 1)[1])

    def log_tail(self, lines: int = 40) -> str:
        return "\n".join(list(self._log)[-lines:])

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(STOP_TIMEOUT_S)
        self._reader.join(STOP_TIMEOUT_S)

    def __enter__(self) -> "ServedProcess":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def health_ok(url: str, timeout: float = 2.0) -> bool:
    """Whether ``GET {url}/health`` answers 200 right now (no proxy, bounded)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{url}/health", timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError, ValueError):
        return False


def free_port() -> int:
    """A loopback port nobody listens on now, below the ephemeral range (see ``_UNEPHEMERAL_PORTS``).

    Only for a command whose port must be known before it starts (``command:`` targets need
    ``--target-url``); anything that can bind port 0 and announce its port should do that instead.
    """
    low, high = _UNEPHEMERAL_PORTS
    for port in random.sample(range(low, high), 200):
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free loopback port in {low}-{high}")


def wait_until(predicate, timeout: float, interval: float = 0.05) -> bool:  # type: ignore[no-untyped-def]
    """Poll ``predicate`` until it is true or ``timeout`` seconds pass; returns its last value."""
    deadline = time.monotonic() + timeout
    while True:
        value = bool(predicate())
        if value or time.monotonic() >= deadline:
            return value
        time.sleep(interval)
