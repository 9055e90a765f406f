"""The provider's shared facts (connection, API path, limits, defaults, bot status); imports nothing of it."""

from __future__ import annotations

from enum import Enum
from typing import Any, ClassVar

#: Airflow's loggers are structlog-backed in Airflow 3 and stdlib in Airflow 2: anything with ``info``
#: and ``warning``.
Logger = Any

#: The Airflow connection every hook, operator and sensor uses unless told otherwise.
DEFAULT_CONN_ID = "meetstream_default"
#: The connection type the hook registers.
CONN_TYPE = "meetstream"

#: MeetStream's public API, used when a connection names no host.
DEFAULT_BASE_URL = "https://api.meetstream.ai"
#: The path under which every endpoint lives; a connection's host may include it or not.
API_PREFIX = "/api/v1"

#: Longest connect timeout in seconds; a shorter read timeout lowers it too.
DEFAULT_CONNECT_TIMEOUT = 10.0
#: Shortest read timeout a connection or a hook argument may ask for, in seconds.
MIN_TIMEOUT = 0.1
#: Most attempts per request, the first included, a connection or a hook argument may ask for.
MAX_ATTEMPTS_BOUND = 20

#: MeetStream's limit on a ``deduplication_key``.
MAX_DEDUPLICATION_KEY_LENGTH = 2000
#: Longest ``Idempotency-Key`` header sent with ``POST /bots/create_bot``.
MAX_IDEMPOTENCY_KEY_LENGTH = 255
#: Longest URL accepted as a ``meeting_link``, in characters.
MAX_URL_LENGTH = 2048
#: MeetStream's largest page of ``GET /calendar/scheduled`` and ``GET /calendar/events``.
MAX_LIST_LIMIT = 100
#: Occurrences of a series scheduled when no ``occurrence_limit`` is given (MeetStream's default).
DEFAULT_OCCURRENCE_LIMIT = 52
#: MeetStream's largest ``occurrence_limit``, and the most occurrences one expansion returns (far
#: below Airflow's default ``max_map_length`` of 1024).
MAX_OCCURRENCE_LIMIT = 1000
#: The most bots one ``BotStatusSensor`` waits for: each is one status request per look.
MAX_WAITED_BOTS = 1000

#: Read timeout in seconds when neither the connection nor the hook sets one.
DEFAULT_READ_TIMEOUT = 30.0
#: Attempts per request, the first included, when neither the connection nor the hook sets them.
DEFAULT_MAX_ATTEMPTS = 5
#: Longest read timeout a connection or a hook argument may ask for, in seconds.
MAX_TIMEOUT = 3600.0
#: Total seconds one call may take, connect, reads, retries and waits together, unless told otherwise.
DEFAULT_DEADLINE = 120.0
#: Longest total time per call a connection or a hook argument may ask for, in seconds.
MAX_DEADLINE = 3600.0
#: Connections a hook keeps open when not told otherwise; threads beyond it wait for one.
DEFAULT_POOL_MAXSIZE = 10
#: Most connections a hook may keep open to MeetStream.
MAX_POOL_MAXSIZE = 256
#: Most requests an operator keeps in flight at once (``max_concurrency``).
MAX_CONCURRENCY = 64
#: Pages ``iter_events`` and ``iter_bots`` follow before they give up, unless told otherwise, and at most.
DEFAULT_MAX_PAGES = 1000
MAX_PAGES_BOUND = 100_000
#: Largest answer body read, after decompression, in bytes.
MAX_BODY_BYTES = 10 * 1024 * 1024
#: Most bytes of a recording ``stream_media`` holds at once unless told otherwise, and at all.
MEDIA_CHUNK_BYTES = 1024 * 1024
MAX_MEDIA_CHUNK_BYTES = 64 * 1024 * 1024
#: Longest path id (``event_id``, ``bot_id``) accepted, in characters.
MAX_ID_LENGTH = 1024
#: Deepest nesting of a JSON argument (``bot_config``, ``custom_attributes``).
MAX_JSON_DEPTH = 64
#: Shortest API key scrubbed from answers; a shorter one would corrupt them (``K`` in ``WEEKLY``).
MIN_SCRUBBED_SECRET_LENGTH = 8

#: What a schedule does on a 409 naming its own bot on the same meeting: count it done, or fail.
IF_ALREADY_SCHEDULED = ("succeed", "fail")
#: What a schedule does when the meeting has another owner's bot: refuse, leave it, or replace it.
IF_OTHER_BOT = ("fail", "skip", "replace")


class BotStatus(str, Enum):
    """
    The statuses of a MeetStream bot (``GET /bots/{bot_id}/status``), with their groups.

    Members compare equal to MeetStream's strings, so ``answer["status"] in BotStatus.WAITING_STATUSES``
    works on a decoded answer.
    """

    SCHEDULED = "Scheduled"
    JOINING = "Joining"
    IN_WAITING_ROOM = "InWaitingRoom"
    IN_MEETING = "InMeeting"
    RECORDING = "Recording"
    LEAVING = "Leaving"
    STOPPED = "Stopped"
    NOT_ALLOWED = "NotAllowed"
    DENIED = "Denied"
    ERROR = "Error"
    DONE = "Done"
    CANCELLED = "Cancelled"

    #: Still waiting to join: the only statuses of a bot on the scheduled list.
    WAITING_STATUSES: ClassVar[frozenset[BotStatus]]
    #: The bot went into its meeting (or tried to, and got in): it left the scheduled list for that.
    JOINED_STATUSES: ClassVar[frozenset[BotStatus]]
    #: A normal end: it left the meeting (``Stopped``), then its data was processed (``Done``).
    SUCCESS_STATUSES: ClassVar[frozenset[BotStatus]]
    #: A failed end: never admitted (``NotAllowed``), refused by a host (``Denied``), crashed (``Error``).
    FAILED_STATUSES: ClassVar[frozenset[BotStatus]]
    #: The bot's meeting is over for it: a normal end, a failed one, or cancelled before it joined.
    TERMINAL_STATUSES: ClassVar[frozenset[BotStatus]]
    #: The bot may still change status.
    NON_TERMINAL_STATUSES: ClassVar[frozenset[BotStatus]]
    #: Terminal statuses that fail a wait unless the DAG accepts them: the failed ends, and a bot
    #: cancelled before it joined.
    REFUSED_STATUSES: ClassVar[frozenset[BotStatus]]


# Assigned after the class: inside an Enum's body they would become members.
BotStatus.WAITING_STATUSES = frozenset({BotStatus.SCHEDULED})
BotStatus.JOINED_STATUSES = frozenset(
    {
        BotStatus.JOINING,
        BotStatus.IN_WAITING_ROOM,
        BotStatus.IN_MEETING,
        BotStatus.RECORDING,
        BotStatus.LEAVING,
        BotStatus.STOPPED,
        BotStatus.DONE,
    }
)
BotStatus.SUCCESS_STATUSES = frozenset({BotStatus.STOPPED, BotStatus.DONE})
BotStatus.FAILED_STATUSES = frozenset({BotStatus.NOT_ALLOWED, BotStatus.DENIED, BotStatus.ERROR})
BotStatus.TERMINAL_STATUSES = (
    BotStatus.SUCCESS_STATUSES | BotStatus.FAILED_STATUSES | frozenset({BotStatus.CANCELLED})
)
BotStatus.NON_TERMINAL_STATUSES = frozenset(BotStatus) - BotStatus.TERMINAL_STATUSES
BotStatus.REFUSED_STATUSES = BotStatus.TERMINAL_STATUSES - BotStatus.SUCCESS_STATUSES
