"""One run at a time per output folder: an advisory ``fcntl.flock`` beside ``OUT_DIR``.

The lock file ``OUT_DIR.parent/.OUT_DIR.lock`` stays on disk; the kernel releases the lock
when the process ends, however it ends, so a killed run never leaves a stale lock.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from types import TracebackType


class RunLocked(RuntimeError):
    """Another run holds the lock on the same output folder."""


def lock_path(out_dir: Path) -> Path:
    """The lock file of ``out_dir``."""
    out_dir = Path(out_dir).absolute()
    return out_dir.parent / f".{out_dir.name}.lock"


class RunLock:
    """Context manager holding an exclusive non-blocking lock on ``out_dir``.

    Examples
    --------
    >>> with RunLock(Path("/tmp/riskmodel-doctest-run")):
    ...     pass
    """

    def __init__(self, out_dir: Path) -> None:
        self.path = lock_path(out_dir)
        self._fd: int | None = None

    def __enter__(self) -> RunLock:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "unknown"
            os.close(fd)
            raise RunLocked(
                f"another run is writing {self.path.parent / self.path.name[1:-5]} "
                f"(process {holder}, lock {self.path}); try again when it has finished"
            ) from None
        os.ftruncate(fd, 0)
        os.pwrite(fd, str(os.getpid()).encode(), 0)
        self._fd = fd
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None
