"""The contract every connector fulfils (a bottom module: the workspace, the plugin
registry and every stage read it; ``seamline.sources.base`` re-exports it for connectors).

A reader turns a dataset's ``source:`` options into a stream of :class:`Batch` objects.
Each batch holds the accepted records as an Arrow record batch and the records that
could not be decoded as :class:`QuarantineRecord` objects, so that for every batch
``read == accepted + quarantined`` holds and nothing is lost or silent.

Every accepted row carries two bookkeeping columns:

``_record_no``
    int64, the 1-based ordinal of the record in the source, counting quarantined
    records too. Re-reading unchanged input gives the same numbers, so it is the
    stable row id in the landing zone.
``_source_pos``
    string, where the record sits in the source in words a person can follow:
    ``byte 1024``, ``line 17``, ``sheet People row 5``, ``message 42``, ``id=901``.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, Generic, Literal, Protocol, TypeVar, cast

import pyarrow as pa
from pydantic import BaseModel, ConfigDict, Field, PositiveInt

from seamline.errors import SourceError

RECORD_NO = "_record_no"
SOURCE_POS = "_source_pos"
BOOKKEEPING_COLUMNS = (RECORD_NO, SOURCE_POS)


class SourceOptions(BaseModel):
    """Base of every connector's options model (the dataset's ``source:`` block)."""

    # Attribute docstrings become field descriptions: docs/connectors.md is built from them.
    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

    kind: str
    state: Literal["snapshot", "append"] | None = None
    """How the dataset's current state is made from its deliveries: ``snapshot`` (the latest good delivery is the state) or ``append`` (all deliveries, de-duplicated by ``key``). Default: the connector's own (see each connector)."""
    key: list[str] = Field(default_factory=list)
    """Columns that identify a record. An ``append`` state keeps the latest delivery's record per key. Without a key, a connector's own record key is used (queues: ``_message_id``); without either nothing is de-duplicated. Rows whose key is null are all kept."""
    keep: PositiveInt | timedelta | None = None
    """Retention of deliveries: a number (``30``, the newest kept) or an ISO 8601 duration (``P90D``). Files the current state needs are never deleted. Default: keep all."""


COMMON_OPTIONS = ("state", "key", "keep")
"""Options every connector takes (documented once, not per connector)."""

StateMode = Literal["snapshot", "append"]


@dataclass(frozen=True)
class Capabilities:
    """What a connector can do, declared as data on the reader class."""

    streaming: bool = True
    """Reads in bounded batches, so a source larger than memory is fine."""
    schema_inference: bool = False
    """Infers column types itself (otherwise all columns are strings or declared)."""
    incremental: bool = False
    """Can resume from a watermark/offset kept between runs."""
    acknowledges: bool = False
    """Removes what it read from the source only after :meth:`Reader.commit`."""
    position_unit: str = "record"
    """What ``_source_pos`` counts: byte, line, row, message or key."""
    state: StateMode = "snapshot"
    """The default ``state:`` of its datasets: ``snapshot`` for full extracts (files),
    ``append`` for sources that deliver only what is new (queues)."""


@dataclass(frozen=True)
class SourceTime:
    """When the source itself last changed, as the delivery shows it, and how that is known.

    The freshness of a seam is measured from it, not from when seamline read the source:
    a provider's file that stopped changing grows stale however often it is read again.
    """

    at: datetime
    """A UTC moment."""
    basis: str
    """What it was read from: ``file modified``, ``message time``, ``watermark``."""


@dataclass(frozen=True)
class QuarantineRecord:
    """A record that could not be accepted, with where it was and why."""

    record_no: int
    position: str
    reason: str
    raw: bytes = b""
    layout: bool = False
    """Layout of the source, not bad data (a spreadsheet's section title or totals row):
    quarantined and counted like any other, but not toward the quarantine threshold."""


@dataclass
class Batch:
    """Accepted rows (with ``_record_no`` and ``_source_pos``) and quarantined ones.

    ``consumed`` is how many source records the batch covers as the reader counted them
    (rows fetched, messages received), apart from what it made of them. The landing
    checks that the record numbers of all batches are exactly ``1..read``: a record
    the reader dropped on the way fails the delivery. A reader that leaves ``consumed``
    unset is checked for gaps and repeats only.
    """

    data: pa.RecordBatch
    quarantined: list[QuarantineRecord] = field(default_factory=list)
    consumed: int | None = None

    @property
    def read(self) -> int:
        if self.consumed is not None:
            return self.consumed
        return int(self.data.num_rows) + len(self.quarantined)


class RangeRunner(Protocol):
    """Where the byte ranges of a parallel read are decoded when not by this machine's
    processes: an engine's executors (:mod:`seamline.sources.parallel` hands it the tasks).

    A task is a tuple ``(function, *arguments)`` of module-level, picklable things; the
    runner calls ``function(*arguments)`` on its workers and yields the results in the
    order of the tasks, with at most ``in_flight`` of them decoded ahead.
    """

    where: str
    """Where it runs, for people: ``Spark (spark://head:7077)``."""
    tasks_run: int
    """Tasks it has run so far (the connect stage says which datasets were read there)."""

    def slots(self) -> int:
        """How many tasks its workers run at once."""
        ...

    def run(self, tasks: Sequence[tuple[Any, ...]], in_flight: int) -> Iterator[Any]:
        """Every task's result, in order; a worker's failure raises."""
        ...


@dataclass
class ReadContext:
    """What a reader needs from its surroundings.

    ``base_dir`` resolves relative paths (the workspace folder); ``state`` is the
    connector's state from the previous successful run (a watermark, a stream
    sequence) and is replaced by :meth:`Reader.state` after a successful landing.
    ``ranges`` decodes the byte ranges of a parallel read (a Spark workspace's
    executors); without one, a pool of this machine's processes does.
    """

    base_dir: Path
    dataset: str = "adhoc"
    batch_size: int = 65_536
    limit: int | None = None
    state: dict[str, Any] = field(default_factory=dict)
    ranges: RangeRunner | None = field(default=None, compare=False, repr=False)

    def resolve(self, path: str | Path) -> Path:
        p = Path(path).expanduser()
        return p if p.is_absolute() else self.base_dir / p


OptionsT = TypeVar("OptionsT", bound=SourceOptions)


class Reader(ABC, Generic[OptionsT]):
    """A connector's reader. Subclasses set ``kind``, ``options_model``, ``capabilities``.

    A subclass names its options model twice, as the type parameter and as
    ``options_model`` (``class CsvReader(Reader[CsvOptions])`` with
    ``options_model = CsvOptions``): the base checks that the options it gets are an
    ``options_model`` and hands them on typed as ``self.opts``, so no reader repeats the
    ``isinstance`` check.
    """

    kind: ClassVar[str]
    options_model: ClassVar[type[SourceOptions]]
    capabilities: ClassVar[Capabilities] = Capabilities()
    record_key: ClassVar[str | None] = None
    """A column the reader adds that names a record across runs (``_message_id`` for
    queues). An ``append`` state without a declared ``key:`` keeps one row per value."""
    _file_time: datetime | None = None
    """The newest modification time of the files opened by :meth:`source_file`."""

    def __init__(self, options: SourceOptions, context: ReadContext) -> None:
        if not isinstance(options, self.options_model):
            raise SourceError(f"the {self.kind} reader got {type(options).__name__} options")
        self.options = options
        # The check above makes the cast true; a ClassVar cannot carry the type parameter.
        self.opts: OptionsT = cast(OptionsT, options)
        self.context = context

    @abstractmethod
    def batches(self) -> Iterator[Batch]:
        """Yield the source's records in batches; raise SourceError if it cannot be read."""

    @classmethod
    def state_mode(cls, options: SourceOptions) -> StateMode:
        """How a dataset's state is made: its ``state:`` option, else the connector's default."""
        return options.state or cls.capabilities.state

    def commit(self) -> None:
        """Called once everything yielded is durably in the landing zone.

        Readers of queues acknowledge here; nothing is acknowledged before.
        """

    def close(self) -> None:
        """Release connections and files; called once, after success or failure."""

    def state(self) -> dict[str, Any]:
        """State to keep for the next run (for incremental readers)."""
        return dict(self.context.state)

    def metadata(self) -> dict[str, str]:
        """What the read chose or did beyond the rows (an encoding, dead-letter counts).

        Kept with the delivery and shown by ``seamline deliveries``; read after the landing.
        """
        return {}

    def source_time(self) -> SourceTime | None:
        """When the source last changed, read after the landing (None: nothing tells).

        File readers get their file's modification time through :meth:`source_file`;
        queue readers override this with their messages' time, SQL with its watermark.
        Without one, the freshness of the delivery is its read time.
        """
        if self._file_time is None:
            return None
        return SourceTime(self._file_time, "file modified")

    def note_source_file(self, path: Path) -> None:
        """Keep ``path``'s modification time as the delivery's source time (the newest wins)."""
        try:
            at = datetime.fromtimestamp(path.stat().st_mtime, UTC)
        except OSError:
            return
        if self._file_time is None or at > self._file_time:
            self._file_time = at

    def describe(self) -> str:
        """A short human description of the source, free of secrets."""
        return self.kind

    @classmethod
    def file_issue(cls, option: str, name: str, path: Path) -> tuple[str, str] | None:
        """Why a file the ``option`` names (as ``name``, found at ``path``) cannot be read.

        ``seamline validate`` asks each dataset's connector about the files its source
        names, so a layout file that does not parse shows before any run. Returns
        (problem, fix), or None when the file is fine or the connector has nothing to check.
        """
        return None

    @classmethod
    def value_labels(cls, options: SourceOptions, base_dir: Path, column: str) -> dict[str, str]:
        """Names the source's own layout gives a column's values (a copybook's level 88)."""
        return {}

    def source_file(self, option: str, *, what: str, hint: str | None = None) -> Path:
        """The file a ``path:`` option names; a clear SourceError if it is missing or a folder."""
        path = self.context.resolve(option)
        where = f"dataset {self.context.dataset}"
        if not path.exists():
            raise SourceError(
                f"the file {option} does not exist",
                where=where,
                hint=f"Looked for {path}; check the path option (relative to the workspace).",
            )
        if path.is_dir():
            raise SourceError(f"{option} is a folder, not {what}", where=where, hint=hint)
        self.note_source_file(path)
        return path


def with_bookkeeping(
    table: pa.Table | pa.RecordBatch,
    record_no: pa.Array[Any],
    positions: pa.Array[Any],
) -> pa.RecordBatch:
    """Prepend ``_record_no`` and ``_source_pos`` to a batch of accepted rows."""
    if isinstance(table, pa.Table):
        columns: list[pa.Array[Any]] = [c.combine_chunks() for c in table.columns]
    else:
        columns = list(table.columns)
    arrays: list[pa.Array[Any]] = [record_no.cast(pa.int64()), positions.cast(pa.string())]
    arrays.extend(columns)
    names = [RECORD_NO, SOURCE_POS, *table.schema.names]
    return pa.RecordBatch.from_arrays(arrays, names=names)
