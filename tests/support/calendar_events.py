"""Calendar events in MeetStream's listing shape, for the tests that load them into the emulator."""

from __future__ import annotations

from datetime import datetime, timedelta


def event(
    event_id: str, start: datetime, *, title: str = "Customer sync", minutes: int = 30, **fields
) -> dict:
    item = {
        "id": event_id,
        "start_time": start.isoformat(),
        "end_time": (start + timedelta(minutes=minutes)).isoformat(),
        "calendar_id": "cal_a",
        "ical_uid": f"{event_id}@example.com",
        "meeting_url": f"https://meet.google.com/{event_id}",
        "raw": {"id": f"g_{event_id}", "summary": title},
    }
    item.update(fields)
    return item


def weekly(
    event_id: str, first: datetime, *, rule: str = "RRULE:FREQ=WEEKLY", title: str = "Stand-up"
) -> dict:
    item = event(event_id, first, title=title, minutes=15)
    item["raw"].update(
        start={"dateTime": first.isoformat(), "timeZone": "America/New_York"}, recurrence=[rule]
    )
    return item


def in_two_calendars(prefix: str, start: datetime) -> list[dict]:
    """One meeting as two attendees' calendars list it: two events, one iCalendar UID."""
    return [
        event(f"{prefix}_{side}", start, calendar_id=f"cal_{side}", ical_uid="shared@example.com")
        for side in ("a", "b")
    ]
