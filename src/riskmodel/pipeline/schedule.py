"""Which stage notebooks may run side by side, and running them so.

Each stage waits for the stages it needs (``pipeline.needs``; by default the stage listed
before it, so a plain list runs in order). Up to ``pipeline.parallel_stages`` notebooks run at
once, each in its own kernel: the detectors and the disclosure notices, which read only the
loaded tables, run beside the graph and the rules. A ready stage starts in list order.

Every notebook runs in a daemon thread (papermill blocks while its kernel works); the
calling thread only waits. When a stage fails or the job is interrupted, the kernels still
running are killed, so a failed run stops at once and never writes after its clean-up.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable
from typing import Any

# how long a failed or interrupted run waits for its stopped notebooks' threads (seconds)
STOP_WAIT_SECONDS = 15.0


class ScheduleError(ValueError):
    """``pipeline.needs`` names an unknown stage or one listed after the stage."""


def stage_needs(stages: list[str], declared: dict[str, list[str]]) -> dict[str, list[str]]:
    """What each stage waits for.

    A stage without declared needs waits for the stage listed before it. A stage with
    declared needs waits for those of them that this run has, and also for every stage
    listed before it that declares none (a stage an office added to the list is never run
    beside the stages after it). Needs naming stages this run does not have are ignored.

    Raises
    ------
    ScheduleError
        If a stage needs itself or a stage listed after it.
    """
    needs: dict[str, list[str]] = {}
    for index, stage in enumerate(stages):
        if stage not in declared:
            needs[stage] = stages[max(index - 1, 0) : index]
            continue
        for need in declared[stage]:
            if need in stages[index:]:
                raise ScheduleError(f"pipeline.needs: {stage} needs {need}, listed after it")
        earlier = stages[:index]
        wanted = [need for need in declared[stage] if need in earlier]
        wanted += [s for s in earlier[1:] if s not in declared and s not in wanted]
        needs[stage] = wanted or earlier[:1]
    return needs


def _kill_kernels(folder: str | None) -> None:
    """Kill the Jupyter kernels this process started in ``folder`` (their working folder;
    None: every kernel it started) — a failed or interrupted run."""
    try:
        import psutil
    except ImportError:  # psutil comes with ipykernel; without it kernels exit on their own
        return
    wanted = None if folder is None else os.path.realpath(folder)
    for child in psutil.Process().children(recursive=True):
        try:
            if not any("ipykernel" in part for part in child.cmdline()):
                continue
            if wanted is None or os.path.realpath(child.cwd()) == wanted:
                child.kill()
        except psutil.Error:
            continue


def run_scheduled(
    stages: list[str],
    needs: dict[str, list[str]],
    execute: Callable[[str], Any],
    *,
    workers: int = 1,
    on_start: Callable[[int, str], None] | None = None,
    on_done: Callable[[int, str, float], None] | None = None,
    kernel_folder: str | None = None,
) -> list[dict[str, Any]]:
    """Run ``execute(stage)`` for every stage, a stage once its needs are done, at most
    ``workers`` at once; return ``{"name", "seconds", "status", "started_after"}`` per
    stage in the order of ``stages`` (``started_after``: seconds from the first start).

    ``on_start(number, stage)`` and ``on_done(number, stage, seconds)`` run in the calling
    thread (numbers count starts from 1). The first exception of a stage is raised once the
    running stages are stopped; so is an interruption of the calling thread. Stopping kills
    the kernels working in ``kernel_folder`` and waits (briefly) for their threads, so
    nothing writes into the run's folders after the caller has cleaned them up.
    """
    finished: queue.Queue[tuple[str, float, BaseException | None]] = queue.Queue()
    running: dict[str, int] = {}
    done: set[str] = set()
    timings: list[dict[str, Any]] = []
    started_count = 0
    first_start = time.perf_counter()
    start_offsets: dict[str, float] = {}
    threads: list[threading.Thread] = []
    cancelled = threading.Event()

    def work(stage: str) -> None:
        clock = time.perf_counter()
        try:
            if cancelled.is_set():
                raise ScheduleError(f"{stage} cancelled before it started")
            execute(stage)
        except BaseException as exc:  # handed to the calling thread
            finished.put((stage, time.perf_counter() - clock, exc))
        else:
            finished.put((stage, time.perf_counter() - clock, None))

    try:
        while len(done) < len(stages):
            for stage in stages:
                ready = stage not in done and stage not in running
                if ready and len(running) < max(workers, 1) and set(needs[stage]) <= done:
                    started_count += 1
                    running[stage] = started_count
                    start_offsets[stage] = round(time.perf_counter() - first_start, 3)
                    if on_start is not None:
                        on_start(started_count, stage)
                    thread = threading.Thread(target=work, args=(stage,), daemon=True)
                    threads.append(thread)
                    thread.start()
            if not running:
                raise ScheduleError(f"stages that can never start: {sorted(set(stages) - done)}")
            try:
                stage, seconds, error = finished.get(timeout=0.5)
            except queue.Empty:
                continue
            number = running.pop(stage)
            if error is not None:
                raise error
            done.add(stage)
            timings.append(
                {
                    "name": stage,
                    "seconds": round(seconds, 3),
                    "status": "ok",
                    "started_after": start_offsets[stage],
                }
            )
            if on_done is not None:
                on_done(number, stage, seconds)
    except BaseException:
        cancelled.set()
        if running:
            _stop(threads, kernel_folder)
        raise
    return sorted(timings, key=lambda timing: stages.index(timing["name"]))


def _stop(threads: list[threading.Thread], kernel_folder: str | None) -> None:
    """Kill the running kernels and wait for their threads (a kernel that was still starting
    is killed on a second pass)."""
    deadline = time.perf_counter() + STOP_WAIT_SECONDS
    while any(t.is_alive() for t in threads) and time.perf_counter() < deadline:
        _kill_kernels(kernel_folder)
        for thread in threads:
            thread.join(timeout=0.5)
