"""
The transcripts' model: one per bot, ``processing`` until its bot is ``Done``, then a synthetic text.

A transcript is ready when its bot's recording is processed (``Done``), never for a bot that
failed or was cancelled, and never at all when it is set to ``never`` (the 202 for ever of a
streaming-only transcription provider). Its segments are made up, the same for the same bot at
every call: ``get_transcript`` answers 202 while it is ``processing``, the segments once it is
``completed`` (under ``message`` when ``transcript_shape`` says so), and a 404 naming the bot's status
and reason once it has ``failed``. It is ``deleted`` with the rest of the bot's data, by the
retention rule of :mod:`meetstream_emulator.recordings`: ``get_transcript`` is then that rule's 404.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from meetstream_emulator.bot import Bot
from meetstream_emulator.inputs import ApiError, checked_settings, one_of
from meetstream_emulator.meeting import synthesize_transcript
from meetstream_emulator.recordings import Recordings

TRANSCRIPT_MODES = ("ready", "never")
TRANSCRIPT_SHAPES = ("list", "message")
#: The transcripts' settings of ``/_emulator/config``, with their defaults: ``transcript_shape``
#: answers the segments as a list or under ``message``; ``default_transcript`` is the mode new
#: bots' transcripts get.
TRANSCRIPT_SETTINGS: dict[str, Any] = {"transcript_shape": "list", "default_transcript": "ready"}
_CHECKS = {"transcript_shape": one_of(TRANSCRIPT_SHAPES), "default_transcript": one_of(TRANSCRIPT_MODES)}


class Transcripts:
    """
    Every bot's transcript, by transcript id, with the transcripts that will never be ready.

    Bots are opened here when they are made; a transcript's state follows its bot's status.

    :param recordings: The meeting data, whose retention rule deletes transcripts too.
    """

    def __init__(self, recordings: Recordings) -> None:
        self._recordings = recordings
        self.settings = dict(TRANSCRIPT_SETTINGS)
        self._bots: dict[str, Bot] = {}
        self._never: set[str] = set()

    def reset(self) -> None:
        """No transcripts, the default settings."""
        self.settings = dict(TRANSCRIPT_SETTINGS)
        self._bots.clear()
        self._never.clear()

    def checked_settings(self, changes: dict[str, Any]) -> dict[str, Any]:
        """
        The settings with ``changes`` applied and checked, not yet in force.

        :param changes: Settings of :data:`TRANSCRIPT_SETTINGS` by name.
        """
        return checked_settings(self.settings, changes, _CHECKS)

    def open(self, bot: Bot) -> None:
        """
        Give a new bot its transcript, in the mode ``default_transcript`` says.

        :param bot: The new bot.
        """
        self._bots[bot.transcript_id] = bot
        if self.settings["default_transcript"] == "never":
            self._never.add(bot.transcript_id)

    def set_mode(self, bot: Bot, mode: str) -> None:
        """
        Make a bot's transcript ``never`` ready, or ``ready`` once its bot is done.

        :param bot: The bot.
        :param mode: One of :data:`TRANSCRIPT_MODES`.
        """
        if mode == "never":
            self._never.add(bot.transcript_id)
        else:
            self._never.discard(bot.transcript_id)

    def mode(self, bot: Bot) -> str:
        """``never`` or ``ready``, as set for the bot's transcript."""
        return "never" if bot.transcript_id in self._never else "ready"

    def state(self, bot: Bot, now: datetime) -> str:
        """
        ``processing``, ``completed``, ``failed`` or ``deleted``, by the bot's status at ``now``.

        :param bot: The transcript's bot.
        :param now: The emulator's now.
        """
        status = bot.status(now)
        # A bot's outcome is a failed end (Denied, Error, NotAllowed), the status from its join time.
        if status in ("Cancelled", bot.outcome):
            return "failed"
        if self._recordings.is_deleted(bot, now):
            return "deleted"
        if status != "Done" or bot.transcript_id in self._never:
            return "processing"
        return "completed"

    def listing(self, bot: Bot, now: datetime) -> dict[str, Any]:
        """
        ``GET /bots/{bot_id}/transcriptions``: the bot's one transcript and its state.

        :param bot: The caller's bot.
        :param now: The emulator's now.
        """
        item = {"transcript_id": bot.transcript_id, "status": self.state(bot, now), "bot_id": bot.bot_id}
        return {"transcriptions": [item]}

    def segments(self, tenant: str, transcript_id: str, now: datetime) -> Any:
        """
        ``GET /transcript/{id}/get_transcript``: the segments, or None while the transcript is processing.

        :param tenant: The caller's API key.
        :param transcript_id: The transcript's id.
        :param now: The emulator's now.
        :raises ApiError: 404 for an unknown transcript, one never made or one deleted, 403 for another
            tenant's.
        """
        bot = self._bots.get(transcript_id)
        if bot is None:
            raise ApiError(404, f"Transcript {transcript_id!r} not found.")
        if bot.tenant != tenant:
            raise ApiError(403, f"Transcript {transcript_id!r} belongs to another API key.")
        state = self.state(bot, now)
        if state == "failed":
            why = f": {bot.reason}" if bot.reason else ""
            raise ApiError(
                404, f"Transcript {transcript_id!r} was never made: the bot ended {bot.status(now)}{why}."
            )
        if state == "deleted":
            raise self._recordings.deleted_error(bot)
        if state == "processing":
            return None
        segments = synthesize_transcript(bot)
        return {"message": segments} if self.settings["transcript_shape"] == "message" else segments
