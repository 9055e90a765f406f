"""What the hook's layers hand each other: a request's URL, and a media link that never shows itself."""

from __future__ import annotations

import copy
import pickle

import pytest
from meetstream_fakes import BASE, MEDIA_HOST, MEDIA_SECRET, MEDIA_URL

from airflow_provider_meetstream.hooks.wire import ApiRequest, MediaLink


def test_a_request_url_carries_its_query() -> None:
    request = ApiRequest("GET", "/bots", params={"limit": 5, "cursor": "c 2"})
    assert request.url(BASE) == f"{BASE}/bots?limit=5&cursor=c+2"
    assert ApiRequest("GET", "/bots").url(BASE) == f"{BASE}/bots"


class TestMediaLink:
    LINK = MediaLink(MEDIA_URL, 3600, "wav")

    def test_its_fields(self) -> None:
        assert (self.LINK.url, self.LINK.expires_in, self.LINK.file_type) == (MEDIA_URL, 3600, "wav")
        assert self.LINK.host == MEDIA_HOST

    def test_repr_and_str_name_the_host_never_the_url(self) -> None:
        link = self.LINK
        shown = [repr(link), str(link), f"{link}", f"{[link]}", f"{ {'link': link} }"]
        assert shown[0] == f"MediaLink(file_type='wav', host='{MEDIA_HOST}', expires_in=3600)"
        for text in shown:
            assert MEDIA_HOST in text
            assert "X-Signature" not in text
            assert "rec-7f3a9c" not in text

    def test_it_is_frozen(self) -> None:
        with pytest.raises(AttributeError, match="frozen"):
            self.LINK.url = "https://elsewhere.test/"  # type: ignore[misc]
        with pytest.raises(AttributeError, match="frozen"):
            del self.LINK.file_type
        with pytest.raises(AttributeError):
            self.LINK.other = 1  # type: ignore[attr-defined]

    def test_it_is_never_pickled_or_copied(self) -> None:
        for keep in (pickle.dumps, copy.copy, copy.deepcopy):
            with pytest.raises(TypeError, match="fetch a new one"):
                keep(self.LINK)

    def test_airflow_refuses_to_serialise_it(self) -> None:
        # Returned from a task by mistake, it fails the XCom push instead of storing the link.
        try:
            from airflow.sdk.serde import serialize
        except ImportError:  # Airflow 2
            from airflow.serialization.serde import serialize
        with pytest.raises(TypeError):
            serialize(self.LINK)

    def test_its_secret_forms_are_the_url_and_what_http_libraries_log(self) -> None:
        assert self.LINK.secret_forms() == (MEDIA_URL, f"/{MEDIA_SECRET}")
        assert MediaLink("https://h.test/p", 1, "mp4").secret_forms() == ("https://h.test/p", "/p")
