"""Start ``seamline serve`` on loopback for tests against a real uvicorn."""

from __future__ import annotations

import socket
import ssl
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    base: str
    port: int
    proc: subprocess.Popen[bytes]
    log: Path

    def stop(self) -> None:
        """Stop it gracefully: the audit writer commits what is queued and signs the head."""
        self.proc.terminate()
        self.proc.wait(60)


def start_server(
    root: Path,
    store_url: str,
    log: Path,
    *args: str,
    tls: ssl.SSLContext | None = None,
) -> LiveServer:
    port = free_port()
    cmd = [
        sys.executable, "-m", "seamline", "serve", str(root),
        "--port", str(port), "--store", store_url, "--log-level", "warning", *args,
    ]  # fmt: skip
    with log.open("wb") as out:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=out)
    base = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the server exited: {log.read_text()[-2000:]}")
        try:
            if httpx.get(f"{base}/readyz", verify=tls or True, timeout=2).status_code == 200:
                return LiveServer(base, port, proc, log)
        except httpx.TransportError:
            time.sleep(0.2)
    proc.kill()
    proc.wait(10)
    raise RuntimeError("the server did not become ready in 60 s")
