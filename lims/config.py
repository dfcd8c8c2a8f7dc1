"""Configuration read from the environment (prefix ``LIMS_``).

Every setting has a safe development default so that a fresh clone runs on SQLite;
production sets ``LIMS_DATABASE_URL`` and ``LIMS_SECRET_KEY``.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _env(name: str, default: str | None = None) -> str | None:
    return os.environ.get(f"LIMS_{name}", default)


def _env_int(name: str, default: int) -> int:
    value = _env(name)
    return int(value) if value not in (None, "") else default


class Config:
    """Defaults shared by every environment."""

    INSTANCE_PATH = Path(_env("INSTANCE_PATH", str(PROJECT_ROOT / "instance")))
    SECRET_KEY = _env("SECRET_KEY")
    SQLALCHEMY_DATABASE_URI = _env("DATABASE_URL")
    SQLALCHEMY_ENGINE_OPTIONS: dict = {"pool_pre_ping": True}
    REDIS_URL = _env("REDIS_URL")

    # Login and session policy (21 CFR Part 11 §11.300: limits on failed attempts).
    MAX_FAILED_LOGINS = _env_int("MAX_FAILED_LOGINS", 5)
    LOCKOUT_MINUTES = _env_int("LOCKOUT_MINUTES", 15)
    IDLE_TIMEOUT = timedelta(minutes=_env_int("IDLE_TIMEOUT_MINUTES", 30))
    PERMANENT_SESSION_LIFETIME = timedelta(hours=12)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # "development" or "testing" for local runs over plain HTTP; anything else is production.
    ENVIRONMENT = _env("ENV", "production")
    # The session cookie is sent over HTTPS only, unless running locally.
    SESSION_COOKIE_SECURE = _env("SESSION_COOKIE_SECURE", "0" if ENVIRONMENT in (
        "development", "testing") else "1") == "1"

    WTF_CSRF_ENABLED = True
    WTF_CSRF_TIME_LIMIT = None  # the idle timeout already ends stale sessions

    BABEL_DEFAULT_LOCALE = "zh_CN"
    BABEL_DEFAULT_TIMEZONE = _env("TIMEZONE", "Asia/Shanghai")
    LANGUAGES = ("zh_CN", "en")

    SAMPLE_NUMBER_PATTERN = _env("SAMPLE_NUMBER_PATTERN", "{lab}-{yyyy}-{seq:06d}")
    SIGNING_DIR = _env("SIGNING_DIR")
    PUBLIC_BASE_URL = _env("PUBLIC_BASE_URL", "http://127.0.0.1:5000")
    MAX_CONTENT_LENGTH = _env_int("MAX_CONTENT_LENGTH", 8 * 1024 * 1024)


class TestConfig(Config):
    TESTING = True
    ENVIRONMENT = "testing"
    SESSION_COOKIE_SECURE = False  # the test client speaks plain HTTP
    SECRET_KEY = "test-secret-key"
    # argon2 at production cost would dominate the suite; the policy is unchanged.
    PASSWORD_HASH_FAST = True


def build_config(overrides: dict | None = None) -> dict:
    """Collect the upper-case settings of :class:`Config`, then apply overrides."""
    config = {k: getattr(Config, k) for k in dir(Config) if k.isupper()}
    if overrides:
        config.update(overrides)
    instance = Path(config["INSTANCE_PATH"])
    if not config.get("SQLALCHEMY_DATABASE_URI"):
        config["SQLALCHEMY_DATABASE_URI"] = f"sqlite:///{instance / 'lims.db'}"
    if not config.get("SECRET_KEY"):
        config["SECRET_KEY"] = _instance_secret(instance)
    if not config.get("SIGNING_DIR"):
        config["SIGNING_DIR"] = str(instance / "keys")
    return config


def _instance_secret(instance: Path) -> str:
    """A per-installation secret kept in the instance folder (development only)."""
    instance.mkdir(parents=True, exist_ok=True)
    path = instance / "secret_key"
    if not path.exists():
        path.write_text(secrets.token_hex(32))
        path.chmod(0o600)
    return path.read_text().strip()
