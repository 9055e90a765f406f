"""A sensor waiting for a cancelled bot fails at once, naming it, in poke, reschedule and deferrable modes."""

from __future__ import annotations

import asyncio
from unittest import mock

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_meetstream.exceptions import MeetStreamBotCancelledError
from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook
from airflow_provider_meetstream.sensors.meetstream import ListScheduledSensor
from airflow_provider_meetstream.triggers.meetstream import ListScheduledTrigger
from airflow_provider_meetstream.utils.scheduled_bots import ScheduledCriteria

ZOOM = "evt_demo_zoom_sync"


@pytest.fixture
def cancelled_bot(meetstream_frozen_now) -> str:
    """
    A bot scheduled and then deleted: MeetStream still answers its status, ``Cancelled``.

    At a frozen instant, like every test here: the demo calendar's Zoom call moves with the clock.
    """
    hook = MeetStreamHook()
    bot_id = hook.schedule_event(ZOOM, deduplication_key="cancel-me")["bot_id"]
    hook.delete_scheduled_bot(bot_id)
    assert hook.get_bot_status(bot_id)["status"] == "Cancelled"
    return bot_id


def sensor(bot_id: str, **kwargs: object) -> ListScheduledSensor:
    # A long timeout: before the fix each mode polled until it, so a quick failure is the fix.
    return ListScheduledSensor(task_id="wait", bot_ids=[bot_id], poke_interval=0.05, timeout=600, **kwargs)


def test_poke_mode_fails_at_once(cancelled_bot: str, meetstream_conn_env) -> None:
    meetstream_conn_env.admin.clear_requests()
    with pytest.raises(MeetStreamBotCancelledError, match=rf"{cancelled_bot}.*Cancelled") as caught:
        sensor(cancelled_bot, mode="poke").execute({})
    assert isinstance(caught.value, AirflowFailException)  # no retry
    assert (caught.value.bot_id, caught.value.status) == (cancelled_bot, "Cancelled")
    # One look at the list and one status, not a poll until the timeout.
    assert [r["path"].rsplit("/", 2)[-1] for r in meetstream_conn_env.admin.requests()] == [
        "scheduled",
        "status",
    ]


# Reschedule mode reads the task's earlier reschedules from the metadata database (Airflow 2).
def test_reschedule_mode_fails_instead_of_rescheduling(cancelled_bot: str, airflow_db) -> None:
    # Airflow 3 asks the task instance for its first reschedule; Airflow 2 looks it up by its keys.
    ti = mock.Mock(dag_id="d", task_id="wait", run_id="r", map_index=-1, max_tries=0)
    ti.get_first_reschedule_date.return_value = None
    with pytest.raises(MeetStreamBotCancelledError, match="Cancelled"):
        sensor(cancelled_bot, mode="reschedule").execute({"ti": ti})


def test_deferrable_mode_fails_before_deferring(cancelled_bot: str) -> None:
    with pytest.raises(MeetStreamBotCancelledError, match=cancelled_bot):
        sensor(cancelled_bot, deferrable=True).execute({})


def test_a_bot_cancelled_while_deferred(meetstream_frozen_now) -> None:
    hook = MeetStreamHook()
    doomed = hook.schedule_event(ZOOM, deduplication_key="doomed")["bot_id"]
    # The other bot is not known yet, so the trigger keeps polling while the doomed one is listed.
    bot_ids = [doomed, "bot_not_yet"]
    trigger = ListScheduledTrigger(
        meetstream_conn_id="meetstream_default",
        criteria=ScheduledCriteria.build(bot_ids=bot_ids).serialize(),
        poll_interval=0.05,
        timeout=600,
    )

    async def scenario() -> list[dict]:
        async def cancel_later() -> None:
            await asyncio.sleep(0.3)
            await asyncio.to_thread(hook.delete_scheduled_bot, doomed)

        task = asyncio.create_task(cancel_later())
        events = [event.payload async for event in trigger.run()]
        await task
        return events

    events = asyncio.run(asyncio.wait_for(scenario(), timeout=30))
    assert len(events) == 1
    (event,) = events
    assert event["status"] == "error"
    assert doomed in event["message"]
    assert "Cancelled" in event["message"]
    with pytest.raises(MeetStreamBotCancelledError) as caught:
        ListScheduledSensor(task_id="wait", bot_ids=bot_ids, deferrable=True).execute_complete({}, event)
    assert str(caught.value) == event["message"]
    assert isinstance(caught.value, AirflowFailException)
