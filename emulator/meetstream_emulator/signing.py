"""
Signed opaque tokens: a JSON object and its HMAC, so that the emulator knows what it issued.

The listings' cursors and the presigned media links are such tokens: base64url JSON, a dot, and a
truncated HMAC-SHA256 of the JSON under the secret of the model that issued them. A token altered,
forged, or issued under another secret (another model's, or another emulator's, a restarted one's
included) does not verify. The encoding is URL-safe, so a token is one path segment.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping
from typing import Any


def sign(fields: Mapping[str, Any], secret: bytes) -> str:
    """
    An opaque token holding ``fields``, signed with ``secret``.

    :param fields: JSON-serialisable fields.
    :param secret: The issuing model's signing key.
    """
    payload = json.dumps(fields, separators=(",", ":"), sort_keys=True).encode()
    return f"{_b64(payload)}.{_b64(_signature(payload, secret))}"


def unsign(token: str, secret: bytes) -> dict[str, Any]:
    """
    The fields of a token issued by :func:`sign` with the same secret.

    :param token: The token as received.
    :param secret: The issuing model's signing key.
    :raises ValueError: For a malformed token, a signature that does not verify, or no JSON object.
    """
    encoded, dot, signature = token.partition(".")
    payload = _unb64(encoded)
    if not dot or not hmac.compare_digest(_unb64(signature), _signature(payload, secret)):
        raise ValueError("The token does not verify.")
    fields = json.loads(payload.decode())
    if not isinstance(fields, dict):
        raise ValueError("The token holds no object.")
    return fields


def _signature(payload: bytes, secret: bytes) -> bytes:
    return hmac.new(secret, payload, hashlib.sha256).digest()[:16]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    if not text or not text.isascii():
        raise ValueError(text)
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
