"""RFC 3161 time-stamps for anchored checkpoints."""

from __future__ import annotations

from seamline.errors import SeamlineError


class TimestampAuthority:
    def __init__(self, url: str) -> None:
        raise SeamlineError(
            "RFC 3161 time-stamping is not available in this version",
            where="SEAMLINE_AUDIT_TSA_URL",
            hint="unset it",
        )

    def stamp(self, digest: bytes) -> str:
        raise NotImplementedError
