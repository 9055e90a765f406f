"""
The test controls, ``/_emulator``: reset, calendar, clock, config, bot outcomes, faults, logs, state.

No authentication: turn them off (``create_app(enable_controls=False)``) where others can reach the
emulator. Each runs in a worker thread, so that loading a calendar, which expands every series,
does not hold up the API; a bad value is a 400 with a message, as on the API, and changes nothing.
Controls are never faulted and never in the request log.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter

from meetstream_emulator import event_changes
from meetstream_emulator.calendar import format_instant, parse_instant
from meetstream_emulator.faults import FaultPlan
from meetstream_emulator.routing import CONTROLS_PREFIX, Body, ControlRoute, CurrentEmulator

router = APIRouter(prefix=CONTROLS_PREFIX, route_class=ControlRoute, include_in_schema=False)


def _instant(body: dict[str, Any], name: str) -> datetime:
    return parse_instant(body.get(name), name)


def _optional_instant(body: dict[str, Any], name: str) -> datetime | None:
    return None if body.get(name) is None else _instant(body, name)


def _flag(body: dict[str, Any], name: str, default: bool = True) -> bool:
    value = body.get(name, default)
    if not isinstance(value, bool):
        raise ValueError(f"{name} must be a boolean.")
    return value


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        raise ValueError(f"{name} must be a non-empty string.")
    return value


def _optional_string(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value is not None and not isinstance(value, str):
        raise ValueError(f"{name} must be a string.")
    return value


def _email(value: Any) -> str:
    local, at, domain = value.partition("@") if isinstance(value, str) else ("", "", "")
    if not (local.strip() and at and domain.strip()) or "@" in domain or value != value.strip():
        raise ValueError(f"email must be an address with one '@' and text on each side: {value!r}.")
    return str(value)


def _response(body: dict[str, Any], default: str | None = None) -> str:
    value = body.get("response", default)
    if value not in event_changes.RESPONSES:
        raise ValueError(f"response must be one of {', '.join(event_changes.RESPONSES)}: {value!r}.")
    return str(value)


@router.post("/reset")
def reset(emulator: CurrentEmulator, body: Body) -> dict[str, Any]:
    """
    Back to startup; ``{"now": ...}`` freezes the clock there and reads the calendar against it.

    Bots, schedules, the request log, faults and connection counts go; the config given at startup and the
    startup calendar, its relative dates resolved again, come back; without ``now`` the clock runs in real
    time, with no offset. A bad instant or another field is a 400 and resets nothing.
    """
    unknown = sorted(set(body) - {"now"})
    if unknown:
        raise ValueError(f'Unknown reset fields: {unknown}; send {{}} or {{"now": "<ISO 8601 instant>"}}.')
    emulator.reset(_optional_instant(body, "now"))
    backend = emulator.backend
    return {"reset": True, "now": format_instant(backend.clock.now()), "events": len(backend.events)}


@router.get("/events")
def events(emulator: CurrentEmulator) -> dict[str, Any]:
    """Every loaded event, whatever its dates."""
    with emulator.backend.lock:
        return {"events": emulator.backend.events.all()}


@router.post("/events")
def load_events(emulator: CurrentEmulator, body: Body) -> dict[str, Any]:
    """
    Load events: ``{"events": [...], "replace": true|false}``; schedules and bots are left alone.

    ``replace`` (true by default) replaces the calendar; false adds, overwriting equal ids. Relative dates
    resolve against the emulator clock: freeze it first for fixed results.
    """
    if "events" not in body:
        raise ValueError('Send {"events": [...], "replace": true|false}.')
    replace = body.get("replace", True)
    if not isinstance(replace, bool):
        raise ValueError("replace must be a boolean.")
    return emulator.backend.load_events(body["events"], replace=replace)


@router.post("/calendar/move")
def move_event(emulator: CurrentEmulator, body: Body) -> dict[str, Any]:
    """Move an event, or an occurrence: ``event_id``, ``start_time``, ``end_time``, ``occurrence``."""
    backend = emulator.backend
    event_id, start = _text(body, "event_id"), _instant(body, "start_time")
    end, occurrence = _optional_instant(body, "end_time"), _optional_instant(body, "occurrence")
    with backend.lock:
        return backend.events.move(event_id, start, end, occurrence)


@router.post("/calendar/cancel")
def cancel_occurrence(emulator: CurrentEmulator, body: Body) -> dict[str, Any]:
    """Cancel one occurrence of a series: ``event_id``, ``occurrence``, ``drop_schedules`` (default true)."""
    event_id, occurrence = _text(body, "event_id"), _instant(body, "occurrence")
    drop = _flag(body, "drop_schedules")
    return emulator.backend.cancel_occurrence(event_id, occurrence, drop_schedules=drop)


@router.post("/calendar/delete")
def delete_event(emulator: CurrentEmulator, body: Body) -> dict[str, Any]:
    """Delete an event or a whole series: ``event_id``, ``drop_schedules`` (default true)."""
    event_id, drop = _text(body, "event_id"), _flag(body, "drop_schedules")
    return emulator.backend.delete_event(event_id, drop_schedules=drop)


# People and text: each rewrites the event's raw in its calendar's fields (see event_changes); on a
# series master, for the whole series.


@router.post("/calendar/attendees")
def add_attendee(emulator: CurrentEmulator, body: Body) -> dict[str, Any]:
    """Add an attendee: ``event_id``, ``email``, ``name``, ``response``, ``optional``, ``resource``."""
    event_id, email = _text(body, "event_id"), _email(body.get("email"))
    response = _response(body, "needs_action")
    name = None if body.get("name") is None else _text(body, "name")
    optional, resource = _flag(body, "optional", False), _flag(body, "resource", False)
    if optional and resource:
        raise ValueError("An attendee is optional or a resource, not both.")
    with emulator.backend.lock:
        return emulator.backend.events.revise(
            event_id,
            lambda event, _now: event_changes.add_attendee(
                event, email, name=name, response=response, optional=optional, resource=resource
            ),
        )


@router.post("/calendar/respond")
def respond(emulator: CurrentEmulator, body: Body) -> dict[str, Any]:
    """Change a response: ``event_id``, ``response``, ``email`` (the owner's own without it)."""
    event_id, response = _text(body, "event_id"), _response(body)
    email = None if body.get("email") is None else _email(body["email"])
    with emulator.backend.lock:
        return emulator.backend.events.revise(
            event_id, lambda event, now: event_changes.respond(event, now, response, email)
        )


@router.post("/calendar/edit")
def edit_event(emulator: CurrentEmulator, body: Body) -> dict[str, Any]:
    """Change the text: ``event_id``, ``title``, ``description`` (at least one)."""
    event_id = _text(body, "event_id")
    title, description = _optional_string(body, "title"), _optional_string(body, "description")
    if title is None and description is None:
        raise ValueError("Send a title, a description or both.")
    with emulator.backend.lock:
        return emulator.backend.events.revise(
            event_id, lambda event, _now: event_changes.edit(event, title, description)
        )


@router.get("/requests")
def requests(emulator: CurrentEmulator) -> dict[str, Any]:
    """The API requests since the last reset or clear, oldest first, credentials masked."""
    return {"requests": emulator.requests.entries()}


@router.delete("/requests")
def clear_requests(emulator: CurrentEmulator, body: Body) -> dict[str, Any]:
    """Empty the request log."""
    return {"cleared": emulator.requests.clear()}


@router.get("/clock")
def clock(emulator: CurrentEmulator) -> dict[str, Any]:
    """``now``, ``frozen`` and ``offset_seconds``."""
    return emulator.backend.clock.snapshot()


@router.post("/clock/set")
def set_clock(emulator: CurrentEmulator, body: Body) -> dict[str, Any]:
    """Freeze the clock at ``now``."""
    emulator.backend.clock.set(parse_instant(body.get("now"), "now"))
    return emulator.backend.clock.snapshot()


@router.post("/clock/advance")
def advance_clock(emulator: CurrentEmulator, body: Body) -> dict[str, Any]:
    """Move the clock by ``seconds``, frozen or running; negative goes back."""
    seconds = body.get("seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)):
        raise ValueError("seconds must be a number.")
    emulator.backend.clock.advance(float(seconds))
    return emulator.backend.clock.snapshot()


@router.post("/clock/run")
def run_clock(emulator: CurrentEmulator, body: Body) -> dict[str, Any]:
    """Let a frozen clock run in real time again, from where it stands."""
    emulator.backend.clock.run()
    return emulator.backend.clock.snapshot()


@router.get("/config")
def config(emulator: CurrentEmulator) -> dict[str, Any]:
    """The settings: scheduling, bots, transcripts and meeting data."""
    return emulator.backend.config()


@router.post("/config")
def set_config(emulator: CurrentEmulator, body: Body) -> dict[str, Any]:
    """Change settings until the next reset; a bad one changes none."""
    return emulator.backend.set_config(**body)


@router.post("/bots/outcome")
def bot_outcome(emulator: CurrentEmulator, body: Body) -> dict[str, Any]:
    """Make one bot end ``Denied``, ``Error`` or ``NotAllowed``, or its transcript never ready."""
    bot_id = _text(body, "bot_id")
    with emulator.backend.lock:
        return emulator.backend.bots.set_outcome(bot_id, body)


@router.get("/faults")
def faults(emulator: CurrentEmulator) -> dict[str, Any]:
    """The fault plan with its counters, or None."""
    plan = emulator.faults
    return {"faults": plan.to_json() if plan is not None else None}


@router.post("/faults")
def set_faults(emulator: CurrentEmulator, body: Body) -> dict[str, Any]:
    """Replace the fault plan (see :class:`~meetstream_emulator.faults.FaultPlan`)."""
    emulator.faults = FaultPlan.from_json(body)
    return {"faults": emulator.faults.to_json()}


@router.delete("/faults")
def clear_faults(emulator: CurrentEmulator, body: Body) -> dict[str, Any]:
    """Remove the fault plan."""
    emulator.faults = None
    return {"faults": None}


@router.get("/connections")
def connections(emulator: CurrentEmulator) -> dict[str, Any]:
    """TCP connections accepted, those that carried API requests, and those open now."""
    return emulator.connections.snapshot()


@router.get("/state")
def state(emulator: CurrentEmulator) -> dict[str, Any]:
    """Every schedule and bot, tenants masked, with the clock and the scheduling settings."""
    return emulator.backend.dump()
