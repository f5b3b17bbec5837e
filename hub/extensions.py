"""Flask extensions, created once and bound to each app in :func:`hub.create_app`, and the SQLite
connection settings every hub engine on SQLite gets (:func:`tune_sqlite`)."""

from __future__ import annotations

from typing import Any

from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import Engine, MetaData, event
from sqlalchemy.engine import URL
from sqlalchemy.orm import DeclarativeBase

#: constraint names Alembic can rely on, identical on SQLite and PostgreSQL (batch migrations
#: need named constraints to alter SQLite tables)
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every hub model."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()


def sqlite_in_memory(url: URL) -> bool:
    """Whether a SQLite URL names an in-memory database (no file: no WAL to switch on)."""
    return url.database in (None, "", ":memory:") or url.query.get("mode") == "memory"


def tune_sqlite(engine: Engine, *, busy_timeout_ms: int) -> None:
    """Set the hub's pragmas on every new connection of a SQLite ``engine``.

    * ``journal_mode=WAL`` (file databases): readers never wait for the writer (web threads and the
      sync worker share the file), and with ``synchronous=NORMAL`` a commit costs an append to the
      log instead of two fsyncs; a power cut may lose the last commits, never corrupt the file.
    * ``busy_timeout``: a writer waits this long for another's lock instead of failing at once.
    * ``foreign_keys=ON``: the models' ``ON DELETE CASCADE`` / ``SET NULL`` (tenant sessions, sync
      state, seat checks of a deleted tenant or user) and every reference are enforced, as on
      PostgreSQL; SQLite ignores them per connection unless told.
    """
    in_memory = sqlite_in_memory(engine.url)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        cursor = dbapi_conn.cursor()
        try:
            # first: switching to WAL briefly needs the lock another connection may hold
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")  # kept in the file: a no-op after the first time
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
        finally:
            cursor.close()
