"""Run the emulator under uvicorn: in a background thread for tests and benchmarks, or in the foreground."""

from __future__ import annotations

import asyncio
import json
import socket
import threading
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import TYPE_CHECKING, Any

from meetstream_emulator.app import DEFAULT_API_KEY, create_app
from meetstream_emulator.instance import Emulator
from meetstream_emulator.routing import API_PREFIX
from meetstream_emulator.wire import ConnectionTracker

if TYPE_CHECKING:
    import uvicorn
    from fastapi import FastAPI

    from meetstream_emulator.admin import EmulatorAdmin


def tracking_protocol(tracker: ConnectionTracker) -> type[asyncio.Protocol]:
    """
    A uvicorn HTTP protocol class that reports each TCP connection to a tracker.

    The tracker counts connections and keeps their transports, which is how an injected ``drop``
    closes a socket without any HTTP response.

    :param tracker: Where connections are reported.
    """
    base: type[Any]
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol as base
    except ImportError:  # httptools is optional; h11 always comes with uvicorn
        from uvicorn.protocols.http.h11_impl import H11Protocol as base

    def connection_made(self: Any, transport: asyncio.BaseTransport) -> None:
        base.connection_made(self, transport)
        tracker.opened(self.client, transport)

    def connection_lost(self: Any, exc: Exception | None) -> None:
        tracker.closed(self.client)
        base.connection_lost(self, exc)

    tracker.attached = True
    protocol: type[asyncio.Protocol] = type(
        "TrackingHTTPProtocol",
        (base,),
        {"connection_made": connection_made, "connection_lost": connection_lost},
    )
    return protocol


def build_server(
    app: FastAPI,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    on_ready: Callable[[int], None] | None = None,
    log_level: str = "warning",
    log_config: dict[str, Any] | None = None,
) -> uvicorn.Server:
    """
    A uvicorn server for an emulator app that calls ``on_ready(port)`` once its socket listens.

    :param app: An app from :func:`~meetstream_emulator.app.create_app`.
    :param host: Interface to bind.
    :param port: Port to bind; 0 picks a free one.
    :param on_ready: Called with the bound port, from the server's thread, after binding.
    :param log_level: uvicorn's log level.
    :param log_config: uvicorn's logging config; None leaves logging alone (right for libraries).
    """
    import uvicorn

    emulator: Emulator = app.state.emulator

    class ReadyServer(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if self.started and on_ready is not None:
                on_ready(self.servers[0].sockets[0].getsockname()[1])

    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        http=tracking_protocol(emulator.connections),
        ws="none",
        lifespan="off",
        loop="asyncio",
        log_level=log_level,
        log_config=log_config,
        access_log=False,
        # uvicorn trusts X-Forwarded-For from 127.0.0.1 by default and rewrites scope["client"],
        # which is how the connection tracker finds a request's socket: a client's header would
        # turn a "drop" into a 502 and hide the connection from the counts.
        proxy_headers=False,
        timeout_graceful_shutdown=2,
    )
    return ReadyServer(config)


def format_base_url(host: str, port: int) -> str:
    """
    The base URL of a server bound to ``host:port``.

    :param host: The bound interface (an IPv6 address gets brackets).
    :param port: The bound port.
    """
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}"


class EmulatorServer:
    """
    The emulator running in a daemon thread on a free port, as a context manager.

    .. code-block:: python

        with EmulatorServer() as emulator:
            headers = {"Authorization": f"Token {emulator.api_key}"}
            requests.get(f"{emulator.api_url}/calendar/events", headers=headers, timeout=10)

    ``start()`` and ``stop()`` work without ``with``; ``admin`` drives the controls.

    :param host: Interface to bind.
    :param port: Port to bind; 0 (default) picks a free one.
    :param api_keys: Accepted keys, each its own tenant; ``api_key`` is the first.
    :param calendar: ``"demo"`` (default), None for no events, a JSON file path, or the events themselves.
    :param join_lead_minutes: How long before the start bots join.
    :param conflict_mode: ``update`` or ``409``.
    :param enable_controls: Serve the ``/_emulator`` controls.
    :param startup_timeout: Seconds to wait for the socket.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        api_keys: Iterable[str] = (DEFAULT_API_KEY,),
        calendar: Any = "demo",
        join_lead_minutes: int = 3,
        conflict_mode: str = "update",
        enable_controls: bool = True,
        startup_timeout: float = 10.0,
    ) -> None:
        self.api_keys = tuple(api_keys)
        self.app = create_app(
            api_keys=self.api_keys,
            calendar=calendar,
            join_lead_minutes=join_lead_minutes,
            conflict_mode=conflict_mode,
            enable_controls=enable_controls,
        )
        self.emulator: Emulator = self.app.state.emulator
        self.host = host
        self._requested_port = port
        self._startup_timeout = startup_timeout
        self._port: int | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._admin: EmulatorAdmin | None = None

    def start(self) -> EmulatorServer:
        """Start serving; returns once the socket listens, or raises RuntimeError."""
        if self._thread is not None:
            raise RuntimeError("The emulator is already running.")
        ready = threading.Event()
        failure: list[BaseException] = []

        def on_ready(port: int) -> None:
            self._port = port
            ready.set()

        server = build_server(self.app, host=self.host, port=self._requested_port, on_ready=on_ready)

        def serve() -> None:
            try:
                server.run()
            except BaseException as exc:  # uvicorn exits with SystemExit when it cannot bind
                failure.append(exc)
            finally:
                ready.set()

        self._server = server
        self._thread = threading.Thread(target=serve, name="meetstream-emulator", daemon=True)
        self._thread.start()
        if not ready.wait(self._startup_timeout) or self._port is None:
            self.stop()
            reason = f": {failure[0]!r}" if failure else ""
            raise RuntimeError(
                f"The MeetStream emulator did not start on {self.host}:{self._requested_port}{reason}"
            )
        return self

    def stop(self, timeout: float = 5.0) -> None:
        """
        Stop serving and wait for the thread to end.

        :param timeout: Seconds to wait for the server thread.
        """
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout)
        if self._admin is not None:
            self._admin.close()
        self._server, self._thread, self._admin, self._port = None, None, None, None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound port."""
        if self._port is None:
            raise RuntimeError("The emulator is not running.")
        return self._port

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:PORT``."""
        return format_base_url(self.host, self.port)

    @property
    def api_url(self) -> str:
        """``http://127.0.0.1:PORT/api/v1``, the host of a MeetStream Airflow connection."""
        return self.base_url + API_PREFIX

    @property
    def api_key(self) -> str:
        """The first API key."""
        return self.api_keys[0]

    @property
    def admin(self) -> EmulatorAdmin:
        """A client for the ``/_emulator`` controls."""
        if self._admin is None:
            from meetstream_emulator.admin import EmulatorAdmin

            self._admin = EmulatorAdmin(self.base_url)
        return self._admin

    def airflow_conn_json(self, api_key: str | None = None) -> str:
        """
        The value of ``AIRFLOW_CONN_MEETSTREAM_DEFAULT`` that points Airflow at this emulator.

        :param api_key: The key to use; the first one by default.
        """
        return json.dumps(
            {"conn_type": "meetstream", "host": self.api_url, "password": api_key or self.api_key}
        )
