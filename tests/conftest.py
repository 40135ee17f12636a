"""Shared fixtures: real services (PostgreSQL, MariaDB, RabbitMQ, NATS) and seeds.

A test that needs a service asks for its fixture. Where the service is absent the
test is skipped with the reason, unless SEAMLINE_REQUIRE_SERVICES=1 (CI), which turns
the skip into a failure.
"""

from __future__ import annotations

import os
import shutil
import socket
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest
from hypothesis import settings

# Property tests run the same examples on every run (derandomized) so CI is reproducible;
# `HYPOTHESIS_PROFILE=explore` draws new random examples (hypothesis prints the seed and
# the failing example to replay).
settings.register_profile("ci", derandomize=True, print_blob=True, deadline=None)
settings.register_profile("explore", print_blob=True, deadline=None)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

REQUIRE = os.environ.get("SEAMLINE_REQUIRE_SERVICES") == "1"

PG_HOST = os.environ.get("SEAMLINE_TEST_PG_HOST", "127.0.0.1")
MARIADB_HOST = os.environ.get("SEAMLINE_TEST_MARIADB_HOST", "127.0.0.1")


def _listening(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


@pytest.fixture(scope="session")
def java_runtime() -> None:
    """Skip (or, in CI, fail) without a Java runtime, which Spark needs."""
    if shutil.which("java"):
        return
    reason = "java is not on the PATH (Spark needs Java 17 or newer: make java)"
    if REQUIRE:
        pytest.fail(f"{reason}, and SEAMLINE_REQUIRE_SERVICES=1 requires it")
    pytest.skip(reason)


def need_service(name: str, port: int, host: str = "127.0.0.1") -> None:
    """Skip (or, in CI, fail) when nothing listens on the service's port."""
    if _listening(port, host):
        return
    reason = f"{name} is not listening on {host}:{port}"
    if REQUIRE:
        pytest.fail(f"{reason}, and SEAMLINE_REQUIRE_SERVICES=1 requires it")
    pytest.skip(reason)


def _conformance_candidates() -> list[Path]:
    root = Path(__file__).resolve().parents[1]
    found = (
        [Path(os.environ["SEAMLINE_CONFORMANCE_DIR"])]
        if "SEAMLINE_CONFORMANCE_DIR" in os.environ
        else []
    )
    # The shared test data sits beside the repository; a checkout elsewhere on the same
    # machine finds it at the workplace's fixed location.
    return [*found, root.parent / "shared" / "conformance", Path("/work/shared/conformance")]


@pytest.fixture(scope="session")
def conformance() -> Path:
    """The folder of conformance data from outside the project (Cobrix cases, DCAT-AP shapes)."""
    for candidate in _conformance_candidates():
        if (candidate / "cobrix").is_dir():
            return candidate
    reason = "conformance data not found (set SEAMLINE_CONFORMANCE_DIR)"
    if REQUIRE:
        pytest.fail(f"{reason}, and SEAMLINE_REQUIRE_SERVICES=1 requires it")
    pytest.skip(reason)


@contextmanager
def fresh_postgres() -> Iterator[str]:
    """A fresh, empty PostgreSQL database, dropped afterwards."""
    import psycopg

    name = f"seamline_t_{uuid.uuid4().hex[:12]}"
    admin = f"host={PG_HOST} port=5432 user=postgres dbname=postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+psycopg://postgres@{PG_HOST}:5432/{name}"
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A fresh, empty PostgreSQL database, dropped afterwards."""
    need_service("PostgreSQL", 5432, PG_HOST)
    with fresh_postgres() as url:
        yield url


@pytest.fixture(scope="module")
def postgres_databases() -> Iterator[Callable[[], str]]:
    """Makes fresh PostgreSQL databases for a module's tests; all dropped at its end."""
    need_service("PostgreSQL", 5432, PG_HOST)
    with ExitStack() as stack:
        yield lambda: stack.enter_context(fresh_postgres())


@pytest.fixture
def mariadb_url() -> Iterator[str]:
    """A fresh, empty MariaDB database, dropped afterwards."""
    need_service("MariaDB", 3306, MARIADB_HOST)
    import pymysql

    name = f"seamline_t_{uuid.uuid4().hex[:12]}"
    conn = pymysql.connect(host=MARIADB_HOST, port=3306, user="root", password="")
    try:
        with conn.cursor() as cur:
            cur.execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        yield f"mysql+pymysql://root@{MARIADB_HOST}:3306/{name}?charset=utf8mb4"
    finally:
        with conn.cursor() as cur:
            cur.execute(f"DROP DATABASE IF EXISTS `{name}`")
        conn.close()


@pytest.fixture
def amqp_url() -> str:
    need_service("RabbitMQ", 5672)
    return "amqp://guest:guest@127.0.0.1:5672/%2F"


@pytest.fixture
def nats_url() -> str:
    need_service("NATS", 4222)
    return "nats://127.0.0.1:4222"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: object) -> str:
    """Run a store test once on SQLite and once on the real PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path}/seamline.db"
    return str(request.getfixturevalue("postgres_url"))
