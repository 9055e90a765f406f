"""What every MeetStream operator shares: its hook and rendered numbers."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from airflow_provider_meetstream import validation
from airflow_provider_meetstream.constants import MAX_OCCURRENCE_LIMIT

if TYPE_CHECKING:
    from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook


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
