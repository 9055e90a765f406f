"""Lineage names: OpenLineage's (namespace, name) of a store's URIs, MeetStream's own, a run's record."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

from airflow_provider_meetstream.utils import lineage
from airflow_provider_meetstream.utils.lineage import RunLineage


class TestDatasetName:
    @pytest.mark.parametrize(
        ("uri", "expected"),
        [
            # The spec's examples, one a store.
            ("file:///tmp/out/bot_1/transcript.jsonl", ("file", "/tmp/out/bot_1/transcript.jsonl")),
            ("s3://meetings/landing/bot_1/meeting.json", ("s3://meetings", "landing/bot_1/meeting.json")),
            ("gs://meetings/bot_1/audio.wav", ("gs://meetings", "bot_1/audio.wav")),
            ("hdfs://namenode:8020/warehouse/t.jsonl", ("hdfs://namenode:8020", "warehouse/t.jsonl")),
            (
                "abfss://landing@acct.dfs.core.windows.net/bot_1/meeting.json",
                ("abfss://landing@acct.dfs.core.windows.net", "bot_1/meeting.json"),
            ),
            # Any other scheme: its authority, which may be empty, and the path without its slash.
            (
                "memory:///meetstream-tests/abc/meeting.json",
                ("memory://", "meetstream-tests/abc/meeting.json"),
            ),
            # The scheme is case-insensitive; a bucket's name is not.
            ("S3://Meetings/Key.json", ("s3://Meetings", "Key.json")),
            # A file:// URI naming its host (localhost) is still a local file.
            ("file://localhost/tmp/t.jsonl", ("file", "/tmp/t.jsonl")),
        ],
    )
    def test_the_spec_naming_of_each_store(self, uri: str, expected: tuple[str, str]) -> None:
        assert lineage.dataset_name(uri) == expected

    def test_an_object_name_is_kept_as_written(self) -> None:
        # ObjectStoragePath strings are not percent-encoded: "%2F" is in the folder's name on disk,
        # and a "?" or "#" is part of a name, not a query or a fragment.
        assert lineage.dataset_name("file:///tmp/out/a%2Fb/what? #1.jsonl") == (
            "file",
            "/tmp/out/a%2Fb/what? #1.jsonl",
        )
        assert lineage.dataset_name("s3://b/x?y#z") == ("s3://b", "x?y#z")

    def test_a_path_without_a_scheme_is_a_local_file_made_absolute(self) -> None:
        assert lineage.dataset_name("/var/meetings/m.json") == ("file", "/var/meetings/m.json")
        assert lineage.dataset_name("meetings/m.json") == ("file", os.path.abspath("meetings/m.json"))

    def test_a_password_in_the_uri_never_reaches_the_namespace(self) -> None:
        assert lineage.dataset_name("sftp://ada:s3cret@files.example.com/in/m.json") == (
            "sftp://files.example.com",
            "in/m.json",
        )

    def test_an_object_storage_path_is_named_like_the_file_it_wrote(self, tmp_path: Path) -> None:
        from airflow.providers.common.compat.sdk import ObjectStoragePath

        path = ObjectStoragePath(f"file://{tmp_path}") / "bot 1" / "transcript.jsonl"
        path.parent.mkdir(parents=True)
        path.write_text("{}\n")
        space, name = lineage.dataset_name(str(path))
        assert space == "file"
        assert Path(name).read_text() == "{}\n"


class TestMeetStreamNames:
    @pytest.mark.parametrize(
        ("base_url", "expected"),
        [
            ("https://api.meetstream.ai/api/v1", "api.meetstream.ai"),
            ("http://127.0.0.1:8765/api/v1", "127.0.0.1:8765"),
            ("https://API.MeetStream.ai:443/api/v1", "api.meetstream.ai:443"),
            ("http://[::1]:8080/api/v1", "[::1]:8080"),
            # A user and password in the connection's host stay out of every lineage name.
            ("https://ada:s3cret@gateway.internal/api/v1", "gateway.internal"),
        ],
    )
    def test_the_authority_is_host_and_port_only(self, base_url: str, expected: str) -> None:
        assert lineage.authority(base_url) == expected
        assert lineage.namespace(base_url) == f"meetstream://{expected}"

    def test_an_id_is_one_segment_of_the_name(self) -> None:
        assert lineage.api_name("bots", "bot_1") == "bots/bot_1"
        assert lineage.api_name("bots", "a/b?c d") == "bots/a%2Fb%3Fc%20d"
        assert lineage.api_uri("127.0.0.1:8765", "transcripts", "tr 1") == (
            "meetstream://127.0.0.1:8765/transcripts/tr%201"
        )


class TestRunLineage:
    def test_inputs_and_outputs_each_once_in_the_order_met(self) -> None:
        run = RunLineage(
            "http://127.0.0.1:8765/api/v1",
            ["bot_b", "bot_a", "bot_b"],
            ["file:///out/bot_b/transcript.jsonl", "file:///out/bot_b/meeting.json"] * 2,
        )
        assert run.inputs() == [
            ("meetstream://127.0.0.1:8765", "bots/bot_b"),
            ("meetstream://127.0.0.1:8765", "bots/bot_a"),
        ]
        assert run.outputs() == [("file", "/out/bot_b/transcript.jsonl"), ("file", "/out/bot_b/meeting.json")]

    def test_a_run_that_did_nothing_reports_nothing(self) -> None:
        nothing = RunLineage("https://api.meetstream.ai/api/v1")
        assert (nothing.inputs(), nothing.outputs()) == ([], [])


def test_the_naming_module_imports_nothing_from_airflow() -> None:
    # Pure vocabulary, below the hooks and the operators. Its one lazy import, the OpenLineage
    # provider's (and the same for type checking), is inside operator_lineage, which only
    # get_openlineage_facets_on_complete calls.
    tree = ast.parse(Path(lineage.__file__).read_text())

    def modules(nodes: list[ast.stmt] | list[ast.AST]) -> set[str]:
        return {
            alias.name if isinstance(node, ast.Import) else str(node.module)
            for node in nodes
            if isinstance(node, (ast.Import, ast.ImportFrom))
            for alias in node.names
        }

    at_import = modules(tree.body)
    assert at_import == {"__future__", "os", "re", "dataclasses", "typing", "urllib.parse"}
    assert modules(list(ast.walk(tree))) - at_import == {
        "airflow.providers.common.compat.openlineage.facet",
        "airflow.providers.openlineage.extractors",
    }
