"""Run one scenario against a started target: seed the world, connect the observers, perform the steps,
settle after each, and judge the history.

Settling never sleeps a fixed time: it polls (short, growing intervals) until every MUST delivery of
the step has arrived, every replica's REST re-reads are done and every replica equals a fresh REST
snapshot and the model's projection — or until the deadline. A quiet period at the end catches late
leaks and duplicates (Complement's ``MustSyncUntil``; Jepsen's history of operations).
"""
from __future__ import annotations

import asyncio
import gc
import logging
import secrets
import time
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from collections.abc import Collection
from typing import Any, Literal, Protocol

from harness.engine.artefacts import safe_name, scenario_dir, write_histories
from harness.engine.crash import one_line_cause, traceback_text, write_traceback
from harness.engine.browser_observers import BrowserObserver
from harness.checks.convergence import check_convergence, check_verdict
from harness.checks.delivery import DeliveryReport
from harness.checks.evidence import cap_per_kind
from harness.checks.types import CheckClass, CheckFailure
from harness.clients.browser.errors import FeatureAbsent
from harness.clients.gateway import GatewayClosedError, GatewayConnection
from harness.clients.live_replica import LiveReplica
from harness.clients.rest import RestSession
from harness.clients.simulated import SimulatedClient
from harness.clients.snapshot import SnapshotError, fetch_view, refresh_view
from harness.errors import BrowserUnavailable, HarnessError, ScenarioError, TargetError
from harness.engine.evaluate import Evaluator, protocol_profile
from harness.history import Action, Outcome
from harness.engine.leak_probe import annotate_leaks
from harness.engine.nemesis import run_nemesis
from harness.engine.session_api import Observer
from harness.model.mutations import (
    GATEWAY_SENT, NO_BODY, GatewayCall, Mutation, Register, RestCall, RestResult, WhoAmI,
)
from harness.model.oracle import Model
from harness.model.world import LegacyOverrideMode, WorldConfig
from harness.engine.recorder import Recorder
from harness.redact import Redactor
from harness.engine.results import (
    ArtefactRecord, ClientRecord, HarnessLoad, ScenarioResult, StepRecord, failure_record, latency_stats,
)
from harness.engine.scenario import ClientSpec, ScenarioSpec, StepSpec
from harness.engine.message_binding import bind_from_listings
from harness.engine.lanes import group_connected, run_lanes
from harness.engine.page_event_order import PageEventOrder
from harness.engine.seeding import seed_plan
from harness.engine.view_tracking import ViewTracker
from harness.engine.load_monitor import LoadFigures, LoadMonitor
from harness.engine.steps import Connect, Disconnect, Nemesis, Refresh, Subscribe, UiCheck, resolve_step
from harness.engine.compat import degrade_convergence, degrade_missing_route
from harness.model.expectations import Delivery
from contracts.server_profiles import SERVER_PROFILES
from harness.engine.timeline import write_timeline
from harness.targets.base import Target

log = logging.getLogger(__name__)

POLL_FIRST_S = 0.01
POLL_MAX_S = 0.1
OVERLOAD_FRACTION = 0.5
"""The harness counts as overloaded when its event loop lagged more than this share of the delivery
deadline: its own receive times could then turn an in-time delivery into a late one."""
OVERLOAD_ACK_FACTOR = 5
"""How many more deadlines a subscribe ack is awaited while the harness is overloaded."""


@dataclass(frozen=True)
class RunnerOptions:
    deadline_s: float = 2.0
    quiet_s: float = 0.25
    profile: str = "current"
    legacy_overrides: LegacyOverrideMode = "immediate"
    """How the target applies the legacy channel-override route (REST.md §14.3); see WorldConfig."""
    server_profile: str = "head"
    """The server version the target behaves as (contracts.server_profiles): what the oracle expects of it."""
    namespace: str = field(default_factory=lambda: secrets.token_hex(3))
    """Suffix that keeps usernames unique on a shared target."""
    scenario_timeout_s: float = 300.0
    disabled_checks: frozenset[CheckClass] = frozenset()
    stop_on: CheckClass | None = None
    """Stop a scenario after the first step that produced a failure of this class (the selftest only
    needs to see a planted fault caught; a loss costs a whole deadline per step)."""
    artefacts_dir: Path | None = None
    """Where per-scenario artefacts go (histories, screenshots, traces); None writes none."""
    keep_artefacts: Literal["failures", "always"] = "failures"
    timelines: bool = True
    """Write every scenario's timeline.json into ``artefacts_dir`` (for report.html and Allure's times)."""
    rest_timeout_s: float = 5.0
    """Bound of one REST call of an observer (a soak of thousands of clients on a busy machine needs more)."""
    hydrate_concurrency: int = 8
    """Observers whose initial REST view is read at once (thousands read one by one took minutes)."""
    setup_concurrency: int = 8
    """Seeding parts and client lanes set up at once (harness.engine.lanes)."""
    read_concurrency: int = 32
    """Clients whose convergence reads run at once."""
    steps_listed: int | None = None
    """At most this many ``ok`` steps in the result (the last ones; every other step is listed), the rest
    counted in ``steps_omitted``: a soak's hour is some 72,000 steps. None lists every step."""
    freeze_after_start_clients: int = 100
    """From this many observers on, the objects built while starting are frozen out of the garbage
    collector's sight (a full collection of a large population's heap stalled the loop for seconds)."""


class ScenarioAborted(Exception):
    """The scenario cannot continue meaningfully (e.g. seeding was refused); failures are recorded."""


class BrowserProvider(Protocol):
    """Where browser clients come from (the suite's one browser per run, launched on first use)."""

    max_clients: int
    web_url: str

    async def pool(self) -> Any: ...


class ScenarioRunner:
    def __init__(self, target: Target, options: RunnerOptions, redactor: Redactor,
                 browsers: BrowserProvider | None = None) -> None:
        self.target = target
        self.options = options
        self.redactor = redactor
        self.browsers = browsers
        self._opened = 0
        self.latency_samples: list[Any] = []
        """Every delivery-latency sample of the scenarios run (nemesis ones excepted), for run-level p50/p95."""

    async def run(self, spec: ScenarioSpec) -> ScenarioResult:
        """Run a whole scenario: world, observers, every step, final judgement."""
        session = self.open(spec)
        return await session.run()

    async def run_entry(self, entry: Any) -> ScenarioResult:
        """Run a catalogue entry: a ``ScenarioSpec``, or an entry that builds its steps while it runs
        (the Hypothesis state machine: ``await entry.run(runner)``)."""
        return await (self.run(entry) if isinstance(entry, ScenarioSpec) else entry.run(self))

    def open(self, spec: ScenarioSpec) -> "ScenarioSession":
        """A scenario driven step by step (the Hypothesis state machine generates its steps live):
        ``await s.start()``, then ``await s.step(step_spec)`` any number of times, then ``await s.finish()``."""
        self._opened += 1
        # Usernames are unique per target: every scenario run gets its own namespace.
        options = replace(self.options, namespace=f"{self.options.namespace}{_base36(self._opened)}")
        session = ScenarioSession(spec, self.target, options, self.redactor, self.browsers)
        session.on_latencies = self.latency_samples.extend
        return session


class ScenarioSession:
    """State of one scenario run (one instance per run; never reused)."""

    def __init__(self, spec: ScenarioSpec, target: Target, options: RunnerOptions, redactor: Redactor,
                 browsers: BrowserProvider | None = None) -> None:
        self.spec = spec
        self.browsers = browsers
        self.browser_observers: dict[str, BrowserObserver] = {}
        self.target = target
        self.options = options
        self.redactor = redactor
        self.clock = time.monotonic
        self.model = Model(WorldConfig(legacy_overrides=options.legacy_overrides))
        self.recorder = Recorder(self.clock)
        self.evaluator = Evaluator(self.model, self.recorder, redactor, deadline_s=self._deadline,
                                   disabled=options.disabled_checks)
        self.server_profile = SERVER_PROFILES[options.server_profile]
        self.recorder.emits = self.server_profile.emits
        self.recorder.on_expect = self._note_missed
        self.seed_sessions: dict[str, RestSession] = {}
        self.page_events = PageEventOrder(self.clock)
        self.observers: dict[str, Observer] = {}
        self.failures: list[CheckFailure] = []
        self.latencies: list[Any] = []
        self.on_latencies: Any = None
        """Set by the runner: receives this scenario's latency samples for the run-level figures."""
        self.artefacts: list[ArtefactRecord] = []
        self.error: str | None = None
        self.crash_traceback: str | None = None
        """The full traceback of a harness crash inside this scenario, saved as an artefact."""
        self.degraded: str | None = None
        """Why the scenario stopped early as its client profile declares (an old client without that UI)."""
        self._started = self.clock()
        self._steps = 0
        self._closed = False
        self.view_trackers: dict[str, ViewTracker] = {}
        self.view_reads = {"skipped": 0, "partial": 0, "whole": 0, "confirming": 0}
        """How each client's convergence checks read REST (figures for bench and soak)."""
        self.load = LoadMonitor(self._deadline * OVERLOAD_FRACTION, unread_bytes=self._unread_bytes)
        self.load_figures: LoadFigures | None = None

    @property
    def _deadline(self) -> float:
        return self.spec.deadline_s or self.options.deadline_s

    # ---- the run ----------------------------------------------------------------------------------

    async def run(self) -> ScenarioResult:
        async def everything() -> None:
            await self.start()
            for step_spec in self.spec.steps:
                failures = await self.step(step_spec)
                if self.options.stop_on and any(f.check == self.options.stop_on for f in failures):
                    break

        try:
            await self._guarded(everything())
        except asyncio.CancelledError:  # Ctrl-C or SIGTERM: no result, but no client left open either
            await self._close()
            raise
        return await self.finish()

    async def start(self) -> None:
        """Seed the world, connect and subscribe every observer, hydrate replicas, settle once."""
        self.load.start()
        await self._seed()
        await self._add_observers()
        await self._hydrate_all()
        if len(self.observers) >= self.options.freeze_after_start_clients:
            gc.collect()
            gc.freeze()
        await self._settle(step=None)

    async def step(self, step_spec: StepSpec) -> list[CheckFailure]:
        """Perform one step and settle; returns the error failures known after it (all checks so far)."""
        action = resolve_step(self.spec.id, self._steps, step_spec, self.options.namespace)
        self._steps += 1
        step = await self._perform(action, intent=step_spec.expect, via=step_spec.via)
        if step is not None:
            await self._settle(step)
        return self.current_failures()

    def current_failures(self) -> list[CheckFailure]:
        """Every error-severity failure so far (delivery as of now, frames, convergence, verdicts)."""
        found = self.failures + self.evaluator.delivery().failures + self.evaluator.frame_checks()
        return _dedupe([f for f in found if f.is_error])

    async def finish(self) -> ScenarioResult:
        """Quiet period, final judgement, teardown; always returns a result (status error on problems)."""
        if self.error is None:
            await self._guarded(self._quiet_and_judge())
        await self._close(keep_browsers=True)
        self._note_callback_crash()
        self.load_figures = await self.load.stop()
        result = self._result(self.clock() - self._started)
        if self.on_latencies is not None and "nemesis" not in self.spec.tags:
            self.on_latencies(self.latencies)  # run-level figures: injected latency would dominate them
        keep = self.options.artefacts_dir and (result.status != "passed" or self.options.keep_artefacts == "always")
        result.artefacts += self.artefacts
        if self.crash_traceback is not None:
            result.artefacts += write_traceback(self.options.artefacts_dir, self.spec.id, self.crash_traceback,
                                                self.redactor)
        if self.options.artefacts_dir and self.options.timelines:  # every scenario's story, for the HTML report (small: payloads cut)
            result.artefacts.append(write_timeline(scenario_dir(self.options.artefacts_dir, self.spec.id),
                                                   self.recorder, self.evaluator.delivery(), self.redactor))
        if keep:
            directory = scenario_dir(self.options.artefacts_dir, self.spec.id)
            result.artefacts += await _histories_or_nothing(directory, self.recorder, self.redactor)
            for browser in self.browser_observers.values():
                result.artefacts += [ArtefactRecord(kind=kind, path=str(path), client=browser.spec.label)
                                     for kind, path in await _quietly_list(browser.save_artefacts(directory))]
        for browser in self.browser_observers.values():
            await _quietly(browser.client.close())
        return result

    def _note_callback_crash(self) -> None:
        """A crash while a connection fed its frames to the harness (a replica applying an event it could
        not handle) means the scenario was not judged on what really arrived: ``error``, with its cause."""
        if self.error is not None:
            return
        for observer in self.observers.values():
            for connection in observer.sim.connections:
                for exc in getattr(connection, "callback_errors", []):
                    self.error = f"{one_line_cause(exc)} (handling a frame on {connection.conn_id})"
                    self.crash_traceback = traceback_text(exc)
                    return

    async def _quiet_and_judge(self) -> None:
        await asyncio.sleep(self.options.quiet_s)
        # Steps re-read only what each client's frames can have changed: the end reads everything.
        await self._settle(self._steps_done_last(), whole=True)
        await self._judge()

    def _steps_done_last(self) -> int | None:
        return self.recorder.next_step - 1 if self.recorder.actions else None

    async def _guarded(self, work: Any) -> None:
        """Run ``work`` bounded by the scenario timeout; harness and target problems become ``error``."""
        try:
            await asyncio.wait_for(work, self.options.scenario_timeout_s)
        except ScenarioAborted as exc:
            self.error = str(exc)
        except TimeoutError:
            self.error = f"scenario did not finish within {self.options.scenario_timeout_s:.0f} s"
        except BrowserUnavailable:  # the run cannot go on: the caller reports it
            await self._close()
            raise
        except FeatureAbsent as exc:
            self.degraded = f"degrades as declared: {exc}"
        except ScenarioError as exc:  # this scenario cannot be performed as written; the next ones can
            self.error = f"scenario error: {str(exc).splitlines()[0]}"
        except HarnessError as exc:
            self.error = f"{type(exc).__name__}: {exc}"
            if isinstance(exc, TargetError) and (exc.ends_run or not self.target.alive()):
                await self._close()
                raise
        except Exception as exc:  # noqa: BLE001 - a crash is this scenario's error, never a silent pass
            log.debug("scenario %s crashed", self.spec.id, exc_info=True)
            self.error = one_line_cause(exc)
            self.crash_traceback = traceback_text(exc)

    # ---- seeding ----------------------------------------------------------------------------------

    async def _seed(self) -> None:
        """Accounts, then guilds, then friendships; the parts of each phase concurrently (SeedPlan)."""
        plan = seed_plan(self.spec.world, self.options.namespace)
        for registration in plan.registrations:  # sessions in the world's order, whatever finishes first
            self.seed_sessions[registration.actor] = RestSession(
                self.target.rest_url, redactor=self.redactor, label=f"{registration.actor}.seed")

        async def account(registration: Register) -> None:
            session = self.seed_sessions[registration.actor]
            await self._mutate(registration, session, client=None, seeding=True)
            await session.login(registration.effective_username, registration.password)
            await self._mutate(WhoAmI(actor=registration.actor), session, client=None, seeding=True)

        async def in_order(mutations: list[Mutation]) -> None:
            for mutation in mutations:
                await self._mutate(mutation, self.seed_sessions[mutation.actor], client=None, seeding=True)

        limit = self.options.setup_concurrency
        await run_lanes([partial(account, r) for r in plan.registrations], limit)
        await run_lanes([partial(in_order, guild) for guild in plan.guilds], limit)
        await in_order(plan.friendships)

    # ---- observers --------------------------------------------------------------------------------

    def protocol_profile(self, spec: ClientSpec) -> Any:
        return protocol_profile(self._profile_name(spec))

    def _profile_name(self, spec: ClientSpec) -> str:
        """A client's own profile, else the run's (``--profile``): mixed-version runs set it per client."""
        return spec.profile if spec.profile != "current" else self.options.profile

    async def _add_observers(self) -> None:
        """Connect and subscribe every client. Clients that share a guild they subscribe to (or a user)
        go one after another in the scenario's order, since each first subscription is an event for
        those already there; other lanes run concurrently (harness.engine.lanes)."""
        clients = list(self.spec.clients)

        def shares(spec: ClientSpec) -> list[str]:
            return [f"user:{spec.user}", *(f"guild:{gc.split('/')[0]}" for gc in spec.subscribe)]

        # Decided before the lanes start: the first --browsers N declared browser clients are browsers.
        declared = [spec.label for spec in clients if spec.kind == "browser"]
        as_browser = set(declared[:self.browsers.max_clients]) if self.browsers is not None else set()

        async def in_order(lane: list[ClientSpec]) -> None:
            for spec in lane:
                await self._add_observer(spec, as_browser=spec.label in as_browser)

        await run_lanes([partial(in_order, lane) for lane in group_connected(clients, shares)],
                        self.options.setup_concurrency)
        order = {spec.label: index for index, spec in enumerate(clients)}  # reports list them as declared
        for added in (self.observers, self.browser_observers):  # in place: others hold these dicts
            ordered = sorted(added.items(), key=lambda item: order[item[0]])
            added.clear()
            added.update(ordered)

    async def _add_observer(self, spec: ClientSpec, *, as_browser: bool) -> None:
        if as_browser and self.browsers is not None:
            await self._add_browser(spec, self.browsers)
            return
        # A declared browser client beyond --browsers N observes as a simulated client instead.
        user = self.model.world.user(spec.user)
        sim = SimulatedClient(spec.label, self.target, user.username, user.password, redactor=self.redactor,
                              timeout=self.options.rest_timeout_s)
        await sim.login()
        observer = Observer(spec, sim, LiveReplica(spec.label, sim.rest, self.protocol_profile(spec).knows))
        self.observers[spec.label] = observer
        for _ in range(spec.connections):
            await self._connect(observer)
        for guild_channel in spec.subscribe:
            guild, channel = guild_channel.split("/")
            await self._subscribe(observer, guild, channel)

    async def _add_browser(self, spec: ClientSpec, browsers: BrowserProvider) -> None:
        from harness.clients.browser import BrowserClient

        user = self.model.world.user(spec.user)
        client = BrowserClient(spec.label, await browsers.pool(), browsers.web_url,
                               profile=self._profile_name(spec), redactor=self.redactor)
        observer = BrowserObserver(spec, client, self)
        observer.attach()
        self.browser_observers[spec.label] = observer
        await client.start(user.username, user.password, login="session")
        if spec.subscribe:
            await client.wait_live()
            await self._select(observer, spec.subscribe[0])

    async def _select(self, observer: BrowserObserver, guild_channel: str) -> None:
        """Make ``guild/channel`` the page's active channel (the page boots on its first workspace)."""
        world = self.model.world
        guild_alias, channel_alias = guild_channel.split("/")
        wanted = (world.guild_id(guild_alias), world.channel_id(channel_alias))
        if observer.active == wanted:
            return
        guild, channel = world.guild(guild_alias), world.channel(channel_alias)
        await observer.client.select_workspace(guild.name, guild.visibility)
        await observer.client.select_channel(channel.name)

    async def _connect(self, observer: Observer) -> GatewayConnection:
        action = self.recorder.begin("connect", "gateway", observer.spec.label)
        connection = await observer.sim.open_connection()
        observer.primary = observer.primary or connection
        self.recorder.add_connection(connection.conn_id, observer.spec.label, connection)
        self.evaluator.set_profile(connection.conn_id, self.protocol_profile(observer.spec))
        self.recorder.expect(self.model.connection_opened(action.step, connection.conn_id, observer.spec.user))
        self.recorder.finish(action, "ok", conn=connection.conn_id)
        for guild, channel in observer.subscriptions:
            await self._subscribe_connection(observer, connection, guild, channel)
        return connection

    async def _subscribe(self, observer: Observer, guild: str, channel: str) -> None:
        observer.subscriptions.append((guild, channel))
        for connection in observer.sim.connections:
            if connection.is_open:
                await self._subscribe_connection(observer, connection, guild, channel)

    async def _subscribe_connection(self, observer: Observer, connection: GatewayConnection,
                                    guild: str, channel: str) -> None:
        world = self.model.world
        guild_id, channel_id = world.guild_id(guild), world.channel_id(channel)
        action = self.recorder.begin("subscribe", f"{guild}/{channel}", observer.spec.label,
                                     conn=connection.conn_id)
        expected = self.model.subscribe_requested(action.step, connection.conn_id, guild, channel)
        self.recorder.expect(expected)
        try:
            await connection.subscribe(guild_id, channel_id)
        except GatewayClosedError:
            if connection.limit is None:
                raise
            # The harness ended this connection to protect itself; that is reported as its own failure.
            self.recorder.finish(action, "fail", acked=False, limit=connection.limit)
            return
        acked = False
        if expected:
            acked = await _wait_subscribed(connection, guild_id, channel_id, self._deadline)
            if not acked and self.load.figures().overloaded:
                # The ack may be waiting unread behind the harness's own backlog: a subscription the
                # model does not know would turn every later event on it into a false leak.
                acked = await _wait_subscribed(connection, guild_id, channel_id, self._deadline * OVERLOAD_ACK_FACTOR)
            if acked:
                self.model.subscription_acked(connection.conn_id, guild_id, channel_id)
        self.recorder.finish(action, "ok" if acked or not expected else "fail", acked=acked,
                             predicted="ack" if expected else "ignored")

    async def _hydrate_all(self) -> None:
        await run_lanes([partial(self._hydrate, o) for o in self.observers.values()],
                        self.options.hydrate_concurrency)

    async def _hydrate(self, observer: Observer) -> None:
        assert observer.primary is not None
        scope = self.model.live_scope(observer.primary.conn_id)
        cursor = observer.primary.frames_retired + len(observer.primary.frames)
        try:
            view = await observer.replica.hydrate(scope)
        except SnapshotError as exc:
            raise ScenarioAborted(f"{observer.spec.label}: cannot read its initial state: {exc}") from exc
        observer.replica.follow(observer.primary)
        tracker = self.view_trackers.setdefault(observer.spec.label, ViewTracker())
        tracker.adopt(observer.primary.conn_id, view, cursor, observer.replica.merged)

    async def reconnect(self, observer: Observer, count: int = 1) -> list[GatewayConnection]:
        """What a real client does after losing its socket: open a new connection (re-subscribing to
        everything it had), then rebuild its state from REST, because missed events are never replayed."""
        observer.primary = None
        fresh = [await self._connect(observer) for _ in range(count)]
        observer.replica.errors.clear()
        await self._hydrate(observer)
        return fresh

    # ---- steps ------------------------------------------------------------------------------------

    async def _perform(self, action: Any, *, intent: str | None, via: str | None = None) -> int | None:
        if isinstance(action, Mutation):
            return await self.perform_mutation(action, intent, via=via)
        if isinstance(action, UiCheck):
            return await self._ui_check(action)
        if isinstance(action, Subscribe):
            await self._subscribe(self.observer(action.client), action.guild, action.channel)
            return self.recorder.next_step - 1
        if isinstance(action, Connect):
            await self._connect(self.observer(action.client))
            return self.recorder.next_step - 1
        if isinstance(action, Disconnect):
            return await self._disconnect(action)
        if isinstance(action, Refresh):
            return await self._refresh(action)
        if isinstance(action, Nemesis):
            return await run_nemesis(self, action)
        raise ScenarioError(f"scenario {self.spec.id!r}: cannot perform {action!r}")

    async def perform_mutation(self, mutation: Mutation, intent: str | None = None, *, via: str | None = None) -> int:
        if via is not None:
            return await self._perform_in_browser(mutation, via)
        observer = self._observer_of_user(mutation.actor)
        session = observer.sim.rest if observer else self.seed_sessions[mutation.actor]
        label = observer.spec.label if observer else None
        verdict = self.model.plan(mutation).verdict
        if intent is not None and (intent == "allowed") != verdict.allowed:
            raise ScenarioError(
                f"scenario {self.spec.id!r}: step {mutation.row} by {mutation.actor} is expected "
                f"{intent}, but the model predicts {verdict.describe()}: the scenario does not test what it says"
            )
        step, result = await self._mutate(mutation, session, client=label, seeding=False)
        if observer is not None and result.ok:
            observer.replica.after_own_mutation(mutation, result)
        return step

    async def _perform_in_browser(self, mutation: Mutation, via: str) -> int:
        """The same mutation, done through a browser's UI; the model gets the page's real REST answer."""
        browser = self.browser_observers.get(via)
        if browser is None:
            raise ScenarioError(f"scenario {self.spec.id!r}: 'via: {via}' names no browser client of this run")
        if browser.spec.user != mutation.actor:
            raise ScenarioError(f"scenario {self.spec.id!r}: {via} is logged in as {browser.spec.user}, "
                                f"not as the step's actor {mutation.actor}")
        plan = self.model.plan(mutation)
        action = self.recorder.begin("mutation", mutation.row, via, via="ui")
        result = await browser.perform(mutation)
        self.recorder.finish(action, mutation_outcome(result.ok, plan.verdict.allowed), result.status)
        self.failures += check_verdict(action.step, mutation, plan.verdict, result, client=via)
        self.recorder.expect(self.model.commit(action.step, mutation, result))
        return action.step

    async def _ui_check(self, action: UiCheck) -> int:
        from harness.engine import ui_checks as ui

        browser = self.browser_observers.get(action.client)
        if browser is None:
            raise ScenarioError(f"scenario {self.spec.id!r}: ui.{action.check} needs browser client {action.client!r}")
        record = self.recorder.begin("ui_check", action.check, action.client)
        shots = scenario_dir(self.options.artefacts_dir, self.spec.id) if self.options.artefacts_dir else None
        check = getattr(ui, f"check_{action.check}")
        kwargs: dict[str, Any] = {"screenshot_dir": shots}
        if action.check in ("settings_split", "workspace_permissions"):
            kwargs["may_manage"] = self._may_manage_workspace(browser)
        found = await check(browser.client, **kwargs)
        self.failures += [replace(f, step=record.step) for f in found]
        self.recorder.finish(record, "ok" if not found else "fail")
        return record.step

    def _may_manage_workspace(self, browser: BrowserObserver) -> bool:
        """WEB_UI.md §3: the workspace form is enabled for any of the three role-management permissions."""
        from harness.model import permissions as perms

        world = self.model.world
        guild_id = browser.active[0] if browser.active else None
        alias = world.alias_of("guild", guild_id) if guild_id else None
        if alias is None:
            return False
        guild = world.guild(alias)
        return any(perms.has_guild_perm(world, guild, browser.spec.user, p)
                   for p in ("manage_roles", "manage_member_roles", "manage_workspace_roles"))

    async def _mutate(self, mutation: Mutation, session: RestSession, *, client: str | None,
                      seeding: bool) -> tuple[int, RestResult]:
        if seeding:
            return await self._mutate_now(mutation, session, client=client, seeding=True)
        self.page_events.mutation_started()  # pages' reactions reach the model after its commit
        try:
            return await self._mutate_now(mutation, session, client=client, seeding=False)
        finally:
            self.page_events.mutation_committed()

    async def _mutate_now(self, mutation: Mutation, session: RestSession, *, client: str | None,
                          seeding: bool) -> tuple[int, RestResult]:
        plan = self.model.plan(mutation)
        action = self.recorder.begin("seed" if seeding else "mutation", mutation.row, client or f"{mutation.actor}")
        if isinstance(plan.call, GatewayCall):
            result = await self._send_gateway(plan.call, refused=not plan.verdict.allowed)
        else:
            result = await _send_rest(session, plan.call)
        self.recorder.finish(action, mutation_outcome(result.ok, plan.verdict.allowed),
                             result.status if isinstance(plan.call, RestCall) else None)
        verdict_failures = degrade_missing_route(check_verdict(action.step, mutation, plan.verdict, result, client=client),
                                                 mutation, result, self.server_profile)
        self.failures += verdict_failures
        self.recorder.expect(self.model.commit(action.step, mutation, result))
        if isinstance(plan.call, GatewayCall) and result.status == GATEWAY_DROPPED.status:
            self.recorder.expect(self.model.connection_closed(action.step, plan.call.conn, by="server"))
        if seeding and any(f.is_error for f in verdict_failures):
            raise ScenarioAborted(f"seeding refused: {verdict_failures[0].message} (status {result.status})")
        return action.step, result

    async def _send_gateway(self, call: GatewayCall, *, refused: bool) -> RestResult:
        """A gateway command has no reply: a refused one drops the connection without a frame
        (GATEWAY.md §3.2, ``message_rejected``/``ip_banned``), which is the only answer to wait for."""
        connection = self._connection(call.conn)
        await connection.send(call.envelope)
        if not refused:
            return GATEWAY_SENT
        try:
            await connection.wait_closed(self._deadline)
        except (TimeoutError, HarnessError):  # still open after the deadline: the server accepted it
            return GATEWAY_SENT
        return GATEWAY_DROPPED

    async def _refresh(self, action: Refresh) -> int:
        """The client's refresh flow: its whole state re-read over REST; after it nothing is excused."""
        observer = self.observer(action.client)
        record = self.recorder.begin("refresh", "rest", observer.spec.label)
        observer.replica.errors.clear()
        await self._hydrate(observer)
        self.recorder.finish(record, "ok")
        return record.step

    def _note_missed(self, expected: Any, emitted: bool) -> None:
        """An event the server version does not emit, or one a client's version does not understand:
        every such client that must have got it is stale until its refresh flow."""
        for observer in self.observers.values():
            primary = observer.primary
            if primary is None or expected.delivery_for(primary.conn_id) is not Delivery.MUST:
                continue
            why = (f"not emitted by a {self.server_profile.name} server" if not emitted
                   else None if observer.replica.understands(expected.event_type) else "ignored")
            if why is not None:
                observer.replica.staleness.note(expected.event_type, {**expected.fields, **expected.match}, why)

    async def _disconnect(self, action: Disconnect) -> int:
        observer = self.observer(action.client)
        connection = observer.sim.connections[action.index]
        record = self.recorder.begin("disconnect", "abort" if action.abrupt else "close", observer.spec.label,
                                     conn=connection.conn_id)
        await (connection.abort() if action.abrupt else connection.close())
        self.recorder.expect(self.model.connection_closed(record.step, connection.conn_id, by="harness"))
        self.recorder.finish(record, "ok")
        return record.step

    # ---- settling and judging ---------------------------------------------------------------------

    async def check_convergence(self, clients: Collection[str] | None = None) -> None:
        """Settle the last step done, checking the convergence of ``clients`` only (all when None): a
        soak checks a rotating sample at intervals and everyone at the end."""
        await self._settle(self._steps_done_last(), clients=clients)

    def retire_history(self, keep_s: float) -> None:
        """Judge for good and forget what is older than ``keep_s`` (a soak's bounded memory): every
        view tracker notes the frames about to go first, so partial re-reads still know what changed."""
        for label, observer in self.observers.items():
            primary, tracker = observer.primary, self.view_trackers.get(label)
            if primary is not None and tracker is not None and tracker.conn == primary.conn_id:
                tracker.scan(primary.conn_id, primary.frames, observer.replica.merged, primary.frames_retired)
        self.evaluator.retire(keep_s)

    async def _settle(self, step: int | None, *, whole: bool = False, clients: Collection[str] | None = None) -> None:
        """Poll until this step's MUST deliveries arrived and every replica converged, or the deadline.
        ``whole``: every client's whole view is read (else only what its frames can have changed);
        ``clients``: the labels whose convergence is checked (default: every client)."""
        observers = _chosen(self.observers, clients)
        deadline = self.clock() + self._deadline
        interval = POLL_FIRST_S
        while True:
            await self.evaluator.catch_up()  # a backlog of final frames, judged in slices
            report = self.evaluator.delivery()  # one evaluation per poll
            waiting = step is not None and _lost(report, step)
            if not waiting and all(o.replica.idle for o in observers):
                # the model must know gateway-created ids before comparing
                await self._bind_gateway_messages()
                convergence = await self._convergence(step, whole=whole, clients=clients)
                if not any(f.is_error for f in convergence):
                    self.failures += convergence  # expected degradation of an older version, if any
                    return
            if self.clock() >= deadline:
                break
            await asyncio.sleep(interval)
            interval = min(interval * 1.6, POLL_MAX_S)
        self.evaluator.delivery()
        await self._bind_gateway_messages()
        final = await self._convergence(step, whole=whole, clients=clients)  # fresh: a poll that found a replica busy compared nothing
        self.failures += final
        await self._screenshot_diverged_browsers(final, step)

    async def _screenshot_diverged_browsers(self, failures: list[CheckFailure], step: int | None) -> None:
        """A DOM that missed its deadline is photographed now: by the end of the scenario later steps
        may have hidden what went wrong (e.g. the un-edited message was deleted since)."""
        if self.options.artefacts_dir is None:
            return
        diverged = {f.client for f in failures if f.kind == "dom_diverged"}
        directory = scenario_dir(self.options.artefacts_dir, self.spec.id)
        for label in sorted(diverged & self.browser_observers.keys()):
            path = directory / f"{safe_name(label)}-step{step}-dom-diverged.png"
            shot = await _quietly_list(self._screenshot(label, path))
            self.artefacts += [ArtefactRecord(kind="screenshot", path=str(p), client=label) for p in shot]

    async def _screenshot(self, label: str, path: Path) -> list[Path]:
        path.parent.mkdir(parents=True, exist_ok=True)
        return [await self.browser_observers[label].client.screenshot(path)]

    async def _convergence(self, step: int | None, *, whole: bool = False,
                           clients: Collection[str] | None = None) -> list[CheckFailure]:
        if CheckClass.CONVERGENCE in self.options.disabled_checks:
            return []
        # Every client reads its own snapshot: independent, so they run concurrently — a bounded
        # number at once: hundreds of clients' reads at once queued past the REST bound on the target.
        gate = asyncio.Semaphore(self.options.read_concurrency)

        async def bounded(observer: Observer) -> list[CheckFailure]:
            async with gate:
                return await self._converged(observer, step, whole=whole)

        checks = [*(bounded(o) for o in _chosen(self.observers, clients)),
                  *(b.converged(step) for b in _chosen(self.browser_observers, clients))]
        return [failure for found in await asyncio.gather(*checks) for failure in found]

    async def _converged(self, observer: Observer, step: int | None, *, whole: bool = False) -> list[CheckFailure]:
        """Compare the client's replica with REST and the model; re-read only what its frames since its
        last passed check can have changed (harness.engine.view_tracking), everything when ``whole``."""
        label = observer.spec.label
        primary = observer.primary
        if primary is None or not primary.is_open:
            return []
        scope = self.model.live_scope(primary.conn_id)
        tracker = self.view_trackers.setdefault(label, ViewTracker())
        tracker.scan(primary.conn_id, primary.frames, observer.replica.merged, primary.frames_retired)
        if not whole and tracker.clean(scope) and not observer.replica.errors:
            self.view_reads["skipped"] += 1
            return []
        partial = not whole and not tracker.whole_read_needed(scope)
        self.view_reads["partial" if partial else "whole"] += 1
        failures = await self._compare_view(observer, step, scope, tracker if partial else None)
        if failures and partial:  # a difference is only reported as seen on a whole fresh read
            self.view_reads["confirming"] += 1
            failures = await self._compare_view(observer, step, scope, None)
        return failures

    async def _compare_view(self, observer: Observer, step: int | None, scope: Any,
                            partial: ViewTracker | None) -> list[CheckFailure]:
        label = observer.spec.label
        tracker = self.view_trackers[label]
        try:
            if partial is not None and partial.rest is not None:
                rest_view = await refresh_view(observer.sim.rest, partial.rest, **partial.parts())
            else:
                rest_view = await fetch_view(observer.sim.rest, scope)
        except SnapshotError as exc:
            tracker.failed()
            return [CheckFailure(CheckClass.CONVERGENCE, "rest_unreadable", f"{label}: {exc}", step=step, client=label)]
        model_view = self.model.projection(observer.spec.user, scope)
        failures = degrade_convergence(check_convergence(label, observer.replica.view(), rest_view, model_view, step=step),
                                       observer.replica.staleness)
        failures += [CheckFailure(CheckClass.CONVERGENCE, "refetch_failed", message, step=step, client=label)
                     for message in observer.replica.errors]
        if failures:
            tracker.failed()
        else:
            tracker.passed(rest_view)
        return failures

    async def _bind_gateway_messages(self) -> None:
        """Bind from the attributions of the evaluations so far (every settle poll evaluates first),
        then what no frame could bind from its channel's listing."""
        for attribution in self.evaluator.take_message_creates():
            expected = self.recorder.expectations[attribution.expectation]
            frame = self.recorder.frame(attribution.conn, attribution.seq)
            if frame is not None:
                self.model.bind_attributed(expected, frame.data)
        await bind_from_listings(self.model, self._session_of_user)

    async def _judge(self) -> None:
        report = self.evaluator.delivery()
        delivery_failures = await annotate_leaks(report.failures, self)
        # A step done through a browser's UI starts with typing and clicking: its "latency" would
        # measure the page, not the server, so it yields no delivery-latency sample.
        through_ui = {a.step for a in self.recorder.actions if a.detail.get("via") == "ui"}
        self.latencies = [sample for sample in report.latencies if sample.step not in through_ui]
        self.failures += delivery_failures + self.evaluator.frame_checks()

    # ---- lookups ----------------------------------------------------------------------------------

    def observer(self, label: str) -> Observer:
        try:
            return self.observers[label]
        except KeyError:
            raise ScenarioError(f"scenario {self.spec.id!r}: no client labelled {label!r}") from None

    def _observer_of_user(self, user: str) -> Observer | None:
        return next((o for o in self.observers.values() if o.spec.user == user), None)

    def _session_of_user(self, user: str) -> RestSession | None:
        observer = self._observer_of_user(user)
        return observer.sim.rest if observer else self.seed_sessions.get(user)

    def session_of_connection(self, conn: str) -> RestSession | None:
        label = self.recorder.conn_clients.get(conn)
        observer = self.observers.get(label) if label else None
        return observer.sim.rest if observer else None

    def _connection(self, conn: str) -> GatewayConnection:
        for observer in self.observers.values():
            for connection in observer.sim.connections:
                if connection.conn_id == conn:
                    return connection
        raise ScenarioError(f"scenario {self.spec.id!r}: no open connection {conn!r} to send on")

    # ---- teardown and result ----------------------------------------------------------------------

    async def _close(self, keep_browsers: bool = False) -> None:
        """Close every client and session; safe to call twice (error paths close early). Browsers stay
        open for ``finish`` to save their artefacts when asked to."""
        if not keep_browsers:
            for browser in self.browser_observers.values():
                await _quietly(browser.client.close())
        if self._closed:
            return
        self._closed = True
        for observer in self.observers.values():
            await observer.replica.close()
            await _quietly(observer.sim.close())
        for session in self.seed_sessions.values():
            await _quietly(session.aclose())

    def _unread_bytes(self) -> list[int]:
        return [c.unread_bytes() for o in self.observers.values() for c in o.sim.connections]

    def _result(self, duration: float) -> ScenarioResult:
        load = self.load_figures
        if load is not None and load.overloaded and self.error and "no answer within" in self.error:
            # A REST call timed out while the harness's own loop was stalled: the harness, not the
            # target, may have been too slow to read the answer.
            self.error = f"{load.describe()}; meanwhile {self.error}"
        if load is not None and load.overloaded and any(_is_late(f) for f in self.failures):
            # Receive times are the harness's, and it was late itself: a late copy is not the server's
            # fault. (A lag that made nothing late leaves the verdict trustworthy: it is only reported.)
            self.failures = [_excused_by_overload(f) for f in self.failures]
            if not any(f.is_error for f in self.failures):  # real findings (a leak, a loss) still fail it
                self.error = self.error or load.describe()
        listed = _listed_steps(self.recorder.actions, self.options.steps_listed)
        errors = cap_per_kind(_dedupe([f for f in self.failures if f.is_error]))
        warnings = cap_per_kind(_dedupe([f for f in self.failures if f.severity == "warning"]))
        degradations = cap_per_kind(_dedupe([f for f in self.failures if f.severity == "degraded"]))
        status: Literal["passed", "failed", "error", "skipped", "degraded"] = (
            "error" if self.error else "failed" if errors else "skipped" if self.degraded
            else "degraded" if degradations else "passed")
        return ScenarioResult(
            id=self.spec.id, title=self.spec.title, rows=list(self.spec.rows), tags=list(self.spec.tags),
            status=status, duration_s=round(duration, 3),
            clients=[self._client_record(o) for o in self.observers.values()]
            + [self._browser_record(b) for b in self.browser_observers.values()],
            steps=[self._step_record(a) for a in listed],
            steps_omitted=len(self.recorder.actions) - len(listed),
            failures=[failure_record(f) for f in errors],
            warnings=[failure_record(f) for f in warnings],
            degradations=[failure_record(f) for f in degradations],
            latency=latency_stats(self.latencies, self.evaluator.retired.latencies),
            error=self.error or self.degraded,
            harness_load=None if load is None else HarnessLoad.of(load),
        )

    def _client_record(self, observer: Observer) -> ClientRecord:
        return ClientRecord(label=observer.spec.label, kind="simulated", user=observer.spec.user,
                            visibility_class=observer.spec.observes_as, profile=observer.spec.profile,
                            connections=[c.conn_id for c in observer.sim.connections])

    def _browser_record(self, browser: BrowserObserver) -> ClientRecord:
        return ClientRecord(label=browser.spec.label, kind="browser", user=browser.spec.user,
                            visibility_class=browser.spec.observes_as, profile=self._profile_name(browser.spec),
                            connections=list(browser.connections))

    def _step_record(self, action: Any) -> StepRecord:
        duration = None if action.completed_at is None else (action.completed_at - action.invoked_at) * 1000
        return StepRecord(step=action.step, kind=action.kind, name=action.name, client=action.client,
                          outcome=action.outcome, status=action.status,
                          started_s=round(action.invoked_at - self.recorder.started_at, 4),
                          duration_ms=None if duration is None else round(duration, 2),
                          detail={k: v for k, v in action.detail.items() if isinstance(v, (str, int, float, bool))})


def _listed_steps(actions: list[Action], limit: int | None) -> list[Action]:
    """Every action, or with a ``limit`` every one not ``ok`` and the last ``limit`` that are, in order."""
    if limit is None or len(actions) <= limit:
        return actions
    last_ok = {id(a) for a in [a for a in actions if a.outcome == "ok"][-limit:]}
    return [a for a in actions if a.outcome != "ok" or id(a) in last_ok]


GATEWAY_DROPPED = RestResult(0, None, {})
"""What a refused gateway command gets: the connection dropped (the model predicts status 0)."""


def mutation_outcome(accepted: bool, predicted_allowed: bool) -> Outcome:
    """``ok`` or ``refused`` when the server answered as the model predicted, ``fail`` when it did not."""
    if accepted != predicted_allowed:
        return "fail"
    return "ok" if accepted else "refused"


async def _send_rest(session: RestSession, call: RestCall) -> RestResult:
    kwargs: dict[str, Any] = {"headers": dict(call.headers), "auth": call.auth}
    if call.content is not None:
        kwargs["content"] = call.content
    elif call.json is not NO_BODY:
        kwargs["json"] = call.json
    if call.params:
        kwargs["params"] = dict(call.params)
    result = await session.request(call.method, call.path, **kwargs)
    return RestResult(result.status, result.body, dict(result.headers))


async def _wait_subscribed(connection: GatewayConnection, guild_id: str, channel_id: str, timeout: float) -> bool:
    def acked(frame: Any) -> bool:
        return (frame.event_type == "subscribed" and isinstance(frame.data, dict)
                and frame.data.get("guild_id") == guild_id and frame.data.get("channel_id") == channel_id)

    try:
        await connection.wait_for(acked, timeout)
        return True
    except (TimeoutError, HarnessError):
        return False


def _is_late(failure: CheckFailure) -> bool:
    return failure.check == CheckClass.DELIVERY and failure.kind == "late" and failure.is_error


def _excused_by_overload(failure: CheckFailure) -> CheckFailure:
    if _is_late(failure):
        return replace(failure, severity="warning", details={**failure.details, "harness_overloaded": True})
    return failure


def _chosen(by_label: dict[str, Any], clients: Collection[str] | None) -> list[Any]:
    """The clients named in ``clients`` (every client when None), in their order."""
    return [client for label, client in by_label.items() if clients is None or label in clients]


def _lost(report: DeliveryReport, step: int) -> bool:
    """Whether a MUST delivery of ``step`` has not arrived (yet)."""
    return any(f.kind == "loss" and f.step == step for f in report.failures)


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if number == 0:
            return out


def _dedupe(failures: list[CheckFailure]) -> list[CheckFailure]:
    """One failure per (check, kind, client, connection, event, path): a persistent divergence is
    reported at the first step it was seen, not at every later step."""
    seen: set[tuple[Any, ...]] = set()
    out: list[CheckFailure] = []
    for failure in failures:
        key = (failure.check, failure.kind, failure.client, failure.conn, failure.event_type,
               failure.details.get("path"), failure.step if failure.check != CheckClass.CONVERGENCE else None,
               failure.message if failure.check != CheckClass.CONVERGENCE else None)
        if key not in seen:
            seen.add(key)
            out.append(failure)
    return out


async def _histories_or_nothing(directory: Path, recorder: Recorder, redactor: Redactor) -> list[ArtefactRecord]:
    try:
        return await write_histories(directory, recorder, redactor)
    except (OSError, ValueError, RecursionError) as exc:  # evidence lost must not turn into a crash
        log.warning("histories of %s not written: %r", directory.name, exc)
        return []


async def _quietly_list(awaitable: Any) -> list[Any]:
    try:
        return await asyncio.wait_for(awaitable, 30.0)
    except Exception as exc:  # an artefact that cannot be saved must not hide the scenario's outcome
        log.warning("artefacts: %r", exc)
        return []


async def _quietly(awaitable: Any) -> None:
    try:
        await asyncio.wait_for(awaitable, 5.0)
    except Exception as exc:  # teardown must not mask the scenario's own outcome
        log.debug("teardown: %r", exc)


__all__ = ["ScenarioRunner", "RunnerOptions", "ScenarioAborted", "Observer"]
