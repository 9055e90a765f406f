"""MeetStream as the tests fake it: the connection's URL and keys, sample answers, a clock, echoed keys."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import quote, quote_plus

from airflow_provider_meetstream.constants import BotStatus

#: The test connection's API root; nothing answers there but requests-mock and httpx.MockTransport.
BASE = "https://api.meetstream.test/api/v1"
#: The test connection's API key.
API_KEY = "ms_live_key_4f9a2c7e1b"
#: Where the retry policy sleeps and reads the time: the clients and the operators go through it.
POLICY = "airflow_provider_meetstream.hooks.policy"
#: A key with a slash, a plus, a space and a non-ASCII letter: every encoding differs from the raw key.
KEY = "ms_live/k\u00e9y+4f9a 2c7e"

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


def status(bot_id: str, value: str, **extra: Any) -> dict[str, Any]:
    """What ``GET /bots/{bot_id}/status`` answers: the status ``value`` and any ``extra`` fields."""
    return {"bot_id": bot_id, "status": value, **extra}


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
