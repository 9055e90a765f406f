"""What the MeetStream sensors share: check once, then poke, reschedule, or defer to their trigger."""

from __future__ import annotations

from abc import abstractmethod
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseSensorOperator, PokeReturnValue

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context
    from airflow.triggers.base import BaseTrigger


class CheckThenDeferSensor(BaseSensorOperator):
    """
    A sensor that, when deferrable, checks once in the worker and only then defers to its trigger.

    Subclasses set ``self.deferrable``, implement ``poke`` (returning a ``PokeReturnValue``),
    :meth:`build_trigger` and ``execute_complete``.
    """

    deferrable: bool

    @abstractmethod
    def build_trigger(self) -> BaseTrigger:
        """The trigger that goes on waiting in the triggerer, with the same condition as ``poke``."""

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
