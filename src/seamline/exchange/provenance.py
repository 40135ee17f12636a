"""What a consumer may learn about where a value came from.

A golden value's provenance is the dataset, the source record and the truth rule that
chose it. Two of these can leak what the agreement does not grant:

* the source record's key is often an identifier itself (a taxpayer's tax number), so
  the answer gives an opaque reference instead: ``rec_`` and a keyed hash (HMAC-SHA256
  with the exchange's provenance secret) of the dataset and the key, stable per record,
  which a steward holding the secret can recompute and the consumer cannot invert;
* a dataset's name tells which registers hold the person (a benefit register's is
  special-category data). A dataset is named only when it is the provider of a seam the
  caller's agreement belongs to and its sensitivity is not ``special``; otherwise the
  answer says ``"dataset": null, "dataset_withheld": true``.

The secret comes from ``SEAMLINE_PROVENANCE_SECRET`` (at least 32 characters) or from a
key file created (mode 0600) beside the audit signing key on first use.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from pathlib import Path
from typing import Any

from seamline.exchange.agreements import Grant
from seamline.exchange.keys import SigningKeyError
from seamline.workspace.loader import Workspace

SECRET_ENV = "SEAMLINE_PROVENANCE_SECRET"  # noqa: S105 (a variable name)
SECRET_FILE = "provenance-hmac.key"  # noqa: S105 (a file name)
MIN_SECRET = 32


def load_secret(key_dir: Path) -> bytes:
    """The provenance secret: from the environment, else the key file (made when absent)."""
    env = os.environ.get(SECRET_ENV)
    if env is not None:
        if len(env) < MIN_SECRET:
            raise SigningKeyError(
                f"{SECRET_ENV} is shorter than {MIN_SECRET} characters",
                where=SECRET_ENV,
                hint="set it to a long random value, e.g. `openssl rand -hex 32`",
            )
        return env.encode("utf-8")
    path = key_dir / SECRET_FILE
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another process made it first
            pass
        else:
            with os.fdopen(fd, "wb") as f:
                f.write(secrets.token_hex(32).encode("ascii"))
    try:
        data = path.read_bytes().strip()
    except OSError as exc:
        raise SigningKeyError(
            f"cannot read the provenance secret: {type(exc).__name__}", where=str(path)
        ) from None
    if len(data) < MIN_SECRET:
        raise SigningKeyError(
            f"the provenance secret is shorter than {MIN_SECRET} characters",
            where=str(path),
            hint="restore the file from backup (record references change with the secret)",
        )
    return data


def record_ref(secret: bytes, dataset: str, record: str) -> str:
    """The opaque, stable reference of one source record."""
    mac = hmac.new(secret, f"{dataset}\x00{record}".encode(), hashlib.sha256).digest()
    return "rec_" + base64.b32encode(mac[:20]).decode("ascii").lower()


def nameable_datasets(ws: Workspace, grant: Grant) -> frozenset[str]:
    """Datasets a provenance answer under ``grant`` may name (see the module's rule)."""
    out = set()
    for seam_id in grant.seam.split(","):
        seam = ws.seams.get(seam_id)
        ds = ws.datasets.get(seam.provider) if seam is not None else None
        if ds is not None and ds.sensitivity != "special":
            out.add(ds.id)
    return frozenset(out)


def provenance_view(
    source: dict[str, Any], nameable: frozenset[str], secret: bytes
) -> dict[str, Any]:
    """The ``dataset``/``record``/``rule`` of a golden value as the caller may see them."""
    dataset, record = source.get("dataset"), source.get("record")
    ref = None
    if dataset is not None and record is not None:
        ref = record_ref(secret, str(dataset), str(record))
    shown = dataset if dataset in nameable else None
    return {
        "dataset": shown,
        "dataset_withheld": dataset is not None and shown is None,
        "record": ref,
        "rule": source.get("rule"),
    }
