"""The scheduled job: run the stage notebooks into a staging folder, then publish atomically.

Exit codes of ``riskmodel run`` (also in ``deploy/README.md``):

== ==========================================================================
0  the run folder is complete and published
1  bad input or configuration (missing data folder, unreadable file, missing required
   table or column, unknown theme, bad period, bad config key); nothing published
2  a stage notebook failed; the failure record names the notebook and the cell
3  another run holds the lock on the same output folder
4  an input file changed while the run read it; rerun when the export is complete
5  the run could not be written or published (disk full, permissions)
== ==========================================================================

In every non-zero case the previous run folder is left as it was, and (except for 1 and 3)
a failure record ``.failed-<name>-<time>/`` beside it holds ``error.txt`` and the executed
notebooks.
"""

from __future__ import annotations

import argparse
import errno
import functools
import json
import os
import shutil
import signal
import sys
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd

from riskmodel.config import ConfigError, load_config
from riskmodel.ids import redact_identifiers
from riskmodel.pipeline import manifest as manifest_module
from riskmodel.pipeline import publish as publish_module
from riskmodel.pipeline.kernels import WarmKernels
from riskmodel.pipeline.lock import RunLock, RunLocked
from riskmodel.pipeline.notebooks import StageFailure, execute_stage, notebook_dir, scrub_notebook
from riskmodel.pipeline.periods import PeriodError, parse_period
from riskmodel.pipeline.schedule import ScheduleError, run_scheduled, stage_needs
from riskmodel.pipeline.store import load_json
from riskmodel.pipeline.themes import ThemeError, get_theme

EXIT_OK, EXIT_BAD_INPUT, EXIT_STAGE_FAILED, EXIT_LOCKED, EXIT_INPUT_CHANGED, EXIT_WRITE_FAILED = (
    0,
    1,
    2,
    3,
    4,
    5,
)
# error names raised inside a notebook that mean the input, not the job, is at fault
BAD_INPUT_ERRORS = {"DataError", "ConfigError", "PeriodError", "ThemeError"}


class RunFailed(RuntimeError):
    """The run failed; ``exit_code`` says how and ``record`` where the failure record is."""

    def __init__(self, message: str, exit_code: int, record: Path | None = None) -> None:
        super().__init__(message)
        self.exit_code = exit_code
        self.record = record


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _say(message: str, progress: bool) -> None:
    if progress:
        print(message, file=sys.stderr, flush=True)


def _read_run(candidate: Path) -> dict[str, Any] | None:
    """The manifest of a completed run folder, or None (hidden, failed, incomplete, unreadable)."""
    if candidate.name.startswith(".") or not candidate.is_dir():
        return None
    manifest_path = candidate / "manifest.json"
    if not manifest_path.exists() or not (candidate / "leads.csv").exists():
        return None
    try:
        manifest = json.loads(manifest_path.read_text("utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(manifest, dict) or manifest.get("status") != "ok":
        return None
    return manifest


def _run_theme(manifest: dict[str, Any]) -> str:
    theme = manifest.get("theme")
    return str(theme.get("name") or "") if isinstance(theme, dict) else ""


def find_previous_run(
    out_dir: str | Path, period_label: str | None = None, theme: str | None = None
) -> Path | None:
    """The run to mark this run's leads new or persisting against (CONTRACT §3).

    Candidates are the completed runs beside ``out_dir`` (``out_dir`` itself included): a
    visible sibling folder with ``manifest.json`` (status ``ok``) and ``leads.csv``, of the
    same theme (``None``/``""`` = no theme; a themed run never compares with another theme).

    With ``period_label`` (a month or a quarter, ``auto`` already resolved) the previous run
    is the run of the latest period that ends before this period starts; among runs of that
    period one of the same kind (quarter/month) first, then the last finished. A run of the
    same, an overlapping or a later period is never chosen (a rerun of 2024Q3 after 2024Q4
    compares with 2024Q2, as its first run did), nor a run over all data. Without a period
    (all data) it is the last finished run over all data.
    """
    out_dir = Path(out_dir).absolute()
    if not out_dir.parent.exists():
        return None
    current = parse_period(period_label) if period_label else None
    wanted_theme = theme or ""
    best: tuple[Any, ...] | None = None
    chosen: Path | None = None
    for candidate in sorted(out_dir.parent.iterdir()):
        manifest = _read_run(candidate)
        if manifest is None or _run_theme(manifest) != wanted_theme:
            continue
        label = (manifest.get("period") or {}).get("label")
        finished = str(manifest.get("finished") or "")
        if current is None:
            if label:
                continue
            key: tuple[Any, ...] = (finished,)
        else:
            if not label:
                continue
            try:
                period = parse_period(str(label))
            except PeriodError:
                continue
            if period.end >= current.start:
                continue
            key = (period.end, period.kind == current.kind, finished)
        if best is None or key > best:
            best, chosen = key, candidate
    return chosen


def _write_failure_record(
    out_dir: Path, staging: Path, message: str, details: str, config: dict[str, Any], keep: int
) -> Path | None:
    """Move the executed notebooks to a failure record with ``error.txt``; return its path."""
    record = publish_module.failure_record_path(out_dir)
    try:
        publish_module.make_private_dir(record)
        notebooks = staging / "notebooks"
        if notebooks.exists():
            for path in notebooks.glob("*.ipynb"):
                scrub_notebook(path, config)
                shutil.move(str(path), record / path.name)
        text = f"{_now()}\n{redact_identifiers(message)}\n\n{redact_identifiers(details)}\n"
        (record / "error.txt").write_text(text, "utf-8")
        publish_module.prune_failure_records(out_dir, keep)
    except OSError:  # the disk may be full: the message still goes to the log
        return record if record.exists() else None
    return record


def _run_stages(
    stages: list[str],
    source_dir: Path,
    staging: Path,
    parameters: dict[str, Any],
    config: dict[str, Any],
    progress: bool,
    choose_previous: Callable[[str | None], Path | None] | None = None,
) -> list[dict[str, Any]]:
    """Execute the stage notebooks, side by side where ``pipeline.needs`` allows; return
    their timings in finishing order (:mod:`riskmodel.pipeline.schedule`).

    The first stage resolves the period: once it is done, ``choose_previous`` (for
    ``--period auto``) is called with the period label and its answer becomes
    ``previous_dir`` of the stages started after it.
    """
    settings = config["pipeline"]
    try:
        declared = {k: v for k, v in settings["needs"].items() if not k.startswith("_")}
        needs = stage_needs(stages, declared)
    except ScheduleError as exc:
        raise RunFailed(str(exc), EXIT_BAD_INPUT) from None
    total = len(stages)
    workers = int(settings["parallel_stages"])
    kernels = WarmKernels(
        settings["kernel_name"],
        staging,
        wanted=total if settings["warm_kernels"] else 0,
        size=workers,
        imports=settings["warm_imports"],
        env={k: str(v) for k, v in settings["kernel_env"].items() if not k.startswith("_")},
    )

    def execute(stage: str) -> None:
        manager = kernels.take_or_start()
        try:
            execute_stage(
                stage,
                source_dir / f"{stage}.ipynb",
                staging / "notebooks" / f"{stage}.ipynb",
                dict(parameters),
                kernel_name=settings["kernel_name"],
                cwd=staging,
                timeout=float(settings["cell_timeout_seconds"]) or None,
                progress=progress and sys.stderr.isatty() and workers == 1,
                kernel_manager=manager,
            )
        finally:
            kernels.release(manager)

    def started(number: int, stage: str) -> None:
        _say(f"[{number}/{total}] {stage} …", progress)

    def finished(number: int, stage: str, seconds: float) -> None:
        _say(f"[{number}/{total}] {stage} done in {seconds:.1f} s", progress)
        if stage != stages[0]:
            return
        period = load_json(staging / "work", "period")
        theme = load_json(staging / "work", "theme")
        _say(f"period: {period['label'] if period else 'all data'}", progress)
        if theme:
            kept = f"{theme['payments_in_theme']:,} of {theme['payments_total']:,} payments"
            _say(f"theme: {theme['name']} ({kept})", progress)
        if choose_previous is not None:
            previous = choose_previous(period["label"] if period else None)
            parameters["previous_dir"] = str(previous) if previous else ""
            _say(f"previous run: {previous or 'none'}", progress)

    try:
        return run_scheduled(
            stages,
            needs,
            execute,
            workers=workers,
            on_start=started,
            on_done=finished,
            kernel_folder=str(staging),
        )
    finally:
        kernels.close()


def _finish_staging(staging: Path, config: dict[str, Any]) -> None:
    if not config["pipeline"]["keep_work"]:
        shutil.rmtree(staging / "work", ignore_errors=True)
    for path in (staging / "notebooks").glob("*.ipynb"):
        scrub_notebook(path, config)
    for folder, _, files in os.walk(staging):
        os.chmod(folder, publish_module.OWNER_ONLY)
        for name in files:
            os.chmod(os.path.join(folder, name), 0o600)


def run_job(
    data_dir: str | Path,
    out_dir: str | Path,
    period: str | None = None,
    config_path: str | Path | None = None,
    previous: str | Path | None = None,
    theme: str | None = None,
    *,
    stages: list[str] | None = None,
    source_dir: str | Path | None = None,
    progress: bool = True,
) -> Path:
    """Run the scheduled job and publish ``out_dir`` atomically; return ``out_dir``.

    Parameters
    ----------
    data_dir, out_dir
        The input data folder and the run folder to (re)write.
    period
        ``2024-03``, ``2024Q3``, ``auto`` (last complete quarter) or ``None`` (all data).
    config_path
        A user TOML file overriding the defaults.
    previous
        The run to mark leads new/persisting against; default: :func:`find_previous_run`
        for this period and theme (with ``auto``, chosen once the first stage resolved
        the period).
    theme
        A theme of ``config['themes']`` (一季一专题).
    stages, source_dir
        Override the stage notebooks (tests); default ``pipeline.stages`` in
        ``pipeline.notebook_dir``.

    Raises
    ------
    RunFailed
        With ``exit_code`` per the module docstring; the previous run stays in place.
    RunLocked
        If another run is writing ``out_dir``.
    """
    data_dir, out_dir = Path(data_dir).absolute(), Path(out_dir).absolute()
    try:
        config = load_config(config_path)
        theme_info = get_theme(config, theme)
        period = period if period is not None else (config["pipeline"]["default_period"] or None)
        if period and period.strip().lower() != "auto":
            parse_period(period)
    except (ConfigError, ThemeError, PeriodError) as exc:
        raise RunFailed(str(exc), EXIT_BAD_INPUT) from None
    if not data_dir.is_dir():
        raise RunFailed(f"data folder {data_dir} does not exist", EXIT_BAD_INPUT)
    stages = list(stages if stages is not None else config["pipeline"]["stages"])
    source = Path(source_dir) if source_dir else notebook_dir(config)
    settings = config["pipeline"]

    with RunLock(out_dir):
        for action in publish_module.recover_leftovers(out_dir):
            _say(f"recovered: {action}", progress)
        staging = publish_module.staging_path(out_dir)
        shutil.rmtree(staging, ignore_errors=True)
        started_at, started = _now(), time.perf_counter()
        period_is_auto = bool(period) and period.strip().lower() == "auto"
        choose_previous: Callable[[str | None], Path | None] | None = None
        if previous is not None:
            previous_run: Path | None = Path(previous).absolute()
            if not (previous_run / "leads.csv").exists():
                raise RunFailed(f"--previous {previous_run} has no leads.csv", EXIT_BAD_INPUT)
        elif period_is_auto:  # the period is known once the first stage read the payments
            previous_run = None
            choose_previous = functools.partial(find_previous_run, out_dir, theme=theme)
        else:
            previous_run = find_previous_run(out_dir, period or None, theme)
        try:
            publish_module.make_private_dir(staging)  # owner-only from the first byte
            publish_module.make_private_dir(staging / "notebooks")
            publish_module.make_private_dir(staging / "work")
            fingerprints = manifest_module.fingerprint_inputs(data_dir)
            parameters = {
                "data_dir": str(data_dir),
                "work_dir": str(staging / "work"),
                "out_dir": str(staging),
                "period": period or "",
                "config_path": str(Path(config_path).absolute()) if config_path else "",
                "theme": theme or "",
                "previous_dir": str(previous_run) if previous_run else "",
            }
            _say(f"riskmodel run: {data_dir} → {out_dir}", progress)
            timings = _run_stages(
                stages, source, staging, parameters, config, progress, choose_previous
            )
            previous_run = Path(parameters["previous_dir"]) if parameters["previous_dir"] else None
            changes = manifest_module.changed_inputs(
                fingerprints, manifest_module.fingerprint_inputs(data_dir)
            )
            if changes:
                raise RunFailed(
                    "input files changed during the run; nothing was published:\n  "
                    + "\n  ".join(changes),
                    EXIT_INPUT_CHANGED,
                )
            work = staging / "work"
            leads = pd.read_csv(staging / "leads.csv") if (staging / "leads.csv").exists() else None
            resolved = (
                len(pd.read_csv(staging / "resolved.csv"))
                if (staging / "resolved.csv").exists()
                else 0
            )
            manifest = manifest_module.build_manifest(
                status="ok",
                data_dir=data_dir,
                out_dir=out_dir,
                config=config,
                config_path=str(config_path) if config_path else None,
                started=started_at,
                finished=_now(),
                stages=timings,
                inputs=load_json(work, "inputs"),
                fingerprints=fingerprints,
                period=load_json(work, "period"),
                theme={"name": theme_info.name, "title": theme_info.title} if theme_info else None,
                previous=str(previous_run) if previous_run else None,
                rule_versions=load_json(work, "rule_versions", {}),
                leads=leads,
                resolved_count=resolved,
                extra={"seconds": round(time.perf_counter() - started, 3)},
            )
            manifest_module.write_manifest(staging, manifest)
            _finish_staging(staging, config)
            publish_module.publish(staging, out_dir)
            os.chmod(out_dir, publish_module.OWNER_ONLY)
        except StageFailure as failure:
            code = EXIT_BAD_INPUT if failure.error_name in BAD_INPUT_ERRORS else EXIT_STAGE_FAILED
            if f"[Errno {errno.ENOSPC}]" in failure.error_value:  # disk full inside a stage
                code = EXIT_WRITE_FAILED
            record = _write_failure_record(
                out_dir,
                staging,
                str(failure),
                f"failing cell:\n{failure.cell_source}\n\n{failure.traceback_text}",
                config,
                settings["keep_failure_records"],
            )
            shutil.rmtree(staging, ignore_errors=True)
            raise RunFailed(redact_identifiers(str(failure)), code, record) from None
        except RunFailed as failure:
            failure.record = _write_failure_record(
                out_dir, staging, str(failure), "", config, settings["keep_failure_records"]
            )
            shutil.rmtree(staging, ignore_errors=True)
            raise
        except OSError as exc:
            details = "".join(traceback.format_exception(exc))
            message = f"the run could not be written or published: {exc}"
            shutil.rmtree(staging / "work", ignore_errors=True)  # free space for the record
            record = _write_failure_record(
                out_dir, staging, message, details, config, settings["keep_failure_records"]
            )
            shutil.rmtree(staging, ignore_errors=True)
            raise RunFailed(redact_identifiers(message), EXIT_WRITE_FAILED, record) from None
        except BaseException:  # interrupted (SIGTERM from timeout, Ctrl-C): clean, then go
            shutil.rmtree(staging, ignore_errors=True)
            raise
    _say(f"published {out_dir} in {time.perf_counter() - started:.1f} s", progress)
    return out_dir


def _terminate(signum: int, frame: Any) -> None:
    raise SystemExit(128 + signum)


def run_command(args: argparse.Namespace) -> int:
    """``riskmodel run``: the scheduled job; returns the exit code (module docstring)."""
    from riskmodel.privacy import install_excepthook

    install_excepthook()  # an unexpected traceback never shows an ID on the terminal
    signal.signal(signal.SIGTERM, _terminate)
    try:
        run_job(
            args.data,
            args.out,
            period=args.period,
            config_path=args.config,
            previous=args.previous,
            theme=args.theme,
        )
    except RunLocked as exc:
        print(f"riskmodel run: {exc}", file=sys.stderr)
        return EXIT_LOCKED
    except RunFailed as exc:
        print(f"riskmodel run FAILED: {exc}", file=sys.stderr)
        if exc.record:
            print(f"failure record: {exc.record}", file=sys.stderr)
        print("the previous run folder (if any) was left unchanged", file=sys.stderr)
        return exc.exit_code
    return EXIT_OK


def demo_command(args: argparse.Namespace) -> int:
    """``riskmodel demo``: generate ``data/demo`` if absent, then run the job into it."""
    data_dir = Path(args.data)
    if not data_dir.is_dir() or not any(data_dir.iterdir()):
        from riskmodel.synth import generate  # the synthetic county (synth owner)

        config = load_config()
        print(f"generating the demo county into {data_dir} …", file=sys.stderr)
        generate(data_dir, seed=int(config["pipeline"]["demo_seed"]), scale=args.scale)
    args_run = argparse.Namespace(
        data=str(data_dir), out=args.out, period=None, config=None, previous=None, theme=None
    )
    code = run_command(args_run)
    if code == EXIT_OK:
        print(f"demo run folder: {Path(args.out).absolute()}", file=sys.stderr)
        print(f"open {Path(args.out).absolute() / 'report.html'} in a browser", file=sys.stderr)
    return code
