"""The argument readers: one per kind (integer, seconds, datetime, bot ids), and what they refuse."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

import pytest

from airflow_provider_meetstream import validation
from airflow_provider_meetstream.exceptions import MeetStreamInputError


class TestInteger:
    @pytest.mark.parametrize(
        ("value", "rendered", "expected"), [(3, False, 3), ("3", True, 3), (" 12 ", True, 12)]
    )
    def test_reads(self, value: Any, rendered: bool, expected: int) -> None:
        assert validation.integer(value, "n", 1, 20, rendered=rendered) == expected

    @pytest.mark.parametrize(
        ("value", "rendered", "reason"),
        [
            (True, True, "must be an int from 1 to 20"),
            ("3", False, "must be an int from 1 to 20"),
            ("3.0", True, "must be an int from 1 to 20"),
            ("²", True, "must be an int from 1 to 20"),
            (0, False, "must be from 1 to 20"),
            ("21", True, "must be from 1 to 20"),
        ],
    )
    def test_refuses(self, value: Any, rendered: bool, reason: str) -> None:
        with pytest.raises(MeetStreamInputError) as caught:
            validation.integer(value, "n", 1, 20, rendered=rendered)
        assert (caught.value.argument, caught.value.reason) == ("n", reason)

    def test_occurrence_limit_reads_a_rendered_number_up_to_the_cap(self) -> None:
        assert validation.occurrence_limit("1000") == 1000
        with pytest.raises(MeetStreamInputError, match="occurrence_limit"):
            validation.occurrence_limit(1001)


class TestSeconds:
    def test_reads_numbers_rendered_numbers_and_durations(self) -> None:
        assert validation.seconds(5, "t", 0.1, 3600) == 5.0
        assert validation.seconds(" 2.5 ", "t", 0.1, 3600, rendered=True) == 2.5
        assert validation.seconds(timedelta(hours=1), "t", 0, 7200, durations=True) == 3600.0

    @pytest.mark.parametrize(
        ("value", "options", "reason"),
        [
            (0, {"above_low": True}, "must be a number of seconds, above 0 and at most 7 days"),
            ("60", {}, "must be a number of seconds, at least 0.1 and at most 7 days"),
            (True, {"rendered": True}, "must be a number of seconds, at least 0.1 and at most 7 days"),
            (float("nan"), {}, "must be a number of seconds, at least 0.1 and at most 7 days"),
            (10**400, {}, "must be a number of seconds, at least 0.1 and at most 7 days"),
            (timedelta(days=8), {"durations": True}, "must be a timedelta or a number of seconds, "),
        ],
    )
    def test_refuses(self, value: Any, options: dict[str, bool], reason: str) -> None:
        low = 0 if options.get("above_low") else 0.1
        with pytest.raises(MeetStreamInputError) as caught:
            validation.seconds(value, "t", low, 7 * 86400, **options)
        assert caught.value.argument == "t"
        assert caught.value.reason.startswith(reason)

    def test_the_hooks_timeout_message_reads_as_before(self) -> None:
        with pytest.raises(MeetStreamInputError) as caught:
            validation.seconds("0", "timeout", 0.1, 3600, rendered=True)
        assert caught.value.reason == "must be a number of seconds, at least 0.1 and at most 3600"


def test_aware_datetime_keeps_the_zone_and_iso_datetime_writes_utc() -> None:
    moment = validation.aware_datetime("2027-03-01T09:00:00+01:00", "start")
    assert moment.utcoffset() == timedelta(hours=1)
    assert validation.iso_datetime(moment, "start") == "2027-03-01T08:00:00Z"
    with pytest.raises(MeetStreamInputError, match="start"):
        validation.aware_datetime(datetime(2027, 3, 1), "start")  # naive
    assert validation.aware_datetime(datetime(2027, 3, 1, tzinfo=timezone.utc), "s").tzinfo is timezone.utc


class TestBotIds:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            (None, None),
            (" b1 ", ("b1",)),
            (("b1", "b2"), ("b1", "b2")),
            ({"bot_id": "b1", "status": "Joining"}, ("b1",)),
            ('["b1", {"bot_id": "b2"}]', ("b1", "b2")),
        ],
    )
    def test_reads(self, value: Any, expected: tuple[str, ...] | None) -> None:
        assert validation.bot_ids(value) == expected

    @pytest.mark.parametrize("value", ["['b1']", "{'bot_id': 'b1'}", "('b1',)"])
    def test_a_python_repr_is_refused_with_the_native_way(self, value: str) -> None:
        with pytest.raises(MeetStreamInputError) as caught:
            validation.bot_ids(value)
        assert caught.value.argument == "bot_ids"
        assert "schedule.output" in caught.value.reason
        assert "render_template_as_native_obj=True" in caught.value.reason

    @pytest.mark.parametrize("value", ["None", "", [], [3], ["a b"], ["ok", "bad\x01"]])
    def test_refuses_what_is_no_bot_id(self, value: Any) -> None:
        with pytest.raises(MeetStreamInputError) as caught:
            validation.bot_ids(value, "ids")
        assert caught.value.argument == "ids"
