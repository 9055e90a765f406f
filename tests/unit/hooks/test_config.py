"""A connection read into a client's settings: base URL, key, extras and arguments, plain HTTP, the form."""

from __future__ import annotations

import asyncio
import json
import re
from collections.abc import Callable

import pytest
import requests_mock as rm
from meetstream_fakes import BASE, FakeTime

from airflow_provider_meetstream.exceptions import (
    MeetStreamError,
    MeetStreamInputError,
    MeetStreamServerError,
)
from airflow_provider_meetstream.hooks.async_client import MeetStreamAsyncClient
from airflow_provider_meetstream.hooks.config import normalize_base_url
from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook


class TestBaseUrl:
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


class TestSettings:
    """The key, the extras and the client's own arguments: checked, named when wrong, arguments first."""

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
    def test_bad_extras_are_named(self, connection: Callable[..., None], extra: dict, match: str) -> None:
        connection(extra=json.dumps(extra))
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

    def test_hook_argument_overrides_extra(self, connection: Callable[..., None], waits: list[float]) -> None:
        connection(extra=json.dumps({"max_retries": "3"}))
        with rm.Mocker() as mock:
            mock.get(rm.ANY, status_code=503)
            with pytest.raises(MeetStreamServerError):
                MeetStreamHook(max_retries=1).list_scheduled_bots()
        assert mock.call_count == 1
        assert waits == []

    def test_deadline_is_read_from_the_connection_and_the_hook(
        self, connection: Callable[..., None], fake_time: FakeTime
    ) -> None:
        connection(extra=json.dumps({"deadline": "30"}))
        assert MeetStreamHook().config.deadline == 30.0
        assert MeetStreamHook(deadline=5).config.deadline == 5.0
        with rm.Mocker() as mock:
            mock.get(rm.ANY, status_code=503)
            with pytest.raises(MeetStreamError, match="deadline of 5 s"):
                MeetStreamHook(deadline=5).list_scheduled_bots()
        assert sum(fake_time.waits) <= 5.0

    @pytest.mark.parametrize("value", [0, -1, "x", True, 1e9])
    def test_bad_deadline_is_named(self, connection: Callable[..., None], value: object) -> None:
        connection(extra=json.dumps({"deadline": value}))
        with pytest.raises(MeetStreamInputError, match="deadline"):
            _ = MeetStreamHook().config
        with pytest.raises(MeetStreamInputError, match="deadline"):
            MeetStreamHook(deadline=value)  # type: ignore[arg-type]

    @pytest.mark.parametrize("size", [0, 257, 10**18, True, "10"])
    def test_pool_maxsize_is_bounded(self, size: object) -> None:
        with pytest.raises(MeetStreamInputError, match="pool_maxsize"):
            MeetStreamHook(pool_maxsize=size)  # type: ignore[arg-type]


class TestPlainHttp:
    """Finding 3: the API key goes over plain HTTP only to loopback, unless the connection allows it."""

    @pytest.mark.parametrize("host", ["http://api.meetstream.ai", "http://10.0.0.5:8080", "http://[fe80::1]"])
    def test_refused_off_loopback(self, connection: Callable[..., None], host: str) -> None:
        connection(host=host)
        with rm.Mocker() as mock, pytest.raises(MeetStreamError, match="allow_insecure_http"):
            MeetStreamHook().list_scheduled_bots()
        assert mock.call_count == 0

    @pytest.mark.parametrize(
        "host", ["http://127.0.0.1:8080", "http://127.8.9.10", "http://localhost:9000", "http://[::1]:80"]
    )
    def test_loopback_is_fine(self, connection: Callable[..., None], host: str) -> None:
        connection(host=host)
        assert MeetStreamHook().config.base_url.startswith("http://")

    @pytest.mark.parametrize("allowed", [True, "true", "True"])
    def test_the_extra_allows_it(self, connection: Callable[..., None], allowed: object) -> None:
        connection(host="http://gateway.internal", extra=json.dumps({"allow_insecure_http": allowed}))
        assert MeetStreamHook().config.base_url == "http://gateway.internal/api/v1"

    @pytest.mark.parametrize("allowed", [False, "false", "no", ""])
    def test_anything_else_does_not(self, connection: Callable[..., None], allowed: object) -> None:
        connection(host="http://gateway.internal", extra=json.dumps({"allow_insecure_http": allowed}))
        with pytest.raises(MeetStreamError, match="allow_insecure_http"):
            _ = MeetStreamHook().config

    def test_the_async_client_refuses_too(self, connection: Callable[..., None]) -> None:
        connection(host="http://api.meetstream.ai")
        with pytest.raises(MeetStreamError, match="allow_insecure_http"):
            asyncio.run(MeetStreamAsyncClient().get_config())

    def test_the_form_offers_the_extra(self) -> None:
        import importlib.util

        from airflow.providers_manager import ProvidersManager

        if importlib.util.find_spec("flask_appbuilder") is not None:
            # Airflow before 3.2 builds the connection form from the hook's widgets.
            from wtforms import BooleanField

            field = MeetStreamHook.get_connection_form_widgets()["allow_insecure_http"]
            assert field.field_class is BooleanField
            assert field.kwargs["default"] is False
        else:
            # Airflow 3.2+ builds it from the provider info's conn-fields, without importing the hook.
            widget = ProvidersManager().connection_form_widgets["extra__meetstream__allow_insecure_http"]
            assert widget.hook_class_name == "airflow_provider_meetstream.hooks.meetstream.MeetStreamHook"
            assert widget.field["schema"] == {"type": ["boolean", "null"], "title": "Allow plain HTTP"}
            assert "loopback" in widget.field["description"]
            assert widget.is_sensitive is False


class TestForm:
    def test_airflow_shows_the_standard_fields_relabelled(self) -> None:
        # What Airflow hands its connection form for the meetstream type, from whichever source the
        # running version reads: the provider info (3.2+) or the hook's get_ui_field_behaviour.
        from airflow.providers_manager import ProvidersManager

        behaviour = ProvidersManager().field_behaviours["meetstream"]
        assert behaviour["hidden_fields"] == ["schema", "port", "login"]
        assert behaviour["relabeling"] == {"password": "API key", "host": "API base URL"}
        assert behaviour["placeholders"]["host"] == "https://api.meetstream.ai"


@pytest.mark.parametrize("host", ["https://ada:s3cret@", "ada:s3cret@:8080"])
def test_a_host_that_names_no_host_is_refused_without_its_password(host: str) -> None:
    from airflow_provider_meetstream.hooks.config import normalize_base_url

    with pytest.raises(MeetStreamError, match="is not a URL") as caught:
        normalize_base_url(host)
    assert "s3cret" not in str(caught.value)
