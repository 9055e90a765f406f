"""What the transcript operator and its trigger share: finding a bot's transcript, and rendering it."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

#: A transcription whose status contains one of these is ready.
READY_WORDS = ("success", "completed")
#: Segment fields read as a start, in seconds or ISO 8601; ``timestamp`` counts as both ends.
START_FIELDS = ("start_time", "start", "startTime", "timestamp")
#: Segment fields read as an end, in seconds or ISO 8601.
END_FIELDS = ("end_time", "end", "endTime", "timestamp")
#: Where a segment may name its speaker, in the order read.
SPEAKER_FIELDS = ("speaker", "speakerName", "speaker_name")
#: Longest object name, in UTF-8 bytes, taken from an id as it is: a file system holds 255 bytes
#: a name, and the temporary object beside it adds its extension and 40 more.
MAX_NAME_BYTES = 150
#: A lone surrogate (a broken UTF-16 pair) that UTF-8 cannot carry.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")
#: A trailing, incomplete percent-escape left by cutting a name short.
_CUT_ESCAPE = re.compile("%[0-9A-Fa-f]?$")


def is_ready(transcription: Mapping[str, Any]) -> bool:
    """Tell whether a ``GET /bots/{id}/transcriptions`` item says its transcript is ready."""
    status = str(transcription.get("status") or "").lower()
    return any(word in status for word in READY_WORDS)


def transcript_id_of(
    detail: Mapping[str, Any], transcriptions: Sequence[Mapping[str, Any]] = ()
) -> str | None:
    """
    A bot's transcript id: the detail's, else a ready transcription's, else the first one listed.

    :param detail: ``get_bot_detail``'s answer.
    :param transcriptions: ``list_transcriptions``'s answer, when the detail names none.
    """
    found = detail.get("transcript_id")
    if isinstance(found, str) and found:
        return found
    ready = [item for item in transcriptions if is_ready(item)]
    for item in [*ready, *transcriptions]:
        if isinstance(item.get("transcript_id"), str) and item["transcript_id"]:
            return str(item["transcript_id"])
    return None


def event_id_of(detail: Mapping[str, Any]) -> str | None:
    """The calendar event a bot was scheduled for, when its record says (``custom_attributes``)."""
    attributes = detail.get("custom_attributes")
    value = attributes.get("event_id") if isinstance(attributes, Mapping) else None
    return value if isinstance(value, str) and value else None


def speaker_of(segment: Mapping[str, Any]) -> str | None:
    """The segment's speaker, whichever field names it."""
    for name in SPEAKER_FIELDS:
        value = segment.get(name)
        if isinstance(value, str) and value:
            return value
    return None


def segment_record(segment: Mapping[str, Any], context: Mapping[str, Any]) -> dict[str, Any]:
    """
    One JSON line: the bot, the meeting and the speaker, then the segment's own fields.

    The words go under ``transcript`` (MeetStream's name), also when a segment calls them ``text``.

    :param segment: One segment of ``get_transcript``.
    :param context: ``bot_id``, ``transcript_id``, ``meeting_url`` and ``event_id`` (None dropped).
    """
    record: dict[str, Any] = {name: value for name, value in context.items() if value is not None}
    record["speaker"] = speaker_of(segment)
    record["transcript"] = segment.get("transcript", segment.get("text"))
    record.update((name, value) for name, value in segment.items() if name not in record)
    return record


def jsonl(segments: Iterable[Mapping[str, Any]], context: Mapping[str, Any]) -> str:
    """
    The transcript as JSON lines, one segment a line (see :func:`segment_record`).

    A lone surrogate in a segment is written as its JSON escape (``\\udc80``), so the file stays
    valid UTF-8 and reads back as the same text.

    :param segments: The segments.
    :param context: ``bot_id``, ``transcript_id``, ``meeting_url`` and ``event_id``.
    """
    return "".join(json_text(segment_record(segment, context)) + "\n" for segment in segments)


def json_text(value: Any, *, indent: int | None = None) -> str:
    """
    JSON as every object the provider lands is written: UTF-8 text, a lone surrogate as its escape.

    A lone surrogate (a broken UTF-16 pair) cannot be written as UTF-8: it is written as its JSON
    escape (``\\udc80``), so the object stays valid and reads back as the same text.

    :param value: What to write; values JSON does not know are written as their ``str``.
    :param indent: Indentation, for an object read by people too.
    """
    return _escape_surrogates(json.dumps(value, ensure_ascii=False, default=str, indent=indent))


def _escape_surrogates(text: str) -> str:
    return _LONE_SURROGATE.sub(lambda match: f"\\u{ord(match.group()):04x}", text)


def plain_text(segments: Iterable[Mapping[str, Any]]) -> str:
    """
    The transcript as ``Speaker: words`` lines, one segment a line whatever its text holds.

    A line break in a speaker's name or words becomes a space, so that no segment can forge a
    line (``Eve\\nInjected: ...``); a lone surrogate becomes U+FFFD.
    """
    lines = []
    for segment in segments:
        words = segment.get("transcript", segment.get("text"))
        line = f"{speaker_of(segment) or 'Unknown'}: {'' if words is None else words}"
        lines.append(_LONE_SURROGATE.sub("\ufffd", " ".join(line.splitlines())) + "\n")
    return "".join(lines)


def object_name(segment: str) -> str:
    """
    An id, already one percent-encoded path segment, as an object name every store can hold.

    A name of at most :data:`MAX_NAME_BYTES` bytes is the segment itself; a longer one is its start
    and a digest of the whole, the same on every run (the id itself is in the file's content).

    :param segment: ``validation.path_segment``'s result.
    """
    if len(segment.encode("utf-8")) <= MAX_NAME_BYTES:
        return segment
    digest = hashlib.sha256(segment.encode("utf-8")).hexdigest()[:32]
    head = _CUT_ESCAPE.sub("", segment[: MAX_NAME_BYTES - len(digest) - 1])
    return f"{head}~{digest}"


def speakers(segments: Iterable[Mapping[str, Any]]) -> list[str]:
    """The distinct speakers, in the order they first speak."""
    return list(dict.fromkeys(name for name in map(speaker_of, segments) if name))


def duration_seconds(segments: Iterable[Mapping[str, Any]]) -> float | None:
    """Seconds from the first start to the last end read in the segments; None without timings."""
    starts: list[float | None] = []
    ends: list[float | None] = []
    for segment in segments:
        starts.extend(_seconds(segment.get(name)) for name in START_FIELDS if name in segment)
        ends.extend(_seconds(segment.get(name)) for name in END_FIELDS if name in segment)
    known_starts = [value for value in starts if value is not None]
    known_ends = [value for value in ends if value is not None]
    if not known_starts or not known_ends:
        return None
    return round(max(0.0, max(known_ends) - min(known_starts)), 3)


def _seconds(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            pass
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return moment.timestamp() if moment.tzinfo else None
    return None
