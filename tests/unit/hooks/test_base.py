"""MeetStreamBaseHook: built without I/O, test_connection, one pooled session, the key and links masked."""

from __future__ import annotations

import re

import pytest
import requests
import requests_mock as rm
from meetstream_fakes import API_KEY, AUDIO, BASE, MEDIA_SECRET, MEDIA_URL

from airflow_provider_meetstream.hooks import base
from airflow_provider_meetstream.hooks.config import MeetStreamAuth
from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook


class TestHook:
    def test_no_io_in_init(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("AIRFLOW_CONN_MEETSTREAM_DEFAULT", raising=False)
        hook = MeetStreamHook("does_not_exist", timeout=3, max_retries=2)
        assert hook.meetstream_conn_id == "does_not_exist"

    def test_key_is_registered_with_the_masker(
        self, monkeypatch: pytest.MonkeyPatch, hook: MeetStreamHook
    ) -> None:
        masked: list[object] = []
        monkeypatch.setattr(base, "mask_secret", lambda secret, name=None: masked.append(secret))
        assert hook.config.api_key == API_KEY
        assert masked == [API_KEY]

    def test_a_media_link_is_registered_with_the_masker(
        self, monkeypatch: pytest.MonkeyPatch, hook: MeetStreamHook
    ) -> None:
        # urllib3's debug lines show the path and query without the host: both forms are masked.
        masked: list[object] = []
        monkeypatch.setattr(base, "mask_secret", lambda secret, name=None: masked.append(secret))
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/bots/b1/get_audio", json=AUDIO)
            mock.get(f"{BASE}/bots/b1/get_video", json={**AUDIO, "file_type": "mp4"})
            hook.get_audio_url("b1")
            hook.get_video_url("b1")
        assert masked == [API_KEY, MEDIA_URL, f"/{MEDIA_SECRET}", MEDIA_URL, f"/{MEDIA_SECRET}"]

    def test_test_connection(self, hook: MeetStreamHook) -> None:
        with rm.Mocker() as mock:
            mock.get(f"{BASE}/calendar/scheduled", json={"scheduled_bots": []})
            ok, message = hook.test_connection()
            assert ok
            assert re.fullmatch(
                rf"Connected to MeetStream: GET {re.escape(BASE)}/calendar/scheduled answered in \d+ ms; "
                r"no bot is scheduled\.",
                message,
            )
            assert mock.last_request.qs == {"limit": ["1"]}
            mock.get(f"{BASE}/calendar/scheduled", status_code=401, json={"message": "Invalid token"})
            ok, message = hook.test_connection()
        assert not ok
        assert "401" in message
        assert "Invalid token" in message


class TestSession:
    """One pooled session per hook; threads beyond the pool wait for a pooled connection (finding 11)."""

    def test_one_pooled_session_per_hook(self, hook: MeetStreamHook) -> None:
        session = hook.get_conn()
        with rm.Mocker() as mock:
            mock.get(rm.ANY, json={"scheduled_bots": []})
            hook.list_scheduled_bots()
            hook.list_scheduled_bots()
        assert hook.get_conn() is session
        assert isinstance(session.auth, MeetStreamAuth)
        assert session.get_adapter(BASE)._pool_maxsize == 10
        assert MeetStreamHook(pool_maxsize=32).get_conn().get_adapter(BASE)._pool_maxsize == 32

    def test_the_pool_blocks(self, hook: MeetStreamHook) -> None:
        adapter = hook.get_conn().get_adapter(BASE)
        assert adapter._pool_block is True
        assert adapter._pool_maxsize == 10

    def test_environment_ca_bundle_and_proxy_are_honoured(
        self, hook: MeetStreamHook, monkeypatch: pytest.MonkeyPatch, tmp_path
    ) -> None:
        bundle = tmp_path / "corporate-ca.pem"
        bundle.write_text("")
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
        monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
        with rm.Mocker() as mock:
            mock.get(rm.ANY, json={"scheduled_bots": []})
            hook.list_scheduled_bots()
        assert mock.last_request.verify == str(bundle)
        assert mock.last_request.proxies.get("https") == "http://proxy.internal:3128"

    def test_environment_is_read_once_per_session(
        self, hook: MeetStreamHook, monkeypatch: pytest.MonkeyPatch, tmp_path
    ) -> None:
        bundle = tmp_path / "corporate-ca.pem"
        bundle.write_text("")
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(bundle))
        reads: list[str] = []
        merge = requests.Session.merge_environment_settings

        def counted(session: requests.Session, url: str, *args: object) -> object:
            reads.append(url)
            return merge(session, url, *args)

        monkeypatch.setattr(requests.Session, "merge_environment_settings", counted)
        with rm.Mocker() as mock:
            mock.get(rm.ANY, json={"scheduled_bots": [], "status": "Scheduled"})
            hook.list_scheduled_bots()
            hook.get_bot_status("b1")
            assert reads == [BASE]
            assert mock.last_request.verify == str(bundle)
            hook.close()  # a new session reads the environment again
            hook.list_scheduled_bots()
        assert reads == [BASE, BASE]
