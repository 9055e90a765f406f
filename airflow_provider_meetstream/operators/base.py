"""What every MeetStream operator shares: its hook, rendered numbers, scheduling that accepts its own 409."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_meetstream import validation
from airflow_provider_meetstream.constants import MAX_OCCURRENCE_LIMIT
from airflow_provider_meetstream.exceptions import MeetStreamConflictError, MeetStreamNotFoundError

if TYPE_CHECKING:
    from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook

IF_ALREADY_SCHEDULED = ("succeed", "fail")


def rendered_int(value: Any) -> Any:
    """A templated number, as an int: it renders to a string unless the DAG renders native objects."""
    # A templated number renders to a string unless the DAG renders native objects.
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return value


def check_occurrence_limit(value: Any) -> None:
    """Check an ``occurrence_limit``, rendered or literal: 1 to 1000."""
    validation.bounded_int(rendered_int(value), "occurrence_limit", 1, MAX_OCCURRENCE_LIMIT)


def meetstream_hook(conn_id: str, **kwargs: Any) -> MeetStreamHook:
    """A new hook, imported only when a task runs so that DAG files stay cheap to parse."""
    from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook

    return MeetStreamHook(conn_id, **kwargs)


def schedule_or_existing(
    hook: MeetStreamHook, event_id: str, *, if_already_scheduled: str, **arguments: Any
) -> dict[str, Any]:
    """
    Schedule a bot; with ``if_already_scheduled="succeed"`` a 409 naming our own bot counts as done.

    MeetStream's newer API answers 409 when the event already has a bot. After a lost response
    an Airflow retry would hit exactly that, so it must not fail the task. But the bot may be
    another DAG's, made under another deduplication key: it counts as done only once its key,
    read from ``GET /bots/{id}/status`` or else ``GET /calendar/scheduled``, is ours.

    :param hook: The hook to call.
    :param event_id: MeetStream's event id.
    :param if_already_scheduled: ``"succeed"`` or ``"fail"``.
    :param arguments: The other arguments of :meth:`MeetStreamHook.schedule_event`.
    :raises MeetStreamConflictError: On a 409, unless asked to succeed and the bot is confirmed ours.
    """
    try:
        return hook.schedule_event(event_id, **arguments)
    except MeetStreamConflictError as err:
        bot_id = err.existing_bot_id
        if if_already_scheduled != "succeed" or not bot_id:
            raise
        ours = arguments.get("deduplication_key")
        key, scheduled_time = existing_bot_key(hook, bot_id)
        if key is None:
            raise err.with_message(
                f"{err.message}; event {event_id} already has bot {bot_id}, whose deduplication key "
                f"could not be confirmed as {_short(ours)}, so it is not taken as this task's bot"
            ) from err
        if key != ours:
            raise err.with_message(
                f"{err.message}; event {event_id} already has bot {bot_id}, scheduled under another "
                f"deduplication key, {_short(key)}, not {_short(ours)}"
            ) from err
        hook.log.info("Event %s already has our bot %s; nothing to do.", event_id, bot_id)
        return {
            "scheduled": True,
            "already_scheduled": True,
            "bot_id": bot_id,
            "schedule_id": err.existing_schedule_id,
            "scheduled_time": scheduled_time,
            "event_id": event_id,
        }


def existing_bot_key(hook: MeetStreamHook, bot_id: str) -> tuple[str | None, str | None]:
    """
    A bot's deduplication key and join time: from its status, else from the scheduled list.

    Either field is None when MeetStream does not say; a key that is not a non-empty string is
    unknown, never a match.

    :param hook: The hook to call.
    :param bot_id: The bot a 409 named.
    """
    try:
        answers = [hook.get_bot_status(bot_id)]
    except MeetStreamNotFoundError:
        answers = []
    if _key_of(answers[0] if answers else {}) is None:
        answers = [bot for bot in hook.list_scheduled_bots() if bot.get("bot_id") == bot_id]
    for answer in answers:
        key = _key_of(answer)
        if key is not None:
            join = answer.get("scheduled_join_time")
            return key, join if isinstance(join, str) else None
    return None, None


def _key_of(answer: dict[str, Any]) -> str | None:
    attributes = answer.get("custom_attributes")
    for key in (
        answer.get("deduplication_key"),
        attributes.get("deduplication_key") if isinstance(attributes, dict) else None,
    ):
        if isinstance(key, str) and key:
            return key
    return None


def _short(key: Any) -> str:
    # A key may be 2,000 characters long: enough of it to recognise.
    shown = repr(key)
    return shown if len(shown) <= 120 else shown[:117] + "..."
