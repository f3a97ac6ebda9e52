"""Ctrl-C and SIGTERM end a run the same way: the running scenario is cancelled, the report of what ran
is written, servers and browsers are stopped, and the command exits 130 (SIGINT) or 143 (SIGTERM).

A second signal while the run is already stopping does not abort the cleanup half-way (which used to
lose the report and leave Chromium's temporary profiles behind): it only says what is happening.
Every cleanup step is bounded, so the wait is short.
"""
from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Literal, TypeVar

from harness.errors import Terminated

T = TypeVar("T")
StopKind = Literal["interrupted", "terminated"]

_KIND_OF = {signal.SIGINT: "interrupted", signal.SIGTERM: "terminated"}


@dataclass
class Stopping:
    """Set by the first signal: which one it was (the run's ``cause``)."""

    kind: StopKind | None = None


def run_until_signalled(main: Callable[[Stopping], Awaitable[T]]) -> T:
    """``asyncio.run(main(stopping))`` with SIGINT and SIGTERM both cancelling ``main`` once.
    Raises ``KeyboardInterrupt`` (Ctrl-C) or :class:`Terminated` (SIGTERM) after ``main`` has cleaned up."""
    stopping = Stopping()

    async def guarded() -> T:
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        assert task is not None

        def on_signal(signum: signal.Signals) -> None:
            if stopping.kind is None:
                stopping.kind = _KIND_OF[signum]  # type: ignore[assignment]
                task.cancel()
            else:
                print("already stopping: writing the report, then stopping servers and browsers",
                      file=sys.stderr, flush=True)

        previous = {signum: signal.getsignal(signum) for signum in _KIND_OF}
        installed = [signum for signum in _KIND_OF if _install(loop, signum, on_signal)]
        try:
            return await main(stopping)
        finally:
            for signum in installed:
                loop.remove_signal_handler(signum)  # leaves SIG_DFL for SIGTERM: put back what was there
                signal.signal(signum, previous[signum])

    try:
        return asyncio.run(guarded())
    except (asyncio.CancelledError, KeyboardInterrupt):
        if stopping.kind == "terminated":
            raise Terminated() from None
        raise KeyboardInterrupt() from None


def _install(loop: asyncio.AbstractEventLoop, signum: signal.Signals,
             handler: Callable[[signal.Signals], None]) -> bool:
    try:
        loop.add_signal_handler(signum, handler, signum)
    except (NotImplementedError, RuntimeError, ValueError):  # not the main thread, or no signals here
        return False
    return True
