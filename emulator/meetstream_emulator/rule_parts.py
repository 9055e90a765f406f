"""An RRULE's parts, split and checked against RFC 5545 3.3.10 before the series engine sees them."""

from __future__ import annotations

import re

from meetstream_emulator.graph import LONGEST_MONTH

__all__ = ["MAX_COUNT", "rule_parts"]

#: The largest COUNT one series may have: the engine walks every instance of a COUNT rule.
MAX_COUNT = 10_000

_FREQUENCIES = frozenset({"SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY"})
_RULE_PARTS = frozenset(
    {"FREQ", "UNTIL", "COUNT", "INTERVAL", "BYSECOND", "BYMINUTE", "BYHOUR", "BYDAY", "BYMONTHDAY"}
    | {"BYYEARDAY", "BYWEEKNO", "BYMONTH", "BYSETPOS", "WKST"}
)
# RFC 5545 3.3.10's value ranges.
_RANGES = {
    "BYSECOND": (0, 60),
    "BYMINUTE": (0, 59),
    "BYHOUR": (0, 23),
    "BYMONTHDAY": (1, 31),
    "BYYEARDAY": (1, 366),
    "BYWEEKNO": (1, 53),
    "BYMONTH": (1, 12),
    "BYSETPOS": (1, 366),
}
_FROM_THE_END = frozenset({"BYMONTHDAY", "BYYEARDAY", "BYWEEKNO", "BYSETPOS"})
_WEEKDAY = re.compile(r"(?P<ordinal>[+-]?\d{1,2})?(?:MO|TU|WE|TH|FR|SA|SU)")


def rule_parts(value: str, line: str) -> dict[str, str]:
    """
    Split and check an RRULE's value, so that a bad part is named here, not in the engine's words.

    :param value: What follows ``RRULE:``.
    :param line: The whole line, for the message.
    :return: The parts, upper-cased, in their order.
    :raises ValueError: Naming the part at fault.
    """
    parts: dict[str, str] = {}
    for item in filter(None, value.split(";")):
        key, sep, part = item.partition("=")
        if not sep or not part or key.upper() in parts:
            raise ValueError(f"malformed or repeated rule part {item!r} in {line!r}")
        if key.upper() not in _RULE_PARTS:
            raise ValueError(f"{line!r} is not a valid RRULE: unknown rule part {key.upper()!r}")
        parts[key.upper()] = part.upper()
    if parts.get("FREQ") not in _FREQUENCIES:
        raise ValueError(f"{line!r} needs FREQ=SECONDLY|MINUTELY|HOURLY|DAILY|WEEKLY|MONTHLY|YEARLY")
    for key, ceiling in (("INTERVAL", None), ("COUNT", MAX_COUNT)):
        if key in parts and not (parts[key].isdigit() and 0 < int(parts[key]) <= (ceiling or 10**6)):
            raise ValueError(f"{key} in {line!r} must be a positive integer (COUNT at most {MAX_COUNT})")
    for key, (low, high) in _RANGES.items():
        for item in filter(None, parts.get(key, "").split(",")):
            _check_number(key, item, low, high, line)
    for item in filter(None, parts.get("BYDAY", "").split(",")):
        _check_weekday(item, parts["FREQ"], line)
    if "COUNT" in parts and "UNTIL" in parts:
        raise ValueError(f"{line!r} has both COUNT and UNTIL (RFC 5545 3.3.10: MUST NOT occur together)")
    days = [int(d) for d in parts.get("BYMONTHDAY", "").split(",") if d.lstrip("+-").isdigit()]
    months = [int(m) for m in parts.get("BYMONTH", "").split(",") if m.isdigit() and 1 <= int(m) <= 12]
    longest = max((LONGEST_MONTH[m] for m in months or LONGEST_MONTH), default=31)
    if days and all(not 0 < abs(d) <= longest for d in days):
        raise ValueError(f"{line!r} never occurs: no month allowed by BYMONTH has day {parts['BYMONTHDAY']}")
    return parts


def _check_number(key: str, item: str, low: int, high: int, line: str) -> None:
    number = int(item) if re.fullmatch(r"[+-]?\d{1,3}", item) else None
    # A negative value counts from the end (BYMONTHDAY=-1); zero never means anything there.
    signed = key in _FROM_THE_END
    if number is None or not low <= (abs(number) if signed else number) <= high:
        raise ValueError(f"{key} value {item!r} in {line!r} is outside {'±' if signed else ''}{low}..{high}")


def _check_weekday(item: str, freq: str, line: str) -> None:
    match = _WEEKDAY.fullmatch(item)
    if match is None:
        raise ValueError(f"BYDAY value {item!r} in {line!r} is not a weekday like MO, 1MO or -1FR")
    if match["ordinal"] is None:
        return
    # RFC 5545 3.3.10: an ordinal "MUST NOT be specified" unless FREQ is MONTHLY or YEARLY, and it
    # counts the weekdays of a month (at most 5) or a year (at most 53).
    bound = {"MONTHLY": 5, "YEARLY": 53}.get(freq)
    if bound is None or not 1 <= abs(int(match["ordinal"])) <= bound:
        raise ValueError(
            f"BYDAY value {item!r} in {line!r}: an ordinal needs MONTHLY (1..5) or YEARLY (1..53)"
        )
