"""Templated arguments: text kept as written, checks put off until rendering, and data rendered to text."""

from __future__ import annotations

import json
from typing import Any

from airflow_provider_meetstream.exceptions import MeetStreamInputError

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


def is_templated(value: Any) -> bool:
    """
    Tell whether an operator argument is still a template, to be checked at execute time instead.

    A list or a tuple is one when an item is, a dict when a value is: Airflow renders and
    resolves each.

    :param value: An operator argument as given to ``__init__``.
    """
    if isinstance(value, str):
        return "{{" in value or "{%" in value
    if isinstance(value, (list, tuple)):
        return any(is_templated(item) for item in value)
    if isinstance(value, dict):
        return any(is_templated(item) for item in value.values())
    # XComArg, MappedArgument and the like resolve later; they are never plain data.
    return hasattr(value, "resolve")


def check_now(value: Any, check: Any, *args: Any) -> None:
    """
    Run ``check(value, *args)`` unless ``value`` is None or still a template.

    Operators call this in ``__init__`` so a literal mistake fails at DAG parse time, and again in
    ``execute`` once templates are rendered.
    """
    if value is not None and not is_templated(value):
        check(value, *args)


def rendered_data(value: Any, argument: str, native: str) -> Any:
    """
    Read back a list or a dict that a template rendered to text: JSON is read, a Python repr refused.

    Unless the DAG renders native objects, a template renders to a string, and a list or dict XCom
    to its Python repr (``"['a', 'b']"``), which is not data. Any other value, and a string that
    does not open like a list or an object, is returned as it is.

    :param value: The argument, rendered.
    :param argument: The argument's name, for the error.
    :param native: How the argument takes the value natively, e.g. ``schedule.output["bot_id"]``.
    """
    if not isinstance(value, str) or not value.strip().startswith(("[", "{", "(")):
        return value
    try:
        return json.loads(value)
    except (ValueError, RecursionError):
        raise MeetStreamInputError(
            argument,
            value,
            f"is text that is not JSON (a Python repr is not read): pass the value natively, as {native}, "
            "render it as JSON with | tojson, or set render_template_as_native_obj=True on the DAG",
        ) from None
