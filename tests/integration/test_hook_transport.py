"""The sync hook over real sockets against a local, misbehaving server: deadline, storms, pool, bombs.

The async client meets the server that drips its headers too. Timings are printed and asserted only
as generous upper bounds.
"""

from __future__ import annotations

import asyncio
import gzip
import itertools
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from airflow_provider_meetstream.constants import MAX_BODY_BYTES
from airflow_provider_meetstream.exceptions import (
    MeetStreamAPIError,
    MeetStreamConnectionError,
    MeetStreamError,
)
from airflow_provider_meetstream.hooks.async_client import MeetStreamAsyncClient
from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook

Behaviour = Callable[[BaseHTTPRequestHandler], None]


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, behaviour: Behaviour) -> None:
        self.behaviour = behaviour
        self.connections = 0
        self.lock = threading.Lock()
        # Set when the test ends: a behaviour that waits on it stops at once instead of outliving it.
        self.stopping = threading.Event()
        super().__init__(("127.0.0.1", 0), Handler)


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so that a pooled connection is reused

    def setup(self) -> None:
        super().setup()
        server = self.server
        assert isinstance(server, Server)
        with server.lock:
            server.connections += 1

    def do_GET(self) -> None:
        server = self.server
        assert isinstance(server, Server)
        server.behaviour(self)

    def log_message(self, format: str, *args: object) -> None:
        pass


def send(handler: BaseHTTPRequestHandler, status: int, body: bytes, **headers: str) -> None:
    handler.send_response(status)
    for name, value in {
        "Content-Type": "application/json",
        "Content-Length": str(len(body)),
        **headers,
    }.items():
        handler.send_header(name.replace("_", "-"), value)
    handler.end_headers()
    handler.wfile.write(body)


@pytest.fixture
def serve(connection: Callable[..., None]) -> Iterator[Callable[[Behaviour], Server]]:
    servers: list[Server] = []

    def start(behaviour: Behaviour) -> Server:
        server = Server(behaviour)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        connection(host=f"http://127.0.0.1:{server.server_address[1]}", password="k" * 20)
        return server

    yield start
    for server in servers:
        server.stopping.set()
        server.shutdown()
        server.server_close()


def test_a_dripping_body_ends_at_the_deadline(serve) -> None:
    def drip(handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Length", "1000")
        handler.end_headers()
        try:
            for _ in range(1000):
                handler.wfile.write(b" ")
                handler.wfile.flush()
                time.sleep(0.25)
        except OSError:
            pass

    serve(drip)
    deadline = 2.0
    started = time.monotonic()
    with pytest.raises(MeetStreamError, match="deadline") as caught:
        MeetStreamHook(deadline=deadline, timeout=30).list_scheduled_bots()
    took = time.monotonic() - started
    print(
        f"\ndrip of one byte per 0.25 s, read timeout 30 s, deadline {deadline:g} s: ended after {took:.2f} s"
    )
    print(f"  {caught.value}")
    assert took < deadline + 5


def test_a_retry_after_storm_ends_within_the_deadline(serve) -> None:
    seen: list[float] = []

    def storm(handler: BaseHTTPRequestHandler) -> None:
        seen.append(time.monotonic())
        send(handler, 429, b'{"message": "slow down"}', Retry_After="1")

    serve(storm)
    deadline = 2.5
    started = time.monotonic()
    with pytest.raises(MeetStreamError, match="would pass the call's deadline"):
        MeetStreamHook(deadline=deadline, max_retries=20).list_scheduled_bots()
    took = time.monotonic() - started
    gaps = [round(b - a, 2) for a, b in itertools.pairwise(seen)]
    print(f"\nRetry-After: 1 storm, deadline {deadline:g} s: {len(seen)} attempts, gaps {gaps}")
    print(f"  ended after {took:.2f} s")
    assert took < deadline + 2


def test_threads_beyond_the_pool_wait_for_a_pooled_connection(serve) -> None:
    def slow_list(handler: BaseHTTPRequestHandler) -> None:
        time.sleep(0.02)
        send(handler, 200, b'{"scheduled_bots": []}')

    server = serve(slow_list)
    with MeetStreamHook(pool_maxsize=10) as hook, ThreadPoolExecutor(max_workers=32) as pool:
        results = list(pool.map(lambda _: hook.list_scheduled_bots(), range(32 * 4)))
    assert results == [[]] * 128
    print(f"\n32 threads, pool of 10, 128 requests: {server.connections} connection(s) opened")
    assert server.connections <= 10


def test_a_gzip_bomb_is_stopped_over_the_wire(serve) -> None:
    bomb = gzip.compress(b'{"scheduled_bots": [], "pad": "' + b"0" * (MAX_BODY_BYTES * 4) + b'"}')

    def answer(handler: BaseHTTPRequestHandler) -> None:
        send(handler, 200, bomb, Content_Encoding="gzip")

    serve(answer)
    with pytest.raises(MeetStreamAPIError, match="larger than 10 MiB"):
        MeetStreamHook().list_scheduled_bots()


def drip_headers(handler: BaseHTTPRequestHandler) -> None:
    # Raw bytes on the handler's socket: the status line, then one header line every 0.4 s for
    # 10 s, each gap far shorter than the read timeout; only then a complete, valid answer.
    server = handler.server
    assert isinstance(server, Server)
    body = b'{"scheduled_bots": []}'
    try:
        handler.wfile.write(b"HTTP/1.1 200 OK\r\n")
        for line in range(25):
            if server.stopping.wait(0.4):
                return
            handler.wfile.write(f"X-Drip-{line}: {line}\r\n".encode())
        handler.wfile.write(b"Content-Type: application/json\r\n")
        handler.wfile.write(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    except OSError:
        pass  # the client gave up and closed the connection


def call_sync_hook(deadline: float, read_timeout: float) -> None:
    MeetStreamHook(deadline=deadline, timeout=read_timeout).list_scheduled_bots()


def call_async_client(deadline: float, read_timeout: float) -> None:
    async def call() -> None:
        async with MeetStreamAsyncClient(deadline=deadline, timeout=read_timeout) as client:
            await client.list_scheduled_bots()

    asyncio.run(call())


@pytest.mark.parametrize("call", [call_sync_hook, call_async_client], ids=["sync hook", "async client"])
def test_headers_dripped_line_by_line_end_at_the_deadline(
    serve, call: Callable[[float, float], None]
) -> None:
    # Every read returns within its 1 s timeout: only the call's deadline can stop the headers.
    serve(drip_headers)
    deadline, read_timeout = 2.0, 1.0
    started = time.monotonic()
    with pytest.raises(MeetStreamConnectionError, match="deadline of 2 s") as caught:
        call(deadline, read_timeout)
    took = time.monotonic() - started
    print(
        f"\nheaders dripped a line per 0.4 s for 10 s, read timeout {read_timeout:g} s, "
        f"deadline {deadline:g} s: ended after {took:.2f} s"
    )
    print(f"  {caught.value}")
    assert took < deadline + 1.5
