"""What BotStatusSensor and its trigger share: the wait for bots to end, and what one look says."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from airflow_provider_meetstream import validation
from airflow_provider_meetstream.constants import MAX_WAITED_BOTS, BotStatus
from airflow_provider_meetstream.exceptions import MeetStreamBotFailedError, MeetStreamInputError

#: Fields of a status answer that may say why a bot ended as it did, in the order read.
REASON_FIELDS = ("reason", "status_reason", "error", "message", "detail")


def reason_of(answer: Mapping[str, Any]) -> str | None:
    """MeetStream's explanation in a status answer, when it gives one as text."""
    for name in REASON_FIELDS:
        value = answer.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()[:500]
    return None


@dataclass(frozen=True)
class BotVerdict:
    """
    What one look at the bots' statuses says.

    :param done: Every bot reached a terminal status that passes.
    :param failed: The first bot's answer whose terminal status fails, if any.
    :param pending: The bots whose status may still change.
    """

    done: bool
    failed: dict[str, Any] | None
    pending: tuple[str, ...]


@dataclass(frozen=True)
class BotWait:
    """
    The sensor's condition, the same in poke, reschedule and deferrable modes.

    :param bot_ids: The bots waited for, each once, in the order given.
    :param accept_statuses: Terminal statuses besides ``Stopped`` and ``Done`` that count as success.
    """

    bot_ids: tuple[str, ...]
    accept_statuses: frozenset[str] = frozenset()

    @classmethod
    def build(cls, *, bot_ids: Any, accept_statuses: Any = None) -> BotWait:
        """
        Validate rendered sensor arguments and build the condition; errors name the argument.

        :param bot_ids: See :func:`waited_bot_ids`.
        :param accept_statuses: See :func:`accepted_statuses`.
        """
        return cls(bot_ids=waited_bot_ids(bot_ids), accept_statuses=accepted_statuses(accept_statuses))

    def judge(self, answers: Mapping[str, Mapping[str, Any]]) -> BotVerdict:
        """
        Judge the latest status answer of each bot; a bot without one is pending.

        :param answers: Status answers by bot id.
        """
        pending: list[str] = []
        for bot_id in self.bot_ids:
            answer = answers.get(bot_id)
            status = answer.get("status") if answer is not None else None
            if answer is None or status not in BotStatus.TERMINAL_STATUSES:
                pending.append(bot_id)
            elif status in BotStatus.REFUSED_STATUSES and status not in self.accept_statuses:
                return BotVerdict(False, {"bot_id": bot_id, **answer}, tuple(pending))
        return BotVerdict(not pending, None, tuple(pending))

    def results(self, answers: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
        """The XCom: each bot's final status answer, in the order of ``bot_ids``."""
        return [{"bot_id": bot_id, **answers[bot_id]} for bot_id in self.bot_ids]

    def failure(self, answer: Mapping[str, Any]) -> MeetStreamBotFailedError:
        """The error a failed bot raises: its id, status and MeetStream's reason."""
        return MeetStreamBotFailedError(
            str(answer.get("bot_id")), str(answer.get("status")), reason_of(answer)
        )

    def describe(self) -> str:
        """One line naming the condition, for logs."""
        accepted = ", ".join(["Stopped", "Done", *sorted(self.accept_statuses - BotStatus.SUCCESS_STATUSES)])
        return f"{len(self.bot_ids)} bot(s) reaching {accepted}"

    def serialize(self) -> dict[str, Any]:
        """The condition as primitives, for a trigger."""
        return {"bot_ids": list(self.bot_ids), "accept_statuses": sorted(self.accept_statuses)}


def waited_bot_ids(value: Any) -> tuple[str, ...]:
    """
    The bots to wait for, each once, in the order given.

    :param value: One id, a list, an upstream XCom with ``bot_id``, a list of them, or mapped
        outputs (see :func:`~airflow_provider_meetstream.validation.bot_ids`).
    """
    ids = validation.bot_ids(value)
    if ids is None:
        raise MeetStreamInputError("bot_ids", value, "give the bots to wait for")
    unique = tuple(dict.fromkeys(ids))
    if len(unique) > MAX_WAITED_BOTS:
        raise MeetStreamInputError("bot_ids", len(unique), f"at most {MAX_WAITED_BOTS} bots")
    return unique


def accepted_statuses(value: Any) -> frozenset[str]:
    """
    Terminal statuses that succeed besides ``Stopped`` and ``Done``.

    :param value: One terminal status or several, e.g. ``["Denied"]``; ``Stopped`` and ``Done``
        are accepted too, and change nothing.
    """
    if value is None:
        value = ()
    elif isinstance(value, str):
        value = (value,)
    if not isinstance(value, Iterable):
        raise MeetStreamInputError("accept_statuses", value, "must be a status or a list")
    choices = tuple(sorted(status.value for status in BotStatus.TERMINAL_STATUSES))
    return frozenset(
        validation.one_of(getattr(status, "value", status), "accept_statuses", choices) for status in value
    )
