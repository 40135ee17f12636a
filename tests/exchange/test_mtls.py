"""Mutual TLS against a real uvicorn on loopback: a client certificate identifies its client."""

from __future__ import annotations

import datetime as dt
import ipaddress
import ssl
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from liveserver import LiveServer, start_server
from sqlalchemy import select

from seamline.exchange import add_client, revoke_client
from seamline.exchange.clients import ClientError, cert_fingerprint
from seamline.exchange.mtls import pem_fingerprint
from seamline.store.models import AuditEvent

PURPOSE = "benefit-eligibility"  # the social fund's agreement has no end date


@dataclass
class Pki:
    dir: Path
    ca: Path
    server: tuple[Path, Path]
    registered: tuple[Path, Path]
    unregistered: tuple[Path, Path]
    foreign: tuple[Path, Path]


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, cn)])


def _issue(
    out: Path,
    name: str,
    issuer: tuple[x509.Certificate, ec.EllipticCurvePrivateKey] | None,
    *,
    ca: bool = False,
    server: bool = False,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey, Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    now = dt.datetime.now(dt.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(name))
        .issuer_name(issuer[0].subject if issuer else _name(name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if ca:
        builder = builder.add_extension(
            x509.KeyUsage(False, False, False, False, False, True, True, False, False), True
        )
    if server:
        builder = builder.add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    builder = builder.add_extension(ski, critical=False)
    if issuer is not None:
        aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer[1].public_key())
        builder = builder.add_extension(aki, critical=False)
    cert = builder.sign(issuer[1] if issuer else key, hashes.SHA256())
    cert_path, key_path = out / f"{name}.pem", out / f"{name}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert, key, cert_path, key_path


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    d = tmp_path_factory.mktemp("pki")
    ca_cert, ca_key, ca_path, _ = _issue(d, "test-ca", None, ca=True)
    other_cert, other_key, _, _ = _issue(d, "other-ca", None, ca=True)
    server = _issue(d, "server", (ca_cert, ca_key), server=True)
    registered = _issue(d, "social-gateway", (ca_cert, ca_key))
    unregistered = _issue(d, "stranger", (ca_cert, ca_key))
    foreign = _issue(d, "foreign", (other_cert, other_key))
    return Pki(
        d,
        ca_path,
        server[2:],
        registered[2:],
        unregistered[2:],
        foreign[2:],
    )


def _context(pki: Pki, cert: tuple[Path, Path] | None) -> ssl.SSLContext:
    ctx = ssl.create_default_context(cafile=str(pki.ca))
    if cert is not None:
        ctx.load_cert_chain(str(cert[0]), str(cert[1]))
    return ctx


def _start(demo: Any, pki: Pki, mode: str) -> LiveServer:
    return start_server(
        demo.root,
        str(demo.store.engine.url),
        pki.dir / f"server-{mode}.log",
        "--tls-cert", str(pki.server[0]), "--tls-key", str(pki.server[1]),
        "--tls-client-ca", str(pki.ca), "--tls-client-cert", mode,
        tls=_context(pki, pki.registered),
    )  # fmt: skip


@pytest.fixture(scope="module")
def clients(demo: Any, pki: Pki) -> dict[str, str]:
    fp = pem_fingerprint(pki.registered[0])
    add_client(demo.store, "social-gateway", "social-case-system", cert_fingerprint=fp)
    return {"fingerprint": fp}


@pytest.fixture(scope="module")
def optional_server(demo: Any, pki: Pki, clients: dict[str, str]) -> Iterator[LiveServer]:
    server = _start(demo, pki, "optional")
    yield server
    server.stop()


def _lookup(
    server: LiveServer, pki: Pki, cert: tuple[Path, Path] | None, pin: str, **h: str
) -> Any:
    return httpx.get(
        f"{server.base}/v1/persons/kg_pin:{pin}",
        headers={"X-Seamline-Purpose": PURPOSE, **h},
        verify=_context(pki, cert),
        timeout=10,
    )


def _last_event(demo: Any) -> AuditEvent:
    with demo.store.session() as s:
        ev = s.scalar(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1))
        assert ev is not None
        return ev


def test_a_registered_certificate_identifies_its_client(
    demo: Any, pki: Pki, optional_server: LiveServer
) -> None:
    person = demo.people[0]
    r = _lookup(optional_server, pki, pki.registered, person["national_id"])
    assert r.status_code == 200, r.text
    assert r.json()["id"] == person["entity_id"]
    assert "patronymic" not in r.json()["attributes"]  # the social fund's agreement
    ev = _last_event(demo)
    assert ev.client == "social-gateway" and ev.outcome == "ok"
    assert ev.details["auth"] == "tls-certificate"
    assert ev.details["system"] == "social-case-system"


def test_without_a_certificate_keys_still_work_when_optional(
    demo: Any, pki: Pki, optional_server: LiveServer
) -> None:
    pin = demo.people[1]["national_id"]
    r = _lookup(optional_server, pki, None, pin, **{"X-API-Key": demo.keys["social"]})
    assert r.status_code == 200
    r = _lookup(optional_server, pki, None, pin)
    assert r.status_code == 401 and r.json()["error"]["code"] == "missing_credentials"
    assert _last_event(demo).outcome == "refused"


def test_unregistered_and_foreign_certificates_are_refused(
    demo: Any, pki: Pki, optional_server: LiveServer
) -> None:
    pin = demo.people[1]["national_id"]
    r = _lookup(optional_server, pki, pki.unregistered, pin)
    assert r.status_code == 401 and r.json()["error"]["code"] == "unknown_certificate"
    assert pin not in r.text
    with pytest.raises(httpx.TransportError):  # another CA: the handshake fails
        _lookup(optional_server, pki, pki.foreign, pin)


def test_a_revoked_clients_certificate_is_refused(
    demo: Any, pki: Pki, optional_server: LiveServer
) -> None:
    pin = demo.people[2]["national_id"]
    fp = pem_fingerprint(pki.unregistered[0])
    add_client(demo.store, "stranger", "social-case-system", cert_fingerprint=fp)
    time.sleep(1.1)  # the server remembers an unknown certificate for a second
    assert _lookup(optional_server, pki, pki.unregistered, pin).status_code == 200
    revoke_client(demo.store, "stranger")
    time.sleep(1.1)
    r = _lookup(optional_server, pki, pki.unregistered, pin)
    assert r.status_code == 401 and r.json()["error"]["code"] == "unknown_certificate"


def test_required_client_certificates(demo: Any, pki: Pki, clients: dict[str, str]) -> None:
    server = _start(demo, pki, "required")
    try:
        pin = demo.people[3]["national_id"]
        assert _lookup(server, pki, pki.registered, pin).status_code == 200
        with pytest.raises(httpx.TransportError):  # no certificate: no connection at all
            _lookup(server, pki, None, pin, **{"X-API-Key": demo.keys["social"]})
    finally:
        server.stop()


def test_fingerprints_are_checked_and_unique(demo: Any, pki: Pki) -> None:
    fp = pem_fingerprint(pki.registered[0])
    colons = ":".join(fp[i : i + 2] for i in range(0, 64, 2)).upper()
    assert cert_fingerprint(colons) == fp
    with pytest.raises(ClientError, match="64 hex digits"):
        cert_fingerprint("abc")
    with pytest.raises(ClientError, match="already has this certificate"):
        add_client(demo.store, "copycat", "tax-db", cert_fingerprint=fp)


def test_cli_registers_a_certificate(demo: Any, pki: Pki) -> None:
    import os

    from seamline.exchange.clients import client_by_name

    env = {**os.environ, "SEAMLINE_STORE": str(demo.store.engine.url), "COLUMNS": "200"}
    base = [sys.executable, "-m", "seamline", "clients", "add"]
    where = ["--system", "social-case-system", "-w", str(demo.root)]
    cert = pki.dir / "cli-client.pem"
    cert.write_bytes(pki.server[0].read_bytes())  # any certificate will do for registering
    done = subprocess.run(
        [*base, "cli-cert", *where, "--cert", str(cert)], capture_output=True, text=True, env=env
    )
    assert done.returncode == 0, done.stderr
    fp = pem_fingerprint(cert)
    assert fp in done.stdout
    info = client_by_name(demo.store, "cli-cert")
    assert info is not None and info.cert_fingerprint == fp
    done = subprocess.run(
        [*base, "cli-bad", *where, "--cert-fingerprint", "12:34"],
        capture_output=True,
        text=True,
        env=env,
    )
    assert done.returncode == 2 and "64 hex digits" in done.stdout + done.stderr
