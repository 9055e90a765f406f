"""After the meeting: a bot's lifecycle, ad-hoc bots (``create_bot``), their outcomes, and transcripts."""

from __future__ import annotations

import hashlib
import random
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from meetstream_emulator.calendar import format_instant, meeting_platform
from meetstream_emulator.inputs import ApiError, instant

if TYPE_CHECKING:
    import threading

    from meetstream_emulator.clock import Clock

DEFAULT_BOT_NAME = "MeetStream Bot"
SCHEDULE_SOURCE = "calendar_schedule_api"
CREATE_BOT_SOURCE = "create_bot_api"
#: The failed ends a bot can be given through the outcome control. A normal end is ``Stopped`` at
#: the meeting's end (or at ``remove_bot``), then ``Done`` once processing is over.
OUTCOME_STATUSES = ("Denied", "Error", "NotAllowed")
TRANSCRIPT_MODES = ("ready", "never")
TRANSCRIPT_SHAPES = ("list", "message")
MAX_IDEMPOTENCY_KEY = 255
#: The settings of ``/_emulator/config`` that belong to bots and transcripts, with their defaults.
BOT_SETTINGS: dict[str, Any] = {
    "adhoc_meeting_minutes": 30,
    "joining_seconds": 60,
    "calendar_joining_seconds": 0,
    "transcript_delay_seconds": 120,
    "transcript_shape": "list",
    "default_outcome": None,
    "default_transcript": "ready",
}
CREATE_BOT_TEXT_FIELDS = ("bot_name", "bot_message", "bot_image_url", "callback_url")
CREATE_BOT_OBJECT_FIELDS = ("recording_config", "custom_attributes", "automatic_leave")

SPEAKERS = ("Ada", "Grace", "Linus", "Margaret", "Alan", "Barbara", "Edsger")
SENTENCES = (
    "Good morning, everyone.",
    "Let us start with the pipeline numbers from yesterday.",
    "The nightly load finished twenty minutes early.",
    "We still see duplicates in the events table.",
    "I will take the deduplication ticket this week.",
    "Can we move the review to Thursday?",
    "The dashboard is back after the schema change.",
    "Please add the new source to the catalog.",
    "That sounds good to me.",
    "Any blockers before we wrap up?",
    "Thanks, see you tomorrow.",
)


@dataclass
class Bot:
    """
    A bot: scheduled for a calendar event (one per tenant, deduplication key and occurrence), or ad hoc.

    It goes ``Scheduled`` → ``Joining`` (for ``joining``, from ``join_time``) → ``InMeeting`` →
    ``Stopped`` (it left normally, at ``end_time``) → ``Done`` (``processing`` later, when its
    recording and transcript are processed) on the emulator clock; ``outcome`` replaces all of
    that from the join time, ``cancelled_at`` all of it from then on.
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
    cancelled_at: datetime | None = None
    source: str = SCHEDULE_SOURCE
    transcript_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    joining: timedelta = timedelta(0)
    processing: timedelta = timedelta(0)
    outcome: str | None = None
    reason: str | None = None
    transcript_never: bool = False

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
        """The bot's display name."""
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


class Reply(ApiError):
    """
    A success answered with another status than 200 (201, 202, 507) and any JSON body.

    It travels as an :class:`ApiError` does, so the dispatcher sends status and body as they are.
    """

    def __init__(self, status: int, body: Any) -> None:
        super().__init__(status, "")
        self.payload = body

    def body(self) -> Any:
        """The JSON body, as given."""
        return self.payload


def checked_bot_settings(current: Mapping[str, Any], changes: Mapping[str, Any]) -> dict[str, Any]:
    """
    The bot settings with ``changes`` applied (None leaves one as it is), each checked.

    :param current: The settings now.
    :param changes: New values by name.
    :raises ApiError: 400 naming the setting.
    """
    settings = dict(current)
    for name, value in changes.items():
        if value is None and name != "default_outcome":
            continue
        if name in ("adhoc_meeting_minutes",):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ApiError(400, f"{name} must be an integer >= 1.")
        elif name in ("joining_seconds", "calendar_joining_seconds", "transcript_delay_seconds"):
            if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                raise ApiError(400, f"{name} must be a number >= 0.")
        elif name == "transcript_shape":
            _one_of(value, name, TRANSCRIPT_SHAPES)
        elif name == "default_transcript":
            _one_of(value, name, TRANSCRIPT_MODES)
        elif name == "default_outcome":
            value = None if value is None else outcome_of(value, "default_outcome")
        else:
            raise ApiError(400, f"Unknown setting {name!r}.")
        settings[name] = value
    return settings


def _one_of(value: Any, name: str, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ApiError(400, f"{name} must be one of {list(choices)}, got {value!r}.")


def outcome_of(value: Any, name: str) -> dict[str, Any]:
    """
    Check an outcome ``{"status": "Denied", "reason": "..."}``.

    :param value: The decoded JSON.
    :param name: What it is called in errors.
    """
    if not isinstance(value, dict) or set(value) - {"status", "reason"}:
        raise ApiError(400, f'{name} must be {{"status": ..., "reason": ...}}.')
    _one_of(value.get("status"), f"{name}.status", OUTCOME_STATUSES)
    reason = value.get("reason")
    if reason is not None and not isinstance(reason, str):
        raise ApiError(400, f"{name}.reason must be a string.")
    return {"status": value["status"], "reason": reason}


def synthesize_transcript(bot: Bot) -> list[dict[str, Any]]:
    """
    A short transcript of the bot's meeting, the same for the same bot at every call.

    Seeded by the bot id and the meeting URL: two to four speakers, four to eight sentences spread
    over the time the bot was in the meeting, each with its words and their timings.

    :param bot: A bot that reached ``Done``.
    """
    seed = hashlib.sha256(f"{bot.bot_id}\n{bot.meeting_url}".encode()).digest()
    rng = random.Random(int.from_bytes(seed[:8], "big"))
    speakers = rng.sample(SPEAKERS, rng.randint(2, 4))
    count = rng.randint(4, 8)
    length = max((bot.end_time - bot.join_time - bot.joining).total_seconds(), float(count))
    slot = length / count
    segments = []
    for index in range(count):
        sentence = SENTENCES[index] if index == 0 else rng.choice(SENTENCES[1:])
        start = round(index * slot, 2)
        end = round(start + min(slot, 2.0 + 0.4 * len(sentence.split())), 2)
        words = sentence.split()
        step = (end - start) / len(words)
        segments.append(
            {
                "speaker": speakers[index % len(speakers)],
                "transcript": sentence,
                "start_time": start,
                "end_time": end,
                "words": [
                    {
                        "word": word,
                        "start_time": round(start + i * step, 2),
                        "end_time": round(start + (i + 1) * step, 2),
                    }
                    for i, word in enumerate(words)
                ],
            }
        )
    return segments


def _http_url(value: Any, name: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ApiError(400, f"{name} is required and must be a non-empty string.")
    parts = urlsplit(value.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ApiError(400, f"{name} must be an http(s) URL, got {value!r}.")
    return value.strip()


def _create_bot_config(body: dict[str, Any]) -> tuple[str, dict[str, Any], datetime | None]:
    link = _http_url(body.get("meeting_link"), "meeting_link")
    config = {name: value for name, value in body.items() if name != "meeting_link"}
    for name, value in config.items():
        if value is None:
            raise ApiError(400, f"{name} must not be null; leave it out instead.")
    for name in CREATE_BOT_TEXT_FIELDS:
        if name in config and not isinstance(config[name], str):
            raise ApiError(400, f"{name} must be a string.")
    for name in CREATE_BOT_OBJECT_FIELDS:
        if name in config and not isinstance(config[name], dict):
            raise ApiError(400, f"{name} must be an object.")
    join_at = instant(config["join_at"], "join_at") if "join_at" in config else None
    return link, config, join_at


def _idempotency_key(headers: Mapping[str, str]) -> str | None:
    key = headers.get("idempotency-key")
    if key is None:
        return None
    if not 1 <= len(key) <= MAX_IDEMPOTENCY_KEY or not all(33 <= ord(c) <= 126 for c in key):
        raise ApiError(400, f"Idempotency-Key must be 1 to {MAX_IDEMPOTENCY_KEY} printable ASCII characters.")
    return key


class BotsMixin:
    """
    The bots and transcripts endpoints and controls of :class:`~meetstream_emulator.state.EmulatorState`.

    Calendar bots and ad-hoc bots live in the same store, so every bot endpoint serves both.
    """

    if TYPE_CHECKING:
        clock: Clock
        _lock: threading.RLock
        _bots: dict[str, Bot]
        _bot_settings: dict[str, Any]
        _idempotency: dict[tuple[str, str], str]

        def _tenant_bot(self, tenant: str, bot_id: str, *, include_cancelled: bool = False) -> Bot: ...

    def _reset_bots(self) -> None:
        self._bot_settings = dict(BOT_SETTINGS)
        self._idempotency = {}

    def bot_settings(self) -> dict[str, Any]:
        """The bots and transcripts settings."""
        with self._lock:
            return dict(self._bot_settings)

    def set_bot_settings(self, **changes: Any) -> dict[str, Any]:
        """
        Change bots and transcripts settings; None leaves one as it is (``default_outcome``: clears it).

        :param changes: Settings of :data:`BOT_SETTINGS` by name.
        """
        with self._lock:
            self._bot_settings = checked_bot_settings(self._bot_settings, changes)
            return dict(self._bot_settings)

    def _adopt(self, bot: Bot) -> Bot:
        """Give a new bot the default outcome and transcript mode, and store it."""
        outcome = self._bot_settings["default_outcome"]
        if outcome is not None:
            bot.outcome, bot.reason = outcome["status"], outcome["reason"]
        bot.transcript_never = self._bot_settings["default_transcript"] == "never"
        # Done when its transcript is ready: processing ends both.
        bot.processing = timedelta(seconds=self._bot_settings["transcript_delay_seconds"])
        self._bots[bot.bot_id] = bot
        return bot

    def _calendar_joining(self) -> timedelta:
        return timedelta(seconds=self._bot_settings["calendar_joining_seconds"])

    # -- POST /bots/create_bot ----------------------------------------------------------------------

    def create_bot(self, tenant: str, body: dict[str, Any], headers: Mapping[str, str]) -> Reply:
        """
        Send a bot to a meeting by its link, now or at ``join_at``; 201, or 507 for a replayed key.

        :param tenant: The caller's API key.
        :param body: The decoded JSON body.
        :param headers: The request headers (``Idempotency-Key``), lower-case names.
        """
        link, config, join_at = _create_bot_config(body)
        key = _idempotency_key(headers)
        with self._lock:
            now = self.clock.now()
            if key is not None and (tenant, key) in self._idempotency:
                original = self._bots[self._idempotency[(tenant, key)]]
                return Reply(507, {**self._created(original, now), "message": "Replayed: the original bot."})
            # A join_at already past means at once, as for a calendar bot.
            join = max(join_at, now) if join_at is not None else now
            bot = self._adopt(
                Bot(
                    bot_id=str(uuid.uuid4()),
                    tenant=tenant,
                    deduplication_key=None,
                    occurrence=None,
                    config=config,
                    event_id=None,
                    join_time=join,
                    end_time=join + timedelta(minutes=self._bot_settings["adhoc_meeting_minutes"]),
                    schedule_group=meeting_platform(link) or "default",
                    meeting_url=link,
                    source=CREATE_BOT_SOURCE,
                    joining=timedelta(seconds=self._bot_settings["joining_seconds"]),
                )
            )
            if key is not None:
                self._idempotency[(tenant, key)] = bot.bot_id
            return Reply(201, {**self._created(bot, now), "message": "Bot created."})

    @staticmethod
    def _created(bot: Bot, now: datetime) -> dict[str, Any]:
        return {
            "bot_id": bot.bot_id,
            "transcript_id": bot.transcript_id,
            "meeting_url": bot.meeting_url,
            "status": bot.status(now),
            "join_at": format_instant(bot.join_time),
        }

    # -- GET /bots/{bot_id}/status and /detail ------------------------------------------------------

    def bot_status(self, tenant: str, bot_id: str) -> dict[str, Any]:
        """
        A bot's status by the emulator clock; cancelled bots still answer, failed ones with ``reason``.

        :param tenant: The caller's API key.
        :param bot_id: The decoded bot id.
        """
        with self._lock:
            now = self.clock.now()
            bot = self._tenant_bot(tenant, bot_id, include_cancelled=True)
            answer = {
                "bot_id": bot.bot_id,
                "status": bot.status(now),
                "scheduled_join_time": format_instant(bot.join_time),
                "meeting_end_time": format_instant(bot.end_time),
                "event_id": bot.event_id,
                "occurrence_date": None if bot.occurrence is None else format_instant(bot.occurrence),
                "deduplication_key": bot.deduplication_key,
                "platform": bot.schedule_group,
                "meeting_url": bot.meeting_url,
                "bot_username": bot.username,
                "custom_attributes": bot.custom_attributes(),
            }
            if answer["status"] in OUTCOME_STATUSES and bot.reason:
                answer["reason"] = bot.reason
            return answer

    def bot_detail(self, tenant: str, bot_id: str) -> dict[str, Any]:
        """
        A bot's full record under ``bot_details``.

        :param tenant: The caller's API key.
        :param bot_id: The decoded bot id.
        """
        status = self.bot_status(tenant, bot_id)
        with self._lock:
            bot = self._tenant_bot(tenant, bot_id, include_cancelled=True)
            details = {
                **status,
                "transcript_id": bot.transcript_id,
                "bot_name": bot.username,
                "source": bot.source,
                "bot_config": dict(bot.config),
            }
            return {"bot_details": details}

    # -- transcripts --------------------------------------------------------------------------------

    def _transcript_state(self, bot: Bot, now: datetime) -> str:
        """``processing``, ``completed`` or ``failed``, by the clock and the bot's outcome."""
        status = bot.status(now)
        if status == "Cancelled" or status in OUTCOME_STATUSES:
            return "failed"
        if status != "Done" or bot.transcript_never:
            return "processing"
        return "completed"

    def transcriptions(self, tenant: str, bot_id: str) -> dict[str, Any]:
        """
        A bot's transcripts: one, ``processing`` until it is ready, then ``completed``.

        :param tenant: The caller's API key.
        :param bot_id: The decoded bot id.
        """
        with self._lock:
            bot = self._tenant_bot(tenant, bot_id, include_cancelled=True)
            state = self._transcript_state(bot, self.clock.now())
            item = {"transcript_id": bot.transcript_id, "status": state, "bot_id": bot_id}
            return {"transcriptions": [item]}

    def get_transcript(self, tenant: str, transcript_id: str, query: Mapping[str, str]) -> Any:
        """
        A transcript's segments: 202 while it is processing, then 200 with the list.

        :param tenant: The caller's API key.
        :param transcript_id: The decoded transcript id.
        :param query: ``raw`` (``true`` or ``false``; both answer the same segments).
        """
        raw = query.get("raw", "false")
        if raw.lower() not in ("true", "false"):
            raise ApiError(400, "raw must be true or false.")
        with self._lock:
            bot = next((b for b in self._bots.values() if b.transcript_id == transcript_id), None)
            if bot is None:
                raise ApiError(404, f"Transcript {transcript_id!r} not found.")
            if bot.tenant != tenant:
                raise ApiError(403, f"Transcript {transcript_id!r} belongs to another API key.")
            now = self.clock.now()
            state = self._transcript_state(bot, now)
            if state == "failed":
                why = f": {bot.reason}" if bot.reason else ""
                ended = bot.status(now)
                raise ApiError(
                    404, f"Transcript {transcript_id!r} was never made: the bot ended {ended}{why}."
                )
            if state == "processing":
                body = {"message": "Transcript is still processing.", "transcript_id": transcript_id}
                raise Reply(202, body)
            segments = synthesize_transcript(bot)
            return {"message": segments} if self._bot_settings["transcript_shape"] == "message" else segments

    # -- GET /bots/{bot_id}/remove_bot --------------------------------------------------------------

    def remove_bot(self, tenant: str, bot_id: str) -> dict[str, Any]:
        """
        Make a bot in its meeting leave now: ``Stopped`` at the emulator's now, ``Done`` and its
        transcript ready once processed.

        :param tenant: The caller's API key.
        :param bot_id: The decoded bot id.
        """
        with self._lock:
            now = self.clock.now()
            bot = self._tenant_bot(tenant, bot_id)
            status = bot.status(now)
            if status not in ("Joining", "InMeeting"):
                raise ApiError(400, f"Bot {bot_id!r} is not in a meeting (status {status}).")
            bot.end_time = now
            return {"message": "Bot removed from the meeting.", "bot_id": bot_id, "status": bot.status(now)}

    # -- POST /_emulator/bots/outcome ---------------------------------------------------------------

    def set_bot_outcome(self, bot_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """
        Make one bot end ``Denied``/``Error``/... (from its join time), or its transcript never ready.

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
            _one_of(transcript, "transcript", TRANSCRIPT_MODES)
        if outcome is None and transcript is None:
            raise ApiError(400, 'Send {"status": ..., "reason": ...} and/or {"transcript": "never"}.')
        with self._lock:
            now = self.clock.now()
            bot = self._bots.get(bot_id)
            if bot is None:
                raise ApiError(404, f"Bot {bot_id!r} not found.")
            if outcome is not None:
                status = bot.status(now)
                if status in ("Stopped", "Done", "Cancelled", *OUTCOME_STATUSES):
                    raise ApiError(400, f"Bot {bot_id!r} has already ended (status {status}).")
                bot.outcome, bot.reason = outcome["status"], outcome["reason"]
            if transcript is not None:
                bot.transcript_never = transcript == "never"
            return {
                "bot_id": bot_id,
                "status": bot.status(now),
                "reason": bot.reason,
                "transcript": "never" if bot.transcript_never else "ready",
                "transcript_status": self._transcript_state(bot, now),
            }
