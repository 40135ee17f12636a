"""Which key seals the store: checked when a store opens, changed by a rotation.

The ``store_key`` row names the key id that seals every sealed column (no row: they are
in clear). Opening a store checks it against the workspace's key, so a missing or wrong
key is one clear error at once, before anything is read or written, and a workspace that
forgot its key can never add values in clear to an encrypted store.

:func:`reseal` re-encrypts every sealed column from one key to another (or from or to
clear text), in one transaction per table: an interrupted rotation leaves each table
whole under one key or the other, the ``store_key`` row moves to the new key only when
every table is done, and running it again finishes the work (values already under the
new key are left alone).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import (
    JSON,
    Column,
    Engine,
    Table,
    Text,
    bindparam,
    delete,
    func,
    insert,
    inspect,
    select,
    type_coerce,
)
from sqlalchemy import update as sql_update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.sql.elements import TypeCoerce

from seamline.crypto.keys import DataKeyError
from seamline.crypto.values import SETTING, ValueCipher, sealed_key_id
from seamline.store.migrate import safe_url
from seamline.store.models import Base, StoreKey, utcnow
from seamline.store.sealed import SealedJSON, SealedText, attach, dump

_CHUNK = 2000


def sealed_columns() -> Iterator[tuple[Table, list[Column[Any]]]]:
    """Every table with sealed columns, and those columns."""
    for table in Base.metadata.sorted_tables:
        cols = [c for c in table.columns if isinstance(c.type, SealedText | SealedJSON)]
        if cols:
            yield table, cols


def stored_key_id(engine: Engine) -> str | None:
    """The id of the key that sealed the store; None when it is in clear (or older than
    the ``store_key`` table, opened without upgrading)."""
    if not inspect(engine).has_table(StoreKey.__tablename__):
        return None
    with engine.connect() as conn:
        kid: str | None = conn.scalar(select(StoreKey.key_id).where(StoreKey.id == 1))
    return kid


def _holds_values(engine: Engine) -> bool:
    with engine.connect() as conn:
        for _table, cols in sealed_columns():
            for col in cols:
                if conn.scalar(select(_raw(col)).where(col.isnot(None)).limit(1)) is not None:
                    return True
    return False


def open_with_key(engine: Engine, key: bytes | None) -> None:
    """Give ``engine`` the cipher of ``key`` after checking that it is the store's key."""
    url = safe_url(str(engine.url))
    stored = stored_key_id(engine)
    cipher = ValueCipher(key) if key is not None else None
    if cipher is None:
        if stored is not None:
            raise DataKeyError(
                f"the store {url} is encrypted, but this workspace sets no data key",
                where=SETTING,
                hint="Add `encryption:` with the key the store was written with "
                "(docs/security.md, At rest).",
            )
    elif stored is None:
        if _holds_values(engine):
            raise DataKeyError(
                f"the store {url} holds personal values in clear, but this workspace "
                "encrypts its store",
                where=SETTING,
                hint="Encrypt what was written before encryption was turned on: "
                "`seamline keys rotate --from-plain`.",
            )
        _set_key_id(engine, cipher.key_id)
    elif stored != cipher.key_id:
        raise DataKeyError(
            f"the data key does not open the store {url}; was the key rotated?",
            where=SETTING,
            hint="Set the key the store was written with, or re-encrypt it with "
            "`seamline keys rotate`.",
        )
    attach(engine, cipher)


def _set_key_id(engine: Engine, kid: str | None) -> None:
    try:
        with engine.begin() as conn:
            conn.execute(delete(StoreKey))
            if kid is not None:
                conn.execute(insert(StoreKey).values(id=1, key_id=kid, sealed_at=utcnow()))
    except IntegrityError:  # another process marked a fresh store at the same moment
        if stored_key_id(engine) != kid:
            raise


@dataclass
class ResealResult:
    rewritten: dict[str, int] = field(default_factory=dict)
    """Per table: rows whose values were re-encrypted (or decrypted, or encrypted)."""
    current: int = 0
    """Values already under the new key (or in clear, rotating to clear)."""
    failed: list[tuple[str, str]] = field(default_factory=list)
    """(table, why) for tables left as they were: a value neither key opens."""

    @property
    def rows(self) -> int:
        return sum(self.rewritten.values())


class _Unopened(Exception):
    pass


def reseal(engine: Engine, old: bytes | None, new: bytes | None) -> ResealResult:
    """Re-encrypt every sealed column from ``old`` (None: in clear) to ``new`` (None: to
    clear text), one transaction per table; the ``store_key`` row moves last."""
    attach(engine, None)  # raw values: this function seals and opens them itself
    old_cipher = ValueCipher(old) if old is not None else None
    new_cipher = ValueCipher(new) if new is not None else None
    result = ResealResult()
    for table, cols in sealed_columns():
        try:
            rewritten, current = _reseal_table(engine, table, cols, old_cipher, new_cipher)
        except _Unopened as exc:
            result.failed.append((table.name, str(exc)))
            continue
        result.rewritten[table.name] = rewritten
        result.current += current
    if not result.failed:
        _set_key_id(engine, new_cipher.key_id if new_cipher else None)
    return result


def _raw(col: Column[Any]) -> TypeCoerce[Any]:
    return type_coerce(col, JSON() if isinstance(col.type, SealedJSON) else Text())


def _reseal_table(
    engine: Engine,
    table: Table,
    cols: list[Column[Any]],
    old: ValueCipher | None,
    new: ValueCipher | None,
) -> tuple[int, int]:
    pk = table.c.id
    write = (
        sql_update(table)
        .where(pk == bindparam("_pk"))
        .values({c.name: bindparam(f"_v_{c.name}", type_=_raw(c).type) for c in cols})
    )
    rewritten = current = 0
    with engine.begin() as conn:
        total = conn.scalar(select(func.count()).select_from(table)) or 0
        last: Any = None
        while total:
            query = select(pk, *(_raw(c) for c in cols)).order_by(pk).limit(_CHUNK)
            if last is not None:
                query = query.where(pk > last)
            rows = conn.execute(query).all()
            if not rows:
                break
            changes = []
            for row in rows:
                last = row[0]
                values: dict[str, Any] = {"_pk": row[0]}
                changed = False
                for col, raw in zip(cols, row[1:], strict=True):
                    target, moved = _target(col, raw, old, new)
                    values[f"_v_{col.name}"] = target
                    changed |= moved
                    current += int(raw is not None and not moved)
                if changed:
                    changes.append(values)
            if changes:
                conn.execute(write, changes)
                rewritten += len(changes)
    return rewritten, current


def _target(
    col: Column[Any], raw: Any, old: ValueCipher | None, new: ValueCipher | None
) -> tuple[Any, bool]:
    """The value to store under the new key, and whether it differs from ``raw``."""
    if raw is None:
        return None, False
    where = str(col.type.where)  # type: ignore[attr-defined]
    is_json = isinstance(col.type, SealedJSON)
    kid = sealed_key_id(raw)
    if kid is None:  # in clear
        if new is None:
            return raw, False
        if old is not None:
            raise _Unopened(f"{where} holds a value in clear; rotate with --from-plain")
        text = dump(raw) if is_json else str(raw)
    elif new is not None and kid == new.key_id:
        return raw, False
    elif old is not None and kid == old.key_id:
        text = old.open(raw, where)
    else:
        raise _Unopened(f"neither key opens the values of {where}")
    if new is not None:
        return new.seal(text, where), True
    return (json.loads(text) if is_json else text), True
