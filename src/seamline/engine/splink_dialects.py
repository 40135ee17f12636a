"""Splink's dialects with one hash on every engine, for the samples and chunks it draws.

Splink chooses the records of its u sample, the records of each chunk of pairs and EM's
sample by a hash of their ids (``SplinkDialect.hash_function_expression``), and each
backend uses its engine's own ``hash`` (DuckDB's 64-bit hash, Spark's murmur3): the same
workspace then draws other pairs on the other engine, estimates other u probabilities and
can link a pair near a threshold on one engine and not on the other (6 golden persons in
40,000 did). These dialects hash with MD5, which both engines compute alike, so the two
draw the same records and reach the same model. Written here because Splink takes the
hash from its dialect and has no setting for it; ``Engine.linkage()`` puts them on the
database API it returns.
"""

from __future__ import annotations

from splink.internals.dialects import DuckDBDialect, SparkDialect

HEX_DIGITS = 15
"""Hex digits of the MD5 kept: 60 bits, a non-negative BIGINT on both engines."""


class DuckDBSameHash(DuckDBDialect):
    """DuckDB's dialect of Splink, hashing as :class:`SparkSameHash` does."""

    def hash_function_expression(self, col_expression: str) -> str:
        text = f"CAST({col_expression} AS VARCHAR)"
        return f"CAST(('0x' || substr(md5({text}), 1, {HEX_DIGITS})) AS BIGINT)"


class SparkSameHash(SparkDialect):
    """Spark's dialect of Splink, hashing as :class:`DuckDBSameHash` does."""

    def hash_function_expression(self, col_expression: str) -> str:
        text = f"CAST({col_expression} AS STRING)"
        return f"CAST(conv(substr(md5({text}), 1, {HEX_DIGITS}), 16, 10) AS BIGINT)"


def duckdb_same_hash() -> DuckDBDialect:
    """The DuckDB dialect (one instance: Splink keeps one per dialect class)."""
    return DuckDBSameHash()  # type: ignore[no-untyped-call]  # Splink's __new__ is untyped


def spark_same_hash() -> SparkDialect:
    """The Spark dialect (one instance: Splink keeps one per dialect class)."""
    return SparkSameHash()  # type: ignore[no-untyped-call]  # Splink's __new__ is untyped
