"""The scheduled job: papermill over the stage notebooks, an atomic run folder, a manifest.

Public entry points: :func:`run_job`, :func:`run_command`, :func:`demo_command`; the stage
functions the notebooks call live in :mod:`riskmodel.pipeline.stages`.
"""

from riskmodel.pipeline.job import (
    RunFailed,
    demo_command,
    find_previous_run,
    run_command,
    run_job,
)
from riskmodel.pipeline.lock import RunLock, RunLocked

__all__ = [
    "RunFailed",
    "RunLock",
    "RunLocked",
    "demo_command",
    "find_previous_run",
    "run_command",
    "run_job",
]
