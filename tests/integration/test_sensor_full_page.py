"""ListScheduledSensor beyond one page: 100 bots listed ahead of the one it waits for; min_count limits."""

from __future__ import annotations

from datetime import timedelta

import pytest
from meetstream_fakes import events_of

from airflow_provider_meetstream.constants import MAX_LIST_LIMIT
from airflow_provider_meetstream.exceptions import MeetStreamInputError
from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook
from airflow_provider_meetstream.sensors.meetstream import ListScheduledSensor
from airflow_provider_meetstream.triggers.meetstream import ListScheduledTrigger
from airflow_provider_meetstream.utils.scheduled_bots import ScheduledCriteria

WATCHED = "evt_watched"


@pytest.fixture
def crowded(meetstream_frozen_now) -> str:
    """A full page of 100 bots joining before the watched event's bot, which is 101st in the list."""
    now = meetstream_frozen_now.now
    events = [
        {
            "id": f"evt_early_{index:03d}",
            "start_time": (now + timedelta(hours=1, minutes=index)).isoformat(),
            "end_time": (now + timedelta(hours=2, minutes=index)).isoformat(),
            "meeting_url": f"https://meet.google.com/early-{index:03d}",
        }
        for index in range(MAX_LIST_LIMIT)
    ]
    events.append(
        {
            "id": WATCHED,
            "start_time": (now + timedelta(days=2)).isoformat(),
            "end_time": (now + timedelta(days=2, hours=1)).isoformat(),
            "meeting_url": "https://zoom.us/j/424242",
        }
    )
    meetstream_frozen_now.emulator.admin.load_events(events)
    hook = MeetStreamHook()
    for event in events[:-1]:
        hook.schedule_event(event["id"], deduplication_key=f"early-{event['id']}")
    bot_id = hook.schedule_event(WATCHED, deduplication_key="watched")["bot_id"]
    page = hook.list_scheduled_bots()
    assert len(page) == MAX_LIST_LIMIT
    assert bot_id not in {bot["bot_id"] for bot in page}
    return bot_id


def run_trigger(**criteria: object) -> list[dict]:
    return events_of(
        ListScheduledTrigger(
            meetstream_conn_id="meetstream_default",
            criteria=ScheduledCriteria.build(**criteria).serialize(),
            poll_interval=0.05,
            timeout=1.0,
        )
    )


def test_scheduled_by_event_beyond_a_full_page(crowded: str) -> None:
    result = ListScheduledSensor(task_id="wait", event_id=WATCHED).poke({})
    assert result.is_done
    assert [bot["bot_id"] for bot in result.xcom_value] == [crowded]
    (event,) = run_trigger(event_id=WATCHED)
    assert event["status"] == "success"
    assert [bot["bot_id"] for bot in event["bots"]] == [crowded]


def test_the_key_filter_applies_to_the_events_bots(crowded: str) -> None:
    assert ListScheduledSensor(task_id="wait", event_id=WATCHED, deduplication_key="watched").poke({}).is_done
    assert (
        not ListScheduledSensor(task_id="wait", event_id=WATCHED, deduplication_key="other").poke({}).is_done
    )
    (event,) = run_trigger(event_id=WATCHED, deduplication_key="other")
    assert event["status"] == "timeout"


def test_gone_by_event_beyond_a_full_page(crowded: str) -> None:
    sensor = ListScheduledSensor(task_id="wait", event_id=WATCHED, wait_for="gone")
    assert not sensor.poke({}).is_done
    assert run_trigger(event_id=WATCHED, wait_for="gone")[0]["status"] == "timeout"
    MeetStreamHook().delete_scheduled_bot(crowded)
    assert sensor.poke({}).is_done
    assert run_trigger(event_id=WATCHED, wait_for="gone")[0]["status"] == "success"


@pytest.mark.parametrize(("min_count", "limit"), [(MAX_LIST_LIMIT + 1, MAX_LIST_LIMIT), (11, 10)])
def test_min_count_beyond_one_page_is_refused(min_count: int, limit: int) -> None:
    with pytest.raises(MeetStreamInputError, match=rf"Invalid min_count={min_count}.*limit={limit}"):
        ListScheduledSensor(task_id="wait", event_id=WATCHED, min_count=min_count, limit=limit)
    with pytest.raises(MeetStreamInputError, match="min_count"):
        ScheduledCriteria.build(event_id=WATCHED, min_count=min_count, limit=limit)


def test_min_count_of_a_whole_page_is_accepted() -> None:
    assert ScheduledCriteria.build(min_count=MAX_LIST_LIMIT).min_count == MAX_LIST_LIMIT
