"""
BotFinishedTrigger: an asset watcher's trigger, one event each time a bot in scope finishes (Airflow 3).

Airflow 3 runs a ``BaseEventTrigger`` under an ``AssetWatcher`` in the triggerer, and each event it
yields becomes an asset event that starts the DAGs scheduled on the asset. Airflow 2 has neither:
there this module still imports, but ``BotFinishedTrigger`` is not defined, and importing it raises
an ``ImportError`` that says so; the hourly ``HarvestMeetingsOperator`` is the way there.

The watcher polls ``GET /bots``, every page: a calendar bot may be made a year before its meeting,
so no page can be skipped, and the listing answers each bot's status in one request per 100 bots,
where the calendar's events would need one status request per bot. The import rule of
``triggers/`` holds (see :mod:`airflow_provider_meetstream.triggers.polling`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Hashable, Iterable
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from airflow_provider_meetstream import validation
from airflow_provider_meetstream.constants import DEFAULT_CONN_ID, MAX_LIST_LIMIT, Logger
from airflow_provider_meetstream.triggers.polling import Scrubber, load_client
from airflow_provider_meetstream.utils import bot_watch, harvest

if TYPE_CHECKING:
    from airflow_provider_meetstream.hooks.async_client import MeetStreamAsyncClient

try:
    from airflow.triggers.base import BaseEventTrigger, TriggerEvent
except ImportError:  # Airflow 2
    _EVENT_TRIGGERS = False
else:
    _EVENT_TRIGGERS = True

#: The longest ``poll_interval``: a day. The longest ``lookback``: a year.
MAX_POLL_INTERVAL, MAX_LOOKBACK = 86400.0, 366 * 86400.0
#: The default ``lookback``: a week, as the harvest's.
DEFAULT_LOOKBACK = 7 * 86400.0
#: The default ``event_interval``: a few times the second the scheduler takes to start a run.
DEFAULT_EVENT_INTERVAL = 5.0
#: Seconds after an event until the stored mark holds its bot: the triggerer stores an event a
#: second or two after it is yielded, more on a loaded machine.
SAVE_DELAY = 10.0


async def snapshots(
    client: MeetStreamAsyncClient, poll_interval: float, log: Logger, scrub: Scrubber
) -> AsyncIterator[tuple[harvest.Bot, ...]]:
    """
    Every ``poll_interval`` seconds, every bot of the workspace; forever.

    A poll is bounded by the connection's deadline; a failed one is logged (the API key scrubbed)
    and the next comes after a doubling back-off, so the trigger neither dies nor spins.

    :param client: The async client.
    :param poll_interval: Seconds between two polls.
    :param log: Where the failures go.
    :param scrub: Takes the API key out of a text (:func:`~.polling.load_client`'s second value).
    """
    failures = 0
    while True:
        try:
            config = await client.get_config()
            listed = await asyncio.wait_for(_list_bots(client), config.deadline)
        except Exception as err:
            failures += 1
            wait = bot_watch.backoff(poll_interval, failures)
            message = scrub(f"{type(err).__name__}: {err}", client.api_key)
            log.warning(
                "Listing MeetStream's bots failed (%d in a row): %s; next try in %.0f s",
                failures,
                message,
                wait,
            )
            await asyncio.sleep(wait)
            continue
        failures = 0
        yield listed
        await asyncio.sleep(poll_interval)


async def _list_bots(client: MeetStreamAsyncClient) -> tuple[harvest.Bot, ...]:
    return tuple([harvest.Bot.read(answer) async for answer in client.iter_bots(page_size=MAX_LIST_LIMIT)])


if _EVENT_TRIGGERS:

    class BotFinishedTrigger(BaseEventTrigger):
        """
        Yield one event each time a bot in scope finishes: its meeting's data is ready, or it failed.

        A bot is announced once, on its transition, never on every poll: when it is ``Done`` (or
        ``Stopped`` with its transcript complete), or when it ends ``NotAllowed``, ``Denied`` or
        ``Error``. ``Stopped`` alone is not announced (its data is still processing), nor is
        ``Cancelled`` (it never met). At its first start the trigger takes a baseline: the bots
        that had ended by then are the hourly harvest's, not a burst of runs.

        Its mark (the baseline, the bots announced, the oldest end still announced) is kept in the
        watched asset's state store on Airflow 3.3, so a restarted triggerer misses nothing and
        repeats nothing announced more than :data:`SAVE_DELAY` seconds before it stopped: a bot
        joins the stored mark only once the triggerer has had time to store its event, so a stop
        in between announces it again (the harvest skips a landed meeting) rather than never.
        Without a state store (Airflow 3.0 to 3.2, a trigger outside a watcher, or one watching
        several assets) the mark lives in memory: a restart takes a new baseline, nothing repeats,
        and what finished while the triggerer was down is left to the harvest. Give each scope one
        watcher per asset: two with the same connection and scope share the asset's mark.

        On Airflow 3.3 the watchers of one connection and ``poll_interval`` share one listing of
        the workspace's bots (Airflow's shared streams), each keeping its own scope and mark.

        The event's payload: ``bot_id``, ``event_id``, ``occurrence_date``, ``title``, ``status``,
        ``outcome`` (``ready`` or ``failed``), ``reason``, ``end_time``; never a link or a key.
        On an asset event it is ``extra["payload"]``.

        :param sync_id: Watch the bots of this sync (keys starting ``f"{sync_id}|"``).
        :param key_prefix: Watch the bots whose deduplication key starts with this.
        :param bot_ids: Watch these bots. Exactly one of the three scopes: in a shared workspace
            every bot is other teams' meetings too.
        :param meetstream_conn_id: The Airflow connection to MeetStream.
        :param poll_interval: Seconds between two listings of the workspace's bots.
        :param lookback: Seconds: a bot whose meeting ended longer ago than this is never announced.
        :param event_interval: Seconds between two events of one poll (0: none). Airflow 3.3's
            scheduler starts a run with the events that had arrived when the asset's first queued
            event did, so an event that follows within the second it takes to start the run waits
            for the next event to start one (apache/airflow#70970); spaced out, each gets its run.
        """

        #: See :data:`SAVE_DELAY`; a test sets it to 0.
        save_delay: float = SAVE_DELAY

        def __init__(
            self,
            *,
            sync_id: str | None = None,
            key_prefix: str | None = None,
            bot_ids: Iterable[str] | None = None,
            meetstream_conn_id: str = DEFAULT_CONN_ID,
            poll_interval: float = 60.0,
            lookback: float = DEFAULT_LOOKBACK,
            event_interval: float = DEFAULT_EVENT_INTERVAL,
        ) -> None:
            super().__init__()  # type: ignore[no-untyped-call]
            self.scope = harvest.scope_of(sync_id, key_prefix, bot_ids)
            self.sync_id, self.key_prefix = sync_id, key_prefix
            self.bot_ids = None if self.scope.bot_ids is None else list(self.scope.bot_ids)
            self.meetstream_conn_id = validation.non_empty_text(meetstream_conn_id, "meetstream_conn_id")
            self.poll_interval = validation.seconds(
                poll_interval, "poll_interval", 0, MAX_POLL_INTERVAL, above_low=True
            )
            self.lookback = validation.seconds(lookback, "lookback", 0, MAX_LOOKBACK, above_low=True)
            self.event_interval = validation.seconds(event_interval, "event_interval", 0, MAX_POLL_INTERVAL)
            # The mark when no asset state store keeps it, and what the store was last given.
            self._mark: bot_watch.Mark | None = None
            self._saved: dict[str, Any] | None = None
            # Airflow 3.3's triggerer gives a watcher its asset's state store; 3.0 to 3.2 know none.
            if not hasattr(self, "asset_state_store"):
                self.asset_state_store = None

        def serialize(self) -> tuple[str, dict[str, Any]]:
            """Return the class path and primitive keyword arguments to rebuild this trigger."""
            return (
                "airflow_provider_meetstream.triggers.bot_finished.BotFinishedTrigger",
                {
                    "sync_id": self.sync_id,
                    "key_prefix": self.key_prefix,
                    "bot_ids": self.bot_ids,
                    "meetstream_conn_id": self.meetstream_conn_id,
                    "poll_interval": self.poll_interval,
                    "lookback": self.lookback,
                    "event_interval": self.event_interval,
                },
            )

        def shared_stream_key(self) -> Hashable:
            """The watchers of one connection and interval share one listing (Airflow 3.3)."""
            return ("meetstream-bots", self.meetstream_conn_id, self.poll_interval)

        @classmethod
        async def open_shared_stream(cls, kwargs: dict[str, Any]) -> AsyncIterator[Any]:
            """The shared listing: every bot of the workspace, every ``poll_interval``; forever."""
            import logging

            log = logging.getLogger(f"{cls.__module__}.{cls.__qualname__}")
            client_class, scrub = await asyncio.to_thread(load_client)
            async with client_class(kwargs["meetstream_conn_id"], log=log) as client:
                async for listed in snapshots(client, float(kwargs["poll_interval"]), log, scrub):
                    yield listed

        async def filter_shared_stream(
            self, shared_stream: AsyncIterator[Any]
        ) -> AsyncIterator[TriggerEvent]:
            """This watcher's events from the shared listing."""
            client_class, scrub = await asyncio.to_thread(load_client)
            async with client_class(self.meetstream_conn_id, log=self.log) as client:
                async for event in self._watch(client, shared_stream, scrub):
                    yield event

        async def run(self) -> AsyncIterator[TriggerEvent]:
            """Poll on its own (no shared streams) and yield this watcher's events."""
            client_class, scrub = await asyncio.to_thread(load_client)
            async with client_class(self.meetstream_conn_id, log=self.log) as client:
                listings = snapshots(client, self.poll_interval, self.log, scrub)
                async for event in self._watch(client, listings, scrub):
                    yield event

        async def _watch(
            self, client: MeetStreamAsyncClient, listings: AsyncIterator[Any], scrub: Scrubber
        ) -> AsyncIterator[TriggerEvent]:
            key = bot_watch.mark_key(self.meetstream_conn_id, self.scope)
            mark: bot_watch.Mark | None = None
            loaded = False
            # The bots announced but not yet in the stored mark, with when: the triggerer stores an
            # event a second or so after it is yielded, so the mark follows SAVE_DELAY later. A
            # restart in between announces them again (the consumer skips a landed meeting); saved
            # at once, it could lose them.
            unsaved: dict[str, float] = {}
            async for listed in listings:
                bots = [bot for bot in listed if self.scope.takes(bot)]
                now = datetime.now(timezone.utc)
                horizon = now - timedelta(seconds=self.lookback)
                try:
                    if not loaded:
                        # Never a baseline before the stored mark is read: that would drop events.
                        mark, loaded = await self._load(key), True
                    if mark is None:
                        mark = bot_watch.Mark.first(bots, now)
                        self.log.info(
                            "Baseline of %s: %d bot(s) had already ended or been cancelled; the hourly "
                            "harvest lands those meetings.",
                            self.scope.describe(),
                            len(mark.seen),
                        )
                        await self._save(key, mark)
                        continue
                    due, stopped = bot_watch.pending(mark, bots, horizon)
                    budget = time.monotonic() + (await client.get_config()).deadline
                    due += await self._transcripts_ready(client, stopped, scrub, budget)
                    titles = await self._titles(client, due, now, budget) if due else {}
                except Exception as err:
                    self.log.warning(
                        "This poll of %s failed and is retried at the next: %s",
                        self.scope.describe(),
                        scrub(f"{type(err).__name__}: {err}", client.api_key),
                    )
                    continue
                assert mark is not None
                for number, bot in enumerate(sorted(due, key=lambda bot: (bot.end or now, bot.bot_id))):
                    if number and self.event_interval:
                        await asyncio.sleep(self.event_interval)
                    self.log.info("Bot %s finished (%s).", bot.bot_id, bot.status)
                    yield TriggerEvent(  # type: ignore[no-untyped-call]
                        scrub(bot_watch.payload(bot, titles.get(bot.event_id or "")), client.api_key)
                    )
                    mark = mark.with_seen(bot)
                    unsaved[bot.bot_id] = time.monotonic()
                mark = mark.pruned(bots, horizon)
                settled = time.monotonic() - self.save_delay
                unsaved = {bot_id: at for bot_id, at in unsaved.items() if at > settled}
                await self._save(key, mark.without(unsaved))

        async def _load(self, key: str) -> bot_watch.Mark | None:
            store = self.asset_state_store
            if store is None:
                return self._mark
            try:
                return bot_watch.Mark.read(await store.aget(key))
            except ValueError as err:
                # A trigger that watches several assets has no one store to keep its mark in.
                self.log.warning("%s: the mark is kept in memory; give each watcher one asset.", err)
                self.asset_state_store = None
                return self._mark

        async def _save(self, key: str, mark: bot_watch.Mark) -> None:
            self._mark = mark
            value = mark.to_json()
            store = self.asset_state_store
            if store is None or value == self._saved:
                return
            try:
                await store.aset(key, value)
            except Exception as err:
                # Tried again at the next poll, with the whole mark.
                self.log.warning("Could not save the mark to the asset state store: %s", err)
            else:
                self._saved = value

        async def _transcripts_ready(
            self, client: MeetStreamAsyncClient, stopped: list[harvest.Bot], scrub: Scrubber, budget: float
        ) -> list[harvest.Bot]:
            """
            The ``Stopped`` bots whose transcript is complete: one light request each, within ``budget``.

            A bot that could not be asked (an error, or the poll's time spent) is asked at the next poll.
            """
            from airflow_provider_meetstream.utils.transcripts import is_ready

            ready, failed = [], []
            for number, bot in enumerate(stopped):
                if time.monotonic() > budget:
                    failed.append(f"{len(stopped) - number} not asked within the connection's deadline")
                    break
                try:
                    items = await client.list_transcriptions(bot.bot_id)
                except Exception as err:
                    failed.append(scrub(f"{bot.bot_id}: {type(err).__name__}: {err}", client.api_key))
                    continue
                if any(is_ready(item) for item in items):
                    ready.append(bot)
            if failed:
                self.log.warning(
                    "Transcript states not read, asked again next poll: %s", "; ".join(failed[:5])
                )
            return ready

        async def _titles(
            self, client: MeetStreamAsyncClient, bots: list[harvest.Bot], now: datetime, budget: float
        ) -> dict[str, str]:
            """The meetings' titles, from one listing of the days they ended in; those read by ``budget``."""
            from airflow_provider_meetstream.utils.calendar_meetings import title_of

            if not any(bot.event_id for bot in bots):
                return {}
            ends = [bot.end or now for bot in bots]
            titles: dict[str, str] = {}
            try:
                async for event in client.iter_events(
                    time_min=min(ends) - timedelta(days=1),
                    time_max=max(ends) + timedelta(hours=1),
                    page_size=MAX_LIST_LIMIT,
                ):
                    if isinstance(event.get("id"), str) and title_of(event):
                        titles[event["id"]] = title_of(event)
                    if time.monotonic() > budget:
                        self.log.warning("The calendar's pages took the poll's time: some titles left out.")
                        break
            except Exception as err:
                # A title is a nicety: the event goes out without it rather than not at all.
                self.log.warning(
                    "Could not read the calendar for the meetings' titles: %s", type(err).__name__
                )
            return titles

else:

    def __getattr__(name: str) -> Any:
        if name == "BotFinishedTrigger":
            raise ImportError(
                "BotFinishedTrigger needs Airflow 3.0 or later (BaseEventTrigger and AssetWatcher); "
                f"this is Airflow {_airflow_version()}. On Airflow 2, schedule HarvestMeetingsOperator "
                "hourly instead."
            )
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _airflow_version() -> str:
    from airflow import __version__

    return str(__version__)
