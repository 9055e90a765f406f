"""
Every hour, schedule a bot for each meeting of the next 24 hours that should be recorded.

The batch pipeline data teams run:

1. ``list_upcoming`` lists the calendar's events of the next ``hours_ahead`` hours through the hook
   (following MeetStream's cursor), and turns a recurring series into its occurrences in the window.
2. ``pick_meetings`` keeps the ones to record: not deleted, with a meeting URL, and a title that
   matches the ``title_pattern`` param. Each gets the deduplication key Recall.ai recommends, built
   from the meeting's start and URL, so that the same meeting seen in two attendees' calendars, or
   by the next hourly run, shares one bot instead of getting a second one.
3. A mapped ``ScheduleEventOperator`` schedules each meeting, one task instance per meeting.
4. A deferrable ``ListScheduledSensor`` waits, in the triggerer rather than a worker slot, until
   MeetStream lists every bot.

To adapt it: set ``title_pattern`` (a Python regular expression, searched case-insensitively),
``hours_ahead``, and the ``bot_config`` of the mapped task.
"""

from __future__ import annotations

import pendulum
from airflow.providers.common.compat.sdk import DAG, Param, task

from airflow_provider_meetstream.operators.meetstream import ScheduleEventOperator
from airflow_provider_meetstream.sensors.meetstream import ListScheduledSensor

with DAG(
    dag_id="meetstream_batch_from_calendar",
    description="Hourly: schedule bots for the next 24 hours of meetings that match a title pattern.",
    schedule="@hourly",
    start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
    catchup=False,
    max_active_runs=1,
    params={
        "title_pattern": Param("sync|stand-up|review", type="string", description="Regex on the title"),
        "hours_ahead": Param(24, type="integer", minimum=1, maximum=24 * 28),
    },
    tags=["meetstream", "example", "batch"],
) as dag:

    @task
    def list_upcoming(params: dict | None = None) -> list[dict]:
        """The meetings starting in the window: single events, and each occurrence of a series."""
        from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook
        from airflow_provider_meetstream.recurrence import (
            expand_occurrences,
            format_occurrence,
            series_from_event,
        )

        now = pendulum.now("UTC")
        window_end = now.add(hours=int((params or {})["hours_ahead"]))
        meetings = []
        for event in MeetStreamHook().iter_events(time_min=now, time_max=window_end):
            raw = event.get("raw") or {}
            summary = {
                "event_id": event["id"],
                "title": raw.get("summary") or raw.get("subject") or "",
                "meeting_url": event.get("meeting_url"),
                "is_deleted": bool(event.get("is_deleted")),
            }
            if raw.get("recurrence"):
                series = series_from_event(event)
                starts = expand_occurrences(
                    series.recurrence,
                    series.start,
                    timezone=series.timezone,
                    window_start=now,
                    window_end=window_end,
                )
                meetings += [
                    {**summary, "start": format_occurrence(start), "occurrence": True} for start in starts
                ]
            elif now <= pendulum.parse(event["start_time"]) < window_end:
                meetings.append(
                    {
                        **summary,
                        "start": format_occurrence(pendulum.parse(event["start_time"])),
                        "occurrence": False,
                    }
                )
        return meetings

    @task
    def pick_meetings(meetings: list[dict], params: dict | None = None) -> list[dict]:
        """Keep the meetings to record, as keyword arguments of ScheduleEventOperator."""
        import re

        pattern = re.compile((params or {})["title_pattern"], re.IGNORECASE)
        return [
            {
                "event_id": meeting["event_id"],
                "occurrence_date": meeting["start"] if meeting["occurrence"] else None,
                # Recall.ai's recommended key: the same meeting always maps to the same bot.
                "deduplication_key": f"{meeting['start']}-{meeting['meeting_url']}",
            }
            for meeting in meetings
            if not meeting["is_deleted"] and meeting["meeting_url"] and pattern.search(meeting["title"])
        ]

    schedule_meeting = ScheduleEventOperator.partial(
        task_id="schedule_meeting",
        bot_config={"bot_name": "Airflow notetaker"},
        map_index_template="{{ task.event_id }} {{ task.occurrence_date or '' }}",
        retries=2,
    ).expand_kwargs(pick_meetings(list_upcoming()))

    @task
    def bot_ids_of(scheduled: list[dict]) -> list[str]:
        """The bot id of every scheduled meeting, for the sensor."""
        return sorted({answer["bot_id"] for answer in scheduled})

    ListScheduledSensor(
        task_id="wait_until_all_listed",
        bot_ids=bot_ids_of(schedule_meeting.output),
        deferrable=True,
        poke_interval=30,
        timeout=30 * 60,
    )
