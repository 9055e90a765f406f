"""Which of a calendar's meetings to record: the sync's filters, then the recording rules."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from airflow_provider_meetstream.rules import Decision, RecordingRules

if TYPE_CHECKING:
    from airflow_provider_meetstream.utils.calendar_meetings import Meeting


@dataclass(frozen=True)
class Selection:
    """
    Which meetings to record: every filter given must hold, a meeting URL is always needed, and
    then the rules.

    :param title_pattern: A regular expression searched in the title, case-insensitively.
    :param platforms: Meeting platforms to keep (``zoom``, ``google_meet``, ``microsoft_teams``).
    :param calendar_ids: Calendars to keep: a meeting is kept when one of its copies is in one of
        them, and only those copies speak for it to ``select`` and the rules.
    :param select: Anything else: a callable taking a
        :class:`~airflow_provider_meetstream.utils.calendar_meetings.Meeting`, True to record it.
    :param rules: :class:`~airflow_provider_meetstream.rules.RecordingRules`, applied last.
    """

    title_pattern: str | None = None
    platforms: frozenset[str] | None = None
    calendar_ids: frozenset[str] | None = None
    select: Callable[[Meeting], bool] | None = None
    rules: RecordingRules | None = None

    def left_out(self, meeting: Meeting) -> Decision | None:
        """The filters' decision when they leave ``meeting`` out (the rules aside); None when they keep it."""
        if not meeting.meeting_url:
            return Decision(False, "skipped: no meeting link")
        if self.title_pattern is not None and not re.search(self.title_pattern, meeting.title, re.IGNORECASE):
            return Decision(False, "skipped: the title does not match title_pattern")
        if self.platforms is not None and meeting.platform not in self.platforms:
            return Decision(
                False, f"skipped: on {meeting.platform or 'an unknown platform'}, not in platforms"
            )
        kept = self._copies(meeting)
        if kept is None:
            return Decision(False, f"skipped: calendar {meeting.calendar_id} is not in calendar_ids")
        if self.select is not None and not self.select(kept):
            return Decision(False, "skipped: select returned false")
        return None

    def decide(self, meeting: Meeting) -> Decision:
        """Whether ``meeting`` should have a bot, and why: the filters, then the rules."""
        return self.left_out(meeting) or self.by_rules(meeting)

    def by_rules(self, meeting: Meeting) -> Decision:
        """The rules' decision on a meeting the filters keep (:meth:`left_out` gave None)."""
        kept = self._copies(meeting)
        if self.rules is None or kept is None:
            return Decision(True, "recorded: selected")
        return self.rules.decide(kept)

    def __call__(self, meeting: Meeting) -> bool:
        """Tell whether ``meeting`` should have a bot."""
        return self.decide(meeting).record

    def _copies(self, meeting: Meeting) -> Meeting | None:
        """The meeting as the copies in ``calendar_ids`` show it; None when no copy is in one."""
        if self.calendar_ids is None:
            return meeting
        kept = [copy for copy in (meeting, *meeting.copies) if copy.calendar_id in self.calendar_ids]
        return replace(kept[0], copies=tuple(kept[1:])) if kept else None
