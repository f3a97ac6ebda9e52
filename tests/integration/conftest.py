"""Shared fixtures for integration tests against real processes and sockets.

* ``reference_target`` (session): one embedded reference server (subprocess, fresh SQLite file,
  relaxed rate limits), stopped at the end of the session. Reuse it; start your own
  :class:`ReferenceTarget` only when you need special config, faults or restarts.
* ``redactor``: a fresh :class:`Redactor` per test.
* ``new_username``: ``new_username("alice")`` → a unique valid Filament username.
* ``make_client``: ``await make_client("alice")`` → a registered, logged-in :class:`SimulatedClient`
  on ``reference_target`` (or ``target=...``), closed at teardown.
"""
from __future__ import annotations

import itertools
import os
import secrets
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
import pytest_asyncio

from harness.clients.simulated import SimulatedClient
from harness.redact import Redactor
from harness.targets.base import Target
from harness.targets.reference import ReferenceTarget, reference_runnable
from tests.support.servers import free_port  # noqa: F401  (re-exported for the tests of this folder)

PASSWORD = "harness-password-0123"
"""A valid Filament password (12–128 bytes) for test users."""

_RUN = secrets.token_hex(3)
_counter = itertools.count()


def unique_username(prefix: str = "user") -> str:
    """``<prefix>_<run>_<n>``: 3–32 chars of ``[A-Za-z0-9_.]``, unique within this test session."""
    base = "".join(ch for ch in prefix if ch.isalnum() or ch in "_.")[:16] or "user"
    return f"{base}_{_RUN}_{next(_counter)}"[:32]


def require_reference() -> None:
    if not reference_runnable():
        pytest.skip("the reference target (python -m harness.reference) is not available in this checkout")


@pytest_asyncio.fixture(scope="session", loop_scope="session")
async def reference_target() -> AsyncIterator[ReferenceTarget]:
    require_reference()
    target = ReferenceTarget()
    await target.start()
    try:
        yield target
    finally:
        await target.stop()


@pytest.fixture
def redactor() -> Redactor:
    return Redactor()


@pytest.fixture
def new_username() -> Callable[[str], str]:
    return unique_username


@pytest_asyncio.fixture(loop_scope="session")
async def make_client(
    reference_target: ReferenceTarget, redactor: Redactor
) -> AsyncIterator[Callable[..., Awaitable[SimulatedClient]]]:
    clients: list[SimulatedClient] = []

    async def factory(label: str = "user", *, target: Target | None = None, password: str = PASSWORD,
                      **options: object) -> SimulatedClient:
        tgt = target if target is not None else reference_target
        client = SimulatedClient(f"{label}.{len(clients) + 1}", tgt, unique_username(label), password,
                                 redactor=redactor, **options)  # type: ignore[arg-type]
        clients.append(client)
        await client.login(register=True)
        return client

    yield factory
    for client in clients:
        try:
            await client.close()
        except Exception:  # pragma: no cover - teardown must not mask the test's own failure
            pass


def process_gone(pid: int) -> bool:
    """True when ``pid`` no longer exists (or is a zombie nobody reaped yet)."""
    try:
        with open(f"/proc/{pid}/stat") as fh:
            state = fh.read().rsplit(")", 1)[1].split()[0]
        return state in ("Z", "X")
    except FileNotFoundError:
        return True
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False
