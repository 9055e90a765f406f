"""
The meeting data's model: participants, speaker timeline, presigned media links, downloads and retention.

Where MeetStream's contract is silent, these are the emulator's decisions:

- ``get_participants``, ``get_speaker_timeline``, ``get_audio`` and ``get_video`` answer 202 until
  the bot is ``Done`` (its recording processed), whatever its transcript's mode: a streaming-only
  transcription leaves a recording too. A bot that never met (``Cancelled``, ``Denied``, ``Error``,
  ``NotAllowed``) is a 404 naming its status; another tenant's bot a 403, an unknown one a 404.
- The data is the bot's synthetic meeting (:mod:`meetstream_emulator.meeting`): the participants
  and the timeline agree with the transcript.
- Retention: a bot's data (transcript, participants, timeline, audio, video) is deleted
  ``data_retention_seconds`` after its meeting's end (the bot's ``end_time``), on the emulator clock
  at each request, so that a change of the setting applies to existing bots. Every data endpoint,
  ``get_transcript`` included, then answers 404 ``The data of bot '<id>' was deleted at <instant>,
  <N> s after its meeting.``; the bot stays listed and ``Done``, its transcript listed ``deleted``.
- A link is ``{"download_url", "expires_in", "file_type"}``, its URL ``<the host the request came
  to>/_media/<token>``, the token signed with this model's secret (kept across resets) over the bot
  id, the kind and the expiry instant. Audio links last ``audio_link_seconds``, video ones
  ``video_link_seconds``.
- A download (``GET /_media/<token>``, outside ``/api/v1``: no API key, never logged nor faulted)
  is, in this order: 400 when the request carries an ``Authorization`` header (as S3 answers a
  presigned URL sent with another credential), 403 for a token that does not verify, 403
  ``Request has expired.`` once the emulator clock is past the expiry, 404 once the data is deleted
  (or the bot is gone, after a reset), else 200: ``audio_bytes`` bytes (video the same size),
  streamed in 64 KiB chunks.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from meetstream_emulator.bot import OUTCOME_STATUSES, Bot
from meetstream_emulator.calendar import format_instant, parse_instant
from meetstream_emulator.inputs import ApiError, checked_settings, seconds, whole_number
from meetstream_emulator.meeting import (
    CONTENT_TYPES,
    MIN_RECORDING_BYTES,
    recording_chunks,
    speaker_timeline,
    synthesize_participants,
)
from meetstream_emulator.signing import sign, unsign

#: The meeting data's settings of ``/_emulator/config``, with their defaults: data is deleted
#: ``data_retention_seconds`` after the meeting's end; audio and video links last
#: ``audio_link_seconds`` and ``video_link_seconds``; a recording is ``audio_bytes`` long (at least 44).
RECORDING_SETTINGS: dict[str, Any] = {
    "data_retention_seconds": 604800,
    "audio_link_seconds": 3600,
    "video_link_seconds": 600,
    "audio_bytes": 262144,
}
_CHECKS = {
    "data_retention_seconds": seconds,
    "audio_link_seconds": whole_number(1),
    "video_link_seconds": whole_number(1),
    "audio_bytes": whole_number(MIN_RECORDING_BYTES),
}
#: Where the presigned links point, outside ``/api/v1``.
MEDIA_PREFIX = "/_media"
FILE_TYPES = {"audio": "wav", "video": "mp4"}
NEVER_MET = ("Cancelled", *OUTCOME_STATUSES)
EXPIRED = "Request has expired."
TWO_CREDENTIALS = (
    "Only one auth mechanism allowed; only the X-Amz-Algorithm query parameter, Signature query string "
    "parameter or the Authorization header should be specified."
)
BAD_SIGNATURE = "The request signature we calculated does not match the signature you provided."
#: Finds a bot of any tenant by its id: ``find(bot_id)``, None when there is none.
FindBot = Callable[[str], Bot | None]


@dataclass(frozen=True)
class Download:
    """
    The recording a valid link opens, for the media route to stream.

    :param kind: ``audio`` or ``video``.
    :param size: The body's size in bytes.
    """

    kind: str
    size: int

    @property
    def content_type(self) -> str:
        """``audio/wav`` or ``video/mp4``."""
        return CONTENT_TYPES[self.kind]

    def chunks(self) -> Iterator[bytes]:
        """The body, a chunk at a time (see :func:`~meetstream_emulator.meeting.recording_chunks`)."""
        return recording_chunks(self.kind, self.size)


class Recordings:
    """
    Every bot's meeting data, as its bot's status and the clock say; see the module's docstring.

    It keeps no bots (the routes hand it the caller's), only its settings and the links' secret.
    """

    def __init__(self) -> None:
        self.settings = dict(RECORDING_SETTINGS)
        # Signs the links: a token altered or made up is a 403, as a presigned URL's would be.
        self._secret = secrets.token_bytes(32)

    def reset(self) -> None:
        """The default settings; links issued before stay signed, and their bots gone."""
        self.settings = dict(RECORDING_SETTINGS)

    def checked_settings(self, changes: dict[str, Any]) -> dict[str, Any]:
        """
        The settings with ``changes`` applied and checked, not yet in force.

        :param changes: Settings of :data:`RECORDING_SETTINGS` by name.
        """
        return checked_settings(self.settings, changes, _CHECKS)

    # -- retention --------------------------------------------------------------------------------

    def deleted_at(self, bot: Bot) -> datetime:
        """
        When the bot's data is deleted, by the retention setting now.

        :param bot: The bot.
        """
        return bot.end_time + timedelta(seconds=self.settings["data_retention_seconds"])

    def is_deleted(self, bot: Bot, now: datetime) -> bool:
        """
        Whether the bot's data has been deleted at ``now``.

        :param bot: The bot.
        :param now: The emulator's now.
        """
        return now >= self.deleted_at(bot)

    def deleted_error(self, bot: Bot) -> ApiError:
        """
        The 404 every data endpoint answers once the bot's data is deleted.

        :param bot: The bot.
        """
        retention = self.settings["data_retention_seconds"]
        after = str(int(retention)) if float(retention).is_integer() else str(retention)
        return ApiError(
            404,
            f"The data of bot '{bot.bot_id}' was deleted at {format_instant(self.deleted_at(bot))}, "
            f"{after} s after its meeting.",
        )

    # -- the API ----------------------------------------------------------------------------------

    def participants(self, bot: Bot, now: datetime) -> list[dict[str, Any]] | None:
        """
        ``GET /bots/{bot_id}/get_participants``: the people of the meeting, None while processing.

        :param bot: The caller's bot.
        :param now: The emulator's now.
        """
        return synthesize_participants(bot) if self._ready(bot, now) else None

    def speaker_timeline(self, bot: Bot, now: datetime) -> list[dict[str, Any]] | None:
        """
        ``GET /bots/{bot_id}/get_speaker_timeline``: who spoke when, None while processing.

        :param bot: The caller's bot.
        :param now: The emulator's now.
        """
        return speaker_timeline(bot) if self._ready(bot, now) else None

    def link(self, bot: Bot, kind: str, now: datetime, base_url: str) -> dict[str, Any] | None:
        """
        ``GET /bots/{bot_id}/get_audio`` or ``get_video``: a presigned link, None while processing.

        :param bot: The caller's bot.
        :param kind: ``audio`` or ``video``.
        :param now: The emulator's now.
        :param base_url: The scheme and host the request came to, e.g. ``http://127.0.0.1:8765/``.
        """
        if not self._ready(bot, now):
            return None
        lifetime = self.settings[f"{kind}_link_seconds"]
        expires = format_instant(now + timedelta(seconds=lifetime))
        fields = {"bot_id": bot.bot_id, "kind": kind, "expires": expires}
        return {
            "download_url": f"{base_url.rstrip('/')}{MEDIA_PREFIX}/{sign(fields, self._secret)}",
            "expires_in": lifetime,
            "file_type": FILE_TYPES[kind],
        }

    def download(self, token: str, headers: Mapping[str, str], now: datetime, find: FindBot) -> Download:
        """
        ``GET /_media/<token>``: the recording a presigned link opens, checked in the module's order.

        :param token: The link's last segment.
        :param headers: The request's headers, lower-case names.
        :param now: The emulator's now.
        :param find: Finds the link's bot, of any tenant.
        :raises ApiError: 400 with an ``Authorization`` header, 403 for a bad or expired link, 404 once
            deleted.
        """
        if "authorization" in headers:
            raise ApiError(400, TWO_CREDENTIALS)
        try:
            fields = unsign(token, self._secret)
            bot_id, kind = fields["bot_id"], fields["kind"]
            expires = parse_instant(fields["expires"], "expires")
            if not isinstance(bot_id, str) or kind not in CONTENT_TYPES:
                raise ValueError(kind)
        except (ValueError, TypeError, KeyError):
            raise ApiError(403, BAD_SIGNATURE) from None
        if now > expires:
            raise ApiError(403, EXPIRED)
        bot = find(bot_id)
        if bot is None:
            raise ApiError(404, "The recording was not found.")
        if self.is_deleted(bot, now):
            raise self.deleted_error(bot)
        return Download(kind, self.settings["audio_bytes"])

    def _ready(self, bot: Bot, now: datetime) -> bool:
        # A 404 for a bot that never met or whose data is gone; else whether it is Done.
        status = bot.status(now)
        if status in NEVER_MET:
            why = f": {bot.reason}" if bot.reason and status != "Cancelled" else ""
            raise ApiError(404, f"Bot {bot.bot_id!r} never met: its status is {status}{why}.")
        if self.is_deleted(bot, now):
            raise self.deleted_error(bot)
        return status == "Done"
