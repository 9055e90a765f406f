"""The triggerer's event loop is never blocked long while a ListScheduledTrigger starts and polls once."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook
from airflow_provider_meetstream.sensors.meetstream import ScheduledCriteria

#: Generous: the triggerer itself warns from 0.2 s on; a blocked start used to take about 1 s.
MAX_LOOP_GAP = 0.2

# Run in a fresh interpreter, so that the provider's modules are imported there, on the loop, as
# the triggerer does when a trigger of a new class arrives (it imports the class on its loop).
# What a triggerer has loaded before any trigger (Airflow, its task SDK, httpx) is loaded first.
SCRIPT = textwrap.dedent(
    """
    import asyncio, importlib, json, sys, time

    importlib.import_module("airflow.jobs.triggerer_job_runner")
    # What the triggerer itself loaded (Airflow 2's loads requests) is not the trigger's doing.
    before = set(sys.modules)
    # The providers manager reads the provider's metadata; nothing else of it is loaded yet.
    fresh = ("hooks", "triggers", "sensors", "utils", "exceptions", "validation")
    assert not [name for name in sys.modules if name.split(".")[1:2] and name.split(".")[1] in fresh
                and name.startswith("airflow_provider_meetstream.")]
    criteria = json.loads(sys.argv[1])

    async def main():
        worst = 0.0
        running = True

        async def heartbeat():
            nonlocal worst
            last = time.perf_counter()
            while running:
                await asyncio.sleep(0.005)
                now = time.perf_counter()
                worst = max(worst, now - last)
                last = now

        beat = asyncio.create_task(heartbeat())
        await asyncio.sleep(0.05)
        module = importlib.import_module("airflow_provider_meetstream.triggers.meetstream")
        trigger = module.ListScheduledTrigger(
            meetstream_conn_id="meetstream_default", criteria=criteria, poll_interval=60, timeout=30
        )
        events = [event.payload async for event in trigger.run()]
        await asyncio.sleep(0.05)
        running = False
        await beat
        loaded = sorted(name for name in ("requests", "airflow_provider_meetstream.sensors.meetstream")
                        if name in set(sys.modules) - before)
        print(json.dumps({"gap": worst, "events": events, "loaded": loaded}))

    asyncio.run(main())
    """
)


def test_the_loop_keeps_ticking_while_a_trigger_starts(meetstream_frozen_now) -> None:
    # The demo calendar's Zoom call, at a frozen instant so that it is the same meeting every day.
    bot_id = MeetStreamHook().schedule_event("evt_demo_zoom_sync", deduplication_key="loop")["bot_id"]
    criteria = ScheduledCriteria.build(bot_ids=[bot_id]).serialize()
    done = subprocess.run(
        [sys.executable, "-c", SCRIPT, json.dumps(criteria)],
        env=os.environ.copy(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    print(f"longest event-loop gap while the trigger started and polled once: {result['gap']:.3f} s")
    assert [event["status"] for event in result["events"]] == ["success"], result["events"]
    assert [bot["bot_id"] for bot in result["events"][0]["bots"]] == [bot_id]
    # Neither requests nor the sensor is needed on the triggerer.
    assert result["loaded"] == []
    assert result["gap"] < MAX_LOOP_GAP
