"""What every MeetStream operator shares: its hook, rendered numbers, and text that templates keep."""

from __future__ import annotations

import re
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


#: Where Jinja's default syntax starts: ``{{``, ``{%`` and ``{#``.
_TEMPLATE_SYNTAX = re.compile(r"\{[{%#]")


class KeepsLiteralText:
    """
    Renders templated fields as Airflow does, but leaves a string with no template in it as given.

    Jinja rewrites every line break to ``\\n`` and drops a trailing one, so an opaque id such as
    ``"\\na%\\r#.."`` would reach MeetStream as another id merely by passing through rendering.
    """

    def render_template(self, content: Any, *args: Any, **kwargs: Any) -> Any:
        """Render ``content``, unless it is a string without template syntax."""
        if isinstance(content, str) and not _TEMPLATE_SYNTAX.search(content):
            return content
        return super().render_template(content, *args, **kwargs)  # type: ignore[misc]
