"""Meetings built the way the sync builds them: documented payloads listed, then read by read_calendar."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

from airflow_provider_meetstream.rules import Decision, RecordingRules
from airflow_provider_meetstream.utils.calendar_meetings import Meeting, read_calendar
from airflow_provider_meetstream.utils.selection import Selection
from tests.unit.rules.payloads import listed

UTC = timezone.utc
GOOGLE, GRAPH = "google_calendar", "outlook_calendar"
URL = "https://meet.google.com/abc-defg-hij"
#: Graph's Windows zone names, as the payloads use them, in IANA form.
_ZONES = {"UTC": "UTC", "Pacific Standard Time": "America/Los_Angeles"}


def instant(when: dict[str, Any]) -> datetime:
    """A payload's ``start`` or ``end`` as an aware UTC datetime (an all-day date at midnight UTC)."""
    if "dateTime" not in when:
        return datetime.fromisoformat(when["date"]).replace(tzinfo=UTC)
    moment = datetime.fromisoformat(when["dateTime"][:19] + when["dateTime"][19:].lstrip(".0123456789"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(_ZONES[when.get("timeZone") or "UTC"]))
    return moment.astimezone(UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def item(
    raw: dict[str, Any],
    *,
    event_id: str = "evt_1",
    calendar_id: str = "cal_test",
    platform: str | None = None,
    meeting_url: str | None = URL,
) -> dict[str, Any]:
    """``raw`` listed as MeetStream lists it, at the payload's own start and end."""
    return listed(
        raw,
        event_id=event_id,
        platform=platform or (GRAPH if "subject" in raw else GOOGLE),
        start=_iso(instant(raw["start"])),
        end=_iso(instant(raw["end"])),
        meeting_url=meeting_url,
        calendar_id=calendar_id,
    )


def window_of(raw: dict[str, Any]) -> tuple[datetime, datetime]:
    """Twelve hours either side of the payload's start: its first occurrence only, for a series."""
    start = instant(raw["start"])
    return start - timedelta(hours=12), start + timedelta(hours=12)


def read(items: list[dict[str, Any]], window: tuple[datetime, datetime]) -> list[Meeting]:
    """The meetings a listing gives that start in the window, by start."""
    found = read_calendar(items, *window).meetings.values()
    return sorted((m for m in found if window[0] <= m.start < window[1]), key=lambda m: m.start)


def meeting(raw: dict[str, Any], **listing: Any) -> Meeting:
    """The one meeting ``raw`` gives when listed alone (its first occurrence, for a series)."""
    (found,) = read([item(raw, **listing)], window_of(raw))
    return found


def decide(rules: RecordingRules | dict[str, Any] | Selection, found: Meeting) -> Decision:
    """The decision on ``found``, checked to say "recorded: " exactly when it records."""
    decider = rules if isinstance(rules, Selection) else RecordingRules.from_value(rules)
    decision = decider.decide(found)
    assert decision.reason.startswith("recorded: " if decision.record else "skipped: "), decision
    return decision
