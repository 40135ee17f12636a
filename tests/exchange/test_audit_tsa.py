"""RFC 3161 time-stamps on anchored checkpoints, from a local TSA run by OpenSSL.

The TSA is a throwaway CA and TSA certificate made with ``openssl req``/``x509`` and
``openssl ts -reply`` behind a tiny HTTP server on 127.0.0.1.
"""

from __future__ import annotations

import http.server
import json
import shutil
import subprocess
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from seamline.exchange.anchor import Anchor
from seamline.exchange.audit import Event, append_now
from seamline.exchange.keys import load_or_create_key, public_text
from seamline.exchange.tsa import TimestampAuthority, load_roots
from seamline.exchange.verify import export_audit, verify_audit, verify_bundle
from seamline.store import Store

CONFIG = """\
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ ca_ext ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ tsa_ext ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = critical,timeStamping
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[ tsa_config ]
serial = {dir}/serial
signer_digest = sha256
default_policy = 1.2.3.4.1
digests = sha256
accuracy = secs:1
ordering = no
tsa_name = no
ess_cert_id_alg = sha256
"""


@dataclass
class Tsa:
    url: str
    root: Path
    other_root: Path


def _openssl(*args: str, cwd: Path) -> None:
    done = subprocess.run(["openssl", *args], cwd=cwd, capture_output=True, check=False)
    assert done.returncode == 0, done.stderr.decode()


def _ca(d: Path, name: str) -> None:
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    _openssl("req", "-x509", *ec, "-keyout", f"{name}.key", "-out", f"{name}.pem", "-days",
             "30", "-subj", f"/CN={name}", "-config", "tsa.cnf", "-extensions", "ca_ext",
             cwd=d)  # fmt: skip


@pytest.fixture(scope="module")
def tsa(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tsa]:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed")
    d = tmp_path_factory.mktemp("tsa")
    (d / "tsa.cnf").write_text(CONFIG.format(dir=d))
    (d / "serial").write_text("01\n")
    _ca(d, "root")
    _ca(d, "stranger")
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    _openssl("req", "-new", *ec, "-keyout", "tsa.key", "-out", "tsa.csr", "-subj",
             "/CN=Test TSA", "-config", "tsa.cnf", cwd=d)  # fmt: skip
    _openssl("x509", "-req", "-in", "tsa.csr", "-CA", "root.pem", "-CAkey", "root.key",
             "-CAcreateserial", "-out", "tsa.pem", "-days", "30", "-extfile", "tsa.cnf",
             "-extensions", "tsa_ext", cwd=d)  # fmt: skip
    lock = threading.Lock()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            query = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            with lock, tempfile.TemporaryDirectory() as t:
                (Path(t) / "q.tsq").write_bytes(query)
                done = subprocess.run(
                    ["openssl", "ts", "-reply", "-config", str(d / "tsa.cnf"), "-section",
                     "tsa_config", "-queryfile", f"{t}/q.tsq", "-inkey", str(d / "tsa.key"),
                     "-signer", str(d / "tsa.pem"), "-out", f"{t}/r.tsr"],
                    capture_output=True, check=False,
                )  # fmt: skip
                body = (Path(t) / "r.tsr").read_bytes() if done.returncode == 0 else b""
            self.send_response(200 if body else 500)
            self.send_header("Content-Type", "application/timestamp-reply")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield Tsa(f"http://127.0.0.1:{server.server_port}/tsr", d / "root.pem",
                  d / "stranger.pem")  # fmt: skip
    finally:
        server.shutdown()
        server.server_close()


def _events(n: int, start: int = 0) -> list[Event]:
    return [
        Event("Emil Bakirov", "social", "person.lookup", f"person:p{i}", "benefit-eligibility",
              "ok", {"n": i})
        for i in range(start, start + n)
    ]  # fmt: skip


def test_anchored_checkpoints_carry_verifiable_timestamps(tsa: Tsa, tmp_path: Path) -> None:
    key = load_or_create_key(tmp_path / "k.pem")
    anchor = Anchor(tmp_path / "anchor.jsonl", TimestampAuthority(tsa.url))
    pub = [public_text(key)]
    with Store.open(f"sqlite:///{tmp_path}/a.db") as store:
        for start in (0, 5):
            append_now(store, key, _events(5, start), anchor)
        lines = [json.loads(t) for t in anchor.path.read_text().splitlines()]
        assert len(lines) == 2 and all("timestamp" in x for x in lines)
        roots = load_roots([tsa.root])
        result = verify_audit(store, public_keys=pub, anchor=anchor.path, tsa_roots=roots)
        assert result.ok, str(result)
        assert "RFC 3161 time-stamps: 2 valid, 0 checkpoints without one" in str(result)
        # a stamp from a TSA the auditor does not trust
        stranger = verify_audit(
            store, public_keys=pub, anchor=anchor.path, tsa_roots=load_roots([tsa.other_root])
        )
        assert not stranger.ok and "time-stamp does not verify" in str(stranger.reason)
        path = tmp_path / "bundle.json"
        export_audit(store, None, None, path, key, anchor=anchor.path)
        assert verify_bundle(path, public_keys=pub, tsa_roots=roots).ok
    # a stamp moved onto another line no longer matches that line's text
    lines[1]["timestamp"] = lines[0]["timestamp"]
    anchor.path.write_text("".join(json.dumps(x) + "\n" for x in lines))
    with Store.open(f"sqlite:///{tmp_path}/a.db") as store:
        result = verify_audit(store, public_keys=pub, anchor=anchor.path, tsa_roots=roots)
    assert not result.ok and "anchor line 2" in str(result.reason)


def test_an_unreachable_tsa_does_not_stop_anchoring(tsa: Tsa, tmp_path: Path) -> None:
    key = load_or_create_key(tmp_path / "k.pem")
    down = TimestampAuthority("http://127.0.0.1:9/", 0.5)
    anchor = Anchor(tmp_path / "anchor.jsonl", down)
    with Store.open(f"sqlite:///{tmp_path}/a.db") as store:
        append_now(store, key, _events(3), anchor)
        # once it failed it is not asked again for a while, even when it is back
        down.url = tsa.url
        append_now(store, key, _events(3, 3), anchor)
        result = verify_audit(store, public_keys=[public_text(key)], anchor=anchor.path,
                              tsa_roots=load_roots([tsa.root]))  # fmt: skip
    assert result.ok and result.anchored == 2 and result.unsigned_tail == 0
    assert "0 valid, 2 checkpoints without one" in str(result)
    down._down_until = 0.0  # the pause is over
    assert down.stamp(b"checkpoint")
    assert "timestamp" not in anchor.path.read_text()
