"""
`make test-dates`: the pytest suite under libfaketime on a week of days, on calendar-breaking dates
and while a demo meeting is in progress.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

REPO_ROOT = Path(__file__).resolve().parent.parent
PYTEST = REPO_ROOT / ".venv" / "bin" / "pytest"

# libfaketime's "start at" format: the clock starts there and ticks (without "@" it would stand
# still, and every sleep and timeout in the suite would hang). Read in UTC: TZ is set below.
FIXED_DATES = (
    ("2027-03-13 20:00:00", "eve of the US DST change (America/New_York, 14 March)"),
    ("2027-11-06 20:00:00", "eve of the US DST change (America/New_York, 7 November)"),
    ("2027-03-27 20:00:00", "eve of the EU DST change (Europe/Berlin, 28 March)"),
    ("2027-10-30 20:00:00", "eve of the EU DST change (Europe/Berlin, 31 October)"),
    ("2026-12-31 22:00:00", "New Year's Eve"),
)
DAYS = 7

# While a demo meeting is in progress: the demo calendar's weekly stand-up (evt_demo_standup_weekly,
# Mondays 09:00-09:15 New York) is then a series' first occurrence, whose bot joins at once and is
# never listed as scheduled, which a test reading the calendar at today's instant does not expect.
# A week of days at the current hour rarely lands there, so the next Monday at 09:05 New York is run
# once in winter (14:05 UTC) and once in summer (13:05 UTC), both relative to today like the week.
# The run starts in the meeting and leaves it ten minutes later: the tests that run first see it.
STANDUP_ZONE = ZoneInfo("America/New_York")
STANDUP_IN_PROGRESS = (9, 5)  # 09:05 local, five minutes into the 09:00-09:15 stand-up

INSTALL_HINT = """\
faketime (libfaketime) is not installed; `make test-dates` needs it to run the suite on other dates.
  Debian/Ubuntu: sudo apt-get install faketime
  macOS:         brew install libfaketime
"""

# What the faked process believes, printed on each line so that a date that did not take is seen.
_SHOW_NOW = "import datetime as d; print(d.datetime.now(d.timezone.utc).strftime('%Y-%m-%d %H:%M %a'))"
# pytest's last line, "3 failed, 660 passed, 1 warning in 61.2s", bare under -q or between "="s.
_OUTCOMES = r"(?:passed|failed|errors?|skipped|deselected|warnings?|xfailed|xpassed)"
_SUMMARY = re.compile(rf"^=*\s*(\d+ {_OUTCOMES}\b.*\bin [\d.]+s\b.*?)\s*=*$")


@dataclass
class Outcome:
    """One date's run: what it was, what the process saw, pytest's summary and its status."""

    spec: str
    label: str
    faked_now: str
    summary: str
    returncode: int
    log: Path


def faketime_env() -> dict[str, str]:
    """The environment of each run: libfaketime's absolute dates read in UTC."""
    env = os.environ.copy()
    # Absolute dates are parsed in the process's local zone; UTC makes them the instants listed
    # above. The suite must pass in any zone, and it runs in UTC on CI.
    env["TZ"] = "UTC"
    # Child processes (the `airflow db migrate` of the session, the emulator CLI tests) continue
    # the parent's faked clock instead of starting again at the given date.
    env["FAKETIME_DONT_RESET"] = "1"
    # FAKETIME_DONT_FAKE_MONOTONIC is left to the caller: libfaketime 0.9.10 (Debian, Ubuntu) then
    # breaks every time.sleep() of Python 3.11+ with EINVAL (wolfcw/libfaketime#426), while with
    # the monotonic clock faked only waits that should time out last longer, and the suite has
    # none it relies on.
    return env


def in_meeting_dates(today: date) -> list[tuple[str, str]]:
    """
    The next Monday after ``today`` at 09:05 New York in winter, then in summer, as UTC dates and labels.

    Winter is New York on standard time (14:05 UTC), summer on daylight saving time (13:05 UTC).
    """
    found: dict[bool, tuple[str, str]] = {}
    day = today + timedelta(days=1)
    while len(found) < 2:
        if day.weekday() == 0:
            local = datetime(day.year, day.month, day.day, *STANDUP_IN_PROGRESS, tzinfo=STANDUP_ZONE)
            summer = bool(local.dst())
            if summer not in found:
                when = local.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
                season = "summer, EDT" if summer else "winter, EST"
                found[summer] = (when, f"stand-up in progress, Mon 09:05 New York ({season})")
        day += timedelta(days=1)
    return [found[False], found[True]]


def specs(days: int, today: date | None = None) -> list[tuple[str, str]]:
    """
    Each faketime ``-f`` spec and what it stands for.

    Today and the next days, then the fixed dates, then the instants in a demo meeting.
    """
    today = datetime.now(timezone.utc).date() if today is None else today
    relative = [(f"+{day}d", "today" if day == 0 else f"today +{day}d") for day in range(days)]
    fixed = [(f"@{when}", label) for when, label in FIXED_DATES]
    return relative + fixed + [(f"@{when}", label) for when, label in in_meeting_dates(today)]


def run_one(
    faketime: str, spec: str, label: str, pytest_args: list[str], logs: Path, timeout: float
) -> Outcome:
    """Run the suite once under ``faketime -f spec`` and read pytest's last line."""
    env = faketime_env()
    shown = subprocess.run(
        [faketime, "-f", spec, sys.executable, "-c", _SHOW_NOW],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    faked_now = shown.stdout.strip() or f"? ({shown.stderr.strip()[:80]})"
    log = logs / f"{re.sub(r'[^0-9A-Za-z+-]+', '_', spec).strip('_')}.log"
    with log.open("w") as out:
        try:
            completed = subprocess.run(
                [faketime, "-f", spec, str(PYTEST), "-q", "--continue-on-collection-errors", *pytest_args],
                cwd=REPO_ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                timeout=timeout,
                check=False,
            )
            returncode = completed.returncode
        except subprocess.TimeoutExpired:
            returncode = -1
    text = log.read_text(errors="replace")
    summaries = [match.group(1) for line in text.splitlines() if (match := _SUMMARY.match(line))]
    if returncode == -1:
        summary = f"hung: no result after {timeout:.0f} s"
    else:
        summary = summaries[-1] if summaries else f"no pytest summary (exit {returncode})"
    return Outcome(spec, label, faked_now, summary, returncode, log)


def failures(log: Path) -> list[str]:
    """The ids of the failed and erroring tests in a run's log."""
    lines = log.read_text(errors="replace").splitlines()
    return [line for line in lines if re.match(r"(FAILED|ERROR) ", line)]


def main(argv: list[str] | None = None) -> int:
    """Run every date, print a line for each, and return non-zero when any failed."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--days", type=int, default=DAYS, help="consecutive days from today (default 7)")
    parser.add_argument(
        "--timeout", type=float, default=1200.0, help="seconds per run before it counts as hung (1200)"
    )
    parser.add_argument("pytest_args", nargs="*", help="passed to pytest (after --), e.g. tests/integration")
    args = parser.parse_args(argv)

    faketime = shutil.which("faketime")
    if faketime is None:
        sys.stderr.write(INSTALL_HINT)
        return 2
    if not PYTEST.exists():
        sys.stderr.write(f"{PYTEST} is missing: run `make test` once to build .venv.\n")
        return 2

    logs = Path(tempfile.mkdtemp(prefix="meetstream-test-dates-"))
    print(f"The test suite under libfaketime, one run per date (logs in {logs}):")
    outcomes = []
    started = time.monotonic()
    for spec, label in specs(args.days):
        outcome = run_one(faketime, spec, label, args.pytest_args, logs, args.timeout)
        outcomes.append(outcome)
        verdict = "ok  " if outcome.returncode == 0 else "FAIL"
        print(f"  {verdict}  {outcome.faked_now} UTC  {outcome.label:<56} {outcome.summary}", flush=True)
        if outcome.returncode != 0:
            for line in failures(outcome.log)[:20]:
                print(f"          {line}")
            print(f"          log: {outcome.log}")
    failed = [outcome for outcome in outcomes if outcome.returncode != 0]
    elapsed = time.monotonic() - started
    print(f"{len(outcomes) - len(failed)} of {len(outcomes)} dates passed (in {elapsed:.0f} s).")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
