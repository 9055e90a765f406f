"""The bots and transcripts endpoints: request builders, answer readers, the methods both clients share."""

from __future__ import annotations

import json
import uuid
from typing import TYPE_CHECKING, Any

from airflow_provider_meetstream import validation
from airflow_provider_meetstream.constants import MAX_IDEMPOTENCY_KEY_LENGTH
from airflow_provider_meetstream.exceptions import (
    MeetStreamAPIError,
    MeetStreamInputError,
    MeetStreamNotReadyError,
)
from airflow_provider_meetstream.hooks.builders import ApiRequest, bot_path
from airflow_provider_meetstream.hooks.errors import list_of_objects

#: ``create_bot`` answers a replay of an ``Idempotency-Key`` with 507 and the original bot.
REPLAY_STATUS = 507
#: A transcript answers 202 while MeetStream processes it.
PROCESSING_STATUS = 202
#: The field a transcript's segments come under; a bare list answer is put under it too.
SEGMENTS_KEY = "message"


def create_bot_request(
    meeting_link: str, *, bot_config: dict[str, Any] | None = None, idempotency_key: str | None = None
) -> ApiRequest:
    """
    Validate the arguments of ``POST /bots/create_bot`` and build it.

    Without an ``idempotency_key`` one is made for this call, so that the retry policy's own
    retries of the POST can never send a second bot.
    """
    link = validation.http_url(meeting_link, "meeting_link")
    config = validation.create_bot_config(bot_config)
    key = (
        str(uuid.uuid4())
        if idempotency_key is None
        else validation.header_value(idempotency_key, "idempotency_key", MAX_IDEMPOTENCY_KEY_LENGTH)
    )
    return ApiRequest(
        "POST",
        "/bots/create_bot",
        body={"meeting_link": link, **config},
        headers={"Idempotency-Key": key},
        success_statuses=frozenset({REPLAY_STATUS}),
    )


def bot_detail_request(bot_id: str) -> ApiRequest:
    """Validate the argument of ``GET /bots/{bot_id}/detail`` and build it."""
    return ApiRequest("GET", bot_path(bot_id, "/detail"))


def transcriptions_request(bot_id: str) -> ApiRequest:
    """Validate the argument of ``GET /bots/{bot_id}/transcriptions`` and build it."""
    return ApiRequest("GET", bot_path(bot_id, "/transcriptions"))


def transcript_request(transcript_id: str, *, raw: bool = False) -> ApiRequest:
    """Validate the arguments of ``GET /transcript/{transcript_id}/get_transcript`` and build it."""
    segment = validation.path_segment(transcript_id, "transcript_id")
    if not isinstance(raw, bool):
        raise MeetStreamInputError("raw", raw, "must be a bool")
    return ApiRequest(
        "GET",
        f"/transcript/{segment}/get_transcript",
        params={"raw": "true" if raw else "false"},
        not_ready_statuses=frozenset({PROCESSING_STATUS}),
        list_key=SEGMENTS_KEY,
    )


def remove_bot_request(bot_id: str) -> ApiRequest:
    """Validate the argument of ``GET /bots/{bot_id}/remove_bot`` (a GET, not a DELETE) and build it."""
    return ApiRequest("GET", bot_path(bot_id, "/remove_bot"))


def created_bot(answer: dict[str, Any], request: ApiRequest) -> dict[str, Any]:
    """
    Check that a ``create_bot`` answer (201, or a 507 replay) names its bot by a non-empty string.

    :param answer: The decoded answer.
    :param request: The request answered, for the error.
    """
    _require_text(answer, "bot_id", request)
    _optional_text(answer, "transcript_id", request)
    return answer


def bot_detail(answer: dict[str, Any], request: ApiRequest) -> dict[str, Any]:
    """
    One dict of a bot's record: ``bot_details``, completed by fields given beside it.

    Some answers carry ``transcript_id`` at the top level instead of inside ``bot_details``; a
    field set in ``bot_details`` wins over the same one beside it.

    :param answer: The decoded answer of ``GET /bots/{bot_id}/detail``.
    :param request: The request answered, for the error.
    """
    details = answer.get("bot_details", answer)
    if not isinstance(details, dict):
        raise _malformed("the answer's 'bot_details' is not an object", request, answer)
    merged = dict(details)
    for name, value in answer.items():
        if name != "bot_details" and merged.get(name) in (None, ""):
            merged[name] = value
    _optional_text(merged, "transcript_id", request)
    return merged


def transcriptions(answer: dict[str, Any], request: ApiRequest) -> list[dict[str, Any]]:
    """
    Read ``transcriptions``; each names its transcript by a non-empty string.

    :param answer: The decoded answer of ``GET /bots/{bot_id}/transcriptions``.
    :param request: The request answered, for the error.
    """
    items = list_of_objects(answer, "transcriptions", request)
    for item in items:
        _require_text(item, "transcript_id", request)
    return items


def transcript_segments(answer: dict[str, Any], request: ApiRequest) -> list[dict[str, Any]]:
    """
    A transcript's segments, from a list answer or ``{"message": [...]}``; an empty list is not ready.

    :param answer: The decoded answer of ``GET /transcript/{id}/get_transcript``.
    :param request: The request answered, for the error.
    :raises MeetStreamNotReadyError: When the list is empty.
    """
    if answer.get(SEGMENTS_KEY) == []:
        raise MeetStreamNotReadyError(
            "the transcript has no segments yet", status_code=200, method=request.method, path=request.path
        )
    return list_of_objects(answer, SEGMENTS_KEY, request)


def _require_text(item: dict[str, Any], name: str, request: ApiRequest) -> None:
    value = item.get(name)
    if not isinstance(value, str) or not value:
        raise _malformed(f"the answer's {name} {value!r} is not a non-empty string", request, item)


def _optional_text(item: dict[str, Any], name: str, request: ApiRequest) -> None:
    if item.get(name) is not None:
        _require_text(item, name, request)


def _malformed(message: str, request: ApiRequest, answer: dict[str, Any]) -> MeetStreamAPIError:
    return MeetStreamAPIError(
        message, status_code=200, body=json.dumps(answer), method=request.method, path=request.path
    )


class BotsMixin:
    """The bots and transcripts endpoints of :class:`~.meetstream.MeetStreamHook`, on its transport."""

    if TYPE_CHECKING:

        def _send(self, request: ApiRequest) -> dict[str, Any]: ...

    def create_bot(
        self,
        meeting_link: str,
        *,
        bot_config: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """
        Send a bot into a meeting now, or at ``join_at`` (``POST /bots/create_bot``), no calendar needed.

        A replay of the same ``idempotency_key`` answers 507 with the original bot: a success.

        :param meeting_link: The meeting's ``http(s)`` URL (Zoom, Google Meet, Teams...).
        :param bot_config: Fields sent beside ``meeting_link``: ``bot_name``, ``bot_message``,
            ``bot_image_url``, ``join_at`` (aware datetime or ISO 8601 with an offset),
            ``callback_url``, ``recording_config``, ``custom_attributes``, ``automatic_leave``;
            unknown fields pass through.
        :param idempotency_key: Sent as ``Idempotency-Key``, 1 to 255 printable ASCII characters;
            make it once per logical request (a retry must send the same). One is made for this
            call when None, so the hook's own retries never send a second bot.
        :return: ``{"bot_id", "transcript_id", "meeting_url", "status", ...}``.
        """
        request = create_bot_request(meeting_link, bot_config=bot_config, idempotency_key=idempotency_key)
        return created_bot(self._send(request), request)

    def get_bot_detail(self, bot_id: str) -> dict[str, Any]:
        """
        Read a bot's full record (``GET /bots/{bot_id}/detail``), as one dict.

        :param bot_id: The bot.
        :return: ``{"bot_id", "transcript_id", "status", "meeting_url", ...}``.
        """
        request = bot_detail_request(bot_id)
        return bot_detail(self._send(request), request)

    def list_transcriptions(self, bot_id: str) -> list[dict[str, Any]]:
        """
        List a bot's transcripts and their processing status (``GET /bots/{bot_id}/transcriptions``).

        :param bot_id: The bot.
        :return: ``[{"transcript_id", "status"}, ...]``; a status matching ``success`` or
            ``completed`` is ready.
        """
        request = transcriptions_request(bot_id)
        return transcriptions(self._send(request), request)

    def get_transcript(self, transcript_id: str, *, raw: bool = False) -> list[dict[str, Any]]:
        """
        Read a transcript's segments (``GET /transcript/{transcript_id}/get_transcript``).

        :param transcript_id: The transcript, e.g. ``create_bot``'s ``transcript_id``.
        :param raw: Ask for the provider's raw transcript instead of the formatted one.
        :return: The segments, each with ``speaker`` and ``transcript`` plus timing fields.
        :raises MeetStreamNotReadyError: While MeetStream processes it (202), or when it has no
            segments yet; ``retry_after`` carries the server's hint. A streaming-only provider
            stays 202 for ever: bound every wait.
        """
        request = transcript_request(transcript_id, raw=raw)
        return transcript_segments(self._send(request), request)

    def remove_bot(self, bot_id: str) -> dict[str, Any]:
        """
        Make a bot leave its meeting (``GET /bots/{bot_id}/remove_bot``); its recording and transcript stay.

        :param bot_id: The bot.
        """
        return self._send(remove_bot_request(bot_id))


class AsyncBotsMixin:
    """The bots and transcripts endpoints of :class:`~.async_client.MeetStreamAsyncClient`."""

    if TYPE_CHECKING:

        async def _send(self, request: ApiRequest) -> dict[str, Any]: ...

    async def create_bot(
        self,
        meeting_link: str,
        *,
        bot_config: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """Async :meth:`BotsMixin.create_bot`."""
        request = create_bot_request(meeting_link, bot_config=bot_config, idempotency_key=idempotency_key)
        return created_bot(await self._send(request), request)

    async def get_bot_detail(self, bot_id: str) -> dict[str, Any]:
        """Async :meth:`BotsMixin.get_bot_detail`."""
        request = bot_detail_request(bot_id)
        return bot_detail(await self._send(request), request)

    async def list_transcriptions(self, bot_id: str) -> list[dict[str, Any]]:
        """Async :meth:`BotsMixin.list_transcriptions`."""
        request = transcriptions_request(bot_id)
        return transcriptions(await self._send(request), request)

    async def get_transcript(self, transcript_id: str, *, raw: bool = False) -> list[dict[str, Any]]:
        """Async :meth:`BotsMixin.get_transcript`."""
        request = transcript_request(transcript_id, raw=raw)
        return transcript_segments(await self._send(request), request)

    async def remove_bot(self, bot_id: str) -> dict[str, Any]:
        """Async :meth:`BotsMixin.remove_bot`."""
        return await self._send(remove_bot_request(bot_id))
