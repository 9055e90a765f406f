"""MeetStreamHook: the sync client of MeetStream's API, one method per endpoint row, on one pooled session."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from airflow_provider_meetstream import validation
from airflow_provider_meetstream.constants import DEFAULT_MAX_PAGES, MAX_LIST_LIMIT, MEDIA_CHUNK_BYTES
from airflow_provider_meetstream.exceptions import (
    MeetStreamAuthError,
    MeetStreamNotFoundError,
)
from airflow_provider_meetstream.hooks import endpoints, media
from airflow_provider_meetstream.hooks.base import MeetStreamBaseHook
from airflow_provider_meetstream.hooks.config import connection_form_widgets, ui_field_behaviour
from airflow_provider_meetstream.hooks.errors import missing_event

if TYPE_CHECKING:
    from airflow_provider_meetstream.hooks.wire import MediaLink
    from airflow_provider_meetstream.utils.workspace_bots import ListedBot


class MeetStreamHook(MeetStreamBaseHook):
    """
    Talk to MeetStream's API through an Airflow connection of type ``meetstream``.

    The connection's password is the API key; its host is the API base URL (default
    ``https://api.meetstream.ai``, with or without ``/api/v1``). Extras ``timeout``, ``max_retries``
    and ``deadline`` override the defaults; ``allow_insecure_http`` lets the key go over plain HTTP
    beyond loopback. One pooled :class:`requests.Session` serves the hook's lifetime; answers are
    read within the call's deadline and a 10 MiB cap; 408, 429, 5xx and network errors are retried
    with backoff and jitter, honouring ``Retry-After``. Every argument is checked before a request
    is sent; a bad one raises :class:`~airflow_provider_meetstream.exceptions.MeetStreamInputError`.

    :param meetstream_conn_id: The Airflow connection to use.
    :param timeout: Read timeout in seconds; overrides the connection's ``timeout`` extra.
    :param max_retries: Attempts per request, the first included; overrides the ``max_retries`` extra.
    :param pool_maxsize: Connections kept open to MeetStream, 1 to 256; threads beyond it wait for
        a pooled connection, so give at least the number of threads that share this hook.
    :param deadline: Seconds one call may take in all (connect, reads, retries, waits); overrides
        the connection's ``deadline`` extra.
    """

    # Here, not on the base class: Airflow 2 reads them only from the hook class's own __dict__.
    @classmethod
    def get_ui_field_behaviour(cls) -> dict[str, Any]:
        """Relabel and hide the standard connection fields (Airflow before 3.2 reads this)."""
        return ui_field_behaviour()

    @classmethod
    def get_connection_form_widgets(cls) -> dict[str, Any]:
        """The connection's extra fields (Airflow before 3.2 reads this)."""
        return connection_form_widgets()

    def schedule_event(
        self,
        event_id: str,
        *,
        deduplication_key: str,
        bot_config: dict[str, Any] | None = None,
        occurrence_date: datetime | str | None = None,
        schedule_all_occurrences: bool | None = None,
        occurrence_limit: int | None = None,
        recurring_event: bool | None = None,
    ) -> dict[str, Any]:
        """
        Schedule a bot for a calendar event, one occurrence of it, or its whole series.

        Only the arguments that are set are sent. Scheduling is idempotent by
        ``deduplication_key``: the same key on the same event and occurrence updates that schedule.

        :param event_id: MeetStream's event id (the ``id`` of ``GET /calendar/events``).
        :param deduplication_key: Printable characters, at most ``MAX_DEDUPLICATION_KEY_LENGTH``.
        :param bot_config: The bot's configuration; ``{}`` when None. Unknown fields pass through.
        :param occurrence_date: One occurrence of a recurring event: an aware datetime or an ISO
            8601 string with an offset.
        :param schedule_all_occurrences: Let MeetStream expand the series itself.
        :param occurrence_limit: At most this many occurrences, up to ``MAX_OCCURRENCE_LIMIT``.
        :param recurring_event: After each occurrence, let MeetStream schedule the next.
        :return: MeetStream's answer: ``bot_id``, ``schedule_id``, ``scheduled_time``...
        """
        return self._call(
            endpoints.SCHEDULE_EVENT,
            event_id,
            deduplication_key=deduplication_key,
            bot_config=bot_config,
            occurrence_date=occurrence_date,
            schedule_all_occurrences=schedule_all_occurrences,
            occurrence_limit=occurrence_limit,
            recurring_event=recurring_event,
        )

    def unschedule_event(
        self, event_id: str, *, cancel_all_occurrences: bool = False, from_date: datetime | str | None = None
    ) -> dict[str, Any]:
        """
        Cancel the bots scheduled for an event (``DELETE /calendar/schedule/{event_id}``).

        :param event_id: MeetStream's event id.
        :param cancel_all_occurrences: Cancel every occurrence of a recurring event.
        :param from_date: Cancel only occurrences starting at or after this instant.
        :return: MeetStream's answer: ``cancelled_schedules``, ``bots_deleted``...
        """
        return self._call(
            endpoints.UNSCHEDULE_EVENT,
            event_id,
            cancel_all_occurrences=cancel_all_occurrences,
            from_date=from_date,
        )

    def list_scheduled_bots(self, limit: int = MAX_LIST_LIMIT) -> list[dict[str, Any]]:
        """
        List the bots scheduled to join future meetings (``GET /calendar/scheduled``).

        The endpoint has no cursor: with more than ``limit`` future bots the list is truncated.

        :param limit: 1 to 100.
        :return: The ``scheduled_bots`` list.
        """
        return self._call(endpoints.LIST_SCHEDULED, limit=limit)

    def update_scheduled_bot(
        self,
        bot_id: str,
        *,
        scheduled_join_time: datetime | str | None = None,
        bot_username: str | None = None,
        custom_attributes: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """
        Update a scheduled bot (``PATCH /calendar/scheduled/{bot_id}``); give at least one field.

        :param bot_id: The bot to update.
        :param scheduled_join_time: A new join time in the future, aware or ISO 8601 with offset.
        :param bot_username: A new display name.
        :param custom_attributes: Attributes merged into the bot's.
        :return: MeetStream's answer: ``updated_fields``, ``schedule_updated``...
        """
        return self._call(
            endpoints.UPDATE_SCHEDULED_BOT,
            bot_id,
            scheduled_join_time=scheduled_join_time,
            bot_username=bot_username,
            custom_attributes=custom_attributes,
        )

    def delete_scheduled_bot(self, bot_id: str) -> dict[str, Any]:
        """
        Delete one scheduled bot (``DELETE /calendar/scheduled/{bot_id}``).

        :param bot_id: The bot to delete; MeetStream answers 400 once it is in a meeting.
        """
        return self._call(endpoints.DELETE_SCHEDULED_BOT, bot_id)

    def get_bot_status(self, bot_id: str) -> dict[str, Any]:
        """
        Read a bot's current status (``GET /bots/{bot_id}/status``).

        :param bot_id: The bot.
        :return: ``{"bot_id", "status", ...}``; ``constants.BotStatus`` names the statuses.
        """
        return self._call(endpoints.BOT_STATUS, bot_id)

    def iter_events(
        self,
        *,
        time_min: datetime | str | None = None,
        time_max: datetime | str | None = None,
        calendar_id: str | None = None,
        sync: bool | None = None,
        page_size: int = 50,
        max_pages: int = DEFAULT_MAX_PAGES,
    ) -> Iterator[dict[str, Any]]:
        """
        Yield calendar events page by page, following the cursor (``GET /calendar/events``).

        Arguments are checked when the generator is created, before any request.

        :param time_min: Events ending after this instant (MeetStream's default: now - 1 day).
        :param time_max: Events starting before this instant (MeetStream's default: now + 28 days).
        :param calendar_id: Only this calendar's events.
        :param sync: Ask MeetStream to sync the calendar first.
        :param page_size: Events per page, 1 to 100.
        :param max_pages: The most pages followed, 1 to ``MAX_PAGES_BOUND``; past it the listing is an error.
        """
        first = endpoints.LIST_EVENTS.request(
            time_min=time_min, time_max=time_max, calendar_id=calendar_id, sync=sync, page_size=page_size
        )
        return self._pages(endpoints.EVENT_PAGES, first, max_pages)

    def get_event(
        self, event_id: str, *, time_min: datetime | str | None = None, time_max: datetime | str | None = None
    ) -> dict[str, Any]:
        """
        Find one event by its id; the API has no single-event endpoint, so this lists events.

        :param event_id: MeetStream's event id.
        :param time_min: Start of the window to search (MeetStream's default: now - 1 day).
        :param time_max: End of the window to search (MeetStream's default: now + 28 days).
        :raises MeetStreamEventNotFoundError: When no event in the window has this id.
        """
        validation.path_segment(event_id, "event_id")
        listed = 0
        for event in self.iter_events(time_min=time_min, time_max=time_max, page_size=MAX_LIST_LIMIT):
            if event.get("id") == event_id:
                return event
            listed += 1
        raise missing_event(event_id, time_min, time_max, listed=listed)

    def create_bot(
        self,
        meeting_link: str,
        *,
        bot_config: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> dict[str, Any]:
        """
        Send a bot into a meeting now, or at ``join_at`` (``POST /bots/create_bot``), no calendar needed.

        A replay of the same ``idempotency_key`` answers 507 with the original bot: a success.

        :param meeting_link: The meeting's ``http(s)`` URL (Zoom, Google Meet, Teams...).
        :param bot_config: Fields sent beside ``meeting_link`` (``bot_name``, ``join_at`` as an aware
            instant, ``callback_url``, ``recording_config``...); unknown fields pass through.
        :param idempotency_key: ``Idempotency-Key``, 1 to 255 printable ASCII characters, the same for
            every retry of one logical request; when None, one is made for this call.
        :return: ``{"bot_id", "transcript_id", "meeting_url", "status", ...}``.
        """
        return self._call(
            endpoints.CREATE_BOT,
            meeting_link=meeting_link,
            bot_config=bot_config,
            idempotency_key=idempotency_key,
        )

    def get_bot_detail(self, bot_id: str) -> dict[str, Any]:
        """
        Read a bot's full record (``GET /bots/{bot_id}/detail``), as one dict.

        :param bot_id: The bot.
        :return: ``{"bot_id", "transcript_id", "status", "meeting_url", ...}``.
        """
        return self._call(endpoints.BOT_DETAIL, bot_id)

    def list_transcriptions(self, bot_id: str) -> list[dict[str, Any]]:
        """
        List a bot's transcripts and their processing status (``GET /bots/{bot_id}/transcriptions``).

        :param bot_id: The bot.
        :return: ``[{"transcript_id", "status"}, ...]``; ``success`` or ``completed`` is ready.
        """
        return self._call(endpoints.TRANSCRIPTIONS, bot_id)

    def get_transcript(self, transcript_id: str, *, raw: bool = False) -> list[dict[str, Any]]:
        """
        Read a transcript's segments (``GET /transcript/{transcript_id}/get_transcript``).

        :param transcript_id: The transcript, e.g. ``create_bot``'s ``transcript_id``.
        :param raw: Ask for the provider's raw transcript instead of the formatted one.
        :return: The segments, each with ``speaker`` and ``transcript`` plus timing fields.
        :raises MeetStreamNotReadyError: While MeetStream processes it (202) or it has no segments
            yet; a streaming-only provider stays 202 for ever: bound every wait.
        """
        return self._call(endpoints.TRANSCRIPT, transcript_id, raw=raw)

    def remove_bot(self, bot_id: str) -> dict[str, Any]:
        """
        Make a bot leave its meeting (``GET /bots/{bot_id}/remove_bot``); its recording and transcript stay.

        :param bot_id: The bot.
        """
        return self._call(endpoints.REMOVE_BOT, bot_id)

    def list_bots(self, *, page_size: int = 50, cursor: str | None = None) -> dict[str, Any]:
        """
        List one page of the workspace's bots, newest first, ``Cancelled`` ones too (``GET /bots``).

        :param page_size: Bots per page, 1 to 100.
        :param cursor: The ``nextCursor`` of the page before; None for the first page.
        :return: ``{"bots": [...], "hasNextPage", "nextCursor"}``; each bot has ``bot_id`` and ``status``.
        """
        return self._call(endpoints.LIST_BOTS, page_size=page_size, cursor=cursor)

    def iter_bots(
        self, *, page_size: int = 100, max_pages: int = DEFAULT_MAX_PAGES
    ) -> Iterator[dict[str, Any]]:
        """
        Yield every bot of the workspace, newest first, following ``nextCursor`` (``GET /bots``).

        A generator: stop iterating once the bots are older than you need, and no further page is
        asked for. Arguments are checked when it is created, before any request.

        :param page_size: Bots per page, 1 to 100.
        :param max_pages: The most pages followed, 1 to ``MAX_PAGES_BOUND``; past it the listing is an error.
        """
        first = endpoints.LIST_BOTS.request(page_size=page_size)
        return self._pages(endpoints.BOT_PAGES, first, max_pages)

    def get_participants(self, bot_id: str) -> list[dict[str, Any]]:
        """
        Read who attended the bot's meeting (``GET /bots/{bot_id}/get_participants``).

        :param bot_id: The bot.
        :return: One object a person: ``fullName``, ``join_time``, ``leave_time``...
        :raises MeetStreamNotReadyError: While MeetStream processes the meeting's data (202).
        """
        return self._call(endpoints.PARTICIPANTS, bot_id)

    def get_speaker_timeline(self, bot_id: str) -> list[dict[str, Any]]:
        """
        Read who spoke when in the bot's meeting (``GET /bots/{bot_id}/get_speaker_timeline``).

        :param bot_id: The bot.
        :return: ``[{"speaker", "start_time", "end_time"}, ...]``, seconds from the bot's join.
        :raises MeetStreamNotReadyError: While MeetStream processes the meeting's data (202).
        """
        return self._call(endpoints.SPEAKER_TIMELINE, bot_id)

    def get_audio_url(self, bot_id: str, *, mask: bool = True) -> MediaLink:
        """
        Get a presigned link to the bot's audio, valid about an hour (``GET /bots/{bot_id}/get_audio``).

        Whoever holds the link can download the recording: fetch it right before
        :meth:`stream_media`, never log or keep it.

        :param bot_id: The bot.
        :param mask: Register the link with Airflow's secrets masker, so that no log line shows it
            (the default). A caller that hands the link straight to :meth:`stream_media`, which
            keeps it out of the HTTP library's logs itself, may pass False: the masker compiles
            every secret it holds again at each new one, so a run landing hundreds of recordings
            would spend most of its time there.
        :raises MeetStreamNotReadyError: While MeetStream processes the recording (202).
        """
        return self._link(endpoints.AUDIO_LINK, bot_id, mask)

    def get_video_url(self, bot_id: str, *, mask: bool = True) -> MediaLink:
        """
        Get a presigned link to the bot's video, valid about ten minutes (``GET /bots/{bot_id}/get_video``).

        As :meth:`get_audio_url`: fetch it right before :meth:`stream_media`, never log or keep it.

        :param bot_id: The bot.
        :param mask: As :meth:`get_audio_url`'s.
        :raises MeetStreamNotReadyError: While MeetStream processes the recording (202).
        """
        return self._link(endpoints.VIDEO_LINK, bot_id, mask)

    def stream_media(
        self, link: MediaLink, write: Callable[[bytes], object], *, chunk_size: int = MEDIA_CHUNK_BYTES
    ) -> int:
        """
        Download a recording from its presigned link, handing it to ``write`` a chunk at a time.

        The link's host gets no ``Authorization`` header: the link is its own credential. The
        download is one attempt within the hook's timeout and deadline (raise ``deadline`` for a
        long video); on failure, fetch a new link and start again, since what ``write`` has taken
        cannot be taken back. Errors name the host and the status, never the link, and urllib3's
        debug lines show ``***`` for its path and query while it downloads.

        :param link: From :meth:`get_audio_url` or :meth:`get_video_url`.
        :param write: Takes each chunk, e.g. an open file's ``write``.
        :param chunk_size: The most bytes held at once, 1 to ``MAX_MEDIA_CHUNK_BYTES``.
        :return: The bytes written.
        :raises MeetStreamAPIError: 403 once the link has expired: fetch a new one.
        """
        media.check(link, write, chunk_size)
        return media.stream(link, write, self.config, chunk_size=chunk_size, log=self.log)

    def conflict_holder(self, bot_id: str) -> ListedBot:
        """
        Who owns the bot a 409 named: its key, event and occurrence, from its status or the scheduled list.

        A field MeetStream does not give stays None: unknown, never a match, so a bot whose key
        cannot be read is never taken for the caller's own.

        :param bot_id: The bot the 409 named (``MeetStreamConflictError.existing_bot_id``).
        """
        from airflow_provider_meetstream.utils.workspace_bots import ListedBot, bot_from_answer

        try:
            bot = bot_from_answer({**self.get_bot_status(bot_id), "bot_id": bot_id})
        except (MeetStreamNotFoundError, MeetStreamAuthError):
            # Unknown, or another API key's in the same workspace: its key cannot be read.
            bot = None
        if bot is None or bot.deduplication_key is None:
            listed = [item for item in self.list_scheduled_bots() if item.get("bot_id") == bot_id]
            bot = bot_from_answer(listed[0], listed=True) if listed else bot
        return bot or ListedBot(bot_id, None, None, None, None)
