"""Files from the shared folder (photos, clips) are read where they lie and never committed: their
licences are not ours to redistribute. No SPEC rule: the project's own rule (HELPERS.md)."""

import hashlib
import subprocess
from pathlib import Path

from mediacheck.samples import ROOT, shared_dir
from tests.services.require import require

SMALLEST = 1024
"""Bytes: below this a file may match by chance (an empty __init__.py, a one-line note)."""


def blob_id(path: Path) -> str:
    """What `git hash-object` says of the file."""
    data = path.read_bytes()
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def test_no_committed_file_is_a_copy_of_a_shared_file() -> None:
    """Every file of the shared folder larger than SMALLEST against every file git tracks, by content."""
    require(shared_dir().is_dir(), f"the shared folder at {shared_dir()} (MEDIACHECK_SHARED names it)")
    shared = {blob_id(p): p for p in shared_dir().rglob("*") if p.is_file() and p.stat().st_size > SMALLEST}
    listed = subprocess.run(["git", "ls-files", "--stage"], cwd=ROOT, capture_output=True, text=True, check=True)
    tracked = [line.split(maxsplit=3)[1:4:2] for line in listed.stdout.splitlines()]
    assert {path: str(shared[blob]) for blob, path in tracked if blob in shared} == {}
