"""MeetStreamAsyncClient: each method a line over the endpoint table, arguments refused before any request."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from meetstream_fakes import CREATED, LINK, SEGMENTS

from airflow_provider_meetstream.exceptions import MeetStreamInputError, MeetStreamNotReadyError
from airflow_provider_meetstream.hooks.async_client import MeetStreamAsyncClient


class TestAsyncClient:
    """The async client shares the endpoint table, the policy and the answer readers."""

    @pytest.fixture
    def served(
        self,
        connection: Callable[..., None],
        waits: list[float],
        answer_async_requests: Callable[..., None],
    ) -> list[httpx.Request]:
        connection()
        seen: list[httpx.Request] = []
        routes = {
            "/api/v1/bots/create_bot": [httpx.Response(503), httpx.Response(507, json=CREATED)],
            "/api/v1/bots/b1/detail": [
                httpx.Response(200, json={"bot_details": {"bot_id": "b1"}, "transcript_id": "tr_1"})
            ],
            "/api/v1/bots/b1/transcriptions": [
                httpx.Response(200, json={"transcriptions": [{"transcript_id": "tr_1", "status": "success"}]})
            ],
            "/api/v1/transcript/tr_1/get_transcript": [
                httpx.Response(202, headers={"Retry-After": "5"}),
                httpx.Response(200, json={"message": SEGMENTS}),
            ],
            "/api/v1/bots/b1/remove_bot": [httpx.Response(200, json={"message": "Bot removed"})],
        }

        def handler(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return routes[request.url.path].pop(0)

        answer_async_requests(handler)
        return seen

    def test_every_method(self, served: list[httpx.Request]) -> None:
        async def scenario() -> dict[str, Any]:
            async with MeetStreamAsyncClient() as client:
                results: dict[str, Any] = {"created": await client.create_bot(LINK, idempotency_key="k-1")}
                results["detail"] = await client.get_bot_detail("b1")
                results["transcriptions"] = await client.list_transcriptions("b1")
                with pytest.raises(MeetStreamNotReadyError) as caught:
                    await client.get_transcript("tr_1")
                results["retry_after"] = caught.value.retry_after
                results["segments"] = await client.get_transcript("tr_1")
                results["removed"] = await client.remove_bot("b1")
                return results

        results = asyncio.run(scenario())
        assert results == {
            "created": CREATED,
            "detail": {"bot_id": "b1", "transcript_id": "tr_1"},
            "transcriptions": [{"transcript_id": "tr_1", "status": "success"}],
            "retry_after": 5.0,
            "segments": SEGMENTS,
            "removed": {"message": "Bot removed"},
        }
        posts = [request for request in served if request.method == "POST"]
        assert [request.headers["Idempotency-Key"] for request in posts] == ["k-1", "k-1"]
        assert json.loads(posts[0].content) == {"meeting_link": LINK}
        assert [request.method for request in served if "remove_bot" in request.url.path] == ["GET"]
        assert {
            request.url.params.get("raw") for request in served if "get_transcript" in request.url.path
        } == {"false"}

    def test_inputs_are_refused_before_any_request(self, served: list[httpx.Request]) -> None:
        async def scenario() -> None:
            async with MeetStreamAsyncClient() as client:
                with pytest.raises(MeetStreamInputError):
                    await client.create_bot("javascript:alert(1)")
                with pytest.raises(MeetStreamInputError):
                    await client.get_transcript("")

        asyncio.run(scenario())
        assert served == []
