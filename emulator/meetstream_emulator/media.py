"""
The presigned media links, ``/_media/<token>``: a recording streamed to whoever holds its link.

Outside ``/api/v1``: no API key, never in the request log, never faulted (the traffic middleware
passes it untouched), and served with the controls turned off too. The rules (expiry, retention, no
second credential) are :mod:`meetstream_emulator.recordings`'.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import StreamingResponse

from meetstream_emulator.recordings import MEDIA_PREFIX
from meetstream_emulator.routing import ApiRoute, CurrentBackend

router = APIRouter(prefix=MEDIA_PREFIX, route_class=ApiRoute, include_in_schema=False)


@router.get("/{token}")
async def download(token: str, request: Request, backend: CurrentBackend) -> StreamingResponse:
    """
    Stream the recording a link opens, in chunks, with its ``Content-Length``.

    400 with an ``Authorization`` header, 403 for a forged or expired link, 404 once the data is deleted.
    """
    with backend.lock:
        found = backend.recordings.download(token, request.headers, backend.clock.now(), backend.bots.find)
    # The body is read after the lock is released, a chunk at a time: never whole in memory.
    return StreamingResponse(
        found.chunks(), media_type=found.content_type, headers={"Content-Length": str(found.size)}
    )
