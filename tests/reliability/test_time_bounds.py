"""
Every call ends within its budget (the hook's ``deadline``): a silent server, a drip of the body or
of the headers, a 429 storm.

tests/integration/test_hook_transport.py already bounds the sync hook against a hand-made server
that drips or storms; here the bad servers are the emulator's own faults and raw sockets that never
answer or drip their headers, for the sync hook and for the async client the triggers use. The
waits are real: waiting is the point. Each bound is asserted with generous slack and printed.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from airflow_provider_meetstream.exceptions import MeetStreamError
from airflow_provider_meetstream.hooks.async_client import MeetStreamAsyncClient
from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook

DEADLINE = 2.0
#: What a call may take beyond its deadline here: the last read's cut-off, a loaded machine.
SLACK = 3.0


#: What a raw server does with one accepted connection: given it and the event set at teardown.
Answer = Callable[[socket.socket, threading.Event], None]


def raw_server(set_connection: Callable[..., None], answer: Answer) -> Iterator[str]:
    """
    A socket server on loopback, each connection handed to ``answer`` in its own thread.

    :param set_connection: The ``connection`` fixture: the default connection points at the server.
    """
    listener = socket.create_server(("127.0.0.1", 0))
    held: list[socket.socket] = []
    workers: list[threading.Thread] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                continue
            held.append(connection)
            worker = threading.Thread(target=answer, args=(connection, stop), daemon=True)
            worker.start()
            workers.append(worker)

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    host = f"http://127.0.0.1:{listener.getsockname()[1]}"
    set_connection(host=host, password="time-bounds-key")
    try:
        yield host
    finally:
        stop.set()
        thread.join(5)
        for worker in workers:
            worker.join(5)
        for connection in held:
            connection.close()
        listener.close()


@pytest.fixture
def silent_server(connection: Callable[..., None]) -> Iterator[str]:
    """A server that accepts connections and never answers."""
    yield from raw_server(connection, lambda accepted, stop: None)


def drip_headers(connection: socket.socket, stop: threading.Event) -> None:
    # The status line, then a header line every 0.4 s for 10 s: each far within the read timeout.
    body = b'{"scheduled_bots": []}'
    try:
        connection.recv(65536)  # the request: a GET, its head in one segment on loopback
        connection.sendall(b"HTTP/1.1 200 OK\r\n")
        for line in range(25):
            if stop.wait(0.4):
                return
            connection.sendall(f"X-Drip-{line}: {line}\r\n".encode())
        connection.sendall(b"Content-Length: %d\r\n\r\n%s" % (len(body), body))
    except OSError:
        pass  # the client gave up and closed the connection


@pytest.fixture
def header_drip_server(connection: Callable[..., None]) -> Iterator[str]:
    """A server that answers 200 but drips its headers, one line at a time, for 10 s."""
    yield from raw_server(connection, drip_headers)


def sync_call() -> None:
    MeetStreamHook(deadline=DEADLINE, timeout=30, max_retries=20).list_scheduled_bots()


def async_call() -> None:
    async def call() -> None:
        async with MeetStreamAsyncClient(deadline=DEADLINE, timeout=30, max_retries=20) as client:
            await client.list_scheduled_bots()

    asyncio.run(call())


CLIENTS: dict[str, Callable[[], None]] = {"sync hook": sync_call, "async client": async_call}


def bounded(figures: Any, what: str, call: Callable[[], None]) -> float:
    started = time.monotonic()
    with pytest.raises(MeetStreamError) as caught:
        call()
    took = time.monotonic() - started
    figures(f"{what}, deadline {DEADLINE:g} s", f"ended after {took:.2f} s")
    print(f"    {str(caught.value)[:200]}")
    assert took < DEADLINE + SLACK
    return took


@pytest.mark.parametrize("client", CLIENTS)
def test_a_server_that_never_answers(silent_server, figures, client: str) -> None:
    took = bounded(figures, f"{client}, silent server (read timeout 30 s)", CLIENTS[client])
    assert took >= DEADLINE * 0.5  # it did wait: the silence was not taken for a refusal


@pytest.mark.parametrize("client", CLIENTS)
def test_an_answer_dripped_past_the_deadline(meetstream_conn_env, figures, client: str) -> None:
    # The body trickles in over 60 s: no read ever waits long, only the deadline can stop it.
    meetstream_conn_env.admin.set_faults(probability=1, statuses=["drip"], drip_ms=60_000)
    bounded(figures, f"{client}, emulator drip over 60 s", CLIENTS[client])


@pytest.mark.parametrize("client", CLIENTS)
def test_headers_dripped_past_the_deadline(header_drip_server, figures, client: str) -> None:
    # Each header line comes long before the read timeout: only the deadline can stop the headers.
    bounded(figures, f"{client}, headers dripped a line per 0.4 s for 10 s", CLIENTS[client])


@pytest.mark.parametrize("client", CLIENTS)
def test_a_retry_after_storm(meetstream_conn_env, figures, client: str) -> None:
    admin = meetstream_conn_env.admin
    admin.set_faults(probability=1, statuses=[429], retry_after=1)
    bounded(figures, f"{client}, emulator 429 storm (Retry-After: 1, 20 attempts allowed)", CLIENTS[client])
    attempts = len(admin.requests())
    figures(f"{client}, attempts in the storm", attempts)
    assert 2 <= attempts <= 4  # it honoured Retry-After: about one attempt a second
