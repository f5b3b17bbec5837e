"""Engine and session factory of one sandbox app instance (SQLite tuned for a threaded server)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from tenant_connectors.sandbox.models import Base

DEFAULT_DATABASE_URL = "sqlite:///billing-hub-sandbox.sqlite3"


def make_engine(database_url: str | None = None) -> Engine:
    """Create an engine for ``database_url`` (default: a SQLite file in the working directory).

    For SQLite every transaction starts with ``BEGIN IMMEDIATE``: each tenant call writes an audit
    row, so taking the write lock up front avoids the read-then-upgrade deadlocks that WAL mode
    answers with SQLITE_BUSY, and it serialises audit ids in commit order (paging never skips).
    """
    url = database_url or DEFAULT_DATABASE_URL
    kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        kwargs["connect_args"] = {"check_same_thread": False, "timeout": 30}
    engine = create_engine(url, **kwargs)
    if engine.dialect.name == "sqlite":
        _tune_sqlite(engine, in_memory=":memory:" in url or url.rstrip("/") in {"sqlite:", "sqlite+pysqlite:"})
    return engine


def _tune_sqlite(engine: Engine, *, in_memory: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # let SQLAlchemy's "begin" event below own transaction boundaries
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        if not in_memory:
            cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN IMMEDIATE")


def create_schema(engine: Engine) -> None:
    """Create every sandbox table that does not exist yet."""
    Base.metadata.create_all(engine)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """A session factory bound to ``engine`` (objects stay readable after commit)."""
    return sessionmaker(bind=engine, expire_on_commit=False)
