"""BotStatusTrigger: the triggerer side of a deferred BotStatusSensor."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_meetstream.triggers.polling import poll_until, run_with_client
from airflow_provider_meetstream.utils.bot_wait import BotWait, reason_of

if TYPE_CHECKING:
    from airflow_provider_meetstream.hooks.async_client import MeetStreamAsyncClient


class BotStatusTrigger(BaseTrigger):
    """
    Poll each bot's status until every one is terminal, one fails, or the time runs out.

    It yields exactly one event: ``{"status": "success", "bots": [...]}``, ``{"status": "failed",
    "bot_id", "bot_status", "reason", "message"}``, ``{"status": "timeout", "message"}`` or
    ``{"status": "error", "message"}``; an exception inside becomes an error event, and the API key
    is scrubbed from every event. A bot once terminal is not asked again.

    :param meetstream_conn_id: The Airflow connection to use.
    :param wait: ``BotWait.serialize()`` of the sensor.
    :param poll_interval: Seconds between two looks.
    :param timeout: Seconds from ``started_at`` until a timeout event, kept even in the middle of
        a poll.
    :param started_at: When the wait began (epoch seconds); now when None.
    """

    def __init__(
        self,
        *,
        meetstream_conn_id: str,
        wait: dict[str, Any],
        poll_interval: float = 60.0,
        timeout: float = 7 * 24 * 3600.0,
        started_at: float | None = None,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.meetstream_conn_id = meetstream_conn_id
        self.wait = wait
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.started_at = time.time() if started_at is None else started_at

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """Return the class path and primitive keyword arguments to rebuild this trigger."""
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "meetstream_conn_id": self.meetstream_conn_id,
                "wait": dict(self.wait),
                "poll_interval": self.poll_interval,
                "timeout": self.timeout,
                "started_at": self.started_at,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Poll until done, failed, timed out or broken; yield one event."""
        event = await run_with_client(self.meetstream_conn_id, self.log, self._wait)
        yield TriggerEvent(event)  # type: ignore[no-untyped-call]

    async def _wait(self, client: MeetStreamAsyncClient) -> dict[str, Any]:
        wait = BotWait.build(**self.wait)
        answers: dict[str, dict[str, Any]] = {}

        async def poll() -> dict[str, Any] | None:
            for bot_id in wait.judge(answers).pending:
                answers[bot_id] = await client.get_bot_status(bot_id)
            verdict = wait.judge(answers)
            self.log.info("%s: %d still pending", wait.describe(), len(verdict.pending))
            if verdict.failed is not None:
                failure = wait.failure(verdict.failed)
                return {
                    "status": "failed",
                    "bot_id": failure.bot_id,
                    "bot_status": failure.status,
                    "reason": reason_of(verdict.failed),
                    "message": str(failure),
                }
            return {"status": "success", "bots": wait.results(answers)} if verdict.done else None

        def timed_out() -> dict[str, Any]:
            pending = wait.judge(answers).pending
            return {
                "status": "timeout",
                "message": f"After {self.timeout:.0f} s, still waiting for {wait.describe()}: "
                f"{len(pending)} pending ({', '.join(pending[:10])}).",
            }

        return await poll_until(
            poll,
            started_at=self.started_at,
            timeout=self.timeout,
            poll_interval=self.poll_interval,
            timeout_event=timed_out,
        )
