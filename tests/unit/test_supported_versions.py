"""The supported Airflow versions are one range: make test-compat's, the metadata's and the docs' agree."""

from __future__ import annotations

import importlib.util
import re
from datetime import date
from importlib.metadata import requires
from pathlib import Path

from packaging.requirements import Requirement
from packaging.version import Version

REPO = Path(__file__).resolve().parents[2]


def _compat_matrix() -> dict[str, tuple[str, str]]:
    spec = importlib.util.spec_from_file_location("test_compat_script", REPO / "scripts" / "test_compat.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return dict(module.AIRFLOW)


def _airflow_requirement() -> Requirement:
    # The installed metadata: pyproject.toml's dependencies as the build read them.
    found = [Requirement(dep) for dep in requires("airflow-provider-meetstream") or ()]
    return next(dep for dep in found if dep.name == "apache-airflow")


MATRIX = _compat_matrix()


def test_each_version_is_a_patch_of_its_row_resolved_after_its_release_day() -> None:
    for minor, (release, as_of) in MATRIX.items():
        assert release.startswith(f"{minor}."), (minor, release)
        date.fromisoformat(as_of)


def test_the_metadata_admits_every_tested_version_and_starts_at_the_oldest() -> None:
    requirement = _airflow_requirement()
    oldest = min(MATRIX, key=Version)
    assert str(requirement.specifier) == f">={oldest}"
    assert all(requirement.specifier.contains(release) for release, _ in MATRIX.values())


def test_the_docs_table_lists_exactly_the_tested_versions() -> None:
    page = (REPO / "docs" / "compatibility.md").read_text()
    supported = set(re.findall(r"^\| (\d+\.\d+) \| yes\b", page, flags=re.MULTILINE))
    assert supported == set(MATRIX)


def test_the_readme_line_names_the_same_versions() -> None:
    line = next(
        line for line in (REPO / "README.md").read_text().splitlines() if line.startswith("Supported:")
    )
    assert set(re.findall(r"\b(\d+\.\d+)\b", line)) >= set(MATRIX)
    assert "make test-compat" in line
