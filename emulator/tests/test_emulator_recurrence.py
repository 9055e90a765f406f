"""Recurring events in the emulator: occurrence_date, whole series, unscheduling, listing, demo calendar."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from meetstream_emulator.server import EmulatorServer

NOW = datetime(2027, 1, 4, 12, 0, tzinfo=timezone.utc)  # a Monday
ENDED_MESSAGE = "Cannot schedule bot as calendar event has ended."

# Weekly on Mondays 09:00 New York from 2026-12-07; 2027-01-18 excluded; DST starts 2027-03-14.
GOOGLE_SERIES = {
    "id": "evt_standup",
    "start_time": "2026-12-07T14:00:00Z",
    "end_time": "2026-12-07T14:15:00Z",
    "meeting_url": "https://meet.google.com/abc-defg-hij",
    "raw": {
        "summary": "Stand-up",
        "start": {"dateTime": "2026-12-07T09:00:00-05:00", "timeZone": "America/New_York"},
        "end": {"dateTime": "2026-12-07T09:15:00-05:00", "timeZone": "America/New_York"},
        "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=MO", "EXDATE;TZID=America/New_York:20270118T090000"],
    },
}
# First Monday of each month, 10:00 Berlin (a Windows zone name, as Graph sends it), through 2027.
GRAPH_SERIES = {
    "id": "evt_review",
    "start_time": "2026-11-02T09:00:00Z",
    "end_time": "2026-11-02T10:00:00Z",
    "platform": "outlook_calendar",
    "meeting_url": "https://teams.microsoft.com/l/meetup-join/19%3ameeting",
    "raw": {
        "subject": "Monthly review",
        "start": {"dateTime": "2026-11-02T10:00:00.0000000", "timeZone": "W. Europe Standard Time"},
        "recurrence": {
            "pattern": {"type": "relativeMonthly", "interval": 1, "daysOfWeek": ["monday"], "index": "first"},
            "range": {
                "type": "endDate",
                "startDate": "2026-11-02",
                "endDate": "2027-12-31",
                "recurrenceTimeZone": "W. Europe Standard Time",
            },
        },
    },
}
STANDUP_FROM_NOW = [
    "2027-01-04T14:00:00+00:00",
    "2027-01-11T14:00:00+00:00",
    "2027-01-25T14:00:00+00:00",
    "2027-02-01T14:00:00+00:00",
    "2027-02-08T14:00:00+00:00",
    "2027-02-15T14:00:00+00:00",
    "2027-02-22T14:00:00+00:00",
    "2027-03-01T14:00:00+00:00",
    "2027-03-08T14:00:00+00:00",
    "2027-03-15T13:00:00+00:00",
]


@pytest.fixture
def emulator(meetstream_emulator: EmulatorServer) -> EmulatorServer:
    meetstream_emulator.admin.set_clock(NOW)
    meetstream_emulator.admin.load_events([GOOGLE_SERIES, GRAPH_SERIES])
    return meetstream_emulator


@pytest.fixture
def api(emulator: EmulatorServer) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Token {emulator.api_key}"}
    with httpx.Client(base_url=emulator.api_url, headers=headers, timeout=30) as http:
        yield http


def schedule(http: httpx.Client, event_id: str, key: str = "k1", **body: Any) -> httpx.Response:
    return http.post(
        f"/calendar/schedule/{event_id}", json={"deduplication_key": key, "bot_config": {}, **body}
    )


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    payload: dict[str, Any] = response.json()
    return payload


def unschedule(http: httpx.Client, event_id: str, **body: Any) -> httpx.Response:
    return http.request("DELETE", f"/calendar/schedule/{event_id}", json=body or None)


@pytest.mark.parametrize(
    ("occurrence", "expected", "join"),
    [
        ("2027-01-11T09:00:00-05:00", "2027-01-11T14:00:00+00:00", "2027-01-11T13:57:00+00:00"),
        ("2027-01-11T14:00:00Z", "2027-01-11T14:00:00+00:00", "2027-01-11T13:57:00+00:00"),
        ("2027-03-15T09:00:00-04:00", "2027-03-15T13:00:00+00:00", "2027-03-15T12:57:00+00:00"),
    ],
)
def test_google_occurrence_date_matches(api: httpx.Client, occurrence: str, expected: str, join: str) -> None:
    response = ok(schedule(api, "evt_standup", occurrence_date=occurrence))
    assert response["occurrence_date"] == expected
    assert response["is_recurring_occurrence"] is True
    assert response["scheduled_time"] == join
    assert response["schedule_group"] == "google_meet"


@pytest.mark.parametrize(
    "occurrence",
    [
        "2027-01-11T10:00:00-05:00",  # wrong hour
        "2027-01-12T14:00:00Z",  # a Tuesday
        "2027-01-18T14:00:00Z",  # the EXDATE
        "2027-03-15T14:00:00Z",  # 09:00 EST kept in UTC across DST: the classic bug
        "2026-11-30T14:00:00Z",  # before the series starts
        "2027-01-11T14:00:01Z",  # one second off
    ],
)
def test_google_occurrence_date_mismatch(api: httpx.Client, occurrence: str) -> None:
    response = schedule(api, "evt_standup", occurrence_date=occurrence)
    assert response.status_code == 400
    assert "is not an occurrence of 'evt_standup'" in response.json()["message"]


def test_ended_occurrence(api: httpx.Client) -> None:
    response = schedule(api, "evt_standup", occurrence_date="2026-12-28T14:00:00Z")
    assert response.status_code == 400
    assert response.json() == {"message": ENDED_MESSAGE}


@pytest.mark.parametrize(
    ("occurrence", "expected"),
    [
        ("2027-02-01T10:00:00+01:00", "2027-02-01T09:00:00+00:00"),
        ("2027-04-05T08:00:00Z", "2027-04-05T08:00:00+00:00"),
    ],
)
def test_graph_occurrence_date_matches(api: httpx.Client, occurrence: str, expected: str) -> None:
    response = ok(schedule(api, "evt_review", occurrence_date=occurrence))
    assert response["occurrence_date"] == expected
    assert response["schedule_group"] == "microsoft_teams"


@pytest.mark.parametrize(
    "occurrence", ["2027-02-08T09:00:00Z", "2027-04-05T09:00:00Z", "2028-01-03T09:00:00Z"]
)
def test_graph_occurrence_date_mismatch(api: httpx.Client, occurrence: str) -> None:
    response = schedule(api, "evt_review", occurrence_date=occurrence)
    assert response.status_code == 400
    assert "is not an occurrence" in response.json()["message"]


def test_join_at_is_checked_against_the_occurrences_end(api: httpx.Client) -> None:
    occurrence = {"occurrence_date": "2027-01-11T14:00:00Z"}
    late = schedule(api, "evt_standup", bot_config={"join_at": "2027-01-11T14:15:00Z"}, **occurrence)
    assert late.status_code == 400
    assert "before the meeting ends (2027-01-11T14:15:00+00:00)" in late.json()["message"]
    inside = ok(schedule(api, "evt_standup", bot_config={"join_at": "2027-01-11T14:10:00Z"}, **occurrence))
    assert inside["scheduled_time"] == "2027-01-11T14:10:00+00:00"


def test_each_occurrence_gets_its_own_schedule_and_bot(api: httpx.Client) -> None:
    first = ok(schedule(api, "evt_standup", "same-key", occurrence_date="2027-01-11T14:00:00Z"))
    second = ok(schedule(api, "evt_standup", "same-key", occurrence_date="2027-01-25T14:00:00Z"))
    again = ok(schedule(api, "evt_standup", "same-key", occurrence_date="2027-01-11T09:00:00-05:00"))
    assert first["bot_id"] != second["bot_id"]
    assert first["schedule_id"] != second["schedule_id"]
    assert (again["bot_id"], again["schedule_id"], again["updated_existing"]) == (
        first["bot_id"],
        first["schedule_id"],
        True,
    )
    assert again["existing_schedules"] == 2
    bots = ok(api.get("/calendar/scheduled"))["scheduled_bots"]
    assert [bot["custom_attributes"]["occurrence_date"] for bot in bots] == [
        "2027-01-11T14:00:00+00:00",
        "2027-01-25T14:00:00+00:00",
    ]


def test_plain_schedule_on_a_series_takes_the_next_occurrence(api: httpx.Client) -> None:
    standup = ok(schedule(api, "evt_standup"))
    assert standup["occurrence_date"] == "2027-01-04T14:00:00+00:00"
    # The review's January occurrence ended at 10:00Z today; February's is next.
    review = ok(schedule(api, "evt_review"))
    assert review["occurrence_date"] == "2027-02-01T09:00:00+00:00"
    assert review["scheduled_time"] == "2027-02-01T08:57:00+00:00"


def test_schedule_all_occurrences(api: httpx.Client, emulator: EmulatorServer) -> None:
    response = ok(schedule(api, "evt_standup", "series", schedule_all_occurrences=True, occurrence_limit=10))
    created = response["schedules_created"]
    assert [item["occurrence_date"] for item in created] == STANDUP_FROM_NOW
    assert created[-1]["scheduled_time"] == "2027-03-15T12:57:00+00:00"
    assert len({item["bot_id"] for item in created}) == 10
    assert len({item["schedule_id"] for item in created}) == 10
    assert response["master_event_id"] == "evt_standup"
    counts = (
        response["occurrences_scheduled"],
        response["occurrences_failed"],
        response["total_occurrences"],
    )
    assert counts == (10, 0, 10)
    assert response["failed_occurrences"] == []
    first = (response["schedule_id"], response["bot_id"], response["scheduled_time"])
    assert first == (created[0]["schedule_id"], created[0]["bot_id"], created[0]["scheduled_time"])
    assert response["occurrence_date"] == STANDUP_FROM_NOW[0]
    assert response["updated_existing"] is False

    rerun = ok(schedule(api, "evt_standup", "series", schedule_all_occurrences=True, occurrence_limit=10))
    assert [item["bot_id"] for item in rerun["schedules_created"]] == [item["bot_id"] for item in created]
    assert rerun["updated_existing"] is True
    assert rerun["existing_schedules"] == 10
    assert len(emulator.admin.state()["schedules"]) == 10


def test_occurrence_limit_defaults_to_52_and_caps_at_1000(api: httpx.Client) -> None:
    assert ok(schedule(api, "evt_standup", "a", schedule_all_occurrences=True))["total_occurrences"] == 52
    capped = ok(schedule(api, "evt_standup", "b", schedule_all_occurrences=True, occurrence_limit=5000))
    assert capped["total_occurrences"] == capped["occurrences_scheduled"] == 1000
    # The Graph series ends in 2027: February to December is all there is.
    review = ok(schedule(api, "evt_review", "c", schedule_all_occurrences=True))
    assert review["total_occurrences"] == 11


def test_occurrence_limit_1000_when_an_occurrence_ends_exactly_now(
    api: httpx.Client, emulator: EmulatorServer
) -> None:
    emulator.admin.set_clock("2027-01-04T14:15:00Z")  # today's stand-up has just ended
    response = ok(schedule(api, "evt_standup", schedule_all_occurrences=True, occurrence_limit=1000))
    assert response["total_occurrences"] == response["occurrences_scheduled"] == 1000
    assert response["occurrence_date"] == "2027-01-11T14:00:00+00:00"


def test_series_in_conflict_mode_409(api: httpx.Client, emulator: EmulatorServer) -> None:
    emulator.admin.set_config(conflict_mode="409")
    ok(schedule(api, "evt_standup", "s", schedule_all_occurrences=True, occurrence_limit=3))
    partial = ok(schedule(api, "evt_standup", "s", schedule_all_occurrences=True, occurrence_limit=5))
    assert (partial["occurrences_scheduled"], partial["occurrences_failed"]) == (2, 3)
    assert [item["occurrence_date"] for item in partial["failed_occurrences"]] == STANDUP_FROM_NOW[:3]
    assert all(item["error"] for item in partial["failed_occurrences"])
    refused = schedule(api, "evt_standup", "s", schedule_all_occurrences=True, occurrence_limit=5)
    assert refused.status_code == 409
    assert refused.json()["bot_id"]


def test_series_form_rejects_occurrence_date_and_join_at(api: httpx.Client) -> None:
    both = schedule(api, "evt_standup", schedule_all_occurrences=True, occurrence_date=STANDUP_FROM_NOW[1])
    assert both.status_code == 400
    join_at = api.post(
        "/calendar/schedule/evt_standup",
        json={
            "deduplication_key": "k",
            "bot_config": {"join_at": "2027-01-05T10:00:00Z"},
            "schedule_all_occurrences": True,
        },
    )
    assert join_at.status_code == 400


def test_unschedule_a_series(api: httpx.Client) -> None:
    created = ok(schedule(api, "evt_standup", "s", schedule_all_occurrences=True, occurrence_limit=6))
    ids = [item["schedule_id"] for item in created["schedules_created"]]

    next_one = ok(unschedule(api, "evt_standup"))
    assert next_one["cancelled_schedules"] == ids[:1]
    assert next_one["is_recurring_series"] is True
    assert next_one["bots_deleted"] == 1
    assert "master_event_id" not in next_one

    from_feb = ok(unschedule(api, "evt_standup", from_date="2027-02-01T00:00:00-05:00"))
    assert from_feb["cancelled_schedules"] == ids[3:]
    assert from_feb["from_date"] == "2027-02-01T05:00:00+00:00"
    assert (from_feb["master_event_id"], from_feb["occurrences_affected"]) == ("evt_standup", 3)

    rest = ok(unschedule(api, "evt_standup", cancel_all_occurrences=True))
    assert rest["cancelled_schedules"] == ids[1:3]
    assert rest["cancel_all_occurrences"] is True
    assert rest["schedules_cancelled"] == rest["bots_deleted"] == 2
    assert unschedule(api, "evt_standup", cancel_all_occurrences=True).status_code == 404
    assert ok(api.get("/calendar/scheduled"))["scheduled_bots"] == []


def test_unscheduling_leaves_ended_schedules_and_joined_bots_alone(
    api: httpx.Client, emulator: EmulatorServer
) -> None:
    created = ok(schedule(api, "evt_standup", "s", schedule_all_occurrences=True, occurrence_limit=4))
    ended, in_progress, *waiting = created["schedules_created"]
    emulator.admin.set_clock("2027-01-11T14:05:00Z")  # the first has ended, the second is running

    def status(item: dict[str, Any]) -> str:
        answer: str = ok(api.get(f"/bots/{item['bot_id']}/status"))["status"]
        return answer

    assert ok(unschedule(api, "evt_standup"))["cancelled_schedules"] == [in_progress["schedule_id"]]
    assert [status(ended), status(in_progress)] == ["Done", "InMeeting"]

    everything = ok(unschedule(api, "evt_standup", cancel_all_occurrences=True))
    assert everything["cancelled_schedules"] == [item["schedule_id"] for item in waiting]
    assert everything["bots_deleted"] == 2
    assert [status(item) for item in created["schedules_created"]] == [
        "Done",
        "InMeeting",
        "Cancelled",
        "Cancelled",
    ]
    assert unschedule(api, "evt_standup", from_date="2027-01-01T00:00:00Z").status_code == 404
    [kept] = emulator.admin.state()["schedules"]
    assert (kept["schedule_id"], kept["status"]) == (ended["schedule_id"], "Done")


def test_from_date_after_every_schedule_is_404(api: httpx.Client) -> None:
    ok(schedule(api, "evt_standup", occurrence_date=STANDUP_FROM_NOW[0]))
    assert unschedule(api, "evt_standup", from_date="2027-06-01T00:00:00Z").status_code == 404


@pytest.mark.parametrize(
    ("time_min", "time_max", "listed"),
    [
        ("2027-02-01T14:05:00Z", "2027-02-01T14:10:00Z", ["evt_standup"]),  # inside an occurrence
        ("2027-01-18T13:00:00Z", "2027-01-18T15:00:00Z", []),  # the excluded Monday
        ("2027-01-12T00:00:00Z", "2027-01-17T00:00:00Z", []),  # between occurrences
        ("2027-03-01T09:30:00Z", "2027-03-01T09:45:00Z", ["evt_review"]),
        # Masters sort by their first occurrence: the review series began before the stand-up.
        ("2027-03-01T00:00:00Z", "2027-03-02T00:00:00Z", ["evt_review", "evt_standup"]),
    ],
)
def test_series_masters_are_listed_when_an_occurrence_overlaps(
    api: httpx.Client, time_min: str, time_max: str, listed: list[str]
) -> None:
    page = ok(api.get("/calendar/events", params={"time_min": time_min, "time_max": time_max}))
    assert [item["id"] for item in page["results"]] == listed


def test_event_bots_of_a_series_name_their_occurrence(api: httpx.Client) -> None:
    ok(schedule(api, "evt_standup", occurrence_date=STANDUP_FROM_NOW[1]))
    page = ok(api.get("/calendar/events"))
    [standup] = [item for item in page["results"] if item["id"] == "evt_standup"]
    assert [bot["occurrence_date"] for bot in standup["bots"]] == [STANDUP_FROM_NOW[1]]
    assert standup["raw"] == GOOGLE_SERIES["raw"]


# -- the packaged demo calendar, resolved against the real clock ---------------------------------------


@pytest.fixture
def demo(meetstream_emulator: EmulatorServer) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Token {meetstream_emulator.api_key}"}
    with httpx.Client(base_url=meetstream_emulator.api_url, headers=headers, timeout=30) as http:
        yield http


def test_demo_standup_crosses_a_dst_change_and_skips_one_exdate(demo: httpx.Client) -> None:
    response = ok(schedule(demo, "evt_demo_standup_weekly", schedule_all_occurrences=True))
    starts = [datetime.fromisoformat(item["occurrence_date"]) for item in response["schedules_created"]]
    assert len(starts) >= 30
    new_york = ZoneInfo("America/New_York")
    local = [start.astimezone(new_york) for start in starts]
    assert {(moment.hour, moment.minute, moment.weekday()) for moment in local} == {(9, 0, 0)}
    assert {start.hour for start in starts} == {13, 14}
    gaps = [(later.date() - earlier.date()).days for earlier, later in itertools.pairwise(local)]
    assert sorted(set(gaps)) == [7, 14]
    assert gaps.count(14) == 1
    assert response["schedule_group"] == "google_meet"


def test_demo_calendar_events(demo: httpx.Client) -> None:
    page = ok(demo.get("/calendar/events", params={"time_min": "2000-01-01T00:00:00Z"}))
    by_id = {item["id"]: item for item in page["results"]}
    assert set(by_id) == {
        "evt_demo_zoom_sync",
        "evt_demo_standup_weekly",
        "evt_demo_teams_monthly_review",
        "evt_demo_data_sync",
        "evt_demo_data_daily",
        "evt_demo_data_review",
        "evt_demo_data_internal",
        "evt_demo_data_declined",
        "evt_demo_data_norecord",
        "evt_demo_focus_time",
        "evt_demo_sync_cancelled",
        "evt_demo_retro_ended",
    }
    assert by_id["evt_demo_sync_cancelled"]["is_deleted"] is True
    assert by_id["evt_demo_focus_time"]["meeting_url"] is None
    assert by_id["evt_demo_teams_monthly_review"]["platform"] == "outlook_calendar"
    assert by_id["evt_demo_teams_monthly_review"]["raw"]["subject"]
    assert by_id["evt_demo_standup_weekly"]["raw"]["summary"]
    assert ok(schedule(demo, "evt_demo_zoom_sync"))["schedule_group"] == "zoom"
    review = ok(schedule(demo, "evt_demo_teams_monthly_review"))
    berlin = datetime.fromisoformat(review["occurrence_date"]).astimezone(ZoneInfo("Europe/Berlin"))
    assert (berlin.weekday(), berlin.day <= 7, berlin.hour) == (0, True, 10)
    ended = schedule(demo, "evt_demo_retro_ended")
    assert ended.status_code == 400
    assert ended.json() == {"message": ENDED_MESSAGE}
