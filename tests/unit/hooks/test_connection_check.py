"""The connection's Test button: what it called and learned, which check failed; the form's extras."""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable
from typing import Any

import pytest
import requests
import requests_mock as rm
from meetstream_fakes import API_KEY, BASE, NOBODY, SCHEDULED_URL, FakeTime, bot

from airflow_provider_meetstream.get_provider_info import CONN_FIELDS, UI_FIELD_BEHAVIOUR, get_provider_info
from airflow_provider_meetstream.hooks.config import build_config
from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook

ENDPOINT = f"GET {BASE}/calendar/scheduled"
CONN = "Connection 'meetstream_default'"


@pytest.fixture
def hook(connection: Callable[..., None], fake_time: FakeTime) -> MeetStreamHook:
    """The default connection's hook, on a clock that moves only by the retry policy's waits."""
    connection()
    return MeetStreamHook()


class TestSuccess:
    def test_it_names_the_endpoint_that_nothing_is_scheduled_and_the_round_trip(
        self, hook: MeetStreamHook
    ) -> None:
        with rm.Mocker() as mock:
            mock.get(SCHEDULED_URL, json=NOBODY)
            assert hook.test_connection() == (
                True,
                f"Connected to MeetStream: {ENDPOINT} answered in 0 ms; no bot is scheduled.",
            )
        assert mock.last_request.qs == {"limit": ["1"]}

    def test_a_listed_bot_means_at_least_one_the_listing_counts_no_further(
        self, hook: MeetStreamHook
    ) -> None:
        with rm.Mocker() as mock:
            mock.get(SCHEDULED_URL, json={"scheduled_bots": [bot("bot_1")]})
            assert hook.test_connection() == (
                True,
                f"Connected to MeetStream: {ENDPOINT} answered in 0 ms; at least one bot is scheduled.",
            )

    def test_a_password_in_the_host_field_is_never_shown(self, connection: Callable[..., None]) -> None:
        connection(host="https://ada:s3cret@api.meetstream.test")
        with rm.Mocker() as mock:
            mock.get("https://ada:s3cret@api.meetstream.test/api/v1/calendar/scheduled", json=NOBODY)
            ok, message = MeetStreamHook().test_connection()
        assert ok
        assert message.startswith(f"Connected to MeetStream: {ENDPOINT} answered in ")

    def test_the_round_trip_counts_the_retries(self, hook: MeetStreamHook, fake_time: FakeTime) -> None:
        with rm.Mocker() as mock:
            mock.get(SCHEDULED_URL, [{"status_code": 503, "headers": {"Retry-After": "2"}}, {"json": NOBODY}])
            ok, message = hook.test_connection()
        assert ok
        waited = round(sum(fake_time.waits) * 1000)
        assert 2000 <= waited <= 2200
        assert f"answered in {waited} ms;" in message


class TestFailure:
    @pytest.mark.parametrize(
        ("status", "body", "expected"),
        [
            (
                401,
                {"message": "Invalid token"},
                "was refused (401): Invalid token. Check the connection's password, the MeetStream API key.",
            ),
            (
                403,
                {"detail": "Invalid API key."},
                "was refused (403): Invalid API key. "
                "The API key is not valid, or may not list scheduled bots.",
            ),
            (
                404,
                {"message": "Not found."},
                "was not found (404): Not found. Check the connection's host, the API base URL.",
            ),
            (400, {"message": "Bad limit"}, "answered (400): Bad limit."),
        ],
    )
    def test_it_names_the_connection_the_check_and_what_came_back(
        self, hook: MeetStreamHook, status: int, body: dict[str, Any], expected: str
    ) -> None:
        with rm.Mocker() as mock:
            mock.get(SCHEDULED_URL, status_code=status, json=body)
            assert hook.test_connection() == (False, f"{CONN}: {ENDPOINT} {expected}")

    def test_meetstreams_request_id_comes_last_for_its_support(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.get(
                SCHEDULED_URL, status_code=400, json={"message": "Bad limit"}, headers={"x-request-id": "r-1"}
            )
            assert hook.test_connection() == (
                False,
                f"{CONN}: {ENDPOINT} answered (400): Bad limit. (MeetStream request id r-1)",
            )

    def test_a_person_waits_two_attempts_at_most_within_15_s(
        self, connection: Callable[..., None], fake_time: FakeTime
    ) -> None:
        # The tasks' own bounds (here 5 attempts and 120 s) would hold the Test button for minutes.
        connection(extra={"max_retries": 5, "deadline": 120})
        with rm.Mocker() as mock:
            mock.get(SCHEDULED_URL, status_code=503, headers={"Retry-After": "10"})
            ok, message = MeetStreamHook().test_connection()
        assert not ok
        assert mock.call_count == 2
        assert sum(fake_time.waits) <= 15
        assert message.startswith(f"{CONN}: {ENDPOINT} ")

    def test_no_answer_says_so(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.get(SCHEDULED_URL, exc=requests.ConnectionError("Connection refused"))
            ok, message = hook.test_connection()
        assert not ok
        assert message.startswith(
            f"{CONN}: {ENDPOINT} failed: MeetStream GET /calendar/scheduled got no answer"
        )
        assert "Connection refused" in message

    @pytest.mark.parametrize(
        ("fields", "why"),
        [
            ({"password": ""}, "has no MeetStream API key"),
            ({"host": "http://gateway.internal"}, "allow_insecure_http"),
        ],
    )
    def test_settings_that_cannot_work_fail_before_any_request(
        self, connection: Callable[..., None], fields: dict[str, str], why: str
    ) -> None:
        connection(**fields)
        with rm.Mocker() as mock:
            ok, message = MeetStreamHook().test_connection()
        assert not ok
        assert message.startswith(f"{CONN}: its settings were refused before any request: ")
        assert why in message
        assert mock.call_count == 0

    def test_the_key_never_shows_even_when_the_server_echoes_it(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.get(SCHEDULED_URL, status_code=401, json={"message": f"Token {API_KEY} is not valid"})
            ok, message = hook.test_connection()
        assert not ok
        assert API_KEY not in message
        assert "Token *** is not valid" in message


class TestForm:
    """The connection form carries every extra the hook reads, under the same names."""

    @staticmethod
    def extras_read() -> set[str]:
        class Recording(dict[str, Any]):
            def get(self, key: str, default: Any = None) -> Any:
                read.add(key)
                return super().get(key, default)

            def __getitem__(self, key: str) -> Any:
                read.add(key)
                return super().__getitem__(key)

        read: set[str] = set()

        class Conn:
            host, port, password = BASE, None, API_KEY

        build_config("meetstream_default", Conn(), Recording())
        return read

    def test_the_hook_reads_the_extras_the_form_offers(self) -> None:
        assert (
            self.extras_read()
            == set(CONN_FIELDS)
            == {"timeout", "max_retries", "deadline", "allow_insecure_http"}
        )

    def test_the_provider_info_declares_each_with_a_label_and_a_schema(self) -> None:
        (connection_type,) = get_provider_info()["connection-types"]
        fields = connection_type["conn-fields"]
        assert set(fields) == self.extras_read()
        assert all(field["label"] and field["schema"]["type"] for field in fields.values())

    def test_the_form_airflow_builds_has_each(self) -> None:
        from airflow.providers_manager import ProvidersManager

        if importlib.util.find_spec("flask_appbuilder") is not None:
            # Airflow before 3.2 builds its form from the hook's widgets.
            offered = set(MeetStreamHook.get_connection_form_widgets())
        else:
            # Airflow 3.2+ builds it from the provider info's conn-fields.
            widgets = ProvidersManager().connection_form_widgets
            offered = {
                name.removeprefix("extra__meetstream__")
                for name in widgets
                if name.startswith("extra__meetstream__")
            }
        assert offered == self.extras_read()

    def test_the_standard_fields_the_hook_needs_are_shown(self) -> None:
        # The host takes the whole URL, port included; the form hides the separate port field.
        assert {"host", "password"}.isdisjoint(UI_FIELD_BEHAVIOUR["hidden-fields"])
        assert set(UI_FIELD_BEHAVIOUR["relabeling"]) == {"host", "password"}

    def test_an_extra_from_the_form_reaches_the_hook(self, connection: Callable[..., None]) -> None:
        connection(extra=json.dumps({"timeout": "7", "max_retries": "2", "deadline": "60"}))
        config = MeetStreamHook().config
        assert (config.read_timeout, config.max_attempts, config.deadline) == (7.0, 2, 60.0)
