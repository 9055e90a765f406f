"""One attempt of either client: send, read the answer in chunks within the budget and a cap, classify."""

from __future__ import annotations

# Nothing of requests, urllib3 or httpx is imported at the top: the async client (in the triggerer)
# needs only httpx, the hook only requests; each is imported by the function that uses it.
import contextlib
import functools
import http.client
import io
from collections.abc import Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from airflow_provider_meetstream.constants import MAX_BODY_BYTES
from airflow_provider_meetstream.exceptions import MeetStreamAPIError
from airflow_provider_meetstream.hooks.errors import TransportFailure, handle_answer, transport_failure

if TYPE_CHECKING:
    import socket

    import httpx
    import requests

    from airflow_provider_meetstream.hooks.config import ClientConfig
    from airflow_provider_meetstream.hooks.policy import Budget
    from airflow_provider_meetstream.hooks.wire import Answer, ApiRequest

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


#: The budget of the attempt this thread is sending, for the answer's reads to end within. A context
#: variable because http.client builds the answer deep inside ``Session.send``, out of our reach.
_SENDING: ContextVar[Budget | None] = ContextVar("meetstream_sending", default=None)


class _BudgetedReader(io.RawIOBase):
    # The socket file of one answer. The read timeout bounds each read alone, so a server sending
    # its status line and headers a line at a time, each within it, held a call for as long as it
    # liked: here no read waits past the deadline, and none starts after it.
    def __init__(self, file: io.RawIOBase, sock: socket.socket, budget: Budget) -> None:
        super().__init__()
        self._file, self._sock, self._budget = file, sock, budget
        self._timeout = sock.gettimeout()  # the read timeout urllib3 set for this answer

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        left = self._budget.remaining()
        if left <= 0:
            # A socket timeout, so that urllib3 and requests handle it as the read timeout it is.
            raise TimeoutError(f"no answer within the call's deadline of {self._budget.seconds:g} s")
        if self._timeout is not None and left >= self._timeout:
            return self._file.readinto(buffer)  # the read timeout ends first: nothing to change
        self._sock.settimeout(left)
        try:
            return self._file.readinto(buffer)
        finally:
            # The next request on this pooled connection sends with the timeout it always had.
            with contextlib.suppress(OSError):
                self._sock.settimeout(self._timeout)

    def fileno(self) -> int:
        return self._file.fileno()

    def close(self) -> None:
        if not self.closed:
            self._file.close()  # releases the socket as http.client's own file would
        super().close()


class _BudgetedResponse(http.client.HTTPResponse):
    # Built by http.client for each answer (and for a proxy's CONNECT answer): while an attempt of
    # ours is sending, its reads, headers and body, go through a _BudgetedReader.
    def __init__(self, sock: socket.socket, *args: Any, **kwargs: Any) -> None:
        super().__init__(sock, *args, **kwargs)
        budget = _SENDING.get()
        if budget is not None:
            # The file http.client opened, unread, unwrapped: it keeps the socket open as before.
            self.fp = io.BufferedReader(_BudgetedReader(self.fp.detach(), sock, budget))


class _BudgetedConnection:
    # Put before the pool's own connection class (HTTP, HTTPS, SOCKS): only the answers change.
    response_class = _BudgetedResponse


@functools.cache
def _budgeted(connection_class: type[Any]) -> type[Any]:
    return type(f"Budgeted{connection_class.__name__}", (_BudgetedConnection, connection_class), {})


def _budget_the_pool(
    session: requests.Session, prepared: requests.PreparedRequest, settings: Mapping[str, Any]
) -> None:
    from requests.adapters import HTTPAdapter
    from urllib3.connectionpool import HTTPConnectionPool

    # The pool this request will use, as HTTPAdapter.send finds it (the same cached object), makes
    # its new connections budgeted ones. Done before the pool's first connection, it covers all of
    # them; the pooling itself is urllib3's, unchanged.
    url = prepared.url or ""
    adapter = session.get_adapter(url)
    if not isinstance(adapter, HTTPAdapter):
        return  # a test's mock adapter: no sockets to bound
    proxies, cert = settings.get("proxies"), settings.get("cert")
    if hasattr(adapter, "get_connection_with_tls_context"):
        pool = adapter.get_connection_with_tls_context(prepared, settings.get("verify", True), proxies, cert)
    else:  # requests before 2.32.2
        pool = adapter.get_connection(url, proxies)
    if isinstance(pool, HTTPConnectionPool) and not issubclass(pool.ConnectionCls, _BudgetedConnection):
        pool.ConnectionCls = _budgeted(pool.ConnectionCls)


def send_within(
    session: requests.Session,
    prepared: requests.PreparedRequest,
    budget: Budget,
    timeout: tuple[float, float],
    settings: Mapping[str, Any],
) -> requests.Response:
    """
    Send ``prepared``, streamed, no redirect followed, each socket read ending within ``budget``.

    The status line and headers are read here; the caller reads the body, which the same
    budgeted reads serve, and closes the response.

    :param session: A session with ``requests``' own HTTP adapter (or a test's mock adapter).
    :param prepared: The request as it goes on the wire.
    :param budget: The time the call has left.
    :param timeout: The connect and read timeouts, each no longer than what is left.
    :param settings: The environment's CA bundle and proxies for this URL.
    """
    sending = _SENDING.set(budget)
    try:
        _budget_the_pool(session, prepared, settings)
        return session.send(prepared, timeout=timeout, allow_redirects=False, **{**settings, "stream": True})
    finally:
        _SENDING.reset(sending)


def send_once(
    session: requests.Session,
    prepared: requests.PreparedRequest,
    request: ApiRequest,
    config: ClientConfig,
    budget: Budget,
    settings: Mapping[str, Any],
) -> dict[str, Any]:
    """
    Make one attempt at ``request``; the answer decoded, or a typed or retryable error.

    No timeout runs past the call's budget: each read of the status line, the headers and the body
    waits at most what is left of it, so a server dripping any of them is cut off at the deadline
    rather than after each read's timeout; the body is streamed in chunks, checked between reads.

    :param session: The hook's pooled session.
    :param prepared: The request as it goes on the wire.
    :param request: The request, for errors and decoding.
    :param config: The connection's settings.
    :param budget: The time the call has left.
    :param settings: The environment's CA bundle and proxies, read once per session.
    """
    import requests

    left = budget.remaining()
    timeout = (min(config.connect_timeout, left), min(config.read_timeout, left))
    failure: Exception | None = None
    try:
        response = send_within(session, prepared, budget, timeout, settings)
    except (
        # No answer, or an answer cut off mid-body: worth another attempt (TLS failures excepted).
        requests.ConnectionError,
        requests.Timeout,
        requests.exceptions.ChunkedEncodingError,
        requests.exceptions.ContentDecodingError,
    ) as err:
        sent = not never_sent(err)
        if budget.remaining() <= 0:
            # Whatever read or connect the deadline cut short, the deadline is what ended it.
            failure = budget.out_of_time(sent=sent)
        else:
            failure = transport_failure(err, request, retryable=True, sent=sent, secret=config.api_key)
    except requests.RequestException as err:
        failure = transport_failure(err, request, retryable=False, secret=config.api_key)
    if failure is not None:
        # Raised outside the except block, so no __context__ keeps the request and its headers.
        raise failure
    try:
        text = _read_body(response, request, budget)
    finally:
        # Back to the pool (or closed when unread): a blocking pool must never lose a connection.
        response.close()
    return handle_answer(response.status_code, response.headers, text, request, config.api_key)


def never_sent(error: requests.RequestException) -> bool:
    """
    Tell whether a failed request certainly never reached MeetStream: no connection was made.

    :param error: The ``requests`` exception.
    """
    import requests
    import urllib3

    if isinstance(error, requests.ConnectTimeout):
        return True
    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError)


def _read_body(response: requests.Response, request: ApiRequest, budget: Budget) -> str:
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


async def _aread_body(response: httpx.Response, request: ApiRequest, budget: Budget) -> str:
    """
    Read a streamed ``httpx`` answer in chunks: the async :func:`_read_body`.

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


async def asend_once(
    client: httpx.AsyncClient, request: ApiRequest, config: ClientConfig, budget: Budget
) -> Answer:
    """
    Make one attempt at ``request`` on the async client: :func:`send_once` for ``httpx``.

    :param client: The async client's pooled ``httpx.AsyncClient``.
    :param request: The request.
    :param config: The connection's settings.
    :param budget: The time the call has left.
    """
    import httpx

    left = budget.remaining()
    timeout = httpx.Timeout(min(config.read_timeout, left), connect=min(config.connect_timeout, left))
    failure: Exception | None = None
    try:
        async with client.stream(
            request.method,
            request.url(config.base_url),
            json=request.body,
            headers=request.headers,
            timeout=timeout,
        ) as response:
            text = await _aread_body(response, request, budget)
    except httpx.UnsupportedProtocol as err:
        failure = transport_failure(err, request, retryable=False, secret=config.api_key)
    except (httpx.ConnectError, httpx.ConnectTimeout) as err:
        failure = transport_failure(err, request, retryable=True, sent=False, secret=config.api_key)
    except (httpx.TransportError, httpx.DecodingError) as err:
        failure = transport_failure(err, request, retryable=True, secret=config.api_key)
    if failure is not None:
        raise failure
    return handle_answer(response.status_code, response.headers, text, request, config.api_key)
