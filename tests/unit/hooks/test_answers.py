"""Readers of the bots listing and the meeting's data: a malformed answer is an error, a link never shown."""

from __future__ import annotations

from typing import Any

import pytest
import requests_mock as rm
from meetstream_fakes import AUDIO, BASE, MEDIA_SECRET, MEDIA_URL, bots_page

from airflow_provider_meetstream.exceptions import MeetStreamAPIError
from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook


class TestBotsPage:
    @pytest.mark.parametrize(
        ("answer", "named"),
        [
            ({"hasNextPage": False, "nextCursor": None}, "'bots'"),
            ({"bots": None, "hasNextPage": False}, "'bots'"),
            ({"bots": ["b1"], "hasNextPage": False}, "'bots'"),
            ({"bots": [{"status": "Done"}], "hasNextPage": False}, "bot_id"),
            ({"bots": [{"bot_id": 7, "status": "Done"}], "hasNextPage": False}, "bot_id"),
            ({"bots": [{"bot_id": "b1", "status": ""}], "hasNextPage": False}, "status"),
            ({"bots": [{"bot_id": "b1"}], "hasNextPage": False}, "status"),
            ({"bots": [], "nextCursor": None}, "hasNextPage"),
            ({"bots": [], "hasNextPage": "false", "nextCursor": None}, "hasNextPage"),
            ({"bots": [], "hasNextPage": True, "nextCursor": None}, "nextCursor"),
            ({"bots": [], "hasNextPage": True, "nextCursor": ""}, "nextCursor"),
        ],
    )
    def test_a_malformed_page_is_an_error(self, hook: MeetStreamHook, answer: dict, named: str) -> None:
        # A page that cannot say whether more follow must not read as the last one.
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/bots", json=answer)
            with pytest.raises(MeetStreamAPIError, match=named) as caught:
                hook.list_bots()
            with pytest.raises(MeetStreamAPIError, match=named):
                list(hook.iter_bots())
        assert caught.value.status_code == 200
        assert caught.value.body  # an ordinary answer is kept on its error, for support

    def test_a_page_is_returned_as_answered(self, hook: MeetStreamHook) -> None:
        page = {**bots_page("b2", "b1", cursor="c2"), "extra": 1}
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/bots", json=page)
            assert hook.list_bots() == page


class TestMeetingData:
    @pytest.mark.parametrize("method", ["get_participants", "get_speaker_timeline"])
    @pytest.mark.parametrize("answer", [{"message": "ok"}, ["Ada"], [{"speaker": "Ada"}, 3], {}])
    def test_anything_but_a_list_of_objects_is_an_error(
        self, hook: MeetStreamHook, method: str, answer: Any
    ) -> None:
        with rm.Mocker() as mock:
            mock.get(rm.ANY, json=answer)
            with pytest.raises(MeetStreamAPIError, match="is not a list of objects"):
                getattr(hook, method)("b1")


#: Media answers each wrong in one field; the errors name the field, never the link.
MALFORMED_LINKS = [
    ({"expires_in": 3600, "file_type": "wav"}, "download_url"),
    ({**AUDIO, "download_url": f"ftp://media.test/{MEDIA_SECRET}"}, "download_url"),
    ({**AUDIO, "download_url": f"https:///{MEDIA_SECRET}"}, "download_url"),
    ({**AUDIO, "download_url": f"https://[::1/{MEDIA_SECRET}"}, "download_url"),
    ({**AUDIO, "download_url": ["https://media.test/x"]}, "download_url"),
    ({**AUDIO, "expires_in": "3600"}, "expires_in"),
    ({**AUDIO, "expires_in": True}, "expires_in"),
    ({**AUDIO, "expires_in": 0}, "expires_in"),
    ({**AUDIO, "expires_in": -5}, "expires_in"),
    ({**AUDIO, "expires_in": None}, "expires_in"),
    ({**AUDIO, "file_type": ""}, "file_type"),
    ({**AUDIO, "file_type": 4}, "file_type"),
]


class TestMediaLinks:
    @pytest.mark.parametrize("method", ["get_audio_url", "get_video_url"])
    @pytest.mark.parametrize(("answer", "named"), MALFORMED_LINKS)
    def test_a_malformed_link_answer_is_an_error_without_the_link(
        self, hook: MeetStreamHook, method: str, answer: dict, named: str
    ) -> None:
        with rm.Mocker() as mock:
            mock.get(rm.ANY, json=answer)
            with pytest.raises(MeetStreamAPIError, match=named) as caught:
                getattr(hook, method)("b1")
        assert_no_link(caught.value)

    @pytest.mark.parametrize(
        "body",
        [
            f'{{"download_url": "{MEDIA_URL}", "expires_in": 36',  # cut off
            f'[{{"download_url": "{MEDIA_URL}"}}]',  # a list, not an object
            f"<html>{MEDIA_URL}</html>",
        ],
        ids=["cut-off", "list", "html"],
    )
    def test_an_answer_that_is_not_a_json_object_keeps_no_body(self, hook: MeetStreamHook, body: str) -> None:
        with rm.Mocker() as mock:
            mock.get(rm.ANY, text=body)
            with pytest.raises(MeetStreamAPIError, match="the answer is not") as caught:
                hook.get_audio_url("b1")
        assert_no_link(caught.value)


def assert_no_link(error: MeetStreamAPIError) -> None:
    assert error.body is None
    assert error.status_code == 200
    for text in (str(error), repr(error), error.message, repr(error.serialize()), repr(error.__reduce__())):
        assert MEDIA_SECRET not in text
        assert "X-Signature" not in text
