"""The Ed25519 keys that sign audit checkpoints; never logged.

The private key (``audit-ed25519.pem``, mode 0600) is made only for a fresh audit log
(no events, no anchor): a key that goes missing later is an error, never silently
replaced, since a new key cannot vouch for the old chain. Its public half is written
beside it (``audit-ed25519.pub``, base64 of the raw key, one line) and is all that
verifying needs. A key's id is the first 16 hex digits of the SHA-256 of its raw bytes.
"""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from seamline.errors import SeamlineError

KEY_FILE = "audit-ed25519.pem"
PUBLIC_FILE = "audit-ed25519.pub"


class SigningKeyError(SeamlineError):
    """The signing key file cannot be read or written."""


def default_key_path(data_dir: Path) -> Path:
    return data_dir / "keys" / KEY_FILE


def public_path(key_path: Path) -> Path:
    """Where the public half of the key at ``key_path`` is written."""
    if key_path.name == KEY_FILE:
        return key_path.with_name(PUBLIC_FILE)
    return key_path.with_name(key_path.stem + ".pub")


def key_id(public_b64: str) -> str:
    try:
        raw = base64.b64decode(public_b64, validate=True)
    except ValueError:
        raw = public_b64.encode("utf-8")
    return hashlib.sha256(raw).hexdigest()[:16]


def load_signing_key(path: Path, *, may_create: bool) -> Ed25519PrivateKey:
    """The private key at ``path``; made only when ``may_create`` (a fresh log)."""
    if not path.exists() and not may_create:
        raise SigningKeyError(
            "the audit signing key is missing, and the audit log already has events",
            where=str(path),
            hint="restore the key file from backup; `seamline audit rotate-key` needs the "
            "old key to introduce a new one, so a lost key ends the log's verifiability "
            "from that point",
        )
    key = load_or_create_key(path)
    pub = public_path(path)
    if not pub.exists():
        write_public(pub, public_text(key))
    return key


def write_public(path: Path, public_b64: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(public_b64 + "\n", encoding="ascii")
    tmp.replace(path)


def read_public(path: Path) -> str:
    """A public key from a file: base64 of the raw key (``.pub``) or a PEM public key."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        why = "no such file" if isinstance(exc, FileNotFoundError) else exc.strerror
        raise SigningKeyError(
            f"cannot read the public key ({why})",
            where=str(path),
            hint="Pass the audit-ed25519.pub written beside the signing key (--public-key)",
        ) from None
    if b"-----BEGIN" in data:
        try:
            pub = serialization.load_pem_public_key(data)
        except ValueError:
            pub = None
        if not isinstance(pub, Ed25519PublicKey):
            raise SigningKeyError("not an Ed25519 public key", where=str(path))
        return public_text(pub)
    text = data.decode("ascii", "replace").strip()
    try:
        Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))
    except ValueError:
        raise SigningKeyError(
            "not a base64 Ed25519 public key",
            where=str(path),
            hint="pass the audit-ed25519.pub written beside the signing key",
        ) from None
    return text


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """Load the PEM private key at ``path``, creating it (mode 0600) when absent.

    Servers and commands call :func:`load_signing_key`, which refuses to make a key for
    a log that already has events; this is the plain file operation beneath it.
    """
    if path.exists():
        try:
            key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        except (ValueError, TypeError, OSError) as exc:
            raise SigningKeyError(
                f"cannot read the audit signing key: {type(exc).__name__}",
                where=str(path),
                hint="restore the key file from backup; a new key cannot sign the old chain",
            ) from None
        if not isinstance(key, Ed25519PrivateKey):
            raise SigningKeyError("the audit signing key is not an Ed25519 key", where=str(path))
        return key
    key = Ed25519PrivateKey.generate()
    _write_private(path, key, exclusive=True)
    return key


def _write_private(path: Path, key: Ed25519PrivateKey, *, exclusive: bool) -> None:
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    target = path if exclusive else path.with_name(path.name + ".new")
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
        f.flush()
        os.fsync(f.fileno())
    if not exclusive:
        target.replace(path)  # atomic: the old key is gone, never half-written


def install_key(path: Path, old: Ed25519PrivateKey, new: Ed25519PrivateKey) -> None:
    """Put ``new`` in place of ``old`` at ``path``; keep the old public key beside it."""
    old_pub = public_text(old)
    write_public(path.with_name(f"audit-ed25519.{key_id(old_pub)}.pub"), old_pub)
    _write_private(path, new, exclusive=False)
    write_public(public_path(path), public_text(new))


def public_text(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    pub = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = pub.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return base64.b64encode(raw).decode("ascii")


def sign(key: Ed25519PrivateKey, message: bytes) -> str:
    return base64.b64encode(key.sign(message)).decode("ascii")


def verify_signature(public_b64: str, signature_b64: str, message: bytes) -> bool:
    try:
        pub = Ed25519PublicKey.from_public_bytes(base64.b64decode(public_b64))
        pub.verify(base64.b64decode(signature_b64), message)
    except (InvalidSignature, ValueError, TypeError):
        return False
    return True
