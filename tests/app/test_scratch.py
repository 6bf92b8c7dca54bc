"""app/scratch.py: each process works in a directory of its own under a lock it holds; the
sweep removes the directories of processes that are gone and nothing else."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from app.scratch import LOCK_SUFFIX, Scratch, leftovers

CHILD = """
import sys
from pathlib import Path
from app.scratch import Scratch
scratch = Scratch(Path(sys.argv[1]))
(scratch.directory / "upload-x.part").write_bytes(b"in progress")
print(scratch.directory, flush=True)
sys.stdin.readline()
"""


def test_a_live_processs_directory_is_kept_and_a_dead_ones_swept(tmp_path: Path) -> None:
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path)],
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert child.stdout is not None
        theirs = Path(child.stdout.readline().decode().strip())
        scratch = Scratch(tmp_path)
        assert scratch.sweep() == 0
        assert (theirs / "upload-x.part").read_bytes() == b"in progress"
        child.send_signal(signal.SIGKILL)
        assert child.wait(timeout=10) == -signal.SIGKILL
        assert scratch.sweep() == 1
        assert not theirs.exists()
        assert not theirs.with_name(theirs.name + LOCK_SUFFIX).exists()
        assert scratch.directory.is_dir() and leftovers(tmp_path) == []
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=10)


def test_a_forked_child_works_in_a_directory_of_its_own(tmp_path: Path) -> None:
    scratch = Scratch(tmp_path)
    ours = scratch.directory
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: say its directory, then go
        try:
            os.write(write, str(scratch.directory).encode())
        finally:
            os._exit(0)
    os.close(write)
    theirs = Path(os.read(read, 4096).decode())
    os.close(read)
    os.waitpid(pid, 0)
    assert theirs != ours and theirs.parent == ours.parent == tmp_path
    assert theirs.is_dir()
    assert scratch.sweep() == 0 and not theirs.exists()  # the child is gone: its directory too
    assert ours.is_dir()


def test_the_sweep_takes_only_workers_directories(tmp_path: Path) -> None:
    # a directory whose lock went but not the directory (a sweeper killed in between)
    orphan = tmp_path / "worker-1-abc"
    orphan.mkdir()
    (orphan / "stow-1.part").write_bytes(b"x")
    (orphan / "sub").mkdir()
    (orphan / "sub" / "spool").write_bytes(b"y")
    other = tmp_path / "s3-1.part"  # the S3 store's part: its own sweep's business
    other.write_bytes(b"z")
    scratch = Scratch(tmp_path)
    assert scratch.sweep() == 2
    assert not orphan.exists() and other.exists()
    assert leftovers(tmp_path) == [other]
