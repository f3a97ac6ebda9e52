"""How much a gateway connection takes from a server before it protects the harness (issue 16).

* **Frame size**: the contract's event limit (GATEWAY.md §1.5, 65 536 bytes of envelope text) is the
  socket's ``max_size``: websockets reads a frame's header, sees the length and refuses the frame
  before reading its payload, closing the connection with 1009. A 10 MB frame costs nothing; the
  connection records ``limit="oversized_frame"`` with the announced size and the contract check
  reports it as ``contract/oversized``.
* **History budget**: a connection keeps every frame it receives, in full, up to
  :data:`HISTORY_BUDGET_BYTES` of frame text or :data:`HISTORY_BUDGET_FRAMES` frames. The frame that
  would exceed either is not kept: the harness drops the connection (no Close frame) and records
  ``limit="flood"``, which the delivery check reports as ``delivery/flood``.

Why end the connection rather than keep digests beyond the budget: a digest per frame still grows
without bound under a flood, and a frame without its payload cannot be attributed to an expectation,
so delivery verdicts past the budget would be guesses. Ending the connection bounds the harness's
memory by construction (per connection: the budget), keeps every recorded frame complete, so each
check stays exact over what was recorded, and the scenario fails with a named cause. What is lost: the
flooded connection's verdicts after the flood (a connection the harness closed owes no later events).

A legitimate scenario is far below both budgets: the largest catalogue scenario's busiest connection
receives a few hundred frames (well under 1 MiB).
"""
from __future__ import annotations

from contracts.envelope import MAX_EVENT_BYTES

__all__ = ["MAX_FRAME_BYTES", "HISTORY_BUDGET_BYTES", "HISTORY_BUDGET_FRAMES", "CLOSE_MESSAGE_TOO_BIG"]

MAX_FRAME_BYTES = MAX_EVENT_BYTES
"""The socket's ``max_size``: exactly the limit is allowed, limit + 1 is refused (GATEWAY.md §1.5)."""
HISTORY_BUDGET_BYTES = 4 * 1024 * 1024
"""Frame text one connection keeps at most (64 frames of the maximum size)."""
HISTORY_BUDGET_FRAMES = 20_000
"""Frames one connection keeps at most (a flood of tiny frames costs per frame, not per byte)."""
CLOSE_MESSAGE_TOO_BIG = 1009
