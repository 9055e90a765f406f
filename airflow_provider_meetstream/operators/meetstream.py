"""Operators that schedule and unschedule the MeetStream bots of one calendar event."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.providers.common.compat.sdk import BaseOperator

from airflow_provider_meetstream import validation
from airflow_provider_meetstream.constants import DEFAULT_CONN_ID, IF_ALREADY_SCHEDULED, IF_OTHER_BOT
from airflow_provider_meetstream.exceptions import MeetStreamNotFoundError
from airflow_provider_meetstream.hooks.mixin import MeetStreamHookMixin, merge_hook_params
from airflow_provider_meetstream.templating import KeepsLiteralText, check_now

if TYPE_CHECKING:
    from datetime import datetime

    from airflow.providers.common.compat.sdk import Context


class ScheduleEventOperator(MeetStreamHookMixin, KeepsLiteralText, BaseOperator):
    """
    Schedule a MeetStream bot for a calendar event, one occurrence of it, or its whole series.

    The same ``deduplication_key`` on the same event (and occurrence) updates the existing schedule,
    so Airflow retries and re-runs never add bots. The returned XCom is MeetStream's answer
    (``bot_id``, ``schedule_id``, ``scheduled_time``...).

    One bot per meeting, whoever made it: MeetStream replaces an event's bot when another key
    schedules one, which in a workspace shared with other teams cancels their recording. So the
    operator first reads the bots already scheduled on the event (``GET /calendar/scheduled``;
    when that page is full, the event's own ``bots`` from the events listing too) and, when
    another key's bot waits there, does what ``if_other_bot`` says.

    .. code-block:: python

        ScheduleEventOperator(
            task_id="record_review",
            event_id="{{ params.event_id }}",
            deduplication_key="review-{{ params.event_id }}",
            bot_config={"bot_name": "Notetaker", "video_required": True},
        )

    :param event_id: MeetStream's event id (the ``id`` of ``GET /calendar/events``). Templated.
    :param deduplication_key: Printable characters, at most MeetStream's limit
        (:data:`~airflow_provider_meetstream.constants.MAX_DEDUPLICATION_KEY_LENGTH`). Templated.
    :param bot_config: The bot's configuration (``bot_name``, ``join_at``, ``callback_url``...).
        Templated.
    :param occurrence_date: One occurrence of a recurring event: an aware datetime or an ISO 8601
        string with an offset. Templated.
    :param schedule_all_occurrences: Let MeetStream expand the whole series.
    :param occurrence_limit: At most this many occurrences, within MeetStream's cap. Templated.
    :param recurring_event: After each occurrence, let MeetStream schedule the next.
    :param if_already_scheduled: ``"succeed"`` (default) returns ``{"already_scheduled": True,
        "bot_id", "schedule_id", "scheduled_time", ...}`` when MeetStream answers 409 naming a bot
        confirmed as this task's by its deduplication key (another key's bot, or one whose key
        cannot be read, still raises); ``"fail"`` raises
        :class:`~airflow_provider_meetstream.exceptions.MeetStreamConflictError`. A bot of this key
        on another event or occurrence is a conflict either way.
    :param if_other_bot: When the meeting already has another owner's bot (another deduplication
        key): ``"fail"`` (default) raises
        :class:`~airflow_provider_meetstream.exceptions.MeetStreamOtherBotError` naming that bot and
        its key, and sends nothing; ``"skip"`` leaves the meeting to it and returns
        ``{"scheduled": False, "skipped": True, "bot_id": <their bot>, "deduplication_key": <theirs>,
        "reason"...}``; ``"replace"`` schedules this task's bot in its place.
    :param meetstream_conn_id: The Airflow connection to use. Templated.
    :param hook_params: The hook's arguments: ``timeout``, ``max_retries``, ``pool_maxsize``, ``deadline``.
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
        if_other_bot: str = "fail",
        meetstream_conn_id: str = DEFAULT_CONN_ID,
        hook_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.if_other_bot = validation.one_of(if_other_bot, "if_other_bot", IF_OTHER_BOT)
        self.event_id = event_id
        self.deduplication_key = deduplication_key
        self.bot_config = bot_config
        self.occurrence_date = occurrence_date
        self.schedule_all_occurrences = schedule_all_occurrences
        self.occurrence_limit = occurrence_limit
        self.recurring_event = recurring_event
        self.if_already_scheduled = if_already_scheduled
        self.meetstream_conn_id = meetstream_conn_id
        self.hook_params = merge_hook_params(hook_params)
        validation.one_of(if_already_scheduled, "if_already_scheduled", IF_ALREADY_SCHEDULED)
        validation.optional_bool(schedule_all_occurrences, "schedule_all_occurrences")
        validation.optional_bool(recurring_event, "recurring_event")
        check_now(event_id, validation.path_segment, "event_id")
        check_now(deduplication_key, validation.deduplication_key)
        check_now(bot_config, validation.bot_config)
        check_now(occurrence_date, validation.iso_datetime, "occurrence_date")
        check_now(occurrence_limit, validation.occurrence_limit)

    def execute(self, context: Context) -> dict[str, Any]:
        """Schedule the bot and return MeetStream's answer."""
        from airflow_provider_meetstream.operators.scheduling import schedule_on_meeting

        limit = self.occurrence_limit
        with self.hook as hook:
            result = schedule_on_meeting(
                hook,
                self.event_id,
                if_already_scheduled=self.if_already_scheduled,
                if_other_bot=self.if_other_bot,
                deduplication_key=self.deduplication_key,
                bot_config=self.bot_config,
                occurrence_date=self.occurrence_date,
                schedule_all_occurrences=self.schedule_all_occurrences or None,
                occurrence_limit=None if limit is None else validation.occurrence_limit(limit),
                recurring_event=self.recurring_event or None,
            )
        if result.get("skipped"):
            self.log.info("Nothing scheduled for event %s: %s.", self.event_id, result["reason"])
            return result
        self.log.info(
            "Bot %s scheduled for event %s at %s.",
            result.get("bot_id"),
            self.event_id,
            result.get("scheduled_time", "its existing time"),
        )
        return result


class UnscheduleEventOperator(MeetStreamHookMixin, KeepsLiteralText, BaseOperator):
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
    :param hook_params: The hook's arguments: ``timeout``, ``max_retries``, ``pool_maxsize``, ``deadline``.
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
        hook_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.event_id = event_id
        self.cancel_all_occurrences = cancel_all_occurrences
        self.from_date = from_date
        self.missing_ok = missing_ok
        self.meetstream_conn_id = meetstream_conn_id
        self.hook_params = merge_hook_params(hook_params)
        validation.optional_bool(cancel_all_occurrences, "cancel_all_occurrences")
        validation.optional_bool(missing_ok, "missing_ok")
        check_now(event_id, validation.path_segment, "event_id")
        check_now(from_date, validation.iso_datetime, "from_date")

    def execute(self, context: Context) -> dict[str, Any]:
        """Unschedule and return MeetStream's answer."""
        try:
            with self.hook as hook:
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
