"""HTTP fuzzing from the OpenAPI document (schemathesis): no 500, and every response matches
the schema it is documented with. A short run in `make test`; `make fuzz-http` runs longer."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from app.deps import get_settings
from app.main import create_app
from app.settings import Settings

_STORAGE = Path(tempfile.mkdtemp(prefix="dicomcore-schema-"))
_app = create_app()
_app.dependency_overrides[get_settings] = lambda: Settings(storage_dir=_STORAGE,
                                                           max_upload_bytes=1 << 20)
schema = schemathesis.openapi.from_asgi("/openapi.json", _app)
EXAMPLES = int(os.environ.get("DICOMCORE_SCHEMA_EXAMPLES", "25"))


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None,
          suppress_health_check=list(HealthCheck))
def test_api_conforms_to_its_schema(case: schemathesis.Case) -> None:
    # A body the schema allows (any bytes) is not always DICOM: refusing it with a 4xx
    # problem is right, so that one check is left out; every other check runs.
    case.call_and_validate(excluded_checks=[positive_data_acceptance])
