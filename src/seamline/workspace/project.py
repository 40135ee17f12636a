"""The models of ``seamline.yaml``: the program, its store, data folder and settings.

Re-exported by :mod:`seamline.workspace.models`, which holds the models of the other files.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, SecretStr, field_validator, model_validator

from seamline.crypto.keys import DataKeyError, parse_key
from seamline.workspace.periods import check_period
from seamline.workspace.specbase import ID, Spec

PROJECT_FILE = "seamline.yaml"
"""The project file at a workspace's root: what makes a folder a workspace."""


class NotificationsSpec(Spec):
    """Where new findings and failed checks are delivered (``notifications:``)."""

    webhook: str | None = None
    """A URL receiving one JSON POST per new finding; usually ``${FINDINGS_WEBHOOK}``."""
    retries: int = Field(default=3, ge=0, le=10)
    timeout_seconds: float = Field(default=5.0, gt=0)
    dead_letter: str = ".seamline/data/notifications/dead-letter.jsonl"
    """Findings the webhook did not take after every retry, one JSON line each."""
    console: bool = True


class LineageSpec(Spec):
    """OpenLineage run events for existing lineage tools (``lineage:``)."""

    transport: Literal["file", "http", "none"] = "file"
    path: str = ".seamline/data/lineage/events.jsonl"
    url: str | None = None
    """For ``transport: http``: the OpenLineage endpoint, e.g. ``${OPENLINEAGE_URL}``."""
    namespace: str = "seamline"


class ApprovalsSpec(Spec):
    """Who must approve a seam's agreement before it is served (``approvals:``)."""

    required: list[str] = Field(default_factory=list)
    """Roles whose approval of the current review packet is needed (e.g. owner, security)."""
    enforce: bool = True
    """When true, the exchange refuses to serve a seam that lacks a required approval."""

    @field_validator("required")
    @classmethod
    def _roles(cls, roles: list[str]) -> list[str]:
        bad = [r for r in roles if not re.match(ID, r)]
        if bad:
            raise ValueError(f"roles must be lower-case ids like 'owner' or 'security', got {bad}")
        dupes = sorted({r for r in roles if roles.count(r) > 1})
        if dupes:
            raise ValueError(f"role {dupes[0]!r} is listed twice")
        return roles


TruthCompare = Literal["exact", "text", "name"]


class EvaluateSpec(Spec):
    """Scoring against ground truth (``evaluate:``); without it no truth file is ever read.

    The truth folder holds ``records.csv`` (``dataset,record_key,entity_id``, optional
    ``defects``) and, to score golden values, ``entities.csv`` (``entity_id`` plus one
    column per canonical attribute). docs/reconcile.md describes the format.
    """

    truth: str = "_truth"
    """The truth folder, relative to the workspace."""
    compare: dict[str, TruthCompare] = Field(default_factory=dict)
    """Per attribute, when a golden value counts as the true one: ``exact`` (the default),
    ``text`` (case and runs of spaces ignored) or ``name`` (the name key reconcile
    compares names by: script, case and spelling variants folded)."""


class AuditSpec(Spec):
    """The exchange's audit log (``audit:``)."""

    retention: str | None = None
    """How long audit events are kept (an ISO 8601 duration, e.g. ``P10Y``). Data
    retention never touches the audit log; ``seamline retention apply`` reports the
    events past this period."""

    _period = field_validator("retention")(check_period)


class RetentionSpec(Spec):
    """Deleting data past its retention period in ``seamline run`` (``retention:``)."""

    apply: bool = False
    """When true, the run's retention stage deletes what is past its period; when false
    (the default) it only reports what it would delete."""


class EncryptionSpec(Spec):
    """Encryption at rest of the data folder's Parquet files (``encryption:``).

    Exactly one of ``key``, ``key_file`` and ``key_command``. The key is 32 bytes,
    written as base64 or as 64 hexadecimal characters; docs/security.md (At rest)
    describes what is encrypted and how to rotate the key.
    """

    key: SecretStr | None = None
    """The key itself, always from the environment: ``key: "${SEAMLINE_DATA_KEY}"``."""
    key_file: str | None = None
    """A file holding the key (relative to the workspace, or absolute), readable only by
    the account that runs seamline."""
    key_command: str | None = None
    """A command that prints the key (e.g. a key service's client), run without a shell
    in the workspace folder; a non-zero exit is an error."""
    timeout_seconds: float = Field(default=30.0, gt=0, le=600)
    """How long ``key_command`` may take."""

    @field_validator("key")
    @classmethod
    def _key_format(cls, key: SecretStr | None) -> SecretStr | None:
        if key is not None:
            try:
                parse_key(key.get_secret_value(), "encryption.key")
            except DataKeyError as exc:  # the message never holds the key
                raise ValueError(f"{exc.message}; allowed: {exc.allowed}") from None
        return key

    @model_validator(mode="after")
    def _exactly_one(self) -> EncryptionSpec:
        given = [n for n in ("key", "key_file", "key_command") if getattr(self, n) is not None]
        if len(given) != 1:
            what = "none" if not given else " and ".join(given)
            raise ValueError(f"give exactly one of key, key_file, key_command (got {what})")
        return self

    @property
    def key_value(self) -> str | None:
        return self.key.get_secret_value() if self.key is not None else None


class SparkSpec(Spec):
    """``spark:`` in seamline.yaml: the cluster ``engine: spark`` runs on."""

    master: str = "local[*]"
    """The cluster's master URL (``spark://host:7077``, ``yarn``, ``k8s://...``,
    ``local[2]``); the environment variable ``SEAMLINE_SPARK_MASTER`` overrides it."""
    conf: dict[str, str] = Field(default_factory=dict)
    """Spark settings, e.g. ``spark.executor.memory: 4g``; never secrets (use
    ``${VAR}``)."""

    @field_validator("conf", mode="before")
    @classmethod
    def _as_text(cls, value: Any) -> Any:
        # YAML reads `4` and `true` as numbers and booleans; Spark wants text.
        if isinstance(value, dict):
            return {
                k: (str(v).lower() if isinstance(v, bool) else str(v)) if v is not None else v
                for k, v in value.items()
            }
        return value


class ProjectSpec(Spec):
    """``seamline.yaml``: the program's name and where its store and data live."""

    name: str = Field(pattern=ID)
    title: str = ""
    description: str = ""
    country: str | None = Field(default=None, pattern=r"^[A-Z]{2}$")
    engine: Literal["duckdb", "spark"] = "duckdb"
    """Where the stages' SQL runs: ``duckdb``, embedded, or ``spark`` (docs/scale.md says
    which stages run on Spark in this version)."""
    spark: SparkSpec = Field(default_factory=lambda: SparkSpec())
    """The Spark cluster, for ``engine: spark``."""
    store: str | None = None
    data_dir: str = ".seamline/data"
    quarantine_max_share: float = Field(default=0.05, ge=0.0, le=1.0)
    notifications: NotificationsSpec = Field(default_factory=NotificationsSpec)
    lineage: LineageSpec = Field(default_factory=LineageSpec)
    approvals: ApprovalsSpec = Field(default_factory=ApprovalsSpec)
    evaluate: EvaluateSpec | None = None
    encryption: EncryptionSpec | None = None
    """Encrypt the data folder's Parquet files with this key (docs/security.md)."""
    audit: AuditSpec = Field(default_factory=AuditSpec)
    retention: RetentionSpec = Field(default_factory=RetentionSpec)
