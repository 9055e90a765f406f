"""Issue 11, finding 5: hostile arguments to every public hook method build a faithful request or fail early.

Each generated case either sends a request whose path segment percent-decodes to the id as given,
or raises ``MeetStreamInputError`` with nothing sent; no other exception type may escape.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any
from urllib.parse import unquote, urlsplit

import pytest
import requests_mock as rm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from meetstream_fakes import AUDIO

from airflow_provider_meetstream.exceptions import MeetStreamInputError, MeetStreamNotFoundError
from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook

CASES: Counter[str] = Counter()
SETTINGS = settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


def nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth):
        value = {"a": value}
    return value


hostile_text = st.one_of(
    st.text(max_size=30),
    st.text(st.characters(categories=["Cs", "Cc", "Zs", "Zl", "Co"]), min_size=1, max_size=5),
    st.builds(lambda a, b: f"{a}\ud800{b}", st.text(max_size=5), st.text(max_size=5)),
    st.sampled_from(["", " ", ".", "..", "a/../b", "?x=1#f", "%2F", "a\x00b", "\u202e", "None", "\udfff"]),
    st.integers(min_value=1000, max_value=5000).map(lambda n: "x" * n),
)
offsets = st.timedeltas(min_value=timedelta(hours=-23), max_value=timedelta(hours=23)).map(timezone)
hostile_datetime = st.one_of(
    st.sampled_from(
        [
            "0001-01-01T00:00:00+01:00",
            "9999-12-31T23:59:59-01:00",
            "2027-02-30T10:00:00Z",
            "2027-01-04T10:00:00",
            "yesterday",
            "",
        ]
    ),
    st.datetimes(timezones=offsets),
    st.datetimes(),  # naive
    st.builds(lambda tz: datetime(1, 1, 1, tzinfo=tz), offsets),
    st.builds(lambda tz: datetime(9999, 12, 31, 23, 59, tzinfo=tz), offsets),
)
hostile_number = st.one_of(
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([1e11, 10**18, "10", "nan", None]),
)
json_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True, allow_infinity=True), hostile_text
)
hostile_json = st.one_of(
    st.recursive(
        json_leaf,
        lambda kids: st.lists(kids, max_size=3) | st.dictionaries(st.text(max_size=5), kids, max_size=3),
    ),
    st.dictionaries(st.text(max_size=5), st.sets(st.integers(), max_size=3), min_size=1, max_size=2),
    st.integers(min_value=60, max_value=5000).map(nested),
    st.sampled_from([{"x": float("nan")}, {"x": float("inf")}, {1.5: "k"}, {("a",): 1}, [], "{}"]),
)
anything = st.one_of(hostile_text, hostile_number, hostile_datetime, hostile_json)


def sane_id() -> st.SearchStrategy[str]:
    return st.text(st.characters(blacklist_categories=["Cs", "Cc"]), min_size=1, max_size=40)


def maybe(hostile: st.SearchStrategy[Any], sane: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    # Mostly sane, so that a case often has a single hostile argument and many cases reach the wire.
    return st.integers(0, 3).flatmap(lambda pick: hostile if pick == 0 else sane)


def segment_of(url: str, method: str) -> str:
    path = urlsplit(url).path.removeprefix("/api/v1")
    parts = path.split("/")
    # /calendar/schedule/{id}, /calendar/scheduled/{id}, /bots/{id}/status
    return parts[2] if parts[1] == "bots" else parts[3]


@pytest.fixture(scope="module", autouse=True)
def _count() -> Iterator[None]:
    yield
    total = sum(CASES.values())
    print(f"\nhostile input: {total} generated cases: {dict(sorted(CASES.items()))}")


@pytest.fixture
def environment(connection: Callable[..., None], waits: list[float]) -> None:
    connection()


def check(name: str, call: Callable[[MeetStreamHook], Any], path_id: Any = None, **hook_kwargs: Any) -> None:
    """Run one case: a faithful request, or MeetStreamInputError with nothing sent."""
    answer = {
        "bot_id": "b1",
        "schedule_id": "s1",
        "status": "Scheduled",
        "scheduled_bots": [],
        "results": [{"id": path_id}] if isinstance(path_id, str) else [],
        "next": None,
        "bots": [],
        "hasNextPage": False,
        "participants": [],
        "timeline": [],
        **AUDIO,
    }
    with rm.Mocker(case_sensitive=True) as mock:
        mock.register_uri(rm.ANY, rm.ANY, json=answer)
        try:
            hook = MeetStreamHook(**hook_kwargs)
            result = call(hook)
            if isinstance(result, Iterator):
                list(result)
        except MeetStreamInputError:
            CASES[f"{name}: refused"] += 1
            assert mock.call_count == 0
            return
        except MeetStreamNotFoundError:
            assert name == "get_event"
        CASES[f"{name}: sent"] += 1
        assert mock.call_count >= 1
        if path_id is not None:
            assert unquote(segment_of(mock.last_request.url, mock.last_request.method)) == path_id


@SETTINGS
@given(
    event_id=maybe(anything, sane_id()),
    key=maybe(hostile_text, sane_id()),
    bot_config=maybe(hostile_json, st.none() | st.just({"bot_name": "Rec", "n": 1.5})),
    occurrence=maybe(hostile_datetime, st.none()),
    all_occurrences=maybe(hostile_number, st.none() | st.booleans()),
    limit=maybe(hostile_number, st.none() | st.integers(1, 1000)),
    recurring=maybe(hostile_number, st.none() | st.booleans()),
)
def test_schedule_event(
    environment, event_id, key, bot_config, occurrence, all_occurrences, limit, recurring
) -> None:
    check(
        "schedule_event",
        lambda hook: hook.schedule_event(
            event_id,
            deduplication_key=key,
            bot_config=bot_config,
            occurrence_date=occurrence,
            schedule_all_occurrences=all_occurrences,
            occurrence_limit=limit,
            recurring_event=recurring,
        ),
        event_id,
    )


@SETTINGS
@given(
    event_id=maybe(anything, sane_id()),
    cancel_all=maybe(hostile_number, st.booleans()),
    from_date=maybe(hostile_datetime, st.none()),
)
def test_unschedule_event(environment, event_id, cancel_all, from_date) -> None:
    check(
        "unschedule_event",
        lambda hook: hook.unschedule_event(event_id, cancel_all_occurrences=cancel_all, from_date=from_date),
        event_id,
    )


@SETTINGS
@given(
    bot_id=maybe(anything, sane_id()),
    join=maybe(hostile_datetime, st.none()),
    username=maybe(hostile_text, st.none() | st.just("Recorder")),
    attributes=maybe(hostile_json, st.none() | st.just({"team": "data"})),
)
def test_update_scheduled_bot(environment, bot_id, join, username, attributes) -> None:
    check(
        "update_scheduled_bot",
        lambda hook: hook.update_scheduled_bot(
            bot_id, scheduled_join_time=join, bot_username=username, custom_attributes=attributes
        ),
        bot_id,
    )


@SETTINGS
@given(
    bot_id=maybe(anything, sane_id()),
    which=st.sampled_from(
        [
            "delete_scheduled_bot",
            "get_bot_status",
            "get_participants",
            "get_speaker_timeline",
            "get_audio_url",
            "get_video_url",
        ]
    ),
)
def test_bot_id_methods(environment, bot_id, which) -> None:
    check(which, lambda hook: getattr(hook, which)(bot_id), bot_id)


@SETTINGS
@given(
    time_min=maybe(hostile_datetime, st.none()),
    time_max=maybe(hostile_datetime, st.none()),
    calendar_id=maybe(hostile_text, st.none() | sane_id()),
    sync=maybe(hostile_number, st.none() | st.booleans()),
    page_size=maybe(hostile_number, st.integers(1, 100)),
    max_pages=maybe(hostile_number, st.integers(1, 1000)),
)
def test_iter_events(environment, time_min, time_max, calendar_id, sync, page_size, max_pages) -> None:
    check(
        "iter_events",
        lambda hook: hook.iter_events(
            time_min=time_min,
            time_max=time_max,
            calendar_id=calendar_id,
            sync=sync,
            page_size=page_size,
            max_pages=max_pages,
        ),
    )


@SETTINGS
@given(
    event_id=maybe(anything, sane_id()),
    time_min=maybe(hostile_datetime, st.none()),
    limit=maybe(hostile_number, st.integers(1, 100)),
)
def test_get_event_and_list(environment, event_id, time_min, limit) -> None:
    check("get_event", lambda hook: hook.get_event(event_id, time_min=time_min))
    check("list_scheduled_bots", lambda hook: hook.list_scheduled_bots(limit))


@SETTINGS
@given(
    page_size=maybe(hostile_number, st.integers(1, 100)),
    cursor=maybe(anything, st.none() | sane_id()),
    max_pages=maybe(hostile_number, st.integers(1, 1000)),
)
def test_bots_listing(environment, page_size, cursor, max_pages) -> None:
    check("list_bots", lambda hook: hook.list_bots(page_size=page_size, cursor=cursor))
    check("iter_bots", lambda hook: hook.iter_bots(page_size=page_size, max_pages=max_pages))


@SETTINGS
@given(
    timeout=maybe(hostile_number, st.none() | st.floats(0.1, 3600)),
    max_retries=maybe(hostile_number, st.none() | st.integers(1, 20)),
    pool_maxsize=maybe(hostile_number, st.integers(1, 256)),
    deadline=maybe(hostile_number, st.none() | st.floats(0.1, 3600)),
)
def test_hook_arguments(environment, timeout, max_retries, pool_maxsize, deadline) -> None:
    check(
        "MeetStreamHook()",
        lambda hook: hook.list_scheduled_bots(),
        timeout=timeout,
        max_retries=max_retries,
        pool_maxsize=pool_maxsize,
        deadline=deadline,
    )
