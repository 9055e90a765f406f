"""Settling a full page through the events listing's bots: what counts, read defensively."""

from __future__ import annotations

import pytest

from airflow_provider_meetstream.utils.event_bots import consult_event, event_bots, event_to_consult
from airflow_provider_meetstream.utils.scheduled_bots import ScheduledCriteria


def listed(bot_id: str, event_id: str = "e9") -> dict:
    return {"bot_id": bot_id, "custom_attributes": {"event_id": event_id, "deduplication_key": "k"}}


FULL_PAGE = [listed("x1"), listed("x2")]


def test_only_an_open_full_page_with_an_event_filter_consults_the_event() -> None:
    by_event = ScheduledCriteria.build(event_id="e1", limit=2)
    assert event_to_consult(by_event, by_event.evaluate(FULL_PAGE)) == "e1"
    assert event_to_consult(by_event, by_event.evaluate(FULL_PAGE[:1])) is None  # not truncated
    by_ids = ScheduledCriteria.build(event_id="e1", bot_ids=["b1"], limit=2)
    assert event_to_consult(by_ids, by_ids.evaluate(FULL_PAGE)) is None  # statuses settle ids
    gone = ScheduledCriteria.build(event_id="e1", wait_for="gone", limit=2)
    assert event_to_consult(gone, gone.evaluate([listed("b1", "e1"), listed("x")])) is None


@pytest.mark.parametrize(
    "bots",
    [
        None,
        "b1",
        [None, "b1", 3],
        [{"bot_id": ""}, {"bot_id": 7}, {"start_time": "2027-01-01T00:00:00Z"}],
    ],
)
def test_unreadable_bots_are_unknown(bots: object) -> None:
    criteria = ScheduledCriteria.build(event_id="e1", limit=2)
    assert event_bots(criteria, {"id": "e1", "bots": bots}) == []
    assert not consult_event(criteria, criteria.evaluate(FULL_PAGE), {"id": "e1", "bots": bots}).done


def test_a_key_filter_needs_the_key() -> None:
    criteria = ScheduledCriteria.build(event_id="e1", deduplication_key="k", limit=2)
    event = {"bots": [{"bot_id": "b1"}, {"bot_id": "b2", "deduplication_key": "other"}]}
    assert event_bots(criteria, event) == []
    event["bots"].append({"bot_id": "b3", "deduplication_key": "k"})
    assert [bot["bot_id"] for bot in event_bots(criteria, event)] == ["b3"]


def test_scheduled_counts_each_bot_once() -> None:
    criteria = ScheduledCriteria.build(event_id="e1", min_count=2, limit=2)
    page = [listed("b1", "e1"), listed("x")]
    event = {"bots": [{"bot_id": "b1"}, {"bot_id": "b1"}]}
    assert not consult_event(criteria, criteria.evaluate(page), event).done
    event["bots"].append({"bot_id": "b2"})
    verdict = consult_event(criteria, criteria.evaluate(page), event)
    assert verdict.done
    assert [bot["bot_id"] for bot in verdict.matches] == ["b1", "b2"]


def test_gone_confirms_the_events_bots_by_status() -> None:
    criteria = ScheduledCriteria.build(event_id="e1", wait_for="gone", limit=2)
    verdict = consult_event(criteria, criteria.evaluate(FULL_PAGE), {"bots": [{"bot_id": "b1"}]})
    assert verdict.to_confirm == ("b1",)
    assert not criteria.settle(verdict, [{"bot_id": "b1", "status": "Scheduled"}])
    assert criteria.settle(verdict, [{"bot_id": "b1", "status": "InMeeting"}])
    assert consult_event(criteria, criteria.evaluate(FULL_PAGE), {"bots": []}).done
    # An event the listing does not hold settles nothing.
    assert not consult_event(criteria, criteria.evaluate(FULL_PAGE), None).done
