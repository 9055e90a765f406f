"""Reading an answer's body in chunks, within the call's time budget and a size cap, for both clients."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_meetstream.constants import MAX_BODY_BYTES
from airflow_provider_meetstream.exceptions import MeetStreamAPIError
from airflow_provider_meetstream.hooks.errors import TransportFailure

if TYPE_CHECKING:
    import httpx
    import requests

    from airflow_provider_meetstream.hooks.builders import ApiRequest
    from airflow_provider_meetstream.hooks.policy import Budget

#: Bytes asked for per read; a read returns what has arrived, up to this, so a slow drip cannot
#: hold a read open past the deadline check.
CHUNK_BYTES = 64 * 1024


class BodyReader:
    """
    Collect one answer's decoded body, checking the time left and the size between reads.

    Size counts decoded bytes, so a small compressed answer that inflates past the cap (a gzip
    bomb) is stopped too.

    :param request: The request answered, for the errors.
    :param status: The answer's status, for the errors.
    :param budget: The call's time budget.
    :param cap: The most bytes read.
    """

    def __init__(self, request: ApiRequest, status: int, budget: Budget, cap: int = MAX_BODY_BYTES) -> None:
        self.request = request
        self.status = status
        self.budget = budget
        self.cap = cap
        self._chunks: list[bytes] = []
        self._size = 0

    def check_declared(self, headers: Any) -> None:
        """Refuse at once an uncompressed body whose ``Content-Length`` is already past the cap."""
        declared = str(headers.get("content-length") or "")
        if declared.isdigit() and not headers.get("content-encoding") and int(declared) > self.cap:
            raise self._too_large()

    def check_time(self) -> None:
        """Raise when the call's deadline has passed, mid-body."""
        if self.budget.remaining() <= 0:
            raise self.cut_off()

    def cut_off(self) -> TransportFailure:
        """The failure of a body the deadline cut short."""
        return TransportFailure(
            f"the answer did not arrive in full within the call's deadline of {self.budget.seconds:g} s"
        )

    def add(self, chunk: bytes) -> None:
        """Keep one chunk; past the cap, stop with an error."""
        self._size += len(chunk)
        if self._size > self.cap:
            raise self._too_large()
        self._chunks.append(chunk)

    def text(self, encoding: str | None) -> str:
        """The body as text; JSON is UTF-8 unless the answer says otherwise."""
        return b"".join(self._chunks).decode(encoding or "utf-8", errors="replace")

    def _too_large(self) -> MeetStreamAPIError:
        return MeetStreamAPIError(
            f"the answer is larger than {self.cap // (1024 * 1024)} MiB; stopped reading it",
            status_code=self.status,
            method=self.request.method,
            path=self.request.path,
        )


def read_body(response: requests.Response, request: ApiRequest, budget: Budget) -> str:
    """
    Read a streamed ``requests`` answer in chunks; the caller closes the response.

    :param response: An answer sent with ``stream=True``.
    :param request: The request answered.
    :param budget: The call's time budget.
    :raises TransportFailure: When the body is cut off, or the deadline passes mid-body.
    :raises MeetStreamAPIError: When the body, decoded, is larger than the cap.
    """
    import urllib3

    reader = BodyReader(request, response.status_code, budget)
    reader.check_declared(response.headers)
    while True:
        reader.check_time()
        try:
            chunk = response.raw.read1(CHUNK_BYTES, decode_content=True)
        except (urllib3.exceptions.HTTPError, OSError) as err:
            # A read the deadline ended (the transport caps each at the time left) says so.
            spent = budget.remaining() <= 0
            failure = reader.cut_off() if spent else TransportFailure(f"{type(err).__name__}: {err}"[:300])
        else:
            if not chunk:
                return reader.text(response.encoding)
            reader.add(chunk)
            continue
        # Raised outside the except block, so no __context__ keeps the connection and its request.
        raise failure


async def aread_body(response: httpx.Response, request: ApiRequest, budget: Budget) -> str:
    """
    Read a streamed ``httpx`` answer in chunks: the async :func:`read_body`.

    :param response: An answer from ``AsyncClient.stream``.
    :param request: The request answered.
    :param budget: The call's time budget.
    """
    reader = BodyReader(request, response.status_code, budget)
    reader.check_declared(response.headers)
    async for chunk in response.aiter_bytes(CHUNK_BYTES):
        reader.add(chunk)
        reader.check_time()
    return reader.text(response.charset_encoding)
