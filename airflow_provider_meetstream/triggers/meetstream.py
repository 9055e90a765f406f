"""ListScheduledTrigger: the triggerer side of a deferred ListScheduledSensor."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_meetstream.exceptions import MeetStreamBotCancelledError

# Imported at the top: the triggerer imports this module before it runs the trigger, while an
# import inside run() would block its event loop (the async client needs neither requests nor the
# sensor module).
from airflow_provider_meetstream.hooks.async_client import MeetStreamAsyncClient
from airflow_provider_meetstream.hooks.errors import scrub_value
from airflow_provider_meetstream.utils.event_bots import aevent_or_none, consult_event, event_to_consult
from airflow_provider_meetstream.utils.scheduled_bots import (
    ScheduledCriteria,
    astatus_or_none,
    log_verdict,
    result_bots,
)


class ListScheduledTrigger(BaseTrigger):
    """
    Poll MeetStream's scheduled list until the sensor's condition holds or the time runs out.

    It yields exactly one event: ``{"status": "success", "bots": [...]}``,
    ``{"status": "timeout", "message": ...}`` or ``{"status": "error", "message": ...}``; an
    exception inside becomes an error event, which for a cancelled bot also carries ``bot_id`` and
    ``bot_status``. The condition is the sensor's own
    :class:`~airflow_provider_meetstream.utils.scheduled_bots.ScheduledCriteria`.

    :param meetstream_conn_id: The Airflow connection to use.
    :param criteria: ``ScheduledCriteria.serialize()`` of the sensor.
    :param poll_interval: Seconds between two looks at the list.
    :param timeout: Seconds from ``started_at`` until a timeout event, kept even in the middle of
        a poll.
    :param started_at: When the wait began (epoch seconds); now when None.
    """

    def __init__(
        self,
        *,
        meetstream_conn_id: str,
        criteria: dict[str, Any],
        poll_interval: float = 60.0,
        timeout: float = 7 * 24 * 3600.0,
        started_at: float | None = None,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.meetstream_conn_id = meetstream_conn_id
        self.criteria = criteria
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.started_at = time.time() if started_at is None else started_at

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """Return the class path and primitive keyword arguments to rebuild this trigger."""
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "meetstream_conn_id": self.meetstream_conn_id,
                "criteria": dict(self.criteria),
                "poll_interval": self.poll_interval,
                "timeout": self.timeout,
                "started_at": self.started_at,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Poll until done, timed out or failed; yield one event, the API key scrubbed from it."""
        secret: Any = None
        try:
            async with MeetStreamAsyncClient(self.meetstream_conn_id, log=self.log) as client:
                try:
                    event = await self._wait(client)
                finally:
                    secret = client.api_key
        except MeetStreamBotCancelledError as err:
            # The sensor rebuilds the same error from these fields, so that it fails without a retry.
            event = {"status": "error", "message": str(err), "bot_id": err.bot_id, "bot_status": err.status}
        except Exception as err:
            event = {"status": "error", "message": f"{type(err).__name__}: {err}"}
        # The event is stored in the metadata database: no echo of the key may reach it.
        yield TriggerEvent(scrub_value(event, secret))  # type: ignore[no-untyped-call]

    async def _wait(self, client: MeetStreamAsyncClient) -> dict[str, Any]:
        criteria = ScheduledCriteria.build(**self.criteria)
        deadline = self.started_at + self.timeout
        first = True
        while True:
            remaining = deadline - time.time()
            if remaining <= 0 and not first:
                return self._timeout_event(criteria)
            # A slow or retried poll must not carry the wait past the trigger's own timeout; a
            # trigger resumed after its deadline still looks once (bounded by the client's deadline).
            bound = remaining if remaining > 0 else None
            first = False
            try:
                done, bots = await asyncio.wait_for(self._poll(client, criteria), bound)
            except asyncio.TimeoutError:
                return self._timeout_event(criteria)
            if done:
                return {"status": "success", "bots": bots}
            remaining = deadline - time.time()
            if remaining <= 0:
                return self._timeout_event(criteria)
            await asyncio.sleep(min(self.poll_interval, remaining))

    async def _poll(
        self, client: MeetStreamAsyncClient, criteria: ScheduledCriteria
    ) -> tuple[bool, list[dict[str, Any]]]:
        verdict = criteria.evaluate(await client.list_scheduled_bots(limit=criteria.limit))
        event_id = event_to_consult(criteria, verdict)
        if event_id is not None:
            verdict = consult_event(criteria, verdict, await aevent_or_none(client.get_event, event_id))
        statuses = [await astatus_or_none(client.get_bot_status, bot_id) for bot_id in verdict.to_confirm]
        log_verdict(self.log, criteria, verdict)
        done = criteria.settle(verdict, statuses)
        return done, result_bots(verdict, statuses) if done else []

    def _timeout_event(self, criteria: ScheduledCriteria) -> dict[str, Any]:
        return {
            "status": "timeout",
            "message": f"After {self.timeout:.0f} s, still waiting for {criteria.describe()}.",
        }
