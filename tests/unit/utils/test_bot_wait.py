"""BotWait: the bot ids it takes, the statuses it accepts, and how it judges their answers."""

from __future__ import annotations

from typing import Any

import pytest
from meetstream_fakes import status

from airflow_provider_meetstream.constants import BotStatus
from airflow_provider_meetstream.exceptions import MeetStreamInputError
from airflow_provider_meetstream.utils.bot_wait import BotWait


class TestBotWait:
    @pytest.mark.parametrize(
        ("given", "expected"),
        [
            ("b1", ("b1",)),
            (["b1", "b2", "b1"], ("b1", "b2")),
            ({"bot_id": "b1", "transcript_id": "t1"}, ("b1",)),
            ([{"bot_id": "b1"}, {"bot_id": "b2"}], ("b1", "b2")),
            ('[{"bot_id": "b1"}, {"bot_id": "b2"}]', ("b1", "b2")),
            (iter([{"bot_id": "m1"}, {"bot_id": "m2"}]), ("m1", "m2")),  # mapped outputs, lazily
        ],
    )
    def test_bot_ids_forms(self, given: Any, expected: tuple) -> None:
        assert BotWait.build(bot_ids=given).bot_ids == expected

    def test_a_python_repr_is_refused_with_the_native_way(self) -> None:
        with pytest.raises(MeetStreamInputError) as caught:
            BotWait.build(bot_ids="[{'bot_id': 'b1'}, {'bot_id': 'b2'}]")
        assert caught.value.argument == "bot_ids"
        assert "render_template_as_native_obj=True" in str(caught.value)

    def test_accept_statuses_take_enum_members(self) -> None:
        wait = BotWait.build(bot_ids="b1", accept_statuses=[BotStatus.STOPPED, "Denied"])
        assert wait.accept_statuses == {"Stopped", "Denied"}

    def test_accepting_stopped_as_documented_before_changes_nothing(self) -> None:
        plain, accepting = (
            BotWait.build(bot_ids="b1"),
            BotWait.build(bot_ids="b1", accept_statuses=["Stopped"]),
        )
        for value in ("Stopped", "Done", "InMeeting", "Denied"):
            answers = {"b1": status("b1", value)}
            assert plain.judge(answers) == accepting.judge(answers)
        assert accepting.describe() == plain.describe() == "1 bot(s) reaching Stopped, Done"
