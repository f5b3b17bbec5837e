"""Review fixtures: the activity tests' world (one hub with three tenants, another hub)."""

from tests.hub.activity.conftest import world  # noqa: F401 - re-exported fixture
