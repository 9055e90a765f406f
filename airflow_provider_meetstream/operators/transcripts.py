"""FetchTranscriptOperator: wait, within a bound, for a bot's transcript and write it to object storage."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.providers.common.compat.sdk import BaseOperator, conf

from airflow_provider_meetstream import validation
from airflow_provider_meetstream.constants import DEFAULT_CONN_ID
from airflow_provider_meetstream.exceptions import (
    MeetStreamError,
    MeetStreamInputError,
    MeetStreamNotReadyError,
    MeetStreamStorageError,
    MeetStreamTimeoutError,
)
from airflow_provider_meetstream.hooks.mixin import MeetStreamHookMixin, merge_hook_params
from airflow_provider_meetstream.templating import KeepsLiteralText, check_now, is_templated, rendered_data

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context
    from airflow.providers.openlineage.extractors import OperatorLineage

    from airflow_provider_meetstream.hooks.meetstream import MeetStreamHook
    from airflow_provider_meetstream.utils.lineage import RunLineage

#: Where transcripts go unless told otherwise.
DEFAULT_BASE_PATH = "file:///tmp/meetstream-transcripts"
#: The longest ``transcript_timeout`` and ``poll_interval``, in seconds: a week.
MAX_WAIT = 7 * 86400.0


@dataclass(frozen=True)
class Target:
    """The transcript looked for: its bot, its id once known, and the meeting it records."""

    bot_id: str
    transcript_id: str | None = None
    meeting_url: str | None = None
    event_id: str | None = None


class FetchTranscriptOperator(MeetStreamHookMixin, KeepsLiteralText, BaseOperator):
    """
    Wait for a bot's transcript, within ``transcript_timeout``, and write it through object storage.

    The transcript id comes from ``transcript_id``, else the bot's detail, else its transcriptions.
    While MeetStream processes it (202, or no segments yet) the operator polls every
    ``poll_interval`` seconds, deferring between polls when ``deferrable``; a streaming-only
    provider stays 202 for ever, so the wait fails with
    :class:`~airflow_provider_meetstream.exceptions.MeetStreamTimeoutError` after the bound.

    The transcript is written in the layout of
    :class:`~airflow_provider_meetstream.operators.harvest.HarvestMeetingsOperator`, one folder a
    bot: as JSON lines to ``<base_path>/<bot_id>/transcript.jsonl``, one segment a line with the
    bot, the meeting and the speaker beside the segment's own fields (``transcript``, timings), and
    with ``write_text`` as ``Speaker: words`` lines to ``transcript.txt`` beside it. A bot id too
    long for a file name is cut to fit, the same on every run. Each object goes to a temporary
    object first, then is moved onto its name, so a re-run replaces the same object and no reader
    sees half of one. ``base_path`` is any ``ObjectStoragePath``: ``file://`` by default,
    ``s3://``, ``gs://``... through their providers.

    The XCom, and on the first ``outlets`` asset the asset event's ``extra``: ``{"uri",
    "text_uri", "segments", "speakers", "duration_seconds", "bot_id", "transcript_id",
    "meeting_url", "event_id"}``.

    With the OpenLineage provider installed, the run's event names the bot read
    (``meetstream://<host[:port]>``, ``bots/<bot_id>``) and the objects written (``file`` and the
    path, ``s3://<bucket>`` and the key...): see :meth:`get_openlineage_facets_on_complete`.

    :param bot_id: The bot, or an upstream XCom with ``bot_id`` (``CreateBotOperator``'s also
        brings ``transcript_id`` and ``meeting_url``): pass it as it is (``create_bot.output``), or
        rendered as JSON; its Python repr is refused. Templated.
    :param transcript_id: The transcript, when known. Templated.
    :param base_path: The folder the transcripts go under. Templated.
    :param storage_conn_id: The Airflow connection of the object store, if it needs one. Templated.
    :param event_id: The calendar event, for the metadata, when the bot's record does not say. Templated.
    :param write_text: Also write a plain-text rendering.
    :param raw: Fetch the provider's raw transcript instead of the formatted one.
    :param transcript_timeout: Seconds to wait for the transcript in all, at most a week.
    :param poll_interval: Seconds between two looks, at most a week.
    :param deferrable: Wait in the triggerer between looks. Defaults to ``[operators] default_deferrable``.
    :param meetstream_conn_id: The Airflow connection to use. Templated.
    :param hook_params: The hook's arguments: ``timeout``, ``max_retries``, ``pool_maxsize``, ``deadline``.
    """

    template_fields: Sequence[str] = (
        "bot_id",
        "transcript_id",
        "base_path",
        "storage_conn_id",
        "event_id",
        "meetstream_conn_id",
    )
    ui_color = "#e8f5e4"
    #: What the run read and wrote, once it has written; for the OpenLineage facets.
    _lineage: RunLineage | None = None

    def __init__(
        self,
        *,
        bot_id: Any,
        transcript_id: str | None = None,
        base_path: str = DEFAULT_BASE_PATH,
        storage_conn_id: str | None = None,
        event_id: str | None = None,
        write_text: bool = False,
        raw: bool = False,
        transcript_timeout: float = 3600.0,
        poll_interval: float = 60.0,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        meetstream_conn_id: str = DEFAULT_CONN_ID,
        hook_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.bot_id = bot_id
        self.transcript_id = transcript_id
        self.base_path = base_path
        self.storage_conn_id = storage_conn_id
        self.event_id = event_id
        self.write_text = write_text
        self.raw = raw
        self.transcript_timeout = validation.seconds(
            transcript_timeout, "transcript_timeout", 0, MAX_WAIT, above_low=True
        )
        self.poll_interval = validation.seconds(poll_interval, "poll_interval", 0, MAX_WAIT, above_low=True)
        self.deferrable = deferrable
        self.meetstream_conn_id = meetstream_conn_id
        self.hook_params = merge_hook_params(hook_params)
        for name, value in (("write_text", write_text), ("raw", raw), ("deferrable", deferrable)):
            if not isinstance(value, bool):
                raise MeetStreamInputError(name, value, "must be a bool")
        check_now(transcript_id, validation.path_segment, "transcript_id")
        if not is_templated(bot_id):
            self._target()

    def _target(self) -> Target:
        value = rendered_data(self.bot_id, "bot_id", "create_bot.output")
        given = value if isinstance(value, dict) else {"bot_id": value}
        bot_id = validation.non_empty_text(given.get("bot_id"), "bot_id", strip=True)
        validation.path_segment(bot_id, "bot_id")
        transcript_id = self.transcript_id or given.get("transcript_id") or None
        if transcript_id is not None:
            validation.path_segment(transcript_id, "transcript_id")
        return Target(bot_id, transcript_id, given.get("meeting_url") or None, self.event_id or None)

    def _resolve(self, hook: MeetStreamHook, target: Target) -> Target:
        from airflow_provider_meetstream.utils import transcripts

        detail = hook.get_bot_detail(target.bot_id)
        listed = (
            []
            if target.transcript_id or detail.get("transcript_id")
            else hook.list_transcriptions(target.bot_id)
        )
        return replace(
            target,
            transcript_id=target.transcript_id or transcripts.transcript_id_of(detail, listed),
            meeting_url=target.meeting_url or detail.get("meeting_url"),
            event_id=target.event_id or transcripts.event_id_of(detail),
        )

    def _fetch(self, hook: MeetStreamHook, target: Target) -> list[dict[str, Any]] | None:
        if target.transcript_id is None:
            self.log.info("Bot %s names no transcript yet.", target.bot_id)
            return None
        try:
            return hook.get_transcript(target.transcript_id, raw=self.raw)
        except MeetStreamNotReadyError as err:
            self.log.info(
                "Transcript %s not ready (%s); looking again.", target.transcript_id, err.status_code
            )
            return None

    def execute(self, context: Context) -> dict[str, Any] | None:
        """Find the transcript, wait for it (polling or deferring), and write it."""
        from airflow_provider_meetstream.hooks import policy  # the one clock and wait of the provider

        started, wall = policy.clock(), time.time()
        with self.hook as hook:
            target = self._resolve(hook, self._target())
            segments = self._fetch(hook, target)
            while segments is None and not self.deferrable:
                remaining = self.transcript_timeout - (policy.clock() - started)
                if remaining <= 0:
                    raise MeetStreamTimeoutError(self._timeout_message(target))
                policy.sleep(min(self.poll_interval, remaining))
                if target.transcript_id is None:
                    target = self._resolve(hook, target)
                segments = self._fetch(hook, target)
        if segments is not None:
            return self._write(context, target, segments)
        from airflow_provider_meetstream.triggers.transcripts import TranscriptReadyTrigger

        self.defer(
            trigger=TranscriptReadyTrigger(
                meetstream_conn_id=self.meetstream_conn_id,
                bot_id=target.bot_id,
                transcript_id=target.transcript_id,
                raw=self.raw,
                poll_interval=float(self.poll_interval),
                timeout=float(self.transcript_timeout),
                started_at=wall,
            ),
            method_name="execute_complete",
            kwargs={"target": asdict(target)},
            timeout=timedelta(seconds=float(self.transcript_timeout) + float(self.poll_interval) + 60),
        )
        return None

    def execute_complete(
        self, context: Context, event: dict[str, Any], target: dict[str, Any]
    ) -> dict[str, Any]:
        """Resume after the trigger: read the ready transcript and write it, or raise."""
        status = event.get("status")
        if status == "timeout":
            raise MeetStreamTimeoutError(event.get("message") or self._timeout_message(Target(**target)))
        if status != "success":
            raise MeetStreamError(f"Waiting for the transcript failed: {event.get('message', event)}")
        resolved = replace(Target(**target), transcript_id=event["transcript_id"])
        with self.hook as hook:
            segments = hook.get_transcript(event["transcript_id"], raw=self.raw)
        return self._write(context, resolved, segments)

    def _timeout_message(self, target: Target) -> str:
        return (
            f"The transcript of bot {target.bot_id} ({target.transcript_id or 'with no transcript id yet'}) "
            f"was not ready after {self.transcript_timeout:g} s; a streaming-only transcription provider "
            "never makes one."
        )

    def _write(self, context: Context, target: Target, segments: list[dict[str, Any]]) -> dict[str, Any]:
        from airflow.providers.common.compat.sdk import ObjectStoragePath

        from airflow_provider_meetstream.utils import harvest, transcripts
        from airflow_provider_meetstream.utils.landing import bot_folder, write_atomically
        from airflow_provider_meetstream.utils.lineage import RunLineage

        # The harvest's layout, written by the harvest's code: a bot id of 1,024 characters makes a
        # folder name cut to fit, the same on every run, and the ids stay in each line of the file.
        folder = bot_folder(ObjectStoragePath(self.base_path, conn_id=self.storage_conn_id), target.bot_id)
        final = folder / harvest.TRANSCRIPT_FILE
        text_path = folder / harvest.TEXT_FILE if self.write_text else None
        try:
            folder.mkdir(parents=True, exist_ok=True)
            write_atomically(final, transcripts.jsonl(segments, asdict(target)))
            if text_path is not None:
                write_atomically(text_path, transcripts.plain_text(segments))
        except Exception as err:
            raise MeetStreamStorageError(
                target.bot_id, str(target.transcript_id), str(final), f"{type(err).__name__}: {err}"
            ) from err
        text_uri = None if text_path is None else str(text_path)
        # Recorded here, the one place both the direct and the deferred path write.
        self._lineage = RunLineage(
            self.hook.config.base_url, [target.bot_id], [str(final)] + ([text_uri] if text_uri else [])
        )
        metadata = {
            "uri": str(final),
            "text_uri": text_uri,
            "segments": len(segments),
            "speakers": transcripts.speakers(segments),
            "duration_seconds": transcripts.duration_seconds(segments),
            **asdict(target),
        }
        self.log.info(
            "Wrote %d segment(s) of transcript %s to %s.", len(segments), target.transcript_id, final
        )
        self._emit(context, metadata)
        return metadata

    def get_openlineage_facets_on_complete(self, task_instance: Any) -> OperatorLineage[Any, Any]:
        """
        The run's lineage, for the OpenLineage provider: the bot read, the objects written.

        Only the OpenLineage provider calls this, and only here is it imported. The input is the
        bot, ``meetstream://<host[:port]>`` of the connection's API and ``bots/<bot_id>``; the outputs
        are ``transcript.jsonl`` and, with ``write_text``, ``transcript.txt``, named by OpenLineage's
        dataset naming (a local file is ``file`` and its absolute path; ``s3://bucket`` and the key).
        A run that failed before its objects were written reports nothing.

        :param task_instance: The finished task instance; unused: the run recorded what it did.
        """
        from airflow_provider_meetstream.utils.lineage import operator_lineage

        return operator_lineage(self._lineage)

    def _emit(self, context: Context, metadata: dict[str, Any]) -> None:
        # Airflow records an event for every outlet when the task succeeds; the first asset's
        # carries the transcript's metadata, so a DAG scheduled on it runs once per transcript.
        from airflow.providers.common.compat.sdk import Asset

        assets = [outlet for outlet in self.outlets or () if isinstance(outlet, Asset)]
        outlet_events = context.get("outlet_events")
        if assets and outlet_events is not None:
            outlet_events[assets[0]].extra = dict(metadata)
