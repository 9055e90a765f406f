"""Fixtures the emulator's tests share: the emulator a module sets up, and an API client for each tenant."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from meetstream_emulator.server import EmulatorServer


@pytest.fixture
def emulator(meetstream_emulator: EmulatorServer) -> EmulatorServer:
    """The reset session emulator; a module overrides this to freeze its clock and load its calendar."""
    return meetstream_emulator


def api_client(server: EmulatorServer, key: str) -> httpx.Client:
    """
    An HTTP client of the emulator's API, authenticated as one tenant.

    :param server: The emulator.
    :param key: The tenant's API key.
    """
    return httpx.Client(base_url=server.api_url, headers={"Authorization": f"Token {key}"}, timeout=10)


@pytest.fixture
def api(emulator: EmulatorServer) -> Iterator[httpx.Client]:
    """The API as the first tenant sees it."""
    with api_client(emulator, emulator.api_keys[0]) as http:
        yield http


@pytest.fixture
def other(emulator: EmulatorServer) -> Iterator[httpx.Client]:
    """The API as the second tenant sees it."""
    with api_client(emulator, emulator.api_keys[1]) as http:
        yield http
