"""Templated arguments: text with no template kept as given, a DAG's own delimiters, rendered data read."""

from __future__ import annotations

import pytest

from airflow_provider_meetstream.exceptions import MeetStreamInputError
from airflow_provider_meetstream.operators.meetstream import ScheduleEventOperator
from airflow_provider_meetstream.templating import is_templated, rendered_data


class TestTemplatedText:
    def test_text_without_template_syntax_is_kept_as_given(self) -> None:
        import jinja2

        op = ScheduleEventOperator(task_id="t", event_id="e", deduplication_key="k")
        env = jinja2.Environment(autoescape=False)  # noqa: S701 - ids, not HTML
        assert op.render_template("\na%\r#..", {}, env) == "\na%\r#.."
        assert op.render_template("a\n", {}, env) == "a\n"
        assert op.render_template("{{ 1 + 1 }}", {}, env) == "2"

    def test_a_dags_own_delimiters_still_render(self) -> None:
        import jinja2

        op = ScheduleEventOperator(task_id="t", event_id="e", deduplication_key="k")
        env = jinja2.Environment(variable_start_string="[[", variable_end_string="]]", autoescape=False)  # noqa: S701
        assert op.render_template("evt_[[ 1 + 1 ]]", {}, env) == "evt_2"
        assert op.render_template("{{ kept }}", {}, env) == "{{ kept }}"


def test_rendered_data_reads_json_and_leaves_other_values() -> None:
    assert rendered_data('{"a": [1]}', "x", "t.output") == {"a": [1]}
    assert rendered_data("plain", "x", "t.output") == "plain"
    assert rendered_data(["a"], "x", "t.output") == ["a"]
    with pytest.raises(MeetStreamInputError, match=r"t\.output"):
        rendered_data("{'a': 1}", "x", "t.output")


def test_a_list_holding_a_template_is_still_a_template() -> None:
    assert is_templated(["b1", "{{ params.bot }}"])
    assert not is_templated(["b1", "b2"])
