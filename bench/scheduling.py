"""
Section 1 of `make bench`: a recurring series scheduled by the bulk operator and by what a user would
write instead, interleaved round by round on one emulator, against the limit the latency sets.

Each subject does the same work on a fresh emulator state: find the series in the events listing
(one ``GET /calendar/events`` over the next 400 days, as the operator does), expand its rule, and
``POST /calendar/schedule/{event_id}`` once per occurrence with the same body. The subjects:

- the provider: ``ScheduleRecurringEventOperator(max_concurrency=c).execute()``, built beforehand,
  as a worker has built it from the DAG file before it runs the task;
- a hand-written pool: ``c`` threads on one ``requests.Session`` whose pool keeps ``c`` connections;
- an ``HttpHook`` loop: ``HttpHook(method="GET")`` for the lookup, then ``HttpHook(method="POST").run``
  once per occurrence, which is how the HTTP provider's hook is used (it opens a session per call).

The limit: (the reads that must come first + ceil(N / c)) x latency, with one read (the lookup).
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from common import LATENCY_MS, ROUNDS, Emulator, Figure, Row, methods, timed, verdict

SERIES = "evt_bench_daily"
KEY = "bench"
ZONE = "America/New_York"
HTTP_CONN_ID = "meetstream_http"
#: (occurrences, max_concurrency), as the issue sets them.
SIZES = ((52, 8), (500, 32))
#: The reads before the first schedule: the series' lookup.
READS_FIRST = 1
#: How far ahead the operator looks for a series without an end first (RecurringSeriesMixin).
LOOKUP_DAYS = 400
SUBJECTS = ("provider", "pool", "httphook")
LABELS = {
    "provider": "ScheduleRecurringEventOperator",
    "pool": "hand-written pool, one requests.Session",
    "httphook": 'HttpHook(method="POST") loop',
}


def series_event() -> dict[str, Any]:
    """A daily series from tomorrow 09:00 New York, dated by the emulator's clock, without an end."""
    day = "{{today +1d 09:00 America/New_York"
    return {
        "id": SERIES,
        "start_time": day + "}}",
        "end_time": "{{today +1d 09:30 America/New_York}}",
        "calendar_id": "cal_bench",
        "platform": "google_calendar",
        "meeting_url": "https://meet.google.com/bench-daily",
        "raw": {
            "id": "g_bench_daily",
            "summary": "Daily bench series",
            "start": {"dateTime": day + " | isolocal}}", "timeZone": ZONE},
            "end": {"dateTime": "{{today +1d 09:30 America/New_York | isolocal}}", "timeZone": ZONE},
            "recurrence": ["RRULE:FREQ=DAILY"],
        },
    }


def _fresh(emulator: Emulator) -> None:
    """A fresh emulator state for one subject: the series alone, every API request 50 ms late."""
    admin = emulator.admin
    admin.reset()
    admin.load_events([series_event()])
    admin.set_faults(latency_ms=LATENCY_MS)


def _lookup_params(now: datetime) -> dict[str, str]:
    # The operator's own lookup: from now, LOOKUP_DAYS long, a full page.
    def iso(moment: datetime) -> str:
        return moment.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")

    return {"limit": "100", "time_min": iso(now), "time_max": iso(now + timedelta(days=LOOKUP_DAYS))}


def _occurrences(event: dict[str, Any], count: int, now: datetime) -> list[str]:
    """What a user would write: dateutil's rrule in the event's zone, the next ``count`` starts, UTC."""
    from zoneinfo import ZoneInfo

    from dateutil.rrule import rrulestr

    raw = event["raw"]
    zone = ZoneInfo(raw["start"]["timeZone"])
    start = datetime.fromisoformat(raw["start"]["dateTime"]).replace(tzinfo=zone)
    rule = rrulestr(raw["recurrence"][0].removeprefix("RRULE:"), dtstart=start)
    found: list[str] = []
    for moment in rule.xafter(now.astimezone(zone), count=count, inc=True):
        found.append(moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
    return found


def _body(occurrence: str) -> dict[str, Any]:
    return {"deduplication_key": f"{KEY}:{occurrence}", "bot_config": {}, "occurrence_date": occurrence}


def pool_run(api_url: str, count: int, concurrency: int) -> int:
    """The hand-written pool: one session, ``concurrency`` threads and pooled connections."""
    from concurrent.futures import ThreadPoolExecutor

    import requests
    from requests.adapters import HTTPAdapter

    with requests.Session() as session:
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=concurrency, max_retries=0)
        session.mount("http://", adapter)
        session.mount("https://", adapter)
        session.headers["Authorization"] = f"Token {os.environ['BENCH_API_KEY']}"
        now = datetime.now(timezone.utc)
        listing = session.get(f"{api_url}/calendar/events", params=_lookup_params(now), timeout=(5, 30))
        listing.raise_for_status()
        event = next(item for item in listing.json()["results"] if item["id"] == SERIES)

        def schedule(occurrence: str) -> dict[str, Any]:
            response = session.post(
                f"{api_url}/calendar/schedule/{SERIES}", json=_body(occurrence), timeout=(5, 30)
            )
            response.raise_for_status()
            answer: dict[str, Any] = response.json()
            return answer

        with ThreadPoolExecutor(max_workers=concurrency) as pool:
            return len(list(pool.map(schedule, _occurrences(event, count, now))))


def httphook_run(count: int) -> int:
    """The HTTP provider's hook, one call per request, as its operator and its docs use it."""
    from airflow.providers.http.hooks.http import HttpHook

    now = datetime.now(timezone.utc)
    listing = HttpHook(method="GET", http_conn_id=HTTP_CONN_ID).run("calendar/events", _lookup_params(now))
    event = next(item for item in listing.json()["results"] if item["id"] == SERIES)
    hook = HttpHook(method="POST", http_conn_id=HTTP_CONN_ID)
    for occurrence in _occurrences(event, count, now):
        hook.run(f"calendar/schedule/{SERIES}", json=_body(occurrence)).json()
    return count


def http_connection(api_url: str, api_key: str) -> str:
    """``AIRFLOW_CONN_MEETSTREAM_HTTP``: the emulator, its key in the headers (the connection's extra)."""
    extra = {"Authorization": f"Token {api_key}", "Accept": "application/json"}
    return json.dumps({"conn_type": "http", "host": api_url, "extra": extra})


def _posted(emulator: Emulator) -> list[tuple[str, str]]:
    # What a subject sent, for the check that all three did the same work.
    return sorted(
        (entry["path"], json.dumps(entry["body"], sort_keys=True))
        for entry in emulator.admin.requests()
        if entry["method"] == "POST"
    )


def rows(emulator: Emulator) -> tuple[list[Row], dict[str, Any]]:
    """Every subject at both sizes, ROUNDS rounds, the subjects interleaved inside each round."""
    from airflow_provider_meetstream.operators.recurring import ScheduleRecurringEventOperator

    figures = {(size, subject): Figure(f"{LABELS[subject]}") for size in SIZES for subject in SUBJECTS}
    same_work: dict[tuple[int, int], bool] = {}

    def operator(count: int, concurrency: int) -> Callable[[], Any]:
        # Built before the clock starts: a worker builds it from the DAG file before the task runs.
        task = ScheduleRecurringEventOperator(
            task_id="bench",
            event_id=SERIES,
            deduplication_key=KEY,
            occurrence_limit=count,
            max_concurrency=concurrency,
        )
        return lambda: task.execute({})["occurrences_scheduled"]

    for _round in range(ROUNDS):
        for count, concurrency in SIZES:
            posted = {}
            for subject in SUBJECTS:
                run = {
                    "provider": operator(count, concurrency),
                    "pool": lambda c=count, k=concurrency: pool_run(emulator.api_url, c, k),
                    "httphook": lambda c=count: httphook_run(c),
                }[subject]
                _fresh(emulator)
                figure = figures[(count, concurrency), subject]
                with timed(figure, emulator):
                    scheduled = run()
                if scheduled != count:
                    raise SystemExit(f"{subject} scheduled {scheduled} of {count} occurrences.")
                figure.facts.setdefault("tcp_connections", []).append(
                    emulator.admin.connections()["api_connections"]
                )
                figure.facts["requests"] = emulator.api_requests()
                if _round == 0:
                    posted[subject] = _posted(emulator)
            if _round == 0:
                same_work[count, concurrency] = len({tuple(p) for p in posted.values()}) == 1
    emulator.admin.reset()

    table: list[Row] = []
    results: dict[str, Any] = {}
    for count, concurrency in SIZES:
        size = (count, concurrency)
        limit = (READS_FIRST + math.ceil(count / concurrency)) * LATENCY_MS / 1000
        provider, pool, httphook = (figures[size, subject] for subject in SUBJECTS)
        title = f"{count} occurrences, max_concurrency {concurrency}, +{LATENCY_MS} ms/request"
        to_limit = provider.median / limit
        to_pool = provider.median / pool.median
        speedup = httphook.median / provider.median
        for subject, figure in zip(SUBJECTS, (provider, pool, httphook), strict=True):
            connections = sorted(set(figure.facts["tcp_connections"]))
            sent = methods(figure.facts["requests"])
            notes = f"{figure.median / limit:.2f}x limit; {sent}; {'/'.join(map(str, connections))} TCP conn."
            target = ""
            if subject == "provider":
                notes += f"; {to_pool:.2f}x pool; {speedup:.1f}x faster than HttpHook"
                target = "; ".join(
                    (
                        verdict(to_limit <= 1.1, "<= 1.1x limit"),
                        verdict(to_pool <= 1.0, "<= pool"),
                        verdict(speedup >= 6, ">= 6x HttpHook"),
                    )
                )
            elif subject == "pool":
                notes += f"; same requests as the provider: {'yes' if same_work[size] else 'NO'}"
            table.append(Row("scheduling", f"{title}: {LABELS[subject]}", figure, notes, target))
        table.append(
            Row(
                "scheduling",
                f"{title}: limit ({READS_FIRST} read + ceil({count}/{concurrency}) writes) x {LATENCY_MS} ms",
                None,
                "what no client can beat on this latency",
                median=f"{limit:.3f} s",
            )
        )
        results[f"{count}/c{concurrency}"] = {
            "limit_s": limit,
            "provider": provider.to_json(),
            "pool": pool.to_json(),
            "httphook": httphook.to_json(),
            "provider_to_limit": to_limit,
            "provider_to_pool": to_pool,
            "httphook_to_provider": speedup,
            "same_requests": same_work[size],
        }
    return table, results
