"""The retry policy both MeetStream clients share: what is retried, how long to wait, what is logged."""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from tenacity import AsyncRetrying, RetryCallState, Retrying, retry_if_exception_type, stop_after_attempt

from airflow_provider_meetstream.hooks.config import DEFAULT_MAX_ATTEMPTS
from airflow_provider_meetstream.hooks.errors import RetryableAnswer, TransportFailure, final_error

if TYPE_CHECKING:
    from airflow_provider_meetstream.hooks.builders import ApiRequest

T = TypeVar("T")

#: Airflow's loggers are structlog-backed in Airflow 3 and stdlib in Airflow 2: anything with ``warning``.
Logger = Any

#: Longest wait between two attempts, whatever ``Retry-After`` asks for; a task should fail and
#: let Airflow's own retries take over rather than block a worker for minutes.
MAX_RETRY_WAIT = 60.0


@dataclass(frozen=True)
class RequestPolicy:
    """
    How both clients retry: which answers, how many attempts, how long between them.

    Waits honour ``Retry-After`` (capped at ``max_wait``); otherwise they grow exponentially from
    ``initial_wait`` with up to ``jitter`` seconds of random spread, so that many workers hitting
    the same limit do not retry in lockstep.

    :param max_attempts: Attempts per request, the first included.
    :param initial_wait: The first backoff, in seconds.
    :param max_wait: The longest wait, in seconds.
    :param jitter: The largest random addition to a backoff, in seconds.
    """

    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    initial_wait: float = 1.0
    max_wait: float = MAX_RETRY_WAIT
    jitter: float = 1.0

    def wait_seconds(self, attempt: int, retry_after: float | None) -> float:
        """
        Seconds to wait after failed attempt number ``attempt`` (1-based).

        :param attempt: The attempt that just failed.
        :param retry_after: What the server asked for, if anything.
        """
        if retry_after is not None:
            return min(retry_after, self.max_wait)
        backoff = self.initial_wait * 2.0 ** (attempt - 1) + random.uniform(0, self.jitter)
        return min(backoff, self.max_wait)

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        retry_after = error.retry_after if isinstance(error, RetryableAnswer) else None
        return self.wait_seconds(state.attempt_number, retry_after)

    def _log_retry(self, log: Logger, method: str, path: str) -> Callable[[RetryCallState], None]:
        def before_sleep(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            what = error.error.status_code if isinstance(error, RetryableAnswer) else str(error)
            wait = state.next_action.sleep if state.next_action else 0.0
            log.warning(
                "MeetStream %s %s: %s on attempt %d of %d; retrying in %.1f s",
                method,
                path,
                what,
                state.attempt_number,
                self.max_attempts,
                wait,
            )

        return before_sleep

    def retrying_arguments(self, log: Logger, method: str, path: str) -> dict[str, Any]:
        """The tenacity arguments both ``Retrying`` and ``AsyncRetrying`` are built with."""
        return {
            "stop": stop_after_attempt(self.max_attempts),
            "wait": self._wait,
            "retry": retry_if_exception_type((RetryableAnswer, TransportFailure)),
            "before_sleep": self._log_retry(log, method, path),
            "reraise": True,
        }

    def call(
        self, attempt: Callable[[], T], request: ApiRequest, log: Logger, sleep: Callable[[float], None]
    ) -> T:
        """
        Run ``attempt`` until it succeeds, fails for good, or the attempts run out.

        :param attempt: One try at the request; it raises what ``hooks.errors`` classifies as retryable.
        :param request: The request, for log lines and the final error.
        :param log: Where the retry lines go.
        :param sleep: How to wait between attempts.
        :raises MeetStreamError: The typed error of the last failure.
        """
        retrying = Retrying(sleep=sleep, **self.retrying_arguments(log, request.method, request.path))
        try:
            return retrying(attempt)
        except (RetryableAnswer, TransportFailure) as failure:
            raise final_error(failure, request, self.max_attempts) from None

    async def acall(
        self,
        attempt: Callable[[], Awaitable[T]],
        request: ApiRequest,
        log: Logger,
        sleep: Callable[[float], Awaitable[None]],
    ) -> T:
        """The async :meth:`call`, for the async client: the same waits, log lines and final error."""
        retrying = AsyncRetrying(sleep=sleep, **self.retrying_arguments(log, request.method, request.path))
        try:
            return await retrying(attempt)
        except (RetryableAnswer, TransportFailure) as failure:
            raise final_error(failure, request, self.max_attempts) from None
