"""A local MeetStream-compatible server for demos and tests; imports nothing from the provider."""

from __future__ import annotations


def __getattr__(name: str) -> str:
    # The version is the installed distribution's, written from the repository's VERSION file. It is
    # looked up on first use, not at import: a lookup scans sys.path for metadata (a millisecond or
    # two), and every DAG file that imports an operator imports this package.
    if name != "__version__":
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("meetstream-emulator")
    except PackageNotFoundError:  # on sys.path from a checkout without being installed
        found = "0+unknown"
    globals()["__version__"] = found
    return found
