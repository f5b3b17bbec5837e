"""Shared pytest fixtures: the sandbox tenant server over a fresh SQLite file, with the test world."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tenant_connectors.sandbox import clock
from tenant_connectors.sandbox.pipeline import state
from tenant_connectors.sandbox.seed import TestWorld, seed_test_world
from tenant_connectors.sandbox.testing import SandboxServer


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[SandboxServer]:
    """A running sandbox tenant server with the test world seeded (``sandbox.world``)."""
    clock.reset()
    server = SandboxServer(f"sqlite:///{tmp_path / 'sandbox.sqlite3'}")
    server.world = seed_test_world(state(server.app).engine)
    with server:
        yield server
    clock.reset()


@pytest.fixture
def sandbox_world(sandbox: SandboxServer) -> TestWorld:
    """The names, credentials and ids of the seeded test world."""
    return sandbox.world
