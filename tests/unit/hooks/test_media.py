"""stream_media: a recording in chunks, no API key to its host, within the deadline, errors without link."""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
import requests_mock as rm
import urllib3
from meetstream_fakes import API_KEY, BASE, MEDIA_HOST, MEDIA_SECRET, MEDIA_URL, FakeTime

from airflow_provider_meetstream.exceptions import (
    MeetStreamAPIError,
    MeetStreamAuthError,
    MeetStreamConnectionError,
    MeetStreamError,
    MeetStreamInputError,
    MeetStreamNotFoundError,
    MeetStreamServerError,
)
from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook
from airflow_provider_meetstream.hooks.wire import MediaLink

LINK = MediaLink(MEDIA_URL, 3600, "wav")
#: A recording of 10,240 bytes, every byte value present, so that a lost or reordered chunk shows.
RECORDING = bytes(range(256)) * 40


def assert_no_link(error: BaseException) -> None:
    """Neither the error nor anything chained to it shows the link's path or query."""
    seen: BaseException | None = error
    while seen is not None:
        for text in (str(seen), repr(seen), getattr(seen, "body", None) or ""):
            assert MEDIA_SECRET not in text
            assert "X-Signature" not in text
        # A requests exception carries the prepared request, and with it the URL.
        assert not isinstance(seen, requests.RequestException)
        seen = seen.__cause__ or seen.__context__


class TestDownload:
    def test_every_byte_is_written_in_chunks(self, hook: MeetStreamHook) -> None:
        chunks: list[bytes] = []
        with rm.Mocker() as mock:
            mock.get(MEDIA_URL, content=RECORDING, headers={"Content-Type": "audio/wav"})
            written = hook.stream_media(LINK, chunks.append, chunk_size=1000)
        assert written == len(RECORDING)
        assert b"".join(chunks) == RECORDING
        assert len(chunks) == 11
        assert max(len(chunk) for chunk in chunks) == 1000

    def test_the_link_host_gets_no_authorization_header(
        self, hook: MeetStreamHook, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        # Neither the hook's session auth nor a ~/.netrc entry for the host, which requests would
        # otherwise add: a presigned host refuses a second credential.
        netrc = tmp_path / "netrc"
        netrc.write_text(f"machine {MEDIA_HOST} login someone password s3cr3t\n")
        monkeypatch.setenv("NETRC", str(netrc))
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/calendar/scheduled", json={"scheduled_bots": []})
            mock.get(MEDIA_URL, content=RECORDING)
            hook.list_scheduled_bots()
            hook.stream_media(LINK, io.BytesIO().write)
        api, media = mock.request_history
        assert api.headers["Authorization"] == f"Token {API_KEY}"  # the same hook, with its key
        assert "Authorization" not in media.headers
        assert media.headers["User-Agent"] == api.headers["User-Agent"]
        assert API_KEY not in repr(dict(media.headers))
        assert media.url == MEDIA_URL  # sent exactly as signed
        assert hook.get_conn().auth is not None  # the hook's own session keeps its auth

    def test_the_download_is_within_the_hooks_timeouts(self, connection: Callable[..., None]) -> None:
        connection(extra='{"timeout": "7.5"}')
        with rm.Mocker() as mock:
            mock.get(MEDIA_URL, content=RECORDING)
            MeetStreamHook().stream_media(LINK, io.BytesIO().write)
        assert mock.last_request.timeout == (7.5, 7.5)

    def test_a_line_says_what_was_downloaded_never_the_link(
        self, hook: MeetStreamHook, caplog: pytest.LogCaptureFixture, capsys: pytest.CaptureFixture[str]
    ) -> None:
        caplog.set_level(logging.DEBUG)
        # Not requests-mock's own debug line, which shows the URL it matched.
        caplog.set_level(logging.INFO, logger="requests_mock")
        with rm.Mocker() as mock:
            mock.get(MEDIA_URL, content=RECORDING)
            hook.stream_media(LINK, io.BytesIO().write)
        # Ours: Airflow 3 writes it as a structured line, Airflow 2 through logging.
        ours = [record.getMessage() for record in caplog.records if record.name.startswith("airflow")]
        logged = "\n".join([*ours, *capsys.readouterr()])
        assert f"Downloaded 10240 bytes of the wav recording from {MEDIA_HOST}" in logged
        assert MEDIA_SECRET not in logged

    def test_an_error_of_write_reaches_the_caller(self, hook: MeetStreamHook) -> None:
        def full(chunk: bytes) -> None:
            raise OSError(28, "No space left on device")

        with rm.Mocker() as mock:
            mock.get(MEDIA_URL, content=RECORDING)
            with pytest.raises(OSError, match="No space left"):
                hook.stream_media(LINK, full)


class TestFailures:
    def test_403_means_the_link_expired(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            # A storage error body may quote the signed request: it is never kept.
            mock.get(MEDIA_URL, status_code=403, text=f"<Error>Request has expired {MEDIA_URL}</Error>")
            with pytest.raises(MeetStreamAPIError) as caught:
                hook.stream_media(LINK, io.BytesIO().write)
        error = caught.value
        # Not MeetStreamAuthError, which fails a task for good: a retry fetches a new link.
        assert not isinstance(error, MeetStreamAuthError)
        assert error.status_code == 403
        assert "has expired" in str(error)
        assert "fetch a new link" in str(error)
        assert MEDIA_HOST in str(error)
        assert error.body is None
        assert_no_link(error)
        assert mock.call_count == 1

    @pytest.mark.parametrize(
        ("status", "kind", "says"),
        [
            (404, MeetStreamNotFoundError, "deleted the bot's data"),
            (400, MeetStreamAPIError, "did not serve the recording"),
            (503, MeetStreamServerError, "did not serve the recording"),
            (302, MeetStreamAPIError, "redirected elsewhere; not followed"),
        ],
    )
    def test_other_statuses_name_the_host_and_status(
        self, hook: MeetStreamHook, status: int, kind: type[Exception], says: str
    ) -> None:
        with rm.Mocker() as mock:
            mock.get(
                MEDIA_URL,
                status_code=status,
                text=f"echo {MEDIA_URL}",
                headers={"Location": f"https://elsewhere.test/{MEDIA_SECRET}"},
            )
            with pytest.raises(kind) as caught:
                hook.stream_media(LINK, io.BytesIO().write)
        assert mock.call_count == 1  # bytes handed to write cannot be taken back: no retry
        assert f"answered {status}" in str(caught.value)
        assert says in str(caught.value)
        assert MEDIA_HOST in str(caught.value)
        assert_no_link(caught.value)

    @pytest.mark.parametrize(
        "failure",
        [
            requests.ConnectionError(f"Max retries exceeded with url: /{MEDIA_SECRET}"),
            requests.exceptions.SSLError(f"certificate verify failed for {MEDIA_URL}"),
            requests.ReadTimeout(f"Read timed out: {MEDIA_URL}"),
        ],
    )
    def test_no_answer_names_the_host_never_the_url(self, hook: MeetStreamHook, failure: Exception) -> None:
        with rm.Mocker() as mock:
            mock.get(MEDIA_URL, exc=failure)
            with pytest.raises(MeetStreamConnectionError) as caught:
                hook.stream_media(LINK, io.BytesIO().write)
        assert MEDIA_HOST in str(caught.value)
        assert type(failure).__name__ in str(caught.value)
        assert_no_link(caught.value)

    def test_a_body_cut_off_says_how_much_was_written(self, hook: MeetStreamHook) -> None:
        class CutOff(io.RawIOBase):
            # Serves 3,000 bytes, then the connection breaks.
            def __init__(self) -> None:
                self.left = 3000

            def readable(self) -> bool:
                return True

            def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
                if not self.left:
                    raise urllib3.exceptions.ProtocolError(f"Connection broken for /{MEDIA_SECRET}")
                size = min(len(buffer), self.left, 1000)
                buffer[:size] = b"x" * size
                self.left -= size
                return size

        written: list[bytes] = []
        with rm.Mocker() as mock:
            mock.get(MEDIA_URL, body=io.BufferedReader(CutOff()))
            with pytest.raises(MeetStreamConnectionError, match="after 3000 bytes: ProtocolError") as caught:
                hook.stream_media(LINK, written.append, chunk_size=1000)
        assert len(b"".join(written)) == 3000
        assert_no_link(caught.value)


class TestDeadline:
    def test_the_download_stops_at_the_deadline(
        self, connection: Callable[..., None], fake_time: FakeTime
    ) -> None:
        connection()
        hook = MeetStreamHook(deadline=5)
        written: list[bytes] = []

        def slow(chunk: bytes) -> None:
            written.append(chunk)
            fake_time.now += 2  # each chunk takes 2 s to arrive and be written

        with rm.Mocker() as mock:
            mock.get(MEDIA_URL, content=RECORDING)
            with pytest.raises(MeetStreamConnectionError, match="the deadline of 5 s passed") as caught:
                hook.stream_media(LINK, slow, chunk_size=1000)
        assert len(written) == 3  # 6 s: no read starts after the deadline
        assert mock.last_request.timeout == (5.0, 5.0)  # no timeout longer than the deadline either
        assert "after 3000 bytes" in str(caught.value)
        assert_no_link(caught.value)


class TestArguments:
    @pytest.mark.parametrize(
        ("call", "argument"),
        [
            (lambda hook: hook.stream_media(MEDIA_URL, io.BytesIO().write), "link"),
            (lambda hook: hook.stream_media({"download_url": MEDIA_URL}, io.BytesIO().write), "link"),
            (lambda hook: hook.stream_media(LINK, io.BytesIO()), "write"),
            (lambda hook: hook.stream_media(LINK, print, chunk_size=0), "chunk_size"),
            (lambda hook: hook.stream_media(LINK, print, chunk_size=True), "chunk_size"),
            (lambda hook: hook.stream_media(LINK, print, chunk_size=64 * 1024 * 1024 + 1), "chunk_size"),
        ],
    )
    def test_bad_arguments_are_refused_before_the_connection_is_read(
        self, monkeypatch: pytest.MonkeyPatch, call: Callable[[MeetStreamHook], object], argument: str
    ) -> None:
        monkeypatch.delenv("AIRFLOW_CONN_MEETSTREAM_DEFAULT", raising=False)
        with rm.Mocker() as mock, pytest.raises(MeetStreamInputError) as caught:
            call(MeetStreamHook())
        assert not mock.called
        assert caught.value.argument == argument
        assert_no_link(caught.value)  # a bare URL passed as the link is not shown either

    def test_a_plain_http_link_is_refused_beside_an_https_connection(self, hook: MeetStreamHook) -> None:
        link = MediaLink(f"http://{MEDIA_HOST}/{MEDIA_SECRET}", 60, "mp4")
        with rm.Mocker() as mock, pytest.raises(MeetStreamError, match="plain HTTP") as caught:
            hook.stream_media(link, io.BytesIO().write)
        assert not mock.called
        assert_no_link(caught.value)
