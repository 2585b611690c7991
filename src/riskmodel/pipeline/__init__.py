"""The scheduled job: papermill over the stage notebooks, an atomic run folder, a manifest.

Public entry points: :func:`run_job`, :func:`run_command`, :func:`demo_command`; the stage
functions the notebooks call live in :mod:`riskmodel.pipeline.stages`.

The entry points are imported on first use: a stage notebook's kernel imports only
``riskmodel.pipeline.stages``, not papermill and nbformat (a second of start-up each).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from riskmodel.pipeline.job import (
        RunFailed,
        demo_command,
        find_previous_run,
        run_command,
        run_job,
    )
    from riskmodel.pipeline.lock import RunLock, RunLocked

_HOMES = {
    "RunFailed": "job",
    "demo_command": "job",
    "find_previous_run": "job",
    "run_command": "job",
    "run_job": "job",
    "RunLock": "lock",
    "RunLocked": "lock",
}

__all__ = [
    "RunFailed",
    "RunLock",
    "RunLocked",
    "demo_command",
    "find_previous_run",
    "run_command",
    "run_job",
]


def __getattr__(name: str) -> Any:
    """Import an entry point from its module when first asked for."""
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(import_module(f"riskmodel.pipeline.{_HOMES[name]}"), name)
