"""Scrubbing the API key from answers, errors and trigger events, in every form it may come back in."""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote, quote_plus

from airflow_provider_meetstream.constants import MIN_SCRUBBED_SECRET_LENGTH

#: Replaces the API key wherever an answer, an error or a trigger event carries it.
SCRUBBED = "***"
_ESCAPES = re.compile(r"%[0-9A-Fa-f]{2}|\\u[0-9A-Fa-f]{4}")


def secret_forms(secret: Any) -> tuple[str, ...]:
    """
    The forms in which a key may come back: raw, JSON-escaped, percent-encoded, in either hex case.

    Empty for a key shorter than ``MIN_SCRUBBED_SECRET_LENGTH``: replacing a short key would
    corrupt answers (a key ``K`` turns ``FREQ=WEEKLY`` into ``FREQ=WEE***LY``); such a key is still
    registered with Airflow's secrets masker for logs.

    :param secret: The API key; anything but a long enough string means nothing to scrub.
    """
    if not isinstance(secret, str) or len(secret) < MIN_SCRUBBED_SECRET_LENGTH:
        return ()
    forms = {secret}
    for ascii_only in (True, False):
        escaped = json.dumps(secret, ensure_ascii=ascii_only)[1:-1]
        forms |= {escaped, escaped.replace("/", "\\/")}
    forms |= {quote(secret, safe=""), quote(secret), quote_plus(secret), quote_plus(secret, safe="/")}
    forms |= {_ESCAPES.sub(_lower_hex, form) for form in forms} | {
        _ESCAPES.sub(_upper_hex, form) for form in forms
    }
    return tuple(sorted(forms, key=len, reverse=True))


def _lower_hex(match: re.Match[str]) -> str:
    escape = match.group(0)
    head = 1 if escape.startswith("%") else 2
    return escape[:head] + escape[head:].lower()


def _upper_hex(match: re.Match[str]) -> str:
    escape = match.group(0)
    head = 1 if escape.startswith("%") else 2
    return escape[:head] + escape[head:].upper()


def scrub(text: str | None, secret: Any) -> str | None:
    """
    Replace every form of the API key in ``text`` with ``***`` (see :func:`secret_forms`).

    :param text: Any text: a body, a header, a message; None passes through.
    :param secret: The API key.
    """
    return replace_forms(text, secret_forms(secret)) if text else text


def scrub_value(value: Any, secret: Any) -> Any:
    """
    The structural :func:`scrub`: replace the key inside every string (keys too) of decoded JSON.

    :param value: A decoded answer, an error's fields, a trigger event.
    :param secret: The API key.
    """
    forms = secret_forms(secret)
    return replace_forms_in(value, forms) if forms else value


def replace_forms(text: str, forms: tuple[str, ...]) -> str:
    """Replace each of ``forms`` (from :func:`secret_forms`) in ``text`` with ``***``."""
    for form in forms:
        text = text.replace(form, SCRUBBED)
    return text


def replace_forms_in(value: Any, forms: tuple[str, ...]) -> Any:
    """Replace each of ``forms`` inside every string of ``value``, dict keys included."""
    if isinstance(value, str):
        return replace_forms(value, forms)
    if isinstance(value, dict):
        return {replace_forms_in(key, forms): replace_forms_in(item, forms) for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(replace_forms_in(item, forms) for item in value)
    return value
