"""MeetStream as the tests fake it: its URL and keys, answers, a calendar, a task context, a clock, echoes."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta, timezone
from typing import Any
from unittest.mock import Mock
from urllib.parse import quote, quote_plus

from airflow_provider_meetstream.constants import BotStatus

#: The test connection's API root; nothing answers there but requests-mock and httpx.MockTransport.
BASE = "https://api.meetstream.test/api/v1"
#: The test connection's API key.
API_KEY = "ms_live_key_4f9a2c7e1b"
#: A second connection's API root, where a templated ``meetstream_conn_id`` renders to.
OTHER_BASE = "https://other.meetstream.test/api/v1"
#: Where the retry policy sleeps and reads the time: the clients and the operators go through it.
POLICY = "airflow_provider_meetstream.hooks.policy"
#: A key with a slash, a plus, a space and a non-ASCII letter: every encoding differs from the raw key.
KEY = "ms_live/k\u00e9y+4f9a 2c7e"

#: ``GET /calendar/scheduled`` on the test connection, and its answer when nobody's bot waits there.
SCHEDULED_URL = f"{BASE}/calendar/scheduled"
NOBODY = {"scheduled_bots": []}
#: What ``POST /calendar/schedule/{event_id}`` answers.
SCHEDULED = {
    "scheduled": True,
    "bot_id": "bot_1",
    "schedule_id": "sch_1",
    "scheduled_time": "2027-01-04T13:57:00Z",
}
#: A meeting link, and what ``POST /bots/create_bot`` answers for it.
LINK = "https://meet.google.com/abc-defg-hij"
CREATED = {"bot_id": "bot_9", "transcript_id": "tr_9", "meeting_url": LINK, "status": "Joining"}
#: A transcript's segments, as ``GET /transcript/{id}/get_transcript`` answers them.
SEGMENTS = [
    {"speaker": "Ada", "transcript": "Hello all.", "start_time": 0.0, "end_time": 1.5},
    {"speaker": "Grace", "transcript": "Hi Ada.", "start_time": 1.5, "end_time": 2.25},
]
#: A bot on a Zoom meeting, followed from its creation to its transcript: the meeting's link, what
#: ``POST /bots/create_bot`` answers (with a field the operator's XCom leaves out), and its transcript,
#: three segments by two speakers, 64.75 s from the first start to the last end.
ZOOM_LINK = "https://zoom.us/j/123456789"
ZOOM_CREATED = {
    "bot_id": "bot_1",
    "transcript_id": "tr_1",
    "meeting_url": ZOOM_LINK,
    "status": "Joining",
    "extra": "x",
}
ZOOM_SEGMENTS = [
    {"speaker": "Ada", "transcript": "Shall we start?", "start_time": 0.5, "end_time": 2.0},
    {"speaker": "Grace", "transcript": "Yes, Ada.", "start_time": 2.0, "end_time": 3.5},
    {"speaker": "Ada", "transcript": "Good.", "start_time": 3.5, "end_time": 65.25},
]
#: A presigned link to a recording; its path and query (the signature) no error, log line or repr shows.
MEDIA_HOST = "media.meetstream.test"
MEDIA_SECRET = "rec-7f3a9c/audio.wav?X-Signature=5ec7e75a1d0e&X-Expires=1893456000"
MEDIA_URL = f"https://{MEDIA_HOST}/{MEDIA_SECRET}"
#: What ``GET /bots/{bot_id}/get_audio`` answers.
AUDIO = {"download_url": MEDIA_URL, "expires_in": 3600, "file_type": "wav"}
#: The calendar tests' now and the start of their window: a Wednesday in a week with no DST change
#: anywhere they look; and that week.
T0 = datetime(2027, 2, 3, 8, 0, tzinfo=timezone.utc)
WINDOW = (T0, T0 + timedelta(days=7))
#: The statuses that fail a wait unless the DAG accepts them, as MeetStream spells them.
FAILED = sorted(member.value for member in BotStatus.REFUSED_STATUSES)


def bot(bot_id: str, event_id: str = "e1", key: str = "k1") -> dict:
    """A bot as ``GET /calendar/scheduled`` lists it: scheduled by the calendar API for ``event_id``."""
    return {
        "bot_id": bot_id,
        "status": "Scheduled",
        "custom_attributes": {
            "event_id": event_id,
            "deduplication_key": key,
            "source": "calendar_schedule_api",
        },
    }


def bots_page(*bot_ids: str, cursor: str | None = None) -> dict[str, Any]:
    """
    A page of ``GET /bots``: a ``Done`` bot for each id, and ``cursor`` as the next page's.

    :param bot_ids: The bots on the page, newest first.
    :param cursor: The next page's cursor; None on the last page.
    """
    bots = [{"bot_id": bot_id, "status": "Done", "custom_attributes": {}} for bot_id in bot_ids]
    return {"bots": bots, "hasNextPage": cursor is not None, "nextCursor": cursor}


def status(bot_id: str, value: str, **extra: Any) -> dict[str, Any]:
    """What ``GET /bots/{bot_id}/status`` answers: the status ``value`` and any ``extra`` fields."""
    return {"bot_id": bot_id, "status": value, **extra}


def task_context(run_id: str = "manual__1", map_index: int = -1, try_number: int = 1, **extra: Any) -> Any:
    """
    The part of a task's Airflow context the operators read: its task instance's keys, and ``extra``.

    :param run_id: The DAG run's id.
    :param map_index: The mapped task's index, -1 when not mapped.
    :param try_number: The attempt, from 1.
    :param extra: Other entries, e.g. ``outlet_events``.
    """
    ti = Mock(dag_id="d", task_id="t", run_id=run_id, map_index=map_index, try_number=try_number)
    return {"ti": ti, **extra}


def single(event_id: str, start: datetime, *, title: str = "Customer sync", **fields: object) -> dict:
    """
    A one-off event as ``GET /calendar/events`` lists it: 30 minutes on ``cal_a``, a Meet link, no bots.

    :param event_id: MeetStream's event id; the iCalendar UID is ``<event_id>@example.com``.
    :param start: Its start.
    :param title: Its title, in the provider's ``raw`` payload.
    :param fields: Fields of the listing to set or replace.
    """
    event = {
        "id": event_id,
        "start_time": start.isoformat(),
        "end_time": (start + timedelta(minutes=30)).isoformat(),
        "calendar_id": "cal_a",
        "ical_uid": f"{event_id}@example.com",
        "meeting_url": f"https://meet.google.com/{event_id}",
        "meeting_platform": "google_meet",
        "is_deleted": False,
        "bots": [],
        "raw": {"id": f"g_{event_id}", "summary": title},
    }
    event.update(fields)
    return event


def weekly_master(event_id: str = "evt_weekly", **fields: object) -> dict:
    """
    A weekly series as Google lists it: Mondays 09:00 New York (14:00Z in winter) from 2027-01-04.

    :param event_id: MeetStream's event id of the series.
    :param fields: Fields of the listing to set or replace.
    """
    event = single(event_id, datetime(2027, 1, 4, 14, 0, tzinfo=timezone.utc), title="Team stand-up")
    event["raw"] = {
        "id": "g_weekly",
        "summary": "Team stand-up",
        "start": {"dateTime": "2027-01-04T09:00:00-05:00", "timeZone": "America/New_York"},
        "recurrence": ["RRULE:FREQ=WEEKLY;BYDAY=MO"],
    }
    event.update(fields)
    return event


def events_of(trigger: Any, timeout: float = 30.0) -> list[Any]:
    """
    The payloads of every event a trigger's ``run()`` yields, on an event loop of its own.

    :param trigger: The trigger to run to its end.
    :param timeout: How long it may take before the test fails instead of hanging.
    """

    async def collect() -> list[Any]:
        return [event.payload async for event in trigger.run()]

    return asyncio.run(asyncio.wait_for(collect(), timeout))


class FakeTime:
    """
    A clock that starts at 0 and moves only when the code under test sleeps.

    :param waits: Where each wait is recorded; a new list when not given.
    """

    def __init__(self, waits: list[float] | None = None) -> None:
        self.now = 0.0
        self.waits: list[float] = [] if waits is None else waits

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.now += seconds

    async def asleep(self, seconds: float) -> None:
        self.sleep(seconds)


def encodings(secret: str) -> dict[str, str]:
    """Every form in which a gateway may echo the key."""
    escaped = json.dumps(secret)[1:-1]
    forms = {
        "raw": secret,
        "json": escaped,
        "json, upper hex": escaped.replace("\\u00e9", "\\u00E9"),
        "json, escaped slash": escaped.replace("/", "\\/"),
        "json, unicode kept": json.dumps(secret, ensure_ascii=False)[1:-1].replace("/", "\\/"),
        "quote": quote(secret, safe=""),
        "quote, slash kept": quote(secret),
        "quote_plus": quote_plus(secret),
        "quote, lower hex": quote(secret, safe="").lower(),
        "quote_plus, lower hex": quote_plus(secret).lower(),
    }
    assert len(set(forms.values())) == len(forms)
    return forms


def leaks(text: str, secret: str = KEY) -> list[str]:
    """The names of the forms of ``secret`` (see :func:`encodings`) found in ``text``."""
    return [name for name, form in encodings(secret).items() if form in text]
