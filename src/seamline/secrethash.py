"""Salted scrypt hashes of secrets (API keys, UI passwords), in the standard library.

Stored as ``scrypt$n$r$p$salt$hash`` (URL-safe base64), self-describing so the cost can
rise later without invalidating what is stored. scrypt at n=2**14, r=8 takes ~50 ms and
16 MiB per attempt: guessing is slow, a sign-in or key check is not noticeably so.
"""

from __future__ import annotations

import asyncio
import base64
import concurrent.futures
import contextlib
import hashlib
import hmac
import os
import secrets
import threading

SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**14, 8, 1
WORKER_NICENESS = 10


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


class PoolBusy(Exception):
    """Too many secret checks are waiting; the caller should answer "try again later"."""


def _lower_priority() -> None:
    """Run this worker thread at a lower CPU priority (Linux: niceness is per thread).

    On a busy machine the event loop then wins the CPU over a burst of scrypt checks,
    so other clients keep their latency; the checks wait instead. Elsewhere a no-op.
    """
    with contextlib.suppress(AttributeError, OSError):
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), WORKER_NICENESS)


class SecretPool:
    """Runs :func:`check_secret` in a few worker threads, off the server's event loop.

    scrypt costs ~50 ms of CPU by design; run on the event loop, a handful of wrong
    secrets a second stalls every other request. ``hashlib.scrypt`` releases the GIL,
    so the loop keeps answering while a worker hashes; the workers run at a lower CPU
    priority than the loop. At most ``workers`` checks run
    and ``queue`` more wait; beyond that :meth:`check` raises :class:`PoolBusy` at once
    instead of letting a flood of guesses queue up without bound. The standard
    library's executor is used as is: the bound is the only thing added.
    """

    def __init__(self, workers: int = 1, queue: int = 32) -> None:
        self.workers, self.queue = workers, queue
        self._executor: concurrent.futures.ThreadPoolExecutor | None = None
        self._pending = 0
        self._lock = threading.Lock()

    def _pool(self) -> concurrent.futures.ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = concurrent.futures.ThreadPoolExecutor(
                    self.workers, thread_name_prefix="seamline-secret", initializer=_lower_priority
                )
            return self._executor

    @property
    def pending(self) -> int:
        return self._pending

    async def check(self, secret: str, stored: str) -> bool:
        """``check_secret(secret, stored)`` in a worker; :class:`PoolBusy` when full."""
        pool = self._pool()
        with self._lock:
            if self._pending >= self.workers + self.queue:
                raise PoolBusy()
            self._pending += 1
        try:
            loop = asyncio.get_running_loop()
            return await loop.run_in_executor(pool, check_secret, secret, stored)
        finally:
            with self._lock:
                self._pending -= 1

    def close(self) -> None:
        with self._lock:
            if self._executor is not None:
                self._executor.shutdown(wait=False, cancel_futures=True)
                self._executor = None
