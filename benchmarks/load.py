"""The load client of benchmarks/service.py, run as its own process.

    python benchmarks/load.py URL KIND FILE CONCURRENCY MAX_REQUESTS MAX_SECONDS

KIND is json or patch (dicomcore and the FastAPI + pydicom baseline: multipart upload to
/v1/json or /v1/patch), or orthanc-json / orthanc-patch (POST /instances, then GET
/instances/{id}/tags?simplify or POST /instances/{id}/modify). Prints one JSON line:
requests, errors, requests/s, p50 and p99 latency in ms. Bounded by count and time.
"""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time

import httpx

PATCH = json.dumps([{"op": "set", "path": "PatientName", "value": "Bench^Mark"}])


async def one(client: httpx.AsyncClient, kind: str, data: bytes) -> bool:
    if kind == "json":
        response = await client.post("/v1/json", files={"file": ("f.dcm", data)})
    elif kind == "patch":
        response = await client.post("/v1/patch", files={"file": ("f.dcm", data)},
                                     data={"patch": PATCH})
    else:
        stored = await client.post("/instances", content=data,
                                   headers={"content-type": "application/dicom"})
        if stored.status_code != 200:
            return False
        instance = stored.json()["ID"]
        if kind == "orthanc-json":
            response = await client.get(f"/instances/{instance}/tags", params={"simplify": ""})
        else:
            response = await client.post(f"/instances/{instance}/modify", json={
                "Replace": {"PatientName": "Bench^Mark"}, "Force": True})
    await response.aread()
    return response.status_code == 200


async def run(url: str, kind: str, path: str, concurrency: int, limit: int,
              seconds: float) -> dict[str, float]:
    with open(path, "rb") as fp:
        data = fp.read()
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    started_count = 0
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, timeout=300, limits=limits,
                                 trust_env=False) as client:
        async def worker() -> None:
            nonlocal errors, started_count
            while started_count < limit and time.perf_counter() < deadline:
                started_count += 1
                begin = time.perf_counter()
                try:
                    ok = await one(client, kind, data)
                except httpx.HTTPError:
                    ok = False
                latencies.append(time.perf_counter() - begin)
                errors += not ok

        begin_all = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - begin_all
    ordered = sorted(latencies)
    return {"requests": len(ordered), "errors": errors, "rps": len(ordered) / elapsed,
            "p50_ms": statistics.median(ordered) * 1000,
            "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000}


def main() -> None:
    url, kind, path, concurrency, limit, seconds = sys.argv[1:7]
    result = asyncio.run(run(url, kind, path, int(concurrency), int(limit), float(seconds)))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
