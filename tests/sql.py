"""Count the SQL a block of code sends: what grows when a page loads something per row."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from hub.extensions import db


@contextmanager
def count_sql() -> Iterator[dict[str, Any]]:
    """Statements and bound parameters sent on the app's engine while the block runs, and their first 80
    characters (``statements``, ``parameters``, ``sql``)."""
    sent: dict[str, Any] = {"statements": 0, "parameters": 0, "sql": []}

    def _count(conn: Any, cursor: Any, statement: str, parameters: Any, *_args: Any) -> None:
        sent["statements"] += 1
        sent["parameters"] += len(parameters or ())
        sent["sql"].append(statement[:80])

    engine = db.engine
    event.listen(engine, "before_cursor_execute", _count)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", _count)
