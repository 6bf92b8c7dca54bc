"""Real servers for the storage tests, on loopback and free ports, stopped by their pid.

- `PostgresCluster`: Debian's PostgreSQL (`initdb` / `pg_ctl` from /usr/lib/postgresql/*/bin)
  in a temporary directory; run as the `postgres` user when the tests run as root (the server
  refuses root), as the current user otherwise. Trust authentication, loopback only, fsync off
  (a test cluster: its durability is not what is tested).
- S3, one of (`s3_server` picks by the environment):
  - `MotoServer`: `moto_server -H 127.0.0.1 -p PORT` (moto's S3 in server mode) from the venv,
    the default. It keeps objects in memory and copies the whole object to answer a ranged GET.
  - `NanioServer` (`DICOMCORE_TEST_S3_SERVER=nanio`): nanio, an S3 server over a directory
    (objects are files, a ranged GET reads its range), from its own venv `.venv-nanio`
    (`make test` makes it).
  - `ExternalS3` (`DICOMCORE_TEST_S3_URL=http://...`): a server someone else runs (MinIO, Ceph,
    AWS), credentials from the usual AWS variables; a new bucket per test, or prefixes in
    `DICOMCORE_TEST_S3_BUCKET` when that names one.

The `find_*` return `None` when their programs are missing, so that a developer without them
gets a skip with a reason; `.ci/run` installs PostgreSQL and moto.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from .orthanc import free_port

ROOT = Path(__file__).resolve().parent.parent.parent
S3_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
          "AWS_DEFAULT_REGION": "us-east-1"}


def find_postgres() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


def find_moto() -> Path | None:
    path = Path(sys.executable).parent / "moto_server"
    return path if path.exists() else None


def find_nanio() -> Path | None:
    """nanio from its own venv: in the project's, its uvicorn extras (uvloop, httptools)
    would change how the service under test runs."""
    path = ROOT / ".venv-nanio" / "bin" / "nanio"
    return path if path.exists() else None


def _as_postgres(command: list[str]) -> list[str]:
    if os.geteuid() != 0:
        return command
    runuser = shutil.which("runuser") or "/usr/sbin/runuser"
    return [runuser, "-u", "postgres", "--", *command]


class PostgresCluster:
    """A throwaway PostgreSQL server; `database()` makes a new empty database."""

    def __init__(self, bin_dir: Path) -> None:
        self.bin = bin_dir
        self.dir = Path(tempfile.mkdtemp(prefix="dicomcore-pg-"))
        if os.geteuid() == 0:
            shutil.chown(self.dir, "postgres", "postgres")
        self.data = self.dir / "data"
        self.port = free_port()
        self.count = 0
        subprocess.run(_as_postgres([str(self.bin / "initdb"), "-D", str(self.data), "-U",
                                     "postgres", "--auth=trust", "-E", "UTF8",
                                     "--locale=C.UTF-8"]),
                       check=True, capture_output=True, timeout=120)
        options = (f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                   "-c max_connections=200")
        subprocess.run(_as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.data), "-o",
                                     options, "-l", str(self.dir / "log"), "-w", "-t", "60",
                                     "start"]), check=True, capture_output=True, timeout=90)
        self.url = f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def database(self) -> str:
        """A new empty database's URL."""
        import psycopg

        self.count += 1
        name = f"test_{os.getpid()}_{self.count}"
        with psycopg.connect(self.url, autocommit=True) as connection:
            connection.execute(f"CREATE DATABASE {name}")
        return f"postgresql://postgres@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        subprocess.run(_as_postgres([str(self.bin / "pg_ctl"), "-D", str(self.data), "-m",
                                     "immediate", "-w", "stop"]), capture_output=True,
                       timeout=60)
        shutil.rmtree(self.dir, ignore_errors=True)


class S3Server:
    """An S3 endpoint for tests: `url`, the credentials to put in the environment (`env`),
    and a new place to store in (`location()`: "bucket/prefix")."""

    url: str
    env: dict[str, str] = S3_ENV
    count = 0  # buckets or prefixes made

    def client(self):  # noqa: ANN201 - a boto3 client
        import boto3

        return boto3.client("s3", endpoint_url=self.url, region_name="us-east-1",
                            aws_access_key_id=self.env.get("AWS_ACCESS_KEY_ID"),
                            aws_secret_access_key=self.env.get("AWS_SECRET_ACCESS_KEY"))

    def bucket(self) -> str:
        """A new empty bucket."""
        self.count += 1
        name = f"test-{os.getpid()}-{self.count}"
        self.client().create_bucket(Bucket=name)
        return name

    def location(self) -> str:
        return f"{self.bucket()}/dicom"

    def stop(self) -> None:
        pass


class _LocalS3(S3Server):
    """A server process started here on a free loopback port, stopped by its pid."""

    def __init__(self, name: str, command: list[str], env: dict[str, str]) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen([*command, str(self.port)], stdout=self.log,
                                        stderr=subprocess.STDOUT,
                                        env={**os.environ, **S3_ENV, **env})
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(f"{name} exited at start: {self.log.read()[-2000:]!r}")
            try:
                httpx.get(self.url + "/", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{name} did not answer within 30 s")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()


class MotoServer(_LocalS3):
    """moto's S3 on a free loopback port."""

    def __init__(self, program: Path) -> None:
        super().__init__("moto_server", [str(program), "-H", "127.0.0.1", "-p"], {})


class NanioServer(_LocalS3):
    """nanio on a free loopback port, its objects in a temporary directory."""

    def __init__(self, program: Path) -> None:
        self.data = Path(tempfile.mkdtemp(prefix="dicomcore-nanio-"))
        try:
            super().__init__("nanio", [str(program), "serve", "--data-dir", str(self.data),
                                       "--host", "127.0.0.1", "--workers", "1",
                                       "--no-access-log", "--log-level", "warning", "--port"],
                             {"NANIO_ACCESS_KEY": S3_ENV["AWS_ACCESS_KEY_ID"],
                              "NANIO_SECRET_KEY": S3_ENV["AWS_SECRET_ACCESS_KEY"]})
        except BaseException:
            shutil.rmtree(self.data, ignore_errors=True)
            raise

    def stop(self) -> None:
        super().stop()
        shutil.rmtree(self.data, ignore_errors=True)


class ExternalS3(S3Server):
    """A server run elsewhere: credentials from the environment as it is."""

    env: dict[str, str] = {}

    def __init__(self, url: str, bucket: str | None = None) -> None:
        self.url, self.shared_bucket = url, bucket

    def location(self) -> str:
        if not self.shared_bucket:
            return super().location()
        self.count += 1
        return f"{self.shared_bucket}/test-{os.getpid()}-{int(time.time())}-{self.count}"


def start_s3_server() -> S3Server | str:
    """The S3 server the environment asks for (see the module's docstring), started; or why
    there is none (a reason to skip)."""
    url = os.environ.get("DICOMCORE_TEST_S3_URL")
    if url:
        return ExternalS3(url, os.environ.get("DICOMCORE_TEST_S3_BUCKET"))
    kind = os.environ.get("DICOMCORE_TEST_S3_SERVER", "moto")
    if kind == "nanio":
        program = find_nanio()
        return NanioServer(program) if program else (
            "nanio is not installed (make test installs it in .venv-nanio)")
    if kind != "moto":
        raise ValueError(f"DICOMCORE_TEST_S3_SERVER is moto or nanio (got {kind!r})")
    program = find_moto()
    return MotoServer(program) if program else (
        "moto_server is not installed (pip install 'moto[server]'; CI does)")
