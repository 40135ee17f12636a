"""A Spark standalone cluster on 127.0.0.1: one master and workers, started with the
daemon script PySpark ships (``$SPARK_HOME/sbin/spark-daemon.sh``, which Spark's own
``start-master.sh`` and ``start-worker.sh`` call; pip's PySpark ships the daemon script
but not those two) and stopped by the same script, by the process ids it wrote.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

MASTER_CLASS = "org.apache.spark.deploy.master.Master"
WORKER_CLASS = "org.apache.spark.deploy.worker.Worker"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


@dataclass
class Standalone:
    spark_home: Path
    folder: Path
    workers: int = 2
    worker_cores: int = 1
    worker_memory: str = "1g"
    port: int = field(default_factory=free_port)
    webui_port: int = field(default_factory=free_port)
    started: list[tuple[str, int]] = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"spark://127.0.0.1:{self.port}"

    @property
    def env(self) -> dict[str, str]:
        return {
            **os.environ,
            "SPARK_HOME": str(self.spark_home),
            "SPARK_LOG_DIR": str(self.folder / "logs"),
            "SPARK_PID_DIR": str(self.folder / "pids"),
            "SPARK_WORKER_DIR": str(self.folder / "work"),
            "SPARK_LOCAL_IP": "127.0.0.1",
            "SPARK_DAEMON_MEMORY": "256m",
        }

    def _daemon(self, action: str, cls: str, instance: int, *args: str) -> None:
        script = self.spark_home / "sbin" / "spark-daemon.sh"
        subprocess.run(
            ["bash", str(script), action, cls, str(instance), *args],
            env=self.env,
            check=True,
            capture_output=True,
            timeout=60,
        )

    def start(self) -> None:
        for sub in ("logs", "pids", "work"):
            (self.folder / sub).mkdir(parents=True, exist_ok=True)
        self._daemon(
            "start",
            MASTER_CLASS,
            1,
            *("--host", "127.0.0.1", "--port", str(self.port)),
            *("--webui-port", str(self.webui_port)),
        )
        self.started.append((MASTER_CLASS, 1))
        for n in range(1, self.workers + 1):
            self._daemon(
                "start",
                WORKER_CLASS,
                n,
                *("--host", "127.0.0.1", "--webui-port", str(free_port())),
                *("--cores", str(self.worker_cores), "--memory", self.worker_memory),
                self.url,
            )
            self.started.append((WORKER_CLASS, n))

    def state(self) -> dict[str, Any]:
        """The master's state, as its web UI gives it in JSON."""
        url = f"http://127.0.0.1:{self.webui_port}/json"
        with urllib.request.urlopen(url, timeout=5) as response:
            state: dict[str, Any] = json.load(response)
            return state

    def alive_workers(self) -> int:
        try:
            state = self.state()
        except (OSError, ValueError):  # not listening yet, or an empty page while starting
            return 0
        return sum(1 for w in state.get("workers", []) if w.get("state") == "ALIVE")

    def wait(self, timeout: float = 120.0) -> None:
        """Until every worker has registered with the master (RuntimeError after ``timeout``)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.alive_workers() == self.workers:
                return
            time.sleep(0.5)
        raise RuntimeError(
            f"{self.alive_workers()} of {self.workers} workers registered with {self.url} "
            f"in {timeout:.0f} s; logs:\n{self.logs()}"
        )

    def logs(self) -> str:
        parts = []
        for path in sorted((self.folder / "logs").glob("*.out")):
            lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
            parts.append(f"== {path.name}\n" + "\n".join(lines[-20:]))
        return "\n".join(parts)

    def stop(self) -> None:
        """Stop the daemons this cluster started, workers first."""
        for cls, instance in reversed(self.started):
            # stopping the others matters more than this one's error
            with contextlib.suppress(subprocess.SubprocessError, OSError):
                self._daemon("stop", cls, instance)
        self.started.clear()
