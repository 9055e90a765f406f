"""What every MeetStream operator shares: its hook, rendered numbers, and text that templates keep."""

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


#: Where Jinja's syntax starts unless the DAG's environment says otherwise.
_DEFAULT_STARTS = ("{{", "{%", "{#")


class KeepsLiteralText:
    """
    Renders templated fields as Airflow does, but leaves a string with no template in it as given.

    Jinja rewrites every line break to ``\\n`` and drops a trailing one, so an opaque id such as
    ``"\\na%\\r#.."`` would reach MeetStream as another id merely by passing through rendering.
    """

    def render_template(
        self, content: Any, context: Any, jinja_env: Any = None, *args: Any, **kwargs: Any
    ) -> Any:
        """Render ``content``, unless it is a string without template syntax."""
        if isinstance(content, str):
            starts: tuple[str, ...] = _DEFAULT_STARTS
            if jinja_env is not None:
                # A DAG may set its own delimiters (variable_start_string="[[", ...).
                names = ("variable_start_string", "block_start_string", "comment_start_string")
                starts = tuple(
                    getattr(jinja_env, name, start) for name, start in zip(names, starts, strict=True)
                )
            if not any(start in content for start in starts):
                return content
        return super().render_template(content, context, jinja_env, *args, **kwargs)  # type: ignore[misc]
