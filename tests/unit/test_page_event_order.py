"""Page events wait for the harness's mutations in flight and keep their order and their time."""
from __future__ import annotations

from harness.engine.page_event_order import PageEventOrder


def test_page_events_wait_for_mutations_in_flight_then_apply_in_order_with_their_lag() -> None:
    now = [10.0]
    order = PageEventOrder(lambda: now[0])
    applied: list[tuple[str, float]] = []

    def handler(name: str, *, lag: float) -> None:
        applied.append((name, lag))

    order.page_event(handler, "before")
    order.mutation_started()
    order.mutation_started()  # two in flight (a soak's guild lanes)
    order.page_event(handler, "closed")
    now[0] = 10.5
    order.page_event(handler, "opened")
    order.mutation_committed()
    assert [name for name, _ in applied] == ["before"]  # one still in flight
    now[0] = 11.0
    order.mutation_committed()
    assert applied == [("before", 0.0), ("closed", 1.0), ("opened", 0.5)]
    order.page_event(handler, "after")
    assert applied[-1] == ("after", 0.0)
