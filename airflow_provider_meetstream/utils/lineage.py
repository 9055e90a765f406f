"""Lineage names without Airflow: OpenLineage's (namespace, name) of a URI, and MeetStream's own assets."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

if TYPE_CHECKING:
    from airflow.providers.openlineage.extractors import OperatorLineage

#: The URI scheme, and OpenLineage namespace prefix, of what MeetStream's API holds.
SCHEME = "meetstream"
#: The collection of a bot under an API's authority: ``meetstream://<host>/bots/<bot_id>``.
BOTS = "bots"
#: A URI scheme (RFC 3986), two letters at least: ``C://`` is a Windows drive, not a scheme.
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]+")


def dataset_name(uri: str) -> tuple[str, str]:
    """
    A stored object's OpenLineage dataset ``(namespace, name)``, by the spec's naming rules.

    A local file (``file://`` or a bare path) is ``("file", <absolute path>)``; ``s3://bucket/key``
    is ``("s3://bucket", "key")``, ``gs://bucket/key`` likewise, and any other
    ``scheme://authority/path`` is ``("scheme://authority", "path")``, without the leading slash,
    and without a ``user:password@`` the URI may carry. The path is kept as written
    (percent-escapes included): it is the object's real name.

    :param uri: The object's URI, e.g. ``str()`` of an ``ObjectStoragePath``.
    """
    # Split by hand, not with urlsplit: an ObjectStoragePath's string is not percent-encoded, so a
    # "?" or "#" in it is part of the object's name, not a query or a fragment.
    scheme, separator, rest = uri.partition("://")
    if not separator or not _SCHEME.fullmatch(scheme):
        return "file", os.path.abspath(uri)
    host, _, path = rest.partition("/")
    user, at, machine = host.rpartition("@")
    if at and ":" in user:
        # A user and password in the URI never reach lineage; abfss's "container@account" stays.
        host = machine
    if scheme.lower() == "file":
        return "file", f"/{path}"
    return f"{scheme.lower()}://{host}", path


def authority(base_url: str) -> str:
    """
    The host and port of an API base URL, as lineage names it; never its user or password.

    :param base_url: The API root, e.g. ``https://api.meetstream.ai/api/v1``.
    """
    parts = urlsplit(base_url)
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"
    return host if parts.port is None else f"{host}:{parts.port}"


def namespace(base_url: str) -> str:
    """
    The OpenLineage namespace of what one MeetStream API holds: ``meetstream://<host[:port]>``.

    :param base_url: The connection's API root.
    """
    return f"{SCHEME}://{authority(base_url)}"


def api_name(collection: str, identifier: str) -> str:
    """
    A MeetStream object's name within its API's namespace: ``<collection>/<id>``, the id one segment.

    :param collection: ``bots``, ``transcripts``, ``calendar/events``.
    :param identifier: The object's id; percent-encoded, so that a ``/`` in it stays in one segment.
    """
    return f"{collection}/{quote(str(identifier), safe='')}"


def api_uri(host: str, collection: str, identifier: str) -> str:
    """
    A MeetStream object as an asset URI: ``meetstream://<host[:port]>/<collection>/<id>``.

    :param host: :func:`authority` of the connection's API root.
    :param collection: ``bots``, ``transcripts``, ``calendar/events``.
    :param identifier: The object's id.
    """
    return f"{SCHEME}://{host}/{api_name(collection, identifier)}"


@dataclass
class RunLineage:
    """
    What one task run read from MeetStream and wrote to storage, in the order it did.

    :param base_url: The API root of the connection the bots were read through.
    :param bot_ids: The bots the run read.
    :param uris: The objects the run wrote, as URIs.
    """

    base_url: str
    bot_ids: list[str] = field(default_factory=list)
    uris: list[str] = field(default_factory=list)

    def inputs(self) -> list[tuple[str, str]]:
        """The bots read, as OpenLineage ``(namespace, name)`` pairs, each once."""
        space = namespace(self.base_url)
        return [(space, api_name(BOTS, bot_id)) for bot_id in dict.fromkeys(self.bot_ids)]

    def outputs(self) -> list[tuple[str, str]]:
        """The objects written, as OpenLineage ``(namespace, name)`` pairs, each once."""
        return [dataset_name(uri) for uri in dict.fromkeys(self.uris)]


def operator_lineage(done: RunLineage | None) -> OperatorLineage[Any, Any]:
    """
    What a run recorded, as the OpenLineage provider's ``OperatorLineage``: empty when it recorded nothing.

    Imports the OpenLineage provider, so it is called only from ``get_openlineage_facets_on_complete``,
    which Airflow calls only where that provider is installed.

    :param done: What the run read and wrote; None when it wrote nothing.
    """
    from airflow.providers.common.compat.openlineage.facet import Dataset
    from airflow.providers.openlineage.extractors import OperatorLineage

    if done is None:
        return OperatorLineage()
    return OperatorLineage(
        inputs=[Dataset(namespace=space, name=name) for space, name in done.inputs()],
        outputs=[Dataset(namespace=space, name=name) for space, name in done.outputs()],
    )
