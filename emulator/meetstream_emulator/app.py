"""
The emulator's app: :func:`create_app` puts a backend behind MeetStream's API and the test controls.

Laid out as moto lays out a fake of a real API: the models (:mod:`~meetstream_emulator.events`,
:mod:`~meetstream_emulator.schedules`, :mod:`~meetstream_emulator.bots`,
:mod:`~meetstream_emulator.transcripts`, :mod:`~meetstream_emulator.recordings`) keep the state and
MeetStream's rules and know nothing of HTTP; the :class:`~meetstream_emulator.backend.Backend` holds
them and the clock; the routes (:mod:`~meetstream_emulator.api`, :mod:`~meetstream_emulator.controls`,
and :mod:`~meetstream_emulator.media` for the presigned links) turn requests into calls and answers; the
middleware (:mod:`~meetstream_emulator.traffic`) logs and breaks the API's traffic.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException

from meetstream_emulator import api, controls, media
from meetstream_emulator.backend import Backend
from meetstream_emulator.calendar import demo_calendar_template, read_calendar_file
from meetstream_emulator.inputs import ApiError
from meetstream_emulator.instance import Emulator
from meetstream_emulator.routing import NOT_FOUND
from meetstream_emulator.traffic import ApiTraffic, RequestIdMiddleware

DEFAULT_API_KEY = "emulator-key"


def load_calendar(calendar: Any) -> Any:
    """
    Turn the ``calendar`` argument of :func:`create_app` into calendar JSON.

    :param calendar: ``"demo"`` for the packaged demo, None for no events, a path to a JSON file,
        or the JSON itself (a list of events or ``{"events": [...]}``).
    """
    if calendar is None:
        return []
    if isinstance(calendar, str) and calendar == "demo":
        return demo_calendar_template()
    if isinstance(calendar, (str, Path)):
        return read_calendar_file(calendar)
    return calendar


def create_app(
    *,
    api_keys: Iterable[str] = (DEFAULT_API_KEY,),
    calendar: Any = "demo",
    join_lead_minutes: int = 3,
    conflict_mode: str = "update",
    enable_controls: bool = True,
) -> FastAPI:
    """
    Build the emulator's FastAPI app (its :class:`~.instance.Emulator` is ``app.state.emulator``).

    Any ASGI server can run the app, but connection counts and dropped connections need the emulator's
    own runner (:class:`~meetstream_emulator.server.EmulatorServer` or the command).

    :param api_keys: Accepted API keys, each its own tenant.
    :param calendar: See :func:`load_calendar`; the demo calendar by default.
    :param join_lead_minutes: How long before the start bots join.
    :param conflict_mode: ``update`` (repeat schedules update in place) or ``409``.
    :param enable_controls: Serve ``/_emulator``; turn off when the emulator is reachable by others.
    :raises ValueError: For a bad calendar or setting.
    """
    try:
        backend = Backend(
            calendar=load_calendar(calendar), join_lead_minutes=join_lead_minutes, conflict_mode=conflict_mode
        )
    except ApiError as exc:
        raise ValueError(exc.message) from None
    emulator = Emulator(backend, api_keys)
    # No redirect for a missing or extra trailing slash: an unknown path is a 404, as on the API (the
    # traffic middleware drops one trailing slash from an API path before routing).
    app = FastAPI(
        title="MeetStream emulator",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        redirect_slashes=False,
    )
    app.state.emulator = emulator
    # The last added runs first: every request gets its id, then the API's are logged and faulted.
    app.add_middleware(ApiTraffic, emulator=emulator)
    app.add_middleware(RequestIdMiddleware)
    _install_error_handlers(app)
    app.include_router(api.router)
    app.include_router(media.router)
    if enable_controls:
        app.include_router(controls.router)
    return app


def _install_error_handlers(app: FastAPI) -> None:
    # Every error body is {"message": ...}, like the API's, never FastAPI's {"detail": ...}; an unknown
    # path is 404 "Not found.", a known one with another method 405, and a validation error 400, never 422.
    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        message = NOT_FOUND if exc.status_code == 404 else str(exc.detail)
        return JSONResponse({"message": message}, status_code=exc.status_code, headers=exc.headers)

    async def validation_error(request: Request, exc: Exception) -> Response:
        return JSONResponse({"message": f"Invalid request: {exc}"}, status_code=400)

    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return JSONResponse(exc.body(), status_code=exc.status)

    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(ApiError, api_error)


__all__ = ["create_app", "load_calendar"]
