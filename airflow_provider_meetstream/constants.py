"""The provider's shared facts (connection, API path, limits); imports nothing, so any module may use them."""

from __future__ import annotations

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
#: MeetStream's largest page of ``GET /calendar/scheduled`` and ``GET /calendar/events``.
MAX_LIST_LIMIT = 100
#: Occurrences of a series scheduled when no ``occurrence_limit`` is given (MeetStream's default).
DEFAULT_OCCURRENCE_LIMIT = 52
#: MeetStream's largest ``occurrence_limit``.
MAX_OCCURRENCE_LIMIT = 1000
