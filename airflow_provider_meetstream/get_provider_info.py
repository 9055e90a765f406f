"""Provider metadata for Airflow's providers manager; imports nothing heavy (constants only)."""

from __future__ import annotations

from typing import Any

from airflow_provider_meetstream.constants import (
    CONN_TYPE,
    DEFAULT_BASE_URL,
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_DEADLINE,
    MAX_ATTEMPTS_BOUND,
    MAX_DEADLINE,
    MAX_TIMEOUT,
    MIN_TIMEOUT,
)

_INTEGRATION = "MeetStream"


def get_provider_info() -> dict[str, Any]:
    """Return the provider's metadata, read by Airflow through the ``apache_airflow_provider`` entry point."""
    from airflow_provider_meetstream import __version__

    return {
        "package-name": "airflow-provider-meetstream",
        "name": "MeetStream",
        "description": "Schedule MeetStream meeting bots (Zoom, Google Meet, Teams recorders) "
        "for calendar events from Airflow DAGs.",
        "versions": [__version__],
        "integrations": [
            {
                "integration-name": _INTEGRATION,
                "external-doc-url": "https://docs.meetstream.ai/",
                "tags": ["service"],
            }
        ],
        "hooks": [
            {
                "integration-name": _INTEGRATION,
                "python-modules": ["airflow_provider_meetstream.hooks.meetstream"],
            }
        ],
        "operators": [
            {
                "integration-name": _INTEGRATION,
                "python-modules": [
                    "airflow_provider_meetstream.operators.meetstream",
                    "airflow_provider_meetstream.operators.recurring",
                    "airflow_provider_meetstream.operators.calendar_sync",
                    "airflow_provider_meetstream.operators.bots",
                    "airflow_provider_meetstream.operators.transcripts",
                    "airflow_provider_meetstream.operators.harvest",
                ],
            }
        ],
        "sensors": [
            {
                "integration-name": _INTEGRATION,
                "python-modules": [
                    "airflow_provider_meetstream.sensors.meetstream",
                    "airflow_provider_meetstream.sensors.bot_status",
                ],
            }
        ],
        "triggers": [
            {
                "integration-name": _INTEGRATION,
                "python-modules": [
                    "airflow_provider_meetstream.triggers.meetstream",
                    "airflow_provider_meetstream.triggers.bot_status",
                    "airflow_provider_meetstream.triggers.transcripts",
                    "airflow_provider_meetstream.triggers.bot_finished",
                ],
            }
        ],
        "connection-types": [
            {
                "hook-class-name": "airflow_provider_meetstream.hooks.meetstream.MeetStreamHook",
                "hook-name": "MeetStream",
                "connection-type": CONN_TYPE,
                "conn-fields": CONN_FIELDS,
                "ui-field-behaviour": UI_FIELD_BEHAVIOUR,
            }
        ],
    }


#: Extra fields of the ``meetstream`` connection form, shared with the hook's form classmethods.
CONN_FIELDS: dict[str, Any] = {
    "timeout": {
        "label": "Timeout (seconds)",
        "description": "Read timeout of each request; the connect timeout is capped at "
        f"{DEFAULT_CONNECT_TIMEOUT:g} s.",
        "schema": {"type": ["number", "null"], "minimum": MIN_TIMEOUT, "maximum": MAX_TIMEOUT},
    },
    "max_retries": {
        "label": "Max attempts",
        "description": "Attempts per request, the first included, on 408, 429, 5xx and network errors.",
        "schema": {"type": ["integer", "null"], "minimum": 1, "maximum": MAX_ATTEMPTS_BOUND},
    },
    "deadline": {
        "label": "Deadline (seconds)",
        "description": "Total time of one call: connect, reads, retries and waits together; "
        f"default {DEFAULT_DEADLINE:g} s.",
        "schema": {"type": ["number", "null"], "minimum": MIN_TIMEOUT, "maximum": MAX_DEADLINE},
    },
    "allow_insecure_http": {
        "label": "Allow plain HTTP",
        "description": "Send the API key over plain http:// to a host beyond loopback (127.0.0.0/8, "
        "::1, localhost); only on a trusted network.",
        "schema": {"type": ["boolean", "null"]},
    },
}

#: How the standard connection fields are shown for the ``meetstream`` connection type.
UI_FIELD_BEHAVIOUR: dict[str, Any] = {
    "hidden-fields": ["schema", "port", "login"],
    "relabeling": {"password": "API key", "host": "API base URL"},
    "placeholders": {"host": DEFAULT_BASE_URL, "password": "your MeetStream API key"},
}
