"""Nothing blocking runs on the triggerer's event loop while a trigger starts and polls to its first event."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import textwrap
from datetime import datetime, timedelta
from typing import Any

import pytest

from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook
from airflow_provider_meetstream.utils.scheduled_bots import ScheduledCriteria

# Run in a fresh interpreter, so that the provider's modules are imported there, as the triggerer
# does when a trigger of a new class arrives (it imports the class on its loop), after what a
# triggerer has loaded before any trigger (Airflow, its task SDK; httpx on Airflow 3). What used to
# stall the loop (about 1 s at a trigger's start) is recorded with the thread it ran in, instead of
# timing the loop, which flakes on a loaded machine: each module imported (a first import reads and
# compiles files) and each CA bundle loaded (httpx builds an SSL context with each client).
SCRIPT = textwrap.dedent(
    """
    import asyncio, importlib, importlib.abc, json, ssl, sys, threading, time, urllib.request
    import time_machine

    importlib.import_module("airflow.jobs.triggerer_job_runner")
    # asyncio imports it on the loop when it creates the loop's default executor, once for every
    # trigger of a triggerer (Airflow 3's has it already): not this trigger's doing.
    importlib.import_module("concurrent.futures.thread")
    # What the triggerer itself loaded (Airflow 2's loads requests) is not the trigger's doing.
    before = set(sys.modules)
    # The providers manager reads the provider's metadata; nothing else of it is loaded yet.
    fresh = ("hooks", "triggers", "sensors", "utils", "exceptions", "validation")
    assert not [name for name in sys.modules if name.split(".")[1:2] and name.split(".")[1] in fresh
                and name.startswith("airflow_provider_meetstream.")]
    spec = json.loads(sys.argv[1])
    imports = []  # (module, thread) for each module asked for that is not loaded yet
    ca_reads = []  # thread, for each CA bundle read

    class RecordImports(importlib.abc.MetaPathFinder):
        # Asked first for every module not yet in sys.modules; finds nothing, the next finder does.
        def find_spec(self, name, path=None, target=None):
            imports.append((name, threading.get_ident()))
            return None

    def record_ca_reads(method):
        def record(self, *args, **kwargs):
            ca_reads.append(threading.get_ident())
            return method(self, *args, **kwargs)
        return record

    ssl.SSLContext.load_verify_locations = record_ca_reads(ssl.SSLContext.load_verify_locations)
    ssl.SSLContext.set_default_verify_paths = record_ca_reads(ssl.SSLContext.set_default_verify_paths)

    def emulator(method, control, body=None):
        # The emulator's controls, from a thread: its clock and its request log.
        request = urllib.request.Request(
            spec["admin_url"] + "/_emulator" + control, method=method,
            data=None if body is None else json.dumps(body).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            return json.load(answer)

    def wait_for_listings(count):
        while sum(r["path"] == "/api/v1/bots" for r in emulator("GET", "/requests")["requests"]) < count:
            time.sleep(0.05)

    async def finished_events(trigger):
        # Its baseline first (the bot has not met), then the clock past the meeting: one event.
        run = trigger.run()
        first = asyncio.ensure_future(run.__anext__())
        await asyncio.to_thread(wait_for_listings, 2)
        await asyncio.to_thread(emulator, "POST", "/clock/set", {"now": spec["after"]})
        event = await asyncio.wait_for(first, 60)
        await run.aclose()
        return [event.payload]

    async def main():
        loop_thread = threading.get_ident()
        # On the loop, as the triggerer does; what this may load is test_layout's concern.
        module = importlib.import_module(f"airflow_provider_meetstream.triggers.{spec['module']}")
        sys.meta_path.insert(0, RecordImports())
        if spec["module"] == "bot_finished":
            trigger = module.BotFinishedTrigger(
                bot_ids=[spec["bot_id"]], poll_interval=0.05, event_interval=0
            )
            events = await finished_events(trigger)
        else:
            trigger = module.ListScheduledTrigger(
                meetstream_conn_id="meetstream_default", criteria=spec["criteria"], poll_interval=60,
                timeout=30,
            )
            events = [event.payload async for event in trigger.run()]
        # A module a library only tries (httpcore tries sniffio at each request) is not loaded: no
        # file is read or compiled.
        blocking = [(f"import {name}", thread) for name, thread in imports if name in sys.modules]
        blocking += [("read the CA bundle", thread) for thread in ca_reads]
        on_loop = sorted({what for what, thread in blocking if thread == loop_thread})
        off_loop = sorted({what for what, thread in blocking if thread != loop_thread})
        loaded = sorted(name for name in ("requests", "airflow_provider_meetstream.sensors.meetstream")
                        if name in set(sys.modules) - before)
        print(json.dumps({"events": events, "on_loop": on_loop, "off_loop": off_loop, "loaded": loaded}))

    # The emulator's clock is frozen at the test's instant; this process travels there too, or the
    # trigger would find the meeting older than its lookback once today is far from that instant.
    with time_machine.travel(spec["now"], tick=True):
        asyncio.run(main())
    """
)


@pytest.mark.parametrize(
    "module",
    [
        "meetstream",
        pytest.param(
            "bot_finished",
            marks=pytest.mark.skipif(
                importlib.util.find_spec("airflow.sdk") is None,
                reason="BotFinishedTrigger needs Airflow 3 (BaseEventTrigger)",
            ),
        ),
    ],
)
def test_nothing_blocking_runs_on_the_loop_while_a_trigger_starts(
    meetstream_frozen_now: Any, module: str
) -> None:
    # The demo calendar's Zoom call, at a frozen instant so that it is the same meeting every day.
    scheduled = MeetStreamHook().schedule_event("evt_demo_zoom_sync", deduplication_key="loop")
    bot_id = scheduled["bot_id"]
    status = MeetStreamHook().get_bot_status(bot_id)
    ended = datetime.fromisoformat(status["meeting_end_time"].replace("Z", "+00:00"))
    emulator = meetstream_frozen_now.emulator
    spec = {
        "module": module,
        "bot_id": bot_id,
        "criteria": ScheduledCriteria.build(bot_ids=[bot_id]).serialize(),
        "admin_url": emulator.admin.base_url,
        "now": meetstream_frozen_now.now.isoformat(),
        # An hour after its meeting: the meeting, and its processing, are over.
        "after": (ended + timedelta(hours=1)).isoformat(),
    }
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(spec)],
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    if module == "bot_finished":
        assert [(event["bot_id"], event["outcome"]) for event in result["events"]] == [(bot_id, "ready")]
    else:
        assert [event["status"] for event in result["events"]] == ["success"], result["events"]
        assert [bot["bot_id"] for bot in result["events"][0]["bots"]] == [bot_id]
    # Nothing was imported nor any CA bundle read on the loop while the trigger ran...
    assert result["on_loop"] == []
    # ...because both happened, in worker threads: the async client's module and httpx's SSL context.
    assert "import airflow_provider_meetstream.hooks.async_client" in result["off_loop"]
    assert "read the CA bundle" in result["off_loop"]
    # Neither requests nor the sensor is needed on the triggerer.
    assert result["loaded"] == []
