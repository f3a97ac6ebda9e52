"""History artefacts are written off the event loop and stop when cancelled (issue 16: with
--sim-clients 1000 a synchronous redaction of ~1,000 history files ignored Ctrl-C for 11 minutes).

A smaller N shows the same property: while the files are written, a ticker on the loop is never held
up for long, and cancelling the writer returns at once and starts no further file."""
from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from pathlib import Path

from harness.engine.artefacts import write_histories
from harness.engine.recorder import Recorder
from harness.history import ConnectionClosed, ReceivedFrame
from harness.redact import Redactor

CLIENTS = 200
FRAMES = 200
MAX_LOOP_GAP_S = 0.5
"""Generous on a busy two-core machine; writing all files takes several seconds."""


@dataclass
class Source:
    frames: list[ReceivedFrame] = field(default_factory=list)
    closed: ConnectionClosed | None = None


def big_run() -> tuple[Recorder, Redactor]:
    recorder = Recorder()
    redactor = Redactor()
    for client in range(CLIENTS):
        redactor.add_password(f"pw-client-{client:04d}-secret")
        conn = f"extra{client}/ws0"
        # Distinct texts: identical frames (a fan-out) are redacted once per write, which would hide the work.
        raw = '{"v":1,"t":"presence_update","d":{"guild_id":"01J","status":"online","user_id":"%s-%d-%d"}}'
        source = Source([ReceivedFrame(conn, seq, recorder.started_at + seq / 1000, raw % ("U" * 120, client, seq),
                                       "presence_update") for seq in range(FRAMES)])
        recorder.add_connection(conn, f"extra{client}", source)
    return recorder, redactor


async def ticker(gaps: list[float], stop: asyncio.Event) -> None:
    last = time.monotonic()
    while not stop.is_set():
        await asyncio.sleep(0.01)
        now = time.monotonic()
        gaps.append(now - last)
        last = now


async def test_the_loop_keeps_serving_while_histories_are_written(tmp_path: Path) -> None:
    recorder, redactor = big_run()
    gaps: list[float] = []
    stop = asyncio.Event()
    tick = asyncio.create_task(ticker(gaps, stop))
    started = time.monotonic()
    records = await write_histories(tmp_path, recorder, redactor)
    took = time.monotonic() - started
    stop.set()
    await tick
    assert len(records) == CLIENTS + 1 and len(list(tmp_path.glob("history-*.json"))) == CLIENTS
    assert took > 2 * MAX_LOOP_GAP_S, f"too little work ({took:.2f}s) to show anything"
    longest = max(gaps, default=took)  # no tick at all: the loop was held for the whole write
    assert longest < MAX_LOOP_GAP_S, f"the loop was held {longest:.2f}s while writing for {took:.2f}s"


async def test_cancelling_the_writer_returns_at_once_and_starts_no_further_file(tmp_path: Path) -> None:
    recorder, redactor = big_run()
    writer = asyncio.create_task(write_histories(tmp_path, recorder, redactor))
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob("history-*.json")) and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    asked = time.monotonic()
    writer.cancel()
    try:
        await writer
    except asyncio.CancelledError:
        pass
    assert time.monotonic() - asked < MAX_LOOP_GAP_S
    await asyncio.sleep(0.5)  # the worker thread stops at its next frame
    written = len(list(tmp_path.glob("history-*.json")))
    await asyncio.sleep(1.0)
    assert len(list(tmp_path.glob("history-*.json"))) == written < CLIENTS


async def test_every_history_is_redacted_also_when_a_frame_text_repeats(tmp_path: Path) -> None:
    recorder, redactor = Recorder(), Redactor()
    redactor.add_password("pw-the-leaked-one")
    leak = '{"v":1,"t":"x","d":{"echo":"pw-the-leaked-one"}}'
    for client in range(3):
        recorder.add_connection(f"c{client}/ws0", f"c{client}", Source([ReceivedFrame(f"c{client}/ws0", 0, 0.0, leak)]))
    await write_histories(tmp_path, recorder, redactor)
    texts = [p.read_text() for p in tmp_path.glob("history-*.json")]
    assert len(texts) == 3 and all("pw-the-leaked-one" not in t and "«redacted:password»" in t for t in texts)
