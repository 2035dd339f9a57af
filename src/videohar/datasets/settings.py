"""Dataset and training knobs (`VIDEOHAR_DATASETS_*`), kept next to the code that reads them."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class DatasetSettings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_prefix="VIDEOHAR_DATASETS_", extra="ignore")

    max_upload_mb: float = Field(200.0, gt=0, description="Largest accepted video or pickle upload.")
    max_video_seconds: float = Field(900.0, gt=0, description="Longest accepted uploaded video.")
    max_record_seconds: float = Field(120.0, gt=0, description="Longest recording from a camera.")
    extract_fps: float = Field(10.0, gt=0, le=60, description="Frames per second analysed in uploaded videos.")
    job_lease_seconds: float = Field(30.0, gt=1, description="A job whose trainer stops renewing is re-claimed.")
    job_max_attempts: int = Field(3, ge=1, description="Claims of one job before it is failed.")
    train_threads: int = Field(
        1,
        ge=1,
        le=64,
        description="CPU threads of one training job. More only helps on idle cores: threads that find "
        "their cores busy (workers, other jobs) spin-wait and make an epoch many times slower.",
    )

    @property
    def max_upload_bytes(self) -> int:
        return int(self.max_upload_mb * 1024 * 1024)


@lru_cache
def get_dataset_settings() -> DatasetSettings:
    return DatasetSettings()


def reset_dataset_settings() -> None:
    get_dataset_settings.cache_clear()
