"""The in-process key service pyarrow's Parquet encryption asks for its data keys.

pyarrow encrypts every file with fresh random data keys and asks a "KMS client" to wrap
them (encrypt them under a master key) so that the wrapped keys can sit in the file's
footer. pyarrow ships no such client: it expects one talking to a key service. seamline
has exactly one master key per workspace (from ``encryption:`` in seamline.yaml, which may
itself come from a key service through ``key_command``), so the client here wraps and
unwraps in process with AES-GCM from ``cryptography``: a random 96-bit nonce per wrap,
the master key's identifier as associated data, and the tag checked on unwrap, so a
wrong master key is detected rather than yielding garbage keys.
"""

from __future__ import annotations

import base64
import os

import pyarrow.parquet.encryption as pe
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

MASTER_KEY_ID = "seamline-data-key"
"""The name the files' footers give the master key (the key itself is never written)."""
WRONG_KEY = "seamline: the data key does not open this file's keys"
"""The message unwrap raises on a wrong key; pyarrow passes it on inside its own error."""
_NONCE = 12


class WorkspaceKms(pe.KmsClient):
    """Wraps and unwraps pyarrow's data keys with the workspace's master key."""

    def __init__(self, master_key: bytes) -> None:
        super().__init__()
        self._aead = AESGCM(master_key)

    def wrap_key(self, key_bytes: bytes, master_key_identifier: str) -> str:
        nonce = os.urandom(_NONCE)
        sealed = self._aead.encrypt(nonce, key_bytes, master_key_identifier.encode())
        return base64.b64encode(nonce + sealed).decode("ascii")

    # pyarrow takes the key as bytes; its stubs say str.
    def unwrap_key(self, wrapped_key: str, master_key_identifier: str) -> bytes:  # type: ignore[override]
        raw = base64.b64decode(wrapped_key)
        try:
            return self._aead.decrypt(raw[:_NONCE], raw[_NONCE:], master_key_identifier.encode())
        except InvalidTag:
            raise ValueError(WRONG_KEY) from None
