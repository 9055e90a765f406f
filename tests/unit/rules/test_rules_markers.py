"""Opt-out and opt-in markers, all-day events, missing links and series, on Google and Graph payloads."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from airflow_provider_meetstream.rules import DEFAULT_OPT_OUT_MARKERS, RecordingRules
from airflow_provider_meetstream.utils.selection import Selection
from tests.unit.rules.meetings import decide, meeting
from tests.unit.rules.payloads import (
    GOOGLE_ALL_DAY,
    GOOGLE_IO,
    GOOGLE_IO_INSTANCE,
    GOOGLE_WITH_ROOM_AND_SELF,
    GRAPH_ALL_DAY,
    GRAPH_CREATE_EVENT,
    GRAPH_EXCEPTION,
    GRAPH_OCCURRENCE,
    GRAPH_SERIES_MASTER,
    GRAPH_WITH_ROOM,
)

ALLOWED = "recorded: the rules allow it"


def titled(raw: dict[str, Any], title: str) -> dict[str, Any]:
    found = copy.deepcopy(raw)
    found["subject" if "subject" in found else "summary"] = title
    return found


def described(raw: dict[str, Any], text: str) -> dict[str, Any]:
    """``raw`` with its description: Google's plain text, Graph's HTML body (and its preview)."""
    found = copy.deepcopy(raw)
    if "subject" in found:
        found["body"] = {"contentType": "html", "content": f"<html><body>{text}</body></html>"}
        found["bodyPreview"] = "Happy holidays!"
    else:
        found["description"] = text
    return found


PAYLOADS = pytest.mark.parametrize(
    "raw", [GOOGLE_WITH_ROOM_AND_SELF, GRAPH_CREATE_EVENT], ids=["google", "graph"]
)


class TestOptOut:
    def test_the_default_markers(self) -> None:
        assert RecordingRules().opt_out_markers == ("#norecord", "#nobot", "[no bot]", "[no recording]")
        assert RecordingRules().opt_out_markers == DEFAULT_OPT_OUT_MARKERS

    @PAYLOADS
    @pytest.mark.parametrize("marker", DEFAULT_OPT_OUT_MARKERS)
    def test_in_the_title(self, raw: dict, marker: str) -> None:
        found = meeting(titled(raw, f"Weekly sync {marker.upper()}"))
        assert decide({}, found).reason == f"skipped: opt-out marker {marker} in the title"

    @PAYLOADS
    def test_in_the_description(self, raw: dict) -> None:
        found = meeting(described(raw, "Agenda: roadmap. #NoBot please"))
        assert decide({}, found).reason == "skipped: opt-out marker #nobot in the description"

    @PAYLOADS
    @pytest.mark.parametrize(
        ("title", "marker"),
        [
            ("Board call #NORECORD", "#norecord"),
            ("Board call \uff03\uff2e\uff2f\uff22\uff2f\uff34", "#nobot"),  # full-width "#NOBOT"
            ("Board call \uff3bno bot\uff3d", "[no bot]"),  # full-width brackets
            ("Board call [NO\u00a0RECORDING]", "[no recording]"),  # a no-break space
        ],
        ids=["upper", "full-width", "full-width-brackets", "nbsp"],
    )
    def test_case_and_width_do_not_matter(self, raw: dict, title: str, marker: str) -> None:
        assert (
            decide({}, meeting(titled(raw, title))).reason == f"skipped: opt-out marker {marker} in the title"
        )

    @PAYLOADS
    @pytest.mark.parametrize(
        ("marker", "title"),
        [
            ("#confidentiel-équipe", "Revue #CONFIDENTIEL-E\u0301QUIPE"),  # decomposed É
            ("#vertraulich-straße", "Runde #VERTRAULICH-STRASSE"),  # ß casefolds to ss
            ("[ne pas enregistrer]", "Point [Ne Pas Enregistrer]"),
        ],
    )
    def test_accented_markers(self, raw: dict, marker: str, title: str) -> None:
        found = meeting(titled(raw, title))
        assert decide({"opt_out_markers": [marker]}, found).reason == (
            f"skipped: opt-out marker {marker} in the title"
        )

    @pytest.mark.parametrize(
        "html",
        [
            "<p>Agenda</p><p><b>[no&nbsp;bot]</b></p>",
            "<div>Agenda</div><div>&#35;NoRecord</div>",
            "<p>[no&#32;recording]</p>",
        ],
    )
    def test_in_an_html_body(self, html: str) -> None:
        found = meeting(described(GRAPH_WITH_ROOM, html))
        assert decide({"skip_declined": False}, found).reason.endswith("in the description")
        assert decide({"opt_out_markers": [], "skip_declined": False}, found).reason == ALLOWED

    def test_in_an_html_google_description(self) -> None:
        found = meeting(described(GOOGLE_IO, "<p>Agenda</p><p>&#35;nobot</p>"))
        assert decide({}, found).reason == "skipped: opt-out marker #nobot in the description"

    def test_the_title_is_named_before_the_description(self) -> None:
        found = meeting(described(titled(GOOGLE_IO, "Sync [no bot]"), "#norecord"))
        assert decide({}, found).reason == "skipped: opt-out marker #norecord in the description"
        assert decide({"opt_out_markers": ["[no bot]", "#norecord"]}, found).reason == (
            "skipped: opt-out marker [no bot] in the title"
        )

    @PAYLOADS
    def test_markers_given_replace_the_defaults(self, raw: dict) -> None:
        found = meeting(titled(raw, "Sync #norecord #private"))
        assert decide({"opt_out_markers": []}, found).reason == ALLOWED
        assert decide({"opt_out_markers": ["#private"]}, found).reason == (
            "skipped: opt-out marker #private in the title"
        )
        assert decide({"opt_out_markers": ["#secret"]}, found).reason == ALLOWED

    def test_outranks_every_other_rule(self) -> None:
        found = meeting(titled(GOOGLE_IO, "Launch #nobot"))
        assert decide({"opt_in_markers": ["launch"]}, found).reason == (
            "skipped: opt-out marker #nobot in the title"
        )


class TestOptIn:
    @pytest.mark.parametrize("raw", [GOOGLE_WITH_ROOM_AND_SELF, GRAPH_WITH_ROOM], ids=["google", "graph"])
    @pytest.mark.parametrize(
        "rules",
        [
            {
                "record": "external",
                "internal_domains": ["example.com", "example.net", "contoso.onmicrosoft.com"],
            },
            {"organizer_in": ["nobody@example.org"]},
            {"only_accepted": True},
            {"calendar_owner_is_organizer": True},
            {"min_attendees": 50},
            {"max_attendees": 0},
            {"recurring": True},
        ],
        ids=["record", "organizer_in", "only_accepted", "hosts", "min", "max", "recurring"],
    )
    def test_forces_recording(self, raw: dict, rules: dict) -> None:
        # Neither calendar's owner hosts; GRAPH_WITH_ROOM's declined, so skip_declined is off.
        found = meeting(titled(raw, "Quarterly review #Record"))
        base = {**rules, "skip_declined": False}
        assert not decide(base, found).record
        assert decide({**base, "opt_in_markers": ["#record"]}, found).reason == (
            "recorded: opt-in marker #record in the title"
        )

    def test_forces_recording_when_declined(self) -> None:
        found = meeting(described(GRAPH_WITH_ROOM, "<p>\uff03RECORD</p>"))
        assert decide({}, found).reason == "skipped: declined by the calendar's owner"
        assert decide({"opt_in_markers": ["#record"]}, found).reason == (
            "recorded: opt-in marker #record in the description"
        )

    @PAYLOADS
    def test_not_over_opt_out(self, raw: dict) -> None:
        found = meeting(titled(raw, "Review #record #norecord"))
        assert decide({"opt_in_markers": ["#record"]}, found).reason == (
            "skipped: opt-out marker #norecord in the title"
        )

    @pytest.mark.parametrize("raw", [GOOGLE_ALL_DAY, GRAPH_ALL_DAY], ids=["google", "graph"])
    def test_not_over_all_day(self, raw: dict) -> None:
        found = meeting(titled(raw, "Offsite #record"))
        assert decide({"opt_in_markers": ["#record"]}, found).reason == "skipped: an all-day event"

    @PAYLOADS
    def test_not_over_a_missing_link(self, raw: dict) -> None:
        found = meeting(titled(raw, "Review #record"), meeting_url=None)
        assert decide({"opt_in_markers": ["#record"]}, found).reason == "skipped: no meeting link"


class TestNeverRecorded:
    @pytest.mark.parametrize("raw", [GOOGLE_ALL_DAY, GRAPH_ALL_DAY], ids=["google", "graph"])
    def test_all_day(self, raw: dict) -> None:
        found = meeting(raw)
        assert decide({}, found).reason == "skipped: an all-day event"
        assert decide({"skip_declined": False, "opt_out_markers": []}, found).reason == (
            "skipped: an all-day event"
        )

    @PAYLOADS
    @pytest.mark.parametrize("url", [None, ""])
    def test_no_link(self, raw: dict, url: str | None) -> None:
        found = meeting(raw, meeting_url=url)
        assert decide({}, found).reason == "skipped: no meeting link"
        assert decide(Selection(), found).reason == "skipped: no meeting link"
        assert decide(Selection(rules=RecordingRules()), found).reason == "skipped: no meeting link"


class TestRecurring:
    @pytest.mark.parametrize(
        ("raw", "series"),
        [
            (GOOGLE_IO, True),
            (GOOGLE_IO_INSTANCE, True),
            (GOOGLE_WITH_ROOM_AND_SELF, False),
            (GRAPH_SERIES_MASTER, True),
            (GRAPH_OCCURRENCE, True),
            (GRAPH_EXCEPTION, True),
            (GRAPH_CREATE_EVENT, False),
        ],
        ids=[
            "google-series",
            "google-instance",
            "google-single",
            "graph-series",
            "occurrence",
            "exception",
            "single",
        ],
    )
    def test_recurring(self, raw: dict, series: bool) -> None:
        found = meeting(raw)
        assert decide({"recurring": None}, found).reason == ALLOWED
        assert decide({"recurring": series}, found).reason == ALLOWED
        assert decide({"recurring": not series}, found).reason == (
            "skipped: a recurring meeting" if series else "skipped: not a recurring meeting"
        )
