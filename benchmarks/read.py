"""Read benchmark: dicomcore against pydicom on the pydicom corpus, and a 1 GiB file.

Reads every readable corpus file, touching every value at every depth, with each library in
turn in one process (alternating rounds, so neither gets a warmer cache), and prints the
median time per round and the ratio. Then, in fresh processes, it measures a 1 GiB
multi-frame file read with stop_before_pixels and with defer_size="1 MB": time, bytes read
and peak RSS.

Run with `make bench` (or `python benchmarks/read.py [rounds]`).
"""

from __future__ import annotations

import json
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from functools import partial
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import pydicom  # noqa: E402

import dicomcore  # noqa: E402
from tests.bigfile import write_multiframe  # noqa: E402
from tests.corpus import READABLE, pydicom_outcome  # noqa: E402


def _touch_all(read: object, path: Path) -> int:
    """Read with `read` (dcmread of either library) and decode every value."""
    ds = read(path)  # type: ignore[operator]
    count = 0
    for elem in ds.iterall():
        elem.value  # noqa: B018
        count += 1
    for elem in ds.file_meta:
        elem.value  # noqa: B018
    return count


def corpus_benchmark(rounds: int) -> dict[str, float]:
    files = [p for p in READABLE if pydicom_outcome(p) == "read"]
    data_bytes = sum(p.stat().st_size for p in files)
    times: dict[str, list[float]] = {"pydicom": [], "dicomcore": []}
    readers = {"pydicom": partial(_touch_all, pydicom.dcmread),
               "dicomcore": partial(_touch_all, dicomcore.dcmread)}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for reader in readers.values():  # warm-up: imports, caches, page cache
            for path in files:
                reader(path)
        for _ in range(rounds):
            for name, reader in readers.items():
                start = time.perf_counter()
                for path in files:
                    reader(path)
                times[name].append(time.perf_counter() - start)
    med = {name: statistics.median(t) for name, t in times.items()}
    print(f"corpus: {len(files)} files, {data_bytes / 1e6:.1f} MB, {rounds} rounds, "
          "every value decoded")
    for name in ("pydicom", "dicomcore"):
        print(f"  {name:<10} median {med[name] * 1000:8.1f} ms/round")
    ratio = med["dicomcore"] / med["pydicom"]
    print(f"  ratio dicomcore/pydicom: {ratio:.2f} (target <= 0.50)")
    return {"ratio": ratio, **med}


_BIG_SCRIPT = r"""
import json, resource, sys, time
import dicomcore
def peak_mb():
    # VmHWM starts afresh at exec; ru_maxrss would include the parent's peak.
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
mode = sys.argv[2]
class Counting:
    def __init__(self, fp): self.fp, self.n = fp, 0
    def read(self, n=-1):
        data = self.fp.read(n); self.n += len(data); return data
    def __getattr__(self, name): return getattr(self.fp, name)
with open(sys.argv[1], "rb") as raw:
    fp = Counting(raw)
    start = time.perf_counter()
    if mode == "stop_before_pixels":
        ds = dicomcore.dcmread(fp, stop_before_pixels=True)
    else:
        ds = dicomcore.dcmread(fp, defer_size="1 MB")
        for elem in ds.iterall():
            if elem.tag != 0x7FE00010:
                elem.value
    elapsed = time.perf_counter() - start
print(json.dumps({"ms": elapsed * 1000, "bytes_read": fp.n, "rss_mb": peak_mb()}))
"""


def big_file_benchmark() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "gib.dcm"
        write_multiframe(path, 1 << 30)
        size = path.stat().st_size
        print(f"1 GiB multi-frame file ({size} bytes):")
        for mode in ("stop_before_pixels", "defer_size=1MB+touch"):
            out = subprocess.run([sys.executable, "-c", _BIG_SCRIPT, str(path), mode],
                                 check=True, capture_output=True, text=True).stdout
            r = json.loads(out)
            print(f"  {mode:<22} {r['ms']:7.2f} ms, {r['bytes_read']:>7} bytes read, "
                  f"peak RSS {r['rss_mb']:.1f} MB")


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    print(f"machine: {platform.machine()}, {platform.processor() or 'cpu'}, "
          f"Python {platform.python_version()}, pydicom {pydicom.__version__}")
    corpus_benchmark(rounds)
    big_file_benchmark()


if __name__ == "__main__":
    main()
