"""verify_webhook: MeetStream's signature (RFC 4231 vectors, the official SDK), its headers and clock."""

from __future__ import annotations

import ast
import email.message
import hashlib
import hmac
import pickle
import sys
from pathlib import Path
from typing import Any

import pytest
from meetstream.webhooks import verify_webhook_signature

from airflow_provider_meetstream.exceptions import MeetStreamInputError
from airflow_provider_meetstream.webhooks import verify_webhook

NOW = 1_750_000_000.0
SECRET = "whsec_do-not-show-me"
#: RFC 4231, HMAC-SHA256: test case 1 and test case 2 (key, data, digest).
RFC_4231 = [
    (b"\x0b" * 20, b"Hi There", "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7"),
    (
        b"Jefe",
        b"what do ya want for nothing?",
        "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843",
    ),
]
SIG = "X-MeetStream-Signature"
STAMP = "X-MeetStream-Timestamp"


def _sign(body: bytes, secret: str | bytes = SECRET) -> str:
    key = secret.encode() if isinstance(secret, str) else secret
    return hmac.new(key, body, hashlib.sha256).hexdigest()


def _verify(body: Any, headers: Any, secret: Any = SECRET, **kwargs: Any) -> bool:
    kwargs.setdefault("now", NOW)
    return verify_webhook(body, headers, secret, **kwargs)


class TestKnownVectors:
    @pytest.mark.parametrize(("key", "data", "digest"), RFC_4231)
    @pytest.mark.parametrize("upper", [False, True], ids=["lower", "upper"])
    @pytest.mark.parametrize(
        "form", ["{}", "sha256={}", "  sha256={} \n"], ids=["bare", "prefixed", "padded"]
    )
    def test_accepted_bare_prefixed_in_either_case(
        self, key: bytes, data: bytes, digest: str, form: str, upper: bool
    ) -> None:
        signature = form.format(digest.upper() if upper else digest)
        assert verify_webhook(data, {SIG: signature}, key, now=NOW)
        assert hmac.new(key, data, hashlib.sha256).hexdigest() == digest

    @pytest.mark.parametrize(("key", "data", "digest"), RFC_4231)
    def test_one_flipped_hex_digit_refused(self, key: bytes, data: bytes, digest: str) -> None:
        flipped = digest[:10] + format(int(digest[10], 16) ^ 1, "x") + digest[11:]
        assert not verify_webhook(data, {SIG: flipped}, key, now=NOW)

    @pytest.mark.parametrize(("key", "data", "digest"), RFC_4231)
    def test_one_changed_body_byte_refused(self, key: bytes, data: bytes, digest: str) -> None:
        changed = bytes([data[0] ^ 0x20]) + data[1:]
        assert not verify_webhook(changed, {SIG: digest}, key, now=NOW)

    @pytest.mark.parametrize(("key", "data", "digest"), RFC_4231)
    def test_another_secret_refused(self, key: bytes, data: bytes, digest: str) -> None:
        assert not verify_webhook(data, {SIG: digest}, key + b"!", now=NOW)


class TestAgreesWithTheOfficialSdk:
    @pytest.mark.parametrize(
        "body",
        [
            '{"event":"bot.stopped","bot_id":"b1","message":"Zoë left — 会议结束 🎉"}'.encode(),
            b"",
            b" \n\t{ }\r\n ",
            b'{"a": 1,  "b":[1,2]}',
        ],
    )
    @pytest.mark.parametrize("prefix", ["", "sha256="])
    def test_same_verdict_on_good_and_bad_signatures(self, body: bytes, prefix: str) -> None:
        good = prefix + _sign(body)
        bad = prefix + _sign(body + b"x")
        for signature in (good, bad):
            sdk = verify_webhook_signature(body, signature, SECRET)
            assert _verify(body, {SIG: signature}) is sdk
        assert verify_webhook_signature(body, good, SECRET)


class TestHeaders:
    @pytest.mark.parametrize("name", ["x-meetstream-signature", "X-MEETSTREAM-SIGNATURE", SIG])
    def test_names_in_any_case(self, name: str) -> None:
        assert _verify(b"{}", {name: _sign(b"{}")})

    def test_asgi_byte_pairs(self) -> None:
        headers = [
            (b"content-type", b"application/json"),
            (b"x-meetstream-signature", f"sha256={_sign(b'{}')}".encode("latin-1")),
            (b"x-meetstream-timestamp", b"1750000000"),
        ]
        assert _verify(b"{}", headers)

    def test_http_message_headers(self) -> None:
        message = email.message.Message()
        message["X-MeetStream-Signature"] = _sign(b"{}")
        assert _verify(b"{}", message)

    def test_repeated_with_different_values_refused(self) -> None:
        good, other = _sign(b"{}"), _sign(b"[]")
        assert not _verify(b"{}", [(SIG, good), (SIG.lower(), other)])
        assert not _verify(b"{}", {SIG: good, SIG.upper(): other})
        assert not _verify(b"{}", [(SIG, good), (STAMP, str(NOW)), (STAMP, str(NOW + 1))])

    def test_repeated_with_the_same_value_accepted(self) -> None:
        assert _verify(b"{}", [(SIG, _sign(b"{}")), (SIG.lower(), _sign(b"{}"))])

    @pytest.mark.parametrize(
        "signature",
        ["", "   ", "sha256=", "sha256=" + "g" * 64, "ab" * 31, "ab" * 33, "é" * 64, "sha1=" + "0" * 40],
    )
    def test_malformed_signature_refused(self, signature: str) -> None:
        assert not _verify(b"{}", {SIG: signature})

    def test_missing_signature_refused(self) -> None:
        assert not _verify(b"{}", {"Content-Type": "application/json", STAMP: str(NOW)})
        assert not _verify(b"{}", [])

    @pytest.mark.parametrize("headers", [None, 42, "x-meetstream-signature", [(SIG,)], {SIG: ["a", "b"]}])
    def test_unreadable_headers_raise(self, headers: Any) -> None:
        with pytest.raises(MeetStreamInputError, match="Invalid headers="):
            _verify(b"{}", headers)


class TestTimestamp:
    def _headers(self, stamp: str) -> dict[str, str]:
        return {SIG: _sign(b"{}"), STAMP: stamp}

    @pytest.mark.parametrize("offset", [-300, -299.5, 0, 299.5, 300])
    def test_within_tolerance_accepted_either_side(self, offset: float) -> None:
        assert _verify(b"{}", self._headers(repr(NOW + offset)))

    @pytest.mark.parametrize("offset", [-300.5, -301, 300.5, 301])
    def test_just_outside_refused_either_side(self, offset: float) -> None:
        assert not _verify(b"{}", self._headers(repr(NOW + offset)))

    def test_integer_and_decimal_strings(self) -> None:
        assert _verify(b"{}", self._headers("1750000000"))
        assert _verify(b"{}", self._headers(" 1750000010.25 "))
        assert not _verify(b"{}", self._headers("1750000000"), tolerance=10, now=NOW + 11)

    @pytest.mark.parametrize(
        "stamp",
        [
            "",
            "soon",
            "nan",
            "NaN",
            "inf",
            "-inf",
            "Infinity",
            "1e9",
            "1_750_000_000",
            "\u0661\u0667\u0665" + "\u0660" * 7,  # Arabic-Indic digits, which float() reads
            "9" * 400,
        ],
    )
    def test_not_a_finite_number_refused(self, stamp: str) -> None:
        assert not _verify(b"{}", self._headers(stamp), tolerance=sys.float_info.max)

    def test_absent_is_not_checked(self) -> None:
        assert _verify(b"{}", {SIG: _sign(b"{}")}, now=0.0)

    def test_zero_tolerance_needs_the_exact_second(self) -> None:
        assert _verify(b"{}", self._headers("1750000000"), tolerance=0)
        assert not _verify(b"{}", self._headers("1750000000.5"), tolerance=0)

    def test_now_defaults_to_the_clock(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr("airflow_provider_meetstream.webhooks.time.time", lambda: NOW + 60)
        assert verify_webhook(b"{}", self._headers(repr(NOW)), SECRET)
        assert not verify_webhook(b"{}", self._headers(repr(NOW)), SECRET, tolerance=59)

    def test_the_signature_still_counts_when_recent(self) -> None:
        assert not _verify(b"{}", {SIG: _sign(b"[]"), STAMP: repr(NOW)})


class TestInputs:
    def test_str_body_is_its_utf8_bytes(self) -> None:
        text = '{"title":"Réunion 週次"}'
        signature = _sign(text.encode("utf-8"))
        assert _verify(text, {SIG: signature})
        assert _verify(bytearray(text.encode()), {SIG: signature})
        assert _verify(memoryview(text.encode()), {SIG: signature})
        assert not _verify(text.encode("latin-1", "replace"), {SIG: signature})

    def test_bytes_secret_is_its_str(self) -> None:
        signature = _sign(b"{}", "clé")
        assert _verify(b"{}", {SIG: signature}, "clé")
        assert _verify(b"{}", {SIG: signature}, "clé".encode())

    def test_unencodable_str_body_refused(self) -> None:
        assert not _verify("{\ud800}", {SIG: _sign(b"{}")})

    @pytest.mark.parametrize("body", [{"event": "bot.stopped"}, None, 42, ["{}"]])
    def test_parsed_body_raises(self, body: Any) -> None:
        with pytest.raises(MeetStreamInputError, match=r"Invalid body=.*raw request body as received"):
            _verify(body, {SIG: _sign(b"{}")})

    @pytest.mark.parametrize("tolerance", [-1, -0.001, float("nan"), float("inf"), "300", True, None])
    def test_bad_tolerance_raises(self, tolerance: Any) -> None:
        with pytest.raises(MeetStreamInputError, match="Invalid tolerance="):
            _verify(b"{}", {SIG: _sign(b"{}")}, tolerance=tolerance)

    @pytest.mark.parametrize("now", [float("nan"), float("inf"), "now", -1])
    def test_bad_now_raises(self, now: Any) -> None:
        with pytest.raises(MeetStreamInputError, match="Invalid now="):
            verify_webhook(b"{}", {SIG: _sign(b"{}")}, SECRET, now=now)

    @pytest.mark.parametrize("secret", ["", b"", None])
    def test_empty_secret_raises_even_without_a_signature(self, secret: Any) -> None:
        for headers in ({SIG: _sign(b"{}")}, {}):
            with pytest.raises(MeetStreamInputError, match=r"Invalid secret=.*non-empty"):
                _verify(b"{}", headers, secret)

    @pytest.mark.parametrize("secret", [SECRET + "\ud800", 12345678987654321, [SECRET]])
    def test_secret_never_shown(self, secret: Any) -> None:
        with pytest.raises(MeetStreamInputError, match="Invalid secret=") as caught:
            _verify(b"{}", {SIG: _sign(b"{}")}, secret)
        err = caught.value
        shown = [str(err), repr(err), repr(err.value), repr(pickle.dumps(err)), repr(err.serialize())]
        for text in shown:
            assert "do-not-show-me" not in text
            assert "987654321" not in text
        assert err.__cause__ is None
        assert err.__context__ is None  # a codec's error would hold the whole text


def test_imports_only_the_standard_library_and_the_providers_checks() -> None:
    path = Path(__file__).resolve().parents[2] / "airflow_provider_meetstream" / "webhooks.py"
    imported = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module:
            imported.add(node.module.split(".")[0])
        elif isinstance(node, ast.Import):
            imported.update(alias.name.split(".")[0] for alias in node.names)
    assert imported - set(sys.stdlib_module_names) == {"airflow_provider_meetstream"}
