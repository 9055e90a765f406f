"""The release's facts agree: VERSION, the changelog's newest entry, both packages and the provider info."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import date
from itertools import pairwise
from pathlib import Path

import pytest
from packaging.version import InvalidVersion, Version

REPO_ROOT = Path(__file__).resolve().parents[2]
VERSION = (REPO_ROOT / "VERSION").read_text(encoding="utf-8").strip()
# A release heading of Keep a Changelog: `## [1.2.0] - 2026-12-05`.
RELEASE = re.compile(r"^## \[(?P<version>[^\]]+)\] - (?P<date>\d{4}-\d{2}-\d{2})$")


def _headings() -> list[str]:
    text = (REPO_ROOT / "CHANGELOG.md").read_text(encoding="utf-8")
    return [line for line in text.splitlines() if line.startswith("## [")]


def test_version_is_a_normalized_pep440_version() -> None:
    assert (REPO_ROOT / "VERSION").read_text(encoding="utf-8") == f"{VERSION}\n"
    try:
        parsed = Version(VERSION)
    except InvalidVersion:
        pytest.fail(f"VERSION {VERSION!r} is not a PEP 440 version")
    # The form the package index and the wheels' file names use, so that all of them agree.
    assert str(parsed) == VERSION


def test_the_changelogs_newest_entry_is_the_version() -> None:
    first = RELEASE.match(_headings()[0])
    assert first, f"the newest changelog heading {_headings()[0]!r} is not `## [{VERSION}] - <date>`"
    assert first["version"] == VERSION


def test_the_changelog_goes_back_in_versions_and_dates() -> None:
    releases = []
    for heading in _headings():
        match = RELEASE.match(heading)
        assert match, f"{heading!r} is not `## [<version>] - <YYYY-MM-DD>`"
        releases.append((Version(match["version"]), date.fromisoformat(match["date"])))
    assert len(releases) >= 2
    for (newer, newer_date), (older, older_date) in pairwise(releases):
        assert newer > older, f"{newer} is listed above {older}"
        assert newer_date >= older_date, f"{newer} ({newer_date}) is dated before {older} ({older_date})"


def test_both_packages_and_the_provider_info_say_the_version() -> None:
    import airflow_provider_meetstream
    import meetstream_emulator
    from airflow_provider_meetstream.get_provider_info import get_provider_info
    from airflow_provider_meetstream.hooks.config import USER_AGENT

    assert airflow_provider_meetstream.__version__ == VERSION
    assert meetstream_emulator.__version__ == VERSION
    assert get_provider_info()["versions"][0] == VERSION
    assert USER_AGENT.split("/") == ["airflow-provider-meetstream", VERSION]


@pytest.mark.parametrize("package", ["airflow_provider_meetstream", "meetstream_emulator"])
def test_importing_a_package_does_not_look_its_version_up(package: str) -> None:
    # A DAG file imports the provider's package: the metadata lookup waits for the first use.
    code = (
        f"import {package} as p; before = '__version__' in vars(p); version = p.__version__; "
        "print(before, version, '__version__' in vars(p))"
    )
    out = subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout
    assert out.split() == ["False", VERSION, "True"]
