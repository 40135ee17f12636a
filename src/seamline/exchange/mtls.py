"""Mutual TLS: a client identified by the certificate it presented to uvicorn.

The installed uvicorn puts nothing of the TLS session into the ASGI scope (no
``extensions["tls"]``). :func:`protocol_class` therefore subclasses uvicorn's HTTP
protocol: when a connection is made — after the handshake, so the peer certificate
has been verified against the client CA — it reads the certificate from the SSL
object once and puts its SHA-256 fingerprint into the connection's copy of the app
state, which uvicorn copies into every request's ``scope["state"]``. Only the
fingerprint travels; the app matches it to a registered client
(``seamline clients add --cert-fingerprint``).
"""

from __future__ import annotations

import asyncio
import hashlib
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes

STATE_KEY = "tls_client_cert_sha256"
"""The key of the client certificate's fingerprint in ``scope["state"]``."""


@dataclass(frozen=True)
class TlsConfig:
    cert: Path
    """The server's certificate chain (PEM)."""
    key: Path
    """The server's private key (PEM)."""
    client_ca: Path | None = None
    """CA certificates that sign client certificates (PEM); None: no client certificates."""
    client_cert: Literal["required", "optional"] = "optional"
    """``required``: the handshake fails without a valid client certificate; ``optional``:
    a client may still send an API key or a token instead."""

    def uvicorn_options(self) -> dict[str, Any]:
        options: dict[str, Any] = {"ssl_certfile": str(self.cert), "ssl_keyfile": str(self.key)}
        if self.client_ca is not None:
            options["ssl_ca_certs"] = str(self.client_ca)
            options["ssl_cert_reqs"] = (
                ssl.CERT_REQUIRED if self.client_cert == "required" else ssl.CERT_OPTIONAL
            )
            options["http"] = protocol_class()
        return options


def pem_fingerprint(path: Path) -> str:
    """The SHA-256 fingerprint (hex) of the first certificate in a PEM file."""
    cert = x509.load_pem_x509_certificate(path.read_bytes())
    return cert.fingerprint(hashes.SHA256()).hex()


def peer_fingerprint(transport: asyncio.BaseTransport) -> str | None:
    """The verified client certificate's SHA-256 (hex) on this connection, if any."""
    ssl_object = transport.get_extra_info("ssl_object")
    if ssl_object is None:
        return None
    der = ssl_object.getpeercert(binary_form=True)
    return hashlib.sha256(der).hexdigest() if der else None


def protocol_class() -> type[asyncio.Protocol]:
    """uvicorn's HTTP protocol, putting the client certificate's fingerprint in the state."""
    from uvicorn.protocols.http.auto import AutoHTTPProtocol

    class ClientCertProtocol(AutoHTTPProtocol):  # type: ignore[misc,valid-type]
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)
            fingerprint = peer_fingerprint(transport)
            # A copy per connection: the state dict uvicorn passes in is the server's.
            self.app_state = {**self.app_state, STATE_KEY: fingerprint}  # type: ignore[has-type]

    return ClientCertProtocol
