"""A bot to its transcript under dag.test(); the asset event carries the transcript's metadata."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import requests_mock as rm
from airflow_versions import write_dag_assets
from meetstream_fakes import API_KEY, BASE

pytestmark = pytest.mark.usefixtures("default_connection")
ASSET_URI = "meetstream://transcripts/standup"
SEGMENTS = [
    {"speaker": "Ada", "transcript": "Morning.", "start_time": 0.0, "end_time": 1.0},
    {"speaker": "Grace", "transcript": "Morning, Ada.", "start_time": 1.0, "end_time": 2.5},
]

TRANSCRIPT_DAG = """
import pendulum
from airflow.providers.common.compat.sdk import DAG, Asset

from airflow_provider_meetstream.operators.bots import CreateBotOperator
from airflow_provider_meetstream.operators.transcripts import FetchTranscriptOperator
from airflow_provider_meetstream.sensors.bot_status import BotStatusSensor

with DAG("meetstream_transcript_test", schedule=None, start_date=pendulum.datetime(2026, 1, 1, tz="UTC"),
         params={"link": "https://zoom.us/j/555"}) as dag:
    create = CreateBotOperator(task_id="create_bot", meeting_link="{{ params.link }}",
                               bot_config={"bot_name": "Notes"})
    wait = BotStatusSensor(task_id="wait_for_done", bot_ids=create.output, mode="poke",
                           poke_interval=0.05, timeout=60)
    fetch = FetchTranscriptOperator(task_id="fetch_transcript", bot_id=create.output,
                                    base_path="file://BASE_PATH/{{ dag.dag_id }}", write_text=True,
                                    poll_interval=0.05, transcript_timeout=60,
                                    outlets=[Asset("ASSET_URI")])
    create >> wait >> fetch
"""


def _asset_events(uri: str) -> list[dict]:
    from airflow.utils.session import create_session

    try:
        from airflow.models.asset import AssetEvent, AssetModel
    except ImportError:  # Airflow 2
        from airflow.models.dataset import DatasetEvent as AssetEvent
        from airflow.models.dataset import DatasetModel as AssetModel

    with create_session() as session:
        model = session.query(AssetModel).filter(AssetModel.uri == uri).one()
        column = AssetEvent.asset_id if hasattr(AssetEvent, "asset_id") else AssetEvent.dataset_id
        return [event.extra for event in session.query(AssetEvent).filter(column == model.id)]


def _xcoms(dag_id: str) -> dict[str, object]:
    from airflow.utils.session import create_session

    try:
        from airflow.models.xcom import XComModel as XCom
    except ImportError:  # Airflow 2
        from airflow.models.xcom import XCom
    with create_session() as session:
        rows = session.query(XCom).filter(XCom.dag_id == dag_id, XCom.key == "return_value").all()
        return {row.task_id: row.value for row in rows}


def test_bot_to_transcript_with_an_asset_event(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from airflow import settings
    from airflow.utils.state import DagRunState, TaskInstanceState

    try:
        from airflow.dag_processing.dagbag import DagBag
    except ImportError:  # Airflow 2
        from airflow.models.dagbag import DagBag

    dags, out = tmp_path / "dags", tmp_path / "out"
    dags.mkdir()
    source = TRANSCRIPT_DAG.replace("BASE_PATH", str(out)).replace("ASSET_URI", ASSET_URI)
    (dags / "transcript_dag.py").write_text(source)
    # dag.test() serializes the DAG from its bundle: make this folder the dags folder for this test.
    monkeypatch.setattr(settings, "DAGS_FOLDER", str(dags))
    bag = DagBag(dag_folder=str(dags))
    assert bag.import_errors == {}
    dag = bag.get_dag("meetstream_transcript_test")
    write_dag_assets(dag)
    created = {
        "bot_id": "bot_5",
        "transcript_id": "tr_5",
        "meeting_url": "https://zoom.us/j/555",
        "status": "Joining",
    }
    with rm.Mocker() as mock:
        mock.post(f"{BASE}/bots/create_bot", status_code=201, json=created)
        mock.get(
            f"{BASE}/bots/bot_5/status",
            [
                {"json": {"bot_id": "bot_5", "status": "InMeeting"}},
                {"json": {"bot_id": "bot_5", "status": "Done"}},
            ],
        )
        mock.get(f"{BASE}/bots/bot_5/detail", json={"bot_details": {"bot_id": "bot_5", "status": "Done"}})
        mock.get(
            f"{BASE}/transcript/tr_5/get_transcript",
            [{"status_code": 202}, {"json": {"message": SEGMENTS}}],
        )
        run = dag.test()
    assert run.state == DagRunState.SUCCESS
    states = {ti.task_id: ti.state for ti in run.get_task_instances()}
    assert set(states.values()) == {TaskInstanceState.SUCCESS}
    assert len(states) == 3

    written = out / "meetstream_transcript_test" / "bot_5"
    assert sorted(path.name for path in written.iterdir()) == ["transcript.jsonl", "transcript.txt"]
    assert (written / "transcript.txt").read_text() == "Ada: Morning.\nGrace: Morning, Ada.\n"
    metadata = {
        "uri": f"file://{written}/transcript.jsonl",
        "text_uri": f"file://{written}/transcript.txt",
        "segments": 2,
        "speakers": ["Ada", "Grace"],
        "duration_seconds": 2.5,
        "bot_id": "bot_5",
        "transcript_id": "tr_5",
        "meeting_url": "https://zoom.us/j/555",
        "event_id": None,
    }
    (extra,) = _asset_events(ASSET_URI)
    assert extra == metadata
    xcoms = _xcoms("meetstream_transcript_test")
    assert xcoms["fetch_transcript"] == metadata
    assert xcoms["create_bot"] == created
    assert API_KEY not in json.dumps(xcoms)
    (post,) = [request for request in mock.request_history if request.method == "POST"]
    assert post.json() == {"meeting_link": "https://zoom.us/j/555", "bot_name": "Notes"}
