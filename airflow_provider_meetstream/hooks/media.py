"""The download of a recording by its presigned link: in chunks, without the API key, within the deadline."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from airflow_provider_meetstream import validation
from airflow_provider_meetstream.constants import MAX_MEDIA_CHUNK_BYTES, Logger
from airflow_provider_meetstream.exceptions import (
    MeetStreamAPIError,
    MeetStreamConnectionError,
    MeetStreamError,
    MeetStreamInputError,
    MeetStreamNotFoundError,
    MeetStreamServerError,
)
from airflow_provider_meetstream.hooks.config import USER_AGENT
from airflow_provider_meetstream.hooks.policy import Budget
from airflow_provider_meetstream.hooks.transport import send_within
from airflow_provider_meetstream.hooks.wire import MediaLink

if TYPE_CHECKING:
    import requests

    from airflow_provider_meetstream.hooks.config import ClientConfig


def check(link: Any, write: Any, chunk_size: Any) -> None:
    """
    Check :func:`stream`'s arguments, before the connection is read or anything is sent.

    :param link: Must be a :class:`MediaLink`; a bare URL is refused without being shown.
    :param write: Must be callable.
    :param chunk_size: 1 B to ``MAX_MEDIA_CHUNK_BYTES``.
    """
    if not isinstance(link, MediaLink):
        # Its type only: a bare string here is likely the link itself.
        raise MeetStreamInputError(
            "link", type(link).__name__, "must be the MediaLink of get_audio_url/get_video_url"
        )
    if not callable(write):
        raise MeetStreamInputError("write", type(write).__name__, "must be callable, e.g. a file's write")
    validation.integer(chunk_size, "chunk_size", 1, MAX_MEDIA_CHUNK_BYTES)


def stream(
    link: MediaLink, write: Callable[[bytes], object], config: ClientConfig, *, chunk_size: int, log: Logger
) -> int:
    """
    Download ``link`` in one attempt, handing each chunk to ``write``; the bytes written.

    Bytes handed to ``write`` cannot be taken back, so nothing is retried here: the caller fetches
    a new link and starts again (the link may have expired meanwhile anyway).

    :param link: The checked link (see :func:`check`).
    :param write: Takes each chunk.
    :param config: The connection's timeouts and deadline, and its scheme.
    :param chunk_size: The most bytes read at once.
    :param log: Where the line saying what was downloaded goes: host and size, never the link.
    """
    import requests

    if urlsplit(link.url).scheme == "http" and not config.base_url.startswith("http://"):
        raise MeetStreamError(
            f"The {link.file_type} link on {link.host} is plain HTTP while the MeetStream connection uses "
            "HTTPS; not followed, since the link, a credential, would travel unencrypted."
        )
    budget = Budget(config.deadline)
    # urllib3 logs each request's path and query (the signature) at debug level: its lines lose
    # them while this link downloads, whether or not the masker knows the link.
    redact = _Redact(link)
    urllib3_log = logging.getLogger("urllib3.connectionpool")
    urllib3_log.addFilter(redact)
    # Its own session: the hook's carries MeetStreamAuth, and its pool, sized for the API's host,
    # would lose its connections to a second host.
    try:
        with requests.Session() as session:
            response = _open(session, link, config, budget)
            try:
                _check_status(response.status_code, link)
                written = _copy(response, write, chunk_size, budget, link)
            finally:
                response.close()
    finally:
        urllib3_log.removeFilter(redact)
    log.info("Downloaded %d bytes of the %s recording from %s", written, link.file_type, link.host)
    return written


class _Redact(logging.Filter):
    """Takes a link's secret forms (its URL; its path and query) out of the log records it sees."""

    def __init__(self, link: MediaLink) -> None:
        super().__init__()
        self.forms = link.secret_forms()

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(form in message for form in self.forms):
            for form in self.forms:
                message = message.replace(form, "***")
            record.msg, record.args = message, None
        return True


def _open(
    session: requests.Session, link: MediaLink, config: ClientConfig, budget: Budget
) -> requests.Response:
    import requests

    # Prepared outside any session: Session.prepare_request adds the session's auth, or a
    # ~/.netrc entry for the host, and a presigned host refuses a second credential beside its own.
    headers = {"User-Agent": USER_AGENT, "Accept": "*/*", "Accept-Encoding": "identity"}
    try:
        # Inside the try: a link requests cannot parse (a port out of range) names the whole URL.
        prepared = requests.Request("GET", link.url, headers=headers).prepare()
        prepared.url = link.url  # exactly as signed: requests would re-encode its query
        settings = session.merge_environment_settings(link.url, {}, None, None, None)
        left = budget.remaining()
        return send_within(
            session,
            prepared,
            budget,
            (min(config.connect_timeout, left), min(config.read_timeout, left)),
            settings,
        )
    except requests.RequestException as err:
        # Only its type: requests writes the URL, path and query, into the message.
        failure = _broken(link, budget, 0, type(err).__name__)
    # Raised outside the except block, so no __context__ keeps the request and its URL.
    raise failure


def _check_status(status: int, link: MediaLink) -> None:
    # Named by the host and the status: the body of a storage error may quote the signed request.
    what = f"the {link.file_type} link on {link.host}"
    if status == 200:
        return
    if status == 403:
        # Not MeetStreamAuthError, which fails the task at once: a retry fetches a new link.
        raise MeetStreamAPIError(
            f"{what} has expired (links last {link.expires_in:g} s), or was refused; "
            "fetch a new link and download it right away",
            status_code=status,
            method="GET",
        )
    if status == 404:
        raise MeetStreamNotFoundError(
            f"{what} leads to no recording: MeetStream has deleted the bot's data",
            status_code=status,
            method="GET",
        )
    kind = MeetStreamServerError if status >= 500 else MeetStreamAPIError
    reason = "redirected elsewhere; not followed" if 300 <= status < 400 else "did not serve the recording"
    raise kind(f"{what} {reason}", status_code=status, method="GET")


def _copy(
    response: requests.Response,
    write: Callable[[bytes], object],
    chunk_size: int,
    budget: Budget,
    link: MediaLink,
) -> int:
    import urllib3

    written = 0
    while True:
        if budget.remaining() <= 0:
            raise _broken(link, budget, written, "")
        try:
            chunk = response.raw.read1(chunk_size, decode_content=True)
        except (urllib3.exceptions.HTTPError, OSError) as err:
            failure = _broken(link, budget, written, type(err).__name__)
        else:
            if not chunk:
                return written
            write(chunk)
            written += len(chunk)
            continue
        raise failure


def _broken(link: MediaLink, budget: Budget, written: int, error: str) -> MeetStreamConnectionError:
    # The deadline, when it is what ended the download, says so whatever read it cut short.
    why = f"the deadline of {budget.seconds:g} s passed" if budget.remaining() <= 0 else error
    return MeetStreamConnectionError(
        f"The download of the {link.file_type} recording from {link.host} stopped after {written} bytes: "
        f"{why}. Fetch a new link and start again (raise the hook's deadline for a long recording)."
    )
