"""
The synthetic meeting of a bot: its transcript, its people, who spoke when, and its recording's bytes.

Pure functions of the bot, seeded by its id and meeting URL, so that every call answers the same
and the pieces agree: the people who speak are the transcript's speakers, the speaker timeline is
the transcript's segments, and times count in seconds from the moment the bot was in the meeting
(its join time plus its time ``Joining``). The rules that serve them (when they are ready, when
they are deleted) are :mod:`meetstream_emulator.transcripts`' and :mod:`meetstream_emulator.recordings`'.
"""

from __future__ import annotations

import hashlib
import math
import random
import struct
from collections.abc import Iterator
from typing import Any

from meetstream_emulator.bot import Bot
from meetstream_emulator.calendar import format_instant

SPEAKERS = ("Ada", "Grace", "Linus", "Margaret", "Alan", "Barbara", "Edsger")
SENTENCES = (
    "Good morning, everyone.",
    "Let us start with the pipeline numbers from yesterday.",
    "The nightly load finished twenty minutes early.",
    "We still see duplicates in the events table.",
    "I will take the deduplication ticket this week.",
    "Can we move the review to Thursday?",
    "The dashboard is back after the schema change.",
    "Please add the new source to the catalog.",
    "That sounds good to me.",
    "Any blockers before we wrap up?",
    "Thanks, see you tomorrow.",
)
#: The media kinds of a recording, with their content types.
CONTENT_TYPES = {"audio": "audio/wav", "video": "video/mp4"}
#: The size of each piece a recording is streamed in.
CHUNK_BYTES = 64 * 1024
#: The smallest recording: a whole WAV header.
MIN_RECORDING_BYTES = 44

# 8 kHz, 8-bit unsigned mono: one period of a 400 Hz tone is 20 samples.
_SAMPLE_RATE = 8000
_TONE = bytes(128 + round(96 * math.sin(2 * math.pi * i / 20)) for i in range(20))
_VIDEO_FILL = bytes(range(256))


def synthesize_transcript(bot: Bot) -> list[dict[str, Any]]:
    """
    A short transcript of the bot's meeting, the same for the same bot at every call.

    Seeded by the bot id and the meeting URL: two to four speakers, four to eight sentences spread
    over the time the bot was in the meeting, each ``{speaker, transcript, start_time, end_time, words}``
    with its words' timings, in seconds from the join.

    :param bot: A bot that reached ``Done``.
    """
    seed = hashlib.sha256(f"{bot.bot_id}\n{bot.meeting_url}".encode()).digest()
    rng = random.Random(int.from_bytes(seed[:8], "big"))
    speakers = rng.sample(SPEAKERS, rng.randint(2, 4))
    count = rng.randint(4, 8)
    length = max((bot.end_time - bot.join_time - bot.joining).total_seconds(), float(count))
    slot = length / count
    segments = []
    for index in range(count):
        sentence = SENTENCES[index] if index == 0 else rng.choice(SENTENCES[1:])
        start = round(index * slot, 2)
        end = round(start + min(slot, 2.0 + 0.4 * len(sentence.split())), 2)
        words = sentence.split()
        step = (end - start) / len(words)
        segments.append(
            {
                "speaker": speakers[index % len(speakers)],
                "transcript": sentence,
                "start_time": start,
                "end_time": end,
                "words": [
                    {
                        "word": word,
                        "start_time": round(start + i * step, 2),
                        "end_time": round(start + (i + 1) * step, 2),
                    }
                    for i, word in enumerate(words)
                ],
            }
        )
    return segments


def speaker_timeline(bot: Bot) -> list[dict[str, Any]]:
    """
    Who spoke when: one ``{speaker, start_time, end_time}`` per segment of the transcript, in order.

    :param bot: A bot that reached ``Done``.
    """
    return [
        {"speaker": s["speaker"], "start_time": s["start_time"], "end_time": s["end_time"]}
        for s in synthesize_transcript(bot)
    ]


def synthesize_participants(bot: Bot) -> list[dict[str, Any]]:
    """
    The people of the meeting: the transcript's speakers, by their first words, then one who never spoke.

    Each is ``{deviceId, fullName, profilePicture, status, streamIds, join_time, leave_time}``: the
    speakers are there from the moment the bot was in the meeting to its end; the silent one leaves
    halfway. Everyone has ``left`` by the time the data is served, and nobody has a picture (None).

    :param bot: A bot that reached ``Done``.
    """
    speakers = list(dict.fromkeys(segment["speaker"] for segment in synthesize_transcript(bot)))
    silent = next(name for name in SPEAKERS if name not in speakers)
    # A bot removed while Joining was never in: its time there is empty, at its end.
    arrived = min(bot.join_time + bot.joining, bot.end_time)
    halfway = arrived + (bot.end_time - arrived) / 2
    people = [(name, bot.end_time) for name in speakers] + [(silent, halfway)]
    participants = []
    for name, left in people:
        device = hashlib.sha256(f"{bot.bot_id}\n{name}".encode()).hexdigest()[:12]
        participants.append(
            {
                "deviceId": f"dev_{device}",
                "fullName": name,
                "profilePicture": None,
                "status": "left",
                "streamIds": [f"dev_{device}-audio", f"dev_{device}-video"],
                "join_time": format_instant(arrived),
                "leave_time": format_instant(left),
            }
        )
    return participants


def recording_chunks(kind: str, size: int, chunk_bytes: int = CHUNK_BYTES) -> Iterator[bytes]:
    """
    A recording's bytes, ``chunk_bytes`` at a time: never the whole body at once.

    Audio is a WAV file (8 kHz, 8-bit mono) holding a 400 Hz tone; video is an MP4 ``ftyp`` box then a
    ``free`` box of a byte ramp, a file of the right kind and size that plays nothing.

    :param kind: ``audio`` or ``video``.
    :param size: The whole body's size, at least :data:`MIN_RECORDING_BYTES`.
    :param chunk_bytes: The largest piece yielded.
    """
    head, fill = _head(kind, size), _TONE if kind == "audio" else _VIDEO_FILL
    for start in range(0, size, chunk_bytes):
        end = min(start + chunk_bytes, size)
        piece = head[start:end]
        begin = max(start, len(head))
        if begin < end:
            # The fill repeats from the header's end, whatever piece it falls in.
            phase, count = (begin - len(head)) % len(fill), end - begin
            piece += (fill * ((phase + count) // len(fill) + 1))[phase : phase + count]
        yield piece


def _head(kind: str, size: int) -> bytes:
    # A RIFF header and a PCM "fmt " chunk, or an MP4 "ftyp" box; the rest of the body fills the WAV's
    # "data" chunk or the MP4's "free" box, so the sizes written here add up to the body's.
    if kind == "audio":
        fmt = struct.pack("<4sIHHIIHH", b"fmt ", 16, 1, 1, _SAMPLE_RATE, _SAMPLE_RATE, 1, 8)
        data = struct.pack("<4sI", b"data", size - MIN_RECORDING_BYTES)
        return struct.pack("<4sI4s", b"RIFF", size - 8, b"WAVE") + fmt + data
    ftyp = struct.pack(">I4s4sI4s4s", 24, b"ftyp", b"isom", 512, b"isom", b"mp41")
    return ftyp + struct.pack(">I4s", size - len(ftyp), b"free")
