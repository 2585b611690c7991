"""Stage outputs in the work folder: tables as Parquet, small objects as JSON or pickle.

Notebooks stay thin by passing tables through these helpers; the work folder lives inside
the staging run folder and is removed before the run is published (it holds unmasked data).
"""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa


def _table_path(work_dir: Path, name: str) -> Path:
    return Path(work_dir) / "tables" / f"{name}.parquet"


def save_table(work_dir: str | Path, name: str, table: pd.DataFrame) -> Path:
    """Write ``table`` as ``work_dir/tables/<name>.parquet``; return the path.

    Object columns holding mixed Python values are written as strings.
    """
    path = _table_path(Path(work_dir), name)
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        table.to_parquet(path, index=False)
    except (pa.ArrowException, TypeError, ValueError):
        safe = table.copy()
        for column in safe.columns:
            if safe[column].dtype == object:
                safe[column] = safe[column].map(lambda v: None if v is None else str(v))
        safe.to_parquet(path, index=False)
    return path


def load_table(work_dir: str | Path, name: str) -> pd.DataFrame:
    """Read a table written by :func:`save_table`.

    Raises
    ------
    FileNotFoundError
        Naming the stage output that is missing.
    """
    path = _table_path(Path(work_dir), name)
    if not path.exists():
        raise FileNotFoundError(f"stage output {name!r} is missing ({path}); run its stage first")
    return pd.read_parquet(path)


def has_table(work_dir: str | Path, name: str) -> bool:
    """Whether a stage wrote table ``name``."""
    return _table_path(Path(work_dir), name).exists()


def save_tables(work_dir: str | Path, prefix: str, tables: dict[str, pd.DataFrame]) -> None:
    """Write each table of ``tables`` as ``<prefix>.<name>``."""
    for name, table in tables.items():
        save_table(work_dir, f"{prefix}.{name}", table)


def load_tables(work_dir: str | Path, prefix: str) -> dict[str, pd.DataFrame]:
    """Read every table written with :func:`save_tables` under ``prefix``."""
    folder = Path(work_dir) / "tables"
    return {
        path.name[len(prefix) + 1 : -len(".parquet")]: pd.read_parquet(path)
        for path in sorted(folder.glob(f"{prefix}.*.parquet"))
    }


def save_json(work_dir: str | Path, name: str, value: Any) -> Path:
    """Write ``value`` as ``work_dir/<name>.json`` (UTF-8, non-ASCII kept)."""
    path = Path(work_dir) / f"{name}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(value, ensure_ascii=False, indent=2, default=str), "utf-8")
    return path


def load_json(work_dir: str | Path, name: str, default: Any = None) -> Any:
    """Read ``work_dir/<name>.json``, or ``default`` when it does not exist."""
    path = Path(work_dir) / f"{name}.json"
    if not path.exists():
        return default
    return json.loads(path.read_text("utf-8"))


def save_object(work_dir: str | Path, name: str, value: Any) -> Path:
    """Pickle ``value`` (e.g. the relationship graph) as ``work_dir/<name>.pickle``."""
    path = Path(work_dir) / f"{name}.pickle"
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as handle:
        pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
    return path


def load_object(work_dir: str | Path, name: str) -> Any:
    """Read an object written by :func:`save_object` (only files this job wrote)."""
    with (Path(work_dir) / f"{name}.pickle").open("rb") as handle:
        return pickle.load(handle)
