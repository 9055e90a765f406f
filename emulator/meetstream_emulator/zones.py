"""Time zones for the series engine: IANA names, Graph's Windows names, and fixed offsets."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = ["event_zone", "zone_named"]


def zone_named(name: str) -> ZoneInfo:
    """
    The zone an IANA or Windows name stands for.

    :param name: ``"Europe/Berlin"`` or ``"W. Europe Standard Time"``.
    :raises ValueError: For a name that is neither.
    """
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        pass
    if name in _windows_zones():
        return ZoneInfo(_windows_zones()[name])
    raise ValueError(f"unknown time zone {name!r}: expected an IANA or a Windows zone name")


@functools.lru_cache(maxsize=1)
def _windows_zones() -> dict[str, str]:
    try:
        # Graph sends Windows names such as "Pacific Standard Time"; tzlocal carries CLDR's table.
        from tzlocal.windows_tz import win_tz
    except ImportError:
        return {}
    return dict(win_tz)


def event_zone(timezone: str | None, start: datetime) -> ZoneInfo:
    """
    The zone a series repeats in: the one named, else the zone of its start.

    :param timezone: An IANA or Windows name, or None.
    :param start: The series' first start, aware.
    :raises ValueError: For an unknown name, or a start with a fractional-hour offset and no zone.
    """
    if timezone:
        return zone_named(timezone)
    if isinstance(start.tzinfo, ZoneInfo):
        return start.tzinfo
    offset = start.utcoffset() or timedelta(0)
    hours, rest = divmod(int(offset.total_seconds()), 3600)
    if rest:
        raise ValueError(f"start {start.isoformat()} has a fractional-hour offset and no zone; pass timezone")
    # A fixed offset cannot follow DST; POSIX-style Etc zones have the sign inverted.
    return ZoneInfo("UTC" if hours == 0 else f"Etc/GMT{-hours:+d}")
