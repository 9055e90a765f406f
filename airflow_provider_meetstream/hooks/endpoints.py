"""MeetStream's endpoints, a row each: method, path, how arguments make a request, how its answer is read."""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar
from urllib.parse import parse_qs, urlencode, urlsplit

from airflow_provider_meetstream import validation
from airflow_provider_meetstream.constants import (
    DEFAULT_MAX_PAGES,
    MAX_IDEMPOTENCY_KEY_LENGTH,
    MAX_LIST_LIMIT,
    MAX_OCCURRENCE_LIMIT,
)
from airflow_provider_meetstream.exceptions import (
    MeetStreamAPIError,
    MeetStreamError,
    MeetStreamInputError,
    MeetStreamNotReadyError,
)

Answer = dict[str, Any]
#: What an endpoint's reader returns, and so what its client methods do.
Read = TypeVar("Read")


@dataclass(frozen=True)
class ApiRequest:
    """
    One validated request: method, path under ``/api/v1``, query, JSON body and extra headers.

    :param answer_if_gone: For a DELETE, the answer that stands for success when an attempt got
        no answer and a retry then finds the resource gone (404): the lost attempt did it.
    :param headers: Headers of this request only, e.g. ``Idempotency-Key``; both clients send them.
    :param success_statuses: Statuses outside 2xx that are this request's success, decoded as its
        answer: ``create_bot``'s 507, a replay that returns the original bot.
    :param not_ready_statuses: Statuses inside 2xx that are not a success yet (a transcript's 202
        while processing): ``MeetStreamNotReadyError``, never an empty answer.
    :param list_key: A JSON list answer is returned as ``{list_key: [...]}``; without one, an error.
    """

    method: str
    path: str
    params: dict[str, Any] | None = None
    body: dict[str, Any] | None = None
    answer_if_gone: dict[str, Any] | None = None
    headers: dict[str, str] | None = None
    success_statuses: frozenset[int] = frozenset()
    not_ready_statuses: frozenset[int] = frozenset()
    list_key: str | None = None

    def url(self, base_url: str) -> str:
        """The full URL, query included, exactly as it goes on the wire."""
        query = f"?{urlencode(self.params)}" if self.params else ""
        return f"{base_url}{self.path}{query}"


#: What an endpoint's arguments become besides its path: some of ``params``, ``body`` and ``headers``.
Parts = dict[str, Any]


def _no_arguments() -> Parts:
    return {}


def _whole(answer: Answer, request: ApiRequest) -> Answer:
    return answer


class Endpoint(Generic[Read]):
    """
    One MeetStream endpoint: a row of the table both clients call through.

    :param method: The HTTP method.
    :param path: The path under ``/api/v1``; each ``{name}`` is a positional argument of
        :meth:`request`, checked and encoded as exactly one segment.
    :param read: Reads and checks the decoded answer into what the client method returns.
    :param parts: Checks the other (keyword) arguments and shapes query, body and headers.
    :param gone: For a DELETE, the answer a retry's 404 stands for, the path's ids added.
    :param success_statuses: See :class:`ApiRequest`.
    :param not_ready_statuses: See :class:`ApiRequest`.
    :param list_key: See :class:`ApiRequest`.
    """

    def __init__(
        self,
        method: str,
        path: str,
        read: Callable[[Answer, ApiRequest], Read],
        parts: Callable[..., Parts] = _no_arguments,
        *,
        gone: dict[str, Any] | None = None,
        success_statuses: frozenset[int] = frozenset(),
        not_ready_statuses: frozenset[int] = frozenset(),
        list_key: str | None = None,
    ) -> None:
        self.method, self.path, self.read, self.parts = method, path, read, parts
        self.gone, self.list_key = gone, list_key
        self.success_statuses, self.not_ready_statuses = success_statuses, not_ready_statuses
        self.ids: tuple[str, ...] = tuple(re.findall(r"{(\w+)}", path))

    def request(self, *ids: Any, **arguments: Any) -> ApiRequest:
        """Check every argument, path ids first, and build the request; nothing is sent."""
        named = dict(zip(self.ids, ids, strict=True))
        path = self.path.format(
            **{name: validation.path_segment(value, name) for name, value in named.items()}
        )
        return ApiRequest(
            self.method,
            path,
            **self.parts(**arguments),
            answer_if_gone=None if self.gone is None else {**self.gone, **named},
            success_statuses=self.success_statuses,
            not_ready_statuses=self.not_ready_statuses,
            list_key=self.list_key,
        )


# How arguments become a request.
def _schedule(
    *,
    deduplication_key: str,
    bot_config: dict[str, Any] | None = None,
    occurrence_date: datetime | str | None = None,
    schedule_all_occurrences: bool | None = None,
    occurrence_limit: int | None = None,
    recurring_event: bool | None = None,
) -> Parts:
    body: dict[str, Any] = {
        "deduplication_key": validation.deduplication_key(deduplication_key),
        "bot_config": validation.bot_config(bot_config),
    }
    optional = {
        "occurrence_date": validation.optional_iso_datetime(occurrence_date, "occurrence_date"),
        "schedule_all_occurrences": validation.optional_bool(
            schedule_all_occurrences, "schedule_all_occurrences"
        ),
        "occurrence_limit": None
        if occurrence_limit is None
        else validation.integer(occurrence_limit, "occurrence_limit", 1, MAX_OCCURRENCE_LIMIT),
        "recurring_event": validation.optional_bool(recurring_event, "recurring_event"),
    }
    body.update({name: value for name, value in optional.items() if value is not None})
    return {"body": body}


def _unschedule(*, cancel_all_occurrences: bool = False, from_date: datetime | str | None = None) -> Parts:
    body: dict[str, Any] = {}
    if validation.optional_bool(cancel_all_occurrences, "cancel_all_occurrences"):
        body["cancel_all_occurrences"] = True
    if from_date is not None:
        body["from_date"] = validation.iso_datetime(from_date, "from_date")
    return {"body": body or None}


def _list_scheduled(*, limit: int = MAX_LIST_LIMIT) -> Parts:
    return {"params": {"limit": validation.integer(limit, "limit", 1, MAX_LIST_LIMIT)}}


def _update_scheduled(
    *,
    scheduled_join_time: datetime | str | None = None,
    bot_username: str | None = None,
    custom_attributes: dict[str, Any] | None = None,
) -> Parts:
    body: dict[str, Any] = {}
    if scheduled_join_time is not None:
        body["scheduled_join_time"] = validation.iso_datetime(scheduled_join_time, "scheduled_join_time")
    if bot_username is not None:
        body["bot_username"] = validation.non_empty_text(bot_username, "bot_username", strip=True)
    if custom_attributes is not None:
        body["custom_attributes"] = validation.json_object(custom_attributes, "custom_attributes")
    if not body:
        raise MeetStreamInputError(
            "scheduled_join_time/bot_username/custom_attributes", None, "give at least one of them"
        )
    return {"body": body}


def _events(
    *,
    time_min: datetime | str | None = None,
    time_max: datetime | str | None = None,
    calendar_id: str | None = None,
    sync: bool | None = None,
    page_size: int = MAX_LIST_LIMIT,
) -> Parts:
    params: dict[str, Any] = {"limit": validation.integer(page_size, "page_size", 1, MAX_LIST_LIMIT)}
    if time_min is not None:
        params["time_min"] = validation.iso_datetime(time_min, "time_min")
    if time_max is not None:
        params["time_max"] = validation.iso_datetime(time_max, "time_max")
    if calendar_id is not None:
        params["calendar_id"] = validation.non_empty_text(calendar_id, "calendar_id")
    if validation.optional_bool(sync, "sync") is not None:
        params["sync"] = "true" if sync else "false"
    return {"params": params}


def _create_bot(
    *, meeting_link: str, bot_config: dict[str, Any] | None = None, idempotency_key: str | None = None
) -> Parts:
    # Without an idempotency_key one is made for this call, so that the retry policy's own retries
    # of the POST can never send a second bot.
    link = validation.http_url(meeting_link, "meeting_link")
    config = validation.create_bot_config(bot_config)
    key = (
        str(uuid.uuid4())
        if idempotency_key is None
        else validation.header_value(idempotency_key, "idempotency_key", MAX_IDEMPOTENCY_KEY_LENGTH)
    )
    return {"body": {"meeting_link": link, **config}, "headers": {"Idempotency-Key": key}}


def _transcript(*, raw: bool = False) -> Parts:
    if not isinstance(raw, bool):
        raise MeetStreamInputError("raw", raw, "must be a bool")
    return {"params": {"raw": "true" if raw else "false"}}


# How answers are read and checked.
def _malformed(message: str, request: ApiRequest, answer: Any) -> MeetStreamAPIError:
    return MeetStreamAPIError(
        message, status_code=200, body=json.dumps(answer), method=request.method, path=request.path
    )


def _require_text(item: Answer, name: str, request: ApiRequest, whose: str = "the answer's") -> None:
    value = item.get(name)
    if not isinstance(value, str) or not value:
        raise _malformed(f"{whose} {name} {value!r} is not a non-empty string", request, item)


def _optional_text(item: Answer, name: str, request: ApiRequest) -> None:
    if item.get(name) is not None:
        _require_text(item, name, request)


def list_of_objects(answer: Answer, key: str, request: ApiRequest) -> list[dict[str, Any]]:
    """
    Read a list of JSON objects from an answer; anything else is an error, never an empty list.

    A missing list must not read as "nothing scheduled": a sensor waiting for bots to be gone
    would succeed on a malformed answer.

    :param answer: The decoded answer.
    :param key: The list's field, e.g. ``scheduled_bots``.
    :param request: The request answered, for the error.
    """
    items = answer.get(key)
    if not isinstance(items, list) or not all(isinstance(item, dict) for item in items):
        raise _malformed(f"the answer's {key!r} is not a list of objects", request, answer)
    return items


def _listed_bots(answer: Answer, request: ApiRequest) -> list[dict[str, Any]]:
    # Each listed bot names itself with a non-empty string.
    bots = list_of_objects(answer, "scheduled_bots", request)
    for bot in bots:
        _require_text(bot, "bot_id", request, "a listed bot's")
    return bots


def _scheduled(answer: Answer, request: ApiRequest) -> Answer:
    # Without a bot id nothing downstream can wait for the bot; an id that is a number or a list
    # would reach XComs and sensors as something no endpoint accepts.
    if answer.get("bot_id") in (None, ""):
        raise _malformed("the answer names no bot_id", request, answer)
    _require_text(answer, "bot_id", request)
    if "schedule_id" in answer:
        _require_text(answer, "schedule_id", request)
    return answer


def _status(answer: Answer, request: ApiRequest) -> Answer:
    _require_text(answer, "status", request)
    return answer


def _created_bot(answer: Answer, request: ApiRequest) -> Answer:
    _require_text(answer, "bot_id", request)
    _optional_text(answer, "transcript_id", request)
    return answer


def _bot_detail(answer: Answer, request: ApiRequest) -> Answer:
    # One dict: ``bot_details``, completed by fields given beside it (some answers carry
    # transcript_id at the top level); a field set inside wins over the same one beside it.
    details = answer.get("bot_details", answer)
    if not isinstance(details, dict):
        raise _malformed("the answer's 'bot_details' is not an object", request, answer)
    merged = dict(details)
    for name, value in answer.items():
        if name != "bot_details" and merged.get(name) in (None, ""):
            merged[name] = value
    _optional_text(merged, "transcript_id", request)
    return merged


def _transcriptions(answer: Answer, request: ApiRequest) -> list[dict[str, Any]]:
    items = list_of_objects(answer, "transcriptions", request)
    for item in items:
        _require_text(item, "transcript_id", request)
    return items


#: The field a transcript's segments come under; a bare list answer is put under it too.
SEGMENTS_KEY = "message"


def _segments(answer: Answer, request: ApiRequest) -> list[dict[str, Any]]:
    if answer.get(SEGMENTS_KEY) == []:
        raise MeetStreamNotReadyError(
            "the transcript has no segments yet", status_code=200, method=request.method, path=request.path
        )
    return list_of_objects(answer, SEGMENTS_KEY, request)


# The table. Adding an endpoint is one row here and one method per client.
SCHEDULE_EVENT = Endpoint("POST", "/calendar/schedule/{event_id}", _scheduled, _schedule)
UNSCHEDULE_EVENT = Endpoint(
    "DELETE", "/calendar/schedule/{event_id}", _whole, _unschedule, gone={"unscheduled": True}
)
LIST_SCHEDULED = Endpoint("GET", "/calendar/scheduled", _listed_bots, _list_scheduled)
UPDATE_SCHEDULED_BOT = Endpoint("PATCH", "/calendar/scheduled/{bot_id}", _whole, _update_scheduled)
DELETE_SCHEDULED_BOT = Endpoint("DELETE", "/calendar/scheduled/{bot_id}", _whole, gone={})
LIST_EVENTS = Endpoint("GET", "/calendar/events", _whole, _events)
BOT_STATUS = Endpoint("GET", "/bots/{bot_id}/status", _status)
#: A replay of an ``Idempotency-Key`` answers 507 with the original bot: a success.
CREATE_BOT = Endpoint(
    "POST", "/bots/create_bot", _created_bot, _create_bot, success_statuses=frozenset({507})
)
BOT_DETAIL = Endpoint("GET", "/bots/{bot_id}/detail", _bot_detail)
TRANSCRIPTIONS = Endpoint("GET", "/bots/{bot_id}/transcriptions", _transcriptions)
#: A transcript answers 202 while MeetStream processes it.
TRANSCRIPT = Endpoint(
    "GET",
    "/transcript/{transcript_id}/get_transcript",
    _segments,
    _transcript,
    not_ready_statuses=frozenset({202}),
    list_key=SEGMENTS_KEY,
)
#: A GET, not a DELETE: the bot leaves its meeting; its recording and transcript stay.
REMOVE_BOT = Endpoint("GET", "/bots/{bot_id}/remove_bot", _whole)


# Following the events listing's pages.
def cursor_from_next(value: Any) -> str | None:
    """
    Read the cursor of the next page from a listing's ``next`` field; None on the last page.

    :param value: The ``next`` field: an opaque cursor, or a URL carrying ``cursor`` in its query.
    """
    if not value:
        return None
    text = str(value)
    if "://" in text or (text.startswith("/") and "?" in text):
        cursor = parse_qs(urlsplit(text).query).get("cursor")
        if not cursor:
            raise MeetStreamError(f"MeetStream's next page {text!r} carries no cursor; cannot go on listing.")
        return cursor[0]
    return text


def next_page(
    request: ApiRequest, page: Answer, seen: set[str], max_pages: int = DEFAULT_MAX_PAGES
) -> ApiRequest | None:
    """
    The request of the page after ``page``, or None when it was the last.

    :param request: The request ``page`` answered.
    :param page: The decoded answer, with its ``next`` field.
    :param seen: The cursors followed so far; the new one is added. A cursor seen twice is an error,
        since following it again would loop for ever.
    :param max_pages: The most pages of one listing; a server handing out new cursors for ever
        would otherwise hold the worker for ever.
    """
    cursor = cursor_from_next(page.get("next"))
    if not cursor:
        return None
    if cursor in seen:
        raise MeetStreamError(f"MeetStream returned the cursor {cursor!r} twice; stopping the listing.")
    if len(seen) + 1 >= max_pages:
        raise MeetStreamError(
            f"MeetStream's listing goes on past max_pages={max_pages} pages; stopping it. "
            "Narrow time_min/time_max, or raise max_pages."
        )
    seen.add(cursor)
    return ApiRequest(request.method, request.path, params={**(request.params or {}), "cursor": cursor})
