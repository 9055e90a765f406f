"""
What the emulator's routes share: path segments as ids, errors as JSON, and the request's dependencies.

Every answer that is not a success is ``{"message": ...}``, as MeetStream's are: a route raises
:class:`~meetstream_emulator.inputs.ApiError` for a status of the API's own, and a bug is logged
and answered 500 in the same shape rather than as uvicorn's text. An id in an API path is opaque:
one segment, whatever it holds once decoded (``a%2Fb``, ``x%3Fy``, ``a%0Ab``, ``%2E%2E``).
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Coroutine
from typing import Annotated, Any
from urllib.parse import unquote

from fastapi import Depends, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException

from meetstream_emulator.backend import Backend
from meetstream_emulator.inputs import ApiError
from meetstream_emulator.instance import Emulator

API_PREFIX = "/api/v1"
CONTROLS_PREFIX = "/_emulator"
NOT_FOUND = "Not found."
log = logging.getLogger(__name__)


class _Segment(Convertor[str]):
    # One path segment of an API path as the traffic middleware leaves it: decoded, but for "%" and
    # "/", which stay %25 and %2F, so that an id may hold a slash, a line break or anything else.
    regex = "[^/]+"

    def convert(self, value: str) -> str:
        return unquote(value)

    def to_string(self, value: str) -> str:
        return value.replace("%", "%25").replace("/", "%2F")


#: The convertor of an id in an API path, ``{bot_id:segment}``; Starlette's registry is one per
#: process, hence a name no other app would choose.
SEGMENT = "meetstream_emulator_segment"
register_url_convertor(SEGMENT, _Segment())


def escape_segment(decoded: str) -> str:
    """
    A decoded path segment as the routes match it: ``%`` and ``/`` escaped, the rest as it is.

    :param decoded: The percent-decoded segment.
    """
    return _Segment().to_string(decoded)


class ApiRoute(APIRoute):
    """A route whose unexpected errors are logged and answered 500 in JSON."""

    #: Exceptions answered 400 with their text (none for the API: there they are bugs).
    client_errors: tuple[type[Exception], ...] = ()

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        """The route's handler, with the house's error answers around it."""
        handle = super().get_route_handler()
        client_errors = self.client_errors

        async def answer(request: Request) -> Response:
            try:
                return await handle(request)
            except (ApiError, HTTPException, RequestValidationError):
                raise
            except client_errors as exc:
                return JSONResponse({"message": str(exc)}, status_code=400)
            except Exception as exc:  # the emulator must answer in JSON even when it has a bug
                log.exception("Emulator error on %s %s", request.method, request.url.path)
                return JSONResponse({"message": f"Internal emulator error: {exc!r}"}, status_code=500)

        return answer


class ControlRoute(ApiRoute):
    """A control's route: a ``ValueError`` or ``TypeError`` is the caller's mistake, answered 400."""

    client_errors = (ValueError, TypeError)


# The dependencies are coroutines, so that FastAPI runs them on the event loop, not in a thread.


def emulator_of(request: Request) -> Emulator:
    """The :class:`~meetstream_emulator.instance.Emulator` the request's app serves."""
    emulator: Emulator = request.app.state.emulator
    return emulator


async def _current_emulator(request: Request) -> Emulator:
    return emulator_of(request)


async def _current_backend(request: Request) -> Backend:
    return emulator_of(request).backend


async def authenticate(request: Request) -> str:
    """
    The caller's tenant, from ``Authorization: Token <api_key>``: 401 without one, 403 for a wrong key.

    Another scheme (``Bearer``) or an empty key is a 401 too.

    :param request: The API request.
    """
    header = request.headers.get("authorization")
    if not header:
        raise ApiError(401, "Authentication credentials were not provided.")
    scheme, _, key = header.strip().partition(" ")
    if scheme.lower() != "token" or not key.strip():
        raise ApiError(401, "Use the header 'Authorization: Token <api_key>'.")
    if key.strip() not in emulator_of(request).api_keys:
        raise ApiError(403, "Invalid API key.")
    return key.strip()


def json_object(body: bytes) -> dict[str, Any]:
    """
    A request body as a JSON object; {} when empty, a 400 for anything else.

    :param body: The raw body.
    """
    if not body.strip():
        return {}
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "The request body is not valid JSON.") from None
    if not isinstance(value, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    return value


async def body_object(request: Request) -> dict[str, Any]:
    """The request's body as a JSON object (see :func:`json_object`)."""
    return json_object(await request.body())


Tenant = Annotated[str, Depends(authenticate)]
Body = Annotated[dict[str, Any], Depends(body_object)]
CurrentBackend = Annotated[Backend, Depends(_current_backend)]
CurrentEmulator = Annotated[Emulator, Depends(_current_emulator)]
