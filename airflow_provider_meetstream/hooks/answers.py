"""How MeetStream's answers are read and checked: the reader each row of the endpoint table names."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlsplit

from airflow_provider_meetstream.exceptions import MeetStreamAPIError, MeetStreamNotReadyError
from airflow_provider_meetstream.hooks.wire import Answer, ApiRequest, MediaLink


def _malformed(message: str, request: ApiRequest, answer: Any) -> MeetStreamAPIError:
    # A 200 answer that is not what its row promises; it carries the answer, unless that is a secret.
    body = None if request.secret_answer else json.dumps(answer)
    return MeetStreamAPIError(message, status_code=200, body=body, method=request.method, path=request.path)


def _require_text(item: Answer, name: str, request: ApiRequest, whose: str = "the answer's") -> None:
    value = item.get(name)
    if not isinstance(value, str) or not value:
        raise _malformed(f"{whose} {name} {value!r} is not a non-empty string", request, item)


def _optional_text(item: Answer, name: str, request: ApiRequest) -> None:
    if item.get(name) is not None:
        _require_text(item, name, request)


def whole(answer: Answer, request: ApiRequest) -> Answer:
    """The answer as it came: rows whose fields nothing downstream relies on."""
    return answer


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


def scheduled_bots(answer: Answer, request: ApiRequest) -> list[dict[str, Any]]:
    """``GET /calendar/scheduled``: the bots, each naming itself with a non-empty string."""
    bots = list_of_objects(answer, "scheduled_bots", request)
    for bot in bots:
        _require_text(bot, "bot_id", request, "a listed bot's")
    return bots


def scheduled(answer: Answer, request: ApiRequest) -> Answer:
    """A schedule: its ``bot_id``, and its ``schedule_id`` when it has one, non-empty strings."""
    # Without a bot id nothing downstream can wait for the bot; an id that is a number or a list
    # would reach XComs and sensors as something no endpoint accepts.
    if answer.get("bot_id") in (None, ""):
        raise _malformed("the answer names no bot_id", request, answer)
    _require_text(answer, "bot_id", request)
    if "schedule_id" in answer:
        _require_text(answer, "schedule_id", request)
    return answer


def status(answer: Answer, request: ApiRequest) -> Answer:
    """A bot's status answer, with its ``status``."""
    _require_text(answer, "status", request)
    return answer


def created_bot(answer: Answer, request: ApiRequest) -> Answer:
    """A bot sent into a meeting: its ``bot_id``, and its ``transcript_id`` when it has one."""
    _require_text(answer, "bot_id", request)
    _optional_text(answer, "transcript_id", request)
    return answer


def bot_detail(answer: Answer, request: ApiRequest) -> Answer:
    """A bot's record as one dict: ``bot_details``, completed by fields given beside it."""
    # Some answers carry transcript_id at the top level; a field set inside wins over the same one beside it.
    details = answer.get("bot_details", answer)
    if not isinstance(details, dict):
        raise _malformed("the answer's 'bot_details' is not an object", request, answer)
    merged = dict(details)
    for name, value in answer.items():
        if name != "bot_details" and merged.get(name) in (None, ""):
            merged[name] = value
    _optional_text(merged, "transcript_id", request)
    return merged


def transcriptions(answer: Answer, request: ApiRequest) -> list[dict[str, Any]]:
    """A bot's transcripts, each with its ``transcript_id``."""
    items = list_of_objects(answer, "transcriptions", request)
    for item in items:
        _require_text(item, "transcript_id", request)
    return items


#: The field a transcript's segments come under; a bare list answer is put under it too.
SEGMENTS_KEY = "message"


def segments(answer: Answer, request: ApiRequest) -> list[dict[str, Any]]:
    """A transcript's segments; none yet is not ready, never an empty transcript."""
    if answer.get(SEGMENTS_KEY) == []:
        raise MeetStreamNotReadyError(
            "the transcript has no segments yet", status_code=200, method=request.method, path=request.path
        )
    return list_of_objects(answer, SEGMENTS_KEY, request)


def events_page(answer: Answer, request: ApiRequest) -> Answer:
    """One page of ``GET /calendar/events``: its events under ``results``; ``next`` names the next page."""
    list_of_objects(answer, "results", request)
    return answer


def bots_page(answer: Answer, request: ApiRequest) -> Answer:
    """
    One page of ``GET /bots``: ``bots``, each with ``bot_id`` and ``status``; ``hasNextPage``; ``nextCursor``.

    A page that says nothing of a next one is an error, not the last page: a listing read as
    complete when it is not would make a harvest skip bots for good.
    """
    for bot in list_of_objects(answer, "bots", request):
        _require_text(bot, "bot_id", request, "a listed bot's")
        _require_text(bot, "status", request, "a listed bot's")
    more = answer.get("hasNextPage")
    if not isinstance(more, bool):
        raise _malformed(f"the answer's hasNextPage {more!r} is not a bool", request, answer)
    if more:
        _require_text(answer, "nextCursor", request)
    return answer


#: Where a bare JSON list of a meeting's people, or of who spoke when, is put.
PARTICIPANTS_KEY, TIMELINE_KEY = "participants", "timeline"


def participants(answer: Answer, request: ApiRequest) -> list[dict[str, Any]]:
    """The meeting's people, one object each."""
    return list_of_objects(answer, PARTICIPANTS_KEY, request)


def speaker_timeline(answer: Answer, request: ApiRequest) -> list[dict[str, Any]]:
    """Who spoke when, one object per transcript segment."""
    return list_of_objects(answer, TIMELINE_KEY, request)


def media_link(answer: Answer, request: ApiRequest) -> MediaLink:
    """
    A presigned link: ``download_url``, ``expires_in`` (seconds), ``file_type``.

    Its errors name what is wrong, never a value: the answer is a credential (the row's
    ``secret_answer`` keeps it off the error too).
    """
    url, seconds, file_type = answer.get("download_url"), answer.get("expires_in"), answer.get("file_type")
    if not isinstance(url, str) or not _has_http_host(url):
        raise _malformed("the answer's download_url is not an http(s) URL with a host", request, None)
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 < seconds < float("inf"):
        raise _malformed("the answer's expires_in is not a positive number of seconds", request, None)
    if not isinstance(file_type, str) or not file_type:
        raise _malformed("the answer's file_type is not a non-empty string", request, None)
    return MediaLink(url, seconds, file_type)


def _has_http_host(url: str) -> bool:
    try:
        parts = urlsplit(url)
        return parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:
        return False
