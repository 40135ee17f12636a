"""Linkage features beyond names and birth date: identifiers, address parts, contacts.

Each feature is a column ``f_<name>`` added to the prepared records, null where the
record has no usable value. Identifiers keep only values their scheme validated (the
harmonize flag is null): a flagged value — invalid, or a placeholder such as
``000000000`` — is absent for linking. Text is folded to a comparison form with Arrow
kernels (lower case, runs of non-word characters to one space) so that "Wallaby  Pl."
and "wallaby pl" meet; digits are kept, since house and postcode numbers are evidence.
"""

from __future__ import annotations

from typing import Any

import pyarrow as pa
import pyarrow.compute as pc

from seamline.normalize.names import name_key
from seamline.reconcile.spec import ReconcileSpec

ADDRESS_TEXT = {"street": "f_street", "locality": "f_locality"}
"""Free-text address parts compared by string similarity."""
ADDRESS_CODES = {
    "house_number": "f_house",
    "post_code": "f_post_code",
    "region": "f_region",
    "unit": "f_unit",
}
"""Address parts compared exactly (a postcode also at one edit)."""
CONTACTS = {"phone": "f_phone", "email": "f_email"}


def id_feature(attribute: str) -> str:
    """The feature column of an identifier attribute."""
    return f"f_id_{attribute}"


def _nulls(n: int) -> pa.Array[Any]:
    return pa.nulls(n, pa.string())


def _text(col: pa.ChunkedArray[Any]) -> pa.Array[Any]:
    """Lower case, non-word runs to one space, trimmed; empty -> null."""
    arr: Any = pc.cast(col, pa.string()).combine_chunks()
    arr = pc.utf8_lower(arr)
    arr = pc.replace_substring_regex(arr, pattern=r"[^\w]+", replacement=" ")
    arr = pc.utf8_trim_whitespace(arr)
    empty = pc.equal(arr, pa.scalar(""))
    out: pa.Array[Any] = pc.if_else(empty, pa.scalar(None, pa.string()), arr)
    return out


def _compact(col: pa.ChunkedArray[Any], pattern: str) -> pa.Array[Any]:
    """Characters matching ``pattern`` removed, upper case; empty -> null."""
    arr: Any = pc.cast(col, pa.string()).combine_chunks()
    arr = pc.utf8_upper(pc.replace_substring_regex(arr, pattern=pattern, replacement=""))
    empty = pc.equal(arr, pa.scalar(""))
    out: pa.Array[Any] = pc.if_else(empty, pa.scalar(None, pa.string()), arr)
    return out


def _validated(table: pa.Table, attr: str) -> pa.Array[Any]:
    value = pc.cast(table.column(attr), pa.string())
    flag = table.column(f"{attr}__flag")
    kept: Any = pc.if_else(pc.is_null(flag), value, pa.scalar(None, pa.string()))
    return _compact(kept, r"[\s\-./]")


def add_model_features(table: pa.Table, spec: ReconcileSpec, identifiers: list[str]) -> pa.Table:
    """Append the middle-name key, identifier, address and contact features."""
    n = table.num_rows
    cols = set(table.column_names)
    out: dict[str, pa.Array[Any]] = {}
    out["f_middle"] = (
        name_key(table.column("middle_name").combine_chunks(), spec.name_scheme)
        if "middle_name" in cols
        else _nulls(n)
    )
    for attr in identifiers:
        out[id_feature(attr)] = _validated(table, attr) if attr in cols else _nulls(n)
    for attr, feat in ADDRESS_TEXT.items():
        out[feat] = _text(table.column(attr)) if attr in cols else _nulls(n)
    for attr, feat in ADDRESS_CODES.items():
        out[feat] = _compact(table.column(attr), r"[\s\-]") if attr in cols else _nulls(n)
    out["f_phone"] = _compact(table.column("phone"), r"\D") if "phone" in cols else _nulls(n)
    out["f_email"] = _text(table.column("email")) if "email" in cols else _nulls(n)
    for name, col in out.items():
        if name in cols:
            continue
        table = table.append_column(name, col)
    return table
