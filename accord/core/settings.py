"""Configuration from ``ACCORD_*`` environment variables (twelve-factor).

Nothing reads settings at import time: entry points call ``load_settings()`` once and pass the
result down inside the context.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Every setting Accord reads; each is documented in docs/operations.md."""

    model_config = SettingsConfigDict(env_prefix="ACCORD_", extra="ignore")

    data_dir: Path = Field(
        default=Path("./accord-data"),
        description="Where the embedded database, uploads and logs live.",
    )
    database_url: str | None = Field(
        default=None,
        description="SQLAlchemy URL; default is SQLite under the data dir. PostgreSQL: postgresql+psycopg://user@host/db",
    )
    company_currency: str = Field(
        default="CNY", description="ISO 4217 code of the company currency."
    )
    default_locale: str = Field(
        default="zh_CN", description="Locale given to new users: zh_CN or en."
    )
    default_timezone: str = Field(
        default="Asia/Shanghai", description="IANA time zone for new users."
    )
    max_body_bytes: int = Field(
        default=16 * 1024 * 1024, description="Largest accepted request body."
    )
    bulk_max_rows: int = Field(default=10_000, description="Most rows one bulk API call may carry.")
    embedded_worker: bool = Field(
        default=True, description="Run one job worker and the scheduler inside `accord serve`."
    )
    log_level: str = Field(default="INFO", description="Python logging level.")

    # --- sign-in, sessions, passwords (ADR 0020) ---------------------------------------------
    password_min_length: int = Field(
        default=10, ge=8, le=128, description="Shortest password accepted for a user."
    )
    argon2_time_cost: int = Field(
        default=3, ge=1, le=20, description="Argon2id iterations for new password hashes."
    )
    argon2_memory_kib: int = Field(
        default=65536, ge=8, le=4 * 1024 * 1024, description="Argon2id memory per hash (KiB)."
    )
    argon2_parallelism: int = Field(
        default=4, ge=1, le=64, description="Argon2id lanes for new password hashes."
    )
    login_max_failures: int = Field(
        default=5, ge=1, le=1000, description="Failed sign-ins per login before it is locked."
    )
    login_max_failures_per_ip: int = Field(
        default=20, ge=1, le=100_000, description="Failed sign-ins per address before throttling."
    )
    login_failure_window_seconds: int = Field(
        default=900, ge=1, le=86_400 * 30, description="Window in which failures are counted."
    )
    login_lockout_seconds: int = Field(
        default=900, ge=1, le=86_400 * 30, description="How long a lock or throttle lasts."
    )
    session_idle_minutes: int = Field(
        default=30, ge=1, le=60 * 24 * 30, description="A session unused this long ends."
    )
    session_lifetime_hours: int = Field(
        default=12, ge=1, le=24 * 365, description="A session ends this long after sign-in."
    )
    session_cookie_name: str = Field(
        default="accord_session",
        pattern=r"^[A-Za-z0-9_\-]{1,64}$",
        description="Name of the session cookie.",
    )
    trust_proxy_headers: bool = Field(
        default=False,
        description="Take the client address and scheme from X-Forwarded-For/-Proto.",
    )
    totp_issuer: str = Field(
        default="Accord", max_length=64, description="Issuer shown by authenticator apps."
    )
    # --- outgoing e-mail (accord.integrations.smtp) -------------------------------------------
    smtp_host: str | None = Field(
        default=None, description="SMTP server for outgoing e-mail; unset: e-mail is not sent."
    )
    smtp_port: int = Field(
        default=587, ge=1, le=65535, description="SMTP port: 587 submission, 465 ssl, 25 relay."
    )
    smtp_username: str | None = Field(
        default=None, description="SMTP login; unset: no authentication."
    )
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password.")
    smtp_sender: str = Field(
        default="Accord <noreply@localhost>",
        description="From header and envelope sender of every e-mail: 'Name <address>'.",
    )
    smtp_security: Literal["none", "starttls", "ssl"] = Field(
        default="starttls",
        description="starttls (upgrade after connecting), ssl (TLS from the start) or none.",
    )
    smtp_timeout: float = Field(
        default=15, gt=0, le=300, description="Seconds to wait for the SMTP server at each step."
    )
    public_url: str | None = Field(
        default=None,
        max_length=500,
        description="The address users open Accord at (https://crm.example.com); links in "
        "emails and chat messages point there. Unset: links are relative paths.",
    )
    webhook_disable_after: int = Field(
        default=20,
        ge=1,
        le=100_000,
        description="Dead webhook deliveries in a row that switch a subscription off.",
    )

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'accord.db').resolve()}"


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]
