"""
The workspace's bots, ``GET /bots``: every bot of the caller, newest first, in keyset pages.

Where MeetStream's contract is silent, these are the emulator's decisions: bots come by
``created_at`` (the emulator clock when each was made) descending, then ``bot_id`` descending; a
page holds ``limit`` bots (1 to 100, default 50; anything else is a 400); ``nextCursor`` names the
page's last bot, so that a bot made after the first page does not shift the later ones, and is
signed like the events listing's (a cursor this listing did not issue is a 400). ``hasNextPage``
is false and ``nextCursor`` null on the last page. Every bot is listed, ``Cancelled`` ones too, in
the shape of :meth:`~meetstream_emulator.bot.Bot.listing_answer`.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from meetstream_emulator.bot import Bot
from meetstream_emulator.bots import Bots
from meetstream_emulator.calendar import format_instant, parse_instant
from meetstream_emulator.clock import Clock
from meetstream_emulator.inputs import BAD_CURSOR, ApiError, parse_limit
from meetstream_emulator.signing import sign, unsign


class BotListing:
    """
    The bots of each tenant, seen as MeetStream's workspace listing.

    :param clock: The emulator's clock.
    :param bots: The bots.
    """

    def __init__(self, clock: Clock, bots: Bots) -> None:
        self._clock = clock
        self._bots = bots
        # Signs the cursors; kept across resets, as the events listing's.
        self._cursor_secret = secrets.token_bytes(32)

    def page(self, tenant: str, query: Mapping[str, str]) -> dict[str, Any]:
        """
        ``GET /bots``: one page of the caller's bots, newest first.

        :param tenant: The caller's API key.
        :param query: ``limit`` (1 to 100, default 50) and ``cursor`` (a ``nextCursor`` of this listing).
        """
        limit = parse_limit(query.get("limit"), default=50)
        after = self._position(query["cursor"]) if query.get("cursor") else None
        now = self._clock.now()
        listed = sorted((bot for bot in self._bots.all() if bot.tenant == tenant), key=_key, reverse=True)
        if after is not None:
            listed = [bot for bot in listed if _key(bot) < after]
        page, more = listed[:limit], len(listed) > limit
        cursor = None
        if more:
            created, bot_id = _key(page[-1])
            cursor = sign({"after": [format_instant(created), bot_id]}, self._cursor_secret)
        return {
            "bots": [bot.listing_answer(now) for bot in page],
            "hasNextPage": more,
            "nextCursor": cursor,
        }

    def _position(self, cursor: str) -> tuple[datetime, str]:
        try:
            created, bot_id = unsign(cursor, self._cursor_secret)["after"]
            if not isinstance(bot_id, str):
                raise ValueError(bot_id)
            return parse_instant(created, "cursor"), bot_id
        except (ValueError, TypeError, KeyError):
            raise ApiError(400, BAD_CURSOR) from None


def _key(bot: Bot) -> tuple[datetime, str]:
    return (bot.created_at, bot.bot_id)
