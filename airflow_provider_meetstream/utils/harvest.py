"""What the harvest decides without a network or a store: its scope, each bot's fate, and ``meeting.json``."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from airflow_provider_meetstream import validation
from airflow_provider_meetstream.constants import BotStatus
from airflow_provider_meetstream.exceptions import MeetStreamInputError
from airflow_provider_meetstream.utils import transcripts

#: The version of ``meeting.json``'s fields; a reader checks it before it trusts them.
SCHEMA_VERSION = 1
#: The objects of one landed meeting, in its folder ``<base_path>/<bot_id>/``. ``meeting.json`` is
#: written last: its presence is what "landed" means.
MEETING_FILE = "meeting.json"
TRANSCRIPT_FILE = "transcript.jsonl"
TEXT_FILE = "transcript.txt"
PARTICIPANTS_FILE = "participants.jsonl"
TIMELINE_FILE = "speaker_timeline.jsonl"
AUDIO_STEM = "audio"
#: The folder, beside the meetings, of the runs whose landed meetings were announced: one object a
#: task run, written as the run ends. No ``meeting.json`` is ever in it.
RUNS_FOLDER = ".meetstream-harvest-runs"

#: What the harvest does with a bot, by its status: land its meeting (``land``), land it as a
#: failed meeting without data (``fail``), skip it (``skip``: it never met), or leave it for a
#: later run (``wait``: its meeting has not ended).
LAND, FAIL, SKIP, WAIT = "land", "fail", "skip", "wait"


def fate(status: str) -> str:
    """
    What the harvest does with a bot in ``status`` (see :data:`LAND` and the others).

    :param status: The bot's status as MeetStream names it.
    """
    if status in BotStatus.SUCCESS_STATUSES:
        return LAND
    if status in BotStatus.FAILED_STATUSES:
        return FAIL
    if status == BotStatus.CANCELLED:
        return SKIP
    return WAIT


@dataclass(frozen=True)
class Scope:
    """
    The bots one harvest takes: those whose deduplication key starts with ``prefix``, or ``bot_ids``.

    :param prefix: A key prefix: a sync's ``f"{sync_id}|"``, or any other.
    :param bot_ids: Explicit bot ids, in the order given.
    """

    prefix: str | None = None
    bot_ids: tuple[str, ...] | None = None

    def takes(self, bot: Bot) -> bool:
        """Whether a listed bot is in this scope."""
        if self.bot_ids is not None:
            return bot.bot_id in self.bot_ids
        return bot.deduplication_key is not None and bot.deduplication_key.startswith(str(self.prefix))

    def describe(self) -> str:
        """The scope in words, for the log."""
        if self.bot_ids is not None:
            return f"{len(self.bot_ids)} bot id(s)"
        return f"the bots whose deduplication key starts with {self.prefix!r}"


def scope_of(sync_id: Any, key_prefix: Any, bot_ids: Any) -> Scope:
    """
    The harvest's scope from its three arguments, exactly one of which is given.

    None of them is an error, not "every bot": in a shared workspace every bot is other teams'
    meetings too.

    :param sync_id: A sync's id: its bots' keys start with ``f"{sync_id}|"``.
    :param key_prefix: Any other prefix of deduplication keys.
    :param bot_ids: Explicit bot ids.
    """
    values = {"sync_id": sync_id, "key_prefix": key_prefix, "bot_ids": bot_ids}
    given = [name for name, value in values.items() if value not in (None, "", [], ())]
    if len(given) != 1:
        raise MeetStreamInputError(
            "sync_id/key_prefix/bot_ids",
            None,
            f"give exactly one scope (got {', '.join(given) or 'none'}): a harvest of every bot of a "
            "shared workspace would land other teams' meetings",
        )
    if sync_id:
        key = validation.deduplication_key(sync_id, "sync_id", 200)
        if "|" in key:
            raise MeetStreamInputError("sync_id", sync_id, 'must not contain "|", which ends the prefix')
        return Scope(prefix=f"{key}|")
    if key_prefix:
        return Scope(prefix=validation.non_empty_text(key_prefix, "key_prefix"))
    ids = validation.bot_ids(bot_ids)
    if not ids:
        raise MeetStreamInputError("bot_ids", bot_ids, "must name at least one bot")
    return Scope(bot_ids=ids)


@dataclass(frozen=True)
class Bot:
    """
    A bot as the harvest reads it from ``GET /bots`` or a bot's status.

    :param bot_id: The bot.
    :param status: Its status.
    :param event_id: Its calendar event, for a calendar bot.
    :param occurrence_date: Its occurrence of a series, if any.
    :param deduplication_key: The key it was scheduled with, for a calendar bot.
    :param transcript_id: Its transcript, when the listing says.
    :param meeting_url: The meeting it was sent to.
    :param start: When it joined or was to join.
    :param end: When its meeting ended or ends.
    :param reason: Why it failed, for a failed bot.
    """

    bot_id: str
    status: str
    event_id: str | None = None
    occurrence_date: str | None = None
    deduplication_key: str | None = None
    transcript_id: str | None = None
    meeting_url: str | None = None
    start: datetime | None = None
    end: datetime | None = None
    reason: str | None = None

    @classmethod
    def read(cls, answer: Mapping[str, Any]) -> Bot:
        """
        Read a listed bot (``GET /bots``) or a bot's status (``GET /bots/{id}/status``).

        :param answer: One bot as MeetStream answers it.
        """
        attributes = answer.get("custom_attributes")
        attributes = attributes if isinstance(attributes, Mapping) else {}

        def text(*names: str) -> str | None:
            for source in (answer, attributes):
                for name in names:
                    value = source.get(name)
                    if isinstance(value, str) and value:
                        return value
            return None

        return cls(
            bot_id=str(answer["bot_id"]),
            status=str(answer.get("status") or ""),
            event_id=text("event_id"),
            occurrence_date=text("occurrence_date"),
            deduplication_key=text("deduplication_key"),
            transcript_id=text("transcript_id"),
            meeting_url=text("meeting_url"),
            start=_instant(text("start_time", "scheduled_join_time")),
            end=_instant(text("end_time", "meeting_end_time")),
            reason=text("reason"),
        )

    @property
    def occurrence(self) -> datetime | None:
        """Its occurrence's start, when it is per occurrence and readable."""
        return _instant(self.occurrence_date)

    def ended_before(self, instant: datetime) -> bool:
        """Whether its meeting is known to have ended before ``instant``."""
        return self.end is not None and self.end < instant


def _instant(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        return validation.aware_datetime(value, "time")
    except MeetStreamInputError:
        return None


def report_item(bot: Bot, title: str | None, uri: str | None, reason: str | None) -> dict[str, Any]:
    """
    One meeting in a run's report, and in a landed meeting's asset event.

    :param bot: Its bot.
    :param title: The meeting's title, when known.
    :param uri: Its ``meeting.json``, once it has one.
    :param reason: Why it failed, waits or was skipped.
    """
    return {
        "bot_id": bot.bot_id,
        "event_id": bot.event_id,
        "title": title,
        "status": bot.status,
        "reason": reason,
        "uri": uri,
    }


def in_window(bot: Bot, now: datetime, lookback: timedelta) -> bool:
    """
    Whether a listed bot's meeting may have ended within ``lookback`` of ``now``.

    A bot whose end is unknown is kept: the harvest cannot tell, and a landed one costs a read.

    :param bot: The listed bot.
    :param now: The run's now.
    :param lookback: How far back the harvest looks.
    """
    return not bot.ended_before(now - lookback)


def streaming_only(bot_config: Any) -> bool:
    """
    Whether a bot's transcription is live only, so that no transcript is ever made after the meeting.

    MeetStream names a streaming provider with a ``_streaming`` suffix
    (``recording_config.transcript.provider.deepgram_streaming``); such a transcript answers 202 for
    ever.

    :param bot_config: The bot's configuration from its detail.
    """
    config = bot_config if isinstance(bot_config, Mapping) else {}
    recording = config.get("recording_config")
    transcript = recording.get("transcript") if isinstance(recording, Mapping) else None
    provider = transcript.get("provider") if isinstance(transcript, Mapping) else None
    return isinstance(provider, Mapping) and bool(provider) and all("streaming" in str(k) for k in provider)


def jsonl(items: Iterable[Mapping[str, Any]], context: Mapping[str, Any]) -> str:
    """
    Items as JSON lines, the bot's id and event beside each item's own fields.

    :param items: Participants or speaker-timeline entries.
    :param context: ``bot_id`` and ``event_id``.
    """
    lines = []
    for item in items:
        record = {name: value for name, value in context.items() if value is not None}
        record.update((name, value) for name, value in item.items() if name not in record)
        lines.append(transcripts.json_text(record) + "\n")
    return "".join(lines)


def meeting_record(
    bot: Bot,
    *,
    outcome: str,
    title: str | None,
    start: datetime | None,
    end: datetime | None,
    platform: str | None,
    landed_at: datetime,
    landed_by: Mapping[str, Any] | None,
    objects: Mapping[str, str],
    transcript: Mapping[str, Any],
    speakers: list[str],
    duration_seconds: float | None,
    participants: int | None,
    reason: str | None,
) -> dict[str, Any]:
    """
    The content of ``meeting.json``: one row of the meetings table.

    :param bot: The bot.
    :param outcome: ``landed`` (its data is beside it) or ``failed`` (it has none, and says why).
    :param title: The meeting's title from the calendar, when known.
    :param start: The meeting's start, from the calendar or else the bot.
    :param end: The meeting's end, likewise.
    :param platform: ``zoom``, ``google_meet``, ``microsoft_teams``..., when known.
    :param landed_at: When this run wrote it.
    :param landed_by: The task try that wrote it: ``dag_id``, ``task_id``, ``run_id``, ``map_index``,
        ``try_number``; None outside a task.
    :param objects: The objects written beside it, by kind (``transcript``, ``participants``...),
        as names relative to the meeting's folder.
    :param transcript: ``{"status": "landed" | "none" | "missing", "segments", "reason"}``.
    :param speakers: The speakers, in the order they first speak.
    :param duration_seconds: From the first word to the last, when the transcript has timings.
    :param participants: How many people were in the meeting, when known.
    :param reason: Why the meeting failed or lacks data; the bot's own reason for a failed bot.
    """
    return {
        "schema_version": SCHEMA_VERSION,
        "bot_id": bot.bot_id,
        "event_id": bot.event_id,
        "occurrence_date": bot.occurrence_date,
        "deduplication_key": bot.deduplication_key,
        "title": title,
        "start_time": None if start is None else start.isoformat(),
        "end_time": None if end is None else end.isoformat(),
        "platform": platform,
        "status": bot.status,
        "outcome": outcome,
        "reason": reason,
        "transcript_id": bot.transcript_id,
        "transcript": dict(transcript),
        "speakers": speakers,
        "duration_seconds": duration_seconds,
        "participants": participants,
        "objects": dict(objects),
        "landed_at": landed_at.isoformat(),
        "landed_by": None if landed_by is None else dict(landed_by),
    }
