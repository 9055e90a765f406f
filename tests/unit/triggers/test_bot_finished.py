"""BotFinishedTrigger with no server: transitions only, its mark across a restart, errors, scope."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterable
from datetime import datetime, timedelta, timezone
from types import SimpleNamespace
from typing import Any
from unittest.mock import AsyncMock

import pytest
from meetstream_fakes import API_KEY

from airflow_provider_meetstream.exceptions import MeetStreamInputError, MeetStreamServerError
from airflow_provider_meetstream.utils import bot_watch, harvest

try:
    from airflow_provider_meetstream.triggers import bot_finished as module
    from airflow_provider_meetstream.triggers.bot_finished import BotFinishedTrigger
except ImportError as err:  # Airflow 2: the class is not defined, and says why (test_public_paths)
    pytest.skip(str(err), allow_module_level=True)

SYNC = "team.sync"
ENDED = (datetime.now(timezone.utc) - timedelta(hours=1)).isoformat()


def listed(bot_id: str, status: str, *, key: str | None = None, **extra: Any) -> dict[str, Any]:
    """One bot of ``GET /bots``, of the sync unless ``key`` says otherwise, its meeting an hour ago."""
    attributes = {"deduplication_key": key or f"{SYNC}|evt_{bot_id}", "event_id": f"evt_{bot_id}"}
    return {"bot_id": bot_id, "status": status, "end_time": ENDED, "custom_attributes": attributes, **extra}


def snapshot(*answers: dict[str, Any]) -> tuple[harvest.Bot, ...]:
    return tuple(harvest.Bot.read(answer) for answer in answers)


class MemoryStore:
    """An asset state store in memory, with the accessor's async methods; ``fail`` its next reads."""

    def __init__(self, fail: int = 0) -> None:
        self.values: dict[str, Any] = {}
        self.fail = fail

    async def aget(self, key: str, default: Any = None) -> Any:
        if self.fail:
            self.fail -= 1
            raise ConnectionError("the supervisor is away")
        return self.values.get(key, default)

    async def aset(self, key: str, value: Any) -> None:
        self.values[key] = json.loads(json.dumps(value))


@pytest.fixture
def watcher(client: AsyncMock) -> AsyncMock:
    """The mocked client, with a deadline, no transcript ready and no calendar."""
    client.get_config.return_value = SimpleNamespace(deadline=5.0)
    client.list_transcriptions.return_value = [{"transcript_id": "t", "status": "processing"}]
    client.iter_events.side_effect = lambda **kwargs: stream([])
    return client


async def stream(items: Iterable[Any]) -> AsyncIterator[Any]:
    for item in items:
        yield item


def trigger(store: MemoryStore | None = None, **kwargs: Any) -> Any:
    kwargs.setdefault("sync_id", SYNC)
    kwargs.setdefault("event_interval", 0)
    made = BotFinishedTrigger(poll_interval=0.01, **kwargs)
    made.asset_state_store = store
    made.save_delay = 0  # the events are stored at once here: no triggerer in between
    return made


def watch(made: Any, *snapshots: tuple[harvest.Bot, ...]) -> list[dict[str, Any]]:
    """The payloads a trigger yields from these listings, as one watcher of a shared stream."""

    async def collect() -> list[dict[str, Any]]:
        return [event.payload async for event in made.filter_shared_stream(stream(snapshots))]

    return asyncio.run(asyncio.wait_for(collect(), 10))


def test_serialize_round_trip() -> None:
    made = BotFinishedTrigger(
        key_prefix="ops|", meetstream_conn_id="ms", poll_interval=30, lookback=3600, event_interval=1
    )
    classpath, kwargs = made.serialize()
    assert classpath == "airflow_provider_meetstream.triggers.bot_finished.BotFinishedTrigger"
    assert json.loads(json.dumps(kwargs)) == kwargs
    assert BotFinishedTrigger(**kwargs).serialize() == (classpath, kwargs)


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({}, "sync_id/key_prefix/bot_ids"),
        ({"sync_id": SYNC, "bot_ids": ["b1"]}, "sync_id/key_prefix/bot_ids"),
        ({"sync_id": "a|b"}, "sync_id"),
        ({"sync_id": SYNC, "poll_interval": 0}, "poll_interval"),
        ({"sync_id": SYNC, "lookback": float("nan")}, "lookback"),
        ({"sync_id": SYNC, "meetstream_conn_id": ""}, "meetstream_conn_id"),
        ({"sync_id": SYNC, "event_interval": -1}, "event_interval"),
    ],
)
def test_bad_arguments_are_refused_naming_them(kwargs: dict[str, Any], argument: str) -> None:
    with pytest.raises(MeetStreamInputError, match=argument.replace("|", r"\|")):
        BotFinishedTrigger(**kwargs)


def test_one_event_per_transition_never_per_state(watcher: AsyncMock) -> None:
    events = watch(
        trigger(MemoryStore()),
        snapshot(listed("b1", "Scheduled"), listed("b2", "InMeeting"), listed("b3", "Scheduled")),
        snapshot(listed("b1", "Stopped"), listed("b2", "InMeeting"), listed("b3", "Cancelled")),
        snapshot(
            listed("b1", "Done"), listed("b2", "Error", reason="the bot crashed"), listed("b3", "Cancelled")
        ),
        snapshot(
            listed("b1", "Done"), listed("b2", "Error", reason="the bot crashed"), listed("b3", "Cancelled")
        ),
    )
    # Stopped alone waits for its data; Done once; a failure once, with its reason; Cancelled never.
    assert [(e["bot_id"], e["status"], e["outcome"], e["reason"]) for e in events] == [
        ("b1", "Done", "ready", None),
        ("b2", "Error", "failed", "the bot crashed"),
    ]
    assert set(events[0]) == {
        *("bot_id", "event_id", "occurrence_date", "title", "status"),
        *("outcome", "reason", "end_time"),
    }


def test_a_stopped_bot_is_ready_once_its_transcript_is(watcher: AsyncMock) -> None:
    watcher.list_transcriptions.side_effect = [
        [{"transcript_id": "t1", "status": "processing"}],
        [{"transcript_id": "t1", "status": "success"}],
    ]
    events = watch(
        trigger(),
        snapshot(listed("b1", "InMeeting")),
        snapshot(listed("b1", "Stopped")),
        snapshot(listed("b1", "Stopped")),
        snapshot(listed("b1", "Done")),
    )
    assert [(e["bot_id"], e["status"], e["outcome"]) for e in events] == [("b1", "Stopped", "ready")]
    assert [call.args for call in watcher.list_transcriptions.await_args_list] == [("b1",), ("b1",)]


def test_the_first_look_is_a_baseline(watcher: AsyncMock) -> None:
    store = MemoryStore()
    events = watch(
        trigger(store),
        snapshot(
            listed("b1", "Done"), listed("b2", "Denied"), listed("b3", "Stopped"), listed("b4", "InMeeting")
        ),
        snapshot(listed("b1", "Done"), listed("b2", "Denied"), listed("b3", "Done"), listed("b4", "Done")),
    )
    # Those that had ended (Stopped too) are the harvest's; only the meeting that ended since fires.
    assert [e["bot_id"] for e in events] == ["b4"]
    (mark,) = store.values.values()
    assert sorted(mark["seen"]) == ["b1", "b2", "b3", "b4"]


def test_a_restart_reads_the_mark_and_repeats_nothing(watcher: AsyncMock) -> None:
    store = MemoryStore()
    before = watch(
        trigger(store),
        snapshot(listed("b1", "InMeeting"), listed("b2", "InMeeting")),
        snapshot(listed("b1", "Done"), listed("b2", "InMeeting")),
    )
    assert [e["bot_id"] for e in before] == ["b1"]
    later = snapshot(listed("b1", "Done"), listed("b2", "Done"))
    assert [e["bot_id"] for e in watch(trigger(store), later, later)] == ["b2"]


def test_no_baseline_before_the_stored_mark_is_read(watcher: AsyncMock) -> None:
    store = MemoryStore()
    watch(trigger(store), snapshot(listed("b1", "InMeeting")))
    store.fail = 2
    ended = snapshot(listed("b1", "Done"))
    # Two reads fail: had the trigger taken a new baseline meanwhile, b1 would never fire.
    assert [e["bot_id"] for e in watch(trigger(store), ended, ended, ended)] == ["b1"]


def test_the_scope_takes_only_its_bots(watcher: AsyncMock) -> None:
    other = listed("x1", "InMeeting", key="another-team|evt")
    first = snapshot(listed("b1", "InMeeting"), other, listed("b2", "InMeeting"))
    then = snapshot(listed("b1", "Done"), listed("x1", "Done", key="another-team|evt"), listed("b2", "Done"))
    assert [e["bot_id"] for e in watch(trigger(), first, then)] == ["b1", "b2"]
    assert [e["bot_id"] for e in watch(trigger(sync_id=None, bot_ids=["b2"]), first, then)] == ["b2"]
    assert [e["bot_id"] for e in watch(trigger(sync_id=None, key_prefix="another-team|"), first, then)] == [
        "x1"
    ]


def test_a_meeting_older_than_the_lookback_is_never_announced_and_leaves_the_mark(watcher: AsyncMock) -> None:
    store = MemoryStore()
    old = (datetime.now(timezone.utc) - timedelta(days=9)).isoformat()
    events = watch(
        trigger(store),
        snapshot(listed("b1", "Done"), listed("b2", "InMeeting", end_time=old)),
        snapshot(listed("b1", "Done"), listed("b2", "Done", end_time=old)),
    )
    assert events == []
    (mark,) = store.values.values()
    assert list(mark["seen"]) == ["b1"]


def test_titles_come_from_one_listing_of_the_calendar(watcher: AsyncMock) -> None:
    watcher.iter_events.side_effect = lambda **kwargs: stream(
        [{"id": "evt_b1", "title": "Board meeting"}, {"id": "evt_zz", "raw": {"summary": "Other"}}]
    )
    events = watch(trigger(), snapshot(listed("b1", "InMeeting")), snapshot(listed("b1", "Done")))
    assert [e["title"] for e in events] == ["Board meeting"]
    assert watcher.iter_events.call_count == 1


def test_a_calendar_that_fails_leaves_the_title_out(watcher: AsyncMock) -> None:
    def broken(**kwargs: Any) -> AsyncIterator[Any]:
        raise MeetStreamServerError("down", status_code=503)

    watcher.iter_events.side_effect = broken
    events = watch(trigger(), snapshot(listed("b1", "InMeeting")), snapshot(listed("b1", "Done")))
    assert [(e["bot_id"], e["title"]) for e in events] == [("b1", None)]


def test_the_api_key_never_reaches_an_event_or_the_log(
    watcher: AsyncMock, capsys: pytest.CaptureFixture[str]
) -> None:
    watcher.list_transcriptions.side_effect = MeetStreamServerError(f"echo {API_KEY}", status_code=500)
    events = watch(
        trigger(),
        snapshot(listed("b1", "InMeeting"), listed("b2", "InMeeting")),
        snapshot(listed("b1", "Error", reason=f"key {API_KEY}"), listed("b2", "Stopped")),
    )
    # b2's transcript state could not be read: it is asked again next poll, and b1 goes out meanwhile.
    assert [e["bot_id"] for e in events] == ["b1"]
    assert API_KEY not in json.dumps(events)
    assert events[0]["reason"] == "key ***"
    logged = capsys.readouterr().out
    assert API_KEY not in logged
    assert "asked again next poll" in logged


def test_a_failing_listing_backs_off_and_the_trigger_lives_on(
    watcher: AsyncMock, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    answers = iter(
        [
            MeetStreamServerError(f"down {API_KEY}", status_code=503),
            MeetStreamServerError("down", status_code=503),
            [listed("b1", "InMeeting")],
            MeetStreamServerError("down", status_code=503),
            [listed("b1", "Done")],
        ]
    )

    def pages(**kwargs: Any) -> AsyncIterator[Any]:
        answer = next(answers)
        if isinstance(answer, Exception):
            raise answer
        return stream(answer)

    watcher.iter_bots.side_effect = pages
    backoffs: list[int] = []
    monkeypatch.setattr(bot_watch, "backoff", lambda interval, failures: backoffs.append(failures) or 0.001)

    async def first_event() -> dict[str, Any]:
        events = trigger().run()
        try:
            return (await events.__anext__()).payload
        finally:
            await events.aclose()

    event = asyncio.run(asyncio.wait_for(first_event(), 10))
    assert event["bot_id"] == "b1"
    assert backoffs == [1, 2, 1]  # doubling while it fails, from the start again after a success
    logged = capsys.readouterr().out
    assert "next try in" in logged
    assert API_KEY not in logged


def test_watchers_of_one_connection_share_one_listing() -> None:
    ops, sales = BotFinishedTrigger(sync_id="ops"), BotFinishedTrigger(key_prefix="sales|")
    assert ops.shared_stream_key() == sales.shared_stream_key()
    assert (
        ops.shared_stream_key()
        != BotFinishedTrigger(sync_id="ops", meetstream_conn_id="other").shared_stream_key()
    )


def test_the_shared_stream_lists_every_bot_each_poll(watcher: AsyncMock) -> None:
    watcher.iter_bots.side_effect = lambda **kwargs: stream(
        [listed("b1", "Done"), listed("x1", "Done", key="x|")]
    )

    async def two() -> list[Any]:
        listings = BotFinishedTrigger.open_shared_stream({"meetstream_conn_id": "ms", "poll_interval": 0.001})
        try:
            return [await listings.__anext__(), await listings.__anext__()]
        finally:
            await listings.aclose()

    first, second = asyncio.run(asyncio.wait_for(two(), 10))
    assert [bot.bot_id for bot in first] == ["b1", "x1"]
    assert first == second
    assert watcher.iter_bots.call_args.kwargs == {"page_size": 100}


def test_the_events_of_one_poll_are_spaced_out(watcher: AsyncMock, monkeypatch: pytest.MonkeyPatch) -> None:
    waits: list[float] = []
    sleep = asyncio.sleep

    async def record(seconds: float) -> None:
        # asyncio.sleep is patched for every loop: other threads' sleeps (the emulator's) still sleep.
        if seconds == 2.5:
            waits.append(seconds)
        else:
            await sleep(seconds)

    monkeypatch.setattr(module.asyncio, "sleep", record)
    first = snapshot(listed("b1", "InMeeting"), listed("b2", "InMeeting"), listed("b3", "InMeeting"))
    then = snapshot(listed("b1", "Done"), listed("b2", "Done"), listed("b3", "Error"))
    events = watch(trigger(event_interval=2.5), first, then)
    # Airflow 3.3 folds an event that follows another within a second into no run of its own.
    assert [e["bot_id"] for e in events] == ["b1", "b2", "b3"]
    assert waits == [2.5, 2.5]


def test_a_watcher_of_several_assets_keeps_its_mark_in_memory(watcher: AsyncMock) -> None:
    class SeveralAssets(MemoryStore):
        async def aget(self, key: str, default: Any = None) -> Any:
            raise ValueError("Task has 2 concrete inlets and outlets")

    made = trigger(SeveralAssets())
    events = watch(made, snapshot(listed("b1", "InMeeting")), snapshot(listed("b1", "Done")))
    assert [e["bot_id"] for e in events] == ["b1"]
    assert made.asset_state_store is None


def test_the_stored_mark_follows_the_events_by_the_save_delay(watcher: AsyncMock) -> None:
    # An event leaves the trigger a second or so before the triggerer stores it: a restart in
    # between must repeat it (the consumer skips a landed meeting), never lose it.
    store = MemoryStore()
    made = trigger(store)
    made.save_delay = 3600
    before = snapshot(listed("b1", "InMeeting"))
    assert [e["bot_id"] for e in watch(made, before, snapshot(listed("b1", "Done")))] == ["b1"]
    (mark,) = store.values.values()
    assert mark["seen"] == {}
    again = snapshot(listed("b1", "Done"))
    assert [e["bot_id"] for e in watch(trigger(store), again, again)] == ["b1"]


def test_without_a_state_store_in_its_airflow_the_mark_lives_in_memory(
    watcher: AsyncMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Airflow 3.0 to 3.2: BaseEventTrigger sets no asset_state_store.
    from airflow.triggers.base import BaseTrigger

    monkeypatch.setattr(module.BaseEventTrigger, "__init__", BaseTrigger.__init__)
    made = BotFinishedTrigger(sync_id=SYNC, poll_interval=0.01, event_interval=0)
    assert made.asset_state_store is None
    events = watch(made, snapshot(listed("b1", "InMeeting")), snapshot(listed("b1", "Done")))
    assert [e["bot_id"] for e in events] == ["b1"]


def test_a_slow_calendar_or_slow_transcript_states_never_hold_the_events_back(watcher: AsyncMock) -> None:
    watcher.get_config.return_value = SimpleNamespace(deadline=0.05)

    async def slow_calendar(**kwargs: Any) -> AsyncIterator[Any]:
        for number in range(100):
            await asyncio.sleep(0.02)
            yield {"id": f"evt_{number}", "title": "Slow"}

    async def slow_state(bot_id: str) -> list[dict[str, Any]]:
        await asyncio.sleep(0.03)
        return [{"transcript_id": "t", "status": "completed"}]

    watcher.iter_events.side_effect = slow_calendar
    watcher.list_transcriptions.side_effect = slow_state
    stopped = [listed(f"s{number}", "Stopped") for number in range(10)]
    first = snapshot(listed("b1", "InMeeting"), *[listed(f"s{n}", "InMeeting") for n in range(10)])
    events = watch(trigger(), first, snapshot(listed("b1", "Done"), *stopped))
    # b1 goes out, without a title; the Stopped bots not asked in time wait for the next poll.
    assert "b1" in [e["bot_id"] for e in events]
    assert len(events) < 11
    assert watcher.list_transcriptions.await_count < 10
