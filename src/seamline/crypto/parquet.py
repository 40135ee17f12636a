"""The one door to the Parquet files seamline writes in a workspace's data folder.

Every writer and reader of landing, quarantine, harmonized, reference and other data
files goes through a :class:`ParquetFiles`, so that no call site decides on its own
whether a file is encrypted. With a key, every file is written with Parquet modular
encryption (AES-GCM, encrypted footer, every column under the footer key); without one,
in clear. A mismatch is an error, never a fallback: an encrypted file read without a
key, a clear file read where encryption is on, a key that does not open a file.

A data file is one Parquet file, or a directory of part files where a cluster wrote it
(Spark's layout, harmonize's output on the Spark engine): every read here takes either,
the parts in name order (:func:`~seamline.engine.parquet_parts`), and
:meth:`ParquetFiles.replacing` puts either in place whole.

The engine (DuckDB) reads encrypted files through pyarrow: DuckDB's own
``encryption_config`` takes one fixed key per file, while pyarrow's encryption (the
standard one, read by Spark and Arrow too) gives each file fresh data keys wrapped in its
footer, which only a KMS client such as :class:`~seamline.crypto.kms.WorkspaceKms` opens.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.dataset as ds
import pyarrow.parquet as pq
import pyarrow.parquet.encryption as pe
from sqlglot import exp

from seamline.crypto.keys import DataKeyError
from seamline.crypto.kms import MASTER_KEY_ID, WRONG_KEY, WorkspaceKms
from seamline.engine import SPILL_DIR, DuckDBEngine, Engine, adopt, parquet_parts

ENCRYPTED_MAGIC = b"PARE"
CLEAR_MAGIC = b"PAR1"
SETTING = "the encryption block of seamline.yaml"
_CACHE = dt.timedelta(hours=1)


def is_encrypted(path: Path) -> bool | None:
    """True for a Parquet file with an encrypted footer, False for one in clear, None when
    the file is not Parquet at all (too short, or another trailer)."""
    with path.open("rb") as f:
        f.seek(0, 2)
        if f.tell() < 8:
            return None
        f.seek(-4, 2)
        magic = f.read(4)
    return True if magic == ENCRYPTED_MAGIC else False if magic == CLEAR_MAGIC else None


class ParquetFiles:
    """Reads and writes a data folder's Parquet files, encrypted when given a key."""

    def __init__(self, key: bytes | None = None, *, spill: Path | None = None) -> None:
        self.key = key
        """The data key (None: in clear); the store's sealed columns derive theirs from it."""
        self.spill = spill or SPILL_DIR
        """Where engines on these files spill: ``<data_dir>/tmp`` for a workspace's."""
        self._factory: pe.CryptoFactory | None = None
        if key is not None:
            # The client holds the key; pyarrow keeps the client for _CACHE.
            self._factory = pe.CryptoFactory(lambda _config: WorkspaceKms(key))
        self._kms = pe.KmsConnectionConfig()

    @property
    def encrypted(self) -> bool:
        return self._factory is not None

    def engine(self, **options: Any) -> DuckDBEngine:
        """An engine that spills into the data folder, encrypting its spill files when
        these files are encrypted and DuckDB can (``engine.adopt``); ``options`` as
        ``DuckDBEngine``'s."""
        return DuckDBEngine(temp_directory=self.spill, encrypt_temp=self.encrypted, **options)

    def adopt(self, con: Any) -> None:
        """The same for a DuckDB connection a library opened (Splink's)."""
        adopt(con, self.spill, encrypt=self.encrypted)

    # -- writing ---------------------------------------------------------------------

    def _encryption(self) -> Any:
        if self._factory is None:
            return None
        # uniform_encryption (pyarrow >= 16) is missing from pyarrow's stubs.
        config = pe.EncryptionConfiguration(  # type: ignore[call-arg]
            footer_key=MASTER_KEY_ID,
            uniform_encryption=True,  # every column under the footer key
            plaintext_footer=False,
            double_wrapping=False,  # one master key, wrapped in process: no key-encryption key
            encryption_algorithm="AES_GCM_V1",
            cache_lifetime=_CACHE,
        )
        return self._factory.file_encryption_properties(self._kms, config)

    def writer(self, path: Path, schema: pa.Schema, **options: Any) -> pq.ParquetWriter:
        """A ParquetWriter for ``path``; ``options`` as pyarrow's (compression, ...)."""
        return pq.ParquetWriter(path, schema, encryption_properties=self._encryption(), **options)

    def write_table(self, table: pa.Table, path: Path, **options: Any) -> None:
        with self.writer(path, table.schema, **options) as w:
            w.write_table(table)

    def copy(
        self, engine: Engine, query: exp.Expr, path: Path, *, order: str | None = None
    ) -> None:
        """Write a query's result to ``path``, streaming: a file, or a directory of part
        files written by a cluster's executors (see ``Engine.copy_to_parquet``)."""
        engine.copy_to_parquet(query, path, open_writer=self.writer, order=order)

    @contextlib.contextmanager
    def replacing(self, path: Path) -> Iterator[Path]:
        """A temporary sibling of ``path`` to write to, put in its place (replacing a file
        or directory there) when the block ends without an error, removed when it fails:
        a failed write never leaves half a result at ``path``."""
        partial = path.with_name(path.name + ".partial")
        remove(partial)  # a crashed write's leftovers
        restore(path)
        try:
            yield partial
        except BaseException:
            remove(partial)
            raise
        replace(partial, path)

    # -- a file or a directory of parts ------------------------------------------------

    @staticmethod
    def exists(path: Path) -> bool:
        """Whether ``path`` is a data file: a file, or a directory with part files."""
        return path.is_file() or (path.is_dir() and bool(parquet_parts(path)))

    @staticmethod
    def parts(path: Path) -> list[Path]:
        """The Parquet files of ``path`` in the order of their rows (itself, for a file)."""
        return parquet_parts(path)

    @staticmethod
    def size(path: Path) -> int:
        """Bytes on disk of the file, or of a directory's parts."""
        return sum(p.stat().st_size for p in parquet_parts(path))

    # -- reading ---------------------------------------------------------------------

    def _decryption(self) -> Any:
        if self._factory is None:
            return None
        return self._factory.file_decryption_properties(
            self._kms, pe.DecryptionConfiguration(cache_lifetime=_CACHE)
        )

    def check(self, path: Path) -> None:
        """Raise DataKeyError unless ``path`` (each part of a directory) is written the way
        this workspace writes."""
        for part in parquet_parts(path):
            self._check_file(part)

    def _check_file(self, path: Path) -> None:
        state = is_encrypted(path)
        if state is True and not self.encrypted:
            raise DataKeyError(
                f"{path} is encrypted, but this workspace sets no data key",
                where=SETTING,
                hint="Add `encryption:` with the key the file was written with "
                "(docs/security.md, At rest).",
            )
        if state is False and self.encrypted:
            raise DataKeyError(
                f"{path} is in clear, but this workspace encrypts its data files",
                where=SETTING,
                hint="Encrypt the files written before encryption was turned on: "
                "`seamline keys rotate --from-plain`.",
            )

    @contextlib.contextmanager
    def _opening(self, path: Path) -> Iterator[None]:
        self.check(path)
        try:
            yield
        except ValueError as exc:
            if WRONG_KEY not in str(exc):
                raise
            raise self.wrong_key(path) from None

    @staticmethod
    def wrong_key(path: Path) -> DataKeyError:
        return DataKeyError(
            f"the data key does not open {path}; was the key rotated?",
            where=SETTING,
            hint="Set the key the file was written with, or re-encrypt the data folder "
            "with `seamline keys rotate`.",
        )

    def open(self, path: Path) -> pq.ParquetFile:
        """One file, opened (its footer read and, when encrypted, decrypted); for a data
        file that may be a directory, :meth:`footers` and :meth:`iter_batches`."""
        with self._opening(path):
            return pq.ParquetFile(path, decryption_properties=self._decryption())

    def footers(self, path: Path) -> list[pq.FileMetaData]:
        """The footer of the file, or of each part of a directory in order."""
        return [self.open(p).metadata for p in self._parts(path)]

    def _parts(self, path: Path) -> list[Path]:
        parts = parquet_parts(path)
        if not parts:
            raise FileNotFoundError(f"no Parquet files in {path}")
        return parts

    def read_table(
        self, path: Path, columns: Sequence[str] | None = None, filters: Any = None
    ) -> pa.Table:
        """The rows of the file or of a directory's parts, in order (``columns`` and
        ``filters`` as pyarrow's ``read_table``)."""
        parts = self._parts(path)
        with self._opening(path):
            table: pa.Table = pq.read_table(
                # A directory's parts as a list, in name order: pyarrow's own listing
                # would not promise it.
                parts[0] if len(parts) == 1 and parts[0] == path else [str(p) for p in parts],
                columns=list(columns) if columns is not None else None,
                filters=filters,
                decryption_properties=self._decryption(),
            )
            return table

    def iter_batches(self, path: Path, batch_size: int = 65_536) -> Iterator[pa.RecordBatch]:
        """The rows of the file or of a directory's parts as record batches, in order."""
        for part in self._parts(path):
            source = self.open(part)
            try:
                yield from source.iter_batches(batch_size=batch_size)
            finally:
                source.close()

    def read_schema(self, path: Path) -> pa.Schema:
        """The schema of the file, or of a directory's first part (one writer wrote them)."""
        return self.open(self._parts(path)[0]).schema_arrow

    def num_rows(self, path: Path) -> int:
        return sum(int(meta.num_rows) for meta in self.footers(path))

    def view(self, engine: Engine, name: str, paths: Path | Sequence[Path]) -> None:
        """A view ``name`` on the engine over one data file (a file or a directory of
        parts, which each engine reads its own way), or the union by column name of
        several."""
        files = [paths] if isinstance(paths, Path) else list(paths)
        factory = self._factory
        if factory is None:
            for p in files:
                self.check(p)
            engine.parquet_view(name, files)
            return
        schemas = [self.read_schema(p) for p in files]  # checks the key on each file first
        schema = pa.unify_schemas(schemas, promote_options="permissive")
        options = ds.ParquetFragmentScanOptions(
            decryption_config=ds.ParquetDecryptionConfig(
                factory,
                self._kms,
                # pyarrow's stubs type this argument as an EncryptionConfiguration.
                pe.DecryptionConfiguration(cache_lifetime=_CACHE),  # type: ignore[arg-type]
            )
        )
        fmt = ds.ParquetFileFormat(default_fragment_scan_options=options)
        parts = [str(part) for p in files for part in parquet_parts(p)]
        engine.dataset_view(name, ds.dataset(parts, schema=schema, format=fmt))


def remove(path: Path) -> None:
    """Delete a data file or a directory of parts; nothing when there is none."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def replace(partial: Path, path: Path) -> None:
    """Put ``partial`` (a file or a directory) where ``path`` is, replacing a file or a
    directory there. File over file is one atomic rename; otherwise the old one is renamed
    aside first and deleted after, so ``path`` is never half of either."""
    if not path.is_dir() and not partial.is_dir():
        os.replace(partial, path)
        return
    old = path.with_name(path.name + ".old")
    restore(path)
    if path.exists():
        os.replace(path, old)
    os.replace(partial, path)
    remove(old)


def restore(path: Path) -> None:
    """Mend what a crash inside :func:`replace` left: the previous result renamed aside
    (``<name>.old``) is put back where nothing took its place, and removed where the new
    one did. Called before each write of ``path``; readers in between find no data file."""
    old = path.with_name(path.name + ".old")
    if not old.exists():
        return
    if path.exists():
        remove(old)
    else:
        os.replace(old, path)


PLAIN = ParquetFiles()
"""Files in clear: for data folders without ``encryption:`` and for tests."""
