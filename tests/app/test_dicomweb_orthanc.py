"""Orthanc as a DICOMweb client of the service: Debian's `orthanc` with its `orthanc-dicomweb`
plugin, configured with this service as a DICOMweb server (`DicomWeb.Servers`, the service's
API key in the server's `HttpHeaders`).

Through Orthanc's REST API: QIDO-RS searches (`/dicom-web/servers/dicomcore/qido`), WADO-RS
retrieval into Orthanc (`/retrieve`: the instances must arrive intact, byte for byte), and
STOW-RS from Orthanc to the service (`/stow`). Both run on free loopback ports and are stopped by their pids.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pydicom
import pytest

from ..corpus import PYDICOM_DATA
from .orthanc import dicomweb_plugin, free_port, orthanc_binary, write_config
from .server import Server, stop

FILES = ["CT_small.dcm", "MR_small.dcm", "JPEG2000.dcm", "SC_rgb_rle_2frame.dcm"]
PATHS = {name: PYDICOM_DATA / "test_files" / name for name in FILES}
KEY = "orthanc-key"
KEYED = {"x-api-key": KEY}


def _need(found: str | None, what: str) -> str:
    if found is None:
        if os.environ.get("CI"):
            pytest.fail(f"CI must install {what} (see .ci/run)")
        pytest.skip(f"{what} is not installed; CI runs this test")
    return found


@pytest.fixture
def service(tmp_path: Path) -> Iterator[Server]:
    running = Server(tmp_path / "data", DICOMCORE_API_KEY=KEY)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def orthanc(tmp_path: Path, service: Server) -> Iterator[str]:
    """Orthanc with the DICOMweb plugin, the service as its server "dicomcore"."""
    binary = _need(orthanc_binary(), "Debian's orthanc package")
    plugin = _need(dicomweb_plugin(), "Debian's orthanc-dicomweb package")
    home = tmp_path / "orthanc"
    home.mkdir()
    port = free_port()
    write_config(home, port, plugins=(plugin,), extra={"DicomWeb": {
        "Enable": True, "Root": "/dicom-web/",
        "Servers": {"dicomcore": {"Url": service.url + "/dicomweb/",
                                  "HttpHeaders": {"X-API-Key": KEY}}}}})
    log = home / "orthanc.log"
    with open(log, "wb") as out:
        process = subprocess.Popen([binary, "--no-jobs", str(home / "config.json")], cwd=home,
                                   stdin=subprocess.DEVNULL, stdout=out,
                                   stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("Orthanc did not start:\n" + log.read_text(errors="replace"))
            try:
                if httpx.get(url + "/system", timeout=1, trust_env=False).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        yield url
    finally:
        stop(process)


def _value(item: dict, tag: str) -> str:
    """A value of Orthanc's rendering of a QIDO-RS answer (it flattens one value to text)."""
    value = item[tag]["Value"]
    return value if isinstance(value, str) else value[0]


def _store_in_service(service: Server) -> None:
    with httpx.Client(timeout=30, trust_env=False, headers=KEYED) as http:
        for path in PATHS.values():
            answer = http.post(service.url + "/v1/instances", content=path.read_bytes(),
                               headers={"content-type": "application/dicom"})
            assert answer.status_code == 201, answer.text


def test_orthanc_searches_and_retrieves(orthanc: str, service: Server) -> None:
    _store_in_service(service)
    ct = pydicom.dcmread(PATHS["CT_small.dcm"])
    remote = f"{orthanc}/dicom-web/servers/dicomcore"
    with httpx.Client(timeout=60, trust_env=False) as http:
        studies = http.post(remote + "/qido", json={"Uri": "/studies"})
        assert studies.status_code == 200, studies.text
        assert {_value(s, "0020000D") for s in studies.json()} == {
            pydicom.dcmread(p).StudyInstanceUID for p in PATHS.values()}
        found = http.post(remote + "/qido", json={
            "Uri": "/studies", "Arguments": {"PatientName": "CompressedSamples^C*",
                                             "StudyDate": "20040101-20040131"}}).json()
        assert [_value(s, "0020000D") for s in found] == [ct.StudyInstanceUID]
        series = http.post(remote + "/qido", json={
            "Uri": f"/studies/{ct.StudyInstanceUID}/series"}).json()
        assert [_value(s, "0020000E") for s in series] == [ct.SeriesInstanceUID]
        assert _value(series[0], "00081190").endswith(f"/series/{ct.SeriesInstanceUID}")

        resources = [{"Study": pydicom.dcmread(p).StudyInstanceUID} for p in PATHS.values()]
        retrieved = http.post(remote + "/retrieve", json={"Resources": resources})
        assert retrieved.status_code == 200, retrieved.text
        arrived = http.get(orthanc + "/instances").json()
        assert len(arrived) == len(FILES)
        for orthanc_id in arrived:
            tags = http.get(f"{orthanc}/instances/{orthanc_id}/tags?simplify").json()
            name = next(n for n, p in PATHS.items()
                        if pydicom.dcmread(p).SOPInstanceUID == tags["SOPInstanceUID"])
            sent = http.get(f"{orthanc}/instances/{orthanc_id}/file").content
            assert sent == PATHS[name].read_bytes(), name  # Orthanc asks transfer-syntax=*


def test_orthanc_stores_into_the_service(orthanc: str, service: Server) -> None:
    with httpx.Client(timeout=60, trust_env=False) as http:
        ids = []
        for path in PATHS.values():
            answer = http.post(orthanc + "/instances", content=path.read_bytes(),
                               headers={"content-type": "application/dicom"})
            assert answer.status_code == 200, answer.text
            ids.append(answer.json()["ID"])
        sent = http.post(f"{orthanc}/dicom-web/servers/dicomcore/stow",
                         json={"Resources": ids})
        assert sent.status_code == 200, sent.text
        assert http.get(service.url + "/dicomweb/studies").status_code == 401  # keyed
        listed = http.get(service.url + "/v1/instances", headers=KEYED).json()
        assert {i["sop_instance_uid"] for i in listed["items"]} == {
            pydicom.dcmread(p).SOPInstanceUID for p in PATHS.values()}
        for item in listed["items"]:
            name = next(n for n, p in PATHS.items()
                        if pydicom.dcmread(p).SOPInstanceUID == item["sop_instance_uid"])
            stored = http.get(f"{service.url}/v1/instances/{item['id']}/file",
                              headers=KEYED).content
            assert stored == PATHS[name].read_bytes(), name
