"""One attempt of the sync hook: send on the pooled session, read the body within the budget, classify."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import requests

from airflow_provider_meetstream.hooks.body import read_body
from airflow_provider_meetstream.hooks.errors import handle_answer, transport_failure

if TYPE_CHECKING:
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

    No timeout runs past the call's budget, and the body is streamed in chunks so that a server
    dripping it slowly is cut off at the deadline rather than after each read's timeout.

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
    try:
        response = session.send(
            prepared, timeout=timeout, allow_redirects=False, **{**settings, "stream": True}
        )
    except RETRYABLE_REQUESTS_ERRORS as err:
        sent = not never_sent(err)
        failure = transport_failure(err, request, retryable=True, sent=sent, secret=config.api_key)
    except requests.RequestException as err:
        failure = transport_failure(err, request, retryable=False, secret=config.api_key)
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
