"""The load client of benchmarks/service.py, run as its own process.

    python benchmarks/load.py URL KIND FILE CONCURRENCY MAX_REQUESTS MAX_SECONDS

KIND is json or patch (dicomcore and the FastAPI + pydicom baseline: multipart upload to
/v1/json or /v1/patch), or orthanc-json / orthanc-patch (POST /instances, then GET
/instances/{id}/tags?simplify or POST /instances/{id}/modify). Prints one JSON line:
requests (successful ones), errors, requests/s and p50/p99 latency in ms of the successful
requests, and the client's own CPU seconds. Bounded by count and time.

The client speaks HTTP/1.1 over keep-alive connections itself, with each request body built
once: a general-purpose client (httpx) spent as much CPU per request as the servers it
measured, and on a small machine that CPU is taken from the servers and shows up in their
latency.
"""

from __future__ import annotations

import asyncio
import json
import socket
import statistics
import sys
import time
import uuid
from urllib.parse import urlsplit

PATCH = json.dumps([{"op": "set", "path": "PatientName", "value": "Bench^Mark"}])
MODIFY = json.dumps({"Replace": {"PatientName": "Bench^Mark"}, "Force": True})


class Failed(Exception):
    pass


def request(method: str, target: str, host: str, body: bytes = b"",
            content_type: str | None = None) -> bytes:
    head = f"{method} {target} HTTP/1.1\r\nHost: {host}\r\n"
    if content_type is not None:
        head += f"Content-Type: {content_type}\r\n"
    if body or method == "POST":
        head += f"Content-Length: {len(body)}\r\n"
    return (head + "\r\n").encode("latin-1") + body


def multipart(data: bytes, fields: dict[str, str]) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
             f'filename="f.dcm"\r\nContent-Type: application/dicom\r\n\r\n'.encode() + data]
    for name, value in fields.items():
        parts.append(f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
                     f'{value}'.encode())
    body = b"\r\n".join(parts) + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


class Connection:
    """One keep-alive connection, closed when the server says it closes it and opened again
    for the next request. Response bodies are received into one reused buffer."""

    def __init__(self, host: str, port: int) -> None:
        self.address = (host, port)
        self.sock: socket.socket | None = None
        self.buffer = bytearray(1 << 16)
        self.pending = b""  # bytes received past the end of what was asked for

    async def exchange(self, payload: bytes) -> tuple[int, bytes]:
        """Status and body of the response to one request (Content-Length or chunked; a
        large body is received but not returned)."""
        loop = asyncio.get_running_loop()
        if self.sock is None:
            sock = socket.socket()
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            try:
                await loop.sock_connect(sock, self.address)
            except BaseException:
                sock.close()
                raise
            self.sock = sock
        await loop.sock_sendall(self.sock, payload)
        lines = (await self.until(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        version, status_text = lines[0].split(" ", 2)[:2]
        status = int(status_text)
        headers = {}
        for line in lines[1:]:
            if ":" in line:
                name, value = line.split(":", 1)
                headers[name.strip().lower()] = value.strip()
        if status in (204, 304):
            body = b""
        elif "content-length" in headers:
            # A large body is received and dropped: only Orthanc's small JSON is read.
            view = await self.exactly(int(headers["content-length"]))
            body = bytes(view) if len(view) < 1 << 16 else b""
        elif headers.get("transfer-encoding", "").lower() == "chunked":
            parts = []
            while size := int((await self.until(b"\r\n")).split(b";")[0], 16):
                parts.append(bytes(await self.exactly(size + 2))[:-2])
            while await self.until(b"\r\n"):
                pass  # trailer fields, up to the empty line
            body = b"".join(parts)
        else:
            raise Failed("response without a length")
        tokens = {token.strip() for token in headers.get("connection", "").lower().split(",")}
        if "close" in tokens or (version == "HTTP/1.0" and "keep-alive" not in tokens):
            self.close()
        return status, body

    async def until(self, marker: bytes) -> bytes:
        data = self.pending
        while (end := data.find(marker)) < 0:
            data += await self.receive()
        self.pending = data[end + len(marker):]
        return data[:end]

    async def exactly(self, size: int) -> memoryview:
        if len(self.buffer) < size:
            self.buffer = bytearray(size)
        view = memoryview(self.buffer)
        got = min(size, len(self.pending))
        view[:got] = self.pending[:got]
        self.pending = self.pending[got:]
        loop = asyncio.get_running_loop()
        while got < size:
            count = await loop.sock_recv_into(self.sock, view[got:size])  # type: ignore[arg-type]
            if not count:
                raise Failed("connection closed mid-response")
            got += count
        return view[:size]

    async def receive(self) -> bytes:
        chunk = await asyncio.get_running_loop().sock_recv(self.sock, 1 << 16)  # type: ignore[arg-type]
        if not chunk:
            raise Failed("connection closed")
        return chunk

    def close(self) -> None:
        if self.sock is not None:
            self.sock.close()
            self.sock = None
        self.pending = b""


async def one(connection: Connection, kind: str, host: str, prepared: bytes) -> bool:
    status, body = await connection.exchange(prepared)
    if kind in ("json", "patch"):
        return status == 200
    if status != 200:
        return False
    instance = json.loads(body)["ID"]
    if kind == "orthanc-json":
        status, _ = await connection.exchange(request(
            "GET", f"/instances/{instance}/tags?simplify", host))
    else:
        status, _ = await connection.exchange(request(
            "POST", f"/instances/{instance}/modify", host, MODIFY.encode(), "application/json"))
    return status == 200


def prepare(kind: str, host: str, data: bytes) -> bytes:
    if kind == "json":
        return request("POST", "/v1/json", host, *multipart(data, {}))
    if kind == "patch":
        return request("POST", "/v1/patch", host, *multipart(data, {"patch": PATCH}))
    return request("POST", "/instances", host, data, "application/dicom")


async def run(url: str, kind: str, path: str, concurrency: int, limit: int,
              seconds: float) -> dict[str, float]:
    with open(path, "rb") as fp:
        data = fp.read()
    parts = urlsplit(url)
    host = parts.netloc
    prepared = prepare(kind, host, data)
    latencies: list[float] = []
    errors = 0
    started_count = 0
    cpu = time.process_time()

    async def worker() -> None:
        nonlocal errors, started_count
        connection = Connection(parts.hostname or "127.0.0.1", parts.port or 80)
        try:
            while started_count < limit and time.perf_counter() < deadline:
                started_count += 1
                begin = time.perf_counter()
                try:
                    ok = await asyncio.wait_for(one(connection, kind, host, prepared), 300)
                except Exception:  # noqa: BLE001 - any failure is one error, the run goes on
                    ok = False
                    connection.close()
                if ok:
                    latencies.append(time.perf_counter() - begin)
                else:
                    errors += 1
        finally:
            connection.close()

    begin_all = time.perf_counter()
    deadline = begin_all + seconds
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    elapsed = time.perf_counter() - begin_all
    ordered = sorted(latencies) or [float("nan")]
    return {"requests": len(latencies), "errors": errors, "rps": len(latencies) / elapsed,
            "p50_ms": statistics.median(ordered) * 1000,
            "p99_ms": ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000,
            "client_cpu_s": time.process_time() - cpu}


def main() -> None:
    url, kind, path, concurrency, limit, seconds = sys.argv[1:7]
    result = asyncio.run(run(url, kind, path, int(concurrency), int(limit), float(seconds)))
    print(json.dumps(result))


if __name__ == "__main__":
    main()
