"""Settling what a full page of scheduled bots cannot show, through the events listing's ``bots``."""

from __future__ import annotations

from typing import Any

from airflow_provider_meetstream.utils.scheduled_bots import ScheduledCriteria, Verdict


def event_to_consult(criteria: ScheduledCriteria, verdict: Verdict) -> str | None:
    """
    The event whose own listing may settle what the page could not, or None.

    ``GET /calendar/scheduled`` has no cursor: on a full page, the bots of an ``event_id`` filter may
    sit beyond it. ``bot_ids`` are confirmed one by one with their status instead.

    :param criteria: The condition.
    :param verdict: What the page said.
    """
    if not verdict.truncated or verdict.done or criteria.bot_ids is not None:
        return None
    # A bot listed on the page is still waiting: nothing beyond it can make "gone" true.
    if criteria.wait_for == "gone" and verdict.matches:
        return None
    return criteria.event_id


def event_bots(criteria: ScheduledCriteria, event: dict[str, Any]) -> list[dict[str, Any]]:
    """
    The bots an event of ``GET /calendar/events`` lists that fit the criteria's key filter.

    A bot without a readable ``bot_id`` (:func:`~.workspace_bots.event_items`), or without the key
    asked for, is unknown, never a match.

    :param criteria: The condition.
    :param event: The event, as listed.
    """
    # Imported here: the sensor module that imports this one is loaded by every DAG file using it.
    from airflow_provider_meetstream.utils.workspace_bots import event_items

    found: dict[str, dict[str, Any]] = {}
    for bot_id, item in event_items(event):
        if criteria.deduplication_key is None or item.get("deduplication_key") == criteria.deduplication_key:
            found.setdefault(bot_id, dict(item))
    return list(found.values())


def consult_event(criteria: ScheduledCriteria, verdict: Verdict, event: dict[str, Any] | None) -> Verdict:
    """
    Judge again with the event's own bots, after a full page left the condition open.

    ``"scheduled"``: the bots listed on the page or by the event count, once each. ``"gone"``: no
    bot listed by the event may still be waiting: their ids go to ``to_confirm``, whose statuses
    decide (:meth:`ScheduledCriteria.settle`). An event not found settles nothing.

    :param criteria: The condition.
    :param verdict: What the page said.
    :param event: The event as ``GET /calendar/events`` lists it, or None when not found.
    """
    if event is None:
        return verdict
    bots = event_bots(criteria, event)
    if criteria.wait_for == "gone":
        ids = tuple(bot["bot_id"] for bot in bots)
        return Verdict(not ids, verdict.matches, verdict.truncated, to_confirm=ids)
    listed = {bot.get("bot_id") for bot in verdict.matches}
    matches = verdict.matches + [bot for bot in bots if bot["bot_id"] not in listed]
    return Verdict(len(matches) >= criteria.min_count, matches, verdict.truncated)
