"""The hook's reports to Airflow's hook-lineage collector: one per successful call of a row with lineage."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from typing import Any

import pytest
import requests_mock as rm
from meetstream_fakes import (
    API_KEY,
    AUDIO,
    BASE,
    CREATED,
    LINK,
    NOBODY,
    SCHEDULED,
    SEGMENTS,
    bots_page,
    status,
)

from airflow_provider_meetstream.exceptions import MeetStreamNotFoundError, MeetStreamNotReadyError
from airflow_provider_meetstream.hooks import endpoints
from airflow_provider_meetstream.hooks.endpoints import Endpoint
from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook

COLLECTOR = "airflow.providers.common.compat.lineage.hook.get_hook_lineage_collector"
HOST = "meetstream://api.meetstream.test"


def collected(collector: Any) -> tuple[list[str], list[str]]:
    """The URIs collected, inputs then outputs, each with the hook as its context."""
    assets = collector.collected_assets
    assert {type(info.context).__name__ for info in [*assets.inputs, *assets.outputs]} <= {"MeetStreamHook"}
    return [info.asset.uri for info in assets.inputs], [info.asset.uri for info in assets.outputs]


#: (call, method, path, answer, reads, writes): a call of each row with lineage, and what it reports.
CASES: list[tuple[Callable[[MeetStreamHook], Any], str, str, Any, list[str], list[str]]] = [
    (
        lambda h: h.get_bot_status("bot_1"),
        "GET",
        "/bots/bot_1/status",
        status("bot_1", "Done"),
        ["bots/bot_1"],
        [],
    ),
    (
        lambda h: h.get_bot_detail("bot_1"),
        "GET",
        "/bots/bot_1/detail",
        {"bot_details": {"bot_id": "bot_1"}},
        ["bots/bot_1"],
        [],
    ),
    (
        lambda h: h.list_transcriptions("bot_1"),
        "GET",
        "/bots/bot_1/transcriptions",
        {"transcriptions": [{"transcript_id": "tr_1", "status": "completed"}]},
        ["bots/bot_1"],
        [],
    ),
    # A transcript is read by its own id; naming its bot would cost another request.
    (
        lambda h: h.get_transcript("tr_1"),
        "GET",
        "/transcript/tr_1/get_transcript",
        SEGMENTS,
        ["transcripts/tr_1"],
        [],
    ),
    (
        lambda h: h.get_participants("bot_1"),
        "GET",
        "/bots/bot_1/get_participants",
        [{"fullName": "Ada"}],
        ["bots/bot_1"],
        [],
    ),
    (
        lambda h: h.get_speaker_timeline("bot_1"),
        "GET",
        "/bots/bot_1/get_speaker_timeline",
        [{"speaker": "Ada", "start_time": 0, "end_time": 1}],
        ["bots/bot_1"],
        [],
    ),
    (lambda h: h.get_audio_url("bot_1"), "GET", "/bots/bot_1/get_audio", AUDIO, ["bots/bot_1"], []),
    (
        lambda h: h.get_video_url("bot_1"),
        "GET",
        "/bots/bot_1/get_video",
        {**AUDIO, "file_type": "mp4"},
        ["bots/bot_1"],
        [],
    ),
    # Writes: the new bot is named by the answer.
    (lambda h: h.create_bot(LINK), "POST", "/bots/create_bot", CREATED, [], ["bots/bot_9"]),
    (
        lambda h: h.schedule_event("evt_1", deduplication_key="k"),
        "POST",
        "/calendar/schedule/evt_1",
        SCHEDULED,
        [],
        ["bots/bot_1"],
    ),
    (
        lambda h: h.schedule_event("evt_1", deduplication_key="k", schedule_all_occurrences=True),
        "POST",
        "/calendar/schedule/evt_1",
        {**SCHEDULED, "schedules_created": [{"bot_id": "bot_1"}, {"bot_id": "bot_2"}, {"bot_id": "bot_3"}]},
        [],
        ["bots/bot_1", "bots/bot_2", "bots/bot_3"],
    ),
    # Unscheduling counts the bots it deleted without naming them: the event is named.
    (
        lambda h: h.unschedule_event("evt 1"),
        "DELETE",
        "/calendar/schedule/evt%201",
        {"unscheduled": True, "bots_deleted": 1},
        [],
        ["calendar/events/evt%201"],
    ),
    (
        lambda h: h.update_scheduled_bot("bot_1", bot_username="Notes"),
        "PATCH",
        "/calendar/scheduled/bot_1",
        {"bot_id": "bot_1"},
        [],
        ["bots/bot_1"],
    ),
    (
        lambda h: h.delete_scheduled_bot("bot_1"),
        "DELETE",
        "/calendar/scheduled/bot_1",
        {"bot_id": "bot_1"},
        [],
        ["bots/bot_1"],
    ),
    (
        lambda h: h.remove_bot("bot_1"),
        "GET",
        "/bots/bot_1/remove_bot",
        {"status": "Stopped"},
        [],
        ["bots/bot_1"],
    ),
]


@pytest.mark.parametrize(("call", "method", "path", "answer", "reads", "writes"), CASES)
def test_each_row_reports_what_it_read_or_changed(
    hook: MeetStreamHook,
    collector: Any,
    call: Callable[[MeetStreamHook], Any],
    method: str,
    path: str,
    answer: Any,
    reads: list[str],
    writes: list[str],
) -> None:
    with rm.Mocker() as mock:
        mock.register_uri(method, f"{BASE}{path}", json=answer)
        call(hook)
    assert collected(collector) == (
        [f"{HOST}/{name}" for name in reads],
        [f"{HOST}/{name}" for name in writes],
    )


def test_a_bot_read_twice_is_one_asset_counted_twice(hook: MeetStreamHook, collector: Any) -> None:
    with rm.Mocker() as mock:
        mock.get(f"{BASE}/bots/bot_1/status", json=status("bot_1", "InMeeting"))
        hook.get_bot_status("bot_1")
        hook.get_bot_status("bot_1")
    (read,) = collector.collected_assets.inputs
    assert (read.asset.uri, read.count) == (f"{HOST}/bots/bot_1", 2)


def test_the_listings_report_nothing(hook: MeetStreamHook, collector: Any) -> None:
    # They would name every bot of a shared workspace, other teams' too.
    with rm.Mocker() as mock:
        mock.get(f"{BASE}/calendar/scheduled", json=NOBODY)
        mock.get(f"{BASE}/bots", json=bots_page("bot_1", "bot_2"))
        mock.get(f"{BASE}/calendar/events", json={"results": [], "next": None})
        hook.list_scheduled_bots()
        hook.list_bots()
        list(hook.iter_bots())
        list(hook.iter_events())
    assert collected(collector) == ([], [])


def test_a_call_that_failed_or_is_not_ready_reports_nothing(hook: MeetStreamHook, collector: Any) -> None:
    with rm.Mocker() as mock:
        mock.get(f"{BASE}/transcript/tr_1/get_transcript", status_code=202, json={})
        mock.get(f"{BASE}/bots/bot_gone/status", status_code=404, json={"message": "No such bot."})
        with pytest.raises(MeetStreamNotReadyError):
            hook.get_transcript("tr_1")
        with pytest.raises(MeetStreamNotFoundError):
            hook.get_bot_status("bot_gone")
    assert collected(collector) == ([], [])


def test_the_collector_is_looked_up_once_per_hook(
    hook: MeetStreamHook, collector: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    lookups: list[object] = []
    monkeypatch.setattr(COLLECTOR, lambda: lookups.append(collector) or collector)
    with rm.Mocker() as mock:
        mock.get(f"{BASE}/calendar/scheduled", json=NOBODY)
        mock.get(f"{BASE}/bots/bot_1/status", json=status("bot_1", "Done"))
        hook.list_scheduled_bots()
        assert lookups == []  # a row without lineage does not even look
        for _ in range(5):
            hook.get_bot_status("bot_1")
    assert len(lookups) == 1


def test_without_hook_lineage_in_airflow_every_call_works(
    hook: MeetStreamHook, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "airflow.providers.common.compat.lineage.hook", None)
    with rm.Mocker() as mock:
        mock.get(f"{BASE}/bots/bot_1/status", json=status("bot_1", "Done"))
        assert hook.get_bot_status("bot_1")["status"] == "Done"


def test_a_collector_that_fails_never_fails_the_call(
    hook: MeetStreamHook, monkeypatch: pytest.MonkeyPatch
) -> None:
    class Broken:
        def add_input_asset(self, **kwargs: Any) -> None:
            raise ValueError("no asset for you")

    monkeypatch.setattr(COLLECTOR, Broken)
    with rm.Mocker() as mock:
        mock.get(f"{BASE}/bots/bot_1/status", json=status("bot_1", "Done"))
        assert hook.get_bot_status("bot_1")["status"] == "Done"


def test_no_credential_reaches_an_asset(
    hook: MeetStreamHook, collector: Any, connection: Callable[..., None]
) -> None:
    connection(host="https://ada:s3cret@api.meetstream.test")
    with rm.Mocker() as mock:
        mock.get("https://ada:s3cret@api.meetstream.test/api/v1/bots/bot_1/get_audio", json=AUDIO)
        hook.get_audio_url("bot_1")
    assert collected(collector) == ([f"{HOST}/bots/bot_1"], [])
    assert not re.search(f"{API_KEY}|s3cret|X-Signature", repr(collector.collected_assets))


def test_every_row_naming_a_bot_or_a_transcript_in_its_path_reports_it() -> None:
    # A new row decides its lineage: a bot's data is lineage, a listing is not.
    rows = {name: row for name, row in vars(endpoints).items() if isinstance(row, Endpoint)}
    undecided = [
        name for name, row in rows.items() if set(row.ids) & {"bot_id", "transcript_id"} and not row.lineage
    ]
    assert undecided == []
    assert {name for name, row in rows.items() if row.lineage is None} == {
        "LIST_SCHEDULED",
        "LIST_EVENTS",
        "LIST_BOTS",
    }
