"""Signing the audit chain's head: stored checkpoints and their anchored copies.

:class:`Signer` belongs to one :class:`~seamline.exchange.audit.AuditWriter` and is
called under its lock. It signs the head after ``every_events`` new events or
``every_seconds`` with unsigned ones, writes the checkpoint to the store and then to
the anchor outside it, re-reads the key when its file changes (a rotation while the
server runs), and at start anchors what a stopped predecessor left unanchored.
"""

from __future__ import annotations

import contextlib
import logging
import time
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from seamline.exchange.anchor import Anchor, last_anchored
from seamline.exchange.auditformat import write_checkpoint
from seamline.exchange.keys import load_or_create_key, public_text
from seamline.store import Store

log = logging.getLogger("seamline.exchange.audit")


class Signer:
    def __init__(
        self,
        store: Store,
        key: Ed25519PrivateKey,
        *,
        anchor: Anchor | None,
        key_path: Path | None,
        every_events: int,
        every_seconds: float,
    ) -> None:
        self.store, self.key, self.anchor, self.key_path = store, key, anchor, key_path
        self.public_key = public_text(key)
        self.every_events, self.every_seconds = every_events, every_seconds
        self.signed_id = 0
        self.signed_at = time.monotonic()
        self._key_stamp = self._stamp()

    def _stamp(self) -> tuple[int, int] | None:
        try:
            st = self.key_path.stat() if self.key_path is not None else None
        except OSError:
            return None
        return (st.st_ino, st.st_mtime_ns) if st is not None else None

    def current_key(self) -> Ed25519PrivateKey:
        stamp = self._stamp()
        if stamp is not None and stamp != self._key_stamp and self.key_path is not None:
            try:
                self.key = load_or_create_key(self.key_path)
                self.public_key = public_text(self.key)
                self._key_stamp = stamp
            except Exception as exc:  # keep signing with the key in memory
                log.error("audit signing key reload failed: %s", type(exc).__name__)
        return self.key

    def recover(self, last_id: int, last_hash: str | None) -> None:
        """Anchor the events a stopped predecessor wrote but did not anchor.

        Also makes the anchor file if there is none yet, so that from a server's first
        start on, a missing anchor means a lost or deleted one.
        """
        if self.anchor is None:
            return
        self.anchor.touch()
        if last_hash is None:
            return
        anchored = last_anchored(self.anchor.path)
        if anchored >= last_id:
            return
        with self.anchor.lock():
            key = self.current_key()
            write_checkpoint(self.store, key, last_id, last_hash)
            self.anchor.checkpoint(key, last_id, last_hash, recovered_from=anchored)
        self.signed_id = last_id
        log.warning("anchored %d audit events left unanchored by a stopped server",
                    last_id - anchored)  # fmt: skip

    def due(self, last_id: int) -> bool:
        pending = last_id - self.signed_id
        if pending <= 0:
            return False
        elapsed = time.monotonic() - self.signed_at
        return pending >= self.every_events or elapsed >= self.every_seconds

    def sign(self, last_id: int, last_hash: str | None) -> None:
        if last_id <= self.signed_id or last_hash is None:
            return
        try:
            with self.anchor.lock() if self.anchor is not None else contextlib.nullcontext():
                key = self.current_key()
                write_checkpoint(self.store, key, last_id, last_hash)
                if self.anchor is not None:
                    self.anchor.checkpoint(key, last_id, last_hash)
        except Exception as exc:  # retried at the next batch
            log.error("audit checkpoint failed: %s", type(exc).__name__)
            return
        self.signed_id, self.signed_at = last_id, time.monotonic()
