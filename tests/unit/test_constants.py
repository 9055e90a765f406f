"""BotStatus: MeetStream's spellings, and the groups the sensors and triggers judge a bot by."""

from __future__ import annotations

from meetstream_fakes import FAILED

from airflow_provider_meetstream.constants import BotStatus


def test_a_normal_end_is_not_a_failure() -> None:
    # Stopped: the bot left normally (MeetStream's SDK says so); Done: its data was then processed.
    assert FAILED == ["Cancelled", "Denied", "Error", "NotAllowed"]
    assert {BotStatus.STOPPED, BotStatus.DONE} == BotStatus.SUCCESS_STATUSES
    assert BotStatus.SUCCESS_STATUSES <= BotStatus.TERMINAL_STATUSES


class TestBotStatus:
    def test_members_are_meetstreams_strings(self) -> None:
        assert [status.value for status in BotStatus] == [
            "Scheduled",
            "Joining",
            "InWaitingRoom",
            "InMeeting",
            "Recording",
            "Leaving",
            "Stopped",
            "NotAllowed",
            "Denied",
            "Error",
            "Done",
            "Cancelled",
        ]
        assert BotStatus("InMeeting") is BotStatus.IN_MEETING
        assert "Scheduled" in BotStatus.WAITING_STATUSES

    def test_terminal_groups_split_every_status(self) -> None:
        assert set(BotStatus) == BotStatus.TERMINAL_STATUSES | BotStatus.NON_TERMINAL_STATUSES
        assert not BotStatus.TERMINAL_STATUSES & BotStatus.NON_TERMINAL_STATUSES
        assert BotStatus.CANCELLED in BotStatus.TERMINAL_STATUSES
        assert BotStatus.SCHEDULED in BotStatus.NON_TERMINAL_STATUSES

    def test_a_waiting_bot_has_not_joined(self) -> None:
        assert not BotStatus.WAITING_STATUSES & BotStatus.JOINED_STATUSES
        assert BotStatus.CANCELLED not in BotStatus.JOINED_STATUSES
