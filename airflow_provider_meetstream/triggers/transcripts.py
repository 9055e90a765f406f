"""TranscriptReadyTrigger: the triggerer side of a deferred FetchTranscriptOperator."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_meetstream.exceptions import MeetStreamNotReadyError
from airflow_provider_meetstream.triggers.polling import PollingTrigger
from airflow_provider_meetstream.utils.transcripts import transcript_id_of

if TYPE_CHECKING:
    from airflow_provider_meetstream.hooks.async_client import MeetStreamAsyncClient


class TranscriptReadyTrigger(PollingTrigger):
    """
    Poll a bot's transcript until MeetStream has its segments, or the time runs out.

    It yields exactly one event: ``{"status": "success", "transcript_id"}`` (never the segments:
    events are stored in the metadata database; the operator reads them on resuming),
    ``{"status": "timeout", "message"}`` or ``{"status": "error", "message"}``, the API key
    scrubbed. While the transcript id is unknown it is looked for at each poll, in the bot's
    detail, then its transcriptions.

    :param bot_id: The bot.
    :param transcript_id: Its transcript, when known.
    :param raw: Poll the raw transcript instead of the formatted one.
    :param timeout: Seconds from ``started_at`` until a timeout event.
    :param polling: ``meetstream_conn_id``, ``poll_interval``, ``started_at``: see
        :class:`~airflow_provider_meetstream.triggers.polling.PollingTrigger`.
    """

    def __init__(
        self,
        *,
        bot_id: str,
        transcript_id: str | None = None,
        raw: bool = False,
        timeout: float = 3600.0,
        **polling: Any,
    ) -> None:
        super().__init__(timeout=timeout, **polling)
        self.bot_id = bot_id
        self.transcript_id = transcript_id
        self.raw = raw

    def arguments(self) -> dict[str, Any]:
        """The trigger's own keyword arguments."""
        return {"bot_id": self.bot_id, "transcript_id": self.transcript_id, "raw": self.raw}

    async def wait_for_event(self, client: MeetStreamAsyncClient) -> dict[str, Any]:
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

        return await self.poll_until(poll, timed_out)
