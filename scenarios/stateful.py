"""Randomised sequences: a Hypothesis ``RuleBasedStateMachine`` whose rules are the rows of
``moves.ROWS`` (plus ``subscribe``), each drawn from what the model says the current world offers.

One rule per row; its precondition is that the model offers a candidate step for it. A rule draws
the intent first (one in four is a forbidden or invalid step, which REST must refuse and which must
emit nothing), then one candidate of that share, performs it and lets the harness settle: any
failure so far (delivery, convergence, contract, redaction, verdict) fails the rule.

Hypothesis rules are synchronous and the runner is async, so the machine runs in a worker thread
and hands every coroutine to the event loop that owns the target
(``asyncio.run_coroutine_threadsafe(...).result(timeout)``). Each example is a fresh scenario
session with its own usernames. Runs are derandomised from the seed (``@seed``), keep no example
database, have no Hypothesis deadline, and shrink within a time budget. A failure is returned as a
``ScenarioResult`` whose ``replay`` is a scenario JSON document (``sync-harness run --scenario-file``)
holding the world, the observers and the (shrunk) steps up to the failing one.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Coroutine, Iterator, TypeVar

from hypothesis import HealthCheck, Phase, settings
from hypothesis import seed as hypothesis_seed
from hypothesis import strategies as st
from hypothesis.errors import Flaky
from hypothesis.internal.conjecture import engine as hypothesis_engine
from hypothesis.stateful import RuleBasedStateMachine, precondition, rule, run_state_machine_as_test

from harness.engine.results import ScenarioResult
from harness.engine.runner import ScenarioRunner, ScenarioSession
from harness.engine.scenario import ScenarioSpec, StepSpec
from scenarios.moves import ROWS, Candidates, Fresh, judge
from scenarios.observers import (
    ACTOR, ACTOR_OTHER_SESSION, DENIED_BY_OVERRIDE, ELSEWHERE, GENERAL, MODERATOR, NON_MEMBER, OTHER_CHANNEL,
    PLAIN_MEMBER, RANDOM, SAME_CHANNEL, SUBJECT, observer,
)
from scenarios.worlds import lab

log = logging.getLogger(__name__)
T = TypeVar("T")

INTENTS = ("allowed", "allowed", "allowed", "rejected")
"""One drawn step in four is forbidden or invalid; shrinking moves towards ``allowed`` (first)."""
STEP_TIMEOUT_S = 60.0
"""Bound on one step (perform + settle) as seen from the worker thread."""


@dataclass(frozen=True)
class Budget:
    examples: int
    """Hypothesis examples (each one a fresh world and fresh clients)."""
    steps: int
    """Rules per example (``stateful_step_count``)."""
    shrink_s: int
    """Wall-clock budget for shrinking a failure before the best replay so far is reported."""


BOUNDED = Budget(examples=4, steps=20, shrink_s=45)
"""CI: four worlds of up to twenty steps, about 15–20 s on two cores when nothing fails. Hypothesis
tries the simplest example first (the first rule and candidate every time), so three are random."""
DEEP = Budget(examples=40, steps=50, shrink_s=300)
"""``--deep``: long explorations (several minutes)."""


def playground() -> ScenarioSpec:
    """The world and observers every example starts from: lab made public (joins are possible) with
    an outsider and a friendship, one client per user, the owner's second session on #random. The
    classes name each client's starting position; random steps move users between them."""
    return ScenarioSpec(
        id="stateful.world", title="randomised sequences over lab", rows=list(ROWS),
        world=lab(public=True, outsiders=("nina",), friendships=(("alice", "eve"),)),
        clients=[observer(ACTOR, "owner", GENERAL), observer(ACTOR_OTHER_SESSION, "owner", RANDOM),
                 observer(MODERATOR, "mod", RANDOM), observer(SAME_CHANNEL, "alice", GENERAL),
                 observer(OTHER_CHANNEL, "bob", RANDOM), observer(DENIED_BY_OVERRIDE, "carol", GENERAL),
                 observer(PLAIN_MEMBER, "dave", GENERAL, RANDOM), observer(NON_MEMBER, "eve", ELSEWHERE),
                 observer(SUBJECT, "nina")],
    )


# ---- the bridge between the worker thread and the event loop -----------------------------------

@dataclass
class Example:
    steps: list[StepSpec]
    result: ScenarioResult | None = None


@dataclass
class Exploration:
    """What one run shares between the async caller and the machines in the worker thread."""

    loop: asyncio.AbstractEventLoop
    runner: ScenarioRunner
    spec: ScenarioSpec
    examples: list[Example] = field(default_factory=list)

    def call(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(STEP_TIMEOUT_S)

    def open(self) -> ScenarioSession:
        """A fresh session; the runner gives each one its own usernames (a new cast per example)."""
        async def opened() -> ScenarioSession:
            return self.runner.open(self.spec)

        return self.call(opened())


class StepFailed(AssertionError):
    """The harness found failures after a step (or at the end of an example)."""


class SyncMachine(RuleBasedStateMachine):
    """Base machine; ``machine_class`` adds one rule per row and binds the exploration."""

    exploration: Exploration

    def __init__(self) -> None:
        super().__init__()
        self.example = Example(steps=[])
        self.exploration.examples.append(self.example)
        self.session = self.exploration.open()
        self.fresh = Fresh()
        self.failed = False
        self._candidates: Candidates | None = None
        try:
            self.exploration.call(self.session.start())
            failures = self.session.current_failures()
        except BaseException:
            self.failed = True
            self.teardown()  # Hypothesis calls teardown only for machines it could construct
            raise
        if failures:
            self.teardown()
            self._check("start", failures)

    def offers(self, row: str) -> bool:
        return self.candidates().any(row)

    def candidates(self) -> Candidates:
        if self._candidates is None:
            self._candidates = self.exploration.call(self._judge())
        return self._candidates

    async def _judge(self) -> Candidates:  # on the loop: the model is only touched from there
        labels = [c.label for c in self.exploration.spec.clients]
        return judge(self.session.model, self.fresh, self.session.options.namespace, labels)

    def perform(self, row: str, data: st.DataObject) -> None:
        cands = self.candidates()
        intent = "allowed" if row == "subscribe" else data.draw(st.sampled_from(INTENTS), label="intent")
        preferred, other = (cands.rejected, cands.allowed) if intent == "rejected" else (cands.allowed, cands.rejected)
        pool = preferred.get(row) or other[row]
        step = data.draw(st.sampled_from(pool), label="step")
        self.example.steps.append(step)
        self._candidates = None
        self._check(step.do, self.exploration.call(self.session.step(step)))

    def _check(self, what: str, failures: list[Any]) -> None:
        if failures:
            self.failed = True
            raise StepFailed(f"after {what}: " + "; ".join(f.message for f in failures[:3]))

    def teardown(self) -> None:
        self.example.result = self.exploration.call(self.session.finish())
        if not self.failed and self.example.result.status != "passed":
            reason = self.example.result.error or "; ".join(f.message for f in self.example.result.failures[:3])
            raise StepFailed(f"at the end of the example: {reason}")


def machine_class(exploration: Exploration, seed: int) -> type[SyncMachine]:
    """A machine class bound to one exploration, one rule per row, seeded for derandomised runs."""
    namespace: dict[str, Any] = {"exploration": exploration}
    for row in ("subscribe", *ROWS):
        namespace[row.replace(".", "_")] = _rule_for(row)
    return hypothesis_seed(seed)(type("StatefulRun", (SyncMachine,), namespace))


def _rule_for(row: str) -> Any:
    def step(self: SyncMachine, data: st.DataObject) -> None:
        self.perform(row, data)

    step.__name__ = step.__qualname__ = row.replace(".", "_")
    return precondition(lambda self: self.offers(row))(rule(data=st.data())(step))


@contextlib.contextmanager
def _shrink_budget(seconds: int) -> Iterator[None]:
    """Hypothesis documents MAX_SHRINKING_SECONDS as the knob to monkeypatch for this."""
    previous = hypothesis_engine.MAX_SHRINKING_SECONDS
    hypothesis_engine.MAX_SHRINKING_SECONDS = seconds
    try:
        yield
    finally:
        hypothesis_engine.MAX_SHRINKING_SECONDS = previous


def hypothesis_settings(budget: Budget) -> settings:
    return settings(max_examples=budget.examples, stateful_step_count=budget.steps, deadline=None, database=None,
                    derandomize=False, report_multiple_bugs=False, print_blob=False,
                    phases=(Phase.explicit, Phase.generate, Phase.shrink),
                    suppress_health_check=list(HealthCheck))


# ---- the catalogue entry ----------------------------------------------------------------------

@dataclass
class GeneratedScenario:
    """The randomised run as one catalogue entry: ``await entry.run(runner)`` -> ScenarioResult."""

    id: str = "stateful.bounded"
    title: str = "randomised sequences of allowed and forbidden mutations over lab"
    budget: Budget = BOUNDED
    seed: int | None = None
    """None: a random seed, reported in the result's title (and in the replay on failure)."""
    spec: ScenarioSpec = field(default_factory=playground)

    @property
    def rows(self) -> list[str]:
        return list(ROWS)

    @property
    def tags(self) -> list[str]:
        return ["stateful", "forbidden"]

    async def run(self, runner: ScenarioRunner) -> ScenarioResult:
        seed = self.seed if self.seed is not None else secrets.randbelow(2**32)
        exploration = Exploration(asyncio.get_running_loop(), runner, self.spec)
        started = time.monotonic()
        error = await asyncio.to_thread(self._explore, exploration, seed)
        return self._result(exploration, seed, error, time.monotonic() - started)

    def _explore(self, exploration: Exploration, seed: int) -> BaseException | None:
        """Runs in the worker thread; returns what Hypothesis raised (None when every example passed)."""
        with _shrink_budget(self.budget.shrink_s):
            try:
                run_state_machine_as_test(machine_class(exploration, seed), settings=hypothesis_settings(self.budget))
            except (StepFailed, Flaky) as exc:
                return exc
            except Exception as exc:  # a harness or scenario problem: reported as status "error"
                log.debug("stateful run %s (seed %s) stopped", self.id, seed, exc_info=True)  # in the result
                return exc
        return None

    def _result(self, exploration: Exploration, seed: int, error: BaseException | None,
                duration: float) -> ScenarioResult:
        ran = [e for e in exploration.examples if e.result is not None]
        failing = [e for e in ran if e.result.status != "passed"]  # type: ignore[union-attr]
        chosen = (failing or ran or [Example([])])[-1]  # the last failing run is the shrunk one
        title = f"{self.title} (seed {seed}, {len(ran)} runs)"
        base = chosen.result or ScenarioResult(id=self.id, title=title, status="error", duration_s=0.0)
        update: dict[str, Any] = {"id": self.id, "title": title, "rows": self.rows, "tags": self.tags,
                                  "duration_s": round(duration, 3)}
        if error is not None:
            update["replay"] = replay_json(self, seed, chosen.steps)
            if not failing:
                update.update(status="error", error=f"{type(error).__name__}: {str(error)[:300]}")
            log.warning("%s failed with seed %s; replay:\n%s", self.id, seed, update["replay"])
        return base.model_copy(update=update)


def replay_json(entry: GeneratedScenario, seed: int, steps: list[StepSpec]) -> str:
    """A scenario document ``sync-harness run --scenario-file`` replays: same world, same observers,
    the steps of the failing run (each with its intent) up to the failing one."""
    spec = entry.spec.model_copy(update={
        "id": f"{entry.id}.replay", "title": f"replay of {entry.id} with seed {seed}",
        "tags": ["stateful", "replay", f"seed:{seed}"], "steps": list(steps)})
    return json.dumps(spec.model_dump(mode="json", exclude_none=True), indent=1, ensure_ascii=False)


def bounded(seed: int | None = None) -> GeneratedScenario:
    return GeneratedScenario(seed=seed)


def deep(seed: int | None = None) -> GeneratedScenario:
    return GeneratedScenario(id="stateful.deep", budget=DEEP, seed=seed)
