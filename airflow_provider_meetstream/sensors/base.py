"""What the MeetStream sensors share: check once, then poke, reschedule, or defer to their trigger."""

from __future__ import annotations

from abc import abstractmethod
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseSensorOperator, PokeReturnValue

from airflow_provider_meetstream.exceptions import MeetStreamError
from airflow_provider_meetstream.hooks.mixin import MeetStreamHookMixin
from airflow_provider_meetstream.templating import KeepsLiteralText

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context
    from airflow.triggers.base import BaseTrigger


class CheckThenDeferSensor(MeetStreamHookMixin, KeepsLiteralText, BaseSensorOperator):
    """
    A sensor that, when deferrable, checks once in the worker and only then defers to its trigger.

    Subclasses set ``self.deferrable``, ``meetstream_conn_id`` and ``hook_params``, implement ``poke``
    (returning a ``PokeReturnValue``, with ``self.hook``), :meth:`build_trigger` and
    :meth:`raise_for_event`, and name their log line and timeout message.
    """

    deferrable: bool
    #: The log line of a success event, with the number of bots.
    done_message = "Condition met with %d bot(s)."
    #: The timeout's message when the trigger's event gives none.
    timeout_message = "The MeetStream condition was not met in time."

    @abstractmethod
    def build_trigger(self) -> BaseTrigger:
        """The trigger that goes on waiting in the triggerer, with the same condition as ``poke``."""

    @abstractmethod
    def raise_for_event(self, event: dict[str, Any]) -> None:
        """Raise the sensor's own error when an event that is neither success nor timeout names one."""

    def execute(self, context: Context) -> Any:
        """Check once; then poke, reschedule, or defer to :meth:`build_trigger`'s trigger."""
        if not self.deferrable:
            return super().execute(context)
        first = self.poke(context)
        if isinstance(first, PokeReturnValue) and first.is_done:
            return first.xcom_value
        self.defer(
            trigger=self.build_trigger(),
            method_name="execute_complete",
            # The trigger reports its own timeout within a poll; the deferral's hard limit comes
            # later so that the sensor's clear timeout message wins.
            timeout=timedelta(seconds=float(self.timeout) + float(self.poke_interval) + 60),
        )
        return None

    def execute_complete(self, context: Context, event: dict[str, Any]) -> list[dict[str, Any]]:
        """Resume after the trigger: return its bots, or raise on a failure, an error or a timeout."""
        from airflow.providers.common.compat.sdk import AirflowSensorTimeout

        status = event.get("status")
        if status == "success":
            bots: list[dict[str, Any]] = event.get("bots") or []
            self.log.info(self.done_message, len(bots))
            return bots
        if status == "timeout":
            raise AirflowSensorTimeout(event.get("message") or self.timeout_message)
        self.raise_for_event(event)
        raise MeetStreamError(f"Waiting on MeetStream failed: {event.get('message', event)}")
