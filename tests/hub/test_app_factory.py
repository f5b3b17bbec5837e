"""The app factory: configuration order and the production refusal of insecure settings."""

from __future__ import annotations

import pytest

from hub import create_app
from hub.config import DEMO_SECRET_KEY, DEMO_VAULT_KEYS, InsecureConfiguration

STRONG_SECRET = "x" * 48
OWN_KEYS = "prod1:cHJvZHVjdGlvbi1rZXktMzItYnl0ZXMtbG9uZy0xMjM="


def test_demo_defaults_run_outside_production(tmp_path) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})
    assert app.config["ENV"] == "development"
    assert app.config["SECRET_KEY"] == DEMO_SECRET_KEY


@pytest.mark.parametrize(
    ("overrides", "complaint"),
    [
        ({"SECRET_KEY": DEMO_SECRET_KEY, "VAULT_KEYS": OWN_KEYS}, "HUB_SECRET_KEY"),
        ({"SECRET_KEY": "short", "VAULT_KEYS": OWN_KEYS}, "HUB_SECRET_KEY"),
        ({"SECRET_KEY": STRONG_SECRET, "VAULT_KEYS": DEMO_VAULT_KEYS}, "HUB_VAULT_KEYS"),
        ({"SECRET_KEY": STRONG_SECRET, "VAULT_KEYS": ""}, "HUB_VAULT_KEYS"),
        ({"SECRET_KEY": STRONG_SECRET, "VAULT_KEYS": OWN_KEYS, "WTF_CSRF_ENABLED": False}, "CSRF"),
    ],
)
def test_production_refuses_insecure_settings(tmp_path, overrides: dict, complaint: str) -> None:
    config = {"ENV": "production", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}", **overrides}
    with pytest.raises(InsecureConfiguration, match=complaint):
        create_app(config)


def test_production_forces_secure_cookies_and_admin_totp(tmp_path) -> None:
    app = create_app(
        {
            "ENV": "production",
            "SECRET_KEY": STRONG_SECRET,
            "VAULT_KEYS": OWN_KEYS,
            "SESSION_COOKIE_SECURE": False,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}",
        }
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["REQUIRE_ADMIN_TOTP"] is True


def test_environment_variables_configure_the_app(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("HUB_SESSION_IDLE_TIMEOUT", "60")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    app = create_app()
    assert app.config["SESSION_IDLE_TIMEOUT"] == 60
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("env.db")
