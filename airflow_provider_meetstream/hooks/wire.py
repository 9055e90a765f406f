"""What the hook's layers hand each other: a request as it goes out, its decoded answer, a media link."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NoReturn
from urllib.parse import urlencode, urlsplit

#: A decoded answer: a JSON object, or a JSON list put under its row's ``list_key``.
Answer = dict[str, Any]


@dataclass(frozen=True)
class ApiRequest:
    """
    One validated request: method, path under ``/api/v1``, query, JSON body and extra headers.

    :param answer_if_gone: For a DELETE, the answer that stands for success when an attempt got
        no answer and a retry then finds the resource gone (404): the lost attempt did it.
    :param headers: Headers of this request only, e.g. ``Idempotency-Key``; both clients send them.
    :param success_statuses: Statuses outside 2xx that are this request's success, decoded as its
        answer: ``create_bot``'s 507, a replay that returns the original bot.
    :param not_ready_statuses: Statuses inside 2xx that are not a success yet (a transcript's 202
        while processing): ``MeetStreamNotReadyError``, never an empty answer.
    :param list_key: A JSON list answer is returned as ``{list_key: [...]}``; without one, an error.
    :param secret_answer: The answer is a credential (a presigned link): no error carries its body.
    """

    method: str
    path: str
    params: dict[str, Any] | None = None
    body: dict[str, Any] | None = None
    answer_if_gone: dict[str, Any] | None = None
    headers: dict[str, str] | None = None
    success_statuses: frozenset[int] = frozenset()
    not_ready_statuses: frozenset[int] = frozenset()
    list_key: str | None = None
    secret_answer: bool = False

    def url(self, base_url: str) -> str:
        """The full URL, query included, exactly as it goes on the wire."""
        query = f"?{urlencode(self.params)}" if self.params else ""
        return f"{base_url}{self.path}{query}"


class MediaLink:
    """
    A presigned link to a bot's recording: whoever holds it can download it until it expires.

    Its ``repr`` and ``str`` name the file type, the host and the lifetime, never the URL, whose path
    and query carry the signature. It refuses to be pickled or serialised (no XCom, no trigger
    event): it expires, so fetch a new one where it is used.

    :param url: The link, ``http(s)`` with a host.
    :param expires_in: Seconds it lasts from when MeetStream answered.
    :param file_type: The recording's format, e.g. ``wav`` or ``mp4``.
    """

    __slots__ = ("expires_in", "file_type", "url")

    url: str
    expires_in: float
    file_type: str

    def __init__(self, url: str, expires_in: float, file_type: str) -> None:
        object.__setattr__(self, "url", url)
        object.__setattr__(self, "expires_in", expires_in)
        object.__setattr__(self, "file_type", file_type)

    @property
    def host(self) -> str:
        """The host serving the recording, the only part of the URL an error or a log line may show."""
        return urlsplit(self.url).hostname or "?"

    def secret_forms(self) -> tuple[str, str]:
        """What the secrets masker must hide: the URL, and its path and query as HTTP libraries log them."""
        parts = urlsplit(self.url)
        return self.url, f"{parts.path}?{parts.query}" if parts.query else parts.path

    def __repr__(self) -> str:
        return f"MediaLink(file_type={self.file_type!r}, host={self.host!r}, expires_in={self.expires_in!r})"

    __str__ = __repr__

    def __setattr__(self, name: str, value: Any) -> NoReturn:
        raise AttributeError(f"a MediaLink is frozen: cannot set {name}")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"a MediaLink is frozen: cannot delete {name}")

    def __reduce__(self) -> NoReturn:
        raise TypeError("a MediaLink is never pickled or kept: it expires; fetch a new one where it is used")
