"""MeetStreamAsyncClient: each method a line over the endpoint table, arguments refused before any request."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from meetstream_fakes import API_KEY, AUDIO, CREATED, LINK, MEDIA_SECRET, MEDIA_URL, SEGMENTS, bots_page

from airflow_provider_meetstream.exceptions import (
    MeetStreamError,
    MeetStreamInputError,
    MeetStreamNotReadyError,
)
from airflow_provider_meetstream.hooks import async_client
from airflow_provider_meetstream.hooks.async_client import MeetStreamAsyncClient
from airflow_provider_meetstream.hooks.wire import MediaLink

Answering = Callable[[httpx.Request], httpx.Response]


@pytest.fixture
def serve(
    connection: Callable[..., None], waits: list[float], answer_async_requests: Callable[..., None]
) -> Callable[[Answering], list[httpx.Request]]:
    """On the default connection, answer the async client's requests with a handler; the list of them."""
    connection()

    def start(answer: Answering) -> list[httpx.Request]:
        seen: list[httpx.Request] = []

        def handler(request: httpx.Request) -> httpx.Response:
            seen.append(request)
            return answer(request)

        answer_async_requests(handler)
        return seen

    return start


class TestAsyncClient:
    """The async client shares the endpoint table, the policy and the answer readers."""

    @pytest.fixture
    def served(self, serve: Callable[[Answering], list[httpx.Request]]) -> list[httpx.Request]:
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
        return serve(lambda request: routes[request.url.path].pop(0))

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


class TestAsyncWorkspaceBotsAndMeetingData:
    """The new rows on the async client: the same names, paging as an async generator, links masked."""

    @pytest.fixture
    def served(self, serve: Callable[[Answering], list[httpx.Request]]) -> list[httpx.Request]:
        pages = {
            None: bots_page("b4", "b3", cursor="c2"),
            "c2": bots_page("b2", cursor="c3"),
            "c3": bots_page("b1"),
        }
        routes = {
            "/api/v1/bots/b1/get_participants": httpx.Response(200, json=[{"fullName": "Ada"}]),
            "/api/v1/bots/b1/get_speaker_timeline": httpx.Response(200, json=[{"speaker": "Ada"}]),
            "/api/v1/bots/b1/get_audio": httpx.Response(200, json=AUDIO),
            "/api/v1/bots/b1/get_video": httpx.Response(200, json={**AUDIO, "file_type": "mp4"}),
            "/api/v1/bots/b2/get_audio": httpx.Response(202, json={"message": "processing"}),
        }

        def answer(request: httpx.Request) -> httpx.Response:
            if request.url.path == "/api/v1/bots":
                return httpx.Response(200, json=pages[request.url.params.get("cursor")])
            return routes[request.url.path]

        return serve(answer)

    def test_every_method(self, served: list[httpx.Request], monkeypatch: pytest.MonkeyPatch) -> None:
        masked: list[str] = []

        async def mask(secret: str) -> None:
            masked.append(secret)

        monkeypatch.setattr(async_client, "_amask_secret", mask)

        async def scenario() -> dict[str, Any]:
            async with MeetStreamAsyncClient() as client:
                results: dict[str, Any] = {"page": await client.list_bots(page_size=2)}
                results["all"] = [bot["bot_id"] async for bot in client.iter_bots(page_size=2)]
                results["people"] = await client.get_participants("b1")
                results["timeline"] = await client.get_speaker_timeline("b1")
                results["audio"] = await client.get_audio_url("b1")
                results["video"] = await client.get_video_url("b1")
                with pytest.raises(MeetStreamNotReadyError):
                    await client.get_audio_url("b2")
                return results

        results = asyncio.run(scenario())
        assert results["page"] == bots_page("b4", "b3", cursor="c2")
        assert results["all"] == ["b4", "b3", "b2", "b1"]
        assert results["people"] == [{"fullName": "Ada"}]
        assert results["timeline"] == [{"speaker": "Ada"}]
        audio, video = results["audio"], results["video"]
        assert isinstance(audio, MediaLink)
        assert (audio.url, audio.expires_in, audio.file_type) == (MEDIA_URL, 3600, "wav")
        assert video.file_type == "mp4"
        assert MEDIA_SECRET not in repr(results)
        # The API key when the connection is read, then each link's URL and path with its query.
        assert masked == [API_KEY, *audio.secret_forms(), *video.secret_forms()]
        listing = [dict(request.url.params) for request in served if request.url.path == "/api/v1/bots"]
        assert listing == [
            {"limit": "2"},
            {"limit": "2"},
            {"limit": "2", "cursor": "c2"},
            {"limit": "2", "cursor": "c3"},
        ]

    def test_iter_bots_stops_where_its_caller_does(self, served: list[httpx.Request]) -> None:
        async def scenario() -> list[str]:
            async with MeetStreamAsyncClient() as client:
                bots = client.iter_bots()
                first = [(await anext(bots))["bot_id"]]
                await bots.aclose()
                return first

        assert asyncio.run(scenario()) == ["b4"]
        assert len(served) == 1

    def test_a_repeated_cursor_and_the_page_cap_stop_the_listing(
        self, serve: Callable[[Answering], list[httpx.Request]]
    ) -> None:
        serve(lambda request: httpx.Response(200, json=bots_page("b1", cursor="same")))

        async def listing(**arguments: Any) -> list[dict[str, Any]]:
            async with MeetStreamAsyncClient() as client:
                return [bot async for bot in client.iter_bots(**arguments)]

        with pytest.raises(MeetStreamError, match="cursor 'same' twice"):
            asyncio.run(listing())
        with pytest.raises(MeetStreamError, match="max_pages=1"):
            asyncio.run(listing(max_pages=1))

    def test_inputs_are_refused_before_any_request(self, served: list[httpx.Request]) -> None:
        async def scenario() -> None:
            async with MeetStreamAsyncClient() as client:
                for call, argument in [
                    (lambda: client.iter_bots(page_size=0), "page_size"),
                    (lambda: client.iter_bots(max_pages=0), "max_pages"),
                ]:
                    with pytest.raises(MeetStreamInputError) as caught:
                        call()  # refused when the generator is made, not when it is iterated
                    assert caught.value.argument == argument
                with pytest.raises(MeetStreamInputError, match="cursor"):
                    await client.list_bots(cursor="")
                for method in ("get_participants", "get_speaker_timeline", "get_audio_url", "get_video_url"):
                    with pytest.raises(MeetStreamInputError, match="bot_id"):
                        await getattr(client, method)("")

        asyncio.run(scenario())
        assert served == []


def test_a_refused_key_is_read_again_from_the_connection(
    serve: Callable[[Answering], list[httpx.Request]], connection: Callable[..., None]
) -> None:
    # A watcher's client lives as long as the triggerer: a key rotated in the connection is picked up.
    from airflow_provider_meetstream.exceptions import MeetStreamAuthError

    def answer(request: httpx.Request) -> httpx.Response:
        if request.headers["Authorization"] == "Token rotated-key":
            return httpx.Response(200, json={"bot_id": "b1", "status": "Done"})
        return httpx.Response(403, json={"detail": "Invalid API key."})

    served = serve(answer)

    async def twice() -> dict[str, Any]:
        async with MeetStreamAsyncClient() as client:
            with pytest.raises(MeetStreamAuthError):
                await client.get_bot_status("b1")
            connection(password="rotated-key")
            return await client.get_bot_status("b1")

    assert asyncio.run(twice())["status"] == "Done"
    assert [request.headers["Authorization"] for request in served] == [
        f"Token {API_KEY}",
        "Token rotated-key",
    ]
