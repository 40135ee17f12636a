"""The Ed25519 key that signs audit checkpoints: generated on first use, never logged."""

from __future__ import annotations

import base64
import os
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from seamline.errors import SeamlineError

KEY_FILE = "audit-ed25519.pem"


class SigningKeyError(SeamlineError):
    """The signing key file cannot be read or written."""


def default_key_path(data_dir: Path) -> Path:
    return data_dir / "keys" / KEY_FILE


def load_or_create_key(path: Path) -> Ed25519PrivateKey:
    """Load the PEM private key at ``path``, creating it (mode 0600) when absent."""
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
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(pem)
    return key


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
