"""Encryption of single values under the workspace's data key: the store's personal columns.

AES-256-GCM from ``cryptography``, with a subkey derived from the data key by HKDF-SHA256
(so the store never uses the data key itself, and the Parquet files' key wrapping and
the store's values never share a key), a random 96-bit nonce per value, and the value's
place (``table.column``) as associated data, so a value copied into another column does
not open. A sealed value is ASCII text, ``sl1:<key id>:<base64 of nonce, ciphertext and
tag>``; the key id (12 hexadecimal characters derived from the key by HKDF, not the key)
says which key sealed it, so a rotation can tell what is left to do and a wrong key is
named as such.
"""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Sequence

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from seamline.crypto.keys import DataKeyError

PREFIX = "sl1:"
"""The version tag every sealed value starts with."""
SETTING = "the encryption block of seamline.yaml"
_NONCE = 12
_SUBKEY_INFO = b"seamline store values v1"
_KEY_ID_INFO = b"seamline store key id v1"


def _derive(key: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=None, info=info).derive(key)


def key_id(key: bytes) -> str:
    """The public name of a data key in sealed values (it reveals nothing of the key)."""
    return _derive(key, _KEY_ID_INFO, 6).hex()


def sealed_key_id(value: object) -> str | None:
    """The key id of a sealed value; None for anything else (a value in clear)."""
    if not isinstance(value, str) or not value.startswith(PREFIX):
        return None
    kid, sep, _ = value[len(PREFIX) :].partition(":")
    return kid if sep else None


class ValueCipher:
    """Seals values with one data key; opens values sealed with it (or with ``also``)."""

    def __init__(self, key: bytes, *, also: Sequence[bytes] = ()) -> None:
        self.key_id = key_id(key)
        self._aead = AESGCM(_derive(key, _SUBKEY_INFO, 32))
        self._openers = {key_id(k): AESGCM(_derive(k, _SUBKEY_INFO, 32)) for k in also}
        self._openers[self.key_id] = self._aead

    def seal(self, text: str, where: str) -> str:
        nonce = os.urandom(_NONCE)
        sealed = self._aead.encrypt(nonce, text.encode("utf-8"), where.encode("utf-8"))
        body = base64.b64encode(nonce + sealed).decode("ascii")
        return f"{PREFIX}{self.key_id}:{body}"

    def open(self, value: str, where: str) -> str:
        """The text of a sealed value; DataKeyError when this key did not seal it."""
        kid = sealed_key_id(value)
        opener = self._openers.get(kid or "")
        if kid is None or opener is None:
            raise wrong_key(where)
        try:
            raw = base64.b64decode(value[len(PREFIX) + len(kid) + 1 :], validate=True)
            return opener.decrypt(raw[:_NONCE], raw[_NONCE:], where.encode("utf-8")).decode()
        except (InvalidTag, binascii.Error, ValueError):
            raise wrong_key(where) from None


def wrong_key(where: str) -> DataKeyError:
    return DataKeyError(
        f"the data key does not open a value of {where} in the store; was the key rotated?",
        where=SETTING,
        hint="Set the key the store was written with, or re-encrypt it with "
        "`seamline keys rotate`.",
    )


def sealed_without_key(where: str) -> DataKeyError:
    return DataKeyError(
        f"a value of {where} in the store is encrypted, but this workspace sets no data key",
        where=SETTING,
        hint="Add `encryption:` with the key the store was written with "
        "(docs/security.md, At rest).",
    )


def clear_with_key(where: str) -> DataKeyError:
    return DataKeyError(
        f"a value of {where} in the store is in clear, but this workspace encrypts its store",
        where=SETTING,
        hint="Encrypt what was written before encryption was turned on: "
        "`seamline keys rotate --from-plain`.",
    )
