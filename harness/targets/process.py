"""Subprocess hygiene for targets: own process group, continuous output draining, no orphans.

Every server the harness starts is a :class:`ManagedProcess`:

* it runs in its **own session / process group** (``start_new_session=True``), so a terminal's Ctrl-C
  does not hit it directly and ``stop``/``kill`` reach every process it spawned (``killpg``);
* its stdout and stderr are **drained continuously** by two daemon threads into bounded ring buffers
  (a full pipe can never block the server, and the threads do not depend on any event loop);
* it is entered in a **process-wide registry**. An ``atexit`` hook and handlers for SIGTERM/SIGHUP
  (installed only where the signal still has its default disposition, and chained otherwise) terminate
  every still-running process group when the harness exits, so Ctrl-C (KeyboardInterrupt → normal
  interpreter exit) or a crash never orphans a server;
* on Linux, when started from the main thread, the direct child also gets ``PR_SET_PDEATHSIG`` =
  SIGKILL, which covers even a SIGKILLed harness (only for the direct child: a shell wrapper's own
  children are reached through the process group in the other paths).

Waiting is done by polling with a bound (``await wait_exit(timeout)``), never by blocking the loop.
"""
from __future__ import annotations

import asyncio
import atexit
import collections
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import IO, Any

__all__ = [
    "ManagedProcess",
    "live_processes",
    "kill_all_registered",
    "register_exit_cleanup",
    "unregister_exit_cleanup",
]

RING_LINES = 2000
"""Lines kept per stream for ``tail``."""
_MAX_LINE = 16 * 1024

_registry: dict[int, "ManagedProcess"] = {}
_registry_lock = threading.RLock()  # re-entrant: the signal handler may interrupt a holder
_hooks_installed = False
_previous_handlers: dict[int, Any] = {}
_exit_cleanups: dict[object, Callable[[], None]] = {}


def register_exit_cleanup(key: object, fn: Callable[[], None]) -> None:
    """Run ``fn`` when the harness exits (after every process group is gone), unless unregistered."""
    _install_hooks()
    with _registry_lock:
        _exit_cleanups[key] = fn


def unregister_exit_cleanup(key: object) -> None:
    with _registry_lock:
        _exit_cleanups.pop(key, None)


def _run_exit_cleanups() -> None:
    with _registry_lock:
        fns = list(_exit_cleanups.values())
        _exit_cleanups.clear()
    for fn in fns:
        try:
            fn()
        except Exception:
            pass


def live_processes() -> list["ManagedProcess"]:
    with _registry_lock:
        return [p for p in _registry.values() if p.alive()]


def kill_all_registered(grace: float = 2.0) -> None:
    """Terminate every registered process group: SIGTERM, wait up to ``grace`` s, then SIGKILL.

    Synchronous and safe to call from ``atexit`` or a signal handler.
    """
    with _registry_lock:
        procs = list(_registry.values())
    live = [p for p in procs if p._popen is not None]
    for p in live:
        p._signal_group(signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and any(p._popen.poll() is None for p in live):  # type: ignore[union-attr]
        time.sleep(0.02)
    for p in live:
        p._signal_group(signal.SIGKILL)
        try:
            p._popen.wait(timeout=1.0)  # type: ignore[union-attr]
        except Exception:
            pass
    with _registry_lock:
        for p in procs:
            _registry.pop(id(p), None)


def _atexit_hook() -> None:
    kill_all_registered()
    _run_exit_cleanups()


_CLEANUP_SIGNALS = {signal.SIGINT, signal.SIGTERM, *([signal.SIGHUP] if hasattr(signal, "SIGHUP") else [])}
"""Signals the main thread must receive (its handlers stop every registered process)."""


def _signal_handler(signum: int, frame: Any) -> None:
    try:
        kill_all_registered(grace=1.0)
        _run_exit_cleanups()
    finally:
        previous = _previous_handlers.get(signum, signal.SIG_DFL)
        if callable(previous) and previous not in (signal.SIG_DFL, signal.SIG_IGN):
            previous(signum, frame)
        else:
            signal.signal(signum, signal.SIG_DFL)
            os.kill(os.getpid(), signum)


def _install_hooks() -> None:
    global _hooks_installed
    if _hooks_installed:
        return
    _hooks_installed = True
    atexit.register(_atexit_hook)
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if sig is None:
            continue
        try:
            current = signal.getsignal(sig)
        except (ValueError, OSError):
            continue
        if current is signal.SIG_IGN or current is None:
            continue
        _previous_handlers[sig] = current
        try:
            signal.signal(sig, _signal_handler)
        except (ValueError, OSError):  # pragma: no cover
            pass


def _pdeathsig_preexec() -> None:  # runs in the child between fork and exec
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        PR_SET_PDEATHSIG = 1
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except Exception:
        pass


class ManagedProcess:
    """One subprocess in its own process group with drained, ring-buffered output."""

    def __init__(
        self,
        argv: Sequence[str],
        *,
        name: str,
        env: Mapping[str, str] | None = None,
        cwd: str | None = None,
        on_stdout_line: Callable[[str], None] | None = None,
        on_stderr_line: Callable[[str], None] | None = None,
        ring_lines: int = RING_LINES,
    ) -> None:
        self.argv = list(argv)
        self.name = name
        self.env = dict(env) if env is not None else None
        self.cwd = cwd
        self._on_line = {"stdout": on_stdout_line, "stderr": on_stderr_line}
        self._lock = threading.Lock()
        self._lines: dict[str, collections.deque[str]] = {
            "stdout": collections.deque(maxlen=ring_lines),
            "stderr": collections.deque(maxlen=ring_lines),
            "all": collections.deque(maxlen=ring_lines),
        }
        self._popen: subprocess.Popen[bytes] | None = None
        self._threads: list[threading.Thread] = []

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> None:
        if self._popen is not None and self._popen.poll() is None:
            raise RuntimeError(f"{self.name} already running")
        _install_hooks()
        preexec = None
        if sys.platform.startswith("linux") and threading.current_thread() is threading.main_thread():
            preexec = _pdeathsig_preexec
        self._popen = subprocess.Popen(  # noqa: S603 - argv built by the harness / the user
            self.argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=self.env,
            cwd=self.cwd,
            start_new_session=True,
            preexec_fn=preexec,
            close_fds=True,
        )
        with _registry_lock:
            _registry[id(self)] = self
        self._threads = []
        for stream_name, pipe in (("stdout", self._popen.stdout), ("stderr", self._popen.stderr)):
            t = threading.Thread(
                target=self._drain, args=(stream_name, pipe), name=f"drain-{self.name}-{stream_name}", daemon=True
            )
            t.start()
            self._threads.append(t)

    def _drain(self, stream_name: str, pipe: IO[bytes] | None) -> None:
        # A process-directed signal may be delivered to any thread that does not block it; taken by a
        # drain thread, it leaves the main thread asleep in its event loop's select (no wakeup fd
        # unless the loop handles signals itself), so the cleanup handler would wait for its timeout.
        signal.pthread_sigmask(signal.SIG_BLOCK, _CLEANUP_SIGNALS)
        if pipe is None:
            return
        callback = self._on_line[stream_name]
        try:
            while True:
                chunk = pipe.readline(_MAX_LINE)
                if not chunk:
                    break
                line = chunk.decode("utf-8", "replace").rstrip("\r\n")
                with self._lock:
                    self._lines[stream_name].append(line)
                    self._lines["all"].append(line if stream_name == "stdout" else f"[stderr] {line}")
                if callback is not None:
                    try:
                        callback(line)
                    except Exception:
                        pass
        except (OSError, ValueError):
            pass
        finally:
            try:
                pipe.close()
            except OSError:
                pass

    @property
    def pid(self) -> int | None:
        return self._popen.pid if self._popen is not None else None

    @property
    def returncode(self) -> int | None:
        return self._popen.poll() if self._popen is not None else None

    def alive(self) -> bool:
        return self._popen is not None and self._popen.poll() is None

    def _signal_group(self, sig: int) -> None:
        if self._popen is None:
            return
        try:
            os.killpg(self._popen.pid, sig)
        except (ProcessLookupError, PermissionError):
            if self._popen.poll() is None:
                try:
                    self._popen.send_signal(sig)
                except ProcessLookupError:
                    pass

    async def wait_exit(self, timeout: float) -> int | None:
        """Poll until the process exits or ``timeout`` passes; its exit code, or None if still running."""
        if self._popen is None:
            return None
        deadline = time.monotonic() + timeout
        delay = 0.005
        while True:
            code = self._popen.poll()
            if code is not None:
                return code
            if time.monotonic() >= deadline:
                return None
            await asyncio.sleep(min(delay, max(0.0, deadline - time.monotonic())))
            delay = min(delay * 2, 0.05)

    async def terminate(self, grace: float = 5.0) -> int | None:
        """SIGTERM the process group, wait up to ``grace`` s, then SIGKILL. Returns the exit code."""
        if self._popen is None:
            return None
        if self._popen.poll() is None:
            self._signal_group(signal.SIGTERM)
            code = await self.wait_exit(grace)
            if code is None:
                self._signal_group(signal.SIGKILL)
                code = await self.wait_exit(5.0)
        # Leftover members of the group (e.g. children of a shell wrapper).
        self._signal_group(signal.SIGKILL)
        await self.join_drains(1.0)
        self._unregister()
        return self._popen.poll()

    async def kill(self) -> int | None:
        """SIGKILL the process group at once. Returns the exit code."""
        if self._popen is None:
            return None
        self._signal_group(signal.SIGKILL)
        code = await self.wait_exit(5.0)
        await self.join_drains(1.0)
        self._unregister()
        return code

    def finish_draining(self, timeout: float) -> None:
        """After the process exited: let the reader threads pick up its last output (blocking, bounded;
        only on the crash path, where the pipes are already at EOF)."""
        for thread in self._threads:
            thread.join(timeout=timeout)

    async def join_drains(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while any(t.is_alive() for t in self._threads) and time.monotonic() < deadline:
            await asyncio.sleep(0.01)

    def _unregister(self) -> None:
        with _registry_lock:
            _registry.pop(id(self), None)

    # ------------------------------------------------------------------ output
    def tail(self, lines: int = 40, stream: str = "all") -> str:
        with self._lock:
            buf = list(self._lines[stream])
        return "\n".join(buf[-lines:]) if lines > 0 else ""

    def last_line(self, stream: str = "stderr") -> str:
        with self._lock:
            for line in reversed(self._lines[stream]):
                if line.strip():
                    return line.strip()
        return ""
