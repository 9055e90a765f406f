"""Operators that schedule and unschedule MeetStream bots for calendar events and their occurrences."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.providers.common.compat.sdk import BaseOperator

from airflow_provider_meetstream import validation
from airflow_provider_meetstream.constants import (
    DEFAULT_CONN_ID,
    DEFAULT_OCCURRENCE_LIMIT,
    MAX_DEDUPLICATION_KEY_LENGTH,
    MAX_OCCURRENCE_LIMIT,
)
from airflow_provider_meetstream.exceptions import (
    MeetStreamAPIError,
    MeetStreamConflictError,
    MeetStreamError,
    MeetStreamInputError,
    MeetStreamNotFoundError,
)

if TYPE_CHECKING:
    from datetime import datetime

    from airflow.providers.common.compat.sdk import Context

    from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook

IF_ALREADY_SCHEDULED = ("succeed", "fail")
MODES = ("client", "server")


def _rendered_int(value: Any) -> Any:
    # A templated number renders to a string unless the DAG renders native objects.
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return value


def _check_occurrence_limit(value: Any) -> None:
    validation.bounded_int(_rendered_int(value), "occurrence_limit", 1, MAX_OCCURRENCE_LIMIT)


def _get_hook(conn_id: str, **kwargs: Any) -> MeetStreamHook:
    from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook

    return MeetStreamHook(conn_id, **kwargs)


def schedule_or_existing(
    hook: MeetStreamHook, event_id: str, *, if_already_scheduled: str, **arguments: Any
) -> dict[str, Any]:
    """
    Schedule a bot; with ``if_already_scheduled="succeed"`` a 409 naming a bot counts as done.

    MeetStream's newer API answers 409 when the event already has a bot. After a lost response
    an Airflow retry would hit exactly that, so it must not fail the task.

    :param hook: The hook to call.
    :param event_id: MeetStream's event id.
    :param if_already_scheduled: ``"succeed"`` or ``"fail"``.
    :param arguments: The other arguments of :meth:`MeetStreamHook.schedule_event`.
    """
    try:
        return hook.schedule_event(event_id, **arguments)
    except MeetStreamConflictError as err:
        if if_already_scheduled != "succeed" or not err.existing_bot_id:
            raise
        hook.log.info("Event %s already has bot %s; nothing to do.", event_id, err.existing_bot_id)
        return {
            "scheduled": True,
            "already_scheduled": True,
            "bot_id": err.existing_bot_id,
            "event_id": event_id,
        }


class ScheduleEventOperator(BaseOperator):
    """
    Schedule a MeetStream bot for a calendar event, one occurrence of it, or its whole series.

    The same ``deduplication_key`` on the same event (and occurrence) updates the existing schedule,
    so Airflow retries and re-runs never add bots. The returned XCom is MeetStream's answer
    (``bot_id``, ``schedule_id``, ``scheduled_time``...).

    .. code-block:: python

        ScheduleEventOperator(
            task_id="record_review",
            event_id="{{ params.event_id }}",
            deduplication_key="review-{{ params.event_id }}",
            bot_config={"bot_name": "Notetaker", "video_required": True},
        )

    :param event_id: MeetStream's event id (the ``id`` of ``GET /calendar/events``). Templated.
    :param deduplication_key: 1 to 2000 printable characters. Templated.
    :param bot_config: The bot's configuration (``bot_name``, ``join_at``, ``callback_url``...).
        Templated.
    :param occurrence_date: One occurrence of a recurring event: an aware datetime or an ISO 8601
        string with an offset. Templated.
    :param schedule_all_occurrences: Let MeetStream expand the whole series.
    :param occurrence_limit: At most this many occurrences (1 to 1000). Templated.
    :param recurring_event: After each occurrence, let MeetStream schedule the next.
    :param if_already_scheduled: ``"succeed"`` (default) returns ``{"already_scheduled": True,
        "bot_id": ...}`` when MeetStream answers 409 naming the existing bot; ``"fail"`` raises
        :class:`~airflow_provider_meetstream.exceptions.MeetStreamConflictError`.
    :param meetstream_conn_id: The Airflow connection to use. Templated.
    """

    template_fields: Sequence[str] = (
        "event_id",
        "deduplication_key",
        "bot_config",
        "occurrence_date",
        "occurrence_limit",
        "meetstream_conn_id",
    )
    template_fields_renderers: ClassVar[dict[str, str]] = {"bot_config": "json"}
    ui_color = "#dff3ff"

    def __init__(
        self,
        *,
        event_id: str,
        deduplication_key: str,
        bot_config: dict[str, Any] | None = None,
        occurrence_date: datetime | str | None = None,
        schedule_all_occurrences: bool = False,
        occurrence_limit: int | None = None,
        recurring_event: bool = False,
        if_already_scheduled: str = "succeed",
        meetstream_conn_id: str = DEFAULT_CONN_ID,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.event_id = event_id
        self.deduplication_key = deduplication_key
        self.bot_config = bot_config
        self.occurrence_date = occurrence_date
        self.schedule_all_occurrences = schedule_all_occurrences
        self.occurrence_limit = occurrence_limit
        self.recurring_event = recurring_event
        self.if_already_scheduled = if_already_scheduled
        self.meetstream_conn_id = meetstream_conn_id
        validation.one_of(if_already_scheduled, "if_already_scheduled", IF_ALREADY_SCHEDULED)
        validation.optional_bool(schedule_all_occurrences, "schedule_all_occurrences")
        validation.optional_bool(recurring_event, "recurring_event")
        validation.check_now(event_id, validation.path_segment, "event_id")
        validation.check_now(deduplication_key, validation.deduplication_key)
        validation.check_now(bot_config, validation.bot_config)
        validation.check_now(occurrence_date, validation.iso_datetime, "occurrence_date")
        validation.check_now(occurrence_limit, _check_occurrence_limit)

    def execute(self, context: Context) -> dict[str, Any]:
        """Schedule the bot and return MeetStream's answer."""
        with _get_hook(self.meetstream_conn_id) as hook:
            result = schedule_or_existing(
                hook,
                self.event_id,
                if_already_scheduled=self.if_already_scheduled,
                deduplication_key=self.deduplication_key,
                bot_config=self.bot_config,
                occurrence_date=self.occurrence_date,
                schedule_all_occurrences=self.schedule_all_occurrences or None,
                occurrence_limit=_rendered_int(self.occurrence_limit),
                recurring_event=self.recurring_event or None,
            )
        self.log.info(
            "Bot %s scheduled for event %s at %s.",
            result.get("bot_id"),
            self.event_id,
            result.get("scheduled_time", "its existing time"),
        )
        return result


class UnscheduleEventOperator(BaseOperator):
    """
    Cancel the MeetStream bots scheduled for a calendar event.

    .. code-block:: python

        UnscheduleEventOperator(task_id="cancel_series", event_id="evt_123", cancel_all_occurrences=True)

    :param event_id: MeetStream's event id. Templated.
    :param cancel_all_occurrences: Cancel every occurrence of a recurring event.
    :param from_date: Cancel only occurrences starting at or after this instant. Templated.
    :param missing_ok: When MeetStream answers 404 (nothing scheduled, or no such event), succeed
        with ``{"unscheduled": False, "missing": True}`` instead of failing, so that cleanup DAGs can
        run twice.
    :param meetstream_conn_id: The Airflow connection to use. Templated.
    """

    template_fields: Sequence[str] = ("event_id", "from_date", "meetstream_conn_id")
    ui_color = "#ffe9dc"

    def __init__(
        self,
        *,
        event_id: str,
        cancel_all_occurrences: bool = False,
        from_date: datetime | str | None = None,
        missing_ok: bool = True,
        meetstream_conn_id: str = DEFAULT_CONN_ID,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.event_id = event_id
        self.cancel_all_occurrences = cancel_all_occurrences
        self.from_date = from_date
        self.missing_ok = missing_ok
        self.meetstream_conn_id = meetstream_conn_id
        validation.optional_bool(cancel_all_occurrences, "cancel_all_occurrences")
        validation.optional_bool(missing_ok, "missing_ok")
        validation.check_now(event_id, validation.path_segment, "event_id")
        validation.check_now(from_date, validation.iso_datetime, "from_date")

    def execute(self, context: Context) -> dict[str, Any]:
        """Unschedule and return MeetStream's answer."""
        try:
            with _get_hook(self.meetstream_conn_id) as hook:
                result = hook.unschedule_event(
                    self.event_id,
                    cancel_all_occurrences=self.cancel_all_occurrences,
                    from_date=self.from_date,
                )
        except MeetStreamNotFoundError as err:
            if not self.missing_ok:
                raise
            self.log.info("Nothing to unschedule for event %s: %s", self.event_id, err.message)
            return {"unscheduled": False, "missing": True, "event_id": self.event_id}
        self.log.info(
            "Unscheduled event %s: %s schedule(s) cancelled.",
            self.event_id,
            result.get("schedules_cancelled"),
        )
        return result


#: What a per-occurrence key adds to the series key: ":" and a UTC instant like 2027-01-04T14:00:00Z.
OCCURRENCE_KEY_SUFFIX = len(":2027-01-04T14:00:00Z")


def _check_recurrence(value: Any) -> None:
    # The rule itself is parsed by expand_occurrences, which names the bad line.
    if not (
        isinstance(value, dict) or (isinstance(value, list) and all(isinstance(line, str) for line in value))
    ):
        raise MeetStreamInputError(
            "recurrence", value, "must be a list of RFC 5545 lines or a Graph pattern dict"
        )


def _check_series_key(value: Any) -> None:
    validation.deduplication_key(value, max_length=MAX_DEDUPLICATION_KEY_LENGTH - OCCURRENCE_KEY_SUFFIX)


class _RecurringEventMixin:
    """Holds, checks and expands a recurring event's series; shared by the two recurring operators."""

    def _init_series(
        self,
        *,
        event_id: str,
        deduplication_key: str,
        recurrence: list[str] | dict[str, Any] | None,
        start: datetime | str | None,
        timezone: str | None,
        occurrence_limit: int,
        window_start: datetime | str | None,
        window_end: datetime | str | None,
        meetstream_conn_id: str,
    ) -> None:
        self.event_id = event_id
        self.deduplication_key = deduplication_key
        self.recurrence = recurrence
        self.start = start
        self.timezone = timezone
        self.occurrence_limit = occurrence_limit
        self.window_start = window_start
        self.window_end = window_end
        self.meetstream_conn_id = meetstream_conn_id
        self._check_series_arguments()

    def _check_series_arguments(self) -> None:
        """Check every argument that is not a template any more: literals in ``__init__``, all in execute."""
        from airflow_provider_meetstream.recurrence import parse_aware_datetime, resolve_timezone

        check = validation.check_now
        check(self.event_id, validation.path_segment, "event_id")
        check(self.deduplication_key, _check_series_key)
        check(self.occurrence_limit, _check_occurrence_limit)
        check(self.recurrence, _check_recurrence)
        check(self.start, validation.iso_datetime, "start")
        check(self.window_start, validation.iso_datetime, "window_start")
        check(self.window_end, validation.iso_datetime, "window_end")
        with validation.recurrence_errors():
            check(self.timezone, resolve_timezone)
        bounds = (self.window_start, self.window_end)
        if all(value is not None and not validation.is_templated(value) for value in bounds):
            with validation.recurrence_errors():
                start = parse_aware_datetime(self.window_start, "window_start")  # type: ignore[arg-type]
                end = parse_aware_datetime(self.window_end, "window_end")  # type: ignore[arg-type]
            if end <= start:
                raise MeetStreamInputError("window_end", self.window_end, "must be later than window_start")

    def _occurrences(self, hook: MeetStreamHook) -> list[datetime]:
        from airflow_provider_meetstream.recurrence import expand_occurrences, series_from_event

        self._check_series_arguments()
        recurrence, start, timezone = self.recurrence, self.start, self.timezone
        if recurrence is None or start is None:
            event = hook.get_event(self.event_id, time_min=self.window_start, time_max=self.window_end)
            with validation.recurrence_errors():
                series = series_from_event(event)
            recurrence = recurrence if recurrence is not None else series.recurrence
            start = start if start is not None else series.start
            timezone = timezone or series.timezone
        with validation.recurrence_errors():
            return expand_occurrences(
                recurrence,
                start,
                timezone=timezone,
                window_start=self.window_start,
                window_end=self.window_end,
                limit=_rendered_int(self.occurrence_limit),
            )

    def _occurrence_key(self, occurrence: str) -> str:
        # Deterministic per occurrence, so a re-run updates the same schedules instead of adding new ones.
        return f"{self.deduplication_key}:{occurrence}"


class ExpandRecurringEventOperator(_RecurringEventMixin, BaseOperator):
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
    :param occurrence_limit: At most this many occurrences, 1 to 1000 (default 52). Templated.
    :param window_start: Only occurrences starting at or after this instant (default: now). Templated.
    :param window_end: Only occurrences starting before this instant. Templated.
    :param meetstream_conn_id: The Airflow connection to use. Templated.
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
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
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

        with _get_hook(self.meetstream_conn_id) as hook:
            occurrences = [format_occurrence(moment) for moment in self._occurrences(hook)]
        self.log.info("Event %s has %d occurrence(s) to schedule.", self.event_id, len(occurrences))
        return [
            {
                "event_id": self.event_id,
                "occurrence_date": moment,
                "deduplication_key": self._occurrence_key(moment),
            }
            for moment in occurrences
        ]


class ScheduleRecurringEventOperator(_RecurringEventMixin, BaseOperator):
    """
    Schedule a bot for every occurrence of a recurring event in one task.

    In ``client`` mode (default) the series is expanded here, in the event's own time zone, and each
    occurrence is scheduled with its own deduplication key (``f"{deduplication_key}:{occurrence}"``)
    on a thread pool of ``max_concurrency`` sharing one pooled session. A re-run after a partial
    failure schedules what is missing and duplicates nothing. In ``server`` mode one request with
    ``schedule_all_occurrences=True`` lets MeetStream expand the series from now.

    Either way the XCom is ``{"event_id", "total_occurrences", "occurrences_scheduled",
    "occurrences_failed", "schedules_created": [{"occurrence_date", "bot_id", "schedule_id",
    "scheduled_time"}], "failed_occurrences": [{"occurrence_date", "error"}]}``.

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
    :param occurrence_limit: At most this many occurrences, 1 to 1000 (default 52). Templated.
    :param window_start: Only occurrences starting at or after this instant (client mode; default
        now). Templated.
    :param window_end: Only occurrences starting before this instant (client mode). Templated.
    :param max_concurrency: Requests in flight at once (client mode), 1 to 64.
    :param allow_partial_failure: Succeed even when some occurrences failed; the XCom lists them.
    :param mode: ``"client"`` or ``"server"``.
    :param meetstream_conn_id: The Airflow connection to use. Templated.
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
        meetstream_conn_id: str = DEFAULT_CONN_ID,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.bot_config = bot_config
        self.max_concurrency = validation.bounded_int(max_concurrency, "max_concurrency", 1, 64)
        self.allow_partial_failure = allow_partial_failure
        self.mode = validation.one_of(mode, "mode", MODES)
        validation.optional_bool(allow_partial_failure, "allow_partial_failure")
        validation.check_now(bot_config, validation.bot_config)
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
        hook = _get_hook(self.meetstream_conn_id, pool_maxsize=max(10, self.max_concurrency))
        with hook:
            if self.mode == "server":
                report = self._schedule_on_server(hook, bot_config)
            else:
                report = self._schedule_each(hook, bot_config)
        self.log.info(
            "Event %s: %d of %d occurrence(s) scheduled, %d failed.",
            self.event_id,
            report["occurrences_scheduled"],
            report["total_occurrences"],
            report["occurrences_failed"],
        )
        if report["occurrences_failed"] and not self.allow_partial_failure:
            failed = ", ".join(item["occurrence_date"] for item in report["failed_occurrences"][:10])
            raise MeetStreamError(
                f"{report['occurrences_failed']} of {report['total_occurrences']} occurrence(s) of event "
                f"{self.event_id} failed to schedule ({failed}); re-run to schedule what is missing."
            )
        return report

    def _schedule_each(self, hook: MeetStreamHook, bot_config: dict[str, Any]) -> dict[str, Any]:
        from concurrent.futures import ThreadPoolExecutor, as_completed

        from airflow_provider_meetstream.recurrence import format_occurrence

        occurrences = [format_occurrence(moment) for moment in self._occurrences(hook)]
        total = len(occurrences)
        created: list[dict[str, Any]] = []
        failed: list[dict[str, str]] = []

        def schedule(occurrence: str) -> dict[str, Any]:
            return schedule_or_existing(
                hook,
                self.event_id,
                if_already_scheduled="succeed",
                deduplication_key=self._occurrence_key(occurrence),
                bot_config=bot_config,
                occurrence_date=occurrence,
            )

        with ThreadPoolExecutor(max_workers=self.max_concurrency, thread_name_prefix="meetstream") as pool:
            futures = {pool.submit(schedule, occurrence): occurrence for occurrence in occurrences}
            for future in as_completed(futures):
                occurrence = futures[future]
                try:
                    answer = future.result()
                except MeetStreamError as err:
                    self.log.warning("Occurrence %s of event %s failed: %s", occurrence, self.event_id, err)
                    failed.append({"occurrence_date": occurrence, "error": str(err)})
                else:
                    created.append(_schedule_summary(answer, occurrence))
                self.log.info("scheduled %d/%d (%d failed)", len(created), total, len(failed))
        created.sort(key=lambda item: item["occurrence_date"])
        failed.sort(key=lambda item: item["occurrence_date"])
        return _report(self.event_id, total, created, failed)

    def _schedule_on_server(self, hook: MeetStreamHook, bot_config: dict[str, Any]) -> dict[str, Any]:
        answer = hook.schedule_event(
            self.event_id,
            deduplication_key=self.deduplication_key,
            bot_config=bot_config,
            schedule_all_occurrences=True,
            occurrence_limit=_rendered_int(self.occurrence_limit),
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
            _schedule_summary(item, item.get("occurrence_date"))
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
        return _report(
            self.event_id, total if isinstance(total, int) else len(created) + len(failed), created, failed
        )


def _schedule_summary(answer: dict[str, Any], occurrence: Any) -> dict[str, Any]:
    return {
        "occurrence_date": occurrence if occurrence is not None else answer.get("occurrence_date"),
        "bot_id": answer.get("bot_id"),
        "schedule_id": answer.get("schedule_id"),
        "scheduled_time": answer.get("scheduled_time"),
    }


def _report(
    event_id: str, total: int, created: list[dict[str, Any]], failed: list[dict[str, str]]
) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "total_occurrences": total,
        "occurrences_scheduled": len(created),
        "occurrences_failed": len(failed),
        "schedules_created": created,
        "failed_occurrences": failed,
    }
