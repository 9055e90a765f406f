"""The recurring operators' series: its arguments checked, its event found, other owners' bots refused."""

from __future__ import annotations

import pytest
import requests_mock as rm
from meetstream_fakes import BASE, SCHEDULED_URL

from airflow_provider_meetstream.exceptions import (
    MeetStreamInputError,
    MeetStreamNotFoundError,
    MeetStreamOtherBotError,
)
from airflow_provider_meetstream.operators.recurring import (
    ExpandRecurringEventOperator,
    ScheduleRecurringEventOperator,
)

pytestmark = pytest.mark.usefixtures("default_connection")


class TestSeriesArguments:
    @pytest.mark.parametrize(
        ("kwargs", "argument"),
        [
            ({"occurrence_limit": 1001}, "occurrence_limit"),
            ({"start": "2027-01-01T09:00:00"}, "start"),
            ({"window_end": "soon"}, "window_end"),
            ({"event_id": ""}, "event_id"),
            ({"timezone": "Not/AZone"}, "timezone"),
            ({"recurrence": "RRULE:FREQ=DAILY"}, "recurrence"),
            ({"deduplication_key": "k" * 1980}, "deduplication_key"),  # no room for ":<occurrence>"
            ({"window_start": "2027-02-01T00:00:00Z", "window_end": "2027-01-01T00:00:00Z"}, "window_end"),
        ],
    )
    def test_expand_checks_literals(self, kwargs: dict, argument: str) -> None:
        with pytest.raises(MeetStreamInputError) as caught:
            ExpandRecurringEventOperator(
                **{"task_id": "t", "event_id": "e", "deduplication_key": "k", **kwargs}
            )
        assert caught.value.argument == argument


class TestRenderedSeriesArguments:
    @pytest.mark.parametrize(
        ("field", "rendered", "argument"),
        [
            ("occurrence_limit", "abc", "occurrence_limit"),
            ("timezone", "Not/AZone", "timezone"),
            ("start", "2027-01-04T09:00:00", "start"),
            ("window_start", "tomorrow", "window_start"),
            ("window_end", "2027-01-04", "window_end"),
            ("deduplication_key", "k" * 1990, "deduplication_key"),
        ],
    )
    def test_checked_before_any_request(self, field: str, rendered: str, argument: str) -> None:
        arguments = {"task_id": "x", "event_id": "e", "deduplication_key": "k", field: "{{ x }}"}
        op = ExpandRecurringEventOperator(**arguments)
        setattr(op, field, rendered)
        with rm.Mocker() as mock:
            mock.register_uri(rm.ANY, rm.ANY, json={"results": [], "next": None})
            with pytest.raises(MeetStreamInputError) as caught:
                op.execute({})
        assert caught.value.argument == argument
        assert not mock.called


class TestFindingTheSeries:
    def test_a_series_not_in_the_listing_says_what_was_searched_and_what_to_check(self) -> None:
        op = ScheduleRecurringEventOperator(task_id="b", event_id="evt_123", deduplication_key="k")
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/calendar/events", json={"results": [{"id": "evt_other"}], "next": None})
            # Listed while the series is looked up: neither read waits for the other.
            mock.get(f"{BASE}/calendar/scheduled", json={"scheduled_bots": []})
            with pytest.raises(MeetStreamNotFoundError) as caught:
                op.execute({})
        message = str(caught.value)
        assert message.startswith("Event 'evt_123' is not among the events MeetStream lists from ")
        assert "answered with 1 other event(s) but without it" in message
        assert "not Google's or Outlook's" in message
        assert "answered 404" not in message
        # A year and a month from now, then eleven years: both windows were listed.
        events = [r for r in mock.request_history if r.path.endswith("/calendar/events")]
        assert [r.qs["time_max"] != [] for r in events] == [True, True]


class TestAnotherOwnersBotOnTheSeries:
    """In server mode one request schedules the whole series: another owner's bot on it is refused first."""

    def test_a_bad_rendered_argument_is_refused_before_the_look_for_other_bots(self) -> None:
        op = ScheduleRecurringEventOperator(
            task_id="b", event_id="{{ params.e }}", deduplication_key="k", mode="server"
        )
        op.event_id = "bad\x00id"  # as rendered
        with rm.Mocker() as mock:
            with pytest.raises(MeetStreamInputError) as caught:
                op.execute({})
            assert not mock.called
        assert caught.value.argument == "event_id"

    def test_another_owners_bot_on_the_series_is_refused_before_anything_is_sent(self) -> None:
        op = ScheduleRecurringEventOperator(task_id="b", event_id="e", deduplication_key="k", mode="server")
        theirs = {"bot_id": "b9", "custom_attributes": {"event_id": "e", "deduplication_key": "sales|1"}}
        with rm.Mocker() as mock:
            mock.get(SCHEDULED_URL, json={"scheduled_bots": [theirs]})
            with pytest.raises(MeetStreamOtherBotError, match="b9"):
                op.execute({})
        assert [r.method for r in mock.request_history] == ["GET"]
