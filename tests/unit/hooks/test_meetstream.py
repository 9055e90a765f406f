"""MeetStreamHook's own methods: arguments checked first, get_event, its key kept secret, 409 holders."""

from __future__ import annotations

import logging

import pytest
import requests_mock as rm
from airflow.providers.common.compat.sdk import AirflowNotFoundException
from meetstream_fakes import API_KEY, BASE

from airflow_provider_meetstream.exceptions import (
    MeetStreamError,
    MeetStreamInputError,
    MeetStreamNotFoundError,
)
from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook


class TestHook:
    def test_bad_input_is_refused_before_the_connection_is_read(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        # A task given a bad argument fails on that argument, even where its connection is missing.
        monkeypatch.delenv("AIRFLOW_CONN_DOES_NOT_EXIST", raising=False)
        hook = MeetStreamHook("does_not_exist")
        with pytest.raises(MeetStreamInputError) as caught:
            hook.schedule_event("evt_1", deduplication_key="")
        assert caught.value.argument == "deduplication_key"
        with pytest.raises(AirflowNotFoundException, match="does_not_exist"):
            hook.list_scheduled_bots()


class TestGetEvent:
    def test_get_event_found_and_absent(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/calendar/events", json={"results": [{"id": "e1"}, {"id": "e2"}], "next": None})
            assert hook.get_event("e2") == {"id": "e2"}
            with pytest.raises(MeetStreamNotFoundError) as caught:
                hook.get_event("e9")
        # MeetStream answered 200: the provider says what it searched and what to check.
        assert str(caught.value).startswith(
            "Event 'e9' is not among the events MeetStream lists from now - 1 day to now + 28 days: "
            "GET /calendar/events answered with 2 other event(s) but without it. Check that 'e9' is "
            "MeetStream's event id"
        )
        assert "answered 404" not in str(caught.value)


class TestSecrets:
    def test_key_never_in_logs_errors_or_repr(
        self, hook: MeetStreamHook, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
    ) -> None:
        caplog.set_level(logging.DEBUG)
        errors: list[str] = []
        with rm.Mocker() as mock:
            # A server that echoes the key back must not leak it either.
            mock.get(rm.ANY, status_code=503, json={"message": f"bad token {API_KEY}"})
            mock.post(rm.ANY, status_code=401, json={"detail": f"Token {API_KEY} rejected"})
            for call in (hook.list_scheduled_bots, lambda: hook.schedule_event("e", deduplication_key="k")):
                with pytest.raises(MeetStreamError) as caught:
                    call()
                errors += [
                    str(caught.value),
                    repr(caught.value),
                    caught.value.body or "",
                    caught.value.message,
                ]
        output = capsys.readouterr()
        logged = caplog.text + output.out + output.err
        assert "retrying in" in logged  # the retry lines were captured, so the check below means something
        assert "bad token ***" in errors[0]
        for text in [logged, *errors, repr(hook), repr(hook.config), repr(hook.get_conn().auth)]:
            assert API_KEY not in text


class TestConflictHolder:
    """Who owns the bot a 409 named: its status first, the scheduled list when the status says no key."""

    STATUS = f"{BASE}/bots/b9/status"

    def test_the_status_names_the_key_event_and_occurrence(self, hook: MeetStreamHook) -> None:
        answer = {
            "bot_id": "b9",
            "status": "Scheduled",
            "custom_attributes": {"deduplication_key": "team-a", "event_id": "e1"},
            "occurrence_date": "2027-01-04T14:00:00Z",
        }
        with rm.Mocker() as mock:
            mock.get(self.STATUS, json=answer)
            holder = hook.conflict_holder("b9")
            assert mock.call_count == 1
        assert (holder.bot_id, holder.deduplication_key, holder.event_id) == ("b9", "team-a", "e1")
        assert holder.occurrence is not None
        assert holder.occurrence.isoformat() == "2027-01-04T14:00:00+00:00"

    @pytest.mark.parametrize("refusal", [404, 403])
    def test_an_unreadable_status_falls_back_to_the_scheduled_list(
        self, hook: MeetStreamHook, refusal: int
    ) -> None:
        listed = {"bot_id": "b9", "custom_attributes": {"deduplication_key": "team-b", "event_id": "e2"}}
        with rm.Mocker() as mock:
            mock.get(self.STATUS, status_code=refusal, json={"detail": "no"})
            mock.get(f"{BASE}/calendar/scheduled", json={"scheduled_bots": [{"bot_id": "b1"}, listed]})
            holder = hook.conflict_holder("b9")
        assert (holder.deduplication_key, holder.event_id, holder.scheduled) == ("team-b", "e2", True)

    def test_a_bot_nobody_describes_has_no_key_never_ours(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.get(self.STATUS, json={"bot_id": "b9", "status": "Joining"})
            mock.get(f"{BASE}/calendar/scheduled", json={"scheduled_bots": []})
            holder = hook.conflict_holder("b9")
        assert (holder.bot_id, holder.deduplication_key, holder.event_id, holder.occurrence) == (
            "b9",
            None,
            None,
            None,
        )
