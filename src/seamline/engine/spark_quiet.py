"""Spark quiet on the user's terminal: no start-up notes, warnings or Java stacks.

An error reaches the user once, as seamline's one-line error: Spark's own log is off
(:data:`LOG4J2`, ``spark.log.level``), PySpark's logged copies of errors are off, and the
one line the JVM prints itself as it starts is dropped. ``spark.log.level: WARN`` in
``spark: conf:`` turns Spark's log back on, for debugging.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

_JVM_NOTES = ("WARNING: Using incubator modules",)
"""Lines the JVM prints itself as it starts, not through log4j: Spark 4 asks it for the
incubating vector API, and it says so on stderr."""


def start_jvm(master: str, conf: Mapping[str, str]) -> None:
    """Spark's JVM and context, unless up, with the JVM's stdout and stderr read by a
    :class:`_Relay` each: held while the JVM starts, then passed on as they come (Spark's
    log, when turned back on), less :data:`_JVM_NOTES`. A JVM that fails to start raises
    an error saying why in one line (its exception's message, else its last line), its
    stack never printed."""
    from pyspark import SparkConf, SparkContext
    from pyspark.java_gateway import launch_gateway

    if SparkContext._gateway is not None:
        code = ended(SparkContext._gateway)
        if code is not None:
            raise RuntimeError(
                f"Spark's driver ended earlier in this process (exit code {code}; out of "
                "memory, or stopped); a new session needs a new process"
            )
        return
    if "PYSPARK_GATEWAY_PORT" in os.environ:
        return
    spark_conf = SparkConf(loadDefaults=False).setAll(
        [*conf.items(), ("spark.master", master), ("spark.app.name", "seamline")]
    )
    launch: Any = launch_gateway  # untyped in PySpark
    out, err = _Relay(1), _Relay(2)
    try:
        gateway = launch(
            spark_conf, popen_kwargs={"stdout": out.write_end, "stderr": err.write_end}
        )
    except Exception as exc:  # PySpark's start-up errors share no base class
        raise RuntimeError(err.reason() or out.reason() or str(exc)) from exc
    finally:
        os.close(out.write_end)
        os.close(err.write_end)
    out.go_live()
    err.go_live()
    SparkContext(conf=spark_conf, gateway=gateway)


def ended(gateway: Any) -> int | None:
    """The exit code of the JVM behind PySpark's ``gateway``, None while it runs (or where
    PySpark did not start it). PySpark keeps the gateway of a JVM that died, and a session
    asked of it fails with "connection refused", which says nothing of why."""
    proc = getattr(gateway, "proc", None)
    code: int | None = proc.poll() if proc is not None else None
    return code


class _Relay:
    """One of the JVM's outputs, read by a thread: held until :meth:`go_live`, then written
    to this process's file descriptor ``fd`` (where the JVM would have written it)."""

    def __init__(self, fd: int) -> None:
        self.fd = fd
        read_end, self.write_end = os.pipe()
        self._held: list[bytes] = []
        self._live = False
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._run, args=(read_end,), daemon=True)
        self._thread.start()

    def _run(self, read_end: int) -> None:
        with os.fdopen(read_end, "rb") as stream:
            for line in stream:
                if line.decode(errors="replace").startswith(_JVM_NOTES):
                    continue
                with self._lock:
                    if self._live:
                        os.write(self.fd, line)
                    else:
                        self._held.append(line)

    def go_live(self) -> None:
        with self._lock:
            for line in self._held:
                os.write(self.fd, line)
            self._held.clear()
            self._live = True

    def reason(self) -> str:
        """Why the JVM ended, once it has: the message of the first exception it printed,
        else its last line ('' when it printed nothing here)."""
        self._thread.join(timeout=5)
        with self._lock:
            lines = [b.decode(errors="replace").strip() for b in self._held]
        lines = [line for line in lines if line]
        return java_reason("\n".join(lines)) or (lines[-1] if lines else "")


def java_reason(text: str) -> str:
    """The message of the first Java exception in ``text`` (a JVM's output, a Py4J
    error), without its class and stack; '' when there is none."""
    found = re.search(r"^\S.*?(?:Exception|Error): (.+)$", text, re.MULTILINE)
    return found.group(1).strip() if found else ""


LOG4J2 = Path(__file__).with_name("log4j2.properties")
"""Spark's log configuration while seamline drives it: off (see the file)."""


def quiet_conf(conf: Mapping[str, str]) -> dict[str, str]:
    """``conf`` with Spark's log off on the user's terminal, unless
    ``spark.driver.extraJavaOptions`` name a log4j2 configuration of their own (then it is
    theirs): the driver's JVM reads :data:`LOG4J2`, so Spark's start-up notes and warnings
    are not printed, and ``spark.log.level`` is ``OFF`` unless ``conf`` sets it (``WARN``
    turns Spark's log back on from the session's start, for debugging)."""
    out = dict(conf)
    options = out.get("spark.driver.extraJavaOptions", "")
    if "log4j2.configurationFile" in options or "log4j.configurationFile" in options:
        return out
    own = f"-Dlog4j2.configurationFile={LOG4J2.as_uri()}"
    out["spark.driver.extraJavaOptions"] = f"{options} {own}".strip()
    out.setdefault("spark.log.level", "OFF")
    return out


def quiet(session: Any) -> None:
    """PySpark's logged copies of errors off the user's terminal (Spark's own log is off
    by :func:`quiet_conf`): an error reaches the user once, as the EngineError that
    carries it."""
    from pyspark.logger import PySparkLogger

    for name in ("SQLQueryContextLogger", "DataFrameQueryContextLogger"):
        PySparkLogger.getLogger(name).disabled = True
