"""The one error the recurrence package raises: a ``ValueError`` naming the bad argument."""

from __future__ import annotations

from typing import Any, NoReturn


class RecurrenceError(ValueError):
    """
    A recurrence, an instant or a zone cannot be read or expanded.

    :param argument: The name of the bad argument (``recurrence``, ``start``, ``timezone``...).
    :param value: The bad value, shown shortened in the message.
    :param reason: What is wrong with it.
    """

    def __init__(self, argument: str, value: object, reason: str) -> None:
        self.argument = argument
        self.value = value
        self.reason = reason
        shown = repr(value)
        if len(shown) > 120:
            shown = shown[:117] + "..."
        super().__init__(f"Invalid {argument}={shown}: {reason}")

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.argument, self.value, self.reason))


def fail(argument: str, value: object, reason: str, *, cause: BaseException | None = None) -> NoReturn:
    """
    Raise a :class:`RecurrenceError`, chained to ``cause`` when one is given.

    :param argument: The name of the bad argument.
    :param value: The bad value.
    :param reason: What is wrong with it.
    :param cause: The exception that revealed the problem, if any.
    """
    raise RecurrenceError(argument, value, reason) from cause
