"""MeetStreamBaseHook: what the sync hook's endpoint methods stand on: connection, pooled session, retries."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Mapping
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from airflow.providers.common.compat.sdk import BaseHook, mask_secret

from airflow_provider_meetstream import validation
from airflow_provider_meetstream.constants import (
    CONN_TYPE,
    DEFAULT_CONN_ID,
    DEFAULT_POOL_MAXSIZE,
    MAX_PAGES_BOUND,
    MAX_POOL_MAXSIZE,
)
from airflow_provider_meetstream.exceptions import (
    MeetStreamAPIError,
    MeetStreamAuthError,
    MeetStreamError,
)
from airflow_provider_meetstream.hooks import endpoints, policy
from airflow_provider_meetstream.hooks.config import (
    ClientConfig,
    MeetStreamAuth,
    build_config,
    checked_overrides,
)
from airflow_provider_meetstream.hooks.errors import naming_the_connection, scrub
from airflow_provider_meetstream.hooks.policy import RequestPolicy
from airflow_provider_meetstream.hooks.transport import send_once
from airflow_provider_meetstream.utils import lineage

if TYPE_CHECKING:
    import requests

    from airflow_provider_meetstream.hooks.endpoints import Endpoint, Lineage, Pages, Read
    from airflow_provider_meetstream.hooks.policy import Budget
    from airflow_provider_meetstream.hooks.wire import Answer, ApiRequest, MediaLink

_Hook = TypeVar("_Hook", bound="MeetStreamBaseHook")


class PooledSession:
    """
    The sync hook's one ``requests`` session, made on first use and shared by its threads.

    :param pool_maxsize: Connections kept open; a thread beyond them waits for a pooled one rather
        than open one that is thrown away after one request.
    """

    def __init__(self, pool_maxsize: int) -> None:
        self.pool_maxsize = pool_maxsize
        self._session: requests.Session | None = None
        self._settings: Mapping[str, Any] | None = None
        self._lock = threading.Lock()

    def session(self, auth: Callable[[], MeetStreamAuth]) -> requests.Session:
        """The session, made on first use with ``auth()``."""
        import requests
        from requests.adapters import HTTPAdapter

        with self._lock:
            if self._session is None:
                session = requests.Session()
                session.auth = auth()
                session.headers["Accept"] = "application/json"
                # Retries are ours (they honour Retry-After); urllib3's own would double them.
                adapter = HTTPAdapter(
                    pool_connections=1, pool_maxsize=self.pool_maxsize, max_retries=0, pool_block=True
                )
                session.mount("https://", adapter)
                session.mount("http://", adapter)
                self._session, self._settings = session, None
            return self._session

    def attempt(
        self, request: ApiRequest, config: ClientConfig, auth: Callable[[], MeetStreamAuth]
    ) -> Callable[[Budget], Answer]:
        """Prepare ``request`` once; return one attempt at sending it, for the retry policy."""
        import requests

        session = self.session(auth)
        url = request.url(config.base_url)
        prepared = session.prepare_request(
            requests.Request(request.method, url, json=request.body, headers=request.headers)
        )
        # requests decodes %2E back to "." and urllib3 then resolves "..": keep our encoding.
        prepared.url = url
        with self._lock:
            # Session.send skips what Session.request reads from the environment (CA bundles,
            # proxies); reading it took a fifth of each request's CPU, and it is the same for every
            # path under one base URL, so it is read once, at the first request.
            if self._settings is None:
                self._settings = session.merge_environment_settings(config.base_url, {}, None, None, None)
            settings = self._settings
        return lambda budget: send_once(session, prepared, request, config, budget, settings)

    def close(self) -> None:
        """Close the session and its connections."""
        with self._lock:
            if self._session is not None:
                self._session.close()
                self._session, self._settings = None, None


class MeetStreamBaseHook(BaseHook):
    """
    The sync hook's connection, pooled session and retry policy, and how one endpoint row is called.

    Its arguments are :class:`~airflow_provider_meetstream.hooks.meetstream.MeetStreamHook`'s,
    where the endpoint methods are.
    """

    conn_name_attr = "meetstream_conn_id"
    default_conn_name = DEFAULT_CONN_ID
    conn_type = CONN_TYPE
    hook_name = "MeetStream"

    def __init__(
        self,
        meetstream_conn_id: str = default_conn_name,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
        pool_maxsize: int = DEFAULT_POOL_MAXSIZE,
        deadline: float | None = None,
    ) -> None:
        super().__init__()
        self.meetstream_conn_id = meetstream_conn_id
        self.timeout, self.max_retries, self.deadline = checked_overrides(timeout, max_retries, deadline)
        self.pool_maxsize = validation.integer(pool_maxsize, "pool_maxsize", 1, MAX_POOL_MAXSIZE)
        self._pool = PooledSession(self.pool_maxsize)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(meetstream_conn_id={self.meetstream_conn_id!r})"

    @cached_property
    def config(self) -> ClientConfig:
        """The connection's settings, read once; the API key is registered with the secrets masker."""
        conn = self.get_connection(self.meetstream_conn_id)
        config = build_config(
            self.meetstream_conn_id, conn, conn.extra_dejson, self.timeout, self.max_retries, self.deadline
        )
        mask_secret(config.api_key)
        return config

    @cached_property
    def policy(self) -> RequestPolicy:
        """The retry policy, sized from the connection."""
        return RequestPolicy(max_attempts=self.config.max_attempts, deadline=self.config.deadline)

    def get_conn(self) -> requests.Session:
        """Return the hook's pooled session, creating it on first use."""
        return self._pool.session(lambda: MeetStreamAuth(self.config.api_key))

    def close(self) -> None:
        """Close the pooled session and its connections."""
        self._pool.close()

    def __enter__(self: _Hook) -> _Hook:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _send(self, request: ApiRequest, retries: RequestPolicy | None = None) -> dict[str, Any]:
        # ``retries``: bounds of one call's own (the Test button's), else the connection's policy.
        attempt = self._pool.attempt(request, self.config, lambda: MeetStreamAuth(self.config.api_key))
        try:
            return (retries or self.policy).call(attempt, request, self.log)
        except MeetStreamAuthError as err:
            raise naming_the_connection(err, self.meetstream_conn_id) from None

    def _call(self, endpoint: Endpoint[Read], *ids: Any, **arguments: Any) -> Read:
        request = endpoint.request(*ids, **arguments)
        read = endpoint.read(self._send(request), request)
        if endpoint.lineage is not None:
            self._report_lineage(endpoint.lineage, ids, read)
        return read

    @cached_property
    def _lineage_collector(self) -> tuple[Any, str] | None:
        # Airflow's collector is one per process: looked up once per hook, never per request.
        try:
            from airflow.providers.common.compat.lineage.hook import get_hook_lineage_collector

            collector = get_hook_lineage_collector()  # type: ignore[no-untyped-call]
        except ImportError:  # an Airflow without hook lineage
            return None
        return collector, lineage.authority(self.config.base_url)

    def _report_lineage(self, row: Lineage, ids: tuple[Any, ...], read: Any) -> None:
        """Tell Airflow's hook-lineage collector, if any, what a successful call read or changed."""
        found = self._lineage_collector
        if found is None:
            return
        collector, host = found
        try:
            add = collector.add_output_asset if row.output else collector.add_input_asset
            for identifier in row.ids(ids, read):
                add(context=self, uri=lineage.api_uri(host, row.collection, identifier))
        except Exception as err:
            # Lineage is a by-product: it never fails the call that produced it.
            self.log.debug("Could not report lineage of %s: %s", row.collection, err)

    def _pages(self, pages: Pages, first: ApiRequest, max_pages: int) -> Iterator[dict[str, Any]]:
        # Not a generator itself, so that max_pages is checked before any request, as the rest.
        validation.integer(max_pages, "max_pages", 1, MAX_PAGES_BOUND)

        def follow(request: ApiRequest | None) -> Iterator[dict[str, Any]]:
            seen: set[str] = set()
            while request is not None:
                page = pages.endpoint.read(self._send(request), request)
                yield from page[pages.items]
                request = pages.after(request, page, seen, max_pages)

        return follow(first)

    def _link(self, endpoint: Endpoint[MediaLink], bot_id: str, mask: bool) -> MediaLink:
        link = self._call(endpoint, bot_id)
        if mask:
            # A secret like the API key: masked wherever Airflow's logs might show it.
            for form in link.secret_forms():
                mask_secret(form)
        return link

    def test_connection(self) -> tuple[bool, str]:
        """
        Check the connection with a cheap, read-only call: list one scheduled bot.

        The answer says what was called and what it found: on success the endpoint, whether any bot
        is scheduled (the listing gives no count, and one bot is all it asks for) and the round trip,
        retries included; on failure the connection id and the check that failed. Never the key.
        """
        where = f"Connection {self.meetstream_conn_id!r}"
        request = endpoints.LIST_SCHEDULED.request(limit=1)
        try:
            # Scheme, host, port and path: never a user or password the host field may carry.
            base, parts = self.config.base_url, urlsplit(self.config.base_url)
            endpoint = (
                f"{request.method} {parts.scheme}://{lineage.authority(base)}{parts.path}{request.path}"
            )
        except MeetStreamError as err:
            return False, f"{where}: its settings were refused before any request: {err}"
        # A person waits for the answer: at most two attempts, within 15 s, whatever the tasks get.
        bounded = RequestPolicy(
            max_attempts=min(self.config.max_attempts, 2), deadline=min(self.config.deadline, 15.0)
        )
        started = policy.clock()
        try:
            scheduled = endpoints.LIST_SCHEDULED.read(self._send(request, bounded), request)
        except MeetStreamError as err:
            return False, scrub(f"{where}: {endpoint} {_what_failed(err)}", self.config.api_key) or ""
        elapsed = (policy.clock() - started) * 1000
        found = "at least one bot is scheduled" if scheduled else "no bot is scheduled"
        return True, f"Connected to MeetStream: {endpoint} answered in {elapsed:.0f} ms; {found}."


#: What the check's failing answers mean for the connection: the words, and what to check.
_REFUSALS = {
    401: ("was refused", "Check the connection's password, the MeetStream API key."),
    403: ("was refused", "The API key is not valid, or may not list scheduled bots."),
    404: ("was not found", "Check the connection's host, the API base URL."),
}


def _what_failed(err: MeetStreamError) -> str:
    # The check's outcome in words, after the endpoint; MeetStream's own message and request id kept.
    if not isinstance(err, MeetStreamAPIError):
        # No answer (refused, timed out): the error says what happened, and after how many attempts.
        return f"failed: {err}"
    said = err.message if err.message.endswith((".", "!", "?")) else f"{err.message}."
    verb, advice = _REFUSALS.get(err.status_code, ("answered", ""))
    request_id = f" (MeetStream request id {err.request_id})" if err.request_id else ""
    return f"{verb} ({err.status_code}): {said}{f' {advice}' if advice else ''}{request_id}"
