"""The error hierarchy of the MeetStream provider: one type per failure a DAG author handles."""

from __future__ import annotations

from typing import Any

from airflow.providers.common.compat.sdk import AirflowException, AirflowFailException, redact

from airflow_provider_meetstream.constants import MAX_JSON_DEPTH
from airflow_provider_meetstream.shapes import depth_within

#: Longest slice of a response body kept on an error, so a huge HTML error page stays out of logs.
MAX_ERROR_BODY_CHARS = 1024


class MeetStreamError(AirflowException):
    """Base class of every error raised by the MeetStream provider."""


class MeetStreamAPIError(MeetStreamError):
    """
    MeetStream answered with a non-success status.

    :param message: The server's explanation, read from ``message``, ``detail``, ``error`` or
        ``errors`` in the body, else the start of the body, else ``HTTP <status>``.
    :param status_code: The HTTP status of the answer.
    :param request_id: The ``x-request-id`` header of the answer, for MeetStream support.
    :param body: The body of the answer, truncated to about 1 KB.
    :param method: The HTTP method of the request that failed.
    :param path: The API path of the request that failed, without host or query.
    :param hint: What to check, in the provider's words, after MeetStream's (e.g. which Airflow
        connection's key was refused).
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        request_id: str | None = None,
        body: str | None = None,
        method: str | None = None,
        path: str | None = None,
        hint: str | None = None,
    ) -> None:
        self.message = message
        # AirflowException declares status_code as an HTTPStatus; MeetStream may answer codes outside it.
        self.status_code = status_code  # type: ignore[assignment]
        self.request_id = request_id
        self.body = body[:MAX_ERROR_BODY_CHARS] if body else body
        self.method = method
        self.path = path
        self._init_kwargs: dict[str, Any] = {
            "status_code": status_code,
            "request_id": request_id,
            "body": self.body,
            "method": method,
            "path": path,
        }
        if hint:
            self._init_kwargs["hint"] = hint
        self.hint = hint
        where = f" to {method} {path}" if method and path else ""
        rid = f" (request id {request_id})" if request_id else ""
        advice = f". {hint}" if hint else ""
        super().__init__(f"MeetStream answered {status_code}{where}: {message}{rid}{advice}")

    def __reduce__(self) -> tuple[Any, ...]:
        # Exceptions pickle as cls(*args) by default, which loses the keyword-only fields.
        return (_rebuild, (type(self), self.message, self._init_kwargs))

    def with_message(self, message: str) -> MeetStreamAPIError:
        """
        A copy of this error with another message; every other field is kept.

        :param message: The new message, e.g. the old one with why the retries stopped.
        """
        return _rebuild(type(self), message, self._init_kwargs)

    def with_hint(self, hint: str) -> MeetStreamAPIError:
        """
        A copy of this error that says what to check after MeetStream's message.

        :param hint: The advice, one sentence.
        """
        return _rebuild(type(self), self.message, {**self._init_kwargs, "hint": hint})

    def serialize(self) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
        """Airflow's serde form of the error: class path, args and keyword arguments."""
        cls = type(self)
        return f"{cls.__module__}.{cls.__qualname__}", (self.message,), dict(self._init_kwargs)


def _shown(value: Any) -> str:
    # A hostile value (5,000 levels deep) must not turn the error itself into a RecursionError: not
    # even one caught, since the garbage collector may run finalizers while the stack is that deep.
    if not depth_within(value, MAX_JSON_DEPTH):
        return f"<{type(value).__name__} nested too deeply to show>"
    try:
        return repr(redact(value))
    except RecursionError:
        return f"<{type(value).__name__} nested too deeply to show>"


def _rebuild(cls: type[MeetStreamAPIError], message: str, kwargs: dict[str, Any]) -> MeetStreamAPIError:
    return cls(message, **kwargs)


class MeetStreamAuthError(MeetStreamAPIError, AirflowFailException):
    """
    The API key is missing, malformed or rejected (401), or the resource is not yours (403).

    An ``AirflowFailException``: a retry would send the same key, so the task fails at once.
    """


class MeetStreamNotFoundError(MeetStreamAPIError):
    """The event, schedule or bot does not exist, or no calendar is connected (404)."""


class MeetStreamEventNotFoundError(MeetStreamNotFoundError):
    """
    The events listing answered (200) but holds no event of that id in the window searched.

    No single-event endpoint exists, so "not found" is the provider's reading of a listing, not a
    404 of MeetStream's: the message says what was searched and what to check, nothing more.
    """

    def __init__(self, message: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.args = (message,)


class MeetStreamConflictError(MeetStreamAPIError):
    """
    The event already has a bot (409).

    :param existing_bot_id: The bot that already serves the event, when the body names it.
    :param existing_schedule_id: That bot's schedule, when the body names it.
    """

    def __init__(
        self,
        message: str,
        *,
        existing_bot_id: str | None = None,
        existing_schedule_id: str | None = None,
        **kwargs: Any,
    ) -> None:
        self.existing_bot_id = existing_bot_id
        self.existing_schedule_id = existing_schedule_id
        super().__init__(message, **kwargs)
        self._init_kwargs["existing_bot_id"] = existing_bot_id
        self._init_kwargs["existing_schedule_id"] = existing_schedule_id


class MeetStreamRateLimitError(MeetStreamAPIError):
    """
    MeetStream kept answering 429 until the retries were spent.

    :param retry_after: Seconds the server last asked to wait, when it said.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)
        self._init_kwargs["retry_after"] = retry_after


class MeetStreamNotReadyError(MeetStreamAPIError):
    """
    MeetStream has not finished yet: a transcript still processing (202), or ready but empty.

    A 202 is inside the 2xx range, yet not a success: the answer must never read as an empty one.

    :param retry_after: Seconds the server asked to wait before looking again, when it said.
    """

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        self.retry_after = retry_after
        super().__init__(message, **kwargs)
        self._init_kwargs["retry_after"] = retry_after


class MeetStreamServerError(MeetStreamAPIError):
    """MeetStream answered 5xx: 500, 502, 503 or 504 once the retries were spent, any other at once."""


class MeetStreamConnectionError(MeetStreamError):
    """The request never got an answer (connection refused or reset, timeout) once retries were spent."""


class MeetStreamInputError(MeetStreamError, AirflowFailException, ValueError):
    """
    An argument is invalid; raised before any request is sent.

    It is a ``ValueError`` for plain Python callers and an ``AirflowFailException`` so that a task
    fails at once instead of retrying a request that can never succeed.

    :param argument: The name of the bad argument.
    :param value: The bad value, shown shortened in the message, with registered secrets and
        sensitive fields (``token``, ``password``...) redacted by Airflow's secrets masker.
    :param reason: What is wrong with it.
    """

    def __init__(self, argument: str, value: Any, reason: str) -> None:
        self.argument = argument
        self.value = value
        self.reason = reason
        shown = _shown(value)
        if len(shown) > 120:
            shown = shown[:117] + "..."
        super().__init__(f"Invalid {argument}={shown}: {reason}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.argument, self.value, self.reason))

    def serialize(self) -> tuple[str, tuple[Any, ...], dict[str, Any]]:
        """Airflow's serde form of the error: class path, args and keyword arguments."""
        cls = type(self)
        return f"{cls.__module__}.{cls.__qualname__}", (self.argument, self.value, self.reason), {}


class MeetStreamStorageError(MeetStreamError):
    """
    A transcript could not be written to its object store (a full disk, a refused key...).

    Retried as any task is: nothing half-written is left, and a re-run writes the same object.

    :param bot_id: The bot.
    :param transcript_id: The transcript.
    :param uri: The object it was written to.
    :param cause: What the store said.
    """

    def __init__(self, bot_id: str, transcript_id: str, uri: str, cause: str) -> None:
        self.bot_id = bot_id
        self.transcript_id = transcript_id
        self.uri = uri
        self.cause = cause
        super().__init__(f"Could not write transcript {transcript_id} of bot {bot_id} to {uri}: {cause}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.bot_id, self.transcript_id, self.uri, self.cause))


class MeetStreamOtherBotError(MeetStreamError, AirflowFailException):
    """
    The meeting already has another owner's bot, and scheduling ours would displace it.

    MeetStream overrides an event's bot when another key schedules one (or answers 409): in a
    workspace shared with other teams, that would cancel their recording. An
    ``AirflowFailException``: a retry would find the same bot.

    :param event_id: The event asked for.
    :param bot_id: The other owner's bot.
    :param deduplication_key: Its key, or None when MeetStream does not say.
    :param occurrence_date: The occurrence asked for, when one was.
    """

    def __init__(
        self, event_id: str, bot_id: str, deduplication_key: str | None, occurrence_date: str | None = None
    ) -> None:
        self.event_id = event_id
        self.bot_id = bot_id
        self.deduplication_key = deduplication_key
        self.occurrence_date = occurrence_date
        where = f"Event {event_id}" + (f", occurrence {occurrence_date}," if occurrence_date else "")
        shown = _shown(deduplication_key)
        key = "an unreadable key" if deduplication_key is None else f"key {shown[:80]}"
        super().__init__(
            f"{where} already has bot {bot_id} of another owner ({key}); scheduling this task's bot "
            'would displace it. Pass if_other_bot="skip" to leave the meeting to it, or "replace" '
            "to replace it"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.event_id, self.bot_id, self.deduplication_key, self.occurrence_date))


class MeetStreamBotFailedError(MeetStreamError, AirflowFailException):
    """
    A bot ended in a failed terminal status (``Denied``, ``NotAllowed``, ``Error``, ``Cancelled``).

    An ``AirflowFailException``: a retry cannot send the bot back into a meeting that has refused it.

    :param bot_id: The bot.
    :param status: Its terminal status, as MeetStream spells it.
    :param reason: MeetStream's explanation, when the status answer gives one.
    """

    def __init__(self, bot_id: str, status: str, reason: str | None = None) -> None:
        self.bot_id = bot_id
        self.status = status
        self.reason = reason
        why = f": {reason}" if reason else ""
        super().__init__(f"MeetStream bot {bot_id} ended {status}{why}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.bot_id, self.status, self.reason))


class MeetStreamTimeoutError(MeetStreamError, AirflowFailException):
    """
    A bounded wait ran out, e.g. for a transcript that stays 202 (a streaming-only provider).

    An ``AirflowFailException``: the wait's length was the DAG's choice, and a retry would
    silently double it.
    """


class MeetStreamBotCancelledError(MeetStreamError, AirflowFailException):
    """
    A bot a sensor waits for was cancelled: it never comes back, so the wait can never succeed.

    An ``AirflowFailException``: a retry would wait for the same cancelled bot again.

    :param bot_id: The bot.
    :param status: Its status, as MeetStream spells it (``Cancelled``).
    """

    def __init__(self, bot_id: str, status: str) -> None:
        self.bot_id = bot_id
        self.status = status
        super().__init__(
            f"MeetStream bot {bot_id} is {status}: a cancelled bot never comes back, so it will not "
            "be scheduled again; schedule a new bot and wait for that one"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.bot_id, self.status))
