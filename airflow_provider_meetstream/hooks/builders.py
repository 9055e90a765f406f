"""Request builders shared by the sync hook and the async client: validate arguments, shape one request."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from airflow_provider_meetstream import validation
from airflow_provider_meetstream.constants import DEFAULT_MAX_PAGES, MAX_LIST_LIMIT, MAX_OCCURRENCE_LIMIT
from airflow_provider_meetstream.exceptions import MeetStreamError, MeetStreamInputError


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
    :param list_key: When the answer is a JSON list, it is returned as ``{list_key: [...]}``;
        without one, a list answer is an error.
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


def cursor_from_next(value: Any) -> str | None:
    """
    Read the cursor of the next page from a listing's ``next`` field; None on the last page.

    :param value: The ``next`` field: an opaque cursor, or a URL carrying ``cursor`` in its query.
    """
    # Some API versions answer ``next`` as a URL rather than a bare, opaque cursor.
    if not value:
        return None
    text = str(value)
    if "://" in text or (text.startswith("/") and "?" in text):
        cursor = parse_qs(urlsplit(text).query).get("cursor")
        if not cursor:
            raise MeetStreamError(f"MeetStream's next page {text!r} carries no cursor; cannot go on listing.")
        return cursor[0]
    return text


def next_page_request(
    request: ApiRequest, page: dict[str, Any], seen: set[str], max_pages: int = DEFAULT_MAX_PAGES
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


def schedule_event_request(
    event_id: str,
    *,
    deduplication_key: str,
    bot_config: dict[str, Any] | None = None,
    occurrence_date: datetime | str | None = None,
    schedule_all_occurrences: bool | None = None,
    occurrence_limit: int | None = None,
    recurring_event: bool | None = None,
) -> ApiRequest:
    """Validate the arguments of ``POST /calendar/schedule/{event_id}`` and build it."""
    segment = validation.path_segment(event_id, "event_id")
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
        else validation.bounded_int(occurrence_limit, "occurrence_limit", 1, MAX_OCCURRENCE_LIMIT),
        "recurring_event": validation.optional_bool(recurring_event, "recurring_event"),
    }
    body.update({name: value for name, value in optional.items() if value is not None})
    return ApiRequest("POST", f"/calendar/schedule/{segment}", body=body)


def unschedule_event_request(
    event_id: str, *, cancel_all_occurrences: bool = False, from_date: datetime | str | None = None
) -> ApiRequest:
    """Validate the arguments of ``DELETE /calendar/schedule/{event_id}`` and build it."""
    segment = validation.path_segment(event_id, "event_id")
    body: dict[str, Any] = {}
    if validation.optional_bool(cancel_all_occurrences, "cancel_all_occurrences"):
        body["cancel_all_occurrences"] = True
    if from_date is not None:
        body["from_date"] = validation.iso_datetime(from_date, "from_date")
    return ApiRequest(
        "DELETE",
        f"/calendar/schedule/{segment}",
        body=body or None,
        answer_if_gone={"unscheduled": True, "event_id": event_id},
    )


def list_scheduled_request(limit: int = MAX_LIST_LIMIT) -> ApiRequest:
    """Validate the arguments of ``GET /calendar/scheduled`` and build it."""
    limit = validation.bounded_int(limit, "limit", 1, MAX_LIST_LIMIT)
    return ApiRequest("GET", "/calendar/scheduled", params={"limit": limit})


def update_scheduled_bot_request(
    bot_id: str,
    *,
    scheduled_join_time: datetime | str | None = None,
    bot_username: str | None = None,
    custom_attributes: dict[str, Any] | None = None,
) -> ApiRequest:
    """Validate the arguments of ``PATCH /calendar/scheduled/{bot_id}`` and build it."""
    segment = validation.path_segment(bot_id, "bot_id")
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
    return ApiRequest("PATCH", f"/calendar/scheduled/{segment}", body=body)


def events_request(
    *,
    time_min: datetime | str | None,
    time_max: datetime | str | None,
    calendar_id: str | None,
    sync: bool | None,
    page_size: int,
) -> ApiRequest:
    """Validate the arguments of ``GET /calendar/events`` and build one page's request."""
    params: dict[str, Any] = {"limit": validation.bounded_int(page_size, "page_size", 1, MAX_LIST_LIMIT)}
    if time_min is not None:
        params["time_min"] = validation.iso_datetime(time_min, "time_min")
    if time_max is not None:
        params["time_max"] = validation.iso_datetime(time_max, "time_max")
    if calendar_id is not None:
        params["calendar_id"] = validation.non_empty_text(calendar_id, "calendar_id")
    if validation.optional_bool(sync, "sync") is not None:
        params["sync"] = "true" if sync else "false"
    return ApiRequest("GET", "/calendar/events", params=params)


def delete_scheduled_bot_request(bot_id: str) -> ApiRequest:
    """Validate the argument of ``DELETE /calendar/scheduled/{bot_id}`` and build it."""
    segment = validation.path_segment(bot_id, "bot_id")
    return ApiRequest("DELETE", f"/calendar/scheduled/{segment}", answer_if_gone={"bot_id": bot_id})


def bot_status_request(bot_id: str) -> ApiRequest:
    """Validate the argument of ``GET /bots/{bot_id}/status`` and build it."""
    return ApiRequest("GET", bot_path(bot_id, "/status"))


def bot_path(bot_id: str, suffix: str = "") -> str:
    """The path of one bot, its id encoded as one segment."""
    return f"/bots/{validation.path_segment(bot_id, 'bot_id')}{suffix}"
