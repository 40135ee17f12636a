"""The byte ranges of a parallel read, decoded by the executors of the process's Spark
session: connect's range runner on ``engine: spark``."""

from __future__ import annotations

import re
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from seamline.engine.base import EngineError
from seamline.engine.spark_engine import _first_line, executor_python, spark_session


class SparkRanges:
    """The byte ranges of a parallel read, decoded on the executors of the process's
    Spark session (a :class:`~seamline.connector.RangeRunner`).

    Each task is one Spark job of one partition holding the task, so results come back
    in order as soon as each is done, ``in_flight`` at most at a time: the driver holds
    no more than that many ranges' batches, and no job's result nears
    ``spark.driver.maxResultSize``. The session starts on first use, so a workspace whose
    files are all small never starts it for connect.
    """

    def __init__(self, master: str, conf: Mapping[str, str] | None = None) -> None:
        self.master = master
        self.conf = dict(conf or {})
        self.where = f"Spark ({master})"
        self.tasks_run = 0
        """Tasks run so far (the connect stage says which datasets were read here)."""

    def _context(self) -> Any:
        sc = spark_session(self.master, self.conf).sparkContext
        sc.pythonExec = executor_python(self.conf)  # this read's, if its conf names one
        return sc

    def slots(self) -> int:
        return max(1, int(self._context().defaultParallelism))

    def run(self, tasks: Sequence[tuple[Any, ...]], in_flight: int) -> Iterator[Any]:
        if not tasks:
            return
        sc = self._context()
        rdd = sc.parallelize(list(tasks), len(tasks))  # one task a partition
        pending: deque[Future[list[Any]]] = deque()
        upcoming = iter(range(len(tasks)))
        with ThreadPoolExecutor(max_workers=max(1, in_flight)) as pool:
            try:
                for i in upcoming:
                    pending.append(pool.submit(sc.runJob, rdd, _apply_each, [i]))
                    if len(pending) >= max(1, in_flight):
                        break
                while pending:
                    (result,) = self._result(pending.popleft())
                    following = next(upcoming, None)
                    if following is not None:
                        pending.append(pool.submit(sc.runJob, rdd, _apply_each, [following]))
                    self.tasks_run += 1
                    yield result
            finally:
                for future in pending:
                    future.cancel()

    def _result(self, job: Future[list[Any]]) -> list[Any]:
        try:
            return job.result()
        except Exception as exc:  # pyspark's errors share no base class with Py4J's
            raise EngineError(
                f"{self.where} could not run a part of the read: {_worker_error(exc)}",
                hint="Check that the executors' Python (spark.pyspark.python in spark: conf:) "
                "has seamline installed, in the driver's version.",
            ) from exc


def _worker_error(exc: BaseException) -> str:
    """What a failed Spark job says in one line: the Python error of a worker's traceback
    (its last ``NameError: message`` line), else the task's failure (``Lost task ...:
    java.io.IOException: ...``), else its first line; the Java stacks say nothing to users."""
    text = str(exc)
    python = re.findall(r"^(\w+(?:Error|Exception): .*)$", text, re.MULTILINE)
    if python:
        return str(python[-1]).strip()
    task = re.search(r"most recent failure: Lost task [^:]*: (.+)$", text, re.MULTILINE)
    return task.group(1).strip() if task else _first_line(exc)


def _apply_each(tasks: Iterator[tuple[Any, ...]]) -> list[Any]:
    """On an executor: ``task[0](*task[1:])`` for the partition's tasks."""
    return [task[0](*task[1:]) for task in tasks]
