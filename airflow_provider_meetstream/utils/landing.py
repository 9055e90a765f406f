"""Landing meetings in object storage: atomic objects, one folder a bot, ``meeting.json`` written last."""

from __future__ import annotations

import json
import logging
import re
import uuid
from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from airflow_provider_meetstream import validation
from airflow_provider_meetstream.exceptions import (
    MeetStreamAuthError,
    MeetStreamError,
    MeetStreamNotFoundError,
    MeetStreamNotReadyError,
    MeetStreamStorageError,
)
from airflow_provider_meetstream.utils import harvest, transcripts

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import ObjectStoragePath

    from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook
    from airflow_provider_meetstream.hooks.wire import MediaLink
    from airflow_provider_meetstream.utils.calendar_meetings import Meeting

log = logging.getLogger(__name__)
#: A calendar's meetings by (event id, occurrence start or None).
MeetingsBySeat = Mapping[tuple[str, datetime | None], "Meeting"]


def write_atomically(path: ObjectStoragePath, write: str | Callable[[Any], object]) -> None:
    """
    Write an object through a temporary object beside it, then move it onto ``path``.

    A reader never sees half an object, and a failed write leaves no temporary object behind.
    Once the move is done, temporaries of ``path`` that an earlier run left (a worker killed while
    writing) are removed.

    :param path: The final object.
    :param write: Its whole text, or a function given the temporary object's binary file to stream into.
    """
    temporary = path.parent / f".{path.name}.{uuid.uuid4().hex}.tmp"
    try:
        if isinstance(write, str):
            temporary.write_text(write, encoding="utf-8")
        else:
            with temporary.open("wb") as file:  # type: ignore[no-untyped-call]
                write(file)
        temporary.rename(path)
    except BaseException:
        if temporary.exists():
            temporary.unlink()
        raise
    _remove_leftovers(path)


def _remove_leftovers(path: ObjectStoragePath) -> None:
    # Best effort: the object is written, and a store that lets a worker write but not list (or
    # delete) must not fail it. Only this object's own temporaries match, not another's whose name
    # merely starts the same (the transcript "abc.jsonl" beside "abc").
    own = re.compile(rf"\.{re.escape(path.name)}\.[0-9a-f]{{32}}\.tmp")
    try:
        for leftover in path.parent.iterdir():
            if own.fullmatch(leftover.name):
                leftover.unlink(missing_ok=True)
    except Exception as err:
        log.warning("Could not remove the temporaries a killed write may have left beside %s: %s", path, err)


def bot_folder(base: ObjectStoragePath, bot_id: str) -> ObjectStoragePath:
    """
    The folder of one bot's objects: its id as one path segment, cut to a name every store holds.

    :param base: The folder meetings land under.
    :param bot_id: The bot.
    """
    return base / transcripts.object_name(validation.path_segment(bot_id, "bot_id"))


@dataclass(frozen=True)
class Result:
    """
    One meeting's fate in a run: ``landed``, ``pending`` or ``failed``, its report item, what it wrote.

    :param kind: ``landed``, ``pending`` or ``failed``.
    :param item: Its item in the run's report.
    :param written: The objects this run wrote for it, as URIs, ``meeting.json`` last; none when pending.
    """

    kind: str
    item: dict[str, Any]
    written: tuple[str, ...] = ()


class _Pending(Exception):
    """The meeting's data is still processing: the next run tries again."""


class _Gone(Exception):
    """MeetStream has none of the meeting's data any more (or never made it): it lands as failed."""


class Landing:
    """
    Lands meetings for one harvest run, on one pooled hook and one object store.

    :param hook: The run's hook, shared by the threads.
    :param base_path: The folder meetings land under.
    :param storage_conn_id: The object store's connection, if any.
    :param now: The run's now.
    :param transcript_timeout: How long after its meeting a transcript may still be processing.
    :param include_audio: Whether the recording lands too.
    :param landed_by: The task try landing them, recorded in each ``meeting.json``.
    """

    def __init__(
        self,
        hook: MeetStreamHook,
        base_path: str,
        storage_conn_id: str | None,
        now: datetime,
        transcript_timeout: timedelta,
        include_audio: bool,
        landed_by: Mapping[str, Any] | None = None,
    ) -> None:
        from airflow.providers.common.compat.sdk import ObjectStoragePath

        self.hook = hook
        self.base = ObjectStoragePath(base_path, conn_id=storage_conn_id)
        self.now = now
        self.transcript_timeout = transcript_timeout
        self.include_audio = include_audio
        self.landed_by = landed_by

    def landed(self, bots: list[harvest.Bot], concurrency: int) -> dict[str, str]:
        """
        The bots among ``bots`` whose meeting has landed: their ``meeting.json``, by bot id.

        :param bots: The bots to look at.
        :param concurrency: Looks at once.
        """

        def look(bot: harvest.Bot) -> tuple[str, str | None]:
            path = bot_folder(self.base, bot.bot_id) / harvest.MEETING_FILE
            return bot.bot_id, str(path) if path.exists() else None

        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="meetstream-harvest") as pool:
            return {bot_id: uri for bot_id, uri in pool.map(look, bots) if uri is not None}

    def read_meeting(self, bot_id: str) -> dict[str, Any]:
        """
        A landed meeting's ``meeting.json``.

        :param bot_id: The bot.
        """
        path = bot_folder(self.base, bot_id) / harvest.MEETING_FILE
        record: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
        return record

    def run_marker(self, run: Mapping[str, Any]) -> ObjectStoragePath:
        """
        Where a task run notes, as it ends, the meetings it landed and announced.

        :param run: ``dag_id``, ``task_id``, ``run_id`` and ``map_index`` of the task run.
        """
        name = ".".join(str(run[key]) for key in ("dag_id", "task_id", "run_id", "map_index"))
        return (
            self.base
            / harvest.RUNS_FOLDER
            / f"{transcripts.object_name(validation.path_segment(name, 'run'))}.json"
        )

    def announced(self, run: Mapping[str, Any]) -> list[str]:
        """
        The meetings a task run's earlier tries announced, as their notes say (see :meth:`mark_run`).

        :param run: The task run.
        """
        marker = self.run_marker(run)
        if not marker.exists():
            return []
        announced = json.loads(marker.read_text(encoding="utf-8")).get("announced")
        return [str(bot_id) for bot_id in announced] if isinstance(announced, list) else []

    def mark_run(self, run: Mapping[str, Any], bot_ids: list[str]) -> None:
        """
        Note, as a try of a task run ends, the meetings the run announced, those of earlier tries kept.

        Airflow records a task's asset events only when it succeeds: a later try of the same run
        (a retry after a kill, a cleared task) announces what the run landed and this note lacks.

        :param run: The task run.
        :param bot_ids: The meetings this try announced.
        """
        marker = self.run_marker(run)
        announced = sorted({*self.announced(run), *bot_ids})
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            write_atomically(marker, transcripts.json_text({**run, "announced": announced}) + "\n")
        except Exception as err:
            raise MeetStreamStorageError("-", "-", str(marker), f"{type(err).__name__}: {err}") from err

    def land_all(
        self, bots: list[harvest.Bot], calendar: MeetingsBySeat, concurrency: int
    ) -> Iterator[Result]:
        """
        Land each bot's meeting, ``concurrency`` at a time, and yield their results in order.

        :param bots: The bots to land.
        :param calendar: Their meetings, for titles and times.
        :param concurrency: Meetings at once.
        """
        with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="meetstream-harvest") as pool:
            yield from pool.map(lambda bot: self.land(bot, calendar), bots)

    def land(self, bot: harvest.Bot, calendar: MeetingsBySeat) -> Result:
        """
        Land one meeting: its data, then ``meeting.json``; or report why not yet.

        :param bot: A bot that ended.
        :param calendar: The meetings, for its title and times.
        """
        meeting = calendar.get((bot.event_id or "", bot.occurrence))
        folder = bot_folder(self.base, bot.bot_id)
        title = meeting.title if meeting is not None else None
        record = str(folder / harvest.MEETING_FILE)
        item = harvest.report_item(bot, title, record, bot.reason)
        try:
            if harvest.fate(bot.status) == harvest.FAIL:
                refused = bot.reason or f"the bot ended {bot.status}"
                self._finish(folder, bot, meeting, "failed", {}, refused)
                return Result("failed", {**item, "reason": refused}, (record,))
            objects, facts = self._fetch(folder, bot)
        except _Pending as pending:
            return Result("pending", {**item, "reason": str(pending)})
        except _Gone as gone:
            self._finish(folder, bot, meeting, "failed", {}, str(gone))
            return Result("failed", {**item, "reason": str(gone)}, (record,))
        except (MeetStreamStorageError, MeetStreamAuthError):
            raise
        except MeetStreamError as err:
            # Anything else (MeetStream down past the hook's retries): the next run tries again.
            return Result("pending", {**item, "reason": f"{type(err).__name__}: {err}"})
        reason = facts.pop("reason", None)
        self._finish(folder, bot, meeting, "landed", objects, reason, **facts)
        transcript_uri = str(folder / objects["transcript"]) if "transcript" in objects else None
        written = (*(str(folder / name) for name in objects.values()), record)
        return Result("landed", {**item, "reason": reason, "transcript_uri": transcript_uri}, written)

    def _fetch(self, folder: ObjectStoragePath, bot: harvest.Bot) -> tuple[dict[str, str], dict[str, Any]]:
        # Every read first, every write after: a meeting still processing writes nothing.
        hook = self.hook
        segments, transcript, transcript_id = self._transcript(bot)
        participants = self._read(lambda: hook.get_participants(bot.bot_id), "participants", bot)
        timeline = self._read(lambda: hook.get_speaker_timeline(bot.bot_id), "speaker timeline", bot)
        link = (
            # Unmasked: streamed at once by stream_media, which keeps it out of urllib3's logs; the
            # masker would compile every link of the run again at each new one.
            self._read(lambda: hook.get_audio_url(bot.bot_id, mask=False), "recording", bot)
            if self.include_audio
            else None
        )
        context = {"bot_id": bot.bot_id, "event_id": bot.event_id}
        objects: dict[str, str] = {}
        self._mkdir(folder, bot)
        if segments is not None:
            context_t = {**context, "transcript_id": transcript_id, "meeting_url": bot.meeting_url}
            objects["transcript"] = self._write(
                folder, harvest.TRANSCRIPT_FILE, transcripts.jsonl(segments, context_t), bot
            )
        if participants is not None:
            objects["participants"] = self._write(
                folder, harvest.PARTICIPANTS_FILE, harvest.jsonl(participants, context), bot
            )
        if timeline is not None:
            objects["speaker_timeline"] = self._write(
                folder, harvest.TIMELINE_FILE, harvest.jsonl(timeline, context), bot
            )
        if link is not None:
            objects["audio"] = self._audio(folder, bot, link)
        facts = {
            "transcript": transcript,
            "speakers": transcripts.speakers(segments or []),
            "duration_seconds": transcripts.duration_seconds(segments or []),
            "participants": None if participants is None else len(participants),
            "reason": transcript.get("reason"),
            "transcript_id": transcript_id,
        }
        return objects, facts

    def _transcript(self, bot: harvest.Bot) -> tuple[list[dict[str, Any]] | None, dict[str, Any], str | None]:
        # The bot's detail is read only when the listing names no transcript, or the transcript is
        # not there: it says whether the bot's transcription was live only.
        transcript_id, detail = bot.transcript_id, None
        if transcript_id is None:
            detail = self.hook.get_bot_detail(bot.bot_id)
            transcript_id = transcripts.transcript_id_of(detail)
        try:
            if transcript_id is None:
                raise MeetStreamNotReadyError("the bot names no transcript yet", status_code=200)
            segments = self.hook.get_transcript(transcript_id)
        except MeetStreamNotReadyError:
            detail = detail or self.hook.get_bot_detail(bot.bot_id)
            if harvest.streaming_only(detail.get("bot_config")):
                reason = "the bot's transcription was live only: MeetStream makes no transcript after it"
                return None, {"status": "none", "reason": reason}, transcript_id
            if bot.end is not None and self.now - bot.end > self.transcript_timeout:
                hours = self.transcript_timeout.total_seconds() / 3600
                raise _Gone(f"the transcript was still processing {hours:g} h after the meeting") from None
            raise _Pending("the transcript is still processing") from None
        except MeetStreamNotFoundError as err:
            raise _Gone(f"MeetStream no longer has the meeting's data: {err}") from None
        return segments, {"status": "landed", "segments": len(segments)}, transcript_id

    def _read(self, read: Callable[[], Any], what: str, bot: harvest.Bot) -> Any:
        try:
            return read()
        except MeetStreamNotReadyError:
            if bot.end is not None and self.now - bot.end > self.transcript_timeout:
                return None
            raise _Pending(f"the {what} is still processing") from None
        except MeetStreamNotFoundError as err:
            raise _Gone(f"MeetStream no longer has the meeting's data: {err}") from None

    def _audio(self, folder: ObjectStoragePath, bot: harvest.Bot, link: MediaLink) -> str:
        # The link was fetched with the meeting's other reads, seconds ago: it lasts minutes, and
        # is never kept or logged.
        name = f"{harvest.AUDIO_STEM}.{_extension(link.file_type)}"
        try:
            write_atomically(folder / name, lambda file: self.hook.stream_media(link, file.write))
        except MeetStreamError:
            raise
        except Exception as err:
            raise self._storage_error(bot, folder / name, err) from err
        return name

    def _finish(
        self,
        folder: ObjectStoragePath,
        bot: harvest.Bot,
        meeting: Meeting | None,
        outcome: str,
        objects: dict[str, str],
        reason: str | None,
        *,
        transcript: dict[str, Any] | None = None,
        speakers: list[str] | None = None,
        duration_seconds: float | None = None,
        participants: int | None = None,
        transcript_id: str | None = None,
    ) -> None:
        record = harvest.meeting_record(
            bot if transcript_id is None else replace(bot, transcript_id=transcript_id),
            outcome=outcome,
            title=None if meeting is None else meeting.title,
            start=bot.start if meeting is None else meeting.start,
            end=bot.end if meeting is None else meeting.end,
            platform=None if meeting is None else meeting.platform,
            landed_at=self.now,
            landed_by=self.landed_by,
            objects=objects,
            transcript=transcript or {"status": "none", "reason": reason},
            speakers=speakers or [],
            duration_seconds=duration_seconds,
            participants=participants,
            reason=reason,
        )
        self._mkdir(folder, bot)
        self._write(folder, harvest.MEETING_FILE, transcripts.json_text(record, indent=2) + "\n", bot)

    def _mkdir(self, folder: ObjectStoragePath, bot: harvest.Bot) -> None:
        try:
            folder.mkdir(parents=True, exist_ok=True)
        except Exception as err:
            raise self._storage_error(bot, folder, err) from err

    def _write(self, folder: ObjectStoragePath, name: str, text: str, bot: harvest.Bot) -> str:
        try:
            write_atomically(folder / name, text)
        except Exception as err:
            raise self._storage_error(bot, folder / name, err) from err
        return name

    @staticmethod
    def _storage_error(bot: harvest.Bot, path: ObjectStoragePath, err: Exception) -> MeetStreamStorageError:
        return MeetStreamStorageError(
            bot.bot_id, str(bot.transcript_id), str(path), f"{type(err).__name__}: {err}"
        )


def _extension(file_type: str | None) -> str:
    text = re.sub(r"[^A-Za-z0-9]", "", str(file_type or ""))[:8]
    return text or "bin"
