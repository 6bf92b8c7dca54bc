"""In-process service tests: httpx against the ASGI app, with settings overridden per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from app.deps import get_settings
from app.main import create_app
from app.settings import Settings

from ..corpus import PYDICOM_DATA

CT = PYDICOM_DATA / "test_files" / "CT_small.dcm"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(storage_dir=tmp_path / "data", max_upload_bytes=1 << 20)


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    application = create_app()
    application.dependency_overrides[get_settings] = lambda: settings
    with TestClient(application, raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture
def ct_bytes() -> bytes:
    return CT.read_bytes()


# Real servers for the storage backends (tests/app/services.py) ------------------------------

@pytest.fixture(autouse=True)
def _close_storages() -> Iterator[None]:
    """Close the storages a test opened through the app (database connections, pools)."""
    yield
    from app.storage import close_all

    close_all()


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[object]:
    from .services import PostgresCluster, find_postgres

    bin_dir = find_postgres()
    if bin_dir is None:
        pytest.skip("PostgreSQL is not installed (apt-get install postgresql; CI does)")
    cluster = PostgresCluster(bin_dir)
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
def postgres_url(postgres_cluster: object) -> str:
    """A new empty database on the session's PostgreSQL server."""
    return postgres_cluster.database()  # type: ignore[attr-defined]


@pytest.fixture(scope="session")
def s3_server() -> Iterator[object]:
    """moto_server, or what DICOMCORE_TEST_S3_SERVER / DICOMCORE_TEST_S3_URL ask for."""
    from .services import start_s3_server

    server = start_s3_server()
    if isinstance(server, str):
        pytest.skip(server)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def s3_settings(s3_server: object, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """A new bucket: the storage URL and endpoint to give the service, credentials set."""
    for name, value in s3_server.env.items():  # type: ignore[attr-defined]
        monkeypatch.setenv(name, value)
    return {"storage_url": f"s3://{s3_server.location()}",  # type: ignore[attr-defined]
            "s3_endpoint_url": s3_server.url}  # type: ignore[attr-defined]


@pytest.fixture
def s3_blobs(s3_settings: dict[str, str], tmp_path: Path) -> object:
    from app.storage.opening import blob_store

    return blob_store(s3_settings["storage_url"], tmp_path / "local",
                      s3_settings["s3_endpoint_url"])
