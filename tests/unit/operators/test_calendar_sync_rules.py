"""The sync's ``rules``: a dict, JSON text or RecordingRules, checked at parse time or after rendering."""

from __future__ import annotations

import json

import pytest
from airflow.providers.common.compat.sdk import DAG

from airflow_provider_meetstream.exceptions import MeetStreamInputError
from airflow_provider_meetstream.operators.calendar_sync import SyncCalendarBotsOperator
from airflow_provider_meetstream.rules import RecordingRules

RULES = {"internal_domains": ["example.com"], "record": "external", "opt_in_markers": ["#record"]}


def sync(**kwargs) -> SyncCalendarBotsOperator:
    return SyncCalendarBotsOperator(task_id="sync", sync_id="s", **kwargs)


@pytest.mark.parametrize(
    "given",
    [RULES, json.dumps(RULES), RecordingRules.from_value(RULES)],
    ids=["dict", "json", "RecordingRules"],
)
def test_every_form_gives_the_same_rules_and_is_kept_as_data(given) -> None:
    op = sync(rules=given)
    assert isinstance(op.rules, (dict, str))
    json.dumps(op.rules)
    assert RecordingRules.from_value(op.rules) == RecordingRules.from_value(RULES)


@pytest.mark.parametrize(
    ("rules", "argument", "reason"),
    [
        ({"record": "outside"}, "rules.record", "must be one of"),
        ({"record": "external"}, "rules.internal_domains", "must name the company's domains"),
        ({"min_attendee": 2}, "rules.min_attendee", "is not a rule"),
        ({"min_attendees": -1}, "rules.min_attendees", "from 0 up"),
        ({"internal_domains": "example.com"}, "rules.internal_domains", "must be a list of strings"),
        ({"skip_declined": "false"}, "rules.skip_declined", "true or false"),
        ("{'record': 'all'}", "rules", "not JSON"),
        (["external"], "rules", "must be a dict of rules"),
    ],
)
def test_a_literal_that_does_not_validate_fails_at_parse_time_naming_the_field(
    rules, argument, reason
) -> None:
    with pytest.raises(MeetStreamInputError) as caught:
        sync(rules=rules)
    assert caught.value.argument == argument
    assert reason in caught.value.reason


def test_a_param_rendered_as_json_is_read_after_rendering() -> None:
    op = sync(rules="{{ params.rules | tojson }}")
    op.render_template_fields({"params": {"rules": RULES}})
    assert json.loads(op.rules) == RULES
    op._check_arguments()


def test_a_template_inside_the_dict_is_checked_after_rendering() -> None:
    op = sync(rules={"internal_domains": "{{ params.domains }}", "record": "external"})
    op.render_template_fields({"params": {"domains": "example.com"}})
    with pytest.raises(MeetStreamInputError) as caught:
        op._check_arguments()
    assert caught.value.argument == "rules.internal_domains"


def test_native_rendering_gives_the_dict_itself() -> None:
    with DAG("native", schedule=None, render_template_as_native_obj=True):
        op = sync(rules="{{ params.rules }}")
    op.render_template_fields({"params": {"rules": RULES}})
    assert op.rules == RULES


def test_a_python_repr_rendered_without_tojson_fails_before_any_request_naming_the_fix() -> None:
    op = sync(rules="{{ params.rules }}")
    op.render_template_fields({"params": {"rules": RULES}})
    with pytest.raises(MeetStreamInputError) as caught:
        op.execute({})
    assert caught.value.argument == "rules"
    assert "| tojson" in caught.value.reason


def test_rendered_rules_that_do_not_validate_fail_naming_the_field() -> None:
    op = sync(rules="{{ params.rules | tojson }}")
    op.render_template_fields({"params": {"rules": {**RULES, "max_attendees": 1, "min_attendees": 3}}})
    with pytest.raises(MeetStreamInputError) as caught:
        op.execute({})
    assert caught.value.argument == "rules.max_attendees"
    assert "must not be below min_attendees (3)" in str(caught.value)
