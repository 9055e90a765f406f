"""A recurring event's series as the recurring operators hold it: arguments, checks and expansion."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from airflow_provider_meetstream import validation
from airflow_provider_meetstream.constants import MAX_DEDUPLICATION_KEY_LENGTH
from airflow_provider_meetstream.exceptions import MeetStreamInputError
from airflow_provider_meetstream.hooks.mixin import MeetStreamHookMixin
from airflow_provider_meetstream.templating import check_now, is_templated

if TYPE_CHECKING:
    from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook


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


class RecurringSeriesMixin(MeetStreamHookMixin):
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
        from airflow_provider_meetstream.recurrence import resolve_timezone

        check_now(self.event_id, validation.path_segment, "event_id")
        check_now(self.deduplication_key, _check_series_key)
        check_now(self.occurrence_limit, validation.occurrence_limit)
        check_now(self.recurrence, _check_recurrence)
        check_now(self.start, validation.iso_datetime, "start")
        check_now(self.window_start, validation.iso_datetime, "window_start")
        check_now(self.window_end, validation.iso_datetime, "window_end")
        with validation.recurrence_errors():
            check_now(self.timezone, resolve_timezone)
        bounds = (self.window_start, self.window_end)
        if all(value is not None and not is_templated(value) for value in bounds):
            start = validation.aware_datetime(self.window_start, "window_start")
            end = validation.aware_datetime(self.window_end, "window_end")
            if end <= start:
                raise MeetStreamInputError("window_end", self.window_end, "must be later than window_start")

    def _occurrences(self, hook: MeetStreamHook) -> tuple[list[datetime], dict[str, Any] | None]:
        """The occurrences to schedule, and the series' event when it was listed to find them."""
        from airflow_provider_meetstream.recurrence import expand_occurrences, series_from_event

        self._check_series_arguments()
        recurrence, start, timezone = self.recurrence, self.start, self.timezone
        event = None
        if recurrence is None or start is None:
            event = self._find_series(hook)
            with validation.recurrence_errors():
                series = series_from_event(event)
            recurrence = recurrence if recurrence is not None else series.recurrence
            start = start if start is not None else series.start
            timezone = timezone or series.timezone
        with validation.recurrence_errors():
            occurrences = expand_occurrences(
                recurrence,
                start,
                timezone=timezone,
                window_start=self.window_start,
                window_end=self.window_end,
                limit=validation.occurrence_limit(self.occurrence_limit),
            )
        return occurrences, event

    def _find_series(self, hook: MeetStreamHook) -> dict[str, Any]:
        """
        Look the series up in the expansion's window or, without an end, in ever longer ones.

        MeetStream lists a series in a window only when one of its occurrences falls there, and its
        default window is four weeks: a monthly series can skip five, a yearly one fifty-two, and
        one every other year a hundred and four. A year and a month finds nearly every series at
        the cost of one listing; eleven years, the rest.
        """
        from airflow_provider_meetstream.exceptions import MeetStreamNotFoundError

        if self.window_end is not None:
            return hook.get_event(self.event_id, **self._lookup_window(None))
        try:
            return hook.get_event(self.event_id, **self._lookup_window(400))
        except MeetStreamNotFoundError:
            return hook.get_event(self.event_id, **self._lookup_window(4000))

    def _lookup_window(self, days: int | None) -> dict[str, datetime]:
        """The window to list events in: from the expansion's start, ``days`` long or to its end."""
        from datetime import timedelta
        from datetime import timezone as dt_timezone

        start = (
            datetime.now(dt_timezone.utc)
            if self.window_start is None
            else validation.aware_datetime(self.window_start, "window_start")
        )
        end = (
            start + timedelta(days=days or 0)
            if self.window_end is None
            else validation.aware_datetime(self.window_end, "window_end")
        )
        return {"time_min": start, "time_max": end}

    def _refuse_other_owners(self, hook: MeetStreamHook, bot_config: dict[str, Any]) -> None:
        """
        Refuse to schedule the whole series in one request when another owner's bot is on it.

        One request cannot leave an occurrence out; every argument is checked before the look.
        """
        from airflow_provider_meetstream.exceptions import MeetStreamOtherBotError
        from airflow_provider_meetstream.hooks.endpoints import SCHEDULE_EVENT
        from airflow_provider_meetstream.operators.scheduling import other_bots

        SCHEDULE_EVENT.request(
            self.event_id,
            deduplication_key=self.deduplication_key,
            bot_config=bot_config,
            schedule_all_occurrences=True,
            occurrence_limit=validation.occurrence_limit(self.occurrence_limit),
        )
        for bot in other_bots(hook, self.event_id, self._own_key, [None])[None][:1]:
            raise MeetStreamOtherBotError(self.event_id, bot.bot_id, bot.deduplication_key)

    def _own_key(self, key: str) -> bool:
        """Whether a bot's key is this series' own: the series key, or one occurrence's."""
        return key == self.deduplication_key or key.startswith(f"{self.deduplication_key}:")

    def _occurrence_key(self, occurrence: str) -> str:
        # Deterministic per occurrence, so a re-run updates the same schedules instead of adding new ones.
        return f"{self.deduplication_key}:{occurrence}"


def schedule_summary(answer: dict[str, Any], occurrence: Any) -> dict[str, Any]:
    """One scheduled occurrence as the report lists it."""
    return {
        "occurrence_date": occurrence if occurrence is not None else answer.get("occurrence_date"),
        "bot_id": answer.get("bot_id"),
        "schedule_id": answer.get("schedule_id"),
        "scheduled_time": answer.get("scheduled_time"),
    }


def skip_summary(answer: dict[str, Any], occurrence: str) -> dict[str, Any]:
    """One occurrence left to another owner's bot, as the report lists it."""
    return {
        "occurrence_date": occurrence,
        "bot_id": answer.get("bot_id"),
        "deduplication_key": answer.get("deduplication_key"),
        "reason": answer.get("reason"),
    }


def series_report(
    event_id: str,
    total: int,
    created: list[dict[str, Any]],
    failed: list[dict[str, str]],
    skipped: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """The bulk operator's XCom: the counts, then what was scheduled, failed and skipped."""
    return {
        "event_id": event_id,
        "total_occurrences": total,
        "occurrences_scheduled": len(created),
        "occurrences_failed": len(failed),
        "occurrences_skipped": len(skipped or []),
        "schedules_created": created,
        "failed_occurrences": failed,
        "skipped_occurrences": skipped or [],
    }
