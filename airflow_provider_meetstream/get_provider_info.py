"""Provider metadata for Airflow's providers manager; imports nothing but the standard library."""

from __future__ import annotations

from typing import Any

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
                "python-modules": ["airflow_provider_meetstream.operators.meetstream"],
            }
        ],
        "sensors": [
            {
                "integration-name": _INTEGRATION,
                "python-modules": ["airflow_provider_meetstream.sensors.meetstream"],
            }
        ],
        "triggers": [
            {
                "integration-name": _INTEGRATION,
                "python-modules": ["airflow_provider_meetstream.triggers.meetstream"],
            }
        ],
        "connection-types": [
            {
                "hook-class-name": "airflow_provider_meetstream.hooks.meetstream.MeetStreamHook",
                "hook-name": "MeetStream",
                "connection-type": "meetstream",
                "conn-fields": CONN_FIELDS,
                "ui-field-behaviour": UI_FIELD_BEHAVIOUR,
            }
        ],
    }


#: Extra fields of the ``meetstream`` connection form, shared with the hook's form classmethods.
CONN_FIELDS: dict[str, Any] = {
    "timeout": {
        "label": "Timeout (seconds)",
        "description": "Read timeout of each request; the connect timeout is capped at 10 s.",
        "schema": {"type": ["number", "null"], "minimum": 0.1},
    },
    "max_retries": {
        "label": "Max attempts",
        "description": "Attempts per request, the first included, on 408, 429, 5xx and network errors.",
        "schema": {"type": ["integer", "null"], "minimum": 1, "maximum": 20},
    },
}

#: How the standard connection fields are shown for the ``meetstream`` connection type.
UI_FIELD_BEHAVIOUR: dict[str, Any] = {
    "hidden-fields": ["schema", "port", "login"],
    "relabeling": {"password": "API key", "host": "API base URL"},
    "placeholders": {"host": "https://api.meetstream.ai", "password": "your MeetStream API key"},
}
