"""A soak's result lists every step that did not end ``ok`` and only its last ``ok`` ones."""
from __future__ import annotations

from harness.engine.runner import _listed_steps
from harness.history import Action


def actions(outcomes: str) -> list[Action]:
    names = {"o": "ok", "f": "fail", "r": "refused", "p": "pending"}
    return [Action(step=i, kind="mutation", name="message.create", client="u1", invoked_at=float(i),
                   outcome=names[c]) for i, c in enumerate(outcomes)]  # type: ignore[arg-type]


def test_without_a_limit_every_step_is_listed() -> None:
    steps = actions("ooofoo")
    assert _listed_steps(steps, None) == steps and _listed_steps(steps, 6) == steps


def test_a_limit_keeps_every_step_not_ok_and_the_last_ok_ones_in_order() -> None:
    steps = actions("oofooroooop")
    listed = _listed_steps(steps, 3)
    assert [a.step for a in listed] == [2, 5, 7, 8, 9, 10]
