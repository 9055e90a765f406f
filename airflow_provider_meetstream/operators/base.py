"""What every MeetStream operator shares: its hook, rendered numbers, and scheduling that tolerates a 409."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_meetstream import validation
from airflow_provider_meetstream.constants import MAX_OCCURRENCE_LIMIT
from airflow_provider_meetstream.exceptions import MeetStreamConflictError

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
