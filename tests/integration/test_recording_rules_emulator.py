"""The sync with recording rules against the emulator: a meeting that stops qualifying loses its bot."""

from __future__ import annotations

from datetime import timedelta

import pytest
from calendar_events import event, weekly

from airflow_provider_meetstream.operators.calendar_sync import SyncCalendarBotsOperator

SYNC = "tests.rules"
OWNER = "dana@example.com"
EXTERNAL = {"internal_domains": ["Example.COM"], "record": "external"}

pytestmark = pytest.mark.usefixtures("no_waits")


def google(event_id: str, start, *, others=(), response="accepted", hosts=True, **fields) -> dict:
    """A Google event in the calendar of OWNER, who hosts it (or not) and answered ``response``."""
    item = event(event_id, start, **fields)
    own = {"email": OWNER, "self": True, "responseStatus": response, **({"organizer": True} if hosts else {})}
    item["raw"].update(
        organizer={"email": OWNER, "self": True} if hosts else {"email": others[0]},
        attendees=[own, *({"email": email, "responseStatus": "accepted"} for email in others)],
    )
    return item


def graph(event_id: str, start, *, others=(), response="accepted", **fields) -> dict:
    """A Microsoft Graph event that another person hosts, in a calendar whose owner answered ``response``."""
    item = event(event_id, start, platform="outlook_calendar", **fields)
    title = item["raw"].pop("summary")
    item["raw"].update(
        subject=title,
        isOrganizer=False,
        responseStatus={"response": response, "time": start.isoformat()},
        organizer={"emailAddress": {"name": "Megan", "address": "megan@example.com"}},
        attendees=[
            {"type": "required", "status": {"response": "none"}, "emailAddress": {"address": email}}
            for email in others
        ],
    )
    return item


def sync(rules=EXTERNAL, **kwargs) -> dict:
    return SyncCalendarBotsOperator(
        task_id="sync", sync_id=SYNC, rules=rules, lookahead=timedelta(days=2), **kwargs
    ).execute({})


NO_LONGER = "the meeting is no longer selected"


def titles(report: dict, kind: str) -> dict[str, str]:
    return {item["event_id"]: item["reason"] for item in report[kind]}


@pytest.fixture
def frozen(meetstream_frozen_now):
    return meetstream_frozen_now


def test_each_change_of_people_or_text_adds_or_cancels_on_the_next_sync(frozen) -> None:
    admin, now = frozen.emulator.admin, frozen.now
    admin.load_events(
        [
            google("evt_internal", now + timedelta(hours=2), others=["sam@example.com"]),
            google("evt_external", now + timedelta(hours=3), others=["ana@vendor.example"], hosts=False),
            google("evt_opt_out", now + timedelta(hours=4), others=["ana@vendor.example"]),
            graph("evt_graph", now + timedelta(hours=5), others=["li@customer.example"]),
            google(
                "evt_declined",
                now + timedelta(hours=6),
                others=["ana@vendor.example"],
                response="declined",
                hosts=False,
            ),
        ]
    )
    first = sync()
    assert sorted(titles(first, "added")) == ["evt_external", "evt_graph", "evt_opt_out"]
    assert titles(first, "skipped") == {
        "evt_internal": "skipped: no attendee known to be outside example.com",
        "evt_declined": "skipped: declined by the calendar's owner",
    }

    admin.add_attendee("evt_internal", "ana@vendor.example")
    admin.respond("evt_external", "declined")
    admin.edit_event("evt_opt_out", title="Customer sync #NoRecord")
    admin.edit_event("evt_graph", description="<p>Please, [No Bot] today.</p>")
    admin.respond("evt_declined", "tentative")
    second = sync()
    assert sorted(titles(second, "added")) == ["evt_declined", "evt_internal"]
    assert titles(second, "cancelled") == {
        "evt_external": f"{NO_LONGER} (skipped: declined by the calendar's owner)",
        "evt_opt_out": f"{NO_LONGER} (skipped: opt-out marker #norecord in the title)",
        "evt_graph": f"{NO_LONGER} (skipped: opt-out marker [no bot] in the description)",
    }
    live = {
        bot["event_id"]
        for bot in admin.state()["bots"]
        if bot["status"] == "Scheduled" and str(bot["deduplication_key"]).startswith(f"{SYNC}|")
    }
    assert live == {"evt_internal", "evt_declined"}

    # Accepted again: the meeting qualifies again and gets a bot again; then nothing changes.
    admin.respond("evt_external", "accepted")
    assert titles(sync(), "added") == {"evt_external": "no bot yet"}
    idle = sync()
    assert idle["counts"] == {"add": 0, "move": 0, "cancel": 0, "keep": 3, "skip": 2, "failed": 0}


def test_internal_only_loses_its_bot_when_an_outsider_is_invited(frozen) -> None:
    admin, now = frozen.emulator.admin, frozen.now
    admin.load_events([google("evt_team", now + timedelta(hours=2), others=["sam@eu.example.com"])])
    internal = {"internal_domains": ["example.com"], "record": "internal"}
    assert titles(sync(internal), "added") == {"evt_team": "no bot yet"}
    admin.add_attendee("evt_team", "ana@vendor.example", optional=True)
    assert titles(sync(internal), "cancelled") == {
        "evt_team": f"{NO_LONGER} (skipped: an attendee from vendor.example (internal only))"
    }
    # A room is not a person: inviting one changes nothing.
    admin.load_events(
        [google("evt_room", now + timedelta(hours=3), others=["sam@example.com"])], replace=False
    )
    admin.add_attendee("evt_room", "room-4b@resource.calendar.google.com", resource=True)
    assert titles(sync(internal), "added") == {"evt_room": "no bot yet"}


def two_copies(start) -> list[dict]:
    """One meeting with a vendor, in two owners' calendars: dana's (declined) and sam's (accepted)."""
    copies = [
        google(
            "evt_a",
            start,
            others=["ana@vendor.example"],
            response="declined",
            hosts=False,
            calendar_id="cal_a",
        ),
        google("evt_b", start, others=["ana@vendor.example"], hosts=False, calendar_id="cal_b"),
    ]
    for item in copies:
        item["ical_uid"] = "shared@example.com"
    copies[1]["raw"]["attendees"][0]["email"] = "sam@example.com"
    return copies


def test_one_meeting_in_two_calendars_is_recorded_while_one_owner_accepts(frozen) -> None:
    admin = frozen.emulator.admin
    admin.load_events(two_copies(frozen.now + timedelta(hours=2)))
    rules = {**EXTERNAL, "only_accepted": True}
    first = sync(rules)
    (added,) = first["added"]
    assert added["bot_id"]
    assert first["counts"]["add"] == 1
    bots = [b for b in admin.state()["bots"] if b["status"] == "Scheduled"]
    assert len(bots) == 1
    admin.respond("evt_b", "declined")
    (cancelled,) = sync(rules)["cancelled"]
    assert cancelled["reason"] == (
        f"{NO_LONGER} (skipped: declined by the calendar's owner (calendar cal_a); "
        "skipped: declined by the calendar's owner (calendar cal_b))"
    )


def test_the_decision_names_the_calendar_whose_copy_decided(frozen) -> None:
    from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook
    from airflow_provider_meetstream.rules import RecordingRules
    from airflow_provider_meetstream.utils.calendar_meetings import read_calendar

    now = frozen.now
    frozen.emulator.admin.load_events(two_copies(now + timedelta(hours=2)))
    with MeetStreamHook() as hook:
        events = list(hook.iter_events(time_min=now, time_max=now + timedelta(days=1)))
    (meeting,) = read_calendar(events, now, now + timedelta(days=1)).meetings.values()
    decision = RecordingRules.from_value(EXTERNAL).decide(meeting)
    assert decision.record
    assert decision.reason == "recorded: an attendee from vendor.example (calendar cal_b)"


def test_without_rules_every_meeting_with_a_link_is_recorded_as_before(frozen) -> None:
    admin, now = frozen.emulator.admin, frozen.now
    admin.load_events(
        [
            google("evt_internal", now + timedelta(hours=2), others=["sam@example.com"], response="declined"),
            google("evt_nolink", now + timedelta(hours=3), meeting_url=None),
        ]
    )
    report = sync(rules=None)
    assert titles(report, "added") == {"evt_internal": "no bot yet"}
    # As before the rules: what the filters leave out is counted nowhere, listed nowhere.
    assert report["skipped"] == []
    assert report["counts"]["skip"] == 0


def test_a_moved_occurrence_of_an_external_series_keeps_its_bot_and_moves_it(frozen) -> None:
    admin, now = frozen.emulator.admin, frozen.now
    first = (now + timedelta(hours=2)).replace(minute=0, second=0, microsecond=0)
    series = weekly("evt_weekly", first, title="Vendor stand-up")
    series["raw"].update(google("x", first, others=["ana@vendor.example"])["raw"], summary="Vendor stand-up")
    admin.load_events([series])
    assert list(titles(sync(), "added")) == ["evt_weekly"]
    admin.move_event("evt_weekly", first + timedelta(hours=1), occurrence=first)
    report = sync()
    assert [(item["reason"], item["new_join"] is not None) for item in report["moved"]] == [
        ("the meeting moved", True)
    ]
    assert report["cancelled"] == []
