"""The history budget bounds what a connection holds, not what it ever received: a soak retires
frames it has judged for good, so an hour of ordinary traffic is not taken for a flood."""
from __future__ import annotations

from harness.clients.gateway import GatewayConnection

FRAME = '{"v":1,"t":"message_create","d":{"content":"%s"}}'


def connection(budget_bytes: int) -> GatewayConnection:
    return GatewayConnection("c/ws0", "ws://127.0.0.1:9/gateway/ws", None, history_budget_bytes=budget_bytes)


def receive(conn: GatewayConnection, text: str, at: float) -> bool:
    """What the reader does with a frame: count it against the budget, then record it."""
    if conn._over_budget(len(text)):
        return False
    conn._record(text, at)
    return True


def test_retired_frames_free_their_share_of_the_budget() -> None:
    conn = connection(budget_bytes=1000)
    texts = [FRAME % (str(i) * 300) for i in range(3)]
    assert receive(conn, texts[0], 1.0) and receive(conn, texts[1], 2.0)
    dropped = conn.retire_frames(1)
    assert [f.seq for f in dropped] == [0] and conn.frames_retired == 1 and [f.seq for f in conn.frames] == [1]
    assert receive(conn, texts[2], 3.0), "a retired frame still counted against the budget"
    assert [f.seq for f in conn.frames] == [1, 2] and conn.received_bytes == len(texts[1]) + len(texts[2])


def test_what_is_held_past_the_budget_is_still_a_flood() -> None:
    conn = connection(budget_bytes=1000)
    texts = [FRAME % (str(i) * 300) for i in range(4)]
    assert receive(conn, texts[0], 1.0) and receive(conn, texts[1], 2.0)
    assert not receive(conn, texts[2], 3.0)
    assert conn._limit is not None and conn._limit[0] == "flood"
