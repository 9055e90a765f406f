"""Scheduling onto a meeting that may already have a bot: the task's own, another owner's, or a conflict."""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from airflow_provider_meetstream.constants import MAX_LIST_LIMIT
from airflow_provider_meetstream.exceptions import (
    MeetStreamAPIError,
    MeetStreamConflictError,
    MeetStreamNotFoundError,
    MeetStreamOtherBotError,
)

# The calendar's and the workspace's vocabulary is imported where it is used: the operators
# import this module when they run, and a DAG file that imports them must stay cheap to parse.
if TYPE_CHECKING:
    from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook
    from airflow_provider_meetstream.utils.workspace_bots import ListedBot


def other_bots(
    hook: MeetStreamHook,
    event_id: str,
    own: Callable[[str], bool],
    occurrences: Sequence[datetime | None],
    *,
    event: dict[str, Any] | None = None,
    scheduled: list[dict[str, Any]] | None = None,
) -> dict[datetime | None, list[ListedBot]]:
    """
    The live bots of other keys on an event's occurrences, which a schedule would displace.

    Read once for all of them: ``GET /calendar/scheduled`` (one request), and the event's own
    ``bots`` when the caller listed the event already; otherwise, when the scheduled page comes
    back full, the event is listed around the occurrences (or in MeetStream's default window of
    four weeks) so that its ``bots`` settle what the page may have left out.

    :param hook: The hook to call.
    :param event_id: MeetStream's event id.
    :param own: Tells the caller's own keys.
    :param occurrences: The occurrences, UTC; None stands for the event (every occurrence of it).
    :param event: The event as the events listing showed it, when the caller has it.
    :param scheduled: ``list_scheduled_bots(limit=MAX_LIST_LIMIT)``, when the caller read it already.
    """
    from airflow_provider_meetstream.utils.scheduled_bots import found_or_none
    from airflow_provider_meetstream.utils.workspace_bots import listed_bots, other_owners

    if scheduled is None:
        scheduled = hook.list_scheduled_bots(limit=MAX_LIST_LIMIT)
    known = sorted(occurrence for occurrence in occurrences if occurrence is not None)
    if event is None and len(scheduled) >= MAX_LIST_LIMIT:
        window: dict[str, datetime] = {}
        if known:
            window = {"time_min": known[0] - timedelta(days=1), "time_max": known[-1] + timedelta(days=1)}
        event = found_or_none(lambda name: hook.get_event(name, **window), event_id)
    bots = listed_bots([event] if event is not None else [], scheduled)
    now = datetime.now(timezone.utc)
    return {
        occurrence: other_owners(bots, [(event_id, occurrence)], own, now, known if len(known) > 1 else ())
        for occurrence in occurrences
    }


def left_to(bot: ListedBot, event_id: str, occurrence_date: str | None, if_other_bot: str) -> dict[str, Any]:
    """
    Leave a meeting to another owner's bot: raise for ``"fail"``, report it for ``"skip"``.

    :param bot: The other owner's bot.
    :param event_id: The event asked for.
    :param occurrence_date: The occurrence asked for (UTC, ISO 8601), or None.
    :param if_other_bot: ``"fail"`` or ``"skip"``.
    :raises MeetStreamOtherBotError: For ``"fail"``.
    """
    from airflow_provider_meetstream.utils.calendar_sync import recorded_by

    if if_other_bot == "fail":
        raise MeetStreamOtherBotError(event_id, bot.bot_id, bot.deduplication_key, occurrence_date)
    return {
        "scheduled": False,
        "skipped": True,
        "bot_id": bot.bot_id,
        "deduplication_key": bot.deduplication_key,
        "event_id": event_id,
        "occurrence_date": occurrence_date,
        "reason": recorded_by(bot.deduplication_key),
    }


def schedule_on_meeting(
    hook: MeetStreamHook,
    event_id: str,
    *,
    deduplication_key: str,
    if_already_scheduled: str = "succeed",
    if_other_bot: str = "fail",
    others: Sequence[ListedBot] | None = None,
    occurrence_date: datetime | str | None = None,
    **arguments: Any,
) -> dict[str, Any]:
    """
    Schedule a bot on a meeting, one bot per meeting, whoever made it.

    MeetStream overrides an event's bot when another key schedules one, or answers 409. So, unless
    told to replace it, a meeting with another owner's live bot is left to it (``others``, read
    here when None) and so is a 409 naming such a bot: ``if_other_bot="fail"`` raises
    :class:`~airflow_provider_meetstream.exceptions.MeetStreamOtherBotError`, ``"skip"`` returns
    ``{"scheduled": False, "skipped": True, "bot_id": <theirs>, "deduplication_key", "reason"...}``,
    ``"replace"`` schedules anyway (deleting their bot first when MeetStream answers 409).

    A 409 naming a bot of this very key on this meeting is the schedule already made (a retry
    after a lost answer): with ``if_already_scheduled="succeed"`` it returns
    ``{"already_scheduled": True, "bot_id", "schedule_id", "scheduled_time"...}``. The same key on
    another event or occurrence is a conflict, never a success.

    :param hook: The hook to call.
    :param event_id: MeetStream's event id.
    :param deduplication_key: The key to schedule under.
    :param if_already_scheduled: ``"succeed"`` or ``"fail"``.
    :param if_other_bot: ``"fail"``, ``"skip"`` or ``"replace"``.
    :param others: Other owners' bots already known to sit on the meeting; None reads them.
    :param occurrence_date: The occurrence, for a series.
    :param arguments: The other arguments of :meth:`MeetStreamHook.schedule_event`.
    :raises MeetStreamConflictError: On a 409 that is neither ours on this meeting nor another owner's.
    """
    from airflow_provider_meetstream.hooks.endpoints import SCHEDULE_EVENT

    schedule = {"deduplication_key": deduplication_key, "occurrence_date": occurrence_date, **arguments}
    # Every argument is checked before the first request, the look for other bots included; the
    # built request carries the occurrence as UTC ISO 8601.
    occurrence_text = (SCHEDULE_EVENT.request(event_id, **schedule).body or {}).get("occurrence_date")
    occurrence = (
        None if occurrence_text is None else datetime.fromisoformat(occurrence_text.replace("Z", "+00:00"))
    )
    if others is None and if_other_bot != "replace":
        everywhere = arguments.get("schedule_all_occurrences") or arguments.get("recurring_event")
        slot = None if everywhere else occurrence
        others = other_bots(hook, event_id, lambda key: key == deduplication_key, [slot])[slot]
    if others and if_other_bot != "replace":
        return left_to(others[0], event_id, occurrence_text, if_other_bot)
    try:
        return hook.schedule_event(event_id, **schedule)
    except MeetStreamConflictError as err:
        if not err.existing_bot_id:
            raise
        holder = hook.conflict_holder(err.existing_bot_id)
        # A bot whose key cannot be read is not confirmed this task's: another owner's, as far as
        # displacing it goes.
        if holder.deduplication_key != deduplication_key:
            if if_other_bot != "replace":
                return left_to(holder, event_id, occurrence_text, if_other_bot)
            hook.log.info("Replacing bot %s of another owner on event %s.", holder.bot_id, event_id)
            with contextlib.suppress(MeetStreamNotFoundError):
                hook.delete_scheduled_bot(holder.bot_id)
            return hook.schedule_event(event_id, **schedule)
        if not holder.sits_on(event_id, occurrence):
            from airflow_provider_meetstream.utils.calendar_sync import short_key

            place = f"event {holder.event_id}" if holder.event_id else "an event MeetStream does not name"
            if holder.occurrence is not None:
                place += f", occurrence {holder.occurrence.isoformat()}"
            raise err.with_message(
                f"{err.message}; bot {holder.bot_id} carries this task's deduplication key "
                f"{short_key(deduplication_key)} but is scheduled on {place}, not event {event_id}: "
                "the same key on another meeting, so it is not this task's schedule"
            ) from err
        if if_already_scheduled != "succeed":
            raise
        hook.log.info("Event %s already has our bot %s; nothing to do.", event_id, holder.bot_id)
        return {
            "scheduled": True,
            "already_scheduled": True,
            "bot_id": holder.bot_id,
            "schedule_id": err.existing_schedule_id,
            "scheduled_time": None if holder.join_time is None else holder.join_time.isoformat(),
            "event_id": event_id,
        }


def cancel_scheduled_bot(hook: MeetStreamHook, bot_id: str) -> dict[str, Any]:
    """
    Delete a scheduled bot; one already gone counts as done, so two overlapping runs both succeed.

    Gone means a 404, or a 400 whose bot's status is ``Cancelled``: the answer is then
    ``{"bot_id", "already_gone": True}``. A 400 for a bot that has joined still raises.

    :param hook: The hook to call.
    :param bot_id: The bot.
    """
    gone = {"bot_id": bot_id, "already_gone": True}
    try:
        return hook.delete_scheduled_bot(bot_id)
    except MeetStreamNotFoundError:
        return gone
    except MeetStreamAPIError as err:
        if err.status_code != 400:
            raise
        try:
            status = hook.get_bot_status(bot_id).get("status")
        except MeetStreamNotFoundError:
            return gone
        if status == "Cancelled":
            return gone
        raise
