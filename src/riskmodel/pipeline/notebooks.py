"""Running one stage notebook with papermill, and keeping executed notebooks private."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat

import riskmodel
from riskmodel.report.identifiers import identifier_mode, protect_text

os.environ.setdefault("JUPYTER_PREFER_ENV_PATH", "1")
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


@dataclass
class StageFailure(Exception):
    """A stage notebook failed: which notebook, which cell, what error."""

    stage: str
    cell_index: int | None
    error_name: str
    error_value: str
    notebook: Path | None = None
    cell_source: str = ""
    traceback_text: str = ""

    def __str__(self) -> str:
        if self.cell_index is None:
            where = "start-up (the kernel did not start or died before the first cell)"
        else:
            first = self.cell_source.strip().splitlines()[0] if self.cell_source.strip() else ""
            where = f"cell {self.cell_index}" + (f" ({first[:80]})" if first else "")
        error = f"{self.error_name}: {self.error_value}"
        return f"notebook {self.stage}.ipynb failed in {where}: {error}"


def notebook_dir(config: dict[str, Any]) -> Path:
    """The folder of the stage notebooks (``pipeline.notebook_dir`` or the source tree's)."""
    configured = config.get("pipeline", {}).get("notebook_dir", "")
    if configured:
        return Path(configured)
    package = Path(riskmodel.__file__).resolve().parent
    shipped = package / "notebooks"  # a wheel that force-includes notebooks/
    return shipped if shipped.is_dir() else package.parents[1] / "notebooks"


def _failing_cell(path: Path) -> tuple[int | None, str]:
    """Index (in the executed notebook, from 0) and source of the cell that failed."""
    try:
        notebook = nbformat.read(path, as_version=4)
    except Exception:  # the output notebook may be missing or truncated
        return None, ""
    for index, cell in enumerate(notebook.cells):
        if any(output.get("output_type") == "error" for output in cell.get("outputs", [])):
            return index, cell.source
    started = [  # the kernel died: the last cell that started is the one it died in
        index
        for index, cell in enumerate(notebook.cells)
        if cell.get("metadata", {}).get("papermill", {}).get("start_time")
    ]
    if started:
        return started[-1], notebook.cells[started[-1]].source
    return None, ""


def execute_stage(
    stage: str,
    source: Path,
    output: Path,
    parameters: dict[str, Any],
    *,
    kernel_name: str,
    cwd: Path,
    timeout: float | None,
    progress: bool,
    kernel_manager: Any | None = None,
) -> None:
    """Execute ``source`` into ``output`` with papermill, in ``kernel_manager``'s started
    kernel when one is given (:mod:`riskmodel.pipeline.kernels`), else in a new one.

    Raises
    ------
    StageFailure
        If a cell raises (naming the code cell, counted from 1 without papermill's own
        injected-parameters cell) or the kernel cannot start or dies.
    """
    import papermill
    from papermill.exceptions import PapermillExecutionError

    from riskmodel.pipeline.kernels import kernel_arguments

    if not source.exists():
        raise StageFailure(stage, None, "FileNotFoundError", f"notebook {source} does not exist")
    started = {} if kernel_manager is None else {"km": kernel_manager}
    try:
        papermill.execute_notebook(
            str(source),
            str(output),
            parameters=parameters,
            kernel_name=kernel_name,
            language="python",
            # the kernel's working folder, set on the kernel alone: papermill's own ``cwd``
            # changes the whole process's folder, which notebooks run side by side race on
            resources={"metadata": {"path": str(cwd)}},
            progress_bar=progress,
            log_output=False,
            execution_timeout=timeout,
            report_mode=False,
            # silence the kernel's "running over TCP without encryption" start-up warning
            extra_arguments=kernel_arguments(),
            **started,
        )
    except PapermillExecutionError as exc:
        lines = exc.traceback if isinstance(exc.traceback, list) else [str(exc.traceback or "")]
        text = _ANSI.sub("", "\n".join(lines))
        raise StageFailure(
            stage, exc.cell_index, exc.ename, exc.evalue, output, exc.source or "", text
        ) from None
    except (KeyboardInterrupt, SystemExit):
        raise
    except Exception as exc:  # kernel died, timeout, notebook unreadable, …
        index, cell_source = _failing_cell(output)
        raise StageFailure(
            stage, index, type(exc).__name__, str(exc), output, cell_source
        ) from None


def scrub_notebook(path: Path, config: dict[str, Any]) -> None:
    """Rewrite an executed notebook so its outputs follow the privacy setting.

    Every text output, HTML table, traceback and the injected parameters pass through the
    identifier masking unless the run shows identifiers in full.
    """
    if identifier_mode(config) == "full" or not path.exists():
        return
    notebook = nbformat.read(path, as_version=4)
    for cell in notebook.cells:
        cell.source = protect_text(cell.source, config)
        for output in cell.get("outputs", []):
            if "text" in output:
                output["text"] = protect_text("".join(output["text"]), config)
            if "traceback" in output:
                output["traceback"] = [protect_text(line, config) for line in output["traceback"]]
            if "evalue" in output:
                output["evalue"] = protect_text(output["evalue"], config)
            for mime, value in output.get("data", {}).items():
                if mime.startswith("text/") or mime == "application/json":
                    if isinstance(value, list):
                        value = "".join(value)
                    if isinstance(value, str):
                        output["data"][mime] = protect_text(value, config)
    nbformat.write(notebook, path)
