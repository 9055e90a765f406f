"""BotStatusTrigger: the triggerer side of a deferred BotStatusSensor."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_meetstream.triggers.polling import PollingTrigger
from airflow_provider_meetstream.utils.bot_wait import BotWait, reason_of

if TYPE_CHECKING:
    from airflow_provider_meetstream.hooks.async_client import MeetStreamAsyncClient


class BotStatusTrigger(PollingTrigger):
    """
    Poll each bot's status until every one is terminal, one fails, or the time runs out.

    It yields exactly one event: ``{"status": "success", "bots": [...]}``, ``{"status": "failed",
    "bot_id", "bot_status", "reason", "message"}``, ``{"status": "timeout", "message"}`` or
    ``{"status": "error", "message"}``; an exception inside becomes an error event, and the API key
    is scrubbed from every event. A bot once terminal is not asked again.

    :param wait: ``BotWait.serialize()`` of the sensor.
    :param polling: ``meetstream_conn_id``, ``poll_interval``, ``timeout``, ``started_at``: see
        :class:`~airflow_provider_meetstream.triggers.polling.PollingTrigger`.
    """

    def __init__(self, *, wait: dict[str, Any], **polling: Any) -> None:
        super().__init__(**polling)
        self.wait = wait

    def arguments(self) -> dict[str, Any]:
        """The trigger's own keyword arguments."""
        return {"wait": dict(self.wait)}

    async def wait_for_event(self, client: MeetStreamAsyncClient) -> dict[str, Any]:
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

        return await self.poll_until(poll, timed_out)
