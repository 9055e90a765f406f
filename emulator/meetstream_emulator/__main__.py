"""The ``meetstream-emulator`` command: serve the emulator in the foreground until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from types import FrameType
from typing import Any

from meetstream_emulator.app import DEFAULT_API_KEY
from meetstream_emulator.calendar import CalendarError
from meetstream_emulator.routing import API_PREFIX


def port_number(text: str) -> int:
    """
    An argparse type: a TCP port, 0 to 65535.

    :param text: The option's value.
    """
    if not (text.isascii() and text.isdigit()) or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"must be an integer from 0 to 65535, got {text!r}")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    """The command's argument parser."""
    parser = argparse.ArgumentParser(
        prog="meetstream-emulator",
        description="A local MeetStream-compatible API server for demos and tests.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument(
        "--port", type=port_number, default=8765, help="port to bind; 0 picks a free one (default 8765)"
    )
    parser.add_argument(
        "--api-key",
        action="append",
        dest="api_keys",
        metavar="KEY",
        help=f"an accepted API key, each its own tenant; repeatable (default {DEFAULT_API_KEY})",
    )
    calendar = parser.add_mutually_exclusive_group()
    calendar.add_argument(
        "--calendar",
        metavar="FILE",
        help="calendar events JSON replacing the demo calendar ('demo' for the demo)",
    )
    calendar.add_argument("--no-calendar", action="store_true", help="start with no calendar events")
    parser.add_argument(
        "--join-lead-minutes", type=int, default=3, help="minutes before the start that bots join (default 3)"
    )
    parser.add_argument(
        "--conflict-mode",
        choices=("update", "409"),
        default="update",
        help="a repeated schedule updates in place (update, default) or answers 409",
    )
    parser.add_argument("--no-controls", action="store_true", help="turn the /_emulator test controls off")
    parser.add_argument(
        "--log-level", default="warning", choices=("critical", "error", "warning", "info", "debug")
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """
    Run the emulator; print one ready line with its base URL once the socket listens.

    The line goes to stdout, flushed, so that a parent process can read the port from it; logs go to stderr.

    :param argv: Arguments without the program name; ``sys.argv[1:]`` when None.
    :return: The exit status: 0 after SIGINT/SIGTERM, 2 for bad arguments or an unreadable or invalid
        calendar, 1 when the port cannot be bound (in use, or not allowed).
    """
    args = build_parser().parse_args(argv)
    from uvicorn.config import LOGGING_CONFIG

    from meetstream_emulator.app import create_app
    from meetstream_emulator.server import build_server, format_base_url

    calendar: Any = None if args.no_calendar else (args.calendar or "demo")
    try:
        app = create_app(
            api_keys=args.api_keys or (DEFAULT_API_KEY,),
            calendar=calendar,
            join_lead_minutes=args.join_lead_minutes,
            conflict_mode=args.conflict_mode,
            enable_controls=not args.no_controls,
        )
    except (CalendarError, ValueError) as exc:
        print(f"meetstream-emulator: {exc}", file=sys.stderr)
        return 2

    def ready(port: int) -> None:
        base = format_base_url(args.host, port)
        print(f"MeetStream emulator ready on {base} (API {base}{API_PREFIX})", flush=True)

    server = build_server(
        app,
        host=args.host,
        port=args.port,
        on_ready=ready,
        log_level=args.log_level,
        log_config=LOGGING_CONFIG,
    )

    def stop(signum: int, frame: FrameType | None) -> None:
        # uvicorn handles the signal while it serves and re-raises it afterwards; ending here is clean.
        server.should_exit = True

    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, stop)
    try:
        server.run()
    except SystemExit:
        # uvicorn exits with its own status 3 when it cannot bind; this command documents 1.
        return 1
    return 0 if server.started else 1


if __name__ == "__main__":
    sys.exit(main())
