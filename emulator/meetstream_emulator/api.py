"""
MeetStream's API, ``/api/v1``, as FastAPI routes: each checks the caller, asks one model, and answers.

An id in a path is one segment whatever it holds (``{bot_id:...segment}``, see
:mod:`~meetstream_emulator.routing`). A route holds the backend's lock while it asks the models, and
picks the status of a success that is not a 200 (a model's None is "still processing", a 202); the
models raise the errors.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from meetstream_emulator.backend import Backend
from meetstream_emulator.inputs import ApiError
from meetstream_emulator.routing import API_PREFIX, SEGMENT, ApiRoute, Body, CurrentBackend, Tenant

router = APIRouter(prefix=API_PREFIX, route_class=ApiRoute, include_in_schema=False)
EVENT = "/calendar/schedule/{event_id:" + SEGMENT + "}"
SCHEDULED_BOT = "/{bot_id:" + SEGMENT + "}"
BOT = "/bots/{bot_id:" + SEGMENT + "}"


# -- the calendar ---------------------------------------------------------------------------------


@router.get("/calendar/events")
async def list_events(request: Request, tenant: Tenant, backend: CurrentBackend) -> Any:
    """One page of the calendar's events in a window, each with the caller's bots."""
    with backend.lock:
        return backend.events.page(tenant, request.query_params, backend.schedules.bots_of)


@router.post(EVENT)
async def schedule_event(event_id: str, tenant: Tenant, body: Body, backend: CurrentBackend) -> Any:
    """Schedule a bot for an event, one occurrence of a series, or the whole series."""
    with backend.lock:
        return backend.schedules.schedule(tenant, event_id, body)


@router.delete(EVENT)
async def unschedule_event(event_id: str, tenant: Tenant, body: Body, backend: CurrentBackend) -> Any:
    """Cancel an event's schedules: one, all of a series', or those from a date."""
    with backend.lock:
        return backend.schedules.unschedule(tenant, event_id, body)


# MeetStream's docs name the listing three ways and a scheduled bot two; all of them answer.
@router.get("/calendar/scheduled")
@router.get("/calendar/schedule")
@router.get("/calendar/scheduled_bots")
async def list_scheduled(tenant: Tenant, backend: CurrentBackend, limit: str | None = None) -> Any:
    """The caller's bots that have not joined yet, by join time."""
    with backend.lock:
        return backend.scheduled_bots.listing(tenant, limit)


@router.patch("/calendar/scheduled" + SCHEDULED_BOT)
@router.patch("/calendar/scheduled_bots" + SCHEDULED_BOT)
async def update_scheduled_bot(bot_id: str, tenant: Tenant, body: Body, backend: CurrentBackend) -> Any:
    """Move a scheduled bot, rename it, or merge its custom attributes."""
    with backend.lock:
        return backend.scheduled_bots.update(tenant, bot_id, body)


@router.delete("/calendar/scheduled" + SCHEDULED_BOT)
@router.delete("/calendar/scheduled_bots" + SCHEDULED_BOT)
async def delete_scheduled_bot(bot_id: str, tenant: Tenant, body: Body, backend: CurrentBackend) -> Any:
    """Delete a bot that has not joined, and its schedules."""
    with backend.lock:
        return backend.scheduled_bots.delete(tenant, bot_id)


# -- bots and transcripts -------------------------------------------------------------------------


@router.post("/bots/create_bot")
async def create_bot(request: Request, tenant: Tenant, body: Body, backend: CurrentBackend) -> Any:
    """Send a bot to a meeting by its link: 201, or 507 with the original bot for a replayed key."""
    with backend.lock:
        bot, replayed = backend.bots.create(tenant, body, request.headers)
        answer = bot.created_answer(backend.clock.now())
    if replayed:
        return JSONResponse({**answer, "message": "Replayed: the original bot."}, status_code=507)
    return JSONResponse({**answer, "message": "Bot created."}, status_code=201)


@router.get(BOT + "/status")
async def bot_status(bot_id: str, tenant: Tenant, backend: CurrentBackend) -> Any:
    """A bot's status by the emulator's clock; a cancelled bot still answers."""
    with backend.lock:
        return backend.bots.get(tenant, bot_id, include_cancelled=True).status_answer(backend.clock.now())


@router.get(BOT + "/detail")
async def bot_detail(bot_id: str, tenant: Tenant, backend: CurrentBackend) -> Any:
    """A bot's whole record, its transcript id among it."""
    with backend.lock:
        return backend.bots.get(tenant, bot_id, include_cancelled=True).detail_answer(backend.clock.now())


@router.get(BOT + "/remove_bot")
async def remove_bot(bot_id: str, tenant: Tenant, backend: CurrentBackend) -> Any:
    """Make a bot in its meeting leave now (a GET, as on MeetStream)."""
    with backend.lock:
        return backend.bots.remove(tenant, bot_id)


@router.get(BOT + "/transcriptions")
async def transcriptions(bot_id: str, tenant: Tenant, backend: CurrentBackend) -> Any:
    """A bot's transcript and its state: ``processing``, ``completed`` or ``failed``."""
    with backend.lock:
        bot = backend.bots.get(tenant, bot_id, include_cancelled=True)
        return backend.transcripts.listing(bot, backend.clock.now())


@router.get("/transcript/{transcript_id:" + SEGMENT + "}/get_transcript")
async def get_transcript(
    transcript_id: str, tenant: Tenant, backend: CurrentBackend, raw: str = "false"
) -> Any:
    """A transcript's segments: 202 while it is processing, then 200 (``raw`` answers the same)."""
    if raw.lower() not in ("true", "false"):
        raise ApiError(400, "raw must be true or false.")
    with backend.lock:
        segments = backend.transcripts.segments(tenant, transcript_id, backend.clock.now())
    if segments is None:
        body = {"message": "Transcript is still processing.", "transcript_id": transcript_id}
        return JSONResponse(body, status_code=202)
    return segments


# -- the workspace's bots and the meeting's data --------------------------------------------------


@router.get("/bots")
async def list_bots(request: Request, tenant: Tenant, backend: CurrentBackend) -> Any:
    """One page of the caller's bots, newest first, ``Cancelled`` ones too."""
    with backend.lock:
        return backend.bot_listing.page(tenant, request.query_params)


@router.get(BOT + "/get_participants")
async def get_participants(bot_id: str, tenant: Tenant, backend: CurrentBackend) -> Any:
    """The people of a bot's meeting, with their join and leave times: 202 until the bot is ``Done``."""
    with backend.lock:
        bot = backend.bots.get(tenant, bot_id, include_cancelled=True)
        return _processed(backend.recordings.participants(bot, backend.clock.now()), bot_id)


@router.get(BOT + "/get_speaker_timeline")
async def get_speaker_timeline(bot_id: str, tenant: Tenant, backend: CurrentBackend) -> Any:
    """Who spoke when, one entry per transcript segment: 202 until the bot is ``Done``."""
    with backend.lock:
        bot = backend.bots.get(tenant, bot_id, include_cancelled=True)
        return _processed(backend.recordings.speaker_timeline(bot, backend.clock.now()), bot_id)


@router.get(BOT + "/get_audio")
async def get_audio(bot_id: str, request: Request, tenant: Tenant, backend: CurrentBackend) -> Any:
    """A presigned link to the meeting's audio (WAV): 202 until the bot is ``Done``."""
    return _media_link(bot_id, "audio", request, tenant, backend)


@router.get(BOT + "/get_video")
async def get_video(bot_id: str, request: Request, tenant: Tenant, backend: CurrentBackend) -> Any:
    """A presigned link to the meeting's video (MP4): 202 until the bot is ``Done``."""
    return _media_link(bot_id, "video", request, tenant, backend)


def _media_link(bot_id: str, kind: str, request: Request, tenant: str, backend: Backend) -> Any:
    # The link points at the host the request came to, so that it works behind any address.
    with backend.lock:
        bot = backend.bots.get(tenant, bot_id, include_cancelled=True)
        link = backend.recordings.link(bot, kind, backend.clock.now(), str(request.base_url))
    return _processed(link, bot_id)


def _processed(answer: Any, bot_id: str) -> Any:
    if answer is None:
        body = {"message": "The meeting's data is still processing.", "bot_id": bot_id}
        return JSONResponse(body, status_code=202)
    return answer
