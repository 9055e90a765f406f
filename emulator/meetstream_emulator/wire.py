"""What the emulator observes on the wire: the request log, with credentials masked, and the connections."""

from __future__ import annotations

import asyncio
import json
import threading
from collections import deque
from collections.abc import Iterable
from typing import Any

MAX_LOGGED_REQUESTS = 10_000
MAX_LOGGED_BODY_BYTES = 10 * 1024
Peer = tuple[str, int]

# Headers whose value is a credential whatever it holds; the authorization ones keep their scheme.
_SCHEME_HEADERS = frozenset({"authorization", "proxy-authorization"})
_SECRET_HEADERS = frozenset({"cookie", "x-api-key"})


def mask_authorization(value: str) -> str:
    """
    Hide the credential of an ``Authorization`` header and keep its scheme.

    :param value: The header value, e.g. ``Token abc``.
    :return: e.g. ``Token ***``; ``***`` when there is no scheme.
    """
    scheme, _, credential = value.strip().partition(" ")
    return f"{scheme} ***" if credential else "***"


def mask_headers(headers: Iterable[tuple[bytes, bytes]], secrets: Iterable[str]) -> dict[str, str]:
    """
    Request headers as the request log keeps them: lower-case names, credentials masked.

    ``Authorization`` and ``Proxy-Authorization`` keep their scheme (``Token ***``), ``Cookie`` and
    ``X-Api-Key`` become ``***``, and any other value has each of ``secrets`` replaced by ``***``.

    :param headers: The ASGI headers.
    :param secrets: The emulator's API keys.
    """
    known = sorted((secret for secret in secrets if secret), key=len, reverse=True)
    masked: dict[str, str] = {}
    for name, value in headers:
        key, text = name.decode("latin-1").lower(), value.decode("latin-1")
        if key in _SCHEME_HEADERS:
            text = mask_authorization(text)
        elif key in _SECRET_HEADERS:
            text = "***"
        else:
            for secret in known:
                text = text.replace(secret, "***")
        masked[key] = text
    return masked


def loggable_body(body: bytes) -> Any:
    """
    A request body as the request log keeps it: JSON, else text, None when empty.

    A body over ``MAX_LOGGED_BODY_BYTES`` is kept as the text of its first bytes followed by
    ``... [truncated: N bytes]``.

    :param body: The raw body.
    """
    if not body:
        return None
    if len(body) > MAX_LOGGED_BODY_BYTES:
        head = body[:MAX_LOGGED_BODY_BYTES].decode("utf-8", errors="replace")
        return f"{head}... [truncated: {len(body)} bytes]"
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return body.decode("utf-8", errors="replace")


class RequestLog:
    """
    The API requests the emulator received, oldest first (the last 10,000), with credentials masked.

    An entry has ``seq``, ``time`` (by the emulator's clock), ``method``, ``path`` (raw, percent-encoded),
    ``query``, ``headers`` and ``body`` (see :func:`mask_headers` and :func:`loggable_body`), ``request_id``,
    ``status`` (an integer, ``"drop"``, or ``"act_then_drop"`` with the lost answer's ``acted_status``),
    ``latency_ms`` (the injected delay), and ``fault`` (the outcome injected, or None) when a fault plan
    matched the request.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: deque[dict[str, Any]] = deque(maxlen=MAX_LOGGED_REQUESTS)
        self._sequence = 0

    def append(self, entry: dict[str, Any]) -> dict[str, Any]:
        """
        Record a request; the entry is numbered and returned so its status can be filled in later.

        :param entry: method, path, query, headers, body, request_id, time.
        """
        with self._lock:
            self._sequence += 1
            entry["seq"] = self._sequence
            self._entries.append(entry)
            return entry

    def entries(self) -> list[dict[str, Any]]:
        """A copy of the log."""
        with self._lock:
            return [dict(entry) for entry in self._entries]

    def clear(self) -> int:
        """Empty the log and return how many entries it held."""
        with self._lock:
            count = len(self._entries)
            self._entries.clear()
            return count


class ConnectionTracker:
    """
    Counts TCP connections and can abort one; fed by the emulator's uvicorn protocol class.

    Connections are keyed by the client's (host, port), which ASGI exposes as ``scope["client"]``;
    the runner turns uvicorn's proxy headers off so that no request header can rewrite it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[Peer, asyncio.BaseTransport] = {}
        self._api_peers: set[Peer] = set()
        self._accepted = 0
        self._api_connections = 0
        self.attached = False

    def opened(self, peer: Peer | None, transport: asyncio.BaseTransport) -> None:
        """
        A connection was accepted.

        :param peer: The client's address.
        :param transport: The connection's transport, kept so that it can be aborted.
        """
        with self._lock:
            self._accepted += 1
            if peer is not None:
                self._open[peer] = transport

    def closed(self, peer: Peer | None) -> None:
        """
        A connection was closed.

        :param peer: The client's address.
        """
        with self._lock:
            if peer is not None:
                self._open.pop(peer, None)
                self._api_peers.discard(peer)

    def mark_api(self, peer: Peer | None) -> None:
        """
        Note that a connection carried an API request (control traffic is not counted).

        :param peer: The client's address.
        """
        with self._lock:
            if peer is not None and peer in self._open and peer not in self._api_peers:
                self._api_peers.add(peer)
                self._api_connections += 1

    def abort(self, peer: Peer | None) -> bool:
        """
        Close a connection at once, without an HTTP response.

        :param peer: The client's address.
        :return: False when the connection is unknown (the app runs under another server).
        """
        with self._lock:
            transport = self._open.get(peer) if peer is not None else None
        if transport is None:
            return False
        abort = getattr(transport, "abort", None)
        if callable(abort):
            abort()
        else:
            transport.close()
        return True

    def reset(self) -> None:
        """Zero the counters; open connections stay known so that they can still be aborted."""
        with self._lock:
            self._accepted = 0
            self._api_connections = 0
            self._api_peers.clear()

    def snapshot(self) -> dict[str, Any]:
        """Connections ``accepted`` since the last reset, ``api_connections`` among them, and ``open`` now."""
        with self._lock:
            return {
                "accepted": self._accepted,
                "api_connections": self._api_connections,
                "open": len(self._open),
                "tracking": self.attached,
            }
