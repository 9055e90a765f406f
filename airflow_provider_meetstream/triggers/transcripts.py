"""TranscriptReadyTrigger: the triggerer side of a deferred FetchTranscriptOperator."""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from airflow_provider_meetstream.exceptions import MeetStreamNotReadyError
from airflow_provider_meetstream.triggers.polling import poll_until, run_with_client
from airflow_provider_meetstream.utils.transcripts import transcript_id_of

if TYPE_CHECKING:
    from airflow_provider_meetstream.hooks.async_client import MeetStreamAsyncClient


class TranscriptReadyTrigger(BaseTrigger):
    """
    Poll a bot's transcript until MeetStream has its segments, or the time runs out.

    It yields exactly one event: ``{"status": "success", "transcript_id"}`` (never the segments:
    events are stored in the metadata database; the operator reads them on resuming),
    ``{"status": "timeout", "message"}`` or ``{"status": "error", "message"}``, the API key
    scrubbed. While the transcript id is unknown it is looked for at each poll, in the bot's
    detail, then its transcriptions.

    :param meetstream_conn_id: The Airflow connection to use.
    :param bot_id: The bot.
    :param transcript_id: Its transcript, when known.
    :param raw: Poll the raw transcript instead of the formatted one.
    :param poll_interval: Seconds between two looks.
    :param timeout: Seconds from ``started_at`` until a timeout event.
    :param started_at: When the wait began (epoch seconds); now when None.
    """

    def __init__(
        self,
        *,
        meetstream_conn_id: str,
        bot_id: str,
        transcript_id: str | None = None,
        raw: bool = False,
        poll_interval: float = 60.0,
        timeout: float = 3600.0,
        started_at: float | None = None,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.meetstream_conn_id = meetstream_conn_id
        self.bot_id = bot_id
        self.transcript_id = transcript_id
        self.raw = raw
        self.poll_interval = poll_interval
        self.timeout = timeout
        self.started_at = time.time() if started_at is None else started_at

    def serialize(self) -> tuple[str, dict[str, Any]]:
        """Return the class path and primitive keyword arguments to rebuild this trigger."""
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "meetstream_conn_id": self.meetstream_conn_id,
                "bot_id": self.bot_id,
                "transcript_id": self.transcript_id,
                "raw": self.raw,
                "poll_interval": self.poll_interval,
                "timeout": self.timeout,
                "started_at": self.started_at,
            },
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        """Poll until ready, timed out or broken; yield one event."""
        event = await run_with_client(self.meetstream_conn_id, self.log, self._wait)
        yield TriggerEvent(event)  # type: ignore[no-untyped-call]

    async def _wait(self, client: MeetStreamAsyncClient) -> dict[str, Any]:
        found = {"transcript_id": self.transcript_id}

        async def poll() -> dict[str, Any] | None:
            if found["transcript_id"] is None:
                detail = await client.get_bot_detail(self.bot_id)
                listed = [] if detail.get("transcript_id") else await client.list_transcriptions(self.bot_id)
                found["transcript_id"] = transcript_id_of(detail, listed)
            transcript_id = found["transcript_id"]
            if transcript_id is None:
                self.log.info("Bot %s names no transcript yet.", self.bot_id)
                return None
            try:
                await client.get_transcript(transcript_id, raw=self.raw)
            except MeetStreamNotReadyError as err:
                self.log.info("Transcript %s not ready (%s).", transcript_id, err.status_code)
                return None
            return {"status": "success", "transcript_id": transcript_id}

        def timed_out() -> dict[str, Any]:
            what = found["transcript_id"] or "with no transcript id yet"
            return {
                "status": "timeout",
                "message": f"After {self.timeout:.0f} s, the transcript of bot {self.bot_id} ({what}) "
                "is still not ready; a streaming-only transcription provider never makes one.",
            }

        return await poll_until(
            poll,
            started_at=self.started_at,
            timeout=self.timeout,
            poll_interval=self.poll_interval,
            timeout_event=timed_out,
        )
