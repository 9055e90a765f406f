"""Microsoft Graph's patternedRecurrence, translated into RFC 5545 rule parts for the series engine."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

__all__ = ["LONGEST_MONTH", "GraphSeries", "graph_series"]

#: The most days each month can have (February in a leap year).
LONGEST_MONTH = {1: 31, 2: 29, 3: 31, 4: 30, 5: 31, 6: 30, 7: 31, 8: 31, 9: 30, 10: 31, 11: 30, 12: 31}

_DAYS = {
    "sunday": "SU", "monday": "MO", "tuesday": "TU", "wednesday": "WE",
    "thursday": "TH", "friday": "FR", "saturday": "SA",
}  # fmt: skip
_INDEX = {"first": 1, "second": 2, "third": 3, "fourth": 4, "last": -1}
_TYPES = ("daily", "weekly", "absoluteMonthly", "relativeMonthly", "absoluteYearly", "relativeYearly")


@dataclass(frozen=True)
class GraphSeries:
    """
    A Graph series as RFC 5545 sees it.

    :param parts: FREQ, INTERVAL and the BYxxx parts, without COUNT or UNTIL.
    :param start_date: ``range.startDate``: the series begins on the first matching day from it.
    :param end_date: ``range.endDate`` (the last day that may hold an occurrence), or None.
    :param count: ``range.numberOfOccurrences``, or None.
    """

    parts: dict[str, str]
    start_date: date
    end_date: date | None
    count: int | None


def graph_series(recurrence: Mapping[str, Any]) -> GraphSeries:
    """
    Translate a Graph ``patternedRecurrence`` (``{"pattern", "range"}``).

    :param recurrence: The pattern and the range, as Graph sends them.
    :raises ValueError: Naming the field that is missing or malformed.
    """
    pattern, span = recurrence.get("pattern"), recurrence.get("range")
    if not isinstance(pattern, Mapping) or not isinstance(span, Mapping):
        raise ValueError("a Graph patternedRecurrence needs a 'pattern' and a 'range' object")
    parts = _pattern_parts(pattern)
    start_date = _date_field(span, "startDate")
    kind = span.get("type")
    end_date, count = None, None
    if kind == "endDate":
        end_date = _date_field(span, "endDate")
    elif kind == "numbered":
        count = _field(span, "numberOfOccurrences", (int,), "range")
    elif kind != "noEnd":
        raise ValueError(f"unknown Graph recurrence range.type {kind!r}: expected endDate, numbered or noEnd")
    return GraphSeries(parts, start_date, end_date, count)


def _field(mapping: Mapping[str, Any], key: str, kinds: tuple[type, ...], where: str) -> Any:
    value = mapping.get(key)
    if not isinstance(value, kinds) or isinstance(value, bool):
        raise ValueError(f"Graph recurrence {where}.{key} is missing or malformed: {value!r}")
    return value


def _date_field(span: Mapping[str, Any], key: str) -> date:
    text = _field(span, key, (str,), "range")
    try:
        return date.fromisoformat(text[:10])
    except ValueError as exc:
        raise ValueError(f"Graph recurrence range.{key} is not a YYYY-MM-DD date: {text!r}") from exc


def _days(pattern: Mapping[str, Any]) -> str:
    days = _field(pattern, "daysOfWeek", (list,), "pattern")
    codes = [_DAYS.get(str(day).lower()) for day in days]
    if not codes or None in codes:
        raise ValueError(f"Graph recurrence pattern.daysOfWeek must name days of the week: {days!r}")
    return ",".join(dict.fromkeys(str(code) for code in codes))


def _month_day(pattern: Mapping[str, Any], month: int | None) -> dict[str, str]:
    day = _field(pattern, "dayOfMonth", (int,), "pattern")
    if not 1 <= day <= (31 if month is None else LONGEST_MONTH[month]):
        raise ValueError(f"Graph recurrence pattern.dayOfMonth {day} does not exist in that month")
    if day <= 28:
        return {"BYMONTHDAY": str(day)}
    # Exchange puts a day beyond a month's end on that month's last day, where RFC 5545's
    # BYMONTHDAY=31 would skip the month: take the last of the days 28..day that the month has.
    return {"BYMONTHDAY": ",".join(str(d) for d in range(28, day + 1)), "BYSETPOS": "-1"}


def _pattern_parts(pattern: Mapping[str, Any]) -> dict[str, str]:
    kind = pattern.get("type")
    # The type first: it decides which other fields the pattern needs.
    if kind not in _TYPES:
        expected = ", ".join(_TYPES)
        raise ValueError(f"unknown Graph recurrence pattern.type {kind!r}: expected one of {expected}")
    interval = _field(pattern, "interval", (int,), "pattern")
    if interval < 1:
        raise ValueError(f"Graph recurrence pattern.interval must be at least 1, got {interval}")
    parts = {"INTERVAL": str(interval)}
    month = None
    if kind in {"absoluteYearly", "relativeYearly"}:
        month = _field(pattern, "month", (int,), "pattern")
        if not 1 <= month <= 12:
            raise ValueError(f"Graph recurrence pattern.month must be 1..12, got {month}")
        parts.update(FREQ="YEARLY", BYMONTH=str(month))
    if kind == "daily":
        parts["FREQ"] = "DAILY"
    elif kind == "weekly":
        first = str(pattern.get("firstDayOfWeek") or "sunday").lower()
        if first not in _DAYS:
            raise ValueError(f"Graph recurrence pattern.firstDayOfWeek is not a day: {first!r}")
        parts.update(FREQ="WEEKLY", BYDAY=_days(pattern), WKST=_DAYS[first])
    elif kind in {"absoluteMonthly", "absoluteYearly"}:
        parts.setdefault("FREQ", "MONTHLY")
        parts.update(_month_day(pattern, month))
    else:
        index = _INDEX.get(str(pattern.get("index") or "first"))
        if index is None:
            raise ValueError(
                f"Graph recurrence pattern.index must be first..fourth or last: {pattern.get('index')!r}"
            )
        # With several days, Graph's index picks among all of them ("the last weekday"): BYSETPOS.
        parts.setdefault("FREQ", "MONTHLY")
        parts.update(BYDAY=_days(pattern), BYSETPOS=str(index))
    return parts
