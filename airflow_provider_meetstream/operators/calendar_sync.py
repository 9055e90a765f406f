"""SyncCalendarBotsOperator: keep MeetStream's bots true to moved, cancelled and new meetings."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.providers.common.compat.sdk import BaseOperator

from airflow_provider_meetstream import validation
from airflow_provider_meetstream.constants import DEFAULT_CONN_ID, MAX_CONCURRENCY, MAX_LIST_LIMIT
from airflow_provider_meetstream.exceptions import MeetStreamError, MeetStreamInputError
from airflow_provider_meetstream.hooks.mixin import MeetStreamHookMixin, merge_hook_params
from airflow_provider_meetstream.templating import KeepsLiteralText, check_now

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

    from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook
    from airflow_provider_meetstream.rules import RecordingRules
    from airflow_provider_meetstream.utils.calendar_meetings import Meeting
    from airflow_provider_meetstream.utils.calendar_sync import Action, Outcome

#: The lead MeetStream documents: a bot joins three minutes before its meeting.
DEFAULT_JOIN_LEAD = timedelta(minutes=3)
#: A moved bot whose new join time has already passed joins this soon instead (MeetStream refuses
#: a join time in the past).
_PAST_JOIN_GRACE = timedelta(seconds=30)
#: The longest window or lead a sync takes, in seconds: a year and a day.
MAX_SPAN = 366 * 24 * 3600.0


def _duration(value: Any, argument: str) -> timedelta:
    # ``lookahead`` is templated: a number of seconds may arrive rendered as text.
    return timedelta(seconds=validation.seconds(value, argument, 0, MAX_SPAN, rendered=True, durations=True))


def _names(value: Any, argument: str) -> frozenset[str] | None:
    if value is None:
        return None
    items = [value] if isinstance(value, str) else value
    if not isinstance(items, Iterable) or isinstance(items, dict):
        raise MeetStreamInputError(argument, value, "must be a list of strings")
    names = list(items)
    if not names or not all(isinstance(name, str) and name for name in names):
        raise MeetStreamInputError(argument, value, "must be a non-empty list of non-empty strings")
    return frozenset(names)


def _pattern(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise MeetStreamInputError("title_pattern", value, "must be a regular expression string")
    try:
        re.compile(value)
    except re.error as err:
        raise MeetStreamInputError("title_pattern", value, f"is not a regular expression: {err}") from None
    return value


def _rules(value: Any) -> RecordingRules:
    from airflow_provider_meetstream.rules import RecordingRules, RulesError

    try:
        return RecordingRules.from_value(value)
    except RulesError as err:
        argument = "rules" if err.key == "rules" else f"rules.{err.key}"
        raise MeetStreamInputError(argument, err.value, err.reason) from None


def _sync_id(value: Any) -> str:
    # "|" ends the prefix of the keys a sync owns: "crm" would own every key of a sync "crm|eu".
    key = validation.deduplication_key(value, "sync_id", 200)
    if "|" in key:
        raise MeetStreamInputError(
            "sync_id", value, 'must not contain "|", which ends the prefix of its keys'
        )
    return key


def _sync_bot_config(value: Any) -> dict[str, Any]:
    config = validation.bot_config(value)
    if "join_at" in config:
        raise MeetStreamInputError(
            "bot_config", value, "must not set join_at: the sync sets each bot's join time from its meeting"
        )
    return config


class SyncCalendarBotsOperator(MeetStreamHookMixin, KeepsLiteralText, BaseOperator):
    """
    Make MeetStream's bots for a window of the calendar match the calendar.

    Each run lists the calendar's events in the window (``GET /calendar/events``), applies each
    series' exceptions (a moved occurrence replaces its slot, a cancelled one removes it), keeps
    the meetings to record (a meeting URL, plus the filters and the recording rules given), and
    compares them with the bots the listing shows on them (each event's ``bots``, deleted events
    included, and ``GET /calendar/scheduled``). The sync owns the bots whose deduplication key it
    made, ``f"{sync_id}|<meeting identity>"``. It then **adds** a bot for each selected meeting
    that has none, **keeps** a meeting another owner's bot records (MeetStream would displace that
    bot; with ``take_over`` the sync replaces it instead), **moves** a waiting bot of its own whose
    meeting moved (same bot, event and key; new join time), **cancels** a waiting bot of its own
    whose meeting was deleted, cancelled, moved out of the window or is no longer selected, and
    **keeps** the rest. It never cancels, moves or displaces a bot it did not make, nor touches one
    that has joined or finished. Each meeting the filters keep and the rules leave out is
    **skipped** with its reason ("skipped: declined by the calendar's owner"). The same meeting in
    two attendees' calendars gets one bot. A second run with nothing changed sends only reads: the
    events' pages and one scheduled list.

    .. code-block:: python

        SyncCalendarBotsOperator(
            task_id="sync_bots",
            rules={"internal_domains": ["example.com"], "record": "external"},
            lookahead=timedelta(hours=24),
            bot_config={"bot_name": "Notetaker"},
        )

    The XCom: ``{"sync_id", "window_start", "window_end", "dry_run", "truncated", "counts": {"add",
    "move", "cancel", "keep", "skip", "failed"}, "added", "moved", "cancelled", "kept", "skipped",
    "failed", "bot_ids"}``: each list holds ``{"event_id", "occurrence", "title", "bot_id",
    "deduplication_key", "old_join", "new_join", "reason"}``, and ``bot_ids`` the bots added or
    moved, ready for a :class:`~airflow_provider_meetstream.sensors.meetstream.ListScheduledSensor`:
    with ``multiple_outputs=True`` each key is an XCom of its own, ``sync.output["bot_ids"]``.

    :param sync_id: The prefix of every key this sync owns; default ``"<dag_id>.<task_id>"``. Two
        syncs with different ids never touch each other's bots: the first to record a meeting keeps
        it. Templated.
    :param window_start: The window's start, aware or ISO 8601 with an offset; default now. Templated.
    :param window_end: The window's end; default ``window_start + lookahead``. Templated.
    :param lookahead: The window's length when ``window_end`` is not given: a timedelta or seconds
        (default 24 hours). Templated.
    :param calendar_id: List only this calendar's events. Templated.
    :param title_pattern: Keep meetings whose title matches this regular expression
        (case-insensitive search). Templated.
    :param platforms: Keep meetings on these platforms (``zoom``, ``google_meet``,
        ``microsoft_teams``).
    :param calendar_ids: Keep meetings of these calendars.
    :param select: Anything else: ``select(meeting) -> bool`` on a
        :class:`~airflow_provider_meetstream.utils.calendar_meetings.Meeting`.
    :param rules: Recording rules (:class:`~airflow_provider_meetstream.rules.RecordingRules`): a
        dict of them, their JSON text (a ``Param`` rendered with ``| tojson``), or the class;
        checked at parse time when literal and after rendering when templated. The other filters
        and the rules must all hold; each meeting the rules leave out is in the plan with the
        reason. Templated.
    :param bot_config: The bots' configuration; ``join_at`` is the sync's own. Templated.
    :param join_lead: How long before its meeting a bot joins (default 3 minutes, as MeetStream).
    :param take_over: Schedule the sync's own bot on a selected meeting that another owner's bot
        records, replacing that bot (default False: the meeting is kept, and the plan says whose
        bot records it).
    :param dry_run: Compute and log the plan, write nothing.
    :param max_concurrency: Write requests in flight at once, up to ``MAX_CONCURRENCY``.
    :param meetstream_conn_id: The Airflow connection to use. Templated.
    :param hook_params: The hook's arguments: ``timeout``, ``max_retries``, ``pool_maxsize``, ``deadline``;
        ``pool_maxsize`` defaults to ``max_concurrency``.
    """

    template_fields: Sequence[str] = (
        "sync_id",
        "window_start",
        "window_end",
        "lookahead",
        "calendar_id",
        "title_pattern",
        "rules",
        "bot_config",
        "meetstream_conn_id",
    )
    template_fields_renderers: ClassVar[dict[str, str]] = {"bot_config": "json", "rules": "json"}
    ui_color = "#e3f1e8"

    def __init__(
        self,
        *,
        sync_id: str | None = None,
        window_start: datetime | str | None = None,
        window_end: datetime | str | None = None,
        lookahead: timedelta | float = timedelta(hours=24),
        calendar_id: str | None = None,
        title_pattern: str | None = None,
        platforms: Sequence[str] | None = None,
        calendar_ids: Sequence[str] | None = None,
        select: Callable[[Meeting], bool] | None = None,
        rules: RecordingRules | dict[str, Any] | str | None = None,
        bot_config: dict[str, Any] | None = None,
        join_lead: timedelta | float = DEFAULT_JOIN_LEAD,
        take_over: bool = False,
        dry_run: bool = False,
        max_concurrency: int = 8,
        meetstream_conn_id: str = DEFAULT_CONN_ID,
        hook_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.sync_id = sync_id
        self.window_start = window_start
        self.window_end = window_end
        self.lookahead = lookahead
        self.calendar_id = calendar_id
        self.title_pattern = title_pattern
        self.platforms = _names(platforms, "platforms")
        self.calendar_ids = _names(calendar_ids, "calendar_ids")
        if select is not None and not callable(select):
            raise MeetStreamInputError("select", select, "must be a callable taking a Meeting")
        self.select = select
        # Kept as data, so that a DAG's serialised form and its rendered fields show the rules.
        to_dict = getattr(rules, "to_dict", None)
        self.rules = to_dict() if callable(to_dict) else rules
        self.bot_config = bot_config
        self.join_lead = _duration(join_lead, "join_lead")
        self.take_over = bool(validation.optional_bool(take_over, "take_over"))
        # BaseOperator.dry_run() is a method of Airflow's own; the flag keeps another name.
        self.plan_only = bool(validation.optional_bool(dry_run, "dry_run"))
        self.max_concurrency = validation.integer(max_concurrency, "max_concurrency", 1, MAX_CONCURRENCY)
        self.meetstream_conn_id = meetstream_conn_id
        # Every thread holds a pooled connection; fewer would make threads wait for one.
        self.hook_params = merge_hook_params(hook_params, pool_maxsize=self.max_concurrency)
        self._check_arguments()

    def _check_arguments(self) -> None:
        check_now(self.sync_id, _sync_id)
        check_now(self.window_start, validation.iso_datetime, "window_start")
        check_now(self.window_end, validation.iso_datetime, "window_end")
        check_now(self.lookahead, _duration, "lookahead")
        check_now(self.calendar_id, validation.non_empty_text, "calendar_id")
        check_now(self.title_pattern, _pattern)
        check_now(self.rules, _rules)
        check_now(self.bot_config, _sync_bot_config)

    def _window(self) -> tuple[datetime, datetime]:
        start = (
            datetime.now(timezone.utc)
            if self.window_start is None
            else validation.aware_datetime(self.window_start, "window_start")
        )
        end = (
            start + _duration(self.lookahead, "lookahead")
            if self.window_end is None
            else validation.aware_datetime(self.window_end, "window_end")
        )
        if end <= start:
            raise MeetStreamInputError("window_end", self.window_end, "must be later than window_start")
        return start.astimezone(timezone.utc), end.astimezone(timezone.utc)

    def execute(self, context: Context) -> dict[str, Any]:
        """Read the calendar and the bots, plan, carry the plan out, and return the report."""
        from airflow_provider_meetstream.utils.calendar_meetings import read_calendar
        from airflow_provider_meetstream.utils.calendar_sync import format_plan, plan, sync_report
        from airflow_provider_meetstream.utils.selection import Selection
        from airflow_provider_meetstream.utils.workspace_bots import list_reach, listed_bots

        self._check_arguments()
        sync_id = _sync_id(self.sync_id or f"{self.dag_id}.{self.task_id}")
        bot_config = _sync_bot_config(self.bot_config)
        window_start, window_end = self._window()
        selection = Selection(
            title_pattern=_pattern(self.title_pattern),
            platforms=self.platforms,
            calendar_ids=self.calendar_ids,
            select=self.select,
            rules=None if self.rules is None else _rules(self.rules),
        )
        with self.hook as hook:
            events = list(
                hook.iter_events(
                    time_min=window_start,
                    time_max=window_end,
                    calendar_id=self.calendar_id,
                    page_size=MAX_LIST_LIMIT,
                )
            )
            scheduled = hook.list_scheduled_bots(limit=MAX_LIST_LIMIT)
            reach = list_reach(scheduled, MAX_LIST_LIMIT)
            truncated = reach is None or reach < window_end
            if truncated:
                self.log.warning(
                    "MeetStream listed a full page of %d scheduled bots that does not reach the "
                    "window's end. The sync finds its bots on the listed events (deleted ones "
                    "included); a bot of its own on an event the listing no longer shows at all may "
                    "sit beyond that page, and is cancelled by a later run that sees it.",
                    MAX_LIST_LIMIT,
                )
            calendar = read_calendar(events, window_start, window_end)
            for event_id, problem in calendar.problems:
                self.log.warning(
                    "Event %s is left out: its series cannot be expanded (%s).", event_id, problem
                )
            actions = plan(
                calendar,
                listed_bots(events, scheduled),
                sync_id=sync_id,
                selection=selection,
                window_start=window_start,
                window_end=window_end,
                join_lead=self.join_lead,
                now=datetime.now(timezone.utc),
                list_reach=reach,
                take_over=self.take_over,
            )
            self.log.info(
                "Sync %s, %s to %s%s:\n%s",
                sync_id,
                window_start.isoformat(),
                window_end.isoformat(),
                " (dry run: nothing is written)" if self.plan_only else "",
                format_plan(actions),
            )
            outcomes: list[Outcome] = []
            if not self.plan_only:
                outcomes = self._carry_out(hook, actions, bot_config)
        report = sync_report(sync_id, window_start, window_end, truncated, actions, outcomes)
        report["dry_run"] = self.plan_only
        if report["failed"]:
            names = "; ".join(f"{item['reason']}" for item in report["failed"][:10])
            raise MeetStreamError(
                f"Sync {sync_id}: {len(report['failed'])} of {len(outcomes)} change(s) failed ({names}); "
                "the others were made, and the next run retries what is missing."
            )
        return report

    def _carry_out(
        self, hook: MeetStreamHook, actions: list[Action], bot_config: dict[str, Any]
    ) -> list[Outcome]:
        from concurrent.futures import ThreadPoolExecutor

        from airflow_provider_meetstream.utils.calendar_sync import ADD, CANCEL, MOVE

        writes = [action for action in actions if action.kind in (ADD, MOVE, CANCEL)]
        outcomes: list[Outcome] = []
        with ThreadPoolExecutor(
            max_workers=self.max_concurrency, thread_name_prefix="meetstream-sync"
        ) as pool:
            futures = [(action, pool.submit(self._write, hook, action, bot_config)) for action in writes]
            for action, future in futures:
                try:
                    outcomes.append((action, future.result(), None))
                except MeetStreamError as err:
                    self.log.warning(
                        "Could not %s the bot for %s: %s", action.kind, action.deduplication_key, err
                    )
                    outcomes.append((action, {}, str(err)))
        left = [(action, answer) for action, answer, _ in outcomes if answer.get("skipped")]
        for action, answer in left:
            self.log.info(
                "Kept %s at %s as it is: MeetStream answered 409, %s.",
                action.meeting.title if action.meeting else action.deduplication_key,
                action.meeting.start.isoformat() if action.meeting else "-",
                answer["reason"],
            )
        return outcomes

    def _write(self, hook: MeetStreamHook, action: Action, bot_config: dict[str, Any]) -> dict[str, Any]:
        from airflow_provider_meetstream.operators.scheduling import cancel_scheduled_bot, schedule_on_meeting
        from airflow_provider_meetstream.recurrence import format_occurrence
        from airflow_provider_meetstream.utils.calendar_sync import ADD, MOVE

        if action.kind == ADD:
            meeting = action.meeting
            assert meeting is not None
            assert action.new_join is not None
            if action.displaces is not None:
                # Taken over: the other owner's bot goes first, whichever copy of the meeting it
                # sits on (MeetStream's override would only replace one on the same event).
                cancel_scheduled_bot(hook, action.displaces)
            return schedule_on_meeting(
                hook,
                meeting.event_id,
                if_already_scheduled="succeed",
                # The plan read the meeting's bots already; a 409 naming another owner's is the same fact.
                if_other_bot="replace" if self.take_over else "skip",
                others=(),
                deduplication_key=action.deduplication_key,
                bot_config={**bot_config, "join_at": format_occurrence(action.new_join)},
                occurrence_date=meeting.occurrence_date,
            )
        assert action.bot_id is not None
        if action.kind == MOVE:
            assert action.new_join is not None
            join = max(action.new_join, datetime.now(timezone.utc) + _PAST_JOIN_GRACE)
            return hook.update_scheduled_bot(action.bot_id, scheduled_join_time=join)
        return cancel_scheduled_bot(hook, action.bot_id)
