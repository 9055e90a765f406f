"""The endpoint table: each row's request on the wire, its argument checks, its answer's reading; paging."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any, ClassVar

import pytest
import requests_mock as rm
from meetstream_fakes import (
    API_KEY,
    AUDIO,
    BASE,
    CREATED,
    LINK,
    MEDIA_HOST,
    MEDIA_URL,
    SCHEDULED,
    SEGMENTS,
    bots_page,
)

from airflow_provider_meetstream import __version__
from airflow_provider_meetstream.exceptions import (
    MeetStreamAPIError,
    MeetStreamError,
    MeetStreamInputError,
    MeetStreamNotReadyError,
    MeetStreamServerError,
)
from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook
from airflow_provider_meetstream.hooks.wire import MediaLink


class TestCalendarRequests:
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


class TestCalendarAnswers:
    """An answer without what its row promises is an error, never an empty or half-read result."""

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

    @pytest.mark.parametrize("bot_id", [123, ["a"], True, "", None])
    def test_schedule_answer_ids_must_be_strings(self, hook: MeetStreamHook, bot_id: object) -> None:
        with rm.Mocker() as mock:
            mock.post(rm.ANY, json={"scheduled": True, "bot_id": bot_id, "schedule_id": "s1"})
            with pytest.raises(MeetStreamAPIError, match="bot_id"):
                hook.schedule_event("e", deduplication_key="k")
            # schedule_id is checked when the answer carries it.
            mock.post(rm.ANY, json={"scheduled": True, "bot_id": "b1", "schedule_id": bot_id})
            with pytest.raises(MeetStreamAPIError, match="schedule_id"):
                hook.schedule_event("e", deduplication_key="k")

    @pytest.mark.parametrize("bot_id", [123, ["a"], True, ""])
    def test_listed_bots_need_string_ids(self, hook: MeetStreamHook, bot_id: object) -> None:
        with rm.Mocker() as mock:
            mock.get(rm.ANY, json={"scheduled_bots": [{"bot_id": "b1"}, {"bot_id": bot_id}]})
            with pytest.raises(MeetStreamAPIError, match="bot_id"):
                hook.list_scheduled_bots()

    @pytest.mark.parametrize("status", [123, None, "", ["Done"]])
    def test_status_answer_needs_a_status(self, hook: MeetStreamHook, status: object) -> None:
        with rm.Mocker() as mock:
            mock.get(rm.ANY, json={"bot_id": "b1", "status": status})
            with pytest.raises(MeetStreamAPIError, match="status"):
                hook.get_bot_status("b1")


class TestPaging:
    """The events listing followed page by page, by its cursor, within a page cap."""

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

    def test_iter_events_stops_at_its_page_cap(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.get(
                rm.ANY,
                [{"json": {"results": [{"id": f"e{n}"}], "next": f"c{n}"}} for n in range(10)],
            )
            with pytest.raises(MeetStreamError, match="max_pages=3"):
                list(hook.iter_events(max_pages=3))
        assert mock.call_count == 3
        with pytest.raises(MeetStreamInputError, match="max_pages"):
            hook.iter_events(max_pages=0)


class TestWorkspaceBots:
    """``GET /bots``: one page as answered, or every bot by its cursor, bounded, stoppable."""

    def test_list_bots_sends_one_page_request(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/bots", json=bots_page("b2", "b1", cursor="c2"))
            assert hook.list_bots()["nextCursor"] == "c2"
            assert mock.last_request.qs == {"limit": ["50"]}
            hook.list_bots(page_size=7, cursor="c2")
            assert mock.last_request.qs == {"limit": ["7"], "cursor": ["c2"]}
        assert mock.last_request.headers["Authorization"] == f"Token {API_KEY}"

    def test_iter_bots_follows_the_cursor_to_the_last_page(self, hook: MeetStreamHook) -> None:
        pages = [bots_page("b5", "b4", cursor="c2"), bots_page("b3", "b2", cursor="c3"), bots_page("b1")]
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/bots", [{"json": page} for page in pages])
            bots = hook.iter_bots(page_size=2)
            assert not mock.called  # a generator: nothing is sent until it is iterated
            assert [bot["bot_id"] for bot in bots] == ["b5", "b4", "b3", "b2", "b1"]
        assert [r.qs for r in mock.request_history] == [
            {"limit": ["2"]},
            {"limit": ["2"], "cursor": ["c2"]},
            {"limit": ["2"], "cursor": ["c3"]},
        ]

    def test_iter_bots_asks_for_no_page_beyond_where_it_stops(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/bots", [{"json": bots_page("b9", "b8", cursor=f"c{n}")} for n in range(5)])
            for bot in hook.iter_bots():
                if bot["bot_id"] == "b8":
                    break
        assert mock.call_count == 1
        assert mock.last_request.qs == {"limit": ["100"]}

    def test_a_last_page_ends_the_listing_whatever_its_cursor(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/bots", json={**bots_page("b1"), "nextCursor": "stale"})
            assert [bot["bot_id"] for bot in hook.iter_bots()] == ["b1"]
        assert mock.call_count == 1

    def test_a_cursor_seen_twice_stops_the_listing(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/bots", json=bots_page("b1", cursor="same"))
            with pytest.raises(MeetStreamError, match="cursor 'same' twice"):
                list(hook.iter_bots())
        assert mock.call_count == 2

    def test_iter_bots_stops_at_its_page_cap(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/bots", [{"json": bots_page(f"b{n}", cursor=f"c{n}")} for n in range(10)])
            with pytest.raises(MeetStreamError, match=r"max_pages=3 .*newest come first"):
                list(hook.iter_bots(max_pages=3))
        assert mock.call_count == 3


class TestMeetingData:
    """Participants, speaker timeline, media links: each a row; 202 while MeetStream processes."""

    PEOPLE: ClassVar = [{"fullName": "Ada", "join_time": "2027-01-04T14:00:05Z", "leave_time": None}]
    TIMELINE: ClassVar = [{"speaker": "Ada", "start_time": 0.5, "end_time": 2.0}]

    @pytest.mark.parametrize("shape", ["list", "object"])
    def test_participants_and_timeline(self, hook: MeetStreamHook, shape: str) -> None:
        with rm.Mocker() as mock:
            people = self.PEOPLE if shape == "list" else {"participants": self.PEOPLE}
            timeline = self.TIMELINE if shape == "list" else {"timeline": self.TIMELINE}
            mock.get(f"{BASE}/bots/a%2Fb/get_participants", json=people)
            mock.get(f"{BASE}/bots/a%2Fb/get_speaker_timeline", json=timeline)
            assert hook.get_participants("a/b") == self.PEOPLE
            assert hook.get_speaker_timeline("a/b") == self.TIMELINE
        assert [r.path for r in mock.request_history] == [
            "/api/v1/bots/a%2fb/get_participants",
            "/api/v1/bots/a%2fb/get_speaker_timeline",
        ]

    @pytest.mark.parametrize(("method", "kind"), [("get_audio_url", "audio"), ("get_video_url", "video")])
    def test_media_links(self, hook: MeetStreamHook, method: str, kind: str) -> None:
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/bots/b1/get_{kind}", json={**AUDIO, "expires_in": 600.5})
            link = getattr(hook, method)("b1")
        assert isinstance(link, MediaLink)
        assert (link.url, link.expires_in, link.file_type, link.host) == (MEDIA_URL, 600.5, "wav", MEDIA_HOST)
        assert mock.last_request.method == "GET"

    @pytest.mark.parametrize(
        ("method", "path"),
        [
            ("get_participants", "get_participants"),
            ("get_speaker_timeline", "get_speaker_timeline"),
            ("get_audio_url", "get_audio"),
            ("get_video_url", "get_video"),
        ],
    )
    def test_202_is_not_ready_and_not_retried(self, hook: MeetStreamHook, method: str, path: str) -> None:
        with rm.Mocker() as mock:
            mock.get(
                f"{BASE}/bots/b1/{path}",
                status_code=202,
                json={"message": "Bot data is still processing"},
                headers={"Retry-After": "15"},
            )
            with pytest.raises(MeetStreamNotReadyError) as caught:
                getattr(hook, method)("b1")
        assert mock.call_count == 1
        assert (caught.value.status_code, caught.value.retry_after) == (202, 15.0)
        assert caught.value.path == f"/bots/b1/{path}"


class TestCreateBot:
    def test_sends_meeting_link_and_config_at_top_level(self, hook: MeetStreamHook) -> None:
        config = {
            "bot_name": "Notetaker",
            "bot_message": "Recording for the minutes",
            "join_at": datetime(2027, 3, 1, 10, 0, tzinfo=timezone(timedelta(hours=1))),
            "recording_config": {"transcript": {"provider": {"deepgram": {"model": "nova-3"}}}},
            "custom_attributes": {"source": "airflow"},
            "automatic_leave": {"everyone_left_timeout": 30},
            "future_field": [1, 2],
        }
        with rm.Mocker() as mock:
            mock.post(f"{BASE}/bots/create_bot", status_code=201, json=CREATED)
            answer = hook.create_bot(LINK, bot_config=config, idempotency_key="key-123")
        assert answer == CREATED
        sent = mock.last_request
        assert sent.headers["Idempotency-Key"] == "key-123"
        assert sent.headers["Authorization"] == f"Token {API_KEY}"
        assert sent.json() == {
            "meeting_link": LINK,
            "bot_name": "Notetaker",
            "bot_message": "Recording for the minutes",
            "join_at": "2027-03-01T09:00:00Z",
            "recording_config": {"transcript": {"provider": {"deepgram": {"model": "nova-3"}}}},
            "custom_attributes": {"source": "airflow"},
            "automatic_leave": {"everyone_left_timeout": 30},
            "future_field": [1, 2],
        }

    def test_a_replay_answering_507_is_the_original_bot(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.post(f"{BASE}/bots/create_bot", status_code=507, json=CREATED)
            assert hook.create_bot(LINK, idempotency_key="key-123") == CREATED
        assert mock.call_count == 1

    def test_retries_of_one_call_send_one_key(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.post(
                f"{BASE}/bots/create_bot",
                [{"status_code": 503, "json": {"message": "busy"}}, {"status_code": 507, "json": CREATED}],
            )
            assert hook.create_bot(LINK)["bot_id"] == "bot_9"
        keys = [request.headers["Idempotency-Key"] for request in mock.request_history]
        assert len(keys) == 2
        assert keys[0] == keys[1]
        assert uuid.UUID(keys[0]).version == 4

    def test_other_5xx_stay_errors(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.post(f"{BASE}/bots/create_bot", status_code=501, json={"message": "nope"})
            with pytest.raises(MeetStreamServerError, match="501"):
                hook.create_bot(LINK)

    def test_an_answer_without_bot_id_is_an_error(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.post(f"{BASE}/bots/create_bot", status_code=201, json={"status": "Joining"})
            with pytest.raises(MeetStreamAPIError, match="bot_id"):
                hook.create_bot(LINK)


class TestBotsAndTranscripts:
    @pytest.mark.parametrize(
        "answer",
        [
            {"bot_details": {"bot_id": "b1", "transcript_id": "tr_1", "status": "Done"}},
            {"bot_details": {"bot_id": "b1", "status": "Done"}, "transcript_id": "tr_1"},
            {
                "bot_details": {"bot_id": "b1", "transcript_id": None, "status": "Done"},
                "transcript_id": "tr_1",
            },
        ],
        ids=["nested", "top-level", "null-nested"],
    )
    def test_bot_detail_is_one_dict(self, hook: MeetStreamHook, answer: dict) -> None:
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/bots/b1/detail", json=answer)
            detail = hook.get_bot_detail("b1")
        assert detail == {"bot_id": "b1", "transcript_id": "tr_1", "status": "Done"}

    def test_list_transcriptions(self, hook: MeetStreamHook) -> None:
        listed = [{"transcript_id": "tr_1", "status": "completed"}]
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/bots/a%2Fb/transcriptions", json={"transcriptions": listed})
            assert hook.list_transcriptions("a/b") == listed
        assert mock.last_request.path == "/api/v1/bots/a%2fb/transcriptions"

    def test_a_missing_transcriptions_list_is_an_error_not_empty(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/bots/b1/transcriptions", json={"message": "ok"})
            with pytest.raises(MeetStreamAPIError, match="transcriptions"):
                hook.list_transcriptions("b1")

    @pytest.mark.parametrize("body", [SEGMENTS, {"message": SEGMENTS}], ids=["list", "message"])
    def test_transcript_in_either_shape(self, hook: MeetStreamHook, body: Any) -> None:
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/transcript/tr_1/get_transcript", json=body)
            assert hook.get_transcript("tr_1") == SEGMENTS
        assert mock.last_request.qs == {"raw": ["false"]}

    def test_raw_transcript(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/transcript/tr_1/get_transcript", json=SEGMENTS)
            hook.get_transcript("tr_1", raw=True)
        assert mock.last_request.qs == {"raw": ["true"]}

    def test_202_is_not_ready_and_not_retried(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.get(
                f"{BASE}/transcript/tr_1/get_transcript",
                status_code=202,
                json={"message": "processing"},
                headers={"Retry-After": "30", "x-request-id": "rq-1"},
            )
            with pytest.raises(MeetStreamNotReadyError) as caught:
                hook.get_transcript("tr_1")
        assert mock.call_count == 1
        assert caught.value.status_code == 202
        assert caught.value.retry_after == 30.0
        assert caught.value.request_id == "rq-1"

    @pytest.mark.parametrize("body", [[], {"message": []}], ids=["list", "message"])
    def test_an_empty_transcript_is_not_ready(self, hook: MeetStreamHook, body: Any) -> None:
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/transcript/tr_1/get_transcript", json=body)
            with pytest.raises(MeetStreamNotReadyError) as caught:
                hook.get_transcript("tr_1")
        assert caught.value.status_code == 200

    def test_a_transcript_that_is_not_segments_is_an_error(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/transcript/tr_1/get_transcript", json={"message": "Transcript not found"})
            with pytest.raises(MeetStreamAPIError, match="not a list of objects"):
                hook.get_transcript("tr_1")

    def test_remove_bot_is_a_get(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/bots/b1/remove_bot", json={"message": "Bot removed"})
            assert hook.remove_bot("b1") == {"message": "Bot removed"}
        assert mock.last_request.method == "GET"

    def test_a_listed_transcription_without_an_id_is_an_error(self, hook: MeetStreamHook) -> None:
        # An id-less entry cannot be fetched: the listing is refused, not passed on half usable.
        listed = [{"transcript_id": "tr_1", "status": "completed"}, {"status": "processing"}]
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/bots/b1/transcriptions", json={"transcriptions": listed})
            with pytest.raises(MeetStreamAPIError, match="transcript_id None is not a non-empty string"):
                hook.list_transcriptions("b1")


#: Bot and transcript calls that must be refused before any request: what is wrong, and the call.
REFUSED: list[tuple[str, Callable[[MeetStreamHook], Any]]] = [
    ("empty link", lambda hook: hook.create_bot("")),
    ("not a URL", lambda hook: hook.create_bot("meet.google.com/abc")),
    ("ftp link", lambda hook: hook.create_bot("ftp://meet.example.com/x")),
    ("no host", lambda hook: hook.create_bot("https:///path")),
    ("space in link", lambda hook: hook.create_bot("https://meet.example.com/a b")),
    ("long link", lambda hook: hook.create_bot("https://x.example/" + "a" * 3000)),
    ("link in config", lambda hook: hook.create_bot(LINK, bot_config={"meeting_link": LINK})),
    ("NaN config", lambda hook: hook.create_bot(LINK, bot_config={"x": float("nan")})),
    ("naive join_at", lambda hook: hook.create_bot(LINK, bot_config={"join_at": "2027-01-01T10:00:00"})),
    ("key too long", lambda hook: hook.create_bot(LINK, idempotency_key="k" * 256)),
    ("non-ASCII key", lambda hook: hook.create_bot(LINK, idempotency_key="clé")),
    ("key with newline", lambda hook: hook.create_bot(LINK, idempotency_key="a\nb")),
    ("key with leading space", lambda hook: hook.create_bot(LINK, idempotency_key=" key")),
    ("empty bot id", lambda hook: hook.get_bot_detail("")),
    ("control in bot id", lambda hook: hook.list_transcriptions("b\x001")),
    ("empty transcript id", lambda hook: hook.get_transcript(" ")),
    ("raw not a bool", lambda hook: hook.get_transcript("tr_1", raw="false")),  # type: ignore[arg-type]
    ("bot id not a string", lambda hook: hook.remove_bot(7)),  # type: ignore[arg-type]
]


class TestInputs:
    """Every argument is checked before a request is sent; a bad one is named."""

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
            (lambda h: h.list_bots(page_size=0), "page_size"),
            (lambda h: h.list_bots(page_size=101), "page_size"),
            (lambda h: h.list_bots(page_size="50"), "page_size"),
            (lambda h: h.list_bots(cursor=""), "cursor"),
            (lambda h: h.list_bots(cursor=7), "cursor"),
            (lambda h: h.iter_bots(page_size=500), "page_size"),
            (lambda h: h.iter_bots(page_size=True), "page_size"),
            (lambda h: h.iter_bots(max_pages=0), "max_pages"),
            (lambda h: h.get_participants(""), "bot_id"),
            (lambda h: h.get_speaker_timeline("\x00"), "bot_id"),
            (lambda h: h.get_audio_url(" "), "bot_id"),
            (lambda h: h.get_video_url(None), "bot_id"),
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

    @pytest.mark.parametrize(("name", "call"), REFUSED, ids=[name for name, _ in REFUSED])
    def test_inputs_are_refused_before_any_request(
        self, hook: MeetStreamHook, name: str, call: Callable[[MeetStreamHook], Any]
    ) -> None:
        with rm.Mocker() as mock:
            mock.register_uri(rm.ANY, rm.ANY, status_code=500)
            with pytest.raises(MeetStreamInputError):
                call(hook)
        assert mock.call_count == 0, name
