"""
Injected faults: a plan of what to break for which API requests, deterministic under a seed.

A plan's outcomes are an HTTP status (with ``Retry-After`` on a 429), ``drop`` (the connection is
closed unanswered and the request not acted on), ``act_then_drop`` (acted on, then the answer is lost,
as when a gateway fails between MeetStream's commit and its answer), ``drip`` (the answer's body a byte
at a time) or ``ok``; a latency can come before any of them. The traffic middleware consumes the plan,
one decision per matching API request in order of arrival, before routing and authentication; controls
are never faulted. An injected status answers ``{"message": "Injected fault: 503."}``. ``drop`` and
``act_then_drop`` need the emulator's runner to close the socket, and answer 502 under another server.
A drip sends the status and headers at once, so only a bound on the whole call stops a client waiting
for it, and the request is acted on either way.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from typing import Any

#: Outcomes that are not statuses: ``drop`` closes the connection unanswered and unacted on;
#: ``act_then_drop`` acts on the request, then closes the connection without its answer (the
#: answer is lost); ``drip`` acts and answers, the body a byte at a time over ``drip_ms``.
DROP, ACT_THEN_DROP, DRIP = "drop", "act_then_drop", "drip"
_FAULT_WORDS = (DROP, ACT_THEN_DROP, DRIP)
#: How long a dripped answer takes unless the plan says otherwise.
DEFAULT_DRIP_MS = 1000.0


@dataclass
class FaultDecision:
    """
    What to do with one request: wait, then pass, answer an error status, or break the connection.

    ``kind`` names the injected fault (``"503"``, ``"drop"``, ``"act_then_drop"``, ``"drip"``), None
    when the request passes.
    """

    latency_ms: float = 0.0
    status: int | None = None
    drop: bool = False
    retry_after: str | None = None
    act_then_drop: bool = False
    drip_ms: float = 0.0
    kind: str | None = None


@dataclass
class FaultPlan:
    """
    Faults for API requests, deterministic under ``seed``.

    :param seed: Seed of the random generator used by ``probability``.
    :param latency_ms: Added before every matching request is answered.
    :param sequence: Outcomes consumed one per matching request: a status, ``"drop"``,
        ``"act_then_drop"``, ``"drip"`` or ``"ok"``.
    :param probability: Once the sequence is used up, the chance that a request fails.
    :param statuses: What a probabilistic failure answers, chosen at random (``"drop"``,
        ``"act_then_drop"`` and ``"drip"`` allowed); ``[503]`` by default.
    :param retry_after: The ``Retry-After`` value sent with 429 answers: whole seconds (1 by default) or
        an HTTP date.
    :param drip_ms: How long a ``"drip"`` answer's body takes, one byte at a time (1000 by default).
    :param method: Only requests with this HTTP method match (any when None).
    :param path_prefix: Only raw paths that start with this match (any when None).
    """

    seed: int | None = None
    latency_ms: float = 0.0
    sequence: list[int | str] = field(default_factory=list)
    probability: float = 0.0
    statuses: list[int | str] = field(default_factory=lambda: [503])
    retry_after: str = "1"
    method: str | None = None
    path_prefix: str | None = None
    drip_ms: float = DEFAULT_DRIP_MS
    injected: int = 0
    matched: int = 0
    injected_by_kind: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)
        self._lock = threading.Lock()

    @classmethod
    def from_json(cls, body: dict[str, Any]) -> FaultPlan:
        """
        Build a plan from a control request body, validating every field.

        :param body: The JSON object posted to ``/_emulator/faults``.
        """
        known = {
            "seed",
            "latency_ms",
            "sequence",
            "probability",
            "statuses",
            "retry_after",
            "method",
            "path_prefix",
            "drip_ms",
        }
        unknown = sorted(set(body) - known)
        if unknown:
            raise ValueError(f"Unknown fault settings: {unknown}; known: {sorted(known)}.")
        seed = body.get("seed")
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
            raise ValueError("seed must be an integer.")
        latency = _number(body.get("latency_ms", 0), "latency_ms")
        drip = _number(body.get("drip_ms", DEFAULT_DRIP_MS), "drip_ms")
        probability = _number(body.get("probability", 0), "probability")
        if not 0 <= probability <= 1:
            raise ValueError("probability must be between 0 and 1.")
        sequence = [
            _outcome(item, "sequence", allow_ok=True) for item in _list(body.get("sequence", []), "sequence")
        ]
        statuses = [
            _outcome(item, "statuses", allow_ok=False)
            for item in _list(body.get("statuses", [503]), "statuses")
        ]
        if probability > 0 and not statuses:
            raise ValueError("statuses must not be empty when probability > 0.")
        retry_after = _retry_after_text(body.get("retry_after", 1))
        method = body.get("method")
        prefix = body.get("path_prefix")
        if method is not None and not isinstance(method, str):
            raise ValueError("method must be a string.")
        if prefix is not None and not isinstance(prefix, str):
            raise ValueError("path_prefix must be a string.")
        return cls(
            seed=seed,
            latency_ms=latency,
            sequence=sequence,
            probability=probability,
            statuses=statuses,
            retry_after=retry_after,
            method=method.upper() if method else None,
            path_prefix=prefix or None,
            drip_ms=drip,
        )

    def matches(self, method: str, raw_path: str) -> bool:
        """
        Whether a request is subject to this plan.

        :param method: The HTTP method.
        :param raw_path: The path as received, still percent-encoded.
        """
        if self.method is not None and method.upper() != self.method:
            return False
        return self.path_prefix is None or raw_path.startswith(self.path_prefix)

    def decide(self, method: str, raw_path: str) -> FaultDecision | None:
        """
        Consume the plan for one request.

        :param method: The HTTP method.
        :param raw_path: The path as received.
        :return: None when the request does not match.
        """
        if not self.matches(method, raw_path):
            return None
        with self._lock:
            self.matched += 1
            if self.sequence:
                outcome: int | str = self.sequence.pop(0)
            elif self.probability > 0 and self._rng.random() < self.probability:
                outcome = self._rng.choice(self.statuses)
            else:
                outcome = "ok"
            decision = FaultDecision(latency_ms=self.latency_ms)
            if outcome == DROP:
                decision.drop = True
            elif outcome == ACT_THEN_DROP:
                decision.act_then_drop = True
            elif outcome == DRIP:
                decision.drip_ms = self.drip_ms
            elif isinstance(outcome, int):
                decision.status = outcome
                if outcome == 429:
                    decision.retry_after = self.retry_after
            if outcome != "ok":
                decision.kind = str(outcome)
                self.injected += 1
                self.injected_by_kind[decision.kind] = self.injected_by_kind.get(decision.kind, 0) + 1
            return decision

    def to_json(self) -> dict[str, Any]:
        """The plan as the faults control shows it, with counters and what is left of the sequence."""
        with self._lock:
            return {
                "seed": self.seed,
                "latency_ms": self.latency_ms,
                "sequence": list(self.sequence),
                "probability": self.probability,
                "statuses": list(self.statuses),
                "retry_after": self.retry_after,
                "method": self.method,
                "path_prefix": self.path_prefix,
                "drip_ms": self.drip_ms,
                "matched": self.matched,
                "injected": self.injected,
                "injected_by_kind": dict(sorted(self.injected_by_kind.items())),
            }


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
        raise ValueError(f"{name} must be a number >= 0.")
    return float(value)


def _list(value: Any, name: str) -> list[Any]:
    if not isinstance(value, list):
        raise ValueError(f"{name} must be a list.")
    return value


def _outcome(item: Any, name: str, *, allow_ok: bool) -> int | str:
    if item in _FAULT_WORDS or (allow_ok and item == "ok"):
        return str(item)
    if isinstance(item, int) and not isinstance(item, bool) and 400 <= item <= 599:
        return item
    allowed = "an HTTP status 400-599, 'drop', 'act_then_drop', 'drip'" + (" or 'ok'" if allow_ok else "")
    raise ValueError(f"{name} items must be {allowed}; got {item!r}.")


def _retry_after_text(value: Any) -> str:
    # RFC 9110: delay-seconds (a non-negative integer) or an HTTP date.
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return str(value)
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return value
    if isinstance(value, str) and value.strip():
        try:
            parsedate_to_datetime(value)
        except (ValueError, TypeError, IndexError):
            pass
        else:
            return value
    raise ValueError(f"retry_after must be a whole number of seconds >= 0 or an HTTP date, got {value!r}.")
