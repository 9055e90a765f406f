"""
The scheduled bots' model: ``GET /calendar/scheduled`` and ``PATCH``/``DELETE`` of one bot there.

The bots that have not joined yet are listed by join time; one of them can be moved (within its
meeting as the calendar says now), renamed, given more custom attributes, or deleted with every
schedule that points to it. The bots, schedules and events are other models': this one changes
them through their methods.
"""

from __future__ import annotations

from typing import Any

from meetstream_emulator.bots import Bots
from meetstream_emulator.calendar import format_instant
from meetstream_emulator.clock import Clock
from meetstream_emulator.events import Events
from meetstream_emulator.inputs import ApiError, instant, optional_field, parse_limit
from meetstream_emulator.schedules import Schedules


class ScheduledBots:
    """
    The bots of the schedules, seen by bot id.

    :param clock: The emulator's clock.
    :param events: The calendar, which says when a bot's meeting ends now.
    :param bots: The bots.
    :param schedules: The schedules that point at them.
    """

    def __init__(self, clock: Clock, events: Events, bots: Bots, schedules: Schedules) -> None:
        self._clock = clock
        self._events = events
        self._bots = bots
        self._schedules = schedules

    def listing(self, tenant: str, limit: str | None) -> dict[str, Any]:
        """
        ``GET /calendar/scheduled``: the tenant's bots that have not joined yet, by join time.

        Ad-hoc bots with a ``join_at`` to come are among them. The list is cut at ``limit``, with no cursor.

        :param tenant: The caller's API key.
        :param limit: The raw ``limit`` query value (1 to 100, default 100).
        """
        count = parse_limit(limit, default=100)
        now = self._clock.now()
        waiting = [bot for bot in self._bots.all() if bot.tenant == tenant and bot.status(now) == "Scheduled"]
        return {
            "scheduled_bots": [
                {
                    "bot_id": bot.bot_id,
                    "platform": bot.schedule_group,
                    "status": "Scheduled",
                    "scheduled_join_time": format_instant(bot.join_time),
                    "custom_attributes": bot.custom_attributes(),
                    "bot_username": bot.username,
                    "is_scheduled": True,
                }
                for bot in waiting[:count]
            ]
        }

    def update(self, tenant: str, bot_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """
        Change a scheduled bot's join time, name or custom attributes (merged).

        The join time must be in the future and before the meeting ends, as the calendar says now; every
        schedule of the bot moves with it (``schedule_updated``). A bot no longer ``Scheduled`` is a 400.

        :param tenant: The caller's API key.
        :param bot_id: The bot's id.
        :param body: The decoded JSON body.
        """
        raw_join = optional_field(body, "scheduled_join_time")
        join = None if raw_join is None else instant(raw_join, "scheduled_join_time")
        username = optional_field(body, "bot_username")
        if username is not None and (not isinstance(username, str) or not username):
            raise ApiError(400, "bot_username must be a non-empty string.")
        attributes = optional_field(body, "custom_attributes")
        if attributes is not None and not isinstance(attributes, dict):
            raise ApiError(400, "custom_attributes must be an object.")
        now = self._clock.now()
        bot = self._bots.get(tenant, bot_id)
        status = bot.status(now)
        if status != "Scheduled":
            raise ApiError(400, f"Bot {bot_id!r} can no longer be changed (status {status}).")
        if join is not None and join <= now:
            raise ApiError(400, "scheduled_join_time must be in the future.")
        meeting_end = self._events.meeting_end(bot.event_id, bot.occurrence, bot.end_time)
        if join is not None and join >= meeting_end:
            raise ApiError(400, "scheduled_join_time must be before the meeting ends.")
        updated: list[str] = []
        schedule_updated = False
        if join is not None:
            updated.append("scheduled_join_time")
            schedule_updated = join != bot.join_time
            # A bot moved with its meeting stays until the meeting's end as it is now.
            bot.join_time, bot.end_time = join, meeting_end
            self._schedules.retime(bot.bot_id, join)
        if username is not None:
            updated.append("bot_username")
            bot.config = {**bot.config, "bot_name": username}
        if attributes is not None:
            updated.append("custom_attributes")
            current = bot.config.get("custom_attributes")
            merged = {**(current if isinstance(current, dict) else {}), **attributes}
            bot.config = {**bot.config, "custom_attributes": merged}
        return {
            "message": "Scheduled bot updated." if updated else "Nothing to update.",
            "bot_id": bot.bot_id,
            "updated_fields": updated,
            "schedule_updated": schedule_updated,
        }

    def delete(self, tenant: str, bot_id: str) -> dict[str, Any]:
        """
        Delete a bot that has not joined yet, and every schedule pointing to it; a 400 once it has joined.

        :param tenant: The caller's API key.
        :param bot_id: The bot's id.
        """
        now = self._clock.now()
        bot = self._bots.get(tenant, bot_id)
        status = bot.status(now)
        if status != "Scheduled":
            raise ApiError(400, f"Bot {bot_id!r} has already joined its meeting (status {status}).")
        self._schedules.drop(lambda s: s.bot_id == bot_id, now)
        # A bot of create_bot with a join_at to come has no schedule to drop.
        self._schedules.release(bot_id, now)
        return {"message": "Scheduled bot deleted.", "bot_id": bot_id}
