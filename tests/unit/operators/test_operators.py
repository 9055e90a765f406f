"""ScheduleEventOperator and UnscheduleEventOperator: validation, templating and what they return."""

from __future__ import annotations

import pytest
import requests_mock as rm
from meetstream_fakes import API_KEY, BASE

from airflow_provider_meetstream.exceptions import (
    MeetStreamAPIError,
    MeetStreamConflictError,
    MeetStreamInputError,
    MeetStreamNotFoundError,
    MeetStreamOtherBotError,
)
from airflow_provider_meetstream.operators.meetstream import ScheduleEventOperator, UnscheduleEventOperator
from airflow_provider_meetstream.operators.recurring import (
    ExpandRecurringEventOperator,
    ScheduleRecurringEventOperator,
)

CONFLICT = {"message": "exists", "bot_id": "bot_old", "schedule_id": "sched_old"}
JOIN = {"scheduled_join_time": "2027-03-15T12:57:00+00:00"}
SCHEDULED = f"{BASE}/calendar/scheduled"
#: Nobody else's bot waits on the event: the look before scheduling finds the list empty.
NOBODY = {"scheduled_bots": []}

pytestmark = pytest.mark.usefixtures("default_connection")


class TestScheduleEventOperator:
    def test_execute_returns_the_answer(self) -> None:
        op = ScheduleEventOperator(
            task_id="t",
            event_id="evt/1",
            deduplication_key="k",
            bot_config={"bot_name": "N"},
            occurrence_date="2027-03-15T09:00:00-04:00",
        )
        answer = {
            "scheduled": True,
            "bot_id": "b1",
            "schedule_id": "s1",
            "scheduled_time": "2027-03-15T12:57:00Z",
        }
        with rm.Mocker() as mock:
            mock.get(SCHEDULED, json=NOBODY)
            mock.post(f"{BASE}/calendar/schedule/evt%2F1", json=answer)
            assert op.execute({}) == answer
        assert mock.last_request.json() == {
            "deduplication_key": "k",
            "bot_config": {"bot_name": "N"},
            "occurrence_date": "2027-03-15T13:00:00Z",
        }

    def test_series_flags_are_sent_only_when_set(self) -> None:
        op = ScheduleEventOperator(
            task_id="t",
            event_id="e",
            deduplication_key="k",
            schedule_all_occurrences=True,
            occurrence_limit=4,
        )
        with rm.Mocker() as mock:
            mock.get(SCHEDULED, json=NOBODY)
            mock.post(rm.ANY, json={"bot_id": "b"})
            op.execute({})
        assert mock.last_request.json() == {
            "deduplication_key": "k",
            "bot_config": {},
            "schedule_all_occurrences": True,
            "occurrence_limit": 4,
        }

    def test_conflict_naming_our_bot_succeeds(self) -> None:
        op = ScheduleEventOperator(task_id="t", event_id="e1", deduplication_key="k")
        status = {
            "bot_id": "bot_old",
            "status": "Scheduled",
            "deduplication_key": "k",
            "event_id": "e1",
            **JOIN,
        }
        with rm.Mocker() as mock:
            mock.get(SCHEDULED, json=NOBODY)
            mock.post(rm.ANY, status_code=409, json=CONFLICT)
            mock.get(f"{BASE}/bots/bot_old/status", json=status)
            result = op.execute({})
        assert result == {
            "scheduled": True,
            "already_scheduled": True,
            "bot_id": "bot_old",
            "schedule_id": "sched_old",
            "scheduled_time": JOIN["scheduled_join_time"],
            "event_id": "e1",
        }
        assert [r.method for r in mock.request_history] == ["GET", "POST", "GET"]

    def test_the_key_may_sit_in_custom_attributes(self) -> None:
        op = ScheduleEventOperator(task_id="t", event_id="e1", deduplication_key="k")
        status = {
            "bot_id": "bot_old",
            "status": "Joining",
            "custom_attributes": {"deduplication_key": "k", "event_id": "e1"},
        }
        with rm.Mocker() as mock:
            mock.get(SCHEDULED, json=NOBODY)
            mock.post(rm.ANY, status_code=409, json=CONFLICT)
            mock.get(f"{BASE}/bots/bot_old/status", json=status)
            assert op.execute({})["already_scheduled"] is True

    def test_conflict_naming_another_keys_bot_fails(self) -> None:
        op = ScheduleEventOperator(task_id="t", event_id="e1", deduplication_key="k")
        status = {"bot_id": "bot_old", "status": "Scheduled", "deduplication_key": "other-dag", **JOIN}
        with rm.Mocker() as mock:
            mock.get(SCHEDULED, json=NOBODY)
            mock.post(rm.ANY, status_code=409, json=CONFLICT)
            mock.get(f"{BASE}/bots/bot_old/status", json=status)
            with pytest.raises(MeetStreamOtherBotError, match="'other-dag'") as caught:
                op.execute({})
        assert (caught.value.bot_id, caught.value.deduplication_key) == ("bot_old", "other-dag")

    def test_an_unknown_status_falls_back_to_the_scheduled_list(self) -> None:
        op = ScheduleEventOperator(task_id="t", event_id="e1", deduplication_key="k")
        listed = {
            "bot_id": "bot_old",
            "custom_attributes": {"deduplication_key": "k", "event_id": "e1"},
            **JOIN,
        }
        with rm.Mocker() as mock:
            # The bot became visible only after the first look (it was scheduled in between).
            mock.get(SCHEDULED, [{"json": NOBODY}, {"json": {"scheduled_bots": [listed]}}])
            mock.post(rm.ANY, status_code=409, json=CONFLICT)
            mock.get(f"{BASE}/bots/bot_old/status", status_code=404, json={"message": "unknown"})
            result = op.execute({})
        assert (result["bot_id"], result["scheduled_time"]) == ("bot_old", JOIN["scheduled_join_time"])

    @pytest.mark.parametrize(
        "status",
        [
            {"bot_id": "bot_old", "status": "Scheduled"},
            {"bot_id": "bot_old", "status": "Scheduled", "deduplication_key": 7, "custom_attributes": "k"},
        ],
    )
    def test_a_key_that_cannot_be_read_is_not_ours_and_not_displaced(self, status: dict) -> None:
        op = ScheduleEventOperator(task_id="t", event_id="e1", deduplication_key="k")
        with rm.Mocker() as mock:
            mock.get(SCHEDULED, json={"scheduled_bots": [{"bot_id": "someone_else"}]})
            mock.post(rm.ANY, status_code=409, json=CONFLICT)
            mock.get(f"{BASE}/bots/bot_old/status", json=status)
            with pytest.raises(MeetStreamOtherBotError, match="an unreadable key") as caught:
                op.execute({})
        assert caught.value.bot_id == "bot_old"
        assert [r.method for r in mock.request_history].count("POST") == 1

    def test_another_api_keys_bot_is_another_owners(self) -> None:
        # Teams of one workspace may use keys of their own: a 403 on its status reads as that.
        op = ScheduleEventOperator(task_id="t", event_id="e1", deduplication_key="k", if_other_bot="skip")
        with rm.Mocker() as mock:
            mock.get(SCHEDULED, json=NOBODY)
            mock.post(rm.ANY, status_code=409, json=CONFLICT)
            mock.get(f"{BASE}/bots/bot_old/status", status_code=403, json={"detail": "Not yours."})
            result = op.execute({})
        assert (result["skipped"], result["bot_id"], result["deduplication_key"]) == (True, "bot_old", None)

    def test_conflict_fails_when_asked(self) -> None:
        op = ScheduleEventOperator(
            task_id="t", event_id="e1", deduplication_key="k", if_already_scheduled="fail"
        )
        with rm.Mocker() as mock:
            mock.get(SCHEDULED, json=NOBODY)
            mock.post(rm.ANY, status_code=409, json={"message": "exists", "bot_id": "bot_old"})
            mock.get(
                f"{BASE}/bots/bot_old/status",
                json={"status": "Scheduled", "deduplication_key": "k", "event_id": "e1"},
            )
            with pytest.raises(MeetStreamConflictError):
                op.execute({})

    def test_conflict_without_a_bot_id_fails(self) -> None:
        op = ScheduleEventOperator(task_id="t", event_id="e1", deduplication_key="k")
        with rm.Mocker() as mock:
            mock.get(SCHEDULED, json=NOBODY)
            mock.post(rm.ANY, status_code=409, json={"message": "exists"})
            with pytest.raises(MeetStreamConflictError):
                op.execute({})

    @pytest.mark.parametrize(
        ("kwargs", "argument"),
        [
            ({"event_id": ""}, "event_id"),
            ({"deduplication_key": "x" * 2001}, "deduplication_key"),
            ({"bot_config": "not a dict"}, "bot_config"),
            ({"occurrence_date": "2027-01-01T09:00:00"}, "occurrence_date"),
            ({"occurrence_limit": 0}, "occurrence_limit"),
            ({"if_already_scheduled": "ignore"}, "if_already_scheduled"),
            ({"if_other_bot": "ignore"}, "if_other_bot"),
            ({"schedule_all_occurrences": "yes"}, "schedule_all_occurrences"),
        ],
    )
    def test_literal_values_are_checked_at_construction(self, kwargs: dict, argument: str) -> None:
        arguments = {"task_id": "t", "event_id": "e", "deduplication_key": "k", **kwargs}
        with pytest.raises(MeetStreamInputError) as caught:
            ScheduleEventOperator(**arguments)
        assert caught.value.argument == argument

    def test_templated_values_are_checked_at_execute(self) -> None:
        op = ScheduleEventOperator(
            task_id="t", event_id="{{ params.e }}", deduplication_key="k", occurrence_limit="{{ params.n }}"
        )
        op.event_id, op.occurrence_limit = "e", "0"  # as rendered
        with rm.Mocker() as mock:
            with pytest.raises(MeetStreamInputError) as caught:
                op.execute({})
            assert not mock.called
        assert caught.value.argument == "occurrence_limit"

    def test_rendered_number_is_sent_as_int(self) -> None:
        op = ScheduleEventOperator(
            task_id="t", event_id="e", deduplication_key="k", occurrence_limit="{{ x }}"
        )
        op.occurrence_limit = "12"
        with rm.Mocker() as mock:
            mock.get(SCHEDULED, json=NOBODY)
            mock.post(rm.ANY, json={"bot_id": "b"})
            op.execute({})
        assert mock.last_request.json()["occurrence_limit"] == 12

    def test_template_fields(self) -> None:
        assert set(ScheduleEventOperator.template_fields) == {
            "event_id",
            "deduplication_key",
            "bot_config",
            "occurrence_date",
            "occurrence_limit",
            "meetstream_conn_id",
        }

    def test_keyword_only(self) -> None:
        from airflow.providers.common.compat.sdk import AirflowException

        # Airflow 3 raises TypeError, Airflow 2's apply_defaults an AirflowException.
        with pytest.raises((TypeError, AirflowException)):
            ScheduleEventOperator("t", "e", "k")  # type: ignore[misc]


class TestWhatANewcomerReadsFirst:
    def test_a_series_not_in_the_listing_says_what_was_searched_and_what_to_check(self) -> None:
        op = ScheduleRecurringEventOperator(task_id="b", event_id="evt_123", deduplication_key="k")
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/calendar/events", json={"results": [{"id": "evt_other"}], "next": None})
            with pytest.raises(MeetStreamNotFoundError) as caught:
                op.execute({})
        message = str(caught.value)
        assert message.startswith("Event 'evt_123' is not among the events MeetStream lists from ")
        assert "answered with 1 other event(s) but without it" in message
        assert "not Google's or Outlook's" in message
        assert "answered 404" not in message
        # A year and a month from now, then eleven years: both windows were listed.
        assert [r.qs["time_max"] != [] for r in mock.request_history] == [True, True]

    @pytest.mark.parametrize("status", [401, 403])
    def test_a_refused_key_names_the_connection_and_fails_without_retry(self, status: int) -> None:
        from airflow.providers.common.compat.sdk import AirflowFailException

        op = ScheduleEventOperator(task_id="t", event_id="e1", deduplication_key="k")
        with rm.Mocker() as mock:
            mock.get(SCHEDULED, status_code=status, json={"detail": "Invalid token."})
            with pytest.raises(AirflowFailException) as caught:
                op.execute({})
        assert "Invalid token." in str(caught.value)
        assert "Airflow connection 'meetstream_default'" in str(caught.value)
        assert API_KEY not in str(caught.value)
        assert mock.call_count == 1


class TestTemplatedText:
    def test_text_without_template_syntax_is_kept_as_given(self) -> None:
        import jinja2

        op = ScheduleEventOperator(task_id="t", event_id="e", deduplication_key="k")
        env = jinja2.Environment(autoescape=False)  # noqa: S701 - ids, not HTML
        assert op.render_template("\na%\r#..", {}, env) == "\na%\r#.."
        assert op.render_template("a\n", {}, env) == "a\n"
        assert op.render_template("{{ 1 + 1 }}", {}, env) == "2"

    def test_a_dags_own_delimiters_still_render(self) -> None:
        import jinja2

        op = ScheduleEventOperator(task_id="t", event_id="e", deduplication_key="k")
        env = jinja2.Environment(variable_start_string="[[", variable_end_string="]]", autoescape=False)  # noqa: S701
        assert op.render_template("evt_[[ 1 + 1 ]]", {}, env) == "evt_2"
        assert op.render_template("{{ kept }}", {}, env) == "{{ kept }}"


class TestCancelScheduledBot:
    """A cancel that finds its bot already gone is done: two overlapping syncs both succeed."""

    @pytest.mark.parametrize(
        ("delete", "status", "gone"),
        [
            ({"status_code": 404, "json": {"message": "Bot not found."}}, None, True),
            ({"status_code": 400, "json": {"message": "no"}}, {"status_code": 404, "json": {}}, True),
            ({"status_code": 400, "json": {"message": "no"}}, {"json": {"status": "Cancelled"}}, True),
            ({"status_code": 400, "json": {"message": "joined"}}, {"json": {"status": "InMeeting"}}, False),
        ],
        ids=["404", "400 then unknown", "400 then cancelled", "400 then in its meeting"],
    )
    def test_gone_is_done(self, delete: dict, status: dict | None, gone: bool) -> None:
        from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook
        from airflow_provider_meetstream.operators.scheduling import cancel_scheduled_bot

        with rm.Mocker() as mock, MeetStreamHook() as hook:
            mock.delete(f"{BASE}/calendar/scheduled/b1", **delete)
            if status is not None:
                mock.get(f"{BASE}/bots/b1/status", **status)
            if gone:
                assert cancel_scheduled_bot(hook, "b1") == {"bot_id": "b1", "already_gone": True}
            else:
                with pytest.raises(MeetStreamAPIError, match="joined"):
                    cancel_scheduled_bot(hook, "b1")


class TestUnscheduleEventOperator:
    def test_execute(self) -> None:
        op = UnscheduleEventOperator(task_id="t", event_id="e1", cancel_all_occurrences=True)
        with rm.Mocker() as mock:
            mock.delete(f"{BASE}/calendar/schedule/e1", json={"unscheduled": True, "schedules_cancelled": 3})
            assert op.execute({})["schedules_cancelled"] == 3
        assert mock.last_request.json() == {"cancel_all_occurrences": True}

    def test_missing_is_success_by_default(self) -> None:
        op = UnscheduleEventOperator(task_id="t", event_id="e1")
        with rm.Mocker() as mock:
            mock.delete(rm.ANY, status_code=404, json={"message": "Nothing scheduled"})
            assert op.execute({}) == {"unscheduled": False, "missing": True, "event_id": "e1"}

    def test_missing_fails_when_asked(self) -> None:
        op = UnscheduleEventOperator(task_id="t", event_id="e1", missing_ok=False)
        with rm.Mocker() as mock:
            mock.delete(rm.ANY, status_code=404, json={"message": "Nothing scheduled"})
            with pytest.raises(MeetStreamNotFoundError):
                op.execute({})

    def test_bad_from_date(self) -> None:
        with pytest.raises(MeetStreamInputError, match="from_date"):
            UnscheduleEventOperator(task_id="t", event_id="e1", from_date="tomorrow")

    def test_template_fields(self) -> None:
        assert set(UnscheduleEventOperator.template_fields) == {"event_id", "from_date", "meetstream_conn_id"}


class TestRecurringOperatorArguments:
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

    @pytest.mark.parametrize(
        ("kwargs", "argument"),
        [
            ({"mode": "both"}, "mode"),
            ({"max_concurrency": 0}, "max_concurrency"),
            ({"bot_config": []}, "bot_config"),
            ({"allow_partial_failure": "no"}, "allow_partial_failure"),
            ({"mode": "server", "window_end": "2027-01-01T00:00:00Z"}, "window_end"),
            ({"mode": "server", "recurrence": ["RRULE:FREQ=DAILY"]}, "recurrence"),
        ],
    )
    def test_bulk_checks_literals(self, kwargs: dict, argument: str) -> None:
        with pytest.raises(MeetStreamInputError) as caught:
            ScheduleRecurringEventOperator(
                **{"task_id": "t", "event_id": "e", "deduplication_key": "k", **kwargs}
            )
        assert caught.value.argument == argument

    def test_all_arguments_are_templated(self) -> None:
        assert set(ExpandRecurringEventOperator.template_fields) == {
            "event_id",
            "deduplication_key",
            "recurrence",
            "start",
            "timezone",
            "occurrence_limit",
            "window_start",
            "window_end",
            "meetstream_conn_id",
        }
        assert set(ScheduleRecurringEventOperator.template_fields) >= {"bot_config", "event_id", "recurrence"}


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


class TestServerMode:
    def test_an_answer_without_series_fields_is_an_error(self) -> None:
        op = ScheduleRecurringEventOperator(task_id="b", event_id="e", deduplication_key="k", mode="server")
        with rm.Mocker() as mock:
            mock.get(SCHEDULED, json=NOBODY)
            mock.post(rm.ANY, json={"scheduled": True, "bot_id": "b1", "schedule_id": "s1"})
            with pytest.raises(MeetStreamAPIError, match='use mode="client"'):
                op.execute({})

    def test_report_from_series_fields(self) -> None:
        op = ScheduleRecurringEventOperator(
            task_id="b", event_id="e", deduplication_key="k", mode="server", allow_partial_failure=True
        )
        answer = {
            "bot_id": "b1",
            "total_occurrences": 3,
            "schedules_created": [
                {
                    "occurrence_date": "2027-01-04T14:00:00Z",
                    "bot_id": "b1",
                    "schedule_id": "s1",
                    "scheduled_time": "t",
                }
            ],
            "failed_occurrences": [{"occurrence_date": "2027-01-11T14:00:00Z", "error": "ended"}, "odd item"],
        }
        with rm.Mocker() as mock:
            mock.get(SCHEDULED, json=NOBODY)
            mock.post(rm.ANY, json=answer)
            report = op.execute({})
        assert report == {
            "event_id": "e",
            "total_occurrences": 3,
            "occurrences_scheduled": 1,
            "occurrences_failed": 2,
            "occurrences_skipped": 0,
            "schedules_created": [
                {
                    "occurrence_date": "2027-01-04T14:00:00Z",
                    "bot_id": "b1",
                    "schedule_id": "s1",
                    "scheduled_time": "t",
                }
            ],
            "failed_occurrences": [
                {"occurrence_date": "2027-01-11T14:00:00Z", "error": "ended"},
                {"occurrence_date": "unknown", "error": "odd item"},
            ],
            "skipped_occurrences": [],
        }

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
            mock.get(SCHEDULED, json={"scheduled_bots": [theirs]})
            with pytest.raises(MeetStreamOtherBotError, match="b9"):
                op.execute({})
        assert [r.method for r in mock.request_history] == ["GET"]


def test_every_task_defaults_to_the_hooks_connection() -> None:
    from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook
    from airflow_provider_meetstream.operators.meetstream import UnscheduleEventOperator
    from airflow_provider_meetstream.operators.recurring import (
        ExpandRecurringEventOperator,
        ScheduleRecurringEventOperator,
    )
    from airflow_provider_meetstream.sensors.meetstream import ListScheduledSensor

    tasks = [
        ScheduleEventOperator(task_id="a", event_id="e", deduplication_key="k"),
        UnscheduleEventOperator(task_id="b", event_id="e"),
        ExpandRecurringEventOperator(task_id="c", event_id="e", deduplication_key="k"),
        ScheduleRecurringEventOperator(task_id="d", event_id="e", deduplication_key="k"),
        ListScheduledSensor(task_id="s"),
    ]
    assert {task.meetstream_conn_id for task in tasks} == {MeetStreamHook.default_conn_name}
    assert MeetStreamHook.default_conn_name == "meetstream_default"


def test_importing_operators_and_sensor_loads_no_hook() -> None:
    import subprocess
    import sys

    # Only the hook mixin, which imports the hook (and requests) when a task first uses it.
    code = (
        "import sys; import airflow_provider_meetstream.operators.meetstream, "
        "airflow_provider_meetstream.sensors.meetstream; "
        "print(sorted(name for name in sys.modules if name.startswith("
        "('airflow_provider_meetstream.hooks', 'airflow_provider_meetstream.triggers'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.strip().splitlines()[-1] == str(
        ["airflow_provider_meetstream.hooks", "airflow_provider_meetstream.hooks.mixin"]
    )


class TestHook:
    """Every task builds its hook once, from meetstream_conn_id and hook_params, and closes it after use."""

    def test_hook_params_reach_the_hook(self) -> None:
        op = ScheduleEventOperator(
            task_id="t", event_id="e", deduplication_key="k", hook_params={"timeout": 5, "max_retries": 2}
        )
        assert (op.hook.timeout, op.hook.max_retries, op.hook.pool_maxsize) == (5.0, 2, 10)
        assert op.hook is op.hook

    def test_an_unknown_hook_param_fails_at_parse_time(self) -> None:
        with pytest.raises(MeetStreamInputError) as caught:
            UnscheduleEventOperator(task_id="t", event_id="e", hook_params={"retries": 3})
        assert caught.value.argument == "hook_params"

    def test_the_pool_fits_the_threads_unless_told_otherwise(self) -> None:
        from airflow_provider_meetstream.operators.calendar_sync import SyncCalendarBotsOperator

        series = {"task_id": "b", "event_id": "e", "deduplication_key": "k"}
        assert ScheduleRecurringEventOperator(**series, max_concurrency=24).hook.pool_maxsize == 24
        assert ScheduleRecurringEventOperator(**series, max_concurrency=2).hook.pool_maxsize == 10
        given = ScheduleRecurringEventOperator(**series, max_concurrency=24, hook_params={"pool_maxsize": 50})
        assert given.hook.pool_maxsize == 50
        assert SyncCalendarBotsOperator(task_id="s", max_concurrency=4).hook.pool_maxsize == 4

    @pytest.mark.parametrize("status", [200, 500])
    def test_the_session_is_closed_after_execute(self, monkeypatch: pytest.MonkeyPatch, status: int) -> None:
        from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook

        closed: list[MeetStreamHook] = []
        close = MeetStreamHook.close
        monkeypatch.setattr(MeetStreamHook, "close", lambda hook: closed.append(hook) or close(hook))
        op = UnscheduleEventOperator(task_id="t", event_id="e", hook_params={"max_retries": 1})
        with rm.Mocker() as mock:
            mock.delete(f"{BASE}/calendar/schedule/e", status_code=status, json={"schedules_cancelled": 1})
            if status == 200:
                op.execute({})
            else:
                with pytest.raises(MeetStreamAPIError):
                    op.execute({})
        assert closed == [op.hook]
