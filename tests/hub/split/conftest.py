"""Split page fixtures: the workspace's sandbox-backed hub world and logged-in agent, reused as they are."""

from __future__ import annotations

from tests.hub.workspace.conftest import agent, hubworld  # noqa: F401 - fixtures shared with the workspace tests
