"""A local MeetStream-compatible server for demos and tests; imports nothing from the provider."""

from __future__ import annotations

__version__ = "0.1.0"
