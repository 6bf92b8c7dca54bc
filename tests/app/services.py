"""Real servers for the storage tests, on loopback and free ports, stopped by their pid.

- `PostgresCluster`: Debian's PostgreSQL (`initdb` / `pg_ctl` from /usr/lib/postgresql/*/bin)
  in a temporary directory; run as the `postgres` user when the tests run as root (the server
  refuses root), as the current user otherwise. Trust authentication, loopback only, fsync off
  (a test cluster: its durability is not what is tested).
- `MotoServer`: `moto_server -H 127.0.0.1 -p PORT` (moto's S3 in server mode) from the venv.

Both are `None`-returning `find_*` when their programs are missing, so that a developer
without them gets a skip with a reason; `.ci/run` installs both.
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

S3_ENV = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
          "AWS_DEFAULT_REGION": "us-east-1"}


def find_postgres() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    return Path(found[-1]).parent if found else None


def find_moto() -> Path | None:
    path = Path(sys.executable).parent / "moto_server"
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


class MotoServer:
    """moto's S3 on a free loopback port; `bucket()` makes a new bucket."""

    def __init__(self, program: Path) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()
        self.process = subprocess.Popen([str(program), "-H", "127.0.0.1", "-p",
                                         str(self.port)], stdout=self.log,
                                        stderr=subprocess.STDOUT, env={**os.environ, **S3_ENV})
        self.count = 0
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("moto_server exited at start")
            try:
                httpx.get(self.url + "/", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("moto_server did not answer within 30 s")

    def client(self):  # noqa: ANN201 - a boto3 client
        import boto3

        return boto3.client("s3", endpoint_url=self.url, region_name="us-east-1",
                            aws_access_key_id="testing", aws_secret_access_key="testing")

    def bucket(self) -> str:
        self.count += 1
        name = f"test-{os.getpid()}-{self.count}"
        self.client().create_bucket(Bucket=name)
        return name

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()
