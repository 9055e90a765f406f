"""Ids reach MeetStream as given through Airflow's template rendering, and bad ones never leave."""

from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from airflow_provider_meetstream.exceptions import MeetStreamInputError
from airflow_provider_meetstream.operators.meetstream import ScheduleEventOperator
from airflow_provider_meetstream.sensors.meetstream import ListScheduledSensor

#: Characters that change meaning somewhere between Jinja, the URL and the server: line breaks
#: (Jinja rewrites them), "%" and "#" (the URL), dots (path segments), "/" and a space.
TRICKY = "\n\r%#./ ab"


def _rendered(task):
    """The task's templated fields as Airflow renders them before it runs the task."""
    task.render_template_fields(context={})
    return task


def _schedule_as_airflow_would(emulator, event_id: str) -> dict:
    start = emulator.admin.now().replace(microsecond=0) + timedelta(days=1)
    emulator.admin.load_events(
        [
            {
                "id": event_id,
                "start_time": start.isoformat(),
                "end_time": (start + timedelta(hours=1)).isoformat(),
                "meeting_url": "https://zoom.us/j/1",
            }
        ]
    )
    task = ScheduleEventOperator(task_id="t", event_id=event_id, deduplication_key="rendered")
    return _rendered(task).execute({})


@pytest.mark.parametrize("event_id", ["\na%\r#..", "a\n", "x\r\n#%", "%0A%2F"])
def test_an_id_reaches_meetstream_as_given_after_rendering(meetstream_conn_env, event_id: str) -> None:
    # Before: Jinja turned "\r" into "\n" and dropped a trailing line break, so another id was sent.
    answer = _schedule_as_airflow_would(meetstream_conn_env, event_id)
    assert answer["event_id"] == event_id
    assert [s["event_id"] for s in meetstream_conn_env.admin.state()["schedules"]] == [event_id]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(alphabet=TRICKY, min_size=1, max_size=8).filter(lambda text: text.strip()))
def test_any_mix_of_line_breaks_percent_and_hash_arrives_as_given(meetstream_conn_env, event_id) -> None:
    meetstream_conn_env.admin.reset()
    answer = _schedule_as_airflow_would(meetstream_conn_env, event_id)
    assert answer["event_id"] == event_id


def test_templates_still_render(meetstream_conn_env) -> None:
    task = ScheduleEventOperator(task_id="t", event_id="{{ 'evt' ~ '_x' }}", deduplication_key="k{{ 1 + 1 }}")
    _rendered(task)
    assert (task.event_id, task.deduplication_key) == ("evt_x", "k2")


@pytest.mark.parametrize(
    ("arguments", "argument"),
    [
        ({"bot_ids": ["good", "bad\x01"]}, "bot_ids"),
        ({"bot_ids": "\u0378"}, "bot_ids"),  # an unassigned code point
        ({"event_id": "evt\x07"}, "event_id"),
        ({"event_id": "\u0378"}, "event_id"),
        ({"deduplication_key": "key\x00"}, "deduplication_key"),
    ],
)
def test_the_sensor_refuses_a_bad_id_before_its_first_listing(
    meetstream_conn_env, arguments: dict, argument: str
) -> None:
    # As rendered from a template, so the check at construction did not see the value.
    templated = dict.fromkeys(arguments, "{{ params.value }}")
    sensor = ListScheduledSensor(task_id="wait", mode="poke", **templated)
    for name, value in arguments.items():
        setattr(sensor, name, value)
    with pytest.raises(MeetStreamInputError) as caught:
        sensor.poke({})
    assert caught.value.argument == argument
    assert meetstream_conn_env.admin.requests() == []
