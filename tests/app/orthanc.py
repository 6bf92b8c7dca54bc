"""Running Debian's Orthanc for tests and benchmarks: its binary and a loopback config."""

from __future__ import annotations

import json
import shutil
import socket
from pathlib import Path
from typing import Any


def orthanc_binary() -> str | None:
    # Debian installs it in /usr/sbin, which is not on every user's PATH.
    return shutil.which("Orthanc") or shutil.which("Orthanc", path="/usr/sbin:/usr/local/sbin")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def dicomweb_plugin() -> str | None:
    """Debian's DICOMweb plugin (package orthanc-dicomweb), or None."""
    path = Path("/usr/share/orthanc/plugins/libOrthancDicomWeb.so")
    return str(path) if path.is_file() else None


def write_config(home: Path, port: int, threads: int = 4, plugins: tuple[str, ...] = (),
                 extra: dict[str, Any] | None = None) -> Path:
    """An Orthanc configuration for a private instance in `home` on HTTP port `port`;
    `plugins` to load and `extra` top-level settings (such as "DicomWeb") are added."""
    config = {
        "Name": "dicomcore-test",
        "StorageDirectory": str(home / "storage"),
        "IndexDirectory": str(home / "index"),
        "HttpPort": port,
        # Orthanc cannot bind to one address: its HTTP server listens on every interface and
        # refuses remote clients, and its DICOM server, which is not used here, is off.
        "RemoteAccessAllowed": False,
        "AuthenticationEnabled": False,
        "DicomServerEnabled": False,
        "DicomPort": free_port(),
        "Plugins": list(plugins),
        # A patched instance keeps its UIDs: storing it again must replace the stored one.
        "OverwriteInstances": True,
        "SaveJobs": False,
        "HttpThreadsCount": threads,
        **(extra or {}),
    }
    path = home / "config.json"
    path.write_text(json.dumps(config))
    return path
