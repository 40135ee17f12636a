"""OpenLineage run events for each ``seamline run``, so existing lineage tools see the hub.

One pipeline run is one OpenLineage run of the job ``<workspace>.run``: a START event at
the moment the run started and a COMPLETE (or FAIL) event when it finished, both with
the same run id. Inputs are the landing-zone files of the datasets the run read; outputs
are the harmonized files, the reference (golden record) files and the derived datasets'
outputs. Every dataset carries its schema (columns and Arrow types from the Parquet
footer); inputs carry row and null counts (data-quality metrics, from the footer
statistics, no scan), outputs their row count and size, and each seam's provider (and
each derived dataset) its contract results as data-quality assertions.

The events are built with openlineage-python and sent through its transports: the file
transport (one JSON event per line) by default, HTTP when ``lineage.transport: http``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from openlineage.client.client import OpenLineageClient
from openlineage.client.event_v2 import InputDataset, Job, OutputDataset, Run, RunEvent, RunState
from openlineage.client.facet_v2 import (
    data_quality_assertions_dataset,
    data_quality_metrics_input_dataset,
    documentation_job,
    error_message_run,
    job_type_job,
    output_statistics_output_dataset,
    schema_dataset,
)
from openlineage.client.transport.file import FileConfig, FileTransport
from openlineage.client.transport.http import HttpConfig, HttpTransport
from openlineage.client.transport.transport import Transport

from seamline.crypto.parquet import ParquetFiles
from seamline.store import Store
from seamline.store.checks import CheckRow, datasets_of_run, results_of_run, run_outcome
from seamline.workspace.datafolder import state_path
from seamline.workspace.derived import derived_path
from seamline.workspace.loader import Workspace

PRODUCER = "https://github.com/seamline/seamline"
FILE_NAMESPACE = "file"
"""OpenLineage naming for local files: namespace ``file``, name the absolute path."""
FAILED = frozenset({"failed", "partial"})
HTTP_RETRY = {"total": 3, "read": 3, "connect": 3, "backoff_factor": 0.2}
"""Fewer tries than the client's default (5): lineage must not hold up the end of a run."""


@dataclass
class LineageResult:
    events: list[RunEvent] = field(default_factory=list)
    target: str | None = None
    """Where the events went: the file path or the endpoint (``None`` when disabled)."""
    error: str | None = None
    """Why the transport could not take the events; lineage never fails a run."""


def run_uuid(ws: Workspace, run_id: int, started: dt.datetime) -> str:
    """A stable OpenLineage run id: START and COMPLETE share it, a re-emit repeats it."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"seamline:{ws.name}:{run_id}:{started.isoformat()}"))


def _utc(value: dt.datetime | None) -> dt.datetime:
    if value is None:
        return dt.datetime.now(dt.UTC)
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def resolve(ws: Workspace, path: str) -> Path:
    p = Path(path).expanduser()
    return p if p.is_absolute() else ws.root / p


def make_transport(ws: Workspace) -> tuple[Transport | None, str | None]:
    """The configured transport and a description of its target."""
    spec = ws.project.lineage
    if spec.transport == "none":
        return None, None
    if spec.transport == "http":
        if not spec.url:
            return None, None
        # No secrets in the url: an API key goes in the endpoint's own auth, not here.
        retry = {
            **HTTP_RETRY,
            "status_forcelist": [500, 502, 503, 504],
            "allowed_methods": ["POST"],
        }
        return HttpTransport(HttpConfig(url=spec.url, timeout=5.0, retry=retry)), spec.url
    path = resolve(ws, spec.path)
    path.parent.mkdir(parents=True, exist_ok=True)
    return FileTransport(FileConfig(log_file_path=str(path), append=True)), str(path)


def schema_facet(files: ParquetFiles, path: Path) -> schema_dataset.SchemaDatasetFacet:
    schema = files.read_schema(path)
    return schema_dataset.SchemaDatasetFacet(
        fields=[
            schema_dataset.SchemaDatasetFacetFields(
                name=f.name, type=str(f.type), ordinal_position=i + 1
            )
            for i, f in enumerate(schema)
        ]
    )


def metrics_facet(
    files: ParquetFiles,
    path: Path,
) -> data_quality_metrics_input_dataset.DataQualityMetricsInputDatasetFacet:
    """Row count and per-column null counts from the Parquet footers (no data read): the
    file's, or those of a directory's parts."""
    footers = files.footers(path)
    nulls: dict[str, int | None] = {}
    for meta in footers:
        for g in range(meta.num_row_groups):
            group = meta.row_group(g)
            for c in range(group.num_columns):
                col = group.column(c)
                name = col.path_in_schema
                stats = col.statistics
                count = stats.null_count if stats is not None else None
                before = nulls.get(name, 0)
                # One row group without the statistic makes the column's count unknown.
                nulls[name] = None if count is None or before is None else before + count
    return data_quality_metrics_input_dataset.DataQualityMetricsInputDatasetFacet(
        rowCount=sum(meta.num_rows for meta in footers),
        bytes=files.size(path),
        columnMetrics={
            name: data_quality_metrics_input_dataset.ColumnMetrics(nullCount=n)
            for name, n in nulls.items()
        },
    )


def _assertions(
    rows: Sequence[CheckRow],
) -> data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet:
    return data_quality_assertions_dataset.DataQualityAssertionsDatasetFacet(
        assertions=[
            data_quality_assertions_dataset.Assertion(
                assertion=str((r.details or {}).get("check") or r.rule.split(":", 1)[0]),
                success=r.status == "pass",
                column=r.attribute,
                name=f"{r.seam}/{r.rule}",
                severity="error",
                expected=r.expected,
                actual=None if r.observed is None else f"{r.observed:g}",
            )
            for r in rows
        ]
    )


def check_results(store: Store, run_id: int) -> list[CheckRow]:
    """The contract results recorded under the run or its stage runs."""
    return results_of_run(store, run_id)


def _datasets_read(store: Store, run_id: int) -> list[str]:
    return datasets_of_run(store, run_id)


def build_events(
    ws: Workspace,
    store: Store,
    run_id: int,
    *,
    datasets: Sequence[str] | None = None,
) -> list[RunEvent]:
    """The START and COMPLETE/FAIL events of pipeline run ``run_id``."""
    outcome = run_outcome(store, run_id)
    if outcome is None:
        raise ValueError(f"there is no run {run_id} in the store")
    started_at, finished_at, status, message = outcome
    started, finished = _utc(started_at), _utc(finished_at)
    ns = ws.project.lineage.namespace
    read = list(datasets) if datasets else (_datasets_read(store, run_id) or sorted(ws.datasets))
    results = check_results(store, run_id)
    by_provider: dict[str, list[CheckRow]] = {}
    for r in results:
        seam = ws.seams.get(r.seam)
        if seam is not None:
            by_provider.setdefault(seam.provider, []).append(r)
        elif r.seam in ws.derived:  # a derived dataset's own contract
            by_provider.setdefault(f"derived/{r.seam}", []).append(r)
    inputs: list[InputDataset] = []
    for d in read:
        path = state_path(ws.data_dir, d)
        if path.is_file():
            inputs.append(
                InputDataset(
                    namespace=FILE_NAMESPACE,
                    name=str(path.resolve()),
                    facets={"schema": schema_facet(ws.parquet, path)},
                    inputFacets={"dataQualityMetrics": metrics_facet(ws.parquet, path)},
                )
            )
    outputs: list[OutputDataset] = []
    harmonized = [ws.data_dir / "harmonized" / f"{d}.parquet" for d in read]
    reference = sorted((ws.data_dir / "reference").glob("*.parquet"))
    derived = [derived_path(ws.data_dir, d) for d in sorted(ws.derived)]
    for path in [*harmonized, *reference, *derived]:
        if not ws.parquet.exists(path):
            continue
        facets: dict[str, Any] = {"schema": schema_facet(ws.parquet, path)}
        provided = {
            "harmonized": by_provider.get(path.stem),
            "derived": by_provider.get(f"derived/{path.stem}"),
        }.get(path.parent.name)
        if provided:
            facets["dataQualityAssertions"] = _assertions(provided)
        outputs.append(
            OutputDataset(
                namespace=FILE_NAMESPACE,
                name=str(path.resolve()),
                facets=facets,
                outputFacets={
                    "outputStatistics": output_statistics_output_dataset.OutputStatisticsOutputDatasetFacet(
                        rowCount=ws.parquet.num_rows(path),
                        size=ws.parquet.size(path),
                    )
                },
            )
        )
    job = Job(
        namespace=ns,
        name=f"{ws.name}.run",
        facets={
            "jobType": job_type_job.JobTypeJobFacet(
                processingType="BATCH", integration="SEAMLINE", jobType="PIPELINE"
            ),
            **(
                {"documentation": documentation_job.DocumentationJobFacet(ws.project.description)}
                if ws.project.description
                else {}
            ),
        },
    )
    rid = run_uuid(ws, run_id, started)
    start = RunEvent(
        eventType=RunState.START,
        eventTime=started.isoformat(),
        run=Run(runId=rid),
        job=job,
        inputs=inputs,
        producer=PRODUCER,
    )
    failed = status in FAILED
    end_facets: dict[str, Any] = {}
    if failed:
        end_facets["errorMessage"] = error_message_run.ErrorMessageRunFacet(
            message=message or f"the run ended {status}", programmingLanguage="python"
        )
    end = RunEvent(
        eventType=RunState.FAIL if failed else RunState.COMPLETE,
        eventTime=finished.isoformat(),
        run=Run(runId=rid, facets=end_facets),
        job=job,
        inputs=inputs,
        outputs=outputs,
        producer=PRODUCER,
    )
    return [start, end]


def emit_run_events(
    ws: Workspace,
    store: Store,
    run_id: int,
    *,
    datasets: Sequence[str] | None = None,
    transport: Transport | None = None,
) -> LineageResult:
    """Build and send the events of run ``run_id`` (call it once the run has finished).

    ``datasets`` narrows the inputs (default: the datasets the run's stages read).
    ``transport`` replaces the configured one. A transport error is returned, not
    raised: a lineage server being down must not fail a data delivery.
    """
    target: str | None = "custom transport"
    if transport is None:
        transport, target = make_transport(ws)
    if transport is None:
        return LineageResult()
    events = build_events(ws, store, run_id, datasets=datasets)
    client = OpenLineageClient(transport=transport)
    result = LineageResult(events, target)
    try:
        for e in events:
            client.emit(e)
    except Exception as exc:  # any transport failure: report it, keep the run's outcome
        result.error = f"{type(exc).__name__}: {exc}"
    return result
