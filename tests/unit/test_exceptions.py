"""The errors' own text: a hostile value is named, never walked to the bottom of the stack."""

from __future__ import annotations

import sys

import pytest

from airflow_provider_meetstream.exceptions import MeetStreamInputError


def nested(levels: int) -> dict:
    value: dict = {}
    for _ in range(levels):
        value = {"a": value}
    return value


def test_a_value_too_deep_to_show_is_named_without_recursing(monkeypatch: pytest.MonkeyPatch) -> None:
    # Recursing into 5,000 levels once hit the recursion limit, and the garbage collector's
    # finalizers, run at that depth, raised "unraisable" errors that failed a random test.
    calls = 0
    real = sys.getrecursionlimit()

    def counting_redact(value: object) -> object:
        nonlocal calls
        calls += 1
        return value

    monkeypatch.setattr("airflow_provider_meetstream.exceptions.redact", counting_redact)
    error = MeetStreamInputError("bot_config", nested(5000), "is nested too deeply")
    assert "<dict nested too deeply to show>" in str(error)
    assert calls == 0
    assert sys.getrecursionlimit() == real


def test_a_shallow_value_is_shown_redacted() -> None:
    error = MeetStreamInputError("bot_config", {"password": "hunter2-secret", "name": "N"}, "is wrong")
    assert "hunter2-secret" not in str(error)
    assert "'name': 'N'" in str(error)
