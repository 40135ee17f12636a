"""Column types that encrypt a person's values in the store when ``encryption:`` is set.

A column that can hold a person's value (a discrepancy's observed values, a steward's
decision, an audit event's details, a profile's top values) is declared with
:class:`SealedText` or :class:`SealedJSON`. Which key seals them belongs to the store
engine, not to the type: :func:`attach` gives an engine its
:class:`~seamline.crypto.values.ValueCipher`, and every statement on that engine (ORM,
Core, or the audit writer's bind processors) seals on the way in and opens on the way
out. An engine without a cipher reads and writes exactly what it did before these types
existed; a sealed value it meets is an error, and so is a value in clear met by an engine
with a cipher: never a silent fallback.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import JSON, Engine, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

from seamline.crypto.values import (
    ValueCipher,
    clear_with_key,
    sealed_key_id,
    sealed_without_key,
)

_ATTRIBUTE = "seamline_value_cipher"


def attach(engine: Engine, cipher: ValueCipher | None) -> None:
    """Seal the sealed columns of every statement on ``engine`` with ``cipher``."""
    setattr(engine.dialect, _ATTRIBUTE, cipher)


def cipher_of(dialect: Dialect) -> ValueCipher | None:
    cipher: ValueCipher | None = getattr(dialect, _ATTRIBUTE, None)
    return cipher


def dump(value: Any) -> str:
    """The JSON text a sealed JSON value encrypts."""
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


class SealedText(TypeDecorator[str]):
    """Text, sealed under the engine's cipher (``where`` is ``table.column``)."""

    impl = Text
    cache_ok = True

    def __init__(self, where: str) -> None:
        super().__init__()
        self.where = where

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        cipher = cipher_of(dialect)
        if cipher is None or value is None:
            return value
        return cipher.seal(value, self.where)

    def process_result_value(self, value: Any, dialect: Dialect) -> str | None:
        if value is None:
            return None
        cipher = cipher_of(dialect)
        if cipher is None:
            if sealed_key_id(value) is not None:
                raise sealed_without_key(self.where)
            return str(value)
        if sealed_key_id(value) is None:
            raise clear_with_key(self.where)
        return cipher.open(value, self.where)


class SealedJSON(TypeDecorator[Any]):
    """JSON, sealed under the engine's cipher: stored as a JSON string holding the
    sealed text, so the column's type (and a PostgreSQL ``json`` column) stays as it is."""

    impl = JSON
    cache_ok = True

    def __init__(self, where: str) -> None:
        super().__init__()
        self.where = where

    def process_bind_param(self, value: Any, dialect: Dialect) -> Any:
        cipher = cipher_of(dialect)
        if cipher is None or value is None:
            return value
        return cipher.seal(dump(value), self.where)

    def process_result_value(self, value: Any, dialect: Dialect) -> Any:
        if value is None:
            return None
        cipher = cipher_of(dialect)
        if cipher is None:
            if sealed_key_id(value) is not None:
                raise sealed_without_key(self.where)
            return value
        if sealed_key_id(value) is None:
            raise clear_with_key(self.where)
        return json.loads(cipher.open(value, self.where))
