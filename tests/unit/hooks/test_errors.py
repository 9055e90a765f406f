"""How answers become results or typed errors: status mapping, messages, Retry-After, the API key scrubbed."""

from __future__ import annotations

import json
import pickle
from collections.abc import Callable
from datetime import datetime, timezone
from urllib.parse import quote, quote_plus

import pytest
import requests_mock as rm
from airflow.providers.common.compat.sdk import AirflowFailException
from meetstream_fakes import KEY, encodings, leaks

from airflow_provider_meetstream.exceptions import (
    MeetStreamAPIError,
    MeetStreamAuthError,
    MeetStreamConflictError,
    MeetStreamError,
    MeetStreamInputError,
    MeetStreamNotFoundError,
    MeetStreamRateLimitError,
)
from airflow_provider_meetstream.hooks.errors import parse_retry_after, scrub, scrub_value
from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook


@pytest.fixture
def key_hook(connection: Callable[..., None], waits: list[float]) -> MeetStreamHook:
    """A hook whose API key is ``KEY``, trying each request once."""
    connection(password=KEY)
    return MeetStreamHook(max_retries=1)


class TestStatusMapping:
    """Each status becomes its typed error, carrying the message, the request id and the request."""

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

    def test_non_json_success_is_an_error(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.get(rm.ANY, text="<html>ok</html>")
            with pytest.raises(MeetStreamAPIError, match="not JSON"):
                hook.list_scheduled_bots()


class TestRetryAfter:
    """A Retry-After header read as seconds or an HTTP date; a nonsense one is no Retry-After (finding 10)."""

    def test_parse_retry_after(self) -> None:
        now = datetime(2027, 1, 1, tzinfo=timezone.utc)
        assert parse_retry_after("3") == 3.0
        assert parse_retry_after("0.5") == 0.5
        assert parse_retry_after("Fri, 01 Jan 2027 00:00:30 GMT", now=now) == 30.0
        assert parse_retry_after("Thu, 31 Dec 2026 23:00:00 GMT", now=now) == 0.0
        assert parse_retry_after("soon") is None
        assert parse_retry_after(None) is None

    @pytest.mark.parametrize("value", ["-5", "nan", "inf", "-inf", "soon", "1e400"])
    def test_nonsense_retry_after_is_absent(self, value: str) -> None:
        assert parse_retry_after(value) is None


class TestScrubRule:
    """Finding 4: every encoding of a long enough key is scrubbed; a short key leaves answers whole."""

    @pytest.mark.parametrize("name", list(encodings(KEY)))
    def test_every_encoding_of_a_long_key_is_scrubbed(self, name: str) -> None:
        form = encodings(KEY)[name]
        assert scrub(f"before {form} after", KEY) == "before *** after"
        assert scrub_value({"a": [f"x{form}y"], form: 1}, KEY) == {"a": ["x***y"], "***": 1}

    @pytest.mark.parametrize("short", ["K", "WEEK", "sevench"])
    def test_a_short_key_leaves_answers_intact(self, short: str) -> None:
        text = "RRULE:FREQ=WEEKLY;BYDAY=MO sevench"
        assert scrub(text, short) == text
        assert scrub_value({"recurrence": [text]}, short) == {"recurrence": [text]}

    def test_eight_characters_are_enough(self) -> None:
        assert scrub("a 8charkey b", "8charkey") == "a *** b"

    def test_a_short_key_leaves_the_answer_whole(self, connection: Callable[..., None]) -> None:
        connection(password="K")
        with rm.Mocker() as mock:
            mock.get(
                rm.ANY, json={"results": [{"id": "e1", "recurrence": ["RRULE:FREQ=WEEKLY"]}], "next": None}
            )
            (event,) = MeetStreamHook().iter_events()
        assert event["recurrence"] == ["RRULE:FREQ=WEEKLY"]


class TestScrubbedErrors:
    """Finding 4: no field of an error, nor its pickled or serialized form, carries the key."""

    def test_every_field_of_an_error_is_scrubbed(self, key_hook: MeetStreamHook) -> None:
        forms = encodings(KEY)
        body = json.dumps({"message": f"bad token {KEY}", "echo": list(forms.values())})
        with rm.Mocker() as mock:
            mock.get(
                rm.ANY,
                status_code=401,
                text=body.replace("/", "\\/"),
                headers={"x-request-id": f"req-{forms['quote_plus']}"},
            )
            with pytest.raises(MeetStreamAPIError) as caught:
                key_hook.list_scheduled_bots()
        error = caught.value
        assert error.status_code == 401
        fields = [
            str(error),
            repr(error),
            error.message,
            error.body or "",
            error.request_id or "",
            error.path or "",
        ]
        fields.append(pickle.dumps(error).decode("latin-1"))
        fields.append(str(pickle.loads(pickle.dumps(error))))
        fields.append(json.dumps(error.serialize()))
        assert error.request_id == "req-***"
        assert [leaks(text) for text in fields] == [[]] * len(fields)

    def test_the_redirect_location_is_scrubbed(self, key_hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.get(rm.ANY, status_code=302, headers={"Location": f"https://sso.example/?key={quote(KEY)}"})
            with pytest.raises(MeetStreamAPIError) as caught:
                key_hook.list_scheduled_bots()
        assert "sso.example" in caught.value.message
        assert leaks(str(caught.value)) == []

    def test_a_key_in_an_id_is_scrubbed_from_the_path(self, key_hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.get(rm.ANY, status_code=404, json={"detail": "no bot"})
            with pytest.raises(MeetStreamError) as caught:
                key_hook.get_bot_status(KEY)
        assert leaks(str(caught.value)) == []


class TestScrubbedAnswers:
    """Finding 4: the key is scrubbed inside every string of a decoded answer, keys included."""

    def test_the_decoded_answer_is_scrubbed_structurally(self, key_hook: MeetStreamHook) -> None:
        answer = {
            "bot_id": "b1",
            "status": "Scheduled",
            "echo": {"token": f"Token {KEY}", "list": [quote_plus(KEY)]},
        }
        with rm.Mocker() as mock:
            mock.get(rm.ANY, text=json.dumps(answer).replace("/", "\\/"))
            status = key_hook.get_bot_status("b1")
        assert status == {
            "bot_id": "b1",
            "status": "Scheduled",
            "echo": {"token": "Token ***", "list": ["***"]},
        }


class TestErrorObjects:
    """The typed errors themselves (exceptions.py): pickled, serialized for Airflow, values redacted."""

    def test_errors_survive_pickling(self) -> None:
        error = MeetStreamConflictError(
            "taken", existing_bot_id="b1", status_code=409, request_id="r", body="{}"
        )
        copy = pickle.loads(pickle.dumps(error))
        assert (copy.existing_bot_id, copy.status_code, copy.request_id, str(copy)) == (
            "b1",
            409,
            "r",
            str(error),
        )
        bad = pickle.loads(pickle.dumps(MeetStreamInputError("limit", 0, "must be from 1 to 100")))
        assert (bad.argument, str(bad)) == ("limit", "Invalid limit=0: must be from 1 to 100")

    def test_errors_serialize_for_airflow(self) -> None:
        import importlib

        error = MeetStreamRateLimitError("slow", retry_after=3.0, status_code=429, method="GET", path="/x")
        path, args, kwargs = error.serialize()
        module, _, name = path.rpartition(".")
        copy = getattr(importlib.import_module(module), name)(*args, **kwargs)
        assert (type(copy), copy.retry_after, str(copy)) == (MeetStreamRateLimitError, 3.0, str(error))

    def test_input_error_redacts_secrets_in_the_value(self) -> None:
        from airflow.providers.common.compat.sdk import mask_secret

        mask_secret("whsec_registered_0042")
        error = MeetStreamInputError(
            "bot_config",
            {"callback_url": "https://h/?sig=whsec_registered_0042", "api_token": "plain"},
            "bad",
        )
        assert "whsec_registered_0042" not in str(error)
        assert "plain" not in str(error)
        assert "callback_url" in str(error)
