"""MeetStreamHook against requests-mock: the exact requests it sends and the errors it raises."""

from __future__ import annotations

import json
import logging
import re
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest
import requests
import requests_mock as rm
from airflow.providers.common.compat.sdk import AirflowFailException

from airflow_provider_meetstream import __version__
from airflow_provider_meetstream.exceptions import (
    MeetStreamAPIError,
    MeetStreamAuthError,
    MeetStreamConflictError,
    MeetStreamConnectionError,
    MeetStreamError,
    MeetStreamInputError,
    MeetStreamNotFoundError,
    MeetStreamRateLimitError,
    MeetStreamServerError,
)
from airflow_provider_meetstream.hooks import meetstream as hook_module
from airflow_provider_meetstream.hooks.config import MeetStreamAuth, normalize_base_url
from airflow_provider_meetstream.hooks.errors import parse_retry_after
from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook
from airflow_provider_meetstream.hooks.policy import RequestPolicy

API_KEY = "ms_live_key_4f9a2c7e1b"
BASE = "https://api.meetstream.test/api/v1"


def _connection(monkeypatch: pytest.MonkeyPatch, **fields: object) -> None:
    conn = {"conn_type": "meetstream", "host": BASE, "password": API_KEY, **fields}
    monkeypatch.setenv("AIRFLOW_CONN_MEETSTREAM_DEFAULT", json.dumps(conn))


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the retry waits instead of sleeping."""
    recorded: list[float] = []
    monkeypatch.setattr("airflow_provider_meetstream.hooks.policy.sleep", recorded.append)
    return recorded


@pytest.fixture
def hook(monkeypatch: pytest.MonkeyPatch, waits: list[float]) -> MeetStreamHook:
    _connection(monkeypatch)
    return MeetStreamHook()


SCHEDULED = {
    "scheduled": True,
    "bot_id": "bot_1",
    "schedule_id": "sch_1",
    "scheduled_time": "2027-01-04T13:57:00Z",
}


class TestRequests:
    def test_schedule_event_sends_exact_request(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.post(f"{BASE}/calendar/schedule/evt_1", json=SCHEDULED)
            answer = hook.schedule_event(
                "evt_1",
                deduplication_key="standup",
                occurrence_date=datetime(2027, 1, 4, 9, 0, tzinfo=timezone(timedelta(hours=-5))),
                occurrence_limit=3,
            )
        assert answer == SCHEDULED
        sent = mock.last_request
        assert sent.method == "POST"
        assert sent.url == f"{BASE}/calendar/schedule/evt_1"
        assert sent.headers["Authorization"] == f"Token {API_KEY}"
        assert sent.headers["User-Agent"] == f"airflow-provider-meetstream/{__version__}"
        assert sent.headers["Content-Type"] == "application/json"
        # Only the fields that are set, bot_config as {} when none is given, never null.
        assert sent.json() == {
            "deduplication_key": "standup",
            "bot_config": {},
            "occurrence_date": "2027-01-04T14:00:00Z",
            "occurrence_limit": 3,
        }
        assert sent.verify not in (False, None)  # TLS verification on (True, or the environment's CA bundle)

    def test_schedule_all_occurrences_flags(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.post(f"{BASE}/calendar/schedule/evt_1", json=SCHEDULED)
            hook.schedule_event(
                "evt_1",
                deduplication_key="k",
                bot_config={"bot_name": "Notes", "custom": {"x": 1}},
                schedule_all_occurrences=True,
                recurring_event=False,
            )
        assert mock.last_request.json() == {
            "deduplication_key": "k",
            "bot_config": {"bot_name": "Notes", "custom": {"x": 1}},
            "schedule_all_occurrences": True,
            "recurring_event": False,
        }

    @pytest.mark.parametrize(
        ("event_id", "segment"),
        [
            ("a/b", "a%2Fb"),
            ("what?x=1", "what%3Fx%3D1"),
            ("frag#1", "frag%231"),
            ("..", "%2E%2E"),
            (".", "%2E"),
            ("../admin", "..%2Fadmin"),
            ("with space", "with%20space"),
            ("réunion-日本", "r%C3%A9union-%E6%97%A5%E6%9C%AC"),
        ],
    )
    def test_ids_are_sent_as_one_segment(self, hook: MeetStreamHook, event_id: str, segment: str) -> None:
        with rm.Mocker() as mock:
            mock.post(rm.ANY, json=SCHEDULED)
            hook.schedule_event(event_id, deduplication_key="k")
        assert mock.last_request.path == f"/api/v1/calendar/schedule/{segment}".lower()
        assert mock.last_request.url == f"{BASE}/calendar/schedule/{segment}"

    def test_list_scheduled_bots(self, hook: MeetStreamHook) -> None:
        bots = [{"bot_id": "b1"}, {"bot_id": "b2"}]
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/calendar/scheduled", json={"scheduled_bots": bots})
            assert hook.list_scheduled_bots(limit=7) == bots
        assert mock.last_request.method == "GET"
        assert mock.last_request.qs == {"limit": ["7"]}

    def test_unschedule_sends_delete_with_json_body(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.delete(f"{BASE}/calendar/schedule/evt%2F1", json={"unscheduled": True})
            hook.unschedule_event("evt/1", cancel_all_occurrences=True, from_date="2027-01-01T00:00:00+01:00")
        assert mock.last_request.method == "DELETE"
        assert mock.last_request.json() == {
            "cancel_all_occurrences": True,
            "from_date": "2026-12-31T23:00:00Z",
        }

    def test_unschedule_without_options_sends_no_body(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.delete(f"{BASE}/calendar/schedule/evt_1", json={"unscheduled": True})
            hook.unschedule_event("evt_1")
        assert mock.last_request.body is None

    def test_update_delete_and_status(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.patch(
                f"{BASE}/calendar/scheduled/bot%201", json={"bot_id": "bot 1", "schedule_updated": True}
            )
            mock.delete(f"{BASE}/calendar/scheduled/bot%201", json={"bot_id": "bot 1"})
            mock.get(f"{BASE}/bots/bot%201/status", json={"bot_id": "bot 1", "status": "Scheduled"})
            hook.update_scheduled_bot(
                "bot 1", scheduled_join_time="2027-01-04T13:50:00Z", custom_attributes={"team": "data"}
            )
            assert mock.last_request.json() == {
                "scheduled_join_time": "2027-01-04T13:50:00Z",
                "custom_attributes": {"team": "data"},
            }
            assert hook.delete_scheduled_bot("bot 1") == {"bot_id": "bot 1"}
            assert mock.last_request.method == "DELETE"
            assert hook.get_bot_status("bot 1")["status"] == "Scheduled"
        assert [r.method for r in mock.request_history] == ["PATCH", "DELETE", "GET"]

    def test_timeouts_are_always_passed(self, monkeypatch: pytest.MonkeyPatch, waits: list[float]) -> None:
        _connection(monkeypatch, extra=json.dumps({"timeout": "7.5"}))
        hook = MeetStreamHook()
        with rm.Mocker() as mock:
            mock.get(rm.ANY, json={"scheduled_bots": [], "results": [], "bot_id": "b", "status": "Scheduled"})
            mock.post(rm.ANY, json=SCHEDULED)
            hook.list_scheduled_bots()
            hook.get_bot_status("b")
            hook.schedule_event("e", deduplication_key="k")
            list(hook.iter_events())
        assert len(mock.request_history) == 4
        assert {r.timeout for r in mock.request_history} == {(7.5, 7.5)}

    def test_default_timeouts(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.get(rm.ANY, json={"scheduled_bots": []})
            hook.list_scheduled_bots()
        assert mock.last_request.timeout == (10.0, 30.0)

    def test_one_pooled_session_per_hook(self, hook: MeetStreamHook) -> None:
        session = hook.get_conn()
        with rm.Mocker() as mock:
            mock.get(rm.ANY, json={"scheduled_bots": []})
            hook.list_scheduled_bots()
            hook.list_scheduled_bots()
        assert hook.get_conn() is session
        assert isinstance(session.auth, MeetStreamAuth)
        assert session.get_adapter(BASE)._pool_maxsize == 10
        assert MeetStreamHook(pool_maxsize=32).get_conn().get_adapter(BASE)._pool_maxsize == 32

    def test_environment_ca_bundle_and_proxy_are_honoured(
        self, hook: MeetStreamHook, monkeypatch: pytest.MonkeyPatch, tmp_path
    ) -> None:
        bundle = tmp_path / "corporate-ca.pem"
        bundle.write_text("")
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
        monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
        with rm.Mocker() as mock:
            mock.get(rm.ANY, json={"scheduled_bots": []})
            hook.list_scheduled_bots()
        assert mock.last_request.verify == str(bundle)
        assert mock.last_request.proxies.get("https") == "http://proxy.internal:3128"

    def test_environment_is_read_once_per_session(
        self, hook: MeetStreamHook, monkeypatch: pytest.MonkeyPatch, tmp_path
    ) -> None:
        bundle = tmp_path / "corporate-ca.pem"
        bundle.write_text("")
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
        reads: list[str] = []
        merge = requests.Session.merge_environment_settings

        def counted(session: requests.Session, url: str, *args: object) -> object:
            reads.append(url)
            return merge(session, url, *args)

        monkeypatch.setattr(requests.Session, "merge_environment_settings", counted)
        with rm.Mocker() as mock:
            mock.get(rm.ANY, json={"scheduled_bots": [], "status": "Scheduled"})
            hook.list_scheduled_bots()
            hook.get_bot_status("b1")
            assert reads == [BASE]
            assert mock.last_request.verify == str(bundle)
            hook.close()  # a new session reads the environment again
            hook.list_scheduled_bots()
        assert reads == [BASE, BASE]


class TestEvents:
    def test_iter_events_follows_cursor(self, hook: MeetStreamHook) -> None:
        pages = [
            {"results": [{"id": "e1"}, {"id": "e2"}], "next": "c2", "has_more": True},
            {
                "results": [{"id": "e3"}],
                "next": f"{BASE}/calendar/events?cursor=c3&limit=2",
                "has_more": True,
            },
            {"results": [{"id": "e4"}], "next": None, "has_more": False},
        ]
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/calendar/events", [{"json": page} for page in pages])
            events = hook.iter_events(
                time_min="2027-01-01T00:00:00Z", calendar_id="cal_1", sync=True, page_size=2
            )
            assert not mock.called  # a generator: nothing is sent until it is iterated
            assert [event["id"] for event in events] == ["e1", "e2", "e3", "e4"]
        cursors = [r.qs.get("cursor") for r in mock.request_history]
        assert cursors == [None, ["c2"], ["c3"]]
        first = mock.request_history[0].qs
        assert first == {
            "limit": ["2"],
            "time_min": ["2027-01-01t00:00:00z"],
            "calendar_id": ["cal_1"],
            "sync": ["true"],
        }

    def test_repeated_cursor_stops(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/calendar/events", json={"results": [{"id": "e"}], "next": "same"})
            with pytest.raises(MeetStreamError, match="cursor 'same' twice"):
                list(hook.iter_events())

    def test_next_url_without_cursor_is_an_error(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.get(
                f"{BASE}/calendar/events",
                json={"results": [{"id": "e"}], "next": f"{BASE}/calendar/events?page=2"},
            )
            with pytest.raises(MeetStreamError, match="carries no cursor"):
                list(hook.iter_events())

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


class TestErrors:
    @pytest.mark.parametrize(
        ("status", "error_type"),
        [
            (400, MeetStreamAPIError),
            (401, MeetStreamAuthError),
            (403, MeetStreamAuthError),
            (404, MeetStreamNotFoundError),
            (409, MeetStreamConflictError),
            (422, MeetStreamAPIError),
        ],
    )
    def test_client_errors_map_and_are_not_retried(
        self, hook: MeetStreamHook, waits: list[float], status: int, error_type: type[Exception]
    ) -> None:
        with rm.Mocker() as mock:
            mock.post(
                rm.ANY,
                status_code=status,
                json={"message": f"nope {status}", "bot_id": "bot_existing"},
                headers={"x-request-id": "req-42"},
            )
            with pytest.raises(error_type) as caught:
                hook.schedule_event("evt_1", deduplication_key="k")
        assert mock.call_count == 1
        assert waits == []
        error = caught.value
        assert type(error) is error_type
        assert error.status_code == status
        assert error.message == f"nope {status}"
        assert error.request_id == "req-42"
        assert "req-42" in str(error)
        assert "POST /calendar/schedule/evt_1" in str(error)
        # A refused key names the connection it came from, and fails the task without a retry.
        assert ("Airflow connection 'meetstream_default'" in str(error)) is (status in (401, 403))
        assert isinstance(error, AirflowFailException) is (status in (401, 403))

    def test_conflict_names_existing_bot(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.post(
                rm.ANY, status_code=409, json={"detail": "already scheduled", "existing_bot_id": "bot_9"}
            )
            with pytest.raises(MeetStreamConflictError) as caught:
                hook.schedule_event("evt_1", deduplication_key="k")
        assert caught.value.existing_bot_id == "bot_9"
        assert caught.value.message == "already scheduled"

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            ({"detail": "bad detail"}, "bad detail"),
            ({"error": "bad error"}, "bad error"),
            ({"errors": {"limit": ["too big"]}}, '{"limit": ["too big"]}'),
            (
                {"message": "invalid data", "errors": {"non_field_errors": ["Cannot schedule bot"]}},
                'invalid data {"non_field_errors": ["Cannot schedule bot"]}',
            ),
        ],
    )
    def test_message_is_read_from_each_field(self, hook: MeetStreamHook, body: dict, message: str) -> None:
        with rm.Mocker() as mock:
            mock.get(rm.ANY, status_code=400, json=body)
            with pytest.raises(MeetStreamAPIError) as caught:
                hook.list_scheduled_bots()
        assert caught.value.message == message

    def test_body_is_truncated(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.get(rm.ANY, status_code=400, text="<html>" + "x" * 5000)
            with pytest.raises(MeetStreamAPIError) as caught:
                hook.list_scheduled_bots()
        assert len(caught.value.body) == 1024
        assert len(str(caught.value)) < 400

    @pytest.mark.parametrize("status", [503, 429, 500, 502, 504, 408])
    def test_retryable_statuses_then_success(
        self, hook: MeetStreamHook, waits: list[float], status: int
    ) -> None:
        with rm.Mocker() as mock:
            mock.get(
                rm.ANY,
                [{"status_code": status, "json": {"message": "busy"}}] * 2
                + [{"json": {"scheduled_bots": [{"bot_id": "b"}]}}],
            )
            assert hook.list_scheduled_bots() == [{"bot_id": "b"}]
        assert mock.call_count == 3
        assert len(waits) == 2
        # Exponential backoff with up to 1 s of jitter: 1-2 s, then 2-3 s.
        assert 1.0 <= waits[0] <= 2.0
        assert 2.0 <= waits[1] <= 3.0

    def test_retry_after_seconds_is_honoured(self, hook: MeetStreamHook, waits: list[float]) -> None:
        with rm.Mocker() as mock:
            mock.post(
                rm.ANY,
                [
                    {"status_code": 429, "headers": {"Retry-After": "7"}, "json": {"message": "slow down"}},
                    {"json": SCHEDULED},
                ],
            )
            hook.schedule_event("evt_1", deduplication_key="k")
        # What the server asked for, plus up to a tenth of it so that workers do not retry in lockstep.
        assert len(waits) == 1
        assert 7.0 <= waits[0] <= 7.7

    def test_retry_after_http_date_is_honoured(self, hook: MeetStreamHook, waits: list[float]) -> None:
        when = format_datetime(datetime.now(timezone.utc) + timedelta(seconds=20), usegmt=True)
        with rm.Mocker() as mock:
            mock.get(
                rm.ANY,
                [{"status_code": 503, "headers": {"Retry-After": when}}, {"json": {"scheduled_bots": []}}],
            )
            hook.list_scheduled_bots()
        assert len(waits) == 1
        assert 17.0 <= waits[0] <= 21.0

    def test_retry_after_is_capped(self, hook: MeetStreamHook, waits: list[float]) -> None:
        with rm.Mocker() as mock:
            mock.get(
                rm.ANY,
                [{"status_code": 429, "headers": {"Retry-After": "3600"}}, {"json": {"scheduled_bots": []}}],
            )
            hook.list_scheduled_bots()
        assert len(waits) == 1
        assert 60.0 <= waits[0] <= 61.0

    def test_rate_limit_error_once_retries_are_spent(self, hook: MeetStreamHook, waits: list[float]) -> None:
        with rm.Mocker() as mock:
            mock.get(rm.ANY, status_code=429, headers={"Retry-After": "2"}, json={"message": "limited"})
            with pytest.raises(MeetStreamRateLimitError) as caught:
                hook.list_scheduled_bots()
        assert mock.call_count == 5
        assert len(waits) == 4
        assert all(2.0 <= wait <= 2.2 for wait in waits)
        assert caught.value.retry_after == 2.0
        assert caught.value.status_code == 429

    def test_server_error_once_retries_are_spent(
        self, monkeypatch: pytest.MonkeyPatch, waits: list[float]
    ) -> None:
        _connection(monkeypatch, extra=json.dumps({"max_retries": "3"}))
        with rm.Mocker() as mock:
            mock.get(rm.ANY, status_code=502, text="Bad Gateway")
            with pytest.raises(MeetStreamServerError, match="502"):
                MeetStreamHook().list_scheduled_bots()
        assert mock.call_count == 3

    def test_hook_argument_overrides_extra(self, monkeypatch: pytest.MonkeyPatch, waits: list[float]) -> None:
        _connection(monkeypatch, extra=json.dumps({"max_retries": "3"}))
        with rm.Mocker() as mock:
            mock.get(rm.ANY, status_code=503)
            with pytest.raises(MeetStreamServerError):
                MeetStreamHook(max_retries=1).list_scheduled_bots()
        assert mock.call_count == 1
        assert waits == []

    @pytest.mark.parametrize(
        "failure", [requests.ConnectionError, requests.ConnectTimeout, requests.ReadTimeout]
    )
    def test_transport_failures_are_retried_then_raised(
        self, hook: MeetStreamHook, waits: list[float], failure: type[Exception]
    ) -> None:
        with rm.Mocker() as mock:
            mock.get(rm.ANY, exc=failure)
            with pytest.raises(MeetStreamConnectionError, match="after 5 attempt"):
                hook.list_scheduled_bots()
        assert mock.call_count == 5
        assert len(waits) == 4

    def test_transport_failure_then_success(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.get(rm.ANY, [{"exc": requests.ConnectionError}, {"json": {"scheduled_bots": []}}])
            assert hook.list_scheduled_bots() == []
        assert mock.call_count == 2

    @pytest.mark.parametrize("status", [301, 302, 307])
    def test_redirects_are_errors_not_followed(
        self, hook: MeetStreamHook, waits: list[float], status: int
    ) -> None:
        with rm.Mocker() as mock:
            mock.get(rm.ANY, status_code=status, headers={"Location": "https://elsewhere.example/api"})
            with pytest.raises(MeetStreamAPIError) as caught:
                hook.list_scheduled_bots()
        assert mock.call_count == 1
        assert waits == []
        assert caught.value.status_code == status
        assert "elsewhere.example" in caught.value.message

    @pytest.mark.parametrize(
        "payload",
        [
            {},
            {"scheduled_bots": None},
            {"scheduled_bots": {"a": 1}},
            {"scheduled_bots": "abc"},
            {"scheduled_bots": ["b1"]},
        ],
    )
    def test_malformed_lists_are_errors(self, hook: MeetStreamHook, payload: dict) -> None:
        with rm.Mocker() as mock:
            mock.get(rm.ANY, json=payload)
            with pytest.raises(MeetStreamAPIError, match="'scheduled_bots' is not a list of objects"):
                hook.list_scheduled_bots()

    def test_malformed_event_page_is_an_error(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.get(rm.ANY, json={"results": None, "next": None})
            with pytest.raises(MeetStreamAPIError, match="'results'"):
                list(hook.iter_events())

    @pytest.mark.parametrize("answer", [{}, {"scheduled": True}])
    def test_schedule_answer_without_bot_is_an_error(self, hook: MeetStreamHook, answer: dict) -> None:
        with rm.Mocker() as mock:
            mock.post(rm.ANY, json=answer)
            with pytest.raises(MeetStreamAPIError, match="names no bot_id"):
                hook.schedule_event("e", deduplication_key="k")

    @pytest.mark.parametrize(
        "failure", [requests.exceptions.ChunkedEncodingError, requests.exceptions.ContentDecodingError]
    )
    def test_answers_cut_off_mid_body_are_retried(
        self, hook: MeetStreamHook, waits: list[float], failure
    ) -> None:
        with rm.Mocker() as mock:
            mock.get(rm.ANY, [{"exc": failure("connection broken")}, {"json": {"scheduled_bots": []}}])
            assert hook.list_scheduled_bots() == []
        assert mock.call_count == 2

    @pytest.mark.parametrize(
        "failure",
        [
            requests.exceptions.SSLError("certificate verify failed"),
            requests.exceptions.InvalidURL("bad url"),
            requests.exceptions.InvalidSchema("no adapter"),
        ],
    )
    def test_tls_and_url_failures_are_not_retried(
        self, hook: MeetStreamHook, waits: list[float], failure
    ) -> None:
        with rm.Mocker() as mock:
            mock.get(rm.ANY, exc=failure)
            with pytest.raises(MeetStreamConnectionError) as caught:
                hook.list_scheduled_bots()
        assert mock.call_count == 1
        assert waits == []
        assert type(failure).__name__ in str(caught.value)

    def test_final_error_keeps_no_transport_exception(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.get(rm.ANY, exc=requests.ConnectionError("refused"))
            with pytest.raises(MeetStreamConnectionError) as caught:
                hook.list_scheduled_bots()
        assert "ConnectionError: refused" in str(caught.value)
        chained, seen = caught.value, []
        while chained is not None:
            seen.append(chained)
            chained = chained.__cause__ or chained.__context__
        # A requests exception carries the request, and with it the Authorization header.
        assert not any(isinstance(error, requests.RequestException) for error in seen)

    def test_non_json_success_is_an_error(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.get(rm.ANY, text="<html>ok</html>")
            with pytest.raises(MeetStreamAPIError, match="not JSON"):
                hook.list_scheduled_bots()


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

    def test_key_is_registered_with_the_masker(
        self, monkeypatch: pytest.MonkeyPatch, hook: MeetStreamHook
    ) -> None:
        masked: list[object] = []
        monkeypatch.setattr(hook_module, "mask_secret", lambda secret, name=None: masked.append(secret))
        assert hook.config.api_key == API_KEY
        assert masked == [API_KEY]


class TestConnection:
    @pytest.mark.parametrize(
        ("host", "port", "expected"),
        [
            (None, None, "https://api.meetstream.ai/api/v1"),
            ("", None, "https://api.meetstream.ai/api/v1"),
            ("api.meetstream.ai", None, "https://api.meetstream.ai/api/v1"),
            ("https://api.meetstream.ai", None, "https://api.meetstream.ai/api/v1"),
            ("https://api.meetstream.ai/", None, "https://api.meetstream.ai/api/v1"),
            ("https://api.meetstream.ai/api/v1", None, "https://api.meetstream.ai/api/v1"),
            ("https://api.meetstream.ai/api/v1/", None, "https://api.meetstream.ai/api/v1"),
            ("api.meetstream.ai/api/v1", None, "https://api.meetstream.ai/api/v1"),
            ("http://127.0.0.1:8080", None, "http://127.0.0.1:8080/api/v1"),
            ("localhost", 9000, "https://localhost:9000/api/v1"),
            ("http://localhost:8000/api/v1", 9000, "http://localhost:8000/api/v1"),
        ],
    )
    def test_base_url_normalisation(self, host: str | None, port: int | None, expected: str) -> None:
        assert normalize_base_url(host, port) == expected

    def test_empty_key_names_the_connection(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("AIRFLOW_CONN_MS_NOKEY", json.dumps({"conn_type": "meetstream", "host": BASE}))
        with (
            rm.Mocker() as mock,
            pytest.raises(MeetStreamError, match="'ms_nokey' has no MeetStream API key"),
        ):
            MeetStreamHook("ms_nokey").list_scheduled_bots()
        assert not mock.called

    @pytest.mark.parametrize(
        ("extra", "match"),
        [
            ({"timeout": "soon"}, "extra timeout of connection 'meetstream_default'='soon'"),
            ({"timeout": "0"}, "at least 0.1"),
            ({"max_retries": "0"}, "extra max_retries of connection 'meetstream_default'=0"),
            ({"max_retries": "1000"}, "from 1 to 20"),
        ],
    )
    def test_bad_extras_are_named(self, monkeypatch: pytest.MonkeyPatch, extra: dict, match: str) -> None:
        _connection(monkeypatch, extra=json.dumps(extra))
        with pytest.raises(MeetStreamInputError, match=re.escape(match)):
            MeetStreamHook().config  # noqa: B018

    @pytest.mark.parametrize(
        ("kwargs", "argument"),
        [
            ({"timeout": 0}, "timeout"),
            ({"timeout": "abc"}, "timeout"),
            ({"timeout": True}, "timeout"),
            ({"max_retries": 0}, "max_retries"),
            ({"max_retries": -3}, "max_retries"),
            ({"max_retries": 21}, "max_retries"),
        ],
    )
    def test_bad_hook_arguments_are_named(self, kwargs: dict, argument: str) -> None:
        with pytest.raises(MeetStreamInputError) as caught:
            MeetStreamHook(**kwargs)
        assert caught.value.argument == argument

    def test_no_io_in_init(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("AIRFLOW_CONN_MEETSTREAM_DEFAULT", raising=False)
        hook = MeetStreamHook("does_not_exist", timeout=3, max_retries=2)
        assert hook.meetstream_conn_id == "does_not_exist"

    def test_test_connection(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/calendar/scheduled", json={"scheduled_bots": []})
            assert hook.test_connection() == (True, "Connected to MeetStream.")
            assert mock.last_request.qs == {"limit": ["1"]}
            mock.get(f"{BASE}/calendar/scheduled", status_code=401, json={"message": "Invalid token"})
            ok, message = hook.test_connection()
        assert not ok
        assert "401" in message
        assert "Invalid token" in message

    def test_form_behaviour_matches_provider_info(self) -> None:
        from airflow_provider_meetstream.get_provider_info import get_provider_info

        declared = get_provider_info()["connection-types"][0]["ui-field-behaviour"]
        behaviour = MeetStreamHook.get_ui_field_behaviour()
        assert behaviour["hidden_fields"] == declared["hidden-fields"] == ["schema", "port", "login"]
        assert behaviour["relabeling"] == {"password": "API key", "host": "API base URL"}
        assert behaviour["placeholders"]["host"] == "https://api.meetstream.ai"


class TestInputs:
    @pytest.mark.parametrize(
        ("call", "argument"),
        [
            (lambda h: h.schedule_event("", deduplication_key="k"), "event_id"),
            (lambda h: h.schedule_event("   ", deduplication_key="k"), "event_id"),
            (lambda h: h.schedule_event(None, deduplication_key="k"), "event_id"),
            (lambda h: h.schedule_event("e", deduplication_key=""), "deduplication_key"),
            (lambda h: h.schedule_event("e", deduplication_key="x" * 2001), "deduplication_key"),
            (lambda h: h.schedule_event("e", deduplication_key="tab\there"), "deduplication_key"),
            (lambda h: h.schedule_event("e", deduplication_key=42), "deduplication_key"),
            (lambda h: h.schedule_event("e", deduplication_key="k", bot_config=["x"]), "bot_config"),
            (
                lambda h: h.schedule_event("e", deduplication_key="k", bot_config={"at": datetime.now()}),
                "bot_config",
            ),
            (
                lambda h: h.schedule_event("e", deduplication_key="k", occurrence_date="2027-01-04T09:00:00"),
                "occurrence_date",
            ),
            (
                lambda h: h.schedule_event("e", deduplication_key="k", occurrence_date=datetime(2027, 1, 4)),
                "occurrence_date",
            ),
            (
                lambda h: h.schedule_event("e", deduplication_key="k", occurrence_date="next monday"),
                "occurrence_date",
            ),
            (lambda h: h.schedule_event("e", deduplication_key="k", occurrence_limit=0), "occurrence_limit"),
            (
                lambda h: h.schedule_event("e", deduplication_key="k", occurrence_limit=1001),
                "occurrence_limit",
            ),
            (
                lambda h: h.schedule_event("e", deduplication_key="k", occurrence_limit=True),
                "occurrence_limit",
            ),
            (
                lambda h: h.schedule_event("e", deduplication_key="k", occurrence_limit="5"),
                "occurrence_limit",
            ),
            (
                lambda h: h.schedule_event("e", deduplication_key="k", schedule_all_occurrences="yes"),
                "schedule_all_occurrences",
            ),
            (lambda h: h.schedule_event("e", deduplication_key="k", recurring_event=1), "recurring_event"),
            (lambda h: h.list_scheduled_bots(limit=0), "limit"),
            (lambda h: h.list_scheduled_bots(limit=101), "limit"),
            (lambda h: h.unschedule_event("e", cancel_all_occurrences="true"), "cancel_all_occurrences"),
            (lambda h: h.unschedule_event("e", from_date="yesterday"), "from_date"),
            (lambda h: h.update_scheduled_bot("b"), "scheduled_join_time/bot_username/custom_attributes"),
            (lambda h: h.update_scheduled_bot("b", custom_attributes="x"), "custom_attributes"),
            (lambda h: h.update_scheduled_bot("b", bot_username=""), "bot_username"),
            (lambda h: h.update_scheduled_bot("", bot_username="x"), "bot_id"),
            (lambda h: h.delete_scheduled_bot(""), "bot_id"),
            (lambda h: h.get_bot_status(""), "bot_id"),
            (lambda h: h.iter_events(page_size=500), "page_size"),
            (lambda h: h.iter_events(time_min="2027-01-01"), "time_min"),
            (lambda h: h.get_event(""), "event_id"),
        ],
    )
    def test_bad_input_is_refused_before_any_request(self, hook: MeetStreamHook, call, argument: str) -> None:
        with rm.Mocker() as mock:
            mock.register_uri(rm.ANY, rm.ANY, json={})
            with pytest.raises(MeetStreamInputError) as caught:
                call(hook)
        assert not mock.called
        assert caught.value.argument == argument
        assert f"Invalid {argument}=" in str(caught.value)
        assert isinstance(caught.value, ValueError)

    def test_input_error_fails_without_retry(self) -> None:
        from airflow.providers.common.compat.sdk import AirflowFailException

        assert issubclass(MeetStreamInputError, AirflowFailException)
        assert issubclass(MeetStreamInputError, MeetStreamError)


def test_parse_retry_after() -> None:
    now = datetime(2027, 1, 1, tzinfo=timezone.utc)
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after("0.5") == 0.5
    assert parse_retry_after("Fri, 01 Jan 2027 00:00:30 GMT", now=now) == 30.0
    assert parse_retry_after("Thu, 31 Dec 2026 23:00:00 GMT", now=now) == 0.0
    assert parse_retry_after("soon") is None
    assert parse_retry_after(None) is None


def test_backoff_grows_and_is_capped() -> None:
    policy = RequestPolicy(initial_wait=1.0, max_wait=10.0, jitter=0.0)
    assert [policy.wait_seconds(n, None) for n in (1, 2, 3, 4, 5)] == [1.0, 2.0, 4.0, 8.0, 10.0]
    assert policy.wait_seconds(1, 4.0) == 4.0
    assert policy.wait_seconds(1, 400.0) == 10.0


def test_errors_survive_pickling() -> None:
    import pickle

    error = MeetStreamConflictError("taken", existing_bot_id="b1", status_code=409, request_id="r", body="{}")
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.existing_bot_id, copy.status_code, copy.request_id, str(copy)) == (
        "b1",
        409,
        "r",
        str(error),
    )
    bad = pickle.loads(pickle.dumps(MeetStreamInputError("limit", 0, "must be from 1 to 100")))
    assert (bad.argument, str(bad)) == ("limit", "Invalid limit=0: must be from 1 to 100")


def test_errors_serialize_for_airflow() -> None:
    import importlib

    error = MeetStreamRateLimitError("slow", retry_after=3.0, status_code=429, method="GET", path="/x")
    path, args, kwargs = error.serialize()
    module, _, name = path.rpartition(".")
    copy = getattr(importlib.import_module(module), name)(*args, **kwargs)
    assert (type(copy), copy.retry_after, str(copy)) == (MeetStreamRateLimitError, 3.0, str(error))


def test_input_error_redacts_secrets_in_the_value() -> None:
    from airflow.providers.common.compat.sdk import mask_secret

    mask_secret("whsec_registered_0042")
    error = MeetStreamInputError(
        "bot_config", {"callback_url": "https://h/?sig=whsec_registered_0042", "api_token": "plain"}, "bad"
    )
    assert "whsec_registered_0042" not in str(error)
    assert "plain" not in str(error)
    assert "callback_url" in str(error)
