"""Internal domains as people write them: any case, an "@", a final dot, Unicode or IDNA labels."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from airflow_provider_meetstream.rules import RecordingRules, RulesError
from airflow_provider_meetstream.rules.people import Person, normal_domain
from tests.unit.rules.meetings import decide, meeting
from tests.unit.rules.payloads import GOOGLE_IO, GRAPH_CREATE_EVENT


def google_with(*emails: str) -> dict[str, Any]:
    """GOOGLE_IO hosted and attended by these addresses only."""
    raw = copy.deepcopy(GOOGLE_IO)
    raw["organizer"] = {"email": emails[0], "self": True}
    raw["attendees"] = [{"email": email, "responseStatus": "accepted"} for email in emails]
    return raw


def graph_with(*emails: str) -> dict[str, Any]:
    """GRAPH_CREATE_EVENT hosted and attended by these addresses only."""
    raw = copy.deepcopy(GRAPH_CREATE_EVENT)
    raw["organizer"] = {"emailAddress": {"name": "Host", "address": emails[0]}}
    raw["attendees"] = [
        {"type": "required", "status": {"response": "accepted"}, "emailAddress": {"address": email}}
        for email in emails[1:]
    ]
    return raw


BOTH = pytest.mark.parametrize("build", [google_with, graph_with], ids=["google", "graph"])


class TestNormalDomain:
    @pytest.mark.parametrize(
        ("text", "domain"),
        [
            ("example.com", "example.com"),
            ("Example.COM", "example.com"),
            (" @example.com ", "example.com"),
            ("example.com.", "example.com"),
            ("EU.Example.com.", "eu.example.com"),
            ("bücher.example", "xn--bcher-kva.example"),
            ("BÜCHER.Example", "xn--bcher-kva.example"),
            ("xn--bcher-kva.example", "xn--bcher-kva.example"),
            ("XN--BCHER-KVA.EXAMPLE", "xn--bcher-kva.example"),
        ],
    )
    def test_one_form(self, text: str, domain: str) -> None:
        assert normal_domain(text) == domain

    @pytest.mark.parametrize(
        "text",
        ["", "  ", "@", ".", "example..com", "exa mple.com", "https://example.com", "a\\b.com", "a@b.com"],
    )
    def test_not_a_domain(self, text: str) -> None:
        assert normal_domain(text) is None

    @pytest.mark.parametrize(
        ("email", "domain"),
        [
            ("Anna@Bücher.Example.", "xn--bcher-kva.example"),
            ("anna@xn--bcher-kva.example", "xn--bcher-kva.example"),
            ("IrvinS@Contoso.COM", "contoso.com"),
            ("a@b@contoso.com", None),
            ("no-address", None),
            ("anna@", None),
            (None, None),
        ],
    )
    def test_an_address_domain(self, email: str | None, domain: str | None) -> None:
        assert Person(email).domain == domain


class TestInternalDomains:
    @pytest.mark.parametrize("written", ["Example.COM", " @example.com ", "example.com.", "@EXAMPLE.com."])
    @BOTH
    def test_however_written(self, build: Any, written: str) -> None:
        inside = meeting(build("owner@example.com", "cfo@EU.Example.com"))
        outside = meeting(build("owner@example.com", "guest@example.org"))
        rules = RecordingRules(internal_domains=[written], record="internal")
        assert rules.is_internal("example.com") is True
        assert rules.is_internal("eu.example.com") is True
        assert rules.is_internal("notexample.com") is False
        assert rules.is_internal(None) is None
        assert decide(rules, inside).record
        assert decide(rules, outside).reason == "skipped: an attendee from example.org (internal only)"

    @pytest.mark.parametrize(
        ("own", "address"),
        [
            ("bücher.example", "anna@xn--bcher-kva.example"),
            ("xn--bcher-kva.example", "anna@bücher.example"),
            ("BÜCHER.example", "anna@Bücher.Example"),
            ("xn--bcher-kva.example", "anna@shop.bücher.example"),
        ],
    )
    @BOTH
    def test_idn_in_rules_and_addresses(self, build: Any, own: str, address: str) -> None:
        found = meeting(build("host@xn--bcher-kva.example", address))
        assert decide({"internal_domains": [own], "record": "internal"}, found).reason.startswith(
            "recorded: "
        )
        assert decide({"internal_domains": [own], "record": "external"}, found).reason.startswith("skipped: ")

    @BOTH
    def test_an_idn_outsider_is_named_in_ascii(self, build: Any) -> None:
        found = meeting(build("host@example.com", "anna@bücher.example"))
        rules = {"internal_domains": ["example.com"], "record": "external"}
        assert decide(rules, found).reason == "recorded: an attendee from xn--bcher-kva.example"

    @pytest.mark.parametrize(
        "bad",
        [
            "exa mple.com",
            "https://example.com",
            "example..com",
            ".",
            "@",
            "bob@example.com",
            "x" * 64 + ".com",
            "a\\b.com",
        ],
    )
    def test_a_bad_domain_is_refused(self, bad: str) -> None:
        with pytest.raises(RulesError) as caught:
            RecordingRules(internal_domains=["example.com", bad])
        assert caught.value.key == "internal_domains"
        assert str(caught.value).startswith("internal_domains=")
        assert "is not a domain" in str(caught.value)
        with pytest.raises(RulesError, match=r"^internal_domains="):
            RecordingRules.from_value({"internal_domains": [bad], "record": "external"})

    @pytest.mark.parametrize("bad", ["", "   "])
    def test_an_empty_domain_is_refused(self, bad: str) -> None:
        with pytest.raises(RulesError, match="non-empty strings") as caught:
            RecordingRules(internal_domains=[bad])
        assert caught.value.key == "internal_domains"

    @pytest.mark.parametrize("bad", ["*.example.com", "example.com:443"])
    def test_a_pattern_or_a_port_is_not_a_domain(self, bad: str) -> None:
        # Python's "idna" codec (no STD3 check) lets "*" and ":" through; such a domain would match
        # no address, and "external" would record everyone.
        with pytest.raises(RulesError) as caught:
            RecordingRules(internal_domains=[bad], record="external")
        assert caught.value.key == "internal_domains"
