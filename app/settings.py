"""Service settings, from environment variables prefixed DICOMCORE_ (see the README table)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DICOMCORE_", frozen=True)

    storage_dir: Path = Field(Path("./data"), description="where stored instances live")
    max_upload_bytes: int = Field(4 * 1024 ** 3, gt=0,
                                  description="uploads larger than this get 413")
    api_key: str | None = Field(None, description="when set, every route but /healthz needs it")
    defer_size: int = Field(64 * 1024, ge=0,
                            description="values larger than this stay on disk while parsing")
    max_patch_bytes: int = Field(16 * 1024 ** 2, gt=0, description="largest patch body")
    max_elements: int = Field(250_000, gt=0, description=(
        "data elements and sequence items (at every depth) one file may hold: 413 past it "
        "(each costs about 800 bytes of a worker's memory read and rendered as JSON)"))
    max_inflated_bytes: int | None = Field(None, gt=0, description=(
        "a deflated data set larger than this once inflated gets 413; default: "
        "max_upload_bytes"))
    max_patch_ops: int = Field(10_000, gt=0, description="operations one patch may have: 422")
    patch_seconds: float = Field(10.0, gt=0, description=(
        "the work one patch may take: 503 with Retry-After past it, nothing changed"))
    header_timeout_seconds: float = Field(10.0, gt=0, description=(
        "a connection that has not sent a request's headers this long after it opened (or "
        "after its last response) is closed"))
    min_body_bytes_per_second: int = Field(1024, ge=0, description=(
        "a request body arriving slower than this over body_rate_seconds (while the service "
        "reads) is dropped"))
    body_rate_seconds: float = Field(10.0, gt=0, description=(
        "the window over which min_body_bytes_per_second is measured"))
    max_connections: int = Field(512, gt=0, description=(
        "open connections per worker; past it the oldest idle one is closed, or the new one "
        "answered 503"))
    storage_url: str | None = Field(None, description=(
        "file:///path or s3://bucket/prefix; default: storage_dir's path"))
    index_url: str | None = Field(None, description=(
        "sqlite:///path or postgresql://user@host/db; default: a SQLite file in storage_dir"))
    s3_endpoint_url: str | None = Field(None, description=(
        "an S3-compatible server (MinIO, Ceph, moto); unset: AWS"))
    s3_delete_delay_seconds: float = Field(600.0, ge=0, description=(
        "old versions on S3 are kept this long for readers still on them"))
    orphan_grace_seconds: float = Field(3600.0, ge=0, description=(
        "contents no index row names are removed at start once this old"))
    index_pool_size: int = Field(10, ge=1, description="PostgreSQL connections per worker")
    deid_key: SecretStr | None = Field(None, description=(
        "the secret key of the de-identification routes (keyed UIDs, pseudonyms, date "
        "offsets): never taken from a request, never logged; unset: they answer 403"))
    max_stow_bytes: int | None = Field(None, gt=0, description=(
        "largest STOW-RS body (all its parts); default: max_upload_bytes, which also bounds "
        "each part"))
    cors_origins: str = Field("", description=(
        "origins (comma-separated, or *) whose browsers may call the service (CORS), for "
        "web viewers such as OHIF; empty: CORS off"))
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = Field(1, ge=1, description="worker processes, each with its own socket")
    log_level: str = "info"
    forwarded_allow_ips: str = Field("127.0.0.1", description=(
        "proxies whose X-Forwarded-* headers are trusted (uvicorn's forwarded_allow_ips)"))


@lru_cache
def get_settings() -> Settings:
    return Settings()
