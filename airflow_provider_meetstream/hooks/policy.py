"""The retry policy both MeetStream clients share: what is retried, how long to wait, what is logged."""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    Retrying,
    retry_if_exception_type,
    stop_after_attempt,
    stop_any,
)
from tenacity.stop import stop_base

from airflow_provider_meetstream.constants import DEFAULT_DEADLINE, DEFAULT_MAX_ATTEMPTS, Logger
from airflow_provider_meetstream.exceptions import MeetStreamNotFoundError
from airflow_provider_meetstream.hooks.errors import RetryableAnswer, TransportFailure, final_error

if TYPE_CHECKING:
    from airflow_provider_meetstream.hooks.wire import Answer, ApiRequest

#: Longest wait between two attempts, whatever ``Retry-After`` asks for; a task should fail and
#: let Airflow's own retries take over rather than block a worker for minutes.
MAX_RETRY_WAIT = 60.0
#: The largest random addition to a server-given wait, as a share of that wait (capped by ``jitter``).
RETRY_AFTER_JITTER_SHARE = 0.1


# Every wait and every reading of the time the clients and the operators make goes through these
# three, looked up at call time: a test patches them here to run without waiting.


def sleep(seconds: float) -> None:
    """Wait ``seconds`` in a worker."""
    time.sleep(seconds)


async def asleep(seconds: float) -> None:
    """Wait ``seconds`` on the event loop."""
    await asyncio.sleep(seconds)


def clock() -> float:
    """A monotonic clock, in seconds."""
    return time.monotonic()


@dataclass
class Budget:
    """
    The time one call has left, connect, reads, retries and waits together.

    :param seconds: The whole budget.
    """

    seconds: float
    started: float = field(init=False)

    def __post_init__(self) -> None:
        self.started = clock()

    def remaining(self) -> float:
        """Seconds left; zero or less once the deadline has passed."""
        return self.seconds - (clock() - self.started)

    def out_of_time(self, *, sent: bool = True) -> TransportFailure:
        """
        The failure of an attempt the deadline cut short, naming it; both clients say the same.

        :param sent: Whether the request may have reached MeetStream (see ``TransportFailure``).
        """
        return TransportFailure(f"no answer within the call's deadline of {self.seconds:g} s", sent=sent)


@dataclass
class _Attempts:
    # What the attempts of one call have seen: how many, whether one may have been acted on
    # without its answer reaching us, and why the retries stopped early.
    budget: Budget
    count: int = 0
    lost: bool = False
    stopped_by_deadline: str = ""

    def note_failure(self, failure: BaseException) -> None:
        if isinstance(failure, TransportFailure) and failure.sent:
            self.lost = True


class _StopBeforeTheDeadline(stop_base):
    # Stops when the next wait would not end before the deadline, and says so for the final error.
    def __init__(self, attempts: _Attempts) -> None:
        self.attempts = attempts

    def __call__(self, state: RetryCallState) -> bool:
        budget = self.attempts.budget
        remaining, wait = budget.remaining(), state.upcoming_sleep
        if wait < remaining:
            return False
        self.attempts.stopped_by_deadline = (
            f"; gave up: the next wait of {wait:.1f} s would pass the call's deadline of "
            f"{budget.seconds:g} s ({max(remaining, 0.0):.1f} s left)"
        )
        return True


@dataclass(frozen=True)
class RequestPolicy:
    """
    How both clients retry: which answers, how many attempts, how long between them, within what time.

    Waits honour ``Retry-After`` (capped at ``max_wait``) plus a random tenth of it, at most
    ``jitter`` seconds; otherwise they grow exponentially from ``initial_wait`` with up to
    ``jitter`` seconds of random spread, so that many workers hitting the same limit do not retry
    in lockstep. No wait runs past the call's ``deadline``: when the next one would, the call gives
    up with the last error, saying so.

    A DELETE whose earlier attempt may have reached MeetStream without its answer reaching us, and
    whose retry then gets 404, did what it was asked: the request's ``answer_if_gone`` is returned.

    :param max_attempts: Attempts per request, the first included.
    :param deadline: Seconds one call may take in all.
    :param initial_wait: The first backoff, in seconds.
    :param max_wait: The longest wait, in seconds.
    :param jitter: The largest random addition to a wait, in seconds.
    """

    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    deadline: float = DEFAULT_DEADLINE
    initial_wait: float = 1.0
    max_wait: float = MAX_RETRY_WAIT
    jitter: float = 1.0

    def wait_seconds(self, attempt: int, retry_after: float | None) -> float:
        """
        Seconds to wait after failed attempt number ``attempt`` (1-based).

        :param attempt: The attempt that just failed.
        :param retry_after: What the server asked for, if anything.
        """
        if retry_after is not None and math.isfinite(retry_after) and retry_after >= 0:
            asked = min(retry_after, self.max_wait)
            return asked + random.uniform(0, min(self.jitter, RETRY_AFTER_JITTER_SHARE * asked))
        backoff = self.initial_wait * 2.0 ** (attempt - 1) + random.uniform(0, self.jitter)
        return min(backoff, self.max_wait)

    def _wait(self, state: RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        retry_after = error.retry_after if isinstance(error, RetryableAnswer) else None
        return self.wait_seconds(state.attempt_number, retry_after)

    def _log_retry(self, log: Logger, request: ApiRequest) -> Callable[[RetryCallState], None]:
        # Threads scheduling a series' occurrences share one path: the line names its occurrence.
        occurrence = (request.body or {}).get("occurrence_date")
        target = f"{request.path} (occurrence {occurrence})" if occurrence else request.path

        def before_sleep(state: RetryCallState) -> None:
            error = state.outcome.exception() if state.outcome else None
            what = error.error.status_code if isinstance(error, RetryableAnswer) else str(error)
            wait = state.next_action.sleep if state.next_action else 0.0
            log.warning(
                "MeetStream %s %s: %s on attempt %d of %d; retrying in %.1f s",
                request.method,
                target,
                what,
                state.attempt_number,
                self.max_attempts,
                wait,
            )

        return before_sleep

    def retrying_arguments(self, log: Logger, request: ApiRequest, attempts: _Attempts) -> dict[str, Any]:
        """The tenacity arguments both ``Retrying`` and ``AsyncRetrying`` are built with."""
        return {
            "stop": stop_any(stop_after_attempt(self.max_attempts), _StopBeforeTheDeadline(attempts)),
            "wait": self._wait,
            "retry": retry_if_exception_type((RetryableAnswer, TransportFailure)),
            "before_sleep": self._log_retry(log, request),
            "reraise": True,
        }

    def call(
        self,
        attempt: Callable[[Budget], Answer],
        request: ApiRequest,
        log: Logger,
    ) -> Answer:
        """
        Run ``attempt`` until it succeeds, fails for good, or the attempts or the time run out.

        :param attempt: One try at the request, given the budget left; it raises what
            ``hooks.errors`` classifies as retryable.
        :param request: The request, for log lines and the final error.
        :param log: Where the retry lines go.
        :raises MeetStreamError: The typed error of the last failure.
        """
        attempts = _Attempts(Budget(self.deadline))

        def one() -> Answer:
            attempts.count += 1
            try:
                return attempt(attempts.budget)
            except TransportFailure as failure:
                attempts.note_failure(failure)
                raise

        retrying = Retrying(
            sleep=lambda seconds: sleep(seconds), **self.retrying_arguments(log, request, attempts)
        )
        try:
            return retrying(one)
        except (RetryableAnswer, TransportFailure) as failure:
            raise final_error(failure, request, attempts.count, attempts.stopped_by_deadline) from None
        except MeetStreamNotFoundError as error:
            return self._gone(error, request, attempts, log)

    async def acall(
        self,
        attempt: Callable[[Budget], Awaitable[Answer]],
        request: ApiRequest,
        log: Logger,
    ) -> Answer:
        """
        The async :meth:`call`: the same waits, log lines and errors; each attempt is also
        cancelled when the budget runs out.
        """
        attempts = _Attempts(Budget(self.deadline))

        async def one() -> Answer:
            attempts.count += 1
            try:
                return await asyncio.wait_for(attempt(attempts.budget), max(attempts.budget.remaining(), 0.0))
            except asyncio.TimeoutError:
                failure = attempts.budget.out_of_time()
            except TransportFailure as transport:
                failure = transport
            attempts.note_failure(failure)
            raise failure

        retrying = AsyncRetrying(
            sleep=lambda seconds: asleep(seconds), **self.retrying_arguments(log, request, attempts)
        )
        try:
            return await retrying(one)
        except (RetryableAnswer, TransportFailure) as failure:
            raise final_error(failure, request, attempts.count, attempts.stopped_by_deadline) from None
        except MeetStreamNotFoundError as error:
            return self._gone(error, request, attempts, log)

    @staticmethod
    def _gone(
        error: MeetStreamNotFoundError, request: ApiRequest, attempts: _Attempts, log: Logger
    ) -> Answer:
        # Only a DELETE has an end state that a 404 proves, and only when an earlier attempt may
        # have reached MeetStream: a first attempt answered 404 means it was never there.
        if request.method != "DELETE" or request.answer_if_gone is None or not attempts.lost:
            raise error
        log.warning(
            "MeetStream %s %s: 404 on attempt %d after an attempt whose answer was lost; "
            "MeetStream no longer has it, so the lost attempt did it",
            request.method,
            request.path,
            attempts.count,
        )
        return {
            **request.answer_if_gone,
            "answer_lost": True,
            "message": "MeetStream acted on an earlier attempt, but the first answer was lost; "
            "MeetStream no longer has it, so it was done",
        }
