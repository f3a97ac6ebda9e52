"""Connections the harness ended to protect itself from the server (harness/clients/gateway_limits.py).

Pure. A frame over the contract's event size was refused at the socket before it was read, so no
frame exists for the per-frame contract check to see: the connection's close record carries the
announced size, and this check turns it into ``contract/oversized``. A connection that received more
than its history budget becomes ``delivery/flood``.
"""
from __future__ import annotations

from typing import Iterable

from contracts.envelope import MAX_EVENT_BYTES
from harness.checks.contract import client_of
from harness.checks.types import CheckClass, CheckFailure
from harness.history import ConnectionClosed

__all__ = ["check_limits"]


def check_limits(closes: Iterable[ConnectionClosed], *, max_event_bytes: int = MAX_EVENT_BYTES) -> list[CheckFailure]:
    """One failure per connection the harness ended because the server exceeded a limit."""
    found = []
    for close in closes:
        if close.limit == "oversized_frame":
            found.append(CheckFailure(
                CheckClass.CONTRACT, "oversized",
                f"frame of {close.limit_bytes} bytes exceeds the {max_event_bytes}-byte event limit "
                "(refused unread at the socket; the harness closed the connection with 1009)",
                conn=close.conn, client=client_of(close.conn),
                details={"bytes": close.limit_bytes, "limit": max_event_bytes, "refused_at_socket": True}))
        elif close.limit == "flood":
            found.append(CheckFailure(
                CheckClass.DELIVERY, "flood",
                f"the server sent more than this connection's history budget ({close.limit_frames} frames, "
                f"{close.limit_bytes} bytes); the harness dropped the connection",
                conn=close.conn, client=client_of(close.conn),
                details={"frames": close.limit_frames, "bytes": close.limit_bytes}))
    return found
