"""Creating, upgrading and checking the store's schema with Alembic.

There is no ``alembic.ini``: the script location is this package's ``migrations``
folder and the connection is handed to Alembic directly, so an installed seamline
can upgrade any store it is pointed at.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from seamline.errors import StoreError

MIGRATIONS = Path(__file__).with_name("migrations")


def safe_url(url: str) -> str:
    """The URL with any password replaced by ``***``, safe to print."""
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "<unparseable store URL>"


def backend_name(url: str) -> str:
    """The database a store URL names (``sqlite``, ``postgresql``...), ``unknown`` when the
    URL does not parse (reported, not raised)."""
    try:
        return make_url(url).get_backend_name()
    except ArgumentError:
        return "unknown"


def normalize_url(url: str) -> str:
    """Pick the drivers seamline ships with (psycopg 3, PyMySQL) for bare URLs."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    if url.startswith("mysql://") or url.startswith("mariadb://"):
        return "mysql+pymysql://" + url.split("://", 1)[1]
    return url


def create_store_engine(url: str) -> Engine:
    """An engine for the store URL; a bad URL or driver is a StoreError."""
    url = normalize_url(url)
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise StoreError(
            f"the store URL {url[:40]!r}… cannot be parsed",
            hint="give a SQLAlchemy URL such as sqlite:///.seamline/seamline.db or "
            "postgresql://user@host:5432/seamline",
        ) from None
    if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    try:
        engine = create_engine(parsed, pool_pre_ping=True)
    except (NoSuchModuleError, ModuleNotFoundError) as exc:
        raise StoreError(
            f"no database driver for the store {safe_url(url)}: {exc}",
            hint="seamline supports SQLite and PostgreSQL stores",
        ) from None
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine


def _sqlite_pragmas(dbapi_connection: object, _record: object) -> None:
    cursor = dbapi_connection.cursor()  # type: ignore[attr-defined]
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


@lru_cache(maxsize=1)
def _script() -> ScriptDirectory:
    return ScriptDirectory(str(MIGRATIONS))


def head_revision() -> str:
    head = _script().get_current_head()
    if head is None:  # pragma: no cover - the package always ships migrations
        raise StoreError("seamline was installed without its store migrations")
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the store is at, or None for an empty store."""
    try:
        with engine.connect() as conn:
            return MigrationContext.configure(conn).get_current_revision()
    except OperationalError as exc:
        raise StoreError(
            f"cannot reach the store {safe_url(str(engine.url))}: {exc.orig}",
            hint="check the store URL (store: in seamline.yaml or SEAMLINE_STORE) and that "
            "the database server is running",
        ) from None


def check_known(revision: str | None, url: str) -> None:
    """Refuse a store written by a newer seamline (a revision this version lacks)."""
    if revision is None:
        return
    known = {rev.revision for rev in _script().walk_revisions()}
    if revision not in known:
        raise StoreError(
            f"the store {safe_url(url)} is at revision {revision}, which this version of "
            f"seamline does not know (its newest is {head_revision()}); it was written by a "
            "newer seamline",
            hint="upgrade seamline, or point it at another store; the store was not changed",
        )


def upgrade_engine(engine: Engine, to: str | None = None) -> tuple[str | None, str]:
    """Upgrade the store to revision ``to`` (the head when None). Returns (before, after)."""
    before = current_revision(engine)
    check_known(before, str(engine.url))
    target = to or head_revision()
    if before != target:
        config = Config()
        config.set_main_option("script_location", str(MIGRATIONS))
        with engine.begin() as conn:
            config.attributes["connection"] = conn
            command.upgrade(config, target)
    return before, target


def upgrade_store(url: str) -> tuple[str | None, str]:
    """``seamline upgrade``: apply the migrations to the store at ``url``."""
    engine = create_store_engine(url)
    try:
        return upgrade_engine(engine)
    finally:
        engine.dispose()
