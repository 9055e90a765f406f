"""
The bots' model: every tenant's bots, ad-hoc bots (``create_bot``), outcomes and the bots' settings.

Calendar bots are made by :mod:`meetstream_emulator.schedules` and ad-hoc ones here; they live in
the same store, so every bot endpoint serves both. A bot's record and lifecycle are
:class:`~meetstream_emulator.bot.Bot`.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from meetstream_emulator.bot import CREATE_BOT_SOURCE, LEFT_STATUSES, OUTCOME_STATUSES, Bot
from meetstream_emulator.calendar import meeting_platform
from meetstream_emulator.clock import Clock
from meetstream_emulator.inputs import (
    ApiError,
    checked_settings,
    one_of,
    parse_create_bot,
    seconds,
    whole_number,
)
from meetstream_emulator.recordings import RECORDING_SETTINGS
from meetstream_emulator.transcripts import TRANSCRIPT_MODES, TRANSCRIPT_SETTINGS, Transcripts

#: The bots' own settings of ``/_emulator/config``, with their defaults: an ad-hoc bot's meeting lasts
#: ``adhoc_meeting_minutes`` from its join; ad-hoc and calendar bots are ``Joining`` for ``joining_seconds``
#: and ``calendar_joining_seconds``; a bot is ``Done``, its transcript ready, ``transcript_delay_seconds``
#: after it stopped; ``default_outcome`` is the outcome each new bot gets.
LIFECYCLE_SETTINGS: dict[str, Any] = {
    "adhoc_meeting_minutes": 30,
    "joining_seconds": 60,
    "calendar_joining_seconds": 0,
    "transcript_delay_seconds": 120,
    "default_outcome": None,
}
#: Every setting of ``/_emulator/config`` that belongs to bots, their transcripts and their meeting data.
BOT_SETTINGS: dict[str, Any] = {**LIFECYCLE_SETTINGS, **TRANSCRIPT_SETTINGS, **RECORDING_SETTINGS}

BotKey = tuple[str, str | None, datetime | None]


def outcome_of(value: Any, name: str) -> dict[str, Any]:
    """
    Check an outcome ``{"status": "Denied", "reason": "..."}``.

    :param value: The decoded JSON.
    :param name: What it is called in errors.
    """
    if not isinstance(value, dict) or set(value) - {"status", "reason"}:
        raise ApiError(400, f'{name} must be {{"status": ..., "reason": ...}}.')
    one_of(OUTCOME_STATUSES)(value.get("status"), f"{name}.status")
    reason = value.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise ApiError(400, f"{name}.reason must be a string.")
    return {"status": value["status"], "reason": reason}


_CHECKS = {
    "adhoc_meeting_minutes": whole_number(1),
    "joining_seconds": seconds,
    "calendar_joining_seconds": seconds,
    "transcript_delay_seconds": seconds,
    "default_outcome": outcome_of,
}


class Bots:
    """
    Every tenant's bots, calendar and ad hoc, with the indexes that find one again.

    A calendar bot is found again by (tenant, deduplication key, occurrence), so that schedules
    sharing a key share a bot, until it has left its meeting; an ad-hoc bot by (tenant, ``Idempotency-Key``).

    :param clock: The emulator's clock.
    :param transcripts: Where each new bot's transcript is opened.
    """

    def __init__(self, clock: Clock, transcripts: Transcripts) -> None:
        self._clock = clock
        self._transcripts = transcripts
        self.settings = dict(LIFECYCLE_SETTINGS)
        self._bots: dict[str, Bot] = {}
        self._keys: dict[BotKey, str] = {}
        self._idempotency: dict[tuple[str, str], str] = {}

    def reset(self) -> None:
        """No bots, the default settings."""
        self.settings = dict(LIFECYCLE_SETTINGS)
        self._bots.clear()
        self._keys.clear()
        self._idempotency.clear()

    def checked_settings(self, changes: dict[str, Any]) -> dict[str, Any]:
        """
        The settings with ``changes`` applied and checked, not yet in force.

        :param changes: Settings of :data:`LIFECYCLE_SETTINGS` by name; None clears ``default_outcome``.
        """
        return checked_settings(self.settings, changes, _CHECKS, clearable=frozenset({"default_outcome"}))

    def all(self) -> list[Bot]:
        """Every bot, by join time."""
        return sorted(self._bots.values(), key=lambda bot: (bot.join_time, bot.bot_id))

    def find(self, bot_id: str) -> Bot | None:
        """
        The bot of this id, of any tenant, cancelled or not; None when there is none.

        :param bot_id: The bot's id.
        """
        return self._bots.get(bot_id)

    def get(self, tenant: str, bot_id: str, *, include_cancelled: bool = False) -> Bot:
        """
        The caller's bot; 404 when unknown (or cancelled, unless included), 403 for another tenant's.

        :param tenant: The caller's API key.
        :param bot_id: The bot's id.
        :param include_cancelled: Whether a cancelled bot is found.
        """
        bot = self.find(bot_id)
        if bot is None or (bot.cancelled_at is not None and not include_cancelled):
            raise ApiError(404, f"Bot {bot_id!r} not found.")
        if bot.tenant != tenant:
            raise ApiError(403, f"Bot {bot_id!r} belongs to another API key.")
        return bot

    def _add(self, bot: Bot) -> Bot:
        """Give a new bot the default outcome, its processing time and its transcript, and store it."""
        outcome = self.settings["default_outcome"]
        if outcome is not None:
            bot.outcome, bot.reason = outcome["status"], outcome["reason"]
        # Done when its transcript is ready: processing ends both.
        bot.processing = timedelta(seconds=self.settings["transcript_delay_seconds"])
        self._bots[bot.bot_id] = bot
        self._transcripts.open(bot)
        return bot

    # -- calendar bots, for the schedules --------------------------------------------------------

    def keyed(self, tenant: str, key: str, occurrence: datetime | None, now: datetime) -> Bot | None:
        """
        The calendar bot a schedule with this key shares, unless it has left its meeting.

        :param tenant: The caller's API key.
        :param key: The schedule's deduplication key.
        :param occurrence: The occurrence scheduled, or None for a single event.
        :param now: The emulator's now.
        """
        bot_id = self._keys.get((tenant, key, occurrence))
        if bot_id is None:
            return None
        bot = self._bots[bot_id]
        if bot.status(now) in LEFT_STATUSES:
            # A bot that has left its meeting is not brought back; the key gets a fresh bot.
            del self._keys[(tenant, key, occurrence)]
            return None
        return bot

    def add_keyed(self, bot: Bot) -> Bot:
        """
        Store a new calendar bot under its tenant, deduplication key and occurrence.

        :param bot: The bot, its ``joining`` left to the ``calendar_joining_seconds`` setting.
        """
        bot.joining = timedelta(seconds=self.settings["calendar_joining_seconds"])
        self._keys[(bot.tenant, bot.deduplication_key, bot.occurrence)] = bot.bot_id
        return self._add(bot)

    def cancel_unjoined(self, bot_id: str, now: datetime) -> bool:
        """
        Cancel a bot that has not joined yet; True when it did.

        :param bot_id: The bot, which no schedule points to any more.
        :param now: The emulator's now.
        """
        bot = self._bots[bot_id]
        if bot.status(now) != "Scheduled":
            # A bot in its meeting stays there, and one that has left keeps its Done.
            return False
        bot.cancelled_at = now
        if self._keys.get((bot.tenant, bot.deduplication_key, bot.occurrence)) == bot_id:
            del self._keys[(bot.tenant, bot.deduplication_key, bot.occurrence)]
        return True

    # -- the API ----------------------------------------------------------------------------------

    def create(self, tenant: str, body: dict[str, Any], headers: Mapping[str, str]) -> tuple[Bot, bool]:
        """
        ``POST /bots/create_bot``: send a bot to a meeting by its link, now or at ``join_at``.

        The same ``Idempotency-Key`` from the same tenant, with a valid body, gets the original bot as it is
        now (the route answers 507); from another tenant it is another bot; keys are forgotten at reset.

        :param tenant: The caller's API key.
        :param body: The decoded JSON body.
        :param headers: The request headers (``Idempotency-Key``), lower-case names.
        :return: The bot, and whether it is the original one of a replayed ``Idempotency-Key``.
        """
        request = parse_create_bot(body, headers)
        link, key = request.meeting_link, request.idempotency_key
        now = self._clock.now()
        if key is not None and (tenant, key) in self._idempotency:
            return self._bots[self._idempotency[(tenant, key)]], True
        # A join_at already past means at once, as for a calendar bot.
        join = now if request.join_at is None else max(request.join_at, now)
        bot = self._add(
            Bot(
                bot_id=str(uuid.uuid4()),
                tenant=tenant,
                deduplication_key=None,
                occurrence=None,
                config=request.config,
                event_id=None,
                join_time=join,
                end_time=join + timedelta(minutes=self.settings["adhoc_meeting_minutes"]),
                schedule_group=meeting_platform(link) or "default",
                meeting_url=link,
                created_at=now,
                source=CREATE_BOT_SOURCE,
                joining=timedelta(seconds=self.settings["joining_seconds"]),
            )
        )
        if key is not None:
            self._idempotency[(tenant, key)] = bot.bot_id
        return bot, False

    def remove(self, tenant: str, bot_id: str) -> dict[str, Any]:
        """
        ``GET /bots/{bot_id}/remove_bot``: a bot in its meeting leaves now (``Stopped``, later ``Done``).

        An early normal end: ``meeting_end_time`` becomes now. A bot not in its meeting is a 400.

        :param tenant: The caller's API key.
        :param bot_id: The bot's id.
        """
        now = self._clock.now()
        bot = self.get(tenant, bot_id)
        status = bot.status(now)
        if status not in ("Joining", "InMeeting"):
            raise ApiError(400, f"Bot {bot_id!r} is not in a meeting (status {status}).")
        bot.end_time = now
        return {"message": "Bot removed from the meeting.", "bot_id": bot_id, "status": bot.status(now)}

    # -- POST /_emulator/bots/outcome -------------------------------------------------------------

    def set_outcome(self, bot_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """
        End one bot ``Denied``, ``Error`` or ``NotAllowed`` from its join time, or never make its transcript.

        An outcome applies at once to a bot that has joined, and is a 400 for one that has already ended.

        :param bot_id: The bot, of any tenant.
        :param body: ``status`` and ``reason``, and/or ``transcript`` (``never`` or ``ready``).
        """
        unknown = sorted(set(body) - {"bot_id", "status", "reason", "transcript"})
        if unknown:
            raise ApiError(400, f"Unknown outcome fields: {unknown}.")
        outcome = None
        if body.get("status") is not None:
            outcome = outcome_of({k: body[k] for k in ("status", "reason") if k in body}, "outcome")
        elif body.get("reason") is not None:
            raise ApiError(400, "reason needs a status.")
        transcript = body.get("transcript")
        if transcript is not None:
            one_of(TRANSCRIPT_MODES)(transcript, "transcript")
        if outcome is None and transcript is None:
            raise ApiError(400, 'Send {"status": ..., "reason": ...} and/or {"transcript": "never"}.')
        now = self._clock.now()
        bot = self.find(bot_id)
        if bot is None:
            raise ApiError(404, f"Bot {bot_id!r} not found.")
        if outcome is not None:
            status = bot.status(now)
            if status in (*LEFT_STATUSES, *OUTCOME_STATUSES):
                raise ApiError(400, f"Bot {bot_id!r} has already ended (status {status}).")
            bot.outcome, bot.reason = outcome["status"], outcome["reason"]
        if transcript is not None:
            self._transcripts.set_mode(bot, transcript)
        return {
            "bot_id": bot_id,
            "status": bot.status(now),
            "reason": bot.reason,
            "transcript": self._transcripts.mode(bot),
            "transcript_status": self._transcripts.state(bot, now),
        }
