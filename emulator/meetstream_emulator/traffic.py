"""
The middleware every request passes through: its id, and for the API the log, the faults and the path.

:class:`ApiTraffic` sees each ``/api/v1`` request before any route does: it logs it (credentials
masked), applies the fault plan, reads the raw path into segments as MeetStream's servers do, and
sends the route's answer on, or loses it, or drips it, as the plan says. Controls pass untouched.
"""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import quote, unquote

from fastapi.responses import JSONResponse, Response, StreamingResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from meetstream_emulator.calendar import format_instant
from meetstream_emulator.faults import ACT_THEN_DROP, DROP, FaultDecision
from meetstream_emulator.instance import Emulator
from meetstream_emulator.routing import API_PREFIX, escape_segment
from meetstream_emulator.wire import Peer, loggable_body, mask_headers


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


class ApiTraffic:
    """
    Logs, breaks and routes ``/api/v1`` requests; see the module's docstring.

    :param app: The wrapped ASGI app.
    :param emulator: The emulator whose log, faults and connections these are.
    """

    def __init__(self, app: ASGIApp, emulator: Emulator) -> None:
        self.app = app
        self.emulator = emulator

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass a control through; log an API request, apply the faults, route it on its raw path."""
        path = scope.get("path", "") if scope["type"] == "http" else ""
        if path != API_PREFIX and not path.startswith(API_PREFIX + "/"):
            await self.app(scope, receive, send)
            return
        emulator = self.emulator
        generation = emulator.generation
        raw_path = _raw_path(scope)
        body = await _body(receive)
        entry = emulator.requests.append(
            {
                "time": format_instant(emulator.backend.clock.now()),
                "method": scope["method"].upper(),
                "path": raw_path,
                "query": scope.get("query_string", b"").decode("latin-1"),
                "headers": mask_headers(scope.get("headers", []), emulator.api_keys),
                "body": loggable_body(body),
                "request_id": scope.get("state", {}).get("request_id"),
                "status": None,
                "latency_ms": 0.0,
            }
        )
        peer = _peer(scope)
        emulator.connections.mark_api(peer)
        plan = emulator.faults
        decision = plan.decide(entry["method"], raw_path) if plan is not None else None
        answer: Response | None = None
        if decision is not None:
            entry["fault"] = decision.kind
            answer = await self._injected(decision, entry, peer, receive)
        if answer is None and generation != emulator.generation:
            # A test reset the emulator while this request waited (an injected latency, a client
            # killed mid-call): acting now would leak one test's work into the next one's state.
            answer = JSONResponse({"message": "The emulator was reset while this request waited."}, 503)
        routed = _routed_path(raw_path) if answer is None else None
        if answer is None and routed is None:
            answer = JSONResponse({"message": "Path segments must be percent-encoded UTF-8."}, 400)
        if answer is not None:
            entry["status"] = entry["status"] or answer.status_code
            await answer(scope, receive, send)
            return
        start, content = await _run(self.app, {**scope, "path": routed}, body, receive)
        entry["status"] = start["status"]
        if decision is not None and decision.act_then_drop:
            # Acted on, then the answer is lost: what a client sees when a gateway or the network
            # fails between MeetStream's commit and the response reaching it.
            entry["status"], entry["acted_status"] = ACT_THEN_DROP, start["status"]
            await (await self._lost(peer, receive))(scope, receive, send)
        elif decision is not None and decision.drip_ms:
            await _dripped(start, content, decision.drip_ms)(scope, receive, send)
        else:
            await send(start)
            await send({"type": "http.response.body", "body": content})

    async def _injected(
        self, decision: FaultDecision, entry: dict[str, Any], peer: Peer | None, receive: Receive
    ) -> Response | None:
        # The latency, then the answer a fault gives instead of the route's, or None to go on.
        if decision.latency_ms:
            await asyncio.sleep(decision.latency_ms / 1000)
            entry["latency_ms"] = decision.latency_ms
        if decision.drop:
            entry["status"] = DROP
            return await self._lost(peer, receive)
        if decision.status is None:
            return None
        headers = {"Retry-After": decision.retry_after} if decision.retry_after else None
        return JSONResponse(
            {"message": f"Injected fault: {decision.status}."}, status_code=decision.status, headers=headers
        )

    async def _lost(self, peer: Peer | None, receive: Receive) -> Response:
        # The connection closed without an answer; under another server, which cannot, a 502.
        if not self.emulator.connections.abort(peer):
            return JSONResponse({"message": "Injected fault: the connection cannot be dropped here."}, 502)
        await _wait_for_disconnect(receive)
        return Response(status_code=204)


def _raw_path(scope: Scope) -> str:
    raw = scope.get("raw_path")
    # Servers that do not pass raw_path lose encoded slashes; re-encoding is the best left to do.
    return raw.decode("latin-1") if raw else quote(scope["path"])


def _routed_path(raw_path: str) -> str | None:
    """
    The path the routes match: dot segments resolved, each segment decoded but for ``%`` and ``/``.

    One trailing slash is dropped (``/calendar/events/`` is ``/calendar/events``); nothing is redirected.
    Only literal dots are dot segments: ``%2E%2E`` is an id, though ``requests`` sends it as ``..`` (it
    decodes ``%2E`` when it prepares a URL; ``httpx`` does not).

    :param raw_path: The path as received, percent-encoded.
    :return: None when a segment is not percent-encoded UTF-8.
    """
    parts: list[str] = []
    for part in raw_path[len(API_PREFIX) :].split("/")[1:]:
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
        segments = [escape_segment(unquote(part, errors="strict")) for part in parts]
    except UnicodeDecodeError:
        return None
    return API_PREFIX + "".join(f"/{segment}" for segment in segments)


async def _body(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    return b"".join(chunks)


async def _run(app: ASGIApp, scope: Scope, body: bytes, receive: Receive) -> tuple[Message, bytes]:
    # Runs the routes on the body read already, and keeps their whole answer for the faults to use.
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    start: Message = {}
    content: list[bytes] = []

    async def keep(message: Message) -> None:
        nonlocal start
        if message["type"] == "http.response.start":
            start = message
        elif message["type"] == "http.response.body":
            content.append(message.get("body", b""))

    await app(scope, replay, keep)
    return start, b"".join(content)


def _peer(scope: Scope) -> Peer | None:
    client = scope.get("client")
    return (str(client[0]), int(client[1])) if client else None


def _dripped(start: Message, body: bytes, drip_ms: float) -> Response:
    # The whole answer, status and headers at once, then the body one byte at a time over drip_ms:
    # a client reading with a per-read timeout never times out, only a whole-call deadline stops it.
    # At most one write a millisecond (a few bytes each for a long body), each at its due time, so
    # the drip lasts drip_ms however large the body: a write per byte of 5 KB took seconds.
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

    headers = {name.decode("latin-1"): value.decode("latin-1") for name, value in start["headers"]}
    return StreamingResponse(bytes_one_by_one(), status_code=start["status"], headers=headers)


async def _wait_for_disconnect(receive: Receive) -> None:
    # Returning before uvicorn notices the abort would make it log "returned without a response".
    async def drain() -> None:
        while (await receive())["type"] != "http.disconnect":
            pass

    with contextlib.suppress(asyncio.TimeoutError):
        await asyncio.wait_for(drain(), timeout=2)
