"""Two replicas, one service: two real `python -m app` processes (different ports, different
local directories, as on two machines) over one PostgreSQL index and one S3 bucket (moto).

What one stores the other lists and serves byte for byte; concurrent appends through both lose
no update; an If-Match race across them has one winner; a replica killed with SIGKILL in the
middle of PATCHes leaves the instance readable, old or new, with a matching ETag, everywhere.
"""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from dicomcore import dcmread

from .server import Server
from .services import S3_ENV
from .test_instances import RAW, with_uids


@pytest.fixture
def replicas(tmp_path: Path, postgres_url: str, s3_settings: dict[str, str]
             ) -> Iterator[list[Server]]:
    env = {"DICOMCORE_STORAGE_URL": s3_settings["storage_url"],
           "DICOMCORE_S3_ENDPOINT_URL": s3_settings["s3_endpoint_url"],
           "DICOMCORE_INDEX_URL": postgres_url, **S3_ENV}
    servers: list[Server] = []
    try:
        for name in ("a", "b"):
            (tmp_path / name).mkdir()
            servers.append(Server(tmp_path / name / "data", **env))
        yield servers
    finally:
        for server in servers:
            server.stop()


def test_one_service(replicas: list[Server], ct_bytes: bytes) -> None:
    a, b = replicas
    stored = httpx.post(a.url + "/v1/instances", content=ct_bytes, headers=RAW, timeout=30)
    assert stored.status_code == 201
    instance_id = stored.json()["id"]
    listed = httpx.get(b.url + "/v1/instances", params={"SOPInstanceUID":
                                                        stored.json()["sop_instance_uid"]})
    assert [i["id"] for i in listed.json()["items"]] == [instance_id]
    served = httpx.get(f"{b.url}/v1/instances/{instance_id}/file", timeout=30)
    assert served.content == ct_bytes and served.headers["etag"] == stored.headers["etag"]
    again = httpx.post(b.url + "/v1/instances", content=ct_bytes, headers=RAW, timeout=30)
    assert again.status_code == 200 and again.json()["id"] == instance_id
    assert httpx.delete(f"{a.url}/v1/instances/{instance_id}").status_code == 204
    assert httpx.get(f"{b.url}/v1/instances/{instance_id}").status_code == 404


def test_concurrent_appends_and_if_match_race(replicas: list[Server], ct_bytes: bytes) -> None:
    a, b = replicas
    stored = httpx.post(a.url + "/v1/instances", content=with_uids(ct_bytes, "1.2.77"),
                        headers=RAW, timeout=30).json()
    path = f"/v1/instances/{stored['id']}"
    errors: list[str] = []

    def append(server: Server, worker: int) -> None:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            for n in range(5):
                response = client.patch(path, json=[{
                    "op": "append", "path": "OtherPatientIDsSequence",
                    "value": {"PatientID": f"{server.port}-{worker}-{n}"}}])
                if response.status_code != 200:
                    errors.append(response.text)

    threads = [threading.Thread(target=append, args=(server, worker))
               for server in (a, b) for worker in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    model = httpx.get(b.url + path, params={"format": "simple"}).json()
    ids = sorted(item["PatientID"] for item in model["OtherPatientIDsSequence"]
                 if "-" in item["PatientID"])  # CT_small has two items of its own
    assert ids == sorted(f"{s.port}-{w}-{n}" for s in (a, b) for w in range(2)
                         for n in range(5))

    etag = httpx.get(a.url + path).headers["etag"]
    barrier = threading.Barrier(2)
    statuses: list[int] = []

    def conditional(server: Server) -> None:
        barrier.wait()
        statuses.append(httpx.patch(server.url + path, timeout=30, headers={"if-match": etag},
                                    json=[{"op": "set", "path": "PatientID",
                                           "value": str(server.port)}]).status_code)

    racers = [threading.Thread(target=conditional, args=(s,)) for s in (a, b)]
    for thread in racers:
        thread.start()
    for thread in racers:
        thread.join()
    assert sorted(statuses) == [200, 412]


def test_sigkill_mid_patch_leaves_a_readable_instance(replicas: list[Server],
                                                      ct_bytes: bytes, tmp_path: Path) -> None:
    a, b = replicas
    stored = httpx.post(a.url + "/v1/instances", content=with_uids(ct_bytes, "1.2.78"),
                        headers=RAW, timeout=30).json()
    path = f"/v1/instances/{stored['id']}"
    done: list[int] = []
    stop = threading.Event()

    def patch_until_killed() -> None:
        with httpx.Client(base_url=a.url, timeout=30) as client:
            for n in range(500):
                if stop.is_set():
                    return
                try:
                    client.patch(path, json=[{"op": "set", "path": "PatientID",
                                              "value": f"v{n}"}])
                    done.append(n)
                except httpx.HTTPError:
                    return  # the replica is gone

    writers = [threading.Thread(target=patch_until_killed) for _ in range(2)]
    for thread in writers:
        thread.start()
    for _ in range(200):  # bounded: until a few PATCHes went through
        if len(done) >= 6:
            break
        threading.Event().wait(0.05)
    a.process.send_signal(signal.SIGKILL)
    a.process.wait(timeout=10)
    stop.set()
    for thread in writers:
        thread.join(timeout=30)
    assert len(done) >= 6
    model = httpx.get(b.url + path, params={"format": "simple"})
    assert model.status_code == 200 and model.json()["PatientID"].startswith("v")
    download = httpx.get(b.url + path + "/file", timeout=30)
    assert download.status_code == 200 and download.headers["etag"] == model.headers["etag"]
    (tmp_path / "served.dcm").write_bytes(download.content)
    assert str(dcmread(tmp_path / "served.dcm").PatientID) == model.json()["PatientID"]
    patched = httpx.patch(b.url + path, json=[{"op": "set", "path": "PatientID",
                                               "value": "after"}],
                          headers={"if-match": model.headers["etag"]}, timeout=30)
    assert patched.status_code == 200
