"""CreateBotOperator: send a bot into a meeting that no connected calendar knows, once per task instance."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, ClassVar

from airflow.providers.common.compat.sdk import BaseOperator

from airflow_provider_meetstream import validation
from airflow_provider_meetstream.constants import DEFAULT_CONN_ID, MAX_IDEMPOTENCY_KEY_LENGTH
from airflow_provider_meetstream.hooks.mixin import MeetStreamHookMixin, merge_hook_params
from airflow_provider_meetstream.templating import KeepsLiteralText, check_now

if TYPE_CHECKING:
    from airflow.providers.common.compat.sdk import Context

#: The namespace of the idempotency keys the operator derives; fixed, so a key never changes.
IDEMPOTENCY_NAMESPACE = uuid.uuid5(
    uuid.NAMESPACE_URL, "https://pypi.org/project/airflow-provider-meetstream/"
)
#: The fields of MeetStream's answer kept in the XCom.
XCOM_FIELDS = ("bot_id", "transcript_id", "meeting_url", "status")


def task_instance_key(context: Context) -> str:
    """
    An ``Idempotency-Key`` for this task instance: the same on every try, another for each run or map index.

    The try number is left out on purpose: a retry after a lost answer must replay the same
    request (MeetStream answers 507 with the original bot) rather than send a second bot.

    :param context: The task's context.
    """
    ti = context["ti"]
    identity = f"{ti.dag_id}\n{ti.task_id}\n{ti.run_id}\n{getattr(ti, 'map_index', -1)}"
    return str(uuid.uuid5(IDEMPOTENCY_NAMESPACE, identity))


class CreateBotOperator(MeetStreamHookMixin, KeepsLiteralText, BaseOperator):
    """
    Send a MeetStream bot into a meeting by its URL, now or at ``bot_config["join_at"]``.

    For meetings outside a connected calendar: ad hoc, or a link another system handed over by
    XCom. The ``Idempotency-Key`` is derived from the task instance (DAG, task, run, map index,
    not the try), so Airflow retries never send a second bot. The XCom is small:
    ``{"bot_id", "transcript_id", "meeting_url", "status"}``.

    .. code-block:: python

        CreateBotOperator(
            task_id="send_bot",
            meeting_link="{{ params.meeting_link }}",
            bot_config={"bot_name": "Notetaker", "recording_config": {"transcript": {...}}},
        )

    :param meeting_link: The meeting's ``http(s)`` URL. Templated.
    :param bot_config: Fields sent beside ``meeting_link`` (``bot_name``, ``bot_message``,
        ``join_at``, ``callback_url``, ``recording_config``, ``custom_attributes``,
        ``automatic_leave``...). Templated.
    :param idempotency_key: Overrides the derived key, e.g. to share one bot between DAGs. Templated.
    :param meetstream_conn_id: The Airflow connection to use. Templated.
    :param hook_params: The hook's arguments: ``timeout``, ``max_retries``, ``pool_maxsize``, ``deadline``.
    """

    template_fields: Sequence[str] = ("meeting_link", "bot_config", "idempotency_key", "meetstream_conn_id")
    template_fields_renderers: ClassVar[dict[str, str]] = {"bot_config": "json"}
    ui_color = "#dff3ff"

    def __init__(
        self,
        *,
        meeting_link: str,
        bot_config: dict[str, Any] | None = None,
        idempotency_key: str | None = None,
        meetstream_conn_id: str = DEFAULT_CONN_ID,
        hook_params: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.meeting_link = meeting_link
        self.bot_config = bot_config
        self.idempotency_key = idempotency_key
        self.meetstream_conn_id = meetstream_conn_id
        self.hook_params = merge_hook_params(hook_params)
        check_now(meeting_link, validation.http_url, "meeting_link")
        check_now(bot_config, validation.create_bot_config)
        check_now(idempotency_key, validation.header_value, "idempotency_key", MAX_IDEMPOTENCY_KEY_LENGTH)

    def execute(self, context: Context) -> dict[str, Any]:
        """Create the bot (or find the one an earlier try created) and return its small XCom."""
        key = self.idempotency_key or task_instance_key(context)
        with self.hook as hook:
            answer = hook.create_bot(self.meeting_link, bot_config=self.bot_config, idempotency_key=key)
        self.log.info("Bot %s sent to %s (%s).", answer["bot_id"], self.meeting_link, answer.get("status"))
        return {name: answer.get(name) for name in XCOM_FIELDS}
