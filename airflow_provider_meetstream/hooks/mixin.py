"""The one way an operator or a sensor gets its MeetStreamHook: a lazy ``hook`` property."""

from __future__ import annotations

from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow_provider_meetstream.exceptions import MeetStreamInputError

if TYPE_CHECKING:
    from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook

#: The keyword arguments of ``MeetStreamHook`` a task may set through its ``hook_params``.
HOOK_PARAMS = ("timeout", "max_retries", "pool_maxsize", "deadline")


def merge_hook_params(value: Any, **defaults: Any) -> dict[str, Any]:
    """
    Check a task's ``hook_params`` and lay them over the task's own defaults.

    Only the names are checked here, at DAG parse time; the hook checks the values when it is built.

    :param value: The task's ``hook_params``: a dict of :data:`HOOK_PARAMS`, or None.
    :param defaults: What the task itself needs, e.g. a ``pool_maxsize`` for its threads.
    """
    given = {} if value is None else value
    if not isinstance(given, dict):
        raise MeetStreamInputError("hook_params", value, "must be a dict of MeetStreamHook arguments")
    unknown = sorted(str(name) for name in set(given) - set(HOOK_PARAMS))
    if unknown:
        raise MeetStreamInputError(
            "hook_params", value, f"has {', '.join(unknown)}; MeetStreamHook takes {', '.join(HOOK_PARAMS)}"
        )
    return {**defaults, **given}


class MeetStreamHookMixin:
    """
    Gives a task a ``hook`` built on first use from ``meetstream_conn_id`` and ``hook_params``.

    The hook module (and ``requests``) is imported only then, so a DAG file that imports an
    operator stays cheap to parse. A task uses the hook as a context manager (``with self.hook as
    hook:``), which closes its pooled session at the end; the same hook opens a new one if used
    again, as in the next poke of a sensor.
    """

    meetstream_conn_id: str
    hook_params: dict[str, Any]

    @cached_property
    def hook(self) -> MeetStreamHook:
        """The task's hook, built once."""
        from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook

        return MeetStreamHook(self.meetstream_conn_id, **self.hook_params)
