"""BotFinishedTrigger against the emulator: one event per bot's transition, across a restart, in scope."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from calendar_events import event

from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook
from airflow_provider_meetstream.operators.calendar_sync import SyncCalendarBotsOperator
from airflow_provider_meetstream.utils import bot_watch

try:
    from airflow_provider_meetstream.triggers.bot_finished import BotFinishedTrigger
except ImportError as err:  # Airflow 2: the class is not defined, and says why (test_public_paths)
    pytest.skip(str(err), allow_module_level=True)

SYNC = "tests.watch"
#: The emulator's processing delay after a meeting: Stopped, then Done.
PROCESSING = timedelta(seconds=120)


class MemoryStore:
    """An asset state store in memory, with the accessor's async methods."""

    def __init__(self) -> None:
        self.values: dict[str, Any] = {}
        self.writes = 0

    async def aget(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)

    async def aset(self, key: str, value: Any) -> None:
        self.writes += 1
        self.values[key] = value


class Watching:
    """A trigger's ``run()`` on an event loop in a thread of its own, its events collected."""

    def __init__(self, trigger: Any, admin: Any) -> None:
        self.trigger, self.admin = trigger, admin
        self.events: list[dict[str, Any]] = []
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.task = asyncio.run_coroutine_threadsafe(self._start(), self.loop).result(10)

    async def _start(self) -> asyncio.Task[None]:
        return asyncio.create_task(self._collect())

    async def _collect(self) -> None:
        async for fired in self.trigger.run():
            self.events.append(fired.payload)

    async def _cancel(self) -> None:
        self.task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self.task

    def listings(self) -> int:
        return sum(
            1
            for r in self.admin.requests()
            if r["method"] == "GET" and r["path"].endswith("/bots") and "cursor" not in r.get("query", "")
        )

    def polls(self, count: int = 2, timeout: float = 30.0) -> list[dict[str, Any]]:
        """Wait until ``count`` more listings began (the last one's predecessor was fully handled)."""
        target = self.listings() + count
        deadline = time.monotonic() + timeout
        while self.listings() < target:
            assert not self.task.done(), self.task
            assert time.monotonic() < deadline, "the trigger stopped polling"
            time.sleep(0.02)
        return list(self.events)

    def stop(self) -> None:
        """Cancel the trigger, as a stopping triggerer does, and close its loop; once."""
        if self.loop.is_closed():
            return
        asyncio.run_coroutine_threadsafe(self._cancel(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
        self.loop.close()


@pytest.fixture
def calendar(meetstream_frozen_now):
    """Three meetings of the sync an hour apart (the second's bot is never admitted), and another team's."""
    now = meetstream_frozen_now.now
    admin = meetstream_frozen_now.emulator.admin
    admin.load_events(
        [
            event("evt_first", now + timedelta(hours=1), title="First meeting"),
            event("evt_second", now + timedelta(hours=2), title="Second meeting"),
            event("evt_third", now + timedelta(hours=3), title="Third meeting"),
            event("evt_other", now + timedelta(hours=1), title="Other team's call"),
        ]
    )
    SyncCalendarBotsOperator(
        task_id="sync", sync_id=SYNC, title_pattern="meeting$", lookahead=timedelta(hours=5)
    ).execute({})
    other = MeetStreamHook().schedule_event("evt_other", deduplication_key="another-team|evt_other")
    bots = {
        bot["event_id"]: bot["bot_id"]
        for bot in admin.state()["bots"]
        if str(bot["deduplication_key"]).startswith(f"{SYNC}|")
    }
    assert set(bots) == {"evt_first", "evt_second", "evt_third"}
    admin.set_bot_outcome(bots["evt_second"], status="NotAllowed", reason="nobody admitted it")
    return meetstream_frozen_now, bots, other["bot_id"]


@pytest.fixture
def watch(calendar) -> Iterator[Any]:
    frozen = calendar[0]
    started: list[Watching] = []

    def start(store: MemoryStore | None, **kwargs: Any) -> Watching:
        trigger = BotFinishedTrigger(
            sync_id=kwargs.pop("sync_id", SYNC), poll_interval=0.05, event_interval=0, **kwargs
        )
        trigger.asset_state_store = store
        trigger.save_delay = 0  # no triggerer stores the events here
        watching = Watching(trigger, frozen.emulator.admin)
        started.append(watching)
        return watching

    yield start
    for watching in started:
        watching.stop()


def move_to(frozen: Any, when: Any) -> None:
    frozen.emulator.admin.set_clock(when)


def test_each_bot_is_announced_once_at_its_transition(calendar, watch) -> None:
    frozen, bots, other = calendar
    now = frozen.now
    watching = watch(MemoryStore())
    assert watching.polls() == []  # the baseline: nothing had ended
    move_to(frozen, now + timedelta(hours=1, minutes=31))  # the first meeting ended: Stopped, processing
    assert watching.polls() == []
    move_to(frozen, now + timedelta(hours=1, minutes=30) + PROCESSING + timedelta(seconds=1))  # Done
    (first,) = watching.polls()
    assert first == {
        "bot_id": bots["evt_first"],
        "event_id": "evt_first",
        "occurrence_date": None,
        "title": "First meeting",
        "status": "Done",
        "outcome": "ready",
        "reason": None,
        "end_time": first["end_time"],
    }
    move_to(frozen, now + timedelta(hours=6))
    events = watching.polls(3)
    assert [(e["event_id"], e["status"], e["outcome"]) for e in events[1:]] == [
        ("evt_second", "NotAllowed", "failed"),
        ("evt_third", "Done", "ready"),
    ]
    assert events[1]["reason"] == "nobody admitted it"
    # Done stays Done: no second event on later polls, and the other team's bot never.
    assert watching.polls(3) == events
    assert other not in {e["bot_id"] for e in events}


def test_a_restart_repeats_nothing_and_misses_nothing(calendar, watch) -> None:
    frozen, bots, _ = calendar
    store = MemoryStore()
    first = watch(store)
    first.polls()
    move_to(frozen, frozen.now + timedelta(hours=1, minutes=30) + PROCESSING + timedelta(seconds=1))
    assert [e["event_id"] for e in first.polls()] == ["evt_first"]
    first.stop()
    # Down while the two others end; a new trigger (a restarted triggerer) reads the stored mark.
    move_to(frozen, frozen.now + timedelta(hours=6))
    second = watch(store)
    assert [e["event_id"] for e in second.polls(3)] == ["evt_second", "evt_third"]
    mark = bot_watch.Mark.read(next(iter(store.values.values())))
    assert mark is not None
    assert set(mark.seen) == set(bots.values())


def test_the_first_start_takes_a_baseline(calendar, watch) -> None:
    frozen, bots, _ = calendar
    move_to(frozen, frozen.now + timedelta(hours=6))
    store = MemoryStore()
    watching = watch(store)
    assert watching.polls(3) == []
    (value,) = store.values.values()
    assert set(value["seen"]) == set(bots.values())


def test_without_a_state_store_a_restart_takes_a_new_baseline(calendar, watch) -> None:
    frozen, _, _ = calendar
    first = watch(None)
    first.polls()
    first.stop()
    move_to(frozen, frozen.now + timedelta(hours=6))
    # Nothing repeats and nothing bursts: what ended while it was down is the harvest's.
    assert watch(None).polls(3) == []


def test_a_key_prefix_scope_takes_only_its_bots(calendar, watch) -> None:
    frozen, _, other = calendar
    watching = watch(MemoryStore(), sync_id=None, key_prefix="another-team|")
    watching.polls()
    move_to(frozen, frozen.now + timedelta(hours=6))
    assert [e["bot_id"] for e in watching.polls(3)] == [other]
