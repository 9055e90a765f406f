"""What a MeetStream client needs from its Airflow connection: base URL, API key and its headers, timeouts."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from airflow_provider_meetstream import __version__, validation
from airflow_provider_meetstream.constants import (
    API_PREFIX,
    DEFAULT_BASE_URL,
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_DEADLINE,
    DEFAULT_MAX_ATTEMPTS,
    DEFAULT_READ_TIMEOUT,
    MAX_ATTEMPTS_BOUND,
    MAX_DEADLINE,
    MAX_TIMEOUT,
    MIN_TIMEOUT,
)
from airflow_provider_meetstream.exceptions import MeetStreamError
from airflow_provider_meetstream.get_provider_info import CONN_FIELDS, UI_FIELD_BEHAVIOUR

if TYPE_CHECKING:
    import requests

USER_AGENT = f"airflow-provider-meetstream/{__version__}"


def auth_headers(api_key: str) -> dict[str, str]:
    """The headers that authenticate a request, in both clients: the API key and the User-Agent."""
    return {"Authorization": f"Token {api_key}", "User-Agent": USER_AGENT}


class MeetStreamAuth:
    """The sync hook's ``requests`` auth: adds ``Authorization: Token <key>`` and the User-Agent."""

    def __init__(self, api_key: str) -> None:
        self._api_key = api_key

    def __call__(self, request: requests.PreparedRequest) -> requests.PreparedRequest:
        request.headers.update(auth_headers(self._api_key))
        return request

    def __repr__(self) -> str:
        return "MeetStreamAuth(api_key='***')"


@dataclass(frozen=True)
class ClientConfig:
    """
    Everything needed to talk to MeetStream, read from a connection.

    :param base_url: The API root, ending in ``/api/v1``.
    :param api_key: The API key; never shown by ``repr``.
    :param connect_timeout: Seconds to establish a connection.
    :param read_timeout: Seconds to wait for an answer.
    :param max_attempts: Attempts per request, the first included.
    :param deadline: Seconds one call may take in all: connect, reads, retries and waits.
    """

    base_url: str
    api_key: str = field(repr=False)
    connect_timeout: float = DEFAULT_CONNECT_TIMEOUT
    read_timeout: float = DEFAULT_READ_TIMEOUT
    max_attempts: int = DEFAULT_MAX_ATTEMPTS
    deadline: float = DEFAULT_DEADLINE


def normalize_base_url(host: str | None, port: int | None = None) -> str:
    """
    Turn a connection's host into the API root ``scheme://host[:port]/api/v1``.

    The host may come with or without a scheme (a bare host means https) and with or without the
    ``/api/v1`` suffix; an empty host means MeetStream's public API.

    :param host: The connection's host field.
    :param port: The connection's port field, used when the host names none.
    """
    raw = (host or "").strip() or DEFAULT_BASE_URL
    if "://" not in raw:
        raw = f"https://{raw}"
    parts = urlsplit(raw)
    if not parts.hostname:
        # Without what a user:password@ would carry: the host field is not a secret field.
        shown = (host or "").rpartition("@")[2]
        raise MeetStreamError(f"The MeetStream connection's host {shown!r} is not a URL.")
    netloc = parts.netloc
    if port and parts.port is None:
        netloc = f"{netloc}:{port}"
    path = parts.path.rstrip("/")
    if not path.endswith(API_PREFIX):
        path = f"{path}{API_PREFIX}"
    return f"{parts.scheme}://{netloc}{path}"


def checked_overrides(
    timeout: Any, max_retries: Any, deadline: Any
) -> tuple[float | None, int | None, float | None]:
    """
    Check a client's own ``timeout``, ``max_retries`` and ``deadline``; None leaves the connection's.

    :param timeout: Read timeout in seconds.
    :param max_retries: Attempts per request, the first included.
    :param deadline: Seconds one call may take in all.
    """
    return (
        None if timeout is None else _timeout(timeout, "timeout"),
        None if max_retries is None else _attempts(max_retries, "max_retries"),
        None if deadline is None else _deadline(deadline, "deadline"),
    )


def _timeout(value: Any, argument: str) -> float:
    return validation.seconds(value, argument, MIN_TIMEOUT, MAX_TIMEOUT, rendered=True)


def _deadline(value: Any, argument: str) -> float:
    return validation.seconds(value, argument, MIN_TIMEOUT, MAX_DEADLINE, rendered=True)


def _attempts(value: Any, argument: str) -> int:
    return validation.integer(value, argument, 1, MAX_ATTEMPTS_BOUND, rendered=True)


def build_config(
    conn_id: str,
    conn: Any,
    extra: Mapping[str, Any],
    timeout: float | None = None,
    max_retries: int | None = None,
    deadline: float | None = None,
) -> ClientConfig:
    """
    Build a :class:`ClientConfig` from a connection; the client's own arguments win over extras.

    :param conn_id: The connection id, named in errors.
    :param conn: The Airflow connection: its ``host``, ``port`` and ``password`` (the API key).
    :param extra: The connection's extras (``timeout``, ``max_retries``, ``deadline``,
        ``allow_insecure_http``), strings accepted.
    :param timeout: The client's ``timeout`` argument, already checked.
    :param max_retries: The client's ``max_retries`` argument, already checked.
    :param deadline: The client's ``deadline`` argument, already checked.
    :raises MeetStreamError: Without an API key, or when it would go over plain HTTP to a host
        beyond loopback without the ``allow_insecure_http`` extra.
    """
    password = conn.password
    if not password:
        raise MeetStreamError(
            f"The Airflow connection {conn_id!r} has no MeetStream API key: set its password field."
        )
    if not password.isprintable() or not _fits_a_header(password):
        # HTTP header values are Latin-1: anything else fails deep inside the HTTP library.
        raise MeetStreamError(
            f"The Airflow connection {conn_id!r} has an API key that an HTTP header cannot carry "
            "(control characters, or characters beyond Latin-1): check its password field."
        )
    if timeout is None and extra.get("timeout") not in (None, ""):
        timeout = _timeout(extra["timeout"], f"extra timeout of connection {conn_id!r}")
    if max_retries is None and extra.get("max_retries") not in (None, ""):
        max_retries = _attempts(extra["max_retries"], f"extra max_retries of connection {conn_id!r}")
    if deadline is None and extra.get("deadline") not in (None, ""):
        deadline = _deadline(extra["deadline"], f"extra deadline of connection {conn_id!r}")
    read_timeout = DEFAULT_READ_TIMEOUT if timeout is None else timeout
    base_url = normalize_base_url(conn.host, conn.port)
    check_transport_security(conn_id, base_url, extra.get("allow_insecure_http"))
    return ClientConfig(
        base_url=base_url,
        api_key=password,
        connect_timeout=min(DEFAULT_CONNECT_TIMEOUT, read_timeout),
        read_timeout=read_timeout,
        max_attempts=DEFAULT_MAX_ATTEMPTS if max_retries is None else max_retries,
        deadline=DEFAULT_DEADLINE if deadline is None else deadline,
    )


def check_transport_security(conn_id: str, base_url: str, allow_insecure_http: Any) -> None:
    """
    Refuse to send the API key over plain HTTP to a host beyond loopback, unless the connection allows it.

    Anyone on the path of a plain HTTP request reads the key; loopback (127.0.0.0/8, ::1,
    ``localhost``) never leaves the machine, which is where emulators and local proxies live.

    :param conn_id: The connection id, named in the error.
    :param base_url: The normalised API root.
    :param allow_insecure_http: The connection's ``allow_insecure_http`` extra: true or ``"true"``.
    """
    parts = urlsplit(base_url)
    if parts.scheme != "http" or _is_loopback(parts.hostname or ""):
        return
    if allow_insecure_http is True or (
        isinstance(allow_insecure_http, str) and allow_insecure_http.strip().lower() == "true"
    ):
        return
    raise MeetStreamError(
        f"The Airflow connection {conn_id!r} points at {parts.scheme}://{parts.hostname}, plain HTTP "
        "beyond loopback, which would send the MeetStream API key unencrypted: use https, or set the "
        "connection's extra allow_insecure_http to true if the network is trusted."
    )


def _fits_a_header(text: str) -> bool:
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        return False
    return True


def _is_loopback(hostname: str) -> bool:
    if hostname.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(hostname).is_loopback
    except ValueError:
        return False


def ui_field_behaviour() -> dict[str, Any]:
    """The standard connection fields relabelled and hidden, in the form Airflow before 3.2 reads."""
    return {
        "hidden_fields": list(UI_FIELD_BEHAVIOUR["hidden-fields"]),
        "relabeling": dict(UI_FIELD_BEHAVIOUR["relabeling"]),
        "placeholders": dict(UI_FIELD_BEHAVIOUR["placeholders"]),
    }


def connection_form_widgets() -> dict[str, Any]:
    """The connection's extra fields, as Airflow before 3.2 builds its form."""
    from flask_appbuilder.fieldwidgets import BS3TextFieldWidget
    from flask_babel import lazy_gettext
    from wtforms import BooleanField, IntegerField, StringField
    from wtforms.validators import NumberRange, Optional, Regexp

    def seconds_field(name: str) -> Any:
        # Airflow 2 forms support no FloatField; the hook parses the string.
        return StringField(
            lazy_gettext(CONN_FIELDS[name]["label"]),
            description=CONN_FIELDS[name]["description"],
            widget=BS3TextFieldWidget(),
            validators=[Optional(), Regexp(r"^\d+(\.\d+)?$", message="A number of seconds")],
        )

    attempts, insecure = CONN_FIELDS["max_retries"], CONN_FIELDS["allow_insecure_http"]
    return {
        "timeout": seconds_field("timeout"),
        "max_retries": IntegerField(
            lazy_gettext(attempts["label"]),
            description=attempts["description"],
            widget=BS3TextFieldWidget(),
            validators=[Optional(), NumberRange(min=1, max=MAX_ATTEMPTS_BOUND)],
        ),
        "deadline": seconds_field("deadline"),
        "allow_insecure_http": BooleanField(
            lazy_gettext(insecure["label"]), description=insecure["description"], default=False
        ),
    }
