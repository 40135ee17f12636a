"""Salted scrypt hashes of secrets (API keys, UI passwords), in the standard library.

Stored as ``scrypt$n$r$p$salt$hash`` (URL-safe base64), self-describing so the cost can
rise later without invalidating what is stored. scrypt at n=2**14, r=8 takes ~50 ms and
16 MiB per attempt: guessing is slow, a sign-in or key check is not noticeably so.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1


def hash_secret(secret: str, salt: bytes | None = None) -> str:
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(
        secret.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, dklen=32
    )
    b64 = base64.urlsafe_b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def _decode(text: str) -> bytes:
    # Either base64 alphabet: hashes written with the standard one still verify.
    return base64.urlsafe_b64decode(text.replace("+", "-").replace("/", "_"))


def check_secret(secret: str, stored: str) -> bool:
    """Whether ``secret`` matches ``stored``; a malformed stored hash never matches."""
    try:
        algo, n, r, p, salt_b64, digest_b64 = stored.split("$")
        if algo != "scrypt":
            return False
        want = _decode(digest_b64)
        got = hashlib.scrypt(
            secret.encode("utf-8"),
            salt=_decode(salt_b64),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(want),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got, want)
