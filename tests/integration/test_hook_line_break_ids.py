"""Ids holding line breaks go through the hook to the emulator's handler and back (issue 11, finding 12)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from airflow_provider_meetstream.exceptions import MeetStreamInputError, MeetStreamNotFoundError
from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook


@pytest.mark.parametrize("event_id", ["evt\nline", "evt\r\nline", "evt\tline\n"])
def test_an_event_id_with_a_line_break_is_scheduled_and_unscheduled(meetstream_conn_env, event_id) -> None:
    admin = meetstream_conn_env.admin
    start = admin.now().replace(microsecond=0) + timedelta(days=1)
    meeting = {
        "id": event_id,
        "start_time": start.isoformat(),
        "end_time": (start + timedelta(hours=1)).isoformat(),
        "meeting_url": "https://zoom.us/j/1",
    }
    admin.load_events([meeting], replace=False)

    with MeetStreamHook() as hook:
        created = hook.schedule_event(event_id, deduplication_key="line-break", bot_config={})
        assert created["event_id"] == event_id
        assert [(s["event_id"], s["bot_id"]) for s in admin.state()["schedules"]] == [
            (event_id, created["bot_id"])
        ]
        assert hook.get_bot_status(created["bot_id"])["status"] == "Scheduled"
        gone = hook.unschedule_event(event_id)

    assert (gone["unscheduled"], gone["cancelled_schedules"]) == (True, [created["schedule_id"]])
    assert admin.state()["schedules"] == []
    # One segment each, encoded on the wire: the line break never reached the request line.
    paths = [entry["path"] for entry in admin.requests()]
    encoded = event_id.replace("\r", "%0D").replace("\n", "%0A").replace("\t", "%09")
    assert paths.count(f"/api/v1/calendar/schedule/{encoded}") == 2


def test_an_unknown_bot_with_a_line_break_is_the_emulators_own_404(meetstream_conn_env) -> None:
    with MeetStreamHook() as hook, pytest.raises(MeetStreamNotFoundError) as caught:
        hook.get_bot_status("a\nb")
    assert caught.value.status_code == 404
    assert "Bot 'a\\nb' not found." in str(caught.value)


def test_other_control_characters_are_still_refused_before_any_request(meetstream_conn_env) -> None:
    with MeetStreamHook() as hook, pytest.raises(MeetStreamInputError, match="printable"):
        hook.get_bot_status("a\x00b")
    assert meetstream_conn_env.admin.requests() == []
