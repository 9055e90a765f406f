"""Errors worded for whoever meets them first: a refused key names the connection it came from."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from airflow_provider_meetstream.exceptions import MeetStreamAPIError, MeetStreamAuthError


def naming_the_connection(err: MeetStreamAuthError, conn_id: str) -> MeetStreamAPIError:
    """
    A refused key's error, naming the Airflow connection whose key it was: the first thing to check.

    :param err: The 401 or 403.
    :param conn_id: The connection the client read its key from.
    """
    if err.status_code == 401:
        why = f"MeetStream refused the API key of Airflow connection {conn_id!r}: check its password"
    else:
        why = (
            f"MeetStream refused the request made with the API key of Airflow connection {conn_id!r}: "
            "the key is not valid, or what was asked belongs to another key"
        )
    return err.with_hint(why)
