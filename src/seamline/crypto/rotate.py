"""Re-encrypt every Parquet file of a data folder from one key to another.

The new key is the one the workspace's ``encryption:`` block names now; the old one is
given apart (``seamline keys rotate --old-key-env NAME``), or ``--from-plain`` for
files written before encryption was turned on. A workspace without ``encryption:``
rotates to clear text, which is how encryption is turned off.

Each file is rewritten beside itself and renamed over the original once complete and
on disk, so an interrupted rotation leaves every file whole, under either key; running
the command again finishes the work (files the new key opens already are left alone).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from seamline.crypto.keys import DataKeyError
from seamline.crypto.parquet import ParquetFiles, is_encrypted
from seamline.progress import NullReporter, Reporter

SUFFIX = ".rotating"


@dataclass
class RotationResult:
    rotated: int = 0
    """Files rewritten under the new key."""
    current: int = 0
    """Files the new key opened already (left alone)."""
    failed: list[tuple[Path, str]] = field(default_factory=list)
    """Files neither key opens, with the reason; left as they were."""

    @property
    def total(self) -> int:
        return self.rotated + self.current + len(self.failed)


def data_files(data_dir: Path) -> list[Path]:
    """Every Parquet file under the data folder, in a stable order."""
    return sorted(p for p in data_dir.rglob("*.parquet") if p.is_file())


def rotate(
    data_dir: Path, old: ParquetFiles, new: ParquetFiles, reporter: Reporter | None = None
) -> RotationResult:
    """Rewrite each Parquet file under ``data_dir`` that ``old`` opens with ``new``."""
    result = RotationResult()
    files = data_files(data_dir)
    task = (reporter or NullReporter()).task("re-encrypt data files", total=len(files))
    # Files that were hard links of one another (a snapshot state and its delivery) stay so.
    done: dict[tuple[int, int], Path] = {}
    for path in files:
        st = path.stat()
        inode = (st.st_dev, st.st_ino)
        if inode in done:
            _relink(done[inode], path)
            result.rotated += 1
        elif _opens(new, path):
            result.current += 1
        elif not _opens(old, path):
            state = is_encrypted(path)
            what = "not a Parquet file" if state is None else "neither key opens it"
            result.failed.append((path, what))
        else:
            _rewrite(old, new, path)
            done[inode] = path
            result.rotated += 1
        task.advance(1)
    task.done()
    return result


def _opens(files: ParquetFiles, path: Path) -> bool:
    try:
        files.open(path)
    except DataKeyError:
        return False
    except OSError:  # not Parquet, or damaged: neither key will do
        return False
    return True


def _rewrite(old: ParquetFiles, new: ParquetFiles, path: Path) -> None:
    """Copy ``path`` row group by row group under the new key, then rename it over."""
    tmp = path.with_name(path.name + SUFFIX)
    source = old.open(path)
    try:
        with new.writer(tmp, source.schema_arrow, compression="zstd") as writer:
            for i in range(source.num_row_groups):
                writer.write_table(source.read_row_group(i))
        _fsync(tmp)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        source.close()
    _fsync(path.parent)


def _relink(rewritten: Path, path: Path) -> None:
    tmp = path.with_name(path.name + SUFFIX)
    tmp.unlink(missing_ok=True)
    os.link(rewritten, tmp)
    os.replace(tmp, path)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
