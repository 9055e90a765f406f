"""Operators for recurring events: expand a series into its occurrences, or schedule them all in one task."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.providers.common.compat.sdk import BaseOperator

from airflow_provider_meetstream import validation
from airflow_provider_meetstream.constants import (
    DEFAULT_CONN_ID,
    DEFAULT_OCCURRENCE_LIMIT,
    DEFAULT_POOL_MAXSIZE,
    IF_OTHER_BOT,
    MAX_CONCURRENCY,
    MAX_LIST_LIMIT,
)
from airflow_provider_meetstream.exceptions import (
    MeetStreamAPIError,
    MeetStreamError,
    MeetStreamInputError,
)
from airflow_provider_meetstream.hooks.mixin import merge_hook_params
from airflow_provider_meetstream.operators.series import (
    RecurringSeriesMixin,
    schedule_summary,
    series_report,
    skip_summary,
)
from airflow_provider_meetstream.templating import KeepsLiteralText, check_now

if TYPE_CHECKING:
    from datetime import datetime

    from airflow.providers.common.compat.sdk import Context

    from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook
    from airflow_provider_meetstream.utils.workspace_bots import ListedBot

MODES = ("client", "server")


class ExpandRecurringEventOperator(RecurringSeriesMixin, KeepsLiteralText, BaseOperator):
    """
    Expand a recurring event into one set of keyword arguments per occurrence, for dynamic mapping.

    The result feeds ``ScheduleEventOperator.partial(...).expand_kwargs(...)``: each item has
    ``event_id``, ``occurrence_date`` (UTC, ISO 8601 with ``Z``) and ``deduplication_key``, derived
    as ``f"{deduplication_key}:{occurrence_date}"`` so that re-runs update the same schedules.
    When ``recurrence`` or ``start`` is not given, they are read from the event's ``raw`` payload
    (Google ``raw.recurrence`` lines or a Microsoft Graph ``patternedRecurrence``).

    .. code-block:: python

        occurrences = ExpandRecurringEventOperator(
            task_id="expand", event_id="evt_standup", deduplication_key="standup", occurrence_limit=12
        )
        ScheduleEventOperator.partial(
            task_id="schedule", map_index_template="{{ task.occurrence_date }}"
        ).expand_kwargs(occurrences.output)

    :param event_id: MeetStream's event id of the series. Templated.
    :param deduplication_key: The series' key; each occurrence's key derives from it. Templated.
    :param recurrence: RFC 5545 lines or a Graph ``patternedRecurrence``; read from the event when
        None. Templated.
    :param start: The series' first start, aware or ISO 8601 with offset. Templated.
    :param timezone: The event's IANA zone; the series is expanded in it. Templated.
    :param occurrence_limit: At most this many occurrences, within MeetStream's cap (default 52). Templated.
    :param window_start: Only occurrences starting at or after this instant (default: now). Templated.
    :param window_end: Only occurrences starting before this instant. Templated.
    :param meetstream_conn_id: The Airflow connection to use. Templated.
    :param hook_params: The hook's arguments: ``timeout``, ``max_retries``, ``pool_maxsize``, ``deadline``.
    """

    template_fields: Sequence[str] = (
        "event_id",
        "deduplication_key",
        "recurrence",
        "start",
        "timezone",
        "occurrence_limit",
        "window_start",
        "window_end",
        "meetstream_conn_id",
    )
    ui_color = "#e8f7e4"

    def __init__(
        self,
        *,
        event_id: str,
        deduplication_key: str,
        recurrence: list[str] | dict[str, Any] | None = None,
        start: datetime | str | None = None,
        timezone: str | None = None,
        occurrence_limit: int = DEFAULT_OCCURRENCE_LIMIT,
        window_start: datetime | str | None = None,
        window_end: datetime | str | None = None,
        meetstream_conn_id: str = DEFAULT_CONN_ID,
        hook_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.hook_params = merge_hook_params(hook_params)
        self._init_series(
            event_id=event_id,
            deduplication_key=deduplication_key,
            recurrence=recurrence,
            start=start,
            timezone=timezone,
            occurrence_limit=occurrence_limit,
            window_start=window_start,
            window_end=window_end,
            meetstream_conn_id=meetstream_conn_id,
        )

    def execute(self, context: Context) -> list[dict[str, str]]:
        """Return one ``{"event_id", "occurrence_date", "deduplication_key"}`` per occurrence."""
        from airflow_provider_meetstream.recurrence import format_occurrence

        with self.hook as hook:
            occurrences = [format_occurrence(moment) for moment in self._occurrences(hook)[0]]
        self.log.info("Event %s has %d occurrence(s) to schedule.", self.event_id, len(occurrences))
        return [
            {
                "event_id": self.event_id,
                "occurrence_date": moment,
                "deduplication_key": self._occurrence_key(moment),
            }
            for moment in occurrences
        ]


class ScheduleRecurringEventOperator(RecurringSeriesMixin, KeepsLiteralText, BaseOperator):
    """
    Schedule a bot for every occurrence of a recurring event in one task.

    In ``client`` mode (default) the series is expanded here, in the event's own time zone, and each
    occurrence is scheduled with its own deduplication key (``f"{deduplication_key}:{occurrence}"``)
    on a thread pool of ``max_concurrency`` sharing one pooled session. A re-run after a partial
    failure schedules what is missing and duplicates nothing. In ``server`` mode one request with
    ``schedule_all_occurrences=True`` lets MeetStream expand the series from now.

    An occurrence that already has another owner's bot (another deduplication key) is left to it
    by default (``if_other_bot="skip"``): MeetStream would replace that bot with ours. The bots
    already there are read once for the whole series (``GET /calendar/scheduled``, and the series'
    own ``bots`` from the events listing).

    Either way the XCom is ``{"event_id", "total_occurrences", "occurrences_scheduled",
    "occurrences_failed", "occurrences_skipped", "schedules_created": [{"occurrence_date", "bot_id",
    "schedule_id", "scheduled_time"}], "failed_occurrences": [{"occurrence_date", "error"}],
    "skipped_occurrences": [{"occurrence_date", "bot_id", "deduplication_key", "reason"}]}``, where
    a skipped occurrence's ``bot_id`` is the other owner's bot that records it.

    .. code-block:: python

        ScheduleRecurringEventOperator(
            task_id="record_standups", event_id="evt_standup", deduplication_key="standup"
        )

    :param event_id: MeetStream's event id of the series. Templated.
    :param deduplication_key: The series' key; each occurrence's key derives from it. Templated.
    :param bot_config: The bots' configuration. Templated.
    :param recurrence: RFC 5545 lines or a Graph ``patternedRecurrence``; read from the event when
        None (client mode). Templated.
    :param start: The series' first start (client mode). Templated.
    :param timezone: The event's IANA zone (client mode). Templated.
    :param occurrence_limit: At most this many occurrences, within MeetStream's cap (default 52). Templated.
    :param window_start: Only occurrences starting at or after this instant (client mode; default
        now). Templated.
    :param window_end: Only occurrences starting before this instant (client mode). Templated.
    :param max_concurrency: Requests in flight at once (client mode), up to ``MAX_CONCURRENCY``.
    :param allow_partial_failure: Succeed even when some occurrences failed; the XCom lists them.
    :param mode: ``"client"`` or ``"server"``.
    :param if_other_bot: An occurrence with another owner's bot: ``"skip"`` it (default),
        ``"fail"`` it (the occurrence is reported failed, naming the bot), or ``"replace"`` that
        bot. In server mode MeetStream schedules the whole series at once, so any other owner's bot
        on it fails the task unless ``"replace"``.
    :param meetstream_conn_id: The Airflow connection to use. Templated.
    :param hook_params: Arguments of the hook (``timeout``, ``max_retries``, ``pool_maxsize``,
        ``deadline``); ``pool_maxsize`` defaults to ``max_concurrency`` (at least 10).
    """

    template_fields: Sequence[str] = (*ExpandRecurringEventOperator.template_fields, "bot_config")
    template_fields_renderers: ClassVar[dict[str, str]] = {"bot_config": "json"}
    ui_color = "#dff3ff"

    def __init__(
        self,
        *,
        event_id: str,
        deduplication_key: str,
        bot_config: dict[str, Any] | None = None,
        recurrence: list[str] | dict[str, Any] | None = None,
        start: datetime | str | None = None,
        timezone: str | None = None,
        occurrence_limit: int = DEFAULT_OCCURRENCE_LIMIT,
        window_start: datetime | str | None = None,
        window_end: datetime | str | None = None,
        max_concurrency: int = 8,
        allow_partial_failure: bool = False,
        mode: str = "client",
        if_other_bot: str = "skip",
        meetstream_conn_id: str = DEFAULT_CONN_ID,
        hook_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.if_other_bot = validation.one_of(if_other_bot, "if_other_bot", IF_OTHER_BOT)
        self.bot_config = bot_config
        self.max_concurrency = validation.integer(max_concurrency, "max_concurrency", 1, MAX_CONCURRENCY)
        # Every thread holds a pooled connection; fewer would make threads wait for one.
        self.hook_params = merge_hook_params(
            hook_params, pool_maxsize=max(DEFAULT_POOL_MAXSIZE, self.max_concurrency)
        )
        self.allow_partial_failure = allow_partial_failure
        self.mode = validation.one_of(mode, "mode", MODES)
        validation.optional_bool(allow_partial_failure, "allow_partial_failure")
        check_now(bot_config, validation.bot_config)
        if mode == "server":
            # MeetStream expands the series itself, from now: these would be silently ignored.
            for name, value in (
                ("recurrence", recurrence),
                ("start", start),
                ("timezone", timezone),
                ("window_start", window_start),
                ("window_end", window_end),
            ):
                if value is not None:
                    raise MeetStreamInputError(
                        name, value, 'is not used with mode="server"; use mode="client"'
                    )
        self._init_series(
            event_id=event_id,
            deduplication_key=deduplication_key,
            recurrence=recurrence,
            start=start,
            timezone=timezone,
            occurrence_limit=occurrence_limit,
            window_start=window_start,
            window_end=window_end,
            meetstream_conn_id=meetstream_conn_id,
        )

    def execute(self, context: Context) -> dict[str, Any]:
        """Schedule every occurrence and return the report; fail when any failed, unless allowed."""
        bot_config = validation.bot_config(self.bot_config)
        with self.hook as hook:
            if self.mode == "server":
                report = self._schedule_on_server(hook, bot_config)
            else:
                report = self._schedule_each(hook, bot_config)
            attempts = hook.policy.max_attempts
        self.log.info(
            "Event %s: %d of %d occurrence(s) scheduled, %d failed, %d left to another owner's bot.",
            self.event_id,
            report["occurrences_scheduled"],
            report["total_occurrences"],
            report["occurrences_failed"],
            report["occurrences_skipped"],
        )
        if report["occurrences_failed"] and not self.allow_partial_failure:
            failed = ", ".join(item["occurrence_date"] for item in report["failed_occurrences"][:10])
            ti = context.get("ti")
            tries = (self.retries or 0) + 1
            attempt = f" on task attempt {ti.try_number} of {tries}" if ti is not None else ""
            raise MeetStreamError(
                f"{report['occurrences_failed']} of {report['total_occurrences']} occurrence(s) of event "
                f"{self.event_id} failed to schedule ({failed}){attempt}, each request tried up to "
                f"{attempts} time(s); a re-run schedules what is missing."
            )
        return report

    def _schedule_each(self, hook: MeetStreamHook, bot_config: dict[str, Any]) -> dict[str, Any]:
        from concurrent.futures import ThreadPoolExecutor, as_completed

        from airflow_provider_meetstream.operators.scheduling import other_bots, schedule_on_meeting
        from airflow_provider_meetstream.recurrence import format_occurrence

        pool = ThreadPoolExecutor(max_workers=self.max_concurrency, thread_name_prefix="meetstream")
        # The scheduled bots, read once for the series, are listed while the series is looked up:
        # neither read needs the other, and each costs a round trip.
        listing = (
            pool.submit(hook.list_scheduled_bots, limit=MAX_LIST_LIMIT)
            if self.if_other_bot != "replace"
            else None
        )
        try:
            moments, event = self._occurrences(hook)
            scheduled = None if listing is None else listing.result()
        except BaseException:
            pool.shutdown(cancel_futures=True)
            raise
        occurrences = [format_occurrence(moment) for moment in moments]
        total = len(occurrences)
        others: dict[str, list[ListedBot]] = {}
        if scheduled is not None and moments:
            # Which occurrences another owner's bot already records.
            found = other_bots(hook, self.event_id, self._own_key, moments, event=event, scheduled=scheduled)
            others = {format_occurrence(moment): bots for moment, bots in found.items() if moment}
        created: list[dict[str, Any]] = []
        failed: list[dict[str, str]] = []
        skipped: list[dict[str, Any]] = []

        def schedule(occurrence: str) -> dict[str, Any]:
            return schedule_on_meeting(
                hook,
                self.event_id,
                if_already_scheduled="succeed",
                if_other_bot=self.if_other_bot,
                others=others.get(occurrence, []),
                deduplication_key=self._occurrence_key(occurrence),
                bot_config=bot_config,
                occurrence_date=occurrence,
            )

        with pool:
            futures = {pool.submit(schedule, occurrence): occurrence for occurrence in occurrences}
            for future in as_completed(futures):
                occurrence = futures[future]
                try:
                    answer = future.result()
                except MeetStreamError as err:
                    self.log.warning("Occurrence %s of event %s failed: %s", occurrence, self.event_id, err)
                    failed.append({"occurrence_date": occurrence, "error": str(err)})
                else:
                    if answer.get("skipped"):
                        skipped.append(skip_summary(answer, occurrence))
                    else:
                        created.append(schedule_summary(answer, occurrence))
                done = len(created) + len(failed) + len(skipped)
                if done == total or done * 10 // total != (done - 1) * 10 // total:
                    # About every tenth: 52 lines for 52 occurrences drown the retry lines.
                    self.log.info(
                        "scheduled %d/%d (%d failed, %d skipped)",
                        len(created),
                        total,
                        len(failed),
                        len(skipped),
                    )
        for items in (created, failed, skipped):
            items.sort(key=lambda item: item["occurrence_date"])
        return series_report(self.event_id, total, created, failed, skipped)

    def _schedule_on_server(self, hook: MeetStreamHook, bot_config: dict[str, Any]) -> dict[str, Any]:
        if self.if_other_bot != "replace":
            self._refuse_other_owners(hook, bot_config)
        answer = hook.schedule_event(
            self.event_id,
            deduplication_key=self.deduplication_key,
            bot_config=bot_config,
            schedule_all_occurrences=True,
            occurrence_limit=validation.occurrence_limit(self.occurrence_limit),
        )
        if not isinstance(answer.get("schedules_created"), list):
            raise MeetStreamAPIError(
                "the answer has no series fields: this MeetStream API does not expand series; "
                'use mode="client"',
                status_code=200,
                body=json.dumps(answer),
                method="POST",
                path=f"/calendar/schedule/{self.event_id}",
            )
        created = [
            schedule_summary(item, item.get("occurrence_date"))
            for item in answer["schedules_created"]
            if isinstance(item, dict)
        ]
        failed = [
            {
                "occurrence_date": str(item.get("occurrence_date")) if isinstance(item, dict) else "unknown",
                "error": str(item.get("error", "unknown error")) if isinstance(item, dict) else str(item),
            }
            for item in answer.get("failed_occurrences") or []
        ]
        total = answer.get("total_occurrences")
        return series_report(
            self.event_id, total if isinstance(total, int) else len(created) + len(failed), created, failed
        )
