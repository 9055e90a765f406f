"""RecurrenceError: raised without Airflow, turned into MeetStreamInputError by provider code."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
import requests_mock as rm

from airflow_provider_meetstream import validation
from airflow_provider_meetstream.exceptions import MeetStreamInputError
from airflow_provider_meetstream.operators.meetstream import ExpandRecurringEventOperator

# Run in a fresh interpreter: this test process has imported Airflow long ago. A meta-path finder
# refuses every airflow module, so an import of Airflow anywhere, even a lazy one inside an error
# path, fails with ModuleNotFoundError instead of passing unnoticed.
_SCRIPT = textwrap.dedent(
    """
    import sys


    class BlockAirflow:
        def find_spec(self, name, path=None, target=None):
            if name == "airflow" or name.startswith("airflow."):
                raise ModuleNotFoundError(f"blocked import of {name}", name=name)
            return None


    sys.meta_path.insert(0, BlockAirflow())

    from airflow_provider_meetstream.recurrence import RecurrenceError, expand_occurrences

    ok = expand_occurrences(
        ["RRULE:FREQ=DAILY;COUNT=2"], "2027-03-01T09:00:00Z", window_start="2027-03-01T00:00:00Z"
    )
    print(len(ok))
    try:
        expand_occurrences(["RRULE:FREQ=DAILY;INTERVAL=0"], "2027-03-01T09:00:00Z")
    except RecurrenceError as err:
        print(type(err).__name__, isinstance(err, ValueError), err.argument, err.value)
        print(err)
    print(sorted(name for name in sys.modules if name == "airflow" or name.startswith("airflow.")))
    """
)


def test_recurrence_fails_with_its_own_error_without_airflow() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _SCRIPT], capture_output=True, text=True, check=False, timeout=120
    )

    assert result.returncode == 0, result.stderr
    assert "ModuleNotFoundError" not in result.stderr
    assert result.stdout.splitlines() == [
        "2",
        "RecurrenceError True recurrence RRULE:FREQ=DAILY;INTERVAL=0",
        "Invalid recurrence='RRULE:FREQ=DAILY;INTERVAL=0': INTERVAL must be a positive integer",
        "[]",
    ]


def test_an_unexpandable_rule_fails_the_operator_before_any_request() -> None:
    op = ExpandRecurringEventOperator(
        task_id="expand",
        event_id="evt",
        deduplication_key="k",
        recurrence=["RRULE:FREQ=DAILY;INTERVAL=0"],
        start="2027-03-01T09:00:00Z",
    )
    with rm.Mocker() as mock:
        mock.register_uri(rm.ANY, rm.ANY, json={})
        with pytest.raises(MeetStreamInputError) as caught:
            op.execute({})

    assert caught.value.argument == "recurrence"
    assert caught.value.value == "RRULE:FREQ=DAILY;INTERVAL=0"
    assert "INTERVAL must be a positive integer" in str(caught.value)
    assert not mock.called


def test_iso_datetime_names_the_argument_in_the_providers_error() -> None:
    with pytest.raises(MeetStreamInputError) as caught:
        validation.iso_datetime("2027-03-01T09:00:00", "join_at")

    assert caught.value.argument == "join_at"
    assert "has no UTC offset" in str(caught.value)
