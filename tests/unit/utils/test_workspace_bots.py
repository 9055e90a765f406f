"""A workspace's bots as the listings show them: their owners, whether they wait, how far a page reaches."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from meetstream_fakes import T0

from airflow_provider_meetstream.utils.calendar_sync import deduplication_key, our_bots
from airflow_provider_meetstream.utils.workspace_bots import ListedBot, list_reach, listed_bots

UTC = timezone.utc
SYNC = "dag.sync"
#: Now: a bot joining later waits, one joining earlier has joined.
NOW = T0


class TestListedBots:
    def test_owners_and_waiting(self) -> None:
        key = deduplication_key(SYNC, "m1")
        events = [
            {
                "id": "e",
                "bots": [
                    {"bot_id": "b1", "deduplication_key": key, "start_time": "2027-02-03T10:00:00Z"},
                    {"bot_id": "b2", "deduplication_key": f"{SYNC}|m2", "start_time": "2027-02-03T07:00:00Z"},
                    {"bot_id": "b3", "deduplication_key": "other-dag|m1"},
                    {"bot_id": "b4"},
                    "not a bot",
                ],
            }
        ]
        scheduled = [
            {
                "bot_id": "b1",
                "scheduled_join_time": "2027-02-03T10:00:00Z",
                "custom_attributes": {"deduplication_key": key, "event_id": "e"},
            },
            {"bot_id": "b9", "custom_attributes": {"deduplication_key": "someone-else", "event_id": "f"}},
        ]
        bots = listed_bots(events, scheduled)
        assert [(b.bot_id, b.event_id, b.scheduled) for b in bots] == [
            ("b1", "e", True),
            ("b2", "e", False),
            ("b3", "e", False),
            ("b4", "e", False),
            ("b9", "f", True),
        ]
        found = our_bots(SYNC, bots, NOW)
        assert {k: (b.bot_id, b.waiting(NOW)) for k, b in found.items()} == {
            key: ("b1", True),
            f"{SYNC}|m2": ("b2", False),
        }

    def test_how_far_a_scheduled_page_shows_every_waiting_bot(self) -> None:
        def page(*joins: str | None) -> list[dict]:
            return [{"bot_id": str(i), "scheduled_join_time": join} for i, join in enumerate(joins)]

        ten = datetime(2027, 2, 3, 10, 0, tzinfo=UTC)
        assert list_reach(page("2027-02-03T10:00:00Z"), 2) == datetime.max.replace(tzinfo=UTC)
        assert list_reach(page("2027-02-03T09:00:00Z", "2027-02-03T10:00:00Z"), 2) == ten
        assert list_reach(page("2027-02-03T13:00:00Z", "2027-02-03T12:00:00Z"), 2) is None
        assert list_reach(page("2027-02-03T13:00:00Z", None), 2) is None

    def test_within_the_lists_reach_an_unlisted_bot_does_not_wait_whatever_the_clock(self) -> None:
        later = NOW + timedelta(hours=2)
        unlisted = ListedBot("b", "k", "e", None, later, scheduled=False)
        assert unlisted.waiting(NOW)
        assert not unlisted.waiting(NOW, list_reach=later)
        assert unlisted.waiting(NOW, list_reach=later - timedelta(seconds=1))
        assert ListedBot("b", "k", "e", None, NOW - timedelta(hours=1), scheduled=True).waiting(NOW, later)
