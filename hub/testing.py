"""Throw-away PostgreSQL schemas for the test suite and the benchmarks (never used by the app itself).

Each run gets a schema of its own, so runs on one database never see each other's rows; the URL it
yields points the connection's ``search_path`` at that schema, and the schema is dropped afterwards.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager

import sqlalchemy as sa


@contextmanager
def scratch_schema(pg_url: str, *, prefix: str) -> Iterator[str]:
    """A URL for ``pg_url`` whose connections work in a new schema ``<prefix>_<random>``, dropped on exit."""
    schema = f"{prefix}_{uuid.uuid4().hex[:16]}"
    admin = sa.create_engine(pg_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in pg_url else "?"
    try:
        yield f"{pg_url}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()
