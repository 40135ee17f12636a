"""RFC 3161 time-stamps for anchored checkpoints, from a time-stamping authority (TSA).

Like X-Road's message log, each anchored checkpoint can carry a time-stamp token from a
TSA over the checkpoint's signed text: evidence from a third party that the chain had
that head at that time, which neither the store's nor the anchor's administrators can
forge. Requests and responses are built and checked with ``rfc3161-client`` (the
ASN.1/CMS work, in Rust); the request goes over HTTP as RFC 3161 section 3.4 describes.
"""

from __future__ import annotations

import base64
import hashlib
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from cryptography import x509
from rfc3161_client import (
    HashAlgorithm,
    PKIStatus,
    TimestampRequestBuilder,
    VerificationError,
    VerifierBuilder,
    decode_timestamp_response,
)

from seamline.errors import SeamlineError

MAX_SKEW = timedelta(minutes=5)
"""How far the TSA's time may be from the checkpoint's own ``at``."""


class TimestampError(SeamlineError):
    """The TSA did not grant a time-stamp, or its answer is not one for our request."""


class TimestampAuthority:
    """Asks the TSA at ``url`` for a time-stamp token over some bytes.

    It is called by the audit writer while it holds its lock, so an unreachable TSA
    would stall audit commits for ``timeout`` at every checkpoint: after a failure it is
    not asked again for ``retry_after`` seconds (those checkpoints go unstamped).
    """

    def __init__(self, url: str, timeout: float = 5.0, retry_after: float = 60.0) -> None:
        if not url.startswith(("http://", "https://")):
            raise TimestampError(
                f"the time-stamping authority URL {url!r} is not http(s)",
                where="SEAMLINE_AUDIT_TSA_URL",
                hint="give the TSA's HTTP endpoint, e.g. http://tsa.example.org/tsr",
            )
        self.url, self.timeout, self.retry_after = url, timeout, retry_after
        self._down_until = 0.0

    def stamp(self, data: bytes) -> str:
        """Base64 of the TSA's DER response over SHA-256(``data``)."""
        if time.monotonic() < self._down_until:
            raise TimestampError("the time-stamping authority failed recently", where=self.url)
        try:
            return self._stamp(data)
        except TimestampError:
            self._down_until = time.monotonic() + self.retry_after
            raise

    def _stamp(self, data: bytes) -> str:
        request = TimestampRequestBuilder().data(data).hash_algorithm(HashAlgorithm.SHA256).build()
        try:
            answer = httpx.post(
                self.url,
                content=request.as_bytes(),
                headers={"Content-Type": "application/timestamp-query"},
                timeout=self.timeout,
            )
            answer.raise_for_status()
            response = decode_timestamp_response(answer.content)
        except (httpx.HTTPError, ValueError) as exc:
            raise TimestampError(
                f"the time-stamping authority did not answer: {type(exc).__name__}",
                where=self.url,
            ) from None
        if PKIStatus(response.status) not in (PKIStatus.GRANTED, PKIStatus.GRANTED_WITH_MODS):
            raise TimestampError("the time-stamping authority refused", where=self.url)
        info = response.tst_info
        if info.nonce != request.nonce or info.message_imprint.message != (
            hashlib.sha256(data).digest()
        ):
            raise TimestampError("the time-stamp is not for this request", where=self.url)
        return base64.b64encode(response.as_bytes()).decode("ascii")


def load_roots(paths: Sequence[str | Path]) -> list[x509.Certificate]:
    """PEM certificates (each file may hold several): the TSA's trusted roots."""
    out: list[x509.Certificate] = []
    for p in paths:
        try:
            out += x509.load_pem_x509_certificates(Path(p).read_bytes())
        except (OSError, ValueError) as exc:
            raise TimestampError(
                f"cannot read the TSA certificate: {type(exc).__name__}",
                where=str(p),
                hint="give the PEM root certificate of the time-stamping authority",
            ) from None
    return out


def check_stamp(token: str, data: bytes, at: datetime, roots: list[x509.Certificate]) -> str | None:
    """None when ``token`` is a valid time-stamp over ``data`` near ``at``; else why not."""
    try:
        response = decode_timestamp_response(base64.b64decode(token))
        builder = VerifierBuilder()
        for root in roots:
            builder = builder.add_root_certificate(root)
        builder.build().verify_message(response, data)
    except (VerificationError, ValueError) as exc:
        return f"its RFC 3161 time-stamp does not verify ({exc})"
    when = response.tst_info.gen_time
    if abs(when - at) > MAX_SKEW:
        return f"its RFC 3161 time-stamp says {when.isoformat()}, not near {at.isoformat()}"
    return None
