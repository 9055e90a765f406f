"""BotStatusSensor: wait until each bot has left its meeting, failing at once when one was refused."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import PokeReturnValue, conf

from airflow_provider_meetstream.constants import DEFAULT_CONN_ID
from airflow_provider_meetstream.exceptions import MeetStreamBotFailedError
from airflow_provider_meetstream.hooks.mixin import merge_hook_params
from airflow_provider_meetstream.sensors.base import CheckThenDeferSensor
from airflow_provider_meetstream.templating import is_templated
from airflow_provider_meetstream.utils.bot_wait import BotWait, accepted_statuses, waited_bot_ids

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

    from airflow_provider_meetstream.triggers.bot_status import BotStatusTrigger


class BotStatusSensor(CheckThenDeferSensor):
    """
    Wait until every bot's meeting is over: a normal end succeeds, a failed one fails at once.

    A normal end is ``Stopped`` (the bot left: the meeting ended, everyone left, ``remove_bot``)
    or ``Done`` (its recording and transcript were then processed). ``NotAllowed``, ``Denied``,
    ``Error`` and ``Cancelled`` raise
    :class:`~airflow_provider_meetstream.exceptions.MeetStreamBotFailedError` (an
    ``AirflowFailException``: no retry) with the status and MeetStream's reason, unless
    ``accept_statuses`` names them. The XCom is each bot's final status answer, in order. It runs
    in poke, reschedule and deferrable modes with one condition
    (:class:`~airflow_provider_meetstream.utils.bot_wait.BotWait`).

    .. code-block:: python

        BotStatusSensor(task_id="wait_for_meeting", bot_ids=create_bot.output, deferrable=True)

    :param bot_ids: One id, a list of ids, an upstream XCom with ``bot_id`` (``CreateBotOperator``,
        ``ScheduleEventOperator``), a list of them, or mapped outputs, passed as they are
        (``create_bot.output``) or rendered as JSON; a Python repr is refused. Templated.
    :param accept_statuses: Terminal statuses that succeed besides ``Stopped`` and ``Done``, e.g.
        ``["Denied"]`` (``["Stopped"]``, documented before ``Stopped`` was a success, still works).
    :param meetstream_conn_id: The Airflow connection to use. Templated.
    :param hook_params: The hook's arguments: ``timeout``, ``max_retries``, ``pool_maxsize``, ``deadline``.
    :param deferrable: Wait in the triggerer instead of a worker slot. Defaults to the
        ``[operators] default_deferrable`` setting.
    """

    template_fields: Sequence[str] = ("bot_ids", "meetstream_conn_id")
    done_message = "%d bot(s) done."
    timeout_message = "The bots did not finish in time."
    ui_color = "#f4f0e0"

    def __init__(
        self,
        *,
        bot_ids: Any,
        accept_statuses: Sequence[str] | str | None = None,
        meetstream_conn_id: str = DEFAULT_CONN_ID,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        hook_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.bot_ids = bot_ids
        self.accept_statuses = accept_statuses
        self.meetstream_conn_id = meetstream_conn_id
        self.hook_params = merge_hook_params(hook_params)
        self.deferrable = deferrable
        # Literal ids fail at parse time; templates and XComs (alone or in a list) once resolved.
        if not is_templated(bot_ids):
            waited_bot_ids(bot_ids)
        accepted_statuses(accept_statuses)

    def _wait(self) -> BotWait:
        return BotWait.build(bot_ids=self.bot_ids, accept_statuses=self.accept_statuses)

    def poke(self, context: Context) -> PokeReturnValue:
        """Read each bot's status once (poke and reschedule modes, and before deferring)."""
        wait = self._wait()
        with self.hook as hook:
            answers = {bot_id: hook.get_bot_status(bot_id) for bot_id in wait.bot_ids}
        verdict = wait.judge(answers)
        if verdict.failed is not None:
            raise wait.failure(verdict.failed)
        self.log.info("%s: %d still pending", wait.describe(), len(verdict.pending))
        return PokeReturnValue(
            is_done=verdict.done, xcom_value=wait.results(answers) if verdict.done else None
        )

    def build_trigger(self) -> BotStatusTrigger:
        """The trigger that polls with the async client, on the same condition as :meth:`poke`."""
        from airflow_provider_meetstream.triggers.bot_status import BotStatusTrigger

        return BotStatusTrigger(
            meetstream_conn_id=self.meetstream_conn_id,
            wait=self._wait().serialize(),
            poll_interval=float(self.poke_interval),
            timeout=float(self.timeout),
        )

    def raise_for_event(self, event: dict[str, Any]) -> None:
        """A bot the trigger saw fail fails the task at once, with its status and reason."""
        if event.get("status") == "failed":
            raise MeetStreamBotFailedError(
                str(event.get("bot_id")), str(event.get("bot_status")), event.get("reason")
            )
