"""The message id of queue sources: the column that names each message across runs.

A queue delivers a message again when a run dies before acknowledging it. The landed
row then carries the same ``_message_id`` as the first time (the JetStream stream
sequence, the AMQP ``message-id`` property), so an append state that keeps one row per
``_message_id`` never counts a redelivered message twice.
"""

from __future__ import annotations

from collections.abc import Mapping

import pyarrow as pa

from seamline.sources.base import RECORD_NO, Batch

MESSAGE_ID = "_message_id"


def with_message_ids(batch: Batch, ids: Mapping[int, str | None]) -> Batch:
    """``batch`` with ``_message_id`` after the bookkeeping columns, looked up by record no."""
    data = batch.data
    numbers = data.column(data.schema.get_field_index(RECORD_NO)).to_pylist()
    column = pa.array([ids.get(int(n or 0)) for n in numbers], type=pa.string())
    return Batch(
        data=data.add_column(2, MESSAGE_ID, column),
        quarantined=batch.quarantined,
        consumed=batch.consumed,
    )
