"""RecordingRules as values: read from a dict, JSON text or rules, written back, and refused when wrong."""

from __future__ import annotations

import json
from types import MappingProxyType
from typing import Any

import pytest

from airflow_provider_meetstream.rules import DEFAULT_OPT_OUT_MARKERS, RecordingRules, RulesError

FULL = {
    "internal_domains": ["example.com", "bücher.example"],
    "record": "external",
    "organizer_in": ["lpage@example.com"],
    "calendar_owner_is_organizer": True,
    "min_attendees": 2,
    "max_attendees": 10,
    "only_accepted": True,
    "skip_declined": False,
    "opt_out_markers": ["#private"],
    "opt_in_markers": ["#record"],
    "recurring": False,
}


class TestRead:
    def test_from_a_dict(self) -> None:
        rules = RecordingRules.from_value(FULL)
        assert rules.internal_domains == ("example.com", "bücher.example")
        assert rules.organizer_in == ("lpage@example.com",)
        assert rules.opt_out_markers == ("#private",)
        assert rules.opt_in_markers == ("#record",)
        assert (rules.record, rules.min_attendees, rules.max_attendees, rules.recurring) == (
            "external",
            2,
            10,
            False,
        )
        assert RecordingRules.from_value(MappingProxyType(FULL)) == rules

    def test_from_json_text(self) -> None:
        assert RecordingRules.from_value(json.dumps(FULL)) == RecordingRules.from_value(FULL)
        assert RecordingRules.from_value("  {}  ") == RecordingRules()

    def test_from_rules(self) -> None:
        rules = RecordingRules(record="all", only_accepted=True)
        assert RecordingRules.from_value(rules) is rules

    def test_the_defaults(self) -> None:
        rules = RecordingRules.from_value({})
        assert rules == RecordingRules()
        assert rules.record == "all"
        assert rules.skip_declined is True
        assert rules.opt_out_markers == DEFAULT_OPT_OUT_MARKERS
        assert (rules.organizer_in, rules.min_attendees, rules.max_attendees, rules.recurring) == (None,) * 4

    def test_lists_become_tuples_and_strings_are_stripped(self) -> None:
        rules = RecordingRules(internal_domains=[" example.com "], opt_in_markers=[" #record "])
        assert rules.internal_domains == ("example.com",)
        assert rules.opt_in_markers == ("#record",)
        assert hash(rules) == hash(
            RecordingRules(internal_domains=("example.com",), opt_in_markers=("#record",))
        )

    def test_the_limits_are_allowed(self) -> None:
        rules = RecordingRules(
            min_attendees=0, max_attendees=0, opt_out_markers=["x" * 200] * 100, opt_in_markers=[]
        )
        assert len(rules.opt_out_markers) == 100
        assert RecordingRules(min_attendees=3, max_attendees=3).max_attendees == 3


class TestWrite:
    @pytest.mark.parametrize(
        "value", [{}, FULL, {"opt_out_markers": [], "recurring": True}], ids=["empty", "full", "some"]
    )
    def test_round_trip(self, value: dict) -> None:
        rules = RecordingRules.from_value(value)
        data = rules.to_dict()
        assert RecordingRules.from_value(data) == rules
        assert RecordingRules.from_value(json.dumps(data)) == rules
        assert json.loads(json.dumps(data)) == data

    def test_the_keys_and_lists(self) -> None:
        data = RecordingRules.from_value(FULL).to_dict()
        assert data == FULL
        assert RecordingRules().to_dict()["opt_out_markers"] == list(DEFAULT_OPT_OUT_MARKERS)
        assert RecordingRules().to_dict()["organizer_in"] is None


def refused(value: Any) -> RulesError:
    with pytest.raises(RulesError) as caught:
        RecordingRules.from_value(value)
    return caught.value


class TestRefused:
    @pytest.mark.parametrize(
        ("value", "key", "says"),
        [
            ({"record_all": True}, "record_all", "is not a rule; the rules are ["),
            ({"Record": "all", "zzz": 1}, "Record", "is not a rule"),
            ({"_domains": ["example.com"]}, "_domains", "is not a rule"),
            ({"record": "everyone"}, "record", "must be one of ['all', 'external', 'internal']"),
            ({"record": None}, "record", "must be one of"),
            ({"record": "external"}, "internal_domains", 'when record is "external"'),
            ({"record": "internal", "internal_domains": []}, "internal_domains", 'when record is "internal"'),
            ({"internal_domains": "example.com"}, "internal_domains", "must be a list of strings"),
            ({"internal_domains": {"example.com": 1}}, "internal_domains", "must be a list of strings"),
            ({"internal_domains": None}, "internal_domains", "([] for none)"),
            ({"internal_domains": [""]}, "internal_domains", "non-empty strings only"),
            ({"internal_domains": ["example.com", 3]}, "internal_domains", "non-empty strings only"),
            ({"opt_out_markers": ["  "]}, "opt_out_markers", "non-empty strings only"),
            ({"opt_out_markers": None}, "opt_out_markers", "([] for none)"),
            ({"opt_out_markers": "#norecord"}, "opt_out_markers", "must be a list of strings"),
            ({"opt_in_markers": [None]}, "opt_in_markers", "non-empty strings only"),
            ({"organizer_in": []}, "organizer_in", "at least one email address"),
            ({"organizer_in": ["lpage"]}, "organizer_in", "at least one email address"),
            ({"organizer_in": ["a@b@example.com"]}, "organizer_in", "at least one email address"),
            ({"organizer_in": ["lpage@exa mple.com"]}, "organizer_in", "at least one email address"),
            ({"organizer_in": "lpage@example.com"}, "organizer_in", "must be a list of strings"),
            ({"organizer_in": [""]}, "organizer_in", "non-empty strings only"),
            ({"min_attendees": -1}, "min_attendees", "whole number from 0 up"),
            ({"max_attendees": -5}, "max_attendees", "whole number from 0 up"),
            ({"min_attendees": True}, "min_attendees", "whole number"),
            ({"max_attendees": False}, "max_attendees", "whole number"),
            ({"min_attendees": 2.0}, "min_attendees", "whole number"),
            ({"max_attendees": "3"}, "max_attendees", "whole number"),
            (
                {"min_attendees": 5, "max_attendees": 2},
                "max_attendees",
                "must not be below min_attendees (5)",
            ),
            ({"only_accepted": "true"}, "only_accepted", "must be true or false"),
            ({"skip_declined": "false"}, "skip_declined", "must be true or false"),
            ({"skip_declined": None}, "skip_declined", "must be true or false"),
            ({"calendar_owner_is_organizer": 1}, "calendar_owner_is_organizer", "must be true or false"),
            ({"recurring": "yes"}, "recurring", "must be true, false or null"),
            ({"recurring": 1}, "recurring", "must be true, false or null"),
            ({"opt_out_markers": ["#x"] * 101}, "opt_out_markers", "at most 100 markers of 200 characters"),
            ({"opt_in_markers": ["x" * 201]}, "opt_in_markers", "at most 100 markers of 200 characters"),
        ],
    )
    def test_a_key_at_fault(self, value: dict, key: str, says: str) -> None:
        for given in (value, json.dumps(value)):
            err = refused(given)
            assert isinstance(err, ValueError)
            assert err.key == key
            assert says in err.reason
            assert str(err).startswith(f"{key}=")
            assert str(err).endswith(f": {err.reason}")

    @pytest.mark.parametrize(
        ("value", "says"),
        [
            ("{record: all}", "is text that is not JSON"),
            ("", "is text that is not JSON"),
            ("record=all", "is text that is not JSON"),
            ("[1, 2]", "must be a dict of rules"),
            ("null", "must be a dict of rules"),
            ('"all"', "must be a dict of rules"),
            (5, "must be a dict of rules"),
            (None, "must be a dict of rules"),
            (["record", "all"], "must be a dict of rules"),
        ],
    )
    def test_not_a_dict_of_rules(self, value: Any, says: str) -> None:
        err = refused(value)
        assert err.key == "rules"
        assert says in str(err)
        assert str(err).startswith("rules=")

    def test_text_not_json_says_how_to_pass_it(self) -> None:
        assert "| tojson" in str(refused("{'record': 'all'}"))

    def test_a_long_value_is_shortened(self) -> None:
        err = refused({"opt_out_markers": ["#marker"] * 200})
        shown = str(err).partition(": holds at most")[0]
        assert shown.endswith("...")
        assert len(shown) == len("opt_out_markers=") + 120
        assert err.value == tuple(["#marker"] * 200)

    def test_the_constructor_refuses_alike(self) -> None:
        with pytest.raises(RulesError) as caught:
            RecordingRules(record="external")
        assert caught.value.key == "internal_domains"
        with pytest.raises(RulesError, match=r"^min_attendees=-1: "):
            RecordingRules(min_attendees=-1)

    def test_an_address_without_its_name_is_not_an_email(self) -> None:
        # "@example.com" (one "@", a good domain) is no address: no host's would ever equal it.
        assert refused({"organizer_in": ["@example.com"]}).key == "organizer_in"
