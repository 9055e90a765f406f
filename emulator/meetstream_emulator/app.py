"""The emulator's HTTP face: the FastAPI app, the ``/api/v1`` dispatcher and the ``/_emulator`` controls."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import uuid
from collections.abc import AsyncIterator, Callable, Iterable
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from fastapi import APIRouter, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.concurrency import run_in_threadpool
from starlette.convertors import Convertor, register_url_convertor
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from meetstream_emulator.bots import BOT_SETTINGS, Reply
from meetstream_emulator.calendar import (
    CalendarError,
    demo_calendar_template,
    format_instant,
    parse_instant,
    read_calendar_file,
)
from meetstream_emulator.inputs import ApiError
from meetstream_emulator.state import EmulatorState
from meetstream_emulator.wire import (
    ACT_THEN_DROP,
    DROP,
    ConnectionTracker,
    FaultPlan,
    RequestLog,
    loggable_body,
    mask_headers,
)

API_PREFIX = "/api/v1"
CONTROLS_PREFIX = "/_emulator"
DEFAULT_API_KEY = "emulator-key"
NOT_FOUND = "Not found."
log = logging.getLogger(__name__)

Action = Callable[[EmulatorState, str, str, dict[str, Any], "Query"], Any]


class Query(dict[str, str]):
    """
    A request's query parameters, with its headers beside them (lower-case names) for the few
    endpoints that read one, such as ``create_bot``'s ``Idempotency-Key``.
    """

    def __init__(self, params: Any, headers: Any) -> None:
        super().__init__(params)
        self.headers: dict[str, str] = {name.lower(): value for name, value in headers.items()}


# Path templates after /api/v1; None is one opaque, percent-decoded segment.
ROUTES: list[tuple[tuple[str | None, ...], dict[str, Action]]] = [
    (
        ("calendar", "schedule", None),
        {
            "POST": lambda s, tenant, event_id, body, q: s.schedule(tenant, event_id, body),
            "DELETE": lambda s, tenant, event_id, body, q: s.unschedule(tenant, event_id, body),
        },
    ),
    *(
        (
            (("calendar", alias)),
            {"GET": lambda s, tenant, _, body, q: s.list_scheduled(tenant, q.get("limit"))},
        )
        for alias in ("scheduled", "schedule", "scheduled_bots")
    ),
    *(
        (
            ("calendar", alias, None),
            {
                "PATCH": lambda s, tenant, bot_id, body, q: s.update_bot(tenant, bot_id, body),
                "DELETE": lambda s, tenant, bot_id, body, q: s.delete_bot(tenant, bot_id),
            },
        )
        for alias in ("scheduled", "scheduled_bots")
    ),
    (("calendar", "events"), {"GET": lambda s, tenant, _, body, q: s.list_events(tenant, q)}),
    (("bots", None, "status"), {"GET": lambda s, tenant, bot_id, body, q: s.bot_status(tenant, bot_id)}),
    (("bots", "create_bot"), {"POST": lambda s, tenant, _, body, q: s.create_bot(tenant, body, q.headers)}),
    (("bots", None, "detail"), {"GET": lambda s, tenant, bot_id, body, q: s.bot_detail(tenant, bot_id)}),
    (
        ("bots", None, "transcriptions"),
        {"GET": lambda s, tenant, bot_id, body, q: s.transcriptions(tenant, bot_id)},
    ),
    (("bots", None, "remove_bot"), {"GET": lambda s, tenant, bot_id, body, q: s.remove_bot(tenant, bot_id)}),
    (
        ("transcript", None, "get_transcript"),
        {"GET": lambda s, tenant, transcript_id, body, q: s.get_transcript(tenant, transcript_id, q)},
    ),
]


class Emulator:
    """
    One emulator instance: the state, the API keys, and the wire-level test controls.

    :param state: The store and domain logic.
    :param api_keys: Accepted API keys; each is its own tenant.
    """

    def __init__(self, state: EmulatorState, api_keys: Iterable[str]) -> None:
        self.state = state
        self.api_keys = frozenset(api_keys)
        if not self.api_keys:
            raise ValueError("The emulator needs at least one API key.")
        self.requests = RequestLog()
        self.connections = ConnectionTracker()
        self.faults: FaultPlan | None = None
        #: Counts resets: a request that arrived before one must not act on the state after it.
        self.generation = 0

    def reset(self, now: datetime | None = None) -> None:
        """
        Back to the state at startup: calendar, clock, config; no bots, schedules, log or faults.

        :param now: Freeze the clock at this aware instant and resolve the calendar against it;
            None restores the real-time clock.
        """
        self.generation += 1
        self.state.reset(now)
        self.requests.clear()
        self.faults = None
        self.connections.reset()

    async def handle_api(self, request: Request) -> Response:
        """
        Answer one ``/api/v1`` request: log it, apply faults, route on the raw path, authenticate.

        :param request: The incoming request.
        """
        generation = self.generation
        method = request.method.upper()
        raw_path = _raw_path(request.scope)
        body = await request.body()
        entry = self.requests.append(
            {
                "time": format_instant(self.state.clock.now()),
                "method": method,
                "path": raw_path,
                "query": request.scope.get("query_string", b"").decode("latin-1"),
                "headers": mask_headers(request.scope.get("headers", []), self.api_keys),
                "body": loggable_body(body),
                "request_id": request.state.request_id,
                "status": None,
                "latency_ms": 0.0,
            }
        )
        peer = _peer(request.scope)
        self.connections.mark_api(peer)
        plan = self.faults
        decision = plan.decide(method, raw_path) if plan is not None else None
        if decision is not None:
            entry["fault"] = decision.kind
            if decision.latency_ms:
                await asyncio.sleep(decision.latency_ms / 1000)
                entry["latency_ms"] = decision.latency_ms
            if decision.drop and self.connections.abort(peer):
                entry["status"] = DROP
                await _wait_for_disconnect(request)
                return Response(status_code=204)
            if decision.drop or decision.status is not None:
                status = decision.status or 502
                entry["status"] = status
                headers = {"Retry-After": decision.retry_after} if decision.retry_after else None
                message = (
                    f"Injected fault: {status}."
                    if not decision.drop
                    else "Injected fault: drop (unsupported)."
                )
                return JSONResponse({"message": message}, status_code=status, headers=headers)
        if generation != self.generation:
            # A test reset the emulator while this request waited (an injected latency, a client
            # killed mid-call): acting now would leak one test's work into the next one's state.
            return JSONResponse({"message": "The emulator was reset while this request waited."}, 503)
        response = self._answer(method, raw_path, body, request)
        entry["status"] = response.status_code
        if decision is not None and decision.act_then_drop:
            # Acted on, then the answer is lost: what a client sees when a gateway or the network
            # fails between MeetStream's commit and the response reaching it.
            entry["status"], entry["acted_status"] = ACT_THEN_DROP, response.status_code
            if self.connections.abort(peer):
                await _wait_for_disconnect(request)
                return Response(status_code=204)
            return JSONResponse({"message": "Injected fault: act_then_drop (unsupported)."}, status_code=502)
        if decision is not None and decision.drip_ms:
            return _dripped(response, decision.drip_ms)
        return response

    def _answer(self, method: str, raw_path: str, body: bytes, request: Request) -> Response:
        try:
            result = self._dispatch(method, raw_path, body, dict(request.query_params), request)
            return JSONResponse(result)
        except ApiError as exc:
            return JSONResponse(exc.body(), status_code=exc.status)
        except Exception as exc:  # the emulator must answer in JSON even when it has a bug
            log.exception("Emulator error on %s %s", method, raw_path)
            return JSONResponse({"message": f"Internal emulator error: {exc!r}"}, status_code=500)

    def _dispatch(
        self, method: str, raw_path: str, body: bytes, query: dict[str, str], request: Request
    ) -> dict[str, Any]:
        segments = _segments(raw_path[len(API_PREFIX) :])
        actions, param = _match(segments)
        action = actions.get(method)
        if action is None:
            raise ApiError(405, f"Method {method} is not allowed here; allowed: {sorted(actions)}.")
        tenant = self._authenticate(request.headers.get("authorization"))
        payload = _json_object(body) if method in ("POST", "PATCH", "DELETE") else {}
        result = action(self.state, tenant, param, payload, Query(query, request.headers))
        if isinstance(result, Reply):
            # A 201 or a 507 with its body: sent as an ApiError is, status and body as they are.
            raise result
        answer: dict[str, Any] = result
        return answer

    def _authenticate(self, header: str | None) -> str:
        if not header:
            raise ApiError(401, "Authentication credentials were not provided.")
        scheme, _, key = header.strip().partition(" ")
        if scheme.lower() != "token" or not key.strip():
            raise ApiError(401, "Use the header 'Authorization: Token <api_key>'.")
        if key.strip() not in self.api_keys:
            raise ApiError(403, "Invalid API key.")
        return key.strip()


def _raw_path(scope: Scope) -> str:
    raw = scope.get("raw_path")
    # Servers that do not pass raw_path lose encoded slashes; re-encoding is the best left to do.
    return raw.decode("latin-1") if raw else quote(scope["path"])


def _segments(path: str) -> list[str]:
    parts: list[str] = []
    for part in path.split("/")[1:] if path.startswith("/") else path.split("/"):
        # Literal dot segments are resolved, as proxies and real servers do (RFC 3986 5.2.4), so an
        # id sent as ".." instead of "%2E%2E" changes the path here just as it would in production.
        if part == "..":
            if parts:
                parts.pop()
        elif part != ".":
            parts.append(part)
    if len(parts) > 1 and parts[-1] == "":
        parts = parts[:-1]
    try:
        return [unquote(part, errors="strict") for part in parts]
    except UnicodeDecodeError:
        raise ApiError(400, "Path segments must be percent-encoded UTF-8.") from None


def _match(segments: list[str]) -> tuple[dict[str, Action], str]:
    for template, actions in ROUTES:
        if len(template) != len(segments):
            continue
        params = [seg for tmpl, seg in zip(template, segments, strict=True) if tmpl is None]
        if all(tmpl is None or tmpl == seg for tmpl, seg in zip(template, segments, strict=True)) and all(
            params
        ):
            return actions, params[0] if params else ""
    raise ApiError(404, NOT_FOUND)


def _json_object(body: bytes) -> dict[str, Any]:
    if not body.strip():
        return {}
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(400, "The request body is not valid JSON.") from None
    if not isinstance(value, dict):
        raise ApiError(400, "The request body must be a JSON object.")
    return value


def _peer(scope: Scope) -> tuple[str, int] | None:
    client = scope.get("client")
    return (str(client[0]), int(client[1])) if client else None


def _dripped(response: Response, drip_ms: float) -> Response:
    # The whole answer, status and headers at once, then the body one byte at a time over drip_ms:
    # a client reading with a per-read timeout never times out, only a whole-call deadline stops it.
    # At most one write a millisecond (a few bytes each for a long body), each at its due time, so
    # the drip lasts drip_ms however large the body: a write per byte of 5 KB took seconds.
    body = bytes(response.body)
    size = -(-len(body) // max(1, min(len(body), int(drip_ms))))
    pieces = [body[start : start + size] for start in range(0, len(body), size)]
    seconds = drip_ms / 1000

    async def bytes_one_by_one() -> AsyncIterator[bytes]:
        loop = asyncio.get_running_loop()
        started = loop.time()
        for index, piece in enumerate(pieces):
            if index:
                due = started + seconds * index / (len(pieces) - 1)
                await asyncio.sleep(max(0.0, due - loop.time()))
            yield piece

    return StreamingResponse(
        bytes_one_by_one(), status_code=response.status_code, headers=dict(response.headers)
    )


async def _wait_for_disconnect(request: Request) -> None:
    # Returning before uvicorn notices the abort would make it log "returned without a response".
    async def drain() -> None:
        while (await request.receive())["type"] != "http.disconnect":
            pass

    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(drain(), timeout=2)


class _AnyPathConvertor(Convertor[str]):
    # Starlette matches routes on the decoded path with "." patterns: its own "path" convertor is
    # ".*", which stops at a newline, so an id sent as "a%0Ab" never reached the dispatcher and got
    # the router's bare 404. The dispatcher routes on the raw path itself; this only lets it in.
    regex = "(?s:.*)"

    def convert(self, value: str) -> str:
        return value

    def to_string(self, value: str) -> str:
        return value


#: Starlette's convertors are one registry per process: a name no other app would choose.
_ANY_PATH = "meetstream_emulator_any_path"
register_url_convertor(_ANY_PATH, _AnyPathConvertor())


class RequestIdMiddleware:
    """
    Gives every request an id, visible to handlers as ``request.state.request_id``.

    :param app: The wrapped ASGI app.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Tag the request, then every response it produces with ``x-request-id``."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = f"req_{uuid.uuid4().hex}"
        scope.setdefault("state", {})["request_id"] = request_id

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, send_with_id)


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
    Build the emulator's FastAPI app; the :class:`Emulator` is at ``app.state.emulator``.

    :param api_keys: Accepted API keys, each its own tenant.
    :param calendar: See :func:`load_calendar`; the demo calendar by default.
    :param join_lead_minutes: How long before the start bots join.
    :param conflict_mode: ``update`` (repeat schedules update in place) or ``409``.
    :param enable_controls: Serve ``/_emulator``; turn off when the emulator is reachable by others.
    """
    try:
        state = EmulatorState(
            calendar=load_calendar(calendar), join_lead_minutes=join_lead_minutes, conflict_mode=conflict_mode
        )
    except ApiError as exc:
        raise ValueError(exc.message) from None
    emulator = Emulator(state, api_keys)
    # No redirect for a missing or extra trailing slash: an unknown path is a 404, as on the API.
    app = FastAPI(
        title="MeetStream emulator",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        redirect_slashes=False,
    )
    app.state.emulator = emulator
    app.add_middleware(RequestIdMiddleware)
    _install_error_handlers(app)

    async def api(request: Request) -> Response:
        return await emulator.handle_api(request)

    # The bare prefix goes to the dispatcher too, which answers it 404 like any unknown API path.
    for path in (API_PREFIX, API_PREFIX + "/{rest:" + _ANY_PATH + "}"):
        app.add_api_route(
            path, api, methods=["GET", "POST", "PUT", "PATCH", "DELETE"], include_in_schema=False
        )

    if enable_controls:
        app.include_router(controls_router(emulator))
    return app


def _install_error_handlers(app: FastAPI) -> None:
    # Every error body is {"message": ...}, like the API's, never FastAPI's {"detail": ...}.
    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        message = NOT_FOUND if exc.status_code == 404 else str(exc.detail)
        return JSONResponse({"message": message}, status_code=exc.status_code)

    async def validation_error(request: Request, exc: Exception) -> Response:
        return JSONResponse({"message": f"Invalid request: {exc}"}, status_code=400)

    async def api_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiError)
        return JSONResponse(exc.body(), status_code=exc.status)

    app.add_exception_handler(StarletteHTTPException, http_error)
    app.add_exception_handler(RequestValidationError, validation_error)
    app.add_exception_handler(ApiError, api_error)


async def _control_body(request: Request) -> dict[str, Any]:
    return _json_object(await request.body())


def controls_router(emulator: Emulator) -> APIRouter:
    """
    The ``/_emulator`` test controls (no authentication).

    :param emulator: The instance the controls act on.
    """
    router = APIRouter(prefix=CONTROLS_PREFIX, include_in_schema=False)
    state = emulator.state

    Control = Callable[[dict[str, Any]], dict[str, Any]]

    def handler(method: str, path: str) -> Callable[[Control], Control]:
        def register(function: Control) -> Control:
            async def endpoint(request: Request) -> Response:
                body = await _control_body(request) if method in ("POST", "DELETE") else {}
                try:
                    # In a worker thread: loading a calendar expands every series, and refusing a
                    # bad rule imports Airflow once; API requests keep being answered meanwhile.
                    return JSONResponse(await run_in_threadpool(function, body))
                except ApiError as exc:
                    return JSONResponse(exc.body(), status_code=exc.status)
                except (ValueError, TypeError) as exc:
                    return JSONResponse({"message": str(exc)}, status_code=400)
                except Exception as exc:  # answer in JSON, with the request id, even on a bug
                    log.exception("Emulator control %s %s failed", method, path)
                    return JSONResponse({"message": f"Internal emulator error: {exc!r}"}, status_code=500)

            router.add_api_route(path, endpoint, methods=[method])
            return function

        return register

    @handler("POST", "/reset")
    def reset(body: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(body) - {"now"})
        if unknown:
            raise ValueError(
                f'Unknown reset fields: {unknown}; send {{}} or {{"now": "<ISO 8601 instant>"}}.'
            )
        now = None
        if body.get("now") is not None:
            try:
                now = parse_instant(body["now"], "now")
            except CalendarError as exc:
                raise ValueError(str(exc)) from None
        emulator.reset(now)
        return {"reset": True, "now": format_instant(state.clock.now()), "events": len(state.all_events())}

    @handler("GET", "/events")
    def events(body: dict[str, Any]) -> dict[str, Any]:
        return {"events": state.all_events()}

    @handler("POST", "/events")
    def load_events(body: dict[str, Any]) -> dict[str, Any]:
        if "events" not in body:
            raise ValueError('Send {"events": [...], "replace": true|false}.')
        replace = body.get("replace", True)
        if not isinstance(replace, bool):
            raise ValueError("replace must be a boolean.")
        return state.load_events(body["events"], replace=replace)

    def instant_field(body: dict[str, Any], name: str, *, required: bool = True) -> Any:
        if body.get(name) is None and not required:
            return None
        try:
            return parse_instant(body.get(name), name)
        except CalendarError as exc:
            raise ValueError(str(exc)) from None

    def flag(body: dict[str, Any], name: str) -> bool:
        value = body.get(name, True)
        if not isinstance(value, bool):
            raise ValueError(f"{name} must be a boolean.")
        return value

    def event_id_of(body: dict[str, Any]) -> str:
        event_id = body.get("event_id")
        if not isinstance(event_id, str) or not event_id:
            raise ValueError("event_id must be a non-empty string.")
        return event_id

    @handler("POST", "/calendar/move")
    def move_event(body: dict[str, Any]) -> dict[str, Any]:
        return state.move_event(
            event_id_of(body),
            instant_field(body, "start_time"),
            instant_field(body, "end_time", required=False),
            instant_field(body, "occurrence", required=False),
        )

    @handler("POST", "/calendar/cancel")
    def cancel_occurrence(body: dict[str, Any]) -> dict[str, Any]:
        return state.cancel_occurrence(
            event_id_of(body), instant_field(body, "occurrence"), drop_schedules=flag(body, "drop_schedules")
        )

    @handler("POST", "/calendar/delete")
    def delete_event(body: dict[str, Any]) -> dict[str, Any]:
        return state.delete_event(event_id_of(body), drop_schedules=flag(body, "drop_schedules"))

    @handler("GET", "/requests")
    def requests(body: dict[str, Any]) -> dict[str, Any]:
        return {"requests": emulator.requests.entries()}

    @handler("DELETE", "/requests")
    def clear_requests(body: dict[str, Any]) -> dict[str, Any]:
        return {"cleared": emulator.requests.clear()}

    @handler("GET", "/clock")
    def clock(body: dict[str, Any]) -> dict[str, Any]:
        return state.clock.snapshot()

    @handler("POST", "/clock/set")
    def set_clock(body: dict[str, Any]) -> dict[str, Any]:
        try:
            state.clock.set(parse_instant(body.get("now"), "now"))
        except CalendarError as exc:
            raise ValueError(str(exc)) from None
        return state.clock.snapshot()

    @handler("POST", "/clock/advance")
    def advance_clock(body: dict[str, Any]) -> dict[str, Any]:
        seconds = body.get("seconds")
        if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
            raise ValueError("seconds must be a number.")
        state.clock.advance(float(seconds))
        return state.clock.snapshot()

    @handler("POST", "/clock/run")
    def run_clock(body: dict[str, Any]) -> dict[str, Any]:
        state.clock.run()
        return state.clock.snapshot()

    @handler("GET", "/config")
    def config(body: dict[str, Any]) -> dict[str, Any]:
        return state.config()

    @handler("POST", "/config")
    def set_config(body: dict[str, Any]) -> dict[str, Any]:
        unknown = sorted(set(body) - {"conflict_mode", "join_lead_minutes", *BOT_SETTINGS})
        if unknown:
            raise ValueError(f"Unknown settings: {unknown}.")
        return state.set_config(**body)

    @handler("POST", "/bots/outcome")
    def bot_outcome(body: dict[str, Any]) -> dict[str, Any]:
        bot_id = body.get("bot_id")
        if not isinstance(bot_id, str) or not bot_id:
            raise ValueError("bot_id must be a non-empty string.")
        return state.set_bot_outcome(bot_id, body)

    @handler("GET", "/faults")
    def faults(body: dict[str, Any]) -> dict[str, Any]:
        plan = emulator.faults
        return {"faults": plan.to_json() if plan is not None else None}

    @handler("POST", "/faults")
    def set_faults(body: dict[str, Any]) -> dict[str, Any]:
        emulator.faults = FaultPlan.from_json(body)
        return {"faults": emulator.faults.to_json()}

    @handler("DELETE", "/faults")
    def clear_faults(body: dict[str, Any]) -> dict[str, Any]:
        emulator.faults = None
        return {"faults": None}

    @handler("GET", "/connections")
    def connections(body: dict[str, Any]) -> dict[str, Any]:
        return emulator.connections.snapshot()

    @handler("GET", "/state")
    def dump(body: dict[str, Any]) -> dict[str, Any]:
        return state.dump()

    return router


__all__ = ["Emulator", "create_app", "load_calendar"]
