"""ScheduledCriteria: which listed bots match, when the wait is done, and what a bot's status settles."""

from __future__ import annotations

import pickle

import pytest
from airflow.providers.common.compat.sdk import AirflowFailException
from meetstream_fakes import bot

from airflow_provider_meetstream.exceptions import MeetStreamBotCancelledError
from airflow_provider_meetstream.utils.scheduled_bots import ScheduledCriteria


class TestCriteria:
    def test_filters_all_apply(self) -> None:
        criteria = ScheduledCriteria.build(event_id="e1", deduplication_key="k1", bot_ids=["b1", "b3"])
        bots = [bot("b1"), bot("b2"), bot("b3", key="other"), bot("b4", event_id="e2")]
        assert [b["bot_id"] for b in criteria.evaluate(bots).matches] == ["b1"]

    def test_scheduled_min_count(self) -> None:
        criteria = ScheduledCriteria.build(event_id="e1", min_count=2)
        assert not criteria.evaluate([bot("b1"), bot("x", event_id="e2")]).done
        assert criteria.evaluate([bot("b1"), bot("b2")]).done

    def test_scheduled_every_id_listed(self) -> None:
        criteria = ScheduledCriteria.build(bot_ids=["b1", "b2"])
        partial = criteria.evaluate([bot("b1")])
        assert not partial.done
        assert partial.to_confirm == ("b2",)
        complete = criteria.evaluate([bot("b2"), bot("b1"), bot("b9")])
        assert complete.done
        assert complete.to_confirm == ()

    def test_scheduled_counts_a_bot_that_already_joined(self) -> None:
        criteria = ScheduledCriteria.build(bot_ids=["b1", "b2"])
        verdict = criteria.evaluate([bot("b1")])
        assert criteria.settle(verdict, [{"bot_id": "b2", "status": "InMeeting"}])
        assert criteria.settle(verdict, [{"bot_id": "b2", "status": "Scheduled"}])  # beyond a full page
        assert not criteria.settle(verdict, [None])

    def test_scheduled_fails_on_a_cancelled_bot(self) -> None:
        criteria = ScheduledCriteria.build(bot_ids=["b1", "b2", "b3"])
        verdict = criteria.evaluate([bot("b1")])
        with pytest.raises(MeetStreamBotCancelledError, match="bot b3 is Cancelled") as caught:
            criteria.settle(verdict, [None, {"bot_id": "b3", "status": "Cancelled"}])
        assert isinstance(caught.value, AirflowFailException)
        assert (caught.value.bot_id, caught.value.status) == ("b3", "Cancelled")
        assert str(pickle.loads(pickle.dumps(caught.value))) == str(caught.value)
        # For "gone", a cancelled bot is gone: a success, not an error.
        gone = ScheduledCriteria.build(bot_ids=["b3"], wait_for="gone", limit=1)
        assert gone.settle(gone.evaluate([bot("x")]), [{"bot_id": "b3", "status": "Cancelled"}])

    def test_gone(self) -> None:
        criteria = ScheduledCriteria.build(event_id="e1", wait_for="gone")
        assert not criteria.evaluate([bot("b1")]).done
        verdict = criteria.evaluate([bot("b2", event_id="e2")])
        assert verdict.done
        assert verdict.to_confirm == ()
        assert criteria.settle(verdict, [])

    def test_gone_on_a_full_page_needs_ids_to_be_confirmed(self) -> None:
        page = [bot(f"other{i}", event_id="e9") for i in range(3)]
        with_ids = ScheduledCriteria.build(bot_ids=["b1"], wait_for="gone", limit=3)
        verdict = with_ids.evaluate(page)
        assert verdict.truncated
        assert verdict.to_confirm == ("b1",)
        assert with_ids.settle(verdict, [{"status": "InMeeting"}])
        without_ids = ScheduledCriteria.build(event_id="e1", wait_for="gone", limit=3)
        verdict = without_ids.evaluate(page)
        assert not without_ids.settle(verdict, [])  # it cannot prove the bot is absent beyond the page

    def test_gone_confirmation(self) -> None:
        criteria = ScheduledCriteria.build(bot_ids=["b1", "b2"], wait_for="gone", limit=1)
        verdict = criteria.evaluate([bot("x", "e9")])
        assert criteria.settle(verdict, [{"status": "InMeeting"}, None])
        assert not criteria.settle(verdict, [{"status": "Done"}, {"status": "Scheduled"}])
