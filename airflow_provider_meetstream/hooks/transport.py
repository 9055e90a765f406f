"""One attempt of the sync hook: send on the pooled session, read the answer within the budget, classify."""

from __future__ import annotations

import contextlib
import functools
import http.client
import io
from collections.abc import Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.connectionpool import HTTPConnectionPool

from airflow_provider_meetstream.hooks.body import read_body
from airflow_provider_meetstream.hooks.errors import handle_answer, transport_failure

if TYPE_CHECKING:
    import socket

    from airflow_provider_meetstream.hooks.builders import ApiRequest
    from airflow_provider_meetstream.hooks.config import ClientConfig
    from airflow_provider_meetstream.hooks.policy import Budget

#: No answer, or an answer cut off mid-body: worth another attempt (TLS failures excepted).
RETRYABLE_REQUESTS_ERRORS = (
    requests.ConnectionError,
    requests.Timeout,
    requests.exceptions.ChunkedEncodingError,
    requests.exceptions.ContentDecodingError,
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
    left = budget.remaining()
    timeout = (min(config.connect_timeout, left), min(config.read_timeout, left))
    failure: Exception | None = None
    sending = _SENDING.set(budget)
    try:
        _budget_the_pool(session, prepared, settings)
        response = session.send(
            prepared, timeout=timeout, allow_redirects=False, **{**settings, "stream": True}
        )
    except RETRYABLE_REQUESTS_ERRORS as err:
        sent = not never_sent(err)
        if budget.remaining() <= 0:
            # Whatever read or connect the deadline cut short, the deadline is what ended it.
            failure = budget.out_of_time(sent=sent)
        else:
            failure = transport_failure(err, request, retryable=True, sent=sent, secret=config.api_key)
    except requests.RequestException as err:
        failure = transport_failure(err, request, retryable=False, secret=config.api_key)
    finally:
        _SENDING.reset(sending)
    if failure is not None:
        # Raised outside the except block, so no __context__ keeps the request and its headers.
        raise failure
    try:
        text = read_body(response, request, budget)
    finally:
        # Back to the pool (or closed when unread): a blocking pool must never lose a connection.
        response.close()
    return handle_answer(response.status_code, response.headers, text, request, config.api_key)


def never_sent(error: requests.RequestException) -> bool:
    """
    Tell whether a failed request certainly never reached MeetStream: no connection was made.

    :param error: The ``requests`` exception.
    """
    if isinstance(error, requests.ConnectTimeout):
        return True
    import urllib3

    reason = getattr(error.args[0], "reason", None) if error.args else None
    return isinstance(reason, urllib3.exceptions.NewConnectionError)
