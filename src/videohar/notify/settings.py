"""Notification settings: the SMTP server (`VIDEOHAR_SMTP_*`) and the outbox (`VIDEOHAR_NOTIFY_*`).

Kept apart from `videohar.config.Settings` so the notifier's knobs live next to the code
that reads them; both read the same environment and `.env`.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any, Literal

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["NotifySettings", "SmtpSettings", "get_notify_settings", "get_smtp_settings", "reset_notify_settings"]


class SmtpSettings(BaseSettings):
    """The one SMTP submission server all e-mail recipients are reached through."""

    model_config = SettingsConfigDict(env_file=".env", env_prefix="VIDEOHAR_SMTP_", extra="ignore")

    host: str | None = Field(None, description="SMTP server; unset = e-mail deliveries fail with a clear error.")
    port: int | None = Field(None, ge=1, le=65535, description="Unset = 587 (starttls), 465 (tls) or 25 (none).")
    security: Literal["starttls", "tls", "none"] = Field("starttls", description="How the connection is secured.")
    username: str | None = Field(None, description="Login (only sent inside TLS).")
    password: SecretStr | None = Field(None, description="Password for the login.")
    sender: str = Field("VideoHAR <videohar@localhost>", description="From: header and envelope sender.")
    timeout: float = Field(10.0, gt=0, le=120, description="Seconds per SMTP operation.")
    ca_file: str | None = Field(None, description="Extra CA bundle to trust (private CA).")
    verify_tls: bool = Field(True, description="Verify the server certificate.")

    @property
    def configured(self) -> bool:
        return bool(self.host)

    def channel_config(self) -> dict[str, Any]:
        """Keyword arguments for `create_channel("email", ...)`."""
        return {
            "host": self.host,
            "port": self.port,
            "security": self.security,
            "username": self.username,
            "password": self.password.get_secret_value() if self.password else None,
            "sender": self.sender,
            "timeout": self.timeout,
            "ca_file": self.ca_file,
            "verify_tls": self.verify_tls,
        }


class NotifySettings(BaseSettings):
    """Outbox, retry and channel knobs of the notifier."""

    model_config = SettingsConfigDict(env_file=".env", env_prefix="VIDEOHAR_NOTIFY_", extra="ignore")

    max_attempts: int = Field(8, ge=1, le=100, description="Attempts before a delivery is dead-lettered.")
    backoff_base_s: float = Field(5.0, gt=0, description="First retry delay; doubles per attempt (with jitter).")
    backoff_max_s: float = Field(3600.0, gt=0, description="Longest retry delay.")
    lease_s: float = Field(60.0, gt=0, description="How long a claimed delivery stays with one notifier.")
    batch_size: int = Field(16, ge=1, le=1000, description="Deliveries claimed per round.")
    concurrency: int = Field(4, ge=1, le=64, description="Sends in flight per notifier.")
    poll_s: float = Field(1.0, gt=0, description="Longest idle wait between outbox scans.")
    http_timeout: float = Field(10.0, gt=0, le=120, description="Seconds per LINE / webhook request.")
    line_base_url: str = Field("https://api.line.me", description="LINE Messaging API base URL.")
    timezone: str = Field("UTC", description="Time zone of times in messages when a rule names none.")
    default_cooldown_s: int = Field(60, ge=0, description="Cooldown per camera and label of the default rule.")


@lru_cache
def get_notify_settings() -> NotifySettings:
    return NotifySettings()


@lru_cache
def get_smtp_settings() -> SmtpSettings:
    return SmtpSettings()


def reset_notify_settings() -> None:
    get_notify_settings.cache_clear()
    get_smtp_settings.cache_clear()
