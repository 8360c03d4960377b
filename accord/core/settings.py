"""Configuration from ``ACCORD_*`` environment variables (twelve-factor).

Nothing reads settings at import time: entry points call ``load_settings()`` once and pass the
result down inside the context.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field
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

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'accord.db').resolve()}"


def load_settings(**overrides: object) -> Settings:
    return Settings(**overrides)  # type: ignore[arg-type]
