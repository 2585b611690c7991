"""Staging, atomic publication and failure records of a run folder.

A run is written into ``OUT_DIR.parent/.OUT_DIR.staging-<pid>``, then published by two
renames on the same file system: the old run is moved aside (``.OUT_DIR.old-<pid>``), the
staging folder takes its place, the old one is removed. A failure before the second rename
leaves the old run where it was. Leftovers of a killed run (staging or aside folders whose
process is gone) are cleaned up, or put back, by the next run.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path

OWNER_ONLY = 0o700


def staging_path(out_dir: Path, pid: int | None = None) -> Path:
    """The staging folder of this process for ``out_dir``."""
    out_dir = Path(out_dir).absolute()
    return out_dir.parent / f".{out_dir.name}.staging-{pid or os.getpid()}"


def _aside_path(out_dir: Path) -> Path:
    return out_dir.parent / f".{out_dir.name}.old-{os.getpid()}"


def make_private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) readable by the owner only; return it."""
    path.mkdir(parents=True, exist_ok=True, mode=OWNER_ONLY)
    os.chmod(path, OWNER_ONLY)
    return path


def _is_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover_leftovers(out_dir: Path) -> list[str]:
    """Clean up after a killed run; return what was done (one line per action).

    Call only while holding the run lock. A staging folder of a dead process is removed; an
    old run moved aside whose publication never finished is put back when ``out_dir`` is
    missing, else removed.
    """
    out_dir = Path(out_dir).absolute()
    actions: list[str] = []
    if not out_dir.parent.exists():
        return actions
    pattern = re.compile(rf"^\.{re.escape(out_dir.name)}\.(staging|old)-(\d+)$")
    for entry in sorted(out_dir.parent.iterdir()):
        match = pattern.match(entry.name)
        if not match or int(match[2]) == os.getpid() or _is_alive(int(match[2])):
            continue
        if match[1] == "old" and not out_dir.exists():
            entry.rename(out_dir)
            actions.append(f"restored the previous run from {entry.name}")
        else:
            shutil.rmtree(entry, ignore_errors=True)
            actions.append(f"removed {entry.name} left by a killed run (process {match[2]})")
    return actions


def publish(staging: Path, out_dir: Path) -> None:
    """Replace ``out_dir`` by ``staging`` with renames; the old run survives any failure.

    Raises
    ------
    OSError
        If a rename fails; ``out_dir`` then still holds the old run (or nothing, if there
        was none).
    """
    out_dir = Path(out_dir).absolute()
    aside = _aside_path(out_dir)
    had_old = out_dir.exists()
    if had_old:
        out_dir.rename(aside)
    try:
        staging.rename(out_dir)
    except OSError:
        if had_old:
            aside.rename(out_dir)
        raise
    if had_old:
        shutil.rmtree(aside, ignore_errors=True)


def failure_record_path(out_dir: Path) -> Path:
    """A fresh folder name for the record of a failed run of ``out_dir``."""
    out_dir = Path(out_dir).absolute()
    stamp = time.strftime("%Y%m%dT%H%M%S")
    record = out_dir.parent / f".failed-{out_dir.name}-{stamp}-{os.getpid()}"
    serial = 1
    while record.exists():  # two failures within one second must not share a record
        serial += 1
        record = out_dir.parent / f".failed-{out_dir.name}-{stamp}-{os.getpid()}-{serial}"
    return record


def prune_failure_records(out_dir: Path, keep: int) -> None:
    """Keep only the ``keep`` newest failure records of ``out_dir``."""
    out_dir = Path(out_dir).absolute()
    records = sorted(out_dir.parent.glob(f".failed-{out_dir.name}-*"))
    for record in records[: max(len(records) - keep, 0)]:
        shutil.rmtree(record, ignore_errors=True)
