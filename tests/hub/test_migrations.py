"""The Alembic migrations build exactly the models' schema on an empty database and take it down again."""

from __future__ import annotations

from collections.abc import Iterator

import flask_migrate
import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask import Flask

from hub import create_app
from hub.extensions import db
from tests.hub.conftest import TEST_CONFIG


@pytest.fixture
def empty_app(database_url: str) -> Iterator[Flask]:
    """An app on a database nobody created tables in (the ``app`` fixture would run create_all)."""
    app = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def _schema_differences() -> list[object]:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def _tables() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def test_upgrade_from_empty_matches_the_models_and_downgrade_removes_everything(empty_app: Flask) -> None:
    assert _tables() == set()
    result = empty_app.test_cli_runner().invoke(args=["hub", "init-db"])
    assert result.exit_code == 0, result.output
    assert _tables() == {t.name for t in db.metadata.sorted_tables} | {"alembic_version"}
    assert _schema_differences() == []

    flask_migrate.downgrade(revision="base")
    assert _tables() <= {"alembic_version"}
    # and up again: the downgrade left nothing behind that would get in the way
    flask_migrate.upgrade()
    assert _schema_differences() == []


def test_there_is_one_head(empty_app: Flask) -> None:
    from alembic.script import ScriptDirectory

    config = empty_app.extensions["migrate"].migrate.get_config()
    assert len(ScriptDirectory.from_config(config).get_heads()) == 1
