"""MeetStream's endpoints, a row each: method, path, how arguments make a request, how its answer is read."""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Generic, TypeVar
from urllib.parse import parse_qs, urlsplit

from airflow_provider_meetstream import validation
from airflow_provider_meetstream.constants import (
    DEFAULT_MAX_PAGES,
    MAX_IDEMPOTENCY_KEY_LENGTH,
    MAX_LIST_LIMIT,
    MAX_OCCURRENCE_LIMIT,
)
from airflow_provider_meetstream.exceptions import MeetStreamError, MeetStreamInputError
from airflow_provider_meetstream.hooks import answers
from airflow_provider_meetstream.hooks.wire import Answer, ApiRequest
from airflow_provider_meetstream.utils import lineage

#: What an endpoint's reader returns, and so what its client methods do.
Read = TypeVar("Read")


#: What an endpoint's arguments become besides its path: some of ``params``, ``body`` and ``headers``.
Parts = dict[str, Any]


def _no_arguments() -> Parts:
    return {}


def _path_id(ids: tuple[Any, ...], read: Any) -> list[str]:
    return [str(ids[0])]


def _answer_bots(ids: tuple[Any, ...], read: Any) -> list[str]:
    # The new bot is known only from the answer; a series scheduled at once has one per occurrence.
    created = read.get("schedules_created") if isinstance(read, dict) else None
    found = [read.get("bot_id") if isinstance(read, dict) else None]
    found += [item.get("bot_id") for item in created or () if isinstance(item, dict)]
    return [bot_id for bot_id in dict.fromkeys(found) if isinstance(bot_id, str) and bot_id]


@dataclass(frozen=True)
class Lineage:
    """
    What a call of a row reads or changes, for Airflow's hook-lineage collector.

    Each id is reported as the asset ``meetstream://<host[:port]>/<collection>/<id>``.

    :param output: The row changes what it names (creates, schedules, updates, removes); else it reads it.
    :param collection: Where the ids live under the API: ``bots``, ``transcripts``, ``calendar/events``.
    :param ids: The ids a call touched, from its path ids and its read answer; by default the path's first.
    """

    output: bool
    collection: str = lineage.BOTS
    ids: Callable[[tuple[Any, ...], Any], list[str]] = _path_id


#: A bot's data read, or a bot changed, as named by the path's ``bot_id``.
READS_BOT = Lineage(output=False)
CHANGES_BOT = Lineage(output=True)


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
    :param secret_answer: See :class:`ApiRequest`.
    :param lineage: What a call reads or writes, reported to Airflow's hook-lineage collector; None
        for a row that reports nothing (the listings, which would name every bot of a shared workspace).
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
        secret_answer: bool = False,
        lineage: Lineage | None = None,
    ) -> None:
        self.method, self.path, self.read, self.parts = method, path, read, parts
        self.gone, self.list_key, self.secret_answer = gone, list_key, secret_answer
        self.lineage = lineage
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
            secret_answer=self.secret_answer,
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


def _list_bots(*, page_size: int = 50, cursor: str | None = None) -> Parts:
    params: dict[str, Any] = {"limit": validation.integer(page_size, "page_size", 1, MAX_LIST_LIMIT)}
    if cursor is not None:
        params["cursor"] = validation.non_empty_text(cursor, "cursor")
    return {"params": params}


# The table. Adding an endpoint is one row here and one method per client.
#: The bot scheduled is known from the answer (every bot of a series scheduled at once).
SCHEDULE_EVENT = Endpoint(
    "POST",
    "/calendar/schedule/{event_id}",
    answers.scheduled,
    _schedule,
    lineage=Lineage(output=True, ids=_answer_bots),
)
#: The answer counts the bots it deleted without naming them: the lineage names the event.
UNSCHEDULE_EVENT = Endpoint(
    "DELETE",
    "/calendar/schedule/{event_id}",
    answers.whole,
    _unschedule,
    gone={"unscheduled": True},
    lineage=Lineage(output=True, collection="calendar/events"),
)
LIST_SCHEDULED = Endpoint("GET", "/calendar/scheduled", answers.scheduled_bots, _list_scheduled)
UPDATE_SCHEDULED_BOT = Endpoint(
    "PATCH", "/calendar/scheduled/{bot_id}", answers.whole, _update_scheduled, lineage=CHANGES_BOT
)
DELETE_SCHEDULED_BOT = Endpoint(
    "DELETE", "/calendar/scheduled/{bot_id}", answers.whole, gone={}, lineage=CHANGES_BOT
)
LIST_EVENTS = Endpoint("GET", "/calendar/events", answers.events_page, _events)
BOT_STATUS = Endpoint("GET", "/bots/{bot_id}/status", answers.status, lineage=READS_BOT)
#: A replay of an ``Idempotency-Key`` answers 507 with the original bot: a success.
CREATE_BOT = Endpoint(
    "POST",
    "/bots/create_bot",
    answers.created_bot,
    _create_bot,
    success_statuses=frozenset({507}),
    lineage=Lineage(output=True, ids=_answer_bots),
)
BOT_DETAIL = Endpoint("GET", "/bots/{bot_id}/detail", answers.bot_detail, lineage=READS_BOT)
TRANSCRIPTIONS = Endpoint("GET", "/bots/{bot_id}/transcriptions", answers.transcriptions, lineage=READS_BOT)
#: A transcript, and each of the meeting's data below, answers 202 while MeetStream processes it.
PROCESSING = frozenset({202})
#: Read by its own id: naming its bot would cost a request, so the lineage names the transcript.
TRANSCRIPT = Endpoint(
    "GET",
    "/transcript/{transcript_id}/get_transcript",
    answers.segments,
    _transcript,
    not_ready_statuses=PROCESSING,
    list_key=answers.SEGMENTS_KEY,
    lineage=Lineage(output=False, collection="transcripts"),
)
#: A GET, not a DELETE: the bot leaves its meeting; its recording and transcript stay.
REMOVE_BOT = Endpoint("GET", "/bots/{bot_id}/remove_bot", answers.whole, lineage=CHANGES_BOT)
#: The workspace's bots, newest first, one page; ``BOT_PAGES`` follows them all.
LIST_BOTS = Endpoint("GET", "/bots", answers.bots_page, _list_bots)
PARTICIPANTS = Endpoint(
    "GET",
    "/bots/{bot_id}/get_participants",
    answers.participants,
    not_ready_statuses=PROCESSING,
    list_key=answers.PARTICIPANTS_KEY,
    lineage=READS_BOT,
)
SPEAKER_TIMELINE = Endpoint(
    "GET",
    "/bots/{bot_id}/get_speaker_timeline",
    answers.speaker_timeline,
    not_ready_statuses=PROCESSING,
    list_key=answers.TIMELINE_KEY,
    lineage=READS_BOT,
)
#: Presigned links: the answer is a credential, so no error carries it.
AUDIO_LINK = Endpoint(
    "GET",
    "/bots/{bot_id}/get_audio",
    answers.media_link,
    not_ready_statuses=PROCESSING,
    secret_answer=True,
    lineage=READS_BOT,
)
VIDEO_LINK = Endpoint(
    "GET",
    "/bots/{bot_id}/get_video",
    answers.media_link,
    not_ready_statuses=PROCESSING,
    secret_answer=True,
    lineage=READS_BOT,
)


# Following a listing's pages.
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


class Pages:
    """
    How a cursor-paginated row is followed: where a page keeps its items, how it names the next one.

    :param endpoint: The row whose reader checks each page.
    :param items: The field of a (read) page holding its objects.
    :param cursor: Reads the next page's cursor from a read page; None on the last page.
    :param narrow: What to do when a listing goes on past ``max_pages``, for the error.
    """

    def __init__(
        self, endpoint: Endpoint[Answer], items: str, cursor: Callable[[Answer], str | None], narrow: str
    ) -> None:
        self.endpoint, self.items, self.cursor, self.narrow = endpoint, items, cursor, narrow

    def after(
        self, request: ApiRequest, page: Answer, seen: set[str], max_pages: int = DEFAULT_MAX_PAGES
    ) -> ApiRequest | None:
        """
        The request of the page after ``page``, or None when it was the last.

        :param request: The request ``page`` answered.
        :param page: The page, read by the row's reader.
        :param seen: The cursors followed so far; the new one is added. A cursor seen twice is an
            error, since following it again would loop for ever.
        :param max_pages: The most pages of one listing; a server handing out new cursors for ever
            would otherwise hold the worker for ever.
        """
        cursor = self.cursor(page)
        if not cursor:
            return None
        if cursor in seen:
            raise MeetStreamError(f"MeetStream returned the cursor {cursor!r} twice; stopping the listing.")
        if len(seen) + 1 >= max_pages:
            raise MeetStreamError(
                f"MeetStream's listing goes on past max_pages={max_pages} pages; stopping it. {self.narrow}"
            )
        seen.add(cursor)
        return replace(request, params={**(request.params or {}), "cursor": cursor})


#: The events listing: events under ``results``, the next page named by ``next``.
EVENT_PAGES = Pages(
    LIST_EVENTS,
    "results",
    lambda page: cursor_from_next(page.get("next")),
    "Narrow time_min/time_max, or raise max_pages.",
)
#: The workspace's bots: under ``bots``, the next page's ``nextCursor`` while ``hasNextPage``.
BOT_PAGES = Pages(
    LIST_BOTS,
    "bots",
    lambda page: page["nextCursor"] if page["hasNextPage"] else None,
    "Stop iterating once the bots are older than you need (newest come first), or raise max_pages.",
)
