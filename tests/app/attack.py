"""The full-size attacks of issue 12 against a real 2-worker `python -m app` on loopback.

    python -m tests.app.attack [--only NAME ...]      (`make attack`)

Each attack runs against a fresh server with the default settings (a few are named with
the setting they lower), while a prober in a process of its own (tests/app/probe.py) asks
`/healthz` every 50 ms on a new connection, from before the attack builds its input to its
end. Printed per attack: the statuses seen, worker peak RSS (VmHWM of the largest worker,
reset before the attack), time, `/healthz` latency (p50, p99, max, each probe over 100 ms
with when it started, and failures; and apart, the probes that started while the attack's
requests ran, its input built), and the files left behind in the scratch space, the store's parts and the system's temp dir. The
figures are measured, not asserted: `tests/app/test_hardening*.py` assert the behaviour on
small inputs in `make test`. Every loop is bounded in count and time; only processes this
script started are stopped, by their pid.

The attacking client runs at a lower CPU priority than the server and the prober (nice
+`ATTACKER_NICE`, its threads only: the server and the prober are started from a thread at
the script's own priority). A real attacker runs on another machine; here all three share
two cores, and the client's own work (building a 1 GiB bomb, opening 2,200 sockets in a
loop) took the CPU the server needed to answer, which the probes counted as the server's
latency. The output's first line says so.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.scratch import leftovers as scratch_leftovers  # noqa: E402
from tests.app.attack_inputs import (  # noqa: E402
    deflate_bomb,
    element_flood,
    wide_sequence,
)
from tests.app.probe import Prober  # noqa: E402
from tests.app.server import Server  # noqa: E402

RAW = {"content-type": "application/dicom"}
GiB = 1 << 30
ATTACKER_NICE = 10


@dataclass
class Outcome:
    statuses: Counter[str] = field(default_factory=Counter)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0  # the attack's requests only, not the building of its inputs
    windows: list[tuple[float, float]] = field(default_factory=list)  # when they ran

    def saw(self, status: int | str) -> None:
        self.statuses[str(status)] += 1

    @contextmanager
    def clock(self) -> Iterator[None]:
        started = time.perf_counter()
        began = time.monotonic()
        try:
            yield
        finally:
            self.seconds += time.perf_counter() - started
            self.windows.append((began, time.monotonic()))


def workers_of(server: Server) -> list[int]:
    path = Path(f"/proc/{server.process.pid}/task/{server.process.pid}/children")
    try:
        return [int(p) for p in path.read_text().split()]
    except OSError:
        return []


def reset_peaks(pids: list[int]) -> None:
    for pid in pids:
        try:
            Path(f"/proc/{pid}/clear_refs").write_text("5")  # resets VmHWM (Linux, as root)
        except OSError:
            pass


def peak_mib(pids: list[int]) -> float:
    peaks = [0.0]
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        except OSError:
            continue
    return max(peaks)


def loadavg() -> str:
    try:
        return Path("/proc/loadavg").read_text()
    except OSError:
        return "unknown"


def left_behind(storage: Path, temp: Path) -> list[str]:
    """Files in the scratch space, parts in the store, and files in the server's own TMPDIR
    (the system temp dir of its processes: nothing should ever land there)."""
    scratch = [p.name for p in scratch_leftovers(storage / "tmp")]
    parts = [p.name for p in (storage / "instances").glob("*.part")] \
        if (storage / "instances").exists() else []
    return scratch + parts + [f"TMPDIR/{p.name}" for p in temp.iterdir()]


# the attacks -------------------------------------------------------------------------------

def bomb_json(url: str, outcome: Outcome, size: int) -> None:
    body = deflate_bomb(size)
    outcome.notes.append(f"{len(body) / 1e6:.1f} MB sent, {size / GiB:.2f} GiB inflated")
    with outcome.clock():
        response = httpx.post(url + "/v1/json", content=body, headers=RAW, timeout=600)
    outcome.saw(response.status_code)


def bomb_stored(url: str, outcome: Outcome) -> None:
    body = deflate_bomb(GiB)
    with outcome.clock():
        stored = httpx.post(url + "/v1/instances", content=body, headers=RAW, timeout=600)
    outcome.saw(stored.status_code)
    if stored.status_code not in (200, 201):
        return
    location = stored.headers["location"]
    threads = []
    for path in ("", "", "", "/bulk/00100010", "/file?write_like_original=false"):
        def get(target: str = location + path) -> None:
            outcome.saw(httpx.get(target, timeout=600).status_code)
        threads.append(threading.Thread(target=get))
    started = time.perf_counter()
    with outcome.clock():
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(600)
    outcome.notes.append(f"3 GETs + bulk + rewrite at once: {time.perf_counter() - started:.1f} s")
    with outcome.clock():
        patched = httpx.patch(location, json=[{"op": "set", "path": "PatientID",
                                               "value": "X"}], timeout=600)
    outcome.saw(patched.status_code)


def flood(url: str, outcome: Outcome, count: int, deflated: bool) -> None:
    body = element_flood(count, deflated=deflated)
    outcome.notes.append(f"{count:,} elements, {len(body) / 1e6:.1f} MB sent")
    with outcome.clock():
        response = httpx.post(url + "/v1/json", content=body, headers=RAW, timeout=600)
    outcome.saw(response.status_code)


def wildcard(url: str, outcome: Outcome) -> None:
    stored = httpx.post(url + "/v1/instances", content=wide_sequence(100_000), headers=RAW,
                        timeout=120)
    outcome.saw(stored.status_code)
    location = stored.headers["location"]
    patch = [{"op": "set", "path": "ReferencedImageSequence[*].ReferencedSOPInstanceUID",
              "value": f"1.2.{i}"} for i in range(150)]
    outcome.notes.append(f"patch of {len(json.dumps(patch)) / 1e3:.1f} KB, 150 ops over 100k "
                         f"items")
    one_op = [{"op": "set", "path": "PatientID", "value": "1"}]
    started = time.perf_counter()
    outcome.saw(httpx.patch(location, json=one_op, timeout=600).status_code)
    outcome.notes.append(f"a one-op PATCH alone: {time.perf_counter() - started:.2f} s")
    started = time.perf_counter()
    with outcome.clock():
        response = httpx.patch(location, json=patch, timeout=600)
    outcome.saw(response.status_code)
    outcome.notes.append(f"answered in {time.perf_counter() - started:.1f} s")
    # The same patch from a client that hangs up after 1 s, then a one-op PATCH.
    try:
        httpx.patch(location, json=patch, timeout=1)
    except httpx.TimeoutException:
        pass
    started = time.perf_counter()
    small = httpx.patch(location, json=one_op, timeout=600)
    outcome.saw(small.status_code)
    outcome.notes.append(f"one-op PATCH after a hang-up waited "
                         f"{time.perf_counter() - started:.2f} s")


def slowloris(url: str, outcome: Outcome, port: int, count: int = 2200,
              seconds: float = 20.0) -> None:
    socks = []
    started = time.monotonic()
    for _ in range(count):
        try:
            sock = socket.create_connection(("127.0.0.1", port), timeout=5)
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-a: ")
            socks.append(sock)
        except OSError as exc:
            outcome.saw(type(exc).__name__)
    outcome.notes.append(f"{len(socks)} half-sent requests opened in "
                         f"{time.monotonic() - started:.1f} s")
    deadline = started + seconds
    while time.monotonic() < deadline:  # trickle a header byte now and then, as slowloris
        for sock in socks[:200]:
            try:
                sock.sendall(b"a")
            except OSError:
                pass
        time.sleep(1.0)
    closed = 0
    for sock in socks:
        sock.settimeout(0.001)
        try:
            closed += sock.recv(1) == b""
        except (TimeoutError, BlockingIOError):
            pass
        except OSError:
            closed += 1
        sock.close()
    outcome.saw(f"{closed} closed by the server")


def trickle(url: str, outcome: Outcome, port: int, count: int = 300,
            seconds: float = 35.0) -> None:
    socks = []
    for _ in range(count):
        sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        sock.sendall(b"POST /v1/json HTTP/1.1\r\nHost: x\r\nContent-Type: application/dicom"
                     b"\r\nContent-Length: 100000000\r\n\r\n")
        socks.append(sock)
    deadline = time.monotonic() + seconds
    dropped = set()
    while time.monotonic() < deadline and len(dropped) < count:
        for index, sock in enumerate(socks):
            if index in dropped:
                continue
            try:
                sock.sendall(b"\0" * 10)  # 10 bytes a second
            except OSError:
                dropped.add(index)
        time.sleep(1.0)
    for index, sock in enumerate(socks):
        sock.settimeout(0.001)
        try:
            if sock.recv(1) == b"":
                dropped.add(index)
        except (TimeoutError, BlockingIOError):
            pass
        except OSError:
            dropped.add(index)
        sock.close()
    outcome.saw(f"{len(dropped)} of {count} dropped by the server within {seconds:g} s")


def huge_range(url: str, outcome: Outcome) -> None:
    stored = httpx.post(url + "/v1/instances", content=wide_sequence(2), headers=RAW)
    bulk = stored.headers["location"] + "/bulk/00100010"
    for header in (f"bytes={'9' * 5000}-", f"bytes=0-{'9' * 5000}"):
        outcome.saw(httpx.get(bulk, headers={"Range": header}).status_code)


def invalid_patch(url: str, outcome: Outcome) -> None:
    stored = httpx.post(url + "/v1/instances", content=wide_sequence(2), headers=RAW)
    value = "Müller^Jürgen" * 60
    patch = [{"op": "set", "path": "StudyDate", "value": value}] * 9_000
    body = json.dumps(patch).encode()
    with outcome.clock():
        response = httpx.patch(stored.headers["location"], content=body,
                               headers={"content-type": "application/json"}, timeout=120)
    outcome.saw(response.status_code)
    outcome.notes.append(f"{len(body) / 1e6:.1f} MB patch -> {len(response.content) / 1e3:.1f} "
                         f"KB answer, patient data in it: {'ller' in response.text}")


def fill(directory: Path) -> None:
    """Write zeros into `directory` until its file system is full."""
    with open(directory / "filler", "wb") as out:
        try:
            for _ in range(1 << 16):  # bounded: 64 GiB at most
                out.write(bytes(1 << 20))
                out.flush()
        except OSError:
            pass


def disk_full(url: str, outcome: Outcome, storage: Path) -> None:
    """On a full disk: reads of a stored instance go on, writes are 507, nothing is left."""
    stored = httpx.post(url + "/v1/instances", content=wide_sequence(1000), headers=RAW)
    outcome.saw(stored.status_code)
    location = stored.headers["location"]
    fill(storage)
    with outcome.clock():
        for path in ("", "/file", "/bulk/00100010", "/file?write_like_original=false"):
            outcome.saw(f"GET {path or '(json)'} {httpx.get(location + path).status_code}")
        patch = [{"op": "set", "path": "PatientID", "value": "Z"}]
        outcome.saw(f"PATCH {httpx.patch(location, json=patch).status_code}")
        for route, body in (("/v1/instances", wide_sequence(30_000, "1.2.3.9")),
                            ("/v1/json", wide_sequence(200_000, "1.2.3.8")),
                            ("/v1/json", deflate_bomb(64 << 20, "1.2.3.7"))):
            status = httpx.post(url + route, content=body, headers=RAW, timeout=60).status_code
            outcome.saw(f"POST {route} {status}")
    (storage / "filler").unlink()
    patched = httpx.patch(location, json=patch)
    outcome.notes.append(f"after the filler is removed, the PATCH gets {patched.status_code}")


def idle(url: str, outcome: Outcome, seconds: float = 20.0) -> None:
    """No attack: the control, `/healthz` of an idle server at the machine's present load."""
    with outcome.clock():
        time.sleep(seconds)
    outcome.saw("nothing sent")


ATTACKS: dict[str, Callable[[str, Outcome, int], None]] = {
    "none: an idle server for 20 s (the control)": lambda u, o, p: idle(u, o),
    "deflate bomb 1 GiB -> /v1/json": lambda u, o, p: bomb_json(u, o, GiB),
    "deflate bomb 4.2 GiB -> /v1/json": lambda u, o, p: bomb_json(u, o, 4200 << 20),
    "stored 1 GiB bomb, 5 reads at once + PATCH": lambda u, o, p: bomb_stored(u, o),
    "1,000,000 tiny elements -> /v1/json": lambda u, o, p: flood(u, o, 1_000_000, False),
    "1,000,000 elements deflated -> /v1/json": lambda u, o, p: flood(u, o, 1_000_000, True),
    "249,990 tiny elements -> /v1/json": lambda u, o, p: flood(u, o, 249_990, False),
    "wildcard patch over 100k items": lambda u, o, p: wildcard(u, o),
    "slowloris: 2,200 half-sent requests": lambda u, o, p: slowloris(u, o, p),
    "trickled bodies: 300 x 10 B/s": lambda u, o, p: trickle(u, o, p),
    "Range of 5,000 digits": lambda u, o, p: huge_range(u, o),
    "invalid patch of 14 MB": lambda u, o, p: invalid_patch(u, o),
}


DISK_FULL = "disk full (a 24 MiB tmpfs)"


def run(name: str, attack: Callable[[str, Outcome, int], None], base: Path) -> None:
    storage = base / f"attack-{abs(hash(name))}" / "data"
    storage.mkdir(parents=True)
    if name == DISK_FULL:
        mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=24m", "tmpfs",
                                  str(storage)], capture_output=True, text=True)
        if mounted.returncode != 0:
            print(f"\n## {name}\nskipped: cannot mount a small tmpfs here "
                  f"({mounted.stderr.strip() or mounted.returncode})")
            return
        try:  # the data directory is the small file system; the server's log is beside it
            _run(name, lambda u, o, p: disk_full(u, o, storage), storage)
        finally:
            subprocess.run(["umount", str(storage)], check=False)
        return
    _run(name, attack, storage)


def run_as_attacker(attack: Callable[[], None], outcome: Outcome) -> None:
    """Run `attack` in a thread of its own at nice +ATTACKER_NICE (Linux: the nice value is
    per thread, and the threads it starts inherit it); this thread keeps its priority for
    the next server and prober."""
    def attacker() -> None:
        try:
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(),
                           os.getpriority(os.PRIO_PROCESS, 0) + ATTACKER_NICE)
        except (OSError, AttributeError):
            pass
        try:
            attack()
        except Exception as exc:  # noqa: BLE001 - an attack that broke is a figure too
            outcome.saw(f"client error {type(exc).__name__}")

    thread = threading.Thread(target=attacker, name="attacker")
    thread.start()
    thread.join()


def _run(name: str, attack: Callable[[str, Outcome, int], None], storage: Path) -> None:
    temp = storage.parent.parent / f"tmpdir-{abs(hash(name))}"
    temp.mkdir()
    server = Server(storage, workers=2, TMPDIR=str(temp))
    try:
        pids = workers_of(server)
        time.sleep(0.5)
        reset_peaks(pids)
        prober = Prober(server.port)
        outcome = Outcome()
        started = time.perf_counter()
        run_as_attacker(lambda: attack(server.url, outcome, server.port), outcome)
        elapsed = outcome.seconds or time.perf_counter() - started
        probes = prober.stop()
        peak = peak_mib(pids)
        alive = all(Path(f"/proc/{pid}").exists() for pid in pids)
    finally:
        server.stop()
    log = server.log.read_text(errors="replace")
    print(f"\n## {name}")
    print(f"status:   {dict(outcome.statuses)}")
    for note in outcome.notes:
        print(f"          {note}")
    print(f"rss:      worker peak {peak:.0f} MiB; workers alive after: {alive}")
    print(f"time:     {elapsed:.1f} s")
    print(f"/healthz: {len(probes.latencies)} probes, p50 {probes.percentile_ms(0.5):.0f} ms, "
          f"p99 {probes.percentile_ms(0.99):.0f} ms, max {probes.percentile_ms(1.0):.0f} ms, "
          f"{len(probes.over(0.1))} over 100 ms, {probes.failures} failed")
    if probes.latencies:
        slowest = max(range(len(probes.latencies)), key=probes.latencies.__getitem__)
        print(f"          slowest: {probes.latencies[slowest] * 1000:.0f} ms at "
              f"{probes.starts[slowest]:.1f} s")
    if probes.over(0.1):
        print("          over 100 ms: " + ", ".join(
            f"{latency * 1000:.0f} ms at {start:.1f} s" for start, latency in probes.over(0.1)))
    # an attack that builds no input (slowloris, trickle) is its requests from the start
    during = probes.within(outcome.windows) if outcome.windows else probes
    print(f"          during the requests: {len(during.latencies)} probes, max "
          f"{during.percentile_ms(1.0):.0f} ms, {len(during.over(0.1))} over 100 ms")
    print(f"load:     {' '.join(loadavg().split()[:3])} (1, 5, 15 min averages, at its end)")
    print(f"left:     {left_behind(storage, temp) or 'nothing'}; log: "
          f"{len(log.splitlines())} lines, {log.count('Traceback')} tracebacks")
    sys.stdout.flush()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="run the attacks whose name contains these")
    args = parser.parse_args()
    print(f"# make attack: {os.cpu_count()} cores, Python {sys.version.split()[0]}, "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; the attacking client at "
          f"nice +{ATTACKER_NICE}, the server and the /healthz prober at normal priority")
    with tempfile.TemporaryDirectory(prefix="dicomcore-attack-", dir=ROOT / ".attack"
                                     if (ROOT / ".attack").is_dir() else None) as base:
        for name, attack in ATTACKS.items():
            if args.only and not any(word in name for word in args.only):
                continue
            run(name, attack, Path(base))
        if not args.only or any(word in DISK_FULL for word in args.only):
            run(DISK_FULL, disk_full, Path(base))  # type: ignore[arg-type]
    return 0


if __name__ == "__main__":
    io.DEFAULT_BUFFER_SIZE = 1 << 16
    sys.exit(main())
