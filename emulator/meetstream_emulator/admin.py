"""A small client for the emulator's ``/_emulator`` test controls."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import requests

from meetstream_emulator.calendar import format_instant, parse_instant


class EmulatorAdminError(RuntimeError):
    """
    A control request failed.

    :param status_code: The HTTP status.
    :param message: The emulator's ``message``.
    """

    def __init__(self, status_code: int, message: str) -> None:
        super().__init__(f"{status_code}: {message}")
        self.status_code = status_code
        self.message = message


class EmulatorAdmin:
    """
    Drives a running emulator's controls: reset, calendar, request log, clock, config, faults, state.

    One pooled session; a control that answers 4xx or 5xx raises :class:`EmulatorAdminError`.

    :param base_url: The emulator's base URL, e.g. ``http://127.0.0.1:54321`` (no ``/api/v1``).
    :param timeout: Seconds per control request.
    """

    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._session = requests.Session()

    def close(self) -> None:
        """Close the pooled connection."""
        self._session.close()

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self._session.request(
            method, f"{self.base_url}/_emulator{path}", json=body, timeout=self.timeout
        )
        try:
            payload = response.json()
        except ValueError:
            payload = {"message": response.text}
        if response.status_code >= 400:
            message = payload.get("message") if isinstance(payload, dict) else None
            raise EmulatorAdminError(response.status_code, str(message or response.reason))
        return payload

    def reset(self, now: datetime | str | None = None) -> dict[str, Any]:
        """
        Drop bots, schedules, the request log and faults; restore calendar, clock and config.

        :param now: None restores the real-time clock and resolves the calendar's relative dates
            against it. An instant (an aware datetime or an ISO 8601 string with an offset) freezes
            the clock there and resolves the calendar against it, so that the same calendar comes
            back whatever today is.
        :raises ValueError: For a naive datetime, which would silently mean local time.
        """
        if now is None:
            result: dict[str, Any] = self._call("POST", "/reset")
        else:
            result = self._call("POST", "/reset", {"now": self._instant(now, "now")})
        return result

    def events(self) -> list[dict[str, Any]]:
        """Every loaded event, whatever its dates."""
        events: list[dict[str, Any]] = self._call("GET", "/events")["events"]
        return events

    def load_events(self, events: list[dict[str, Any]], *, replace: bool = True) -> dict[str, Any]:
        """
        Load calendar events; relative dates (``{{today +1d 10:00 UTC}}``) resolve against the emulator clock.

        :param events: Events as in a calendar file (``id``, ``start_time``, ``end_time``, ...).
        :param replace: Replace the calendar (True) or add to it, overwriting equal ids (False).
        """
        result: dict[str, Any] = self._call("POST", "/events", {"events": events, "replace": replace})
        return result

    def move_event(
        self,
        event_id: str,
        start_time: datetime | str,
        *,
        end_time: datetime | str | None = None,
        occurrence: datetime | str | None = None,
    ) -> dict[str, Any]:
        """
        Move a single event, or one occurrence of a series (which then gets an exception instance).

        :param event_id: The event, or the series master.
        :param start_time: The new start.
        :param end_time: The new end; the same duration when None.
        :param occurrence: For a series: the original start of the occurrence to move.
        :return: The moved event or the exception instance, as the events listing shows it.
        """
        body = {"event_id": event_id, "start_time": self._instant(start_time, "start_time")}
        for name, value in (("end_time", end_time), ("occurrence", occurrence)):
            if value is not None:
                body[name] = self._instant(value, name)
        result: dict[str, Any] = self._call("POST", "/calendar/move", body)
        return result

    def cancel_occurrence(
        self, event_id: str, occurrence: datetime | str, *, drop_schedules: bool = True
    ) -> dict[str, Any]:
        """
        Cancel one occurrence of a series.

        :param event_id: The series master.
        :param occurrence: The original start of the occurrence.
        :param drop_schedules: Drop its schedules, as MeetStream does; False keeps them.
        :return: The cancelled exception instance, as the events listing shows it.
        """
        body = {
            "event_id": event_id,
            "occurrence": self._instant(occurrence, "occurrence"),
            "drop_schedules": drop_schedules,
        }
        result: dict[str, Any] = self._call("POST", "/calendar/cancel", body)
        return result

    def delete_event(self, event_id: str, *, drop_schedules: bool = True) -> dict[str, Any]:
        """
        Delete an event (listed with ``is_deleted: true`` from then on).

        :param event_id: The event; a master deletes its series.
        :param drop_schedules: Drop its schedules, as MeetStream does; False keeps them.
        """
        result: dict[str, Any] = self._call(
            "POST", "/calendar/delete", {"event_id": event_id, "drop_schedules": drop_schedules}
        )
        return result

    def add_attendee(
        self,
        event_id: str,
        email: str,
        *,
        name: str | None = None,
        response: str = "needs_action",
        optional: bool = False,
        resource: bool = False,
    ) -> dict[str, Any]:
        """
        Add an attendee to an event's ``raw``, in Google's or Graph's fields; a master's whole series.

        :param event_id: The event, or the series master (there is no per-occurrence variant).
        :param email: The attendee's address; one already an attendee is refused (use :meth:`respond`).
        :param name: The display name.
        :param response: ``accepted``, ``declined``, ``tentative`` or ``needs_action``.
        :param optional: An optional attendee.
        :param resource: A room or other resource (not with ``optional``).
        :return: The event as the events listing shows it, without its bots.
        """
        body: dict[str, Any] = {"event_id": event_id, "email": email, "response": response}
        body.update(optional=optional, resource=resource)
        if name is not None:
            body["name"] = name
        result: dict[str, Any] = self._call("POST", "/calendar/attendees", body)
        return result

    def respond(self, event_id: str, response: str, *, email: str | None = None) -> dict[str, Any]:
        """
        Change a response to an event: an attendee's, or the calendar owner's own.

        :param event_id: The event, or the series master (there is no per-occurrence variant).
        :param response: ``accepted``, ``declined``, ``tentative`` or ``needs_action``.
        :param email: The attendee; None for the owner (Google's attendee marked ``self``, Graph's
            ``responseStatus``, refused when the owner organizes the event).
        :return: The event as the events listing shows it, without its bots.
        """
        body: dict[str, Any] = {"event_id": event_id, "response": response}
        if email is not None:
            body["email"] = email
        result: dict[str, Any] = self._call("POST", "/calendar/respond", body)
        return result

    def edit_event(
        self, event_id: str, *, title: str | None = None, description: str | None = None
    ) -> dict[str, Any]:
        """
        Change an event's text: Google ``summary`` and ``description``, Graph ``subject`` and ``body``.

        :param event_id: The event, or the series master (there is no per-occurrence variant).
        :param title: The new title, or None to keep it.
        :param description: The new description, or None to keep it; one of the two is needed.
        :return: The event as the events listing shows it, without its bots.
        """
        body: dict[str, Any] = {"event_id": event_id}
        for name, value in (("title", title), ("description", description)):
            if value is not None:
                body[name] = value
        result: dict[str, Any] = self._call("POST", "/calendar/edit", body)
        return result

    def requests(self) -> list[dict[str, Any]]:
        """The API requests received since the last reset or clear, oldest first, keys masked."""
        entries: list[dict[str, Any]] = self._call("GET", "/requests")["requests"]
        return entries

    def clear_requests(self) -> int:
        """Empty the request log; returns how many entries it held."""
        cleared: int = self._call("DELETE", "/requests")["cleared"]
        return cleared

    def clock(self) -> dict[str, Any]:
        """``{"now", "frozen", "offset_seconds"}``."""
        result: dict[str, Any] = self._call("GET", "/clock")
        return result

    def now(self) -> datetime:
        """The emulator's now, as an aware UTC datetime."""
        return parse_instant(self.clock()["now"], "now")

    def set_clock(self, when: datetime | str) -> dict[str, Any]:
        """
        Freeze the emulator clock at an instant.

        :param when: An aware datetime or an ISO 8601 string with an offset.
        :raises ValueError: For a naive datetime, which would silently mean local time.
        """
        result: dict[str, Any] = self._call("POST", "/clock/set", {"now": self._instant(when, "when")})
        return result

    @staticmethod
    def _instant(value: datetime | str, name: str) -> str:
        if isinstance(value, datetime):
            if value.utcoffset() is None:
                raise ValueError(f"{name!r} must be an aware datetime (with a tzinfo), got naive {value!r}.")
            return format_instant(value)
        return value

    def advance_clock(self, seconds: float | timedelta) -> dict[str, Any]:
        """
        Move the emulator clock forward, frozen or running.

        :param seconds: Seconds, or a timedelta.
        """
        amount = seconds.total_seconds() if isinstance(seconds, timedelta) else float(seconds)
        result: dict[str, Any] = self._call("POST", "/clock/advance", {"seconds": amount})
        return result

    def run_clock(self) -> dict[str, Any]:
        """Let a frozen clock run in real time again, from where it stands."""
        result: dict[str, Any] = self._call("POST", "/clock/run")
        return result

    def config(self) -> dict[str, Any]:
        """Every setting by name: scheduling, bots, transcripts, meeting data (see :meth:`set_config`)."""
        result: dict[str, Any] = self._call("GET", "/config")
        return result

    def set_config(
        self,
        *,
        conflict_mode: str | int | None = None,
        join_lead_minutes: int | None = None,
        **bot_settings: Any,
    ) -> dict[str, Any]:
        """
        Change runtime settings until the next reset.

        :param conflict_mode: ``"update"`` or ``"409"``.
        :param join_lead_minutes: Minutes before the start that bots join.
        :param bot_settings: Bots, transcripts and meeting data settings, sent when given:
            ``adhoc_meeting_minutes``, ``joining_seconds``, ``calendar_joining_seconds``,
            ``transcript_delay_seconds``, ``transcript_shape`` (``"list"`` or ``"message"``),
            ``default_outcome`` (``{"status", "reason"}``, or None to clear it), ``default_transcript``
            (``"ready"`` or ``"never"``), ``data_retention_seconds``, ``audio_link_seconds``,
            ``video_link_seconds`` and ``audio_bytes``.
        """
        body: dict[str, Any] = dict(bot_settings)
        if conflict_mode is not None:
            body["conflict_mode"] = str(conflict_mode)
        if join_lead_minutes is not None:
            body["join_lead_minutes"] = join_lead_minutes
        result: dict[str, Any] = self._call("POST", "/config", body)
        return result

    def set_bot_outcome(
        self,
        bot_id: str,
        *,
        status: str | None = None,
        reason: str | None = None,
        transcript: str | None = None,
    ) -> dict[str, Any]:
        """
        Make one bot end otherwise than ``Done``, or its transcript never be ready.

        :param bot_id: The bot, of any tenant.
        :param status: ``"Denied"``, ``"Error"`` or ``"NotAllowed"``, from its join time.
        :param reason: Why, shown in its status as ``reason``.
        :param transcript: ``"never"`` (202 for ever, as a streaming-only provider) or ``"ready"``.
        :return: ``{bot_id, status, reason, transcript, transcript_status}``.
        """
        body: dict[str, Any] = {"bot_id": bot_id}
        for name, value in (("status", status), ("reason", reason), ("transcript", transcript)):
            if value is not None:
                body[name] = value
        result: dict[str, Any] = self._call("POST", "/bots/outcome", body)
        return result

    def faults(self) -> dict[str, Any] | None:
        """The fault plan with its counters and what is left of the sequence, or None."""
        plan: dict[str, Any] | None = self._call("GET", "/faults")["faults"]
        return plan

    def set_faults(
        self,
        *,
        sequence: list[int | str] | None = None,
        probability: float = 0.0,
        statuses: list[int | str] | None = None,
        seed: int | None = None,
        latency_ms: float = 0.0,
        retry_after: int | str = 1,
        method: str | None = None,
        path_prefix: str | None = None,
        drip_ms: float | None = None,
    ) -> dict[str, Any]:
        """
        Replace the fault plan for API requests (controls are never faulted).

        :param sequence: Outcomes consumed one per matching request: a status, ``"drop"``,
            ``"act_then_drop"``, ``"drip"`` or ``"ok"``.
        :param probability: After the sequence, the chance that a matching request fails.
        :param statuses: What a probabilistic failure answers (``"drop"``, ``"act_then_drop"`` and
            ``"drip"`` allowed); default ``[503]``.
        :param seed: Seed for the probabilistic failures; same seed, same failures.
        :param latency_ms: Delay before answering each matching request.
        :param retry_after: ``Retry-After`` sent with 429: whole seconds >= 0, or an HTTP date.
        :param method: Only this HTTP method fails.
        :param path_prefix: Only raw paths starting with this fail, e.g. ``/api/v1/calendar/schedule/``.
        :param drip_ms: How long a ``"drip"`` answer's body takes, a byte at a time (default 1000).
        """
        body: dict[str, Any] = {
            "sequence": sequence or [],
            "probability": probability,
            "latency_ms": latency_ms,
            "retry_after": retry_after,
        }
        for name, value in (
            ("statuses", statuses),
            ("seed", seed),
            ("method", method),
            ("path_prefix", path_prefix),
            ("drip_ms", drip_ms),
        ):
            if value is not None:
                body[name] = value
        plan: dict[str, Any] = self._call("POST", "/faults", body)["faults"]
        return plan

    def clear_faults(self) -> None:
        """Remove the fault plan."""
        self._call("DELETE", "/faults")

    def connections(self) -> dict[str, Any]:
        """``{"accepted", "api_connections", "open", "tracking"}`` since the last reset."""
        result: dict[str, Any] = self._call("GET", "/connections")
        return result

    def state(self) -> dict[str, Any]:
        """Every schedule and bot (tenants masked), with the emulator's now and config."""
        result: dict[str, Any] = self._call("GET", "/state")
        return result
