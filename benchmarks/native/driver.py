"""Builds the native benchmark programs and drives their timed rounds.

The programs (`dcmtk_bench.cc`, `gdcm_bench.cc`) are compiled with g++ against Debian's
`libdcmtk-dev` and `libgdcm-dev` on first use and cached under `build/` by a hash of their
sources and the command, so an edit rebuilds and a rerun does not. `gdcm_python.py` runs
under whichever system interpreter imports `gdcm` (Debian's `python3-gdcm`). What is missing
raises `Unavailable` with a note saying which package brings it; the benchmarks print the
note and go on without that row.

Each program speaks the protocol of `bench_loop.h`: `check` says which files it reads;
`bench` warms up, then times one round over all files per line it is sent, inside its own
process. `RoundServer` holds such a process open so that the benchmark can alternate it,
round by round, with the readers it times in Python.
"""

from __future__ import annotations

import glob
import hashlib
import shutil
import subprocess
import tempfile
from collections.abc import Sequence
from pathlib import Path

NATIVE_DIR = Path(__file__).resolve().parent
BUILD_DIR = NATIVE_DIR / "build"
_SYSTEM_PYTHONS = ("/usr/bin/python3", "python3")


class Unavailable(Exception):
    """A toolkit or compiler is not installed; the message says what to install."""


def _dcmtk_flags() -> tuple[list[str], list[str]]:
    if not Path("/usr/include/dcmtk/dcmdata/dcfilefo.h").exists():
        raise Unavailable("dcmtk C++ rows skipped: install Debian's libdcmtk-dev")
    # Debian's dcmtk.pc names sndfile among its private requirements, which is often not
    # installed: the headers are in /usr/include either way.
    cflags = ["-I/usr/include"]
    if shutil.which("pkg-config"):
        found = subprocess.run(["pkg-config", "--cflags", "dcmtk"], capture_output=True,
                               text=True)
        if found.returncode == 0:
            cflags = found.stdout.split()
    return cflags, ["-ldcmdata", "-loflog", "-lofstd"]


def _gdcm_flags() -> tuple[list[str], list[str]]:
    includes = sorted(glob.glob("/usr/include/gdcm-*/gdcmReader.h"))
    if not includes:
        raise Unavailable("GDCM C++ row skipped: install Debian's libgdcm-dev")
    include_dir = str(Path(includes[-1]).parent)
    return [f"-I{include_dir}"], ["-lgdcmMSFF", "-lgdcmDSED", "-lgdcmDICT", "-lgdcmCommon"]


_TOOLKITS = {"dcmtk": ("dcmtk_bench.cc", _dcmtk_flags), "gdcm": ("gdcm_bench.cc", _gdcm_flags)}


def build(toolkit: str) -> Path:
    """The compiled program for `toolkit` ("dcmtk" or "gdcm"), built if not cached."""
    source, flags = _TOOLKITS[toolkit]
    compiler = shutil.which("g++")
    if compiler is None:
        raise Unavailable(f"{toolkit} C++ rows skipped: install Debian's g++")
    cflags, libs = flags()

    def command(output: str) -> list[str]:
        return [compiler, "-O2", "-std=c++17", *cflags, "-o", output, str(NATIVE_DIR / source),
                *libs]

    digest = hashlib.sha256(" ".join(command("PROGRAM")).encode())
    for name in (source, "bench_loop.h"):
        digest.update((NATIVE_DIR / name).read_bytes())
    program = BUILD_DIR / f"{Path(source).stem}-{digest.hexdigest()[:12]}"
    if program.exists():
        return program
    BUILD_DIR.mkdir(exist_ok=True)
    (BUILD_DIR / ".gitignore").write_text("*\n")
    partial = program.with_suffix(".tmp")
    done = subprocess.run(command(str(partial)), capture_output=True, text=True)
    if done.returncode != 0:
        raise Unavailable(f"{toolkit} C++ rows skipped: g++ failed:\n{done.stderr[-2000:]}")
    partial.replace(program)
    return program


def python_gdcm() -> list[str]:
    """The command that runs gdcm_python.py under an interpreter that has `gdcm`."""
    for python in _SYSTEM_PYTHONS:
        path = shutil.which(python)
        if path and subprocess.run([path, "-c", "import gdcm"], capture_output=True,
                                   ).returncode == 0:
            return [path, str(NATIVE_DIR / "gdcm_python.py")]
    raise Unavailable("GDCM from Python row skipped: install Debian's python3-gdcm")


def version(command: Sequence[str]) -> str:
    return subprocess.run([*command, "version"], check=True, capture_output=True,
                          text=True).stdout.strip()


def write_file_list(paths: Sequence[Path], directory: Path) -> Path:
    listing = directory / f"files-{len(paths)}-{hashlib.sha256(str(paths).encode()).hexdigest()[:8]}"
    listing.write_text("".join(f"{path}\n" for path in paths))
    return listing


def readable(command: Sequence[str], paths: Sequence[Path], directory: Path) -> set[Path]:
    """The files of `paths` that the program reads without failing."""
    listing = write_file_list(paths, directory)
    done = subprocess.run([*command, "check", str(listing)], capture_output=True, text=True)
    if done.returncode != 0:
        raise Unavailable(f"{' '.join(command)} check failed (exit {done.returncode}): "
                          f"{done.stderr[-500:]}")
    return {Path(line[3:]) for line in done.stdout.splitlines() if line.startswith("ok ")}


class RoundServer:
    """A program in `bench` mode: each `round()` is one timed round over all files."""

    def __init__(self, command: Sequence[str], paths: Sequence[Path], directory: Path):
        listing = write_file_list(paths, directory)
        self._errors = tempfile.TemporaryFile(mode="w+")
        self._process = subprocess.Popen([*command, "bench", str(listing)], text=True,
                                         stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=self._errors)
        ready = self._line()
        if not ready.startswith("ready "):
            raise Unavailable(f"{' '.join(command)} did not start: {ready!r}")
        self.warmup_count = int(ready.split()[1])

    def _line(self) -> str:
        assert self._process.stdout is not None
        line = self._process.stdout.readline()
        if not line:
            self._errors.seek(0)
            raise RuntimeError(f"benchmark program ended: {self._errors.read()[-1000:]}")
        return line

    def round(self) -> tuple[float, int, float]:
        """Seconds the round took, what it counted and the CPU seconds it used, measured by
        the program."""
        assert self._process.stdin is not None
        self._process.stdin.write("round\n")
        self._process.stdin.flush()
        seconds, count, cpu = self._line().split()
        return float(seconds), int(count), float(cpu)

    def close(self) -> None:
        assert self._process.stdin is not None
        self._process.stdin.close()
        self._process.wait(timeout=60)
        self._errors.close()
