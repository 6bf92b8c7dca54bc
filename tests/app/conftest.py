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
