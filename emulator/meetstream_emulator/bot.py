"""
A bot's record: what it was sent to, its lifecycle on the emulator clock, and how the API shows it.

The bots' store, with its settings, is :mod:`meetstream_emulator.bots`; a bot's transcript is
:mod:`meetstream_emulator.transcripts`'.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from meetstream_emulator.calendar import format_instant, iso_or_none

DEFAULT_BOT_NAME = "MeetStream Bot"
SCHEDULE_SOURCE = "calendar_schedule_api"
CREATE_BOT_SOURCE = "create_bot_api"
#: The failed ends a bot can be given through the outcome control. A normal end is ``Stopped`` at
#: the meeting's end (or at ``remove_bot``), then ``Done`` once processing is over.
OUTCOME_STATUSES = ("Denied", "Error", "NotAllowed")
#: A bot in one of these has left its meeting, or never will join it.
LEFT_STATUSES = ("Stopped", "Done", "Cancelled")


@dataclass
class Bot:
    """
    A bot: scheduled for a calendar event (one per tenant, deduplication key and occurrence), or ad hoc.

    It goes ``Scheduled`` → ``Joining`` (for ``joining``, from ``join_time``) → ``InMeeting`` →
    ``Stopped`` (it left normally, at ``end_time``) → ``Done`` (``processing`` later, when its
    recording and transcript are processed) on the emulator clock; ``outcome`` replaces all of
    that from the join time, ``cancelled_at`` all of it from then on. ``created_at`` is the emulator
    clock's now when the bot was made.
    """

    bot_id: str
    tenant: str
    deduplication_key: str | None
    occurrence: datetime | None
    config: dict[str, Any]
    event_id: str | None
    join_time: datetime
    end_time: datetime
    schedule_group: str
    meeting_url: str | None
    created_at: datetime
    cancelled_at: datetime | None = None
    source: str = SCHEDULE_SOURCE
    transcript_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    joining: timedelta = timedelta(0)
    processing: timedelta = timedelta(0)
    outcome: str | None = None
    reason: str | None = None

    def status(self, now: datetime) -> str:
        """
        The bot's status at an instant, following the emulator clock.

        :param now: The emulator's now.
        """
        if self.cancelled_at is not None:
            return "Cancelled"
        if now < self.join_time:
            return "Scheduled"
        if self.outcome is not None:
            return self.outcome
        if now >= self.end_time + self.processing:
            return "Done"
        if now >= self.end_time:
            return "Stopped"
        if now < self.join_time + self.joining:
            return "Joining"
        return "InMeeting"

    @property
    def username(self) -> str:
        """The bot's display name: ``bot_name`` of its config, or ``MeetStream Bot``."""
        name = self.config.get("bot_name")
        return name if isinstance(name, str) and name else DEFAULT_BOT_NAME

    def custom_attributes(self) -> dict[str, Any]:
        """The user's custom attributes, with MeetStream's own keys on top for a calendar bot."""
        user = self.config.get("custom_attributes")
        attributes: dict[str, Any] = dict(user) if isinstance(user, dict) else {}
        if self.source != SCHEDULE_SOURCE:
            return attributes
        attributes.update(
            source=SCHEDULE_SOURCE, event_id=self.event_id, deduplication_key=self.deduplication_key
        )
        if self.occurrence is not None:
            attributes["occurrence_date"] = format_instant(self.occurrence)
        return attributes

    def status_answer(self, now: datetime) -> dict[str, Any]:
        """``GET /bots/{bot_id}/status``: the status by the clock, and ``reason`` for a failed end."""
        answer = {
            "bot_id": self.bot_id,
            "status": self.status(now),
            "scheduled_join_time": format_instant(self.join_time),
            "meeting_end_time": format_instant(self.end_time),
            "event_id": self.event_id,
            "occurrence_date": iso_or_none(self.occurrence),
            "deduplication_key": self.deduplication_key,
            "platform": self.schedule_group,
            "meeting_url": self.meeting_url,
            "bot_username": self.username,
            "custom_attributes": self.custom_attributes(),
        }
        return self._with_reason(answer)

    def listing_answer(self, now: datetime) -> dict[str, Any]:
        """One bot of ``GET /bots``: its record in short, ``reason`` only for a failed end that has one."""
        answer = {
            "bot_id": self.bot_id,
            "status": self.status(now),
            "meeting_url": self.meeting_url,
            "created_at": format_instant(self.created_at),
            "start_time": format_instant(self.join_time),
            "end_time": format_instant(self.end_time),
            "bot_name": self.username,
            "transcript_id": self.transcript_id,
            "custom_attributes": self.custom_attributes(),
        }
        return self._with_reason(answer)

    def _with_reason(self, answer: dict[str, Any]) -> dict[str, Any]:
        if answer["status"] in OUTCOME_STATUSES and self.reason:
            answer["reason"] = self.reason
        return answer

    def detail_answer(self, now: datetime) -> dict[str, Any]:
        """``GET /bots/{bot_id}/detail``: the full record under ``bot_details``."""
        details = {
            **self.status_answer(now),
            "transcript_id": self.transcript_id,
            "bot_name": self.username,
            "source": self.source,
            "bot_config": dict(self.config),
        }
        return {"bot_details": details}

    def created_answer(self, now: datetime) -> dict[str, Any]:
        """``POST /bots/create_bot``'s answer, without its message."""
        return {
            "bot_id": self.bot_id,
            "transcript_id": self.transcript_id,
            "meeting_url": self.meeting_url,
            "status": self.status(now),
            "join_at": format_instant(self.join_time),
        }
