"""write_atomically: an object written whole or not at all, and the temporaries a killed write left."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from airflow_provider_meetstream.utils.landing import write_atomically


class TestWriteAtomically:
    def test_a_failed_write_leaves_no_temporary_object(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from airflow.providers.common.compat.sdk import ObjectStoragePath

        def broken(self: Any, target: Any) -> Any:
            raise OSError("disk gone")

        monkeypatch.setattr(type(ObjectStoragePath(f"file://{tmp_path}")), "rename", broken)
        with pytest.raises(OSError, match="disk gone"):
            write_atomically(ObjectStoragePath(f"file://{tmp_path}/transcript.jsonl"), "{}\n")
        assert list(tmp_path.iterdir()) == []

    def test_only_the_objects_own_temporaries_are_removed(self, tmp_path: Path) -> None:
        from airflow.providers.common.compat.sdk import ObjectStoragePath

        # The object "abc.jsonl.jsonl" writes ".abc.jsonl.jsonl.<hex>.tmp": not a leftover of
        # "abc.jsonl", though its name starts the same.
        in_flight = tmp_path / f".abc.jsonl.jsonl.{'1' * 32}.tmp"
        in_flight.write_text("being written")
        write_atomically(ObjectStoragePath(f"file://{tmp_path}/abc.jsonl"), "{}\n")
        assert sorted(path.name for path in tmp_path.iterdir()) == [in_flight.name, "abc.jsonl"]

    def test_a_store_that_cannot_list_still_keeps_the_written_object(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from airflow.providers.common.compat.sdk import ObjectStoragePath

        def refused(self: Any) -> Any:
            raise PermissionError("s3:ListBucket denied")

        monkeypatch.setattr(type(ObjectStoragePath(f"file://{tmp_path}")), "iterdir", refused)
        write_atomically(ObjectStoragePath(f"file://{tmp_path}/transcript.jsonl"), "{}\n")
        assert (tmp_path / "transcript.jsonl").read_text() == "{}\n"
