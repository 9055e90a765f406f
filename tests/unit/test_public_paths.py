"""The public import paths: users' DAGs, the docs and the trigger class paths stored with deferred tasks."""

from __future__ import annotations

import importlib

import pytest

#: Each public class, by the one path that reaches it; every other module is internal.
PUBLIC = (
    "hooks.meetstream.MeetStreamHook",
    "hooks.async_client.MeetStreamAsyncClient",
    "operators.meetstream.ScheduleEventOperator",
    "operators.meetstream.UnscheduleEventOperator",
    "operators.recurring.ExpandRecurringEventOperator",
    "operators.recurring.ScheduleRecurringEventOperator",
    "operators.calendar_sync.SyncCalendarBotsOperator",
    "operators.bots.CreateBotOperator",
    "operators.transcripts.FetchTranscriptOperator",
    "operators.harvest.HarvestMeetingsOperator",
    "sensors.meetstream.ListScheduledSensor",
    "sensors.bot_status.BotStatusSensor",
    "triggers.meetstream.ListScheduledTrigger",
    "triggers.bot_status.BotStatusTrigger",
    "triggers.transcripts.TranscriptReadyTrigger",
    "webhooks.verify_webhook",
)


@pytest.mark.parametrize("path", PUBLIC)
def test_a_public_class_is_defined_where_its_path_says(path: str) -> None:
    module_name, name = f"airflow_provider_meetstream.{path}".rsplit(".", 1)
    public = getattr(importlib.import_module(module_name), name)
    # Defined there, not re-exported: a trigger's stored class path rebuilds it after an upgrade.
    assert (public.__module__, public.__qualname__) == (module_name, name)


def test_the_trigger_a_sensor_defers_to_rebuilds_from_its_serialized_path() -> None:
    from airflow_provider_meetstream.sensors.bot_status import BotStatusSensor

    trigger = BotStatusSensor(task_id="wait", bot_ids=["b1"]).build_trigger()
    classpath, kwargs = trigger.serialize()
    module_name, name = classpath.rsplit(".", 1)
    rebuilt = getattr(importlib.import_module(module_name), name)(**kwargs)
    assert classpath == "airflow_provider_meetstream.triggers.bot_status.BotStatusTrigger"
    assert rebuilt.serialize() == (classpath, kwargs)


def test_the_event_trigger_is_public_on_airflow_3_and_names_the_version_it_needs_on_2() -> None:
    module = importlib.import_module("airflow_provider_meetstream.triggers.bot_finished")
    try:
        from airflow.triggers.base import BaseEventTrigger
    except ImportError:  # Airflow 2: the module imports; the class is not there, and says why
        with pytest.raises(ImportError, match=r"needs Airflow 3\.0 or later"):
            from airflow_provider_meetstream.triggers.bot_finished import BotFinishedTrigger  # noqa: F401
        return
    public = module.BotFinishedTrigger
    assert issubclass(public, BaseEventTrigger)
    assert (public.__module__, public.__qualname__) == (module.__name__, "BotFinishedTrigger")
