"""Configuration: safe demo defaults, then the instance folder, then ``HUB_*`` environment variables.

In production (``HUB_ENV=production``) the app refuses to start with a missing or demo secret key,
a missing or demo vault key ring, or insecure cookie settings. In any mode, ``HUB_TRUSTED_PROXIES``
must be a count (0 or more) of the proxies whose ``X-Forwarded-*`` headers are believed, and
``HUB_SEAT_CHECK_INTERVAL_HOURS`` a number of hours (0 switches the scheduled seat check off).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask

#: demo-only values; refused in production
DEMO_SECRET_KEY = "demo-secret-key-not-for-production"  # noqa: S105
DEMO_VAULT_KEYS = "demo:ZGVtby12YXVsdC1rZXktbm90LWZvci1wcm9kdWN0aW8="  # 32 bytes, base64


#: the longest scheduled seat check interval accepted (a year)
MAX_SEAT_CHECK_HOURS = 366 * 24


class InsecureConfiguration(RuntimeError):
    """Raised at start-up when production mode meets an insecure setting."""


DEFAULTS: dict[str, Any] = {
    "ENV": "development",
    "SECRET_KEY": DEMO_SECRET_KEY,
    "VAULT_KEYS": DEMO_VAULT_KEYS,
    "SQLALCHEMY_DATABASE_URI": None,  # filled with a SQLite file in the instance folder
    "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
    # SQLite only (demo, small installations): how long a writer waits for another's lock
    "SQLITE_BUSY_TIMEOUT_MS": 5000,
    # sessions (seconds)
    "SESSION_IDLE_TIMEOUT": 15 * 60,
    "SESSION_ABSOLUTE_TIMEOUT": 12 * 60 * 60,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "SESSION_COOKIE_SECURE": False,
    "SESSION_COOKIE_NAME": "hub_session",
    "REMEMBER_COOKIE_DURATION": 0,
    # login policy (the vendor's: 9 failures lock)
    "LOCKOUT_THRESHOLD": 9,
    "LOCKOUT_BASE_SECONDS": 60,
    "LOCKOUT_MAX_SECONDS": 24 * 60 * 60,
    "THROTTLE_PER_ADDRESS": 30,  # failed logins per address per window
    "THROTTLE_WINDOW_SECONDS": 15 * 60,
    "REQUIRE_ADMIN_TOTP": False,
    "PASSWORD_MIN_LENGTH": 8,
    "PASSWORD_MAX_LENGTH": 128,
    # tenant calls (seconds)
    "TENANT_CONNECT_TIMEOUT": 3.0,
    "TENANT_READ_TIMEOUT": 10.0,
    "TENANT_TOTAL_TIMEOUT": 20.0,
    # audit sync (seconds); the lease defaults to max(300, 4 x TENANT_TOTAL_TIMEOUT)
    "SYNC_MIN_INTERVAL_SECONDS": 15,
    "SYNC_BACKOFF_BASE_SECONDS": 15,
    "SYNC_BACKOFF_CAP_SECONDS": 30 * 60,
    # the sync workers run the seat check of a tenant they synced when its last one is this old (0: never)
    "SEAT_CHECK_INTERVAL_HOURS": 24,
    "WTF_CSRF_ENABLED": True,
    "WTF_CSRF_TIME_LIMIT": None,  # the token lives as long as the (bounded) session
    "PREFERRED_URL_SCHEME": "http",
    "MAX_CONTENT_LENGTH": 5 * 1024 * 1024,
    # proxies in front of the hub whose X-Forwarded-For/-Proto/-Host are believed (0: none)
    "TRUSTED_PROXIES": 0,
}

PRODUCTION_OVERRIDES: dict[str, Any] = {
    "SESSION_COOKIE_SECURE": True,
    "REQUIRE_ADMIN_TOTP": True,
    "PREFERRED_URL_SCHEME": "https",
}


def load(app: Flask, overrides: Mapping[str, Any] | None = None) -> None:
    """Fill ``app.config`` in order: defaults, instance ``hub.cfg``, environment, overrides."""
    app.config.from_mapping(DEFAULTS)
    app.config.from_pyfile("hub.cfg", silent=True)
    app.config.from_prefixed_env("HUB")
    # the deployment's conventional name wins over the prefixed one
    database_url = os.environ.get("DATABASE_URL") or app.config.get("DATABASE_URL")
    if database_url:
        app.config["SQLALCHEMY_DATABASE_URI"] = database_url
    if overrides:
        app.config.from_mapping(overrides)
    if app.config["ENV"] == "production":
        # not negotiable in production, whatever the environment says
        app.config.update(PRODUCTION_OVERRIDES)
    app.config["TRUSTED_PROXIES"] = _proxy_count(app.config.get("TRUSTED_PROXIES"))
    app.config["SEAT_CHECK_INTERVAL_HOURS"] = _seat_check_hours(app.config.get("SEAT_CHECK_INTERVAL_HOURS"))
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        Path(app.instance_path).mkdir(parents=True, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{Path(app.instance_path) / 'hub.sqlite3'}"
    check_production(app.config)


def _proxy_count(value: Any) -> int:
    """``HUB_TRUSTED_PROXIES`` as a count; anything else stops start-up (a typo must not trust headers)."""
    if isinstance(value, str) and value.strip().isascii() and value.strip().isdecimal():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError("HUB_TRUSTED_PROXIES must be the number of proxies in front of the hub (0 or more)")
    return value


def _seat_check_hours(value: Any) -> float:
    """``HUB_SEAT_CHECK_INTERVAL_HOURS`` as hours (0 disables); anything else stops start-up."""
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            pass
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= MAX_SEAT_CHECK_HOURS:
        raise ValueError(f"HUB_SEAT_CHECK_INTERVAL_HOURS must be a number of hours from 0 (never) to "
                         f"{MAX_SEAT_CHECK_HOURS}")
    return float(value)


def check_production(config: Mapping[str, Any]) -> None:
    """Refuse to run production with demo or missing secrets."""
    if config.get("ENV") != "production":
        return
    problems = []
    secret = config.get("SECRET_KEY") or ""
    if secret == DEMO_SECRET_KEY or len(secret) < 32:
        problems.append("HUB_SECRET_KEY must be set to a random value of at least 32 characters")
    vault = config.get("VAULT_KEYS") or ""
    if not vault or DEMO_VAULT_KEYS.split(":", 1)[1] in vault:
        problems.append("HUB_VAULT_KEYS must be set to the deployment's own key ring")
    if not config.get("SESSION_COOKIE_SECURE"):
        problems.append("session cookies must be Secure in production")
    if config.get("WTF_CSRF_ENABLED") is False:
        problems.append("CSRF protection cannot be disabled in production")
    if problems:
        raise InsecureConfiguration("refusing to start in production: " + "; ".join(problems))
