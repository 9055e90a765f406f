"""HarvestMeetingsOperator: land every finished meeting in scope in object storage, run after run."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseOperator

from airflow_provider_meetstream import validation
from airflow_provider_meetstream.constants import DEFAULT_CONN_ID, MAX_CONCURRENCY
from airflow_provider_meetstream.exceptions import MeetStreamError, MeetStreamInputError
from airflow_provider_meetstream.hooks.mixin import MeetStreamHookMixin, merge_hook_params
from airflow_provider_meetstream.templating import KeepsLiteralText, is_templated
from airflow_provider_meetstream.utils import harvest

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context
    from airflow.providers.openlineage.extractors import OperatorLineage

    from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook
    from airflow_provider_meetstream.utils.calendar_meetings import Meeting
    from airflow_provider_meetstream.utils.lineage import RunLineage

#: How far back a harvest looks for ended meetings unless told otherwise: a week, the time
#: MeetStream-like services keep a bot's media by default.
DEFAULT_LOOKBACK = timedelta(days=7)
#: How long after its meeting a transcript may stay at 202 before the meeting lands as failed.
DEFAULT_TRANSCRIPT_TIMEOUT = timedelta(hours=6)
#: The longest ``lookback`` or ``transcript_timeout``: a year.
MAX_SPAN = 366 * 86400.0
#: The most meetings one run lands unless told otherwise; the rest wait for the next run.
DEFAULT_MAX_MEETINGS = 500


@dataclass
class Report:
    """What one run did, as its XCom says: ``{bot_id, event_id, title, status, reason, uri}`` items."""

    landed: list[dict[str, Any]] = field(default_factory=list)
    pending: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[dict[str, Any]] = field(default_factory=list)

    def as_xcom(self) -> dict[str, Any]:
        """The XCom: the counts, then the lists."""
        lists = {
            "landed": self.landed,
            "pending": self.pending,
            "failed": self.failed,
            "skipped": self.skipped,
        }
        return {"counts": {name: len(items) for name, items in lists.items()}, **lists}


class HarvestMeetingsOperator(MeetStreamHookMixin, KeepsLiteralText, BaseOperator):
    """
    Land every finished meeting in scope that has not landed yet: transcript, participants, speakers.

    Each run lists the workspace's bots (``GET /bots``), keeps those in scope (``sync_id``: the
    bots a :class:`~airflow_provider_meetstream.operators.calendar_sync.SyncCalendarBotsOperator`
    made; ``key_prefix``; or ``bot_ids``) whose meeting ended within ``lookback``, and lands each
    one that has no ``meeting.json`` yet under ``base_path``, ``max_concurrency`` at a time:

    - ``Stopped`` or ``Done``: ``<bot_id>/transcript.jsonl`` (one segment a line),
      ``participants.jsonl``, ``speaker_timeline.jsonl``, with ``include_audio`` the recording
      (streamed from its link, never held in memory), then ``meeting.json`` last. Data still
      processing (202) leaves the meeting **pending** for the next run; a streaming-only bot's
      transcript, which never comes, lands the meeting without it and says so; a transcript still
      processing ``transcript_timeout`` after the meeting lands the meeting as **failed**
      (``meeting.json`` alone, with the reason).
    - ``Denied``, ``NotAllowed``, ``Error``: ``meeting.json`` alone, with the status and reason
      (**failed**), never fetched again; so does a meeting whose data MeetStream no longer has.
    - ``Cancelled``: never met, **skipped**; so is a meeting that landed before. A bot still in
      its meeting is left for a later run.

    ``meeting.json`` is what "landed" means: it is written last, each object before it through a
    temporary object and a move, so a run killed half-way lands that meeting again next time, and
    a second run over the same scope writes nothing and sends only reads. The layout is a table a
    warehouse reads directly: ``read_json('<base_path>/*/meeting.json')`` is the meetings.

    The XCom: ``{"counts": {"landed", "pending", "failed", "skipped"}, "landed": [...], ...}``,
    each item ``{"bot_id", "event_id", "title", "status", "reason", "uri"}`` (``uri``:
    ``meeting.json``; a landed item adds ``transcript_uri``). Asset events: on Airflow 3, each
    landed meeting is one event of every ``Asset`` in ``outlets``, its item in ``extra`` (the
    operator turns each such outlet into an ``AssetAlias`` that adds the events, so that no event
    without a meeting is recorded); on Airflow 2, one event a run with ``{"meetings": [...]}``.
    With the OpenLineage provider installed, the run's event names the bots read and the objects
    written: see :meth:`get_openlineage_facets_on_complete`.

    :param base_path: The folder meetings land under, any ``ObjectStoragePath``. Templated.
    :param sync_id: Harvest the bots of this sync (keys starting ``f"{sync_id}|"``). Templated.
    :param key_prefix: Harvest the bots whose deduplication key starts with this. Templated.
    :param bot_ids: Harvest these bots (ids, or upstream results with ``bot_id``). Templated.
    :param lookback: How far back to look for ended meetings: a ``timedelta`` or seconds, default
        7 days. An outage shorter than it is caught up by the next run. Templated.
    :param include_audio: Also land the meeting's recording.
    :param transcript_timeout: How long after its meeting a transcript may still be processing
        before the meeting lands as failed (default 6 hours). Templated.
    :param max_concurrency: Meetings landed at once, on one pooled hook.
    :param max_meetings: The most meetings one run lands; the rest wait for the next. Templated.
    :param storage_conn_id: The Airflow connection of the object store, if it needs one. Templated.
    :param meetstream_conn_id: The Airflow connection to MeetStream. Templated.
    :param hook_params: The hook's arguments: ``timeout``, ``max_retries``, ``pool_maxsize``,
        ``deadline``; ``pool_maxsize`` defaults to ``max_concurrency``.
    """

    template_fields: Sequence[str] = (
        "base_path",
        "sync_id",
        "key_prefix",
        "bot_ids",
        "lookback",
        "transcript_timeout",
        "max_meetings",
        "storage_conn_id",
        "meetstream_conn_id",
    )
    ui_color = "#e8f5e4"
    #: What the run read and wrote, for the OpenLineage facets.
    _lineage: RunLineage | None = None

    def __init__(
        self,
        *,
        base_path: str,
        sync_id: str | None = None,
        key_prefix: str | None = None,
        bot_ids: Any = None,
        lookback: timedelta | float | str = DEFAULT_LOOKBACK,
        include_audio: bool = False,
        transcript_timeout: timedelta | float | str = DEFAULT_TRANSCRIPT_TIMEOUT,
        max_concurrency: int = 8,
        max_meetings: int | str = DEFAULT_MAX_MEETINGS,
        storage_conn_id: str | None = None,
        meetstream_conn_id: str = DEFAULT_CONN_ID,
        hook_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.base_path = base_path
        self.sync_id = sync_id
        self.key_prefix = key_prefix
        self.bot_ids = bot_ids
        self.lookback = lookback
        self.include_audio = include_audio
        self.transcript_timeout = transcript_timeout
        self.max_concurrency = validation.integer(max_concurrency, "max_concurrency", 1, MAX_CONCURRENCY)
        self.max_meetings = max_meetings
        self.storage_conn_id = storage_conn_id
        self.meetstream_conn_id = meetstream_conn_id
        self.hook_params = merge_hook_params(hook_params, pool_maxsize=self.max_concurrency)
        if not isinstance(include_audio, bool):
            raise MeetStreamInputError("include_audio", include_audio, "must be a bool")
        # Whatever is not templated is checked now, at parse time, before any run.
        if not any(is_templated(value) for value in (sync_id, key_prefix, bot_ids)):
            harvest.scope_of(sync_id, key_prefix, bot_ids)
        if not is_templated(base_path):
            validation.non_empty_text(base_path, "base_path")
        for name in ("lookback", "transcript_timeout", "max_meetings"):
            if not is_templated(getattr(self, name)):
                self._setting(name)
        self._meeting_assets = _alias_outlets(self)

    def _setting(self, name: str) -> Any:
        value = getattr(self, name)
        if name == "max_meetings":
            return validation.integer(value, name, 1, 100_000, rendered=True)
        seconds = validation.seconds(value, name, 0, MAX_SPAN, above_low=True, rendered=True, durations=True)
        return timedelta(seconds=seconds)

    def execute(self, context: Context) -> dict[str, Any]:
        """List the bots in scope, land each finished meeting that has not landed, and report."""
        from airflow_provider_meetstream.utils.landing import Landing
        from airflow_provider_meetstream.utils.lineage import RunLineage

        scope = harvest.scope_of(self.sync_id, self.key_prefix, self.bot_ids)
        base_path = validation.non_empty_text(self.base_path, "base_path")
        lookback, timeout = self._setting("lookback"), self._setting("transcript_timeout")
        if timeout >= lookback:
            # A meeting still processing would leave the window before the timeout settled it.
            raise MeetStreamInputError(
                "transcript_timeout", self.transcript_timeout, "must be shorter than lookback"
            )
        max_meetings = self._setting("max_meetings")
        now = datetime.now(timezone.utc)
        report = Report()
        ti = context.get("ti")
        run = _task_run(ti)
        landed_by = None if ti is None or run is None else {**run, "try_number": ti.try_number}
        with self.hook as hook:
            landing = Landing(
                hook, base_path, self.storage_conn_id, now, timeout, self.include_audio, landed_by
            )
            bots = self._bots_in_scope(hook, scope, now, lookback)
            waiting = [bot for bot in bots if harvest.fate(bot.status) == harvest.WAIT]
            due = []
            for bot in bots:
                if harvest.fate(bot.status) == harvest.SKIP:
                    report.skipped.append(
                        harvest.report_item(bot, None, None, "the bot never met (Cancelled)")
                    )
                elif harvest.fate(bot.status) != harvest.WAIT:
                    due.append(bot)
            landed_before = landing.landed(due, self.max_concurrency)
            unannounced = _unannounced(landing, run, landed_by, landed_before)
            for bot in due:
                if bot.bot_id in unannounced:
                    report.landed.append(unannounced[bot.bot_id])
                elif bot.bot_id in landed_before:
                    report.skipped.append(
                        harvest.report_item(bot, None, landed_before[bot.bot_id], "landed before")
                    )
            to_land = sorted(
                (bot for bot in due if bot.bot_id not in landed_before),
                key=lambda bot: (bot.end or now, bot.bot_id),
            )
            if len(to_land) > max_meetings:
                self.log.info(
                    "%d meetings to land; this run lands the %d that ended first, the next run the rest.",
                    len(to_land),
                    max_meetings,
                )
                to_land = to_land[:max_meetings]
            calendar = self._calendar(hook, to_land, now, lookback)
            # Recorded as the meetings land, so that a run failing half-way reports what it wrote.
            self._lineage = lineage = RunLineage(hook.config.base_url)
            for result in landing.land_all(to_land, calendar, self.max_concurrency):
                getattr(report, result.kind).append(result.item)
                lineage.bot_ids.append(result.item["bot_id"])
                lineage.uris.extend(result.written)
            if run is not None and report.landed:
                landing.mark_run(run, [item["bot_id"] for item in report.landed])
        self.log.info(
            "Harvest of %s since %s: %s; %d still in or before their meeting.",
            scope.describe(),
            (now - lookback).isoformat(),
            ", ".join(f"{count} {name}" for name, count in report.as_xcom()["counts"].items()),
            len(waiting),
        )
        for item in report.pending + report.failed:
            self.log.info(
                "%s %s (%s): %s", item["bot_id"], item["title"] or "", item["status"], item["reason"]
            )
        self._emit(context, report)
        return report.as_xcom()

    def _bots_in_scope(
        self, hook: MeetStreamHook, scope: harvest.Scope, now: datetime, lookback: timedelta
    ) -> list[harvest.Bot]:
        if scope.bot_ids is not None:
            # Explicit ids are taken whatever their age: the caller named them.
            return [harvest.Bot.read(hook.get_bot_status(bot_id)) for bot_id in scope.bot_ids]
        listed = (harvest.Bot.read(answer) for answer in hook.iter_bots())
        return [bot for bot in listed if scope.takes(bot) and harvest.in_window(bot, now, lookback)]

    def _calendar(
        self, hook: MeetStreamHook, bots: list[harvest.Bot], now: datetime, lookback: timedelta
    ) -> dict[tuple[str, datetime | None], Meeting]:
        # One listing of the days the meetings ended in gives every title, start and end.
        from airflow_provider_meetstream.utils.calendar_meetings import read_calendar

        if not any(bot.event_id for bot in bots):
            return {}
        ends = [bot.end for bot in bots if bot.end is not None]
        start = min(ends, default=now - lookback) - timedelta(days=1)
        # MeetStream's clock, not the worker's, said these meetings ended: the window holds them all.
        end = max([*ends, now]) + timedelta(hours=1)
        try:
            events = list(hook.iter_events(time_min=start, time_max=end, page_size=100))
        except MeetStreamError as err:
            # Titles and times are a nicety: the meetings land without them rather than not at all.
            self.log.warning("Could not read the calendar for the meetings' titles: %s", err)
            return {}
        calendar = read_calendar(events, start, end)
        found: dict[tuple[str, datetime | None], Meeting] = {}
        for meeting in calendar.meetings.values():
            for seat in calendar.seats.get(meeting.identity, ()):
                found.setdefault(seat, meeting)
        return found

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> OperatorLineage[Any, Any]:
        """
        The run's lineage, for the OpenLineage provider: the bots read, the objects written.

        Only the OpenLineage provider calls this, and only here is it imported. The inputs are the
        bots whose data this run read to land their meetings (landed, failed, or left pending),
        each ``meetstream://<host[:port]>`` of the connection's API and ``bots/<bot_id>``; the outputs
        are the objects this run wrote (``transcript.jsonl``, ``participants.jsonl``,
        ``speaker_timeline.jsonl``, the audio, ``meeting.json``), named by OpenLineage's dataset
        naming (a local file is ``file`` and its absolute path; ``s3://bucket`` and the key).
        Meetings landed by earlier runs are in neither.

        :param task_instance: The finished task instance; unused: the run recorded what it did.
        """
        from airflow_provider_meetstream.utils.lineage import operator_lineage

        return operator_lineage(self._lineage)

    def _emit(self, context: Context, report: Report) -> None:
        if not report.landed:
            return
        outlet_events = context.get("outlet_events")
        if outlet_events is None:
            return
        if self._meeting_assets:
            for alias, asset in self._meeting_assets:
                for item in report.landed:
                    outlet_events[alias].add(asset, extra=json.loads(json.dumps(item)))
            return
        for outlet in self.outlets or ():
            outlet_events[outlet].extra = {"meetings": json.loads(json.dumps(report.landed))}


def _task_run(ti: Any) -> dict[str, Any] | None:
    # Which task run this is, from the task instance; None outside one (a test calling execute).
    if ti is None:
        return None
    return {"dag_id": ti.dag_id, "task_id": ti.task_id, "run_id": ti.run_id, "map_index": ti.map_index}


def _unannounced(
    landing: Any, run: dict[str, Any] | None, landed_by: dict[str, Any] | None, landed: dict[str, str]
) -> dict[str, dict[str, Any]]:
    """
    The meetings this task run landed in an earlier try and never announced, by bot id.

    Airflow records a task's asset events only when the task succeeds: a try killed after landing
    some meetings announced none of them, and the next try finds them landed. Each try that ends
    notes what the run announced (:meth:`Landing.mark_run`), so a cleared task announces nothing
    twice. Only on a later try: a first try has nothing of its own to catch up.
    """
    if run is None or landed_by is None or landed_by["try_number"] <= 1 or not landed:
        return {}
    announced = set(landing.announced(run))
    found = {}
    for bot_id, uri in landed.items():
        if bot_id in announced:
            continue
        meeting = landing.read_meeting(bot_id)
        if {key: (meeting.get("landed_by") or {}).get(key) for key in run} != run:
            continue
        if meeting.get("outcome") != "landed":
            continue
        transcript = meeting.get("objects", {}).get("transcript")
        item = harvest.report_item(
            harvest.Bot.read(meeting), meeting.get("title"), uri, meeting.get("reason")
        )
        item["transcript_uri"] = None if transcript is None else uri.rsplit("/", 1)[0] + f"/{transcript}"
        found[bot_id] = item
    return found


def _alias_outlets(task: BaseOperator) -> list[tuple[Any, Any]]:
    """
    On Airflow 3, put an ``AssetAlias`` in place of each ``Asset`` outlet, and return the pairs.

    An ``Asset`` outlet gets one event per task run; through an alias, a task adds one event per
    landed meeting to the same asset, each with its own ``extra``, and none when nothing landed.
    Airflow 2's datasets keep their one event a run.
    """
    try:
        from airflow.sdk import Asset, AssetAlias
    except ImportError:  # Airflow 2
        return []
    pairs = []
    outlets = []
    for outlet in task.outlets or ():
        if isinstance(outlet, Asset):
            alias = AssetAlias(name=f"meetstream-harvest:{outlet.name}")
            pairs.append((alias, outlet))
            outlets.append(alias)
        else:
            outlets.append(outlet)
    if pairs:
        task.outlets = outlets
    return pairs
