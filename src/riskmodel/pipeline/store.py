"""Stage outputs in the work folder: tables as Arrow IPC files, small objects as JSON.

Notebooks stay thin by passing tables through these helpers; the work folder lives inside
the staging run folder and is removed before the run is published (it holds unmasked data).

Tables are written uncompressed and read memory-mapped: a stage reads the county's input
tables in a tenth of a second instead of seconds of Parquet decoding, and kernels running
side by side share the pages of the same file. A table is written to a temporary file and
renamed over the old one, so a kernel still mapping the old file never sees it change.
"""

from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import feather

SUFFIX = ".arrow"
# rows per record batch: a column reads back in chunks of this size (as Parquet row groups did)
BATCH_ROWS = 1 << 20


def _table_path(work_dir: Path, name: str) -> Path:
    return Path(work_dir) / "tables" / f"{name}{SUFFIX}"


def _arrow_table(table: pd.DataFrame, keep_index: bool = False) -> pa.Table:
    """``table`` as Arrow (its index too with ``keep_index``); object columns of mixed
    values as strings."""
    preserve = None if keep_index else False  # None: a RangeIndex as metadata, others as data
    try:
        return pa.Table.from_pandas(table, preserve_index=preserve)
    except (pa.ArrowException, TypeError, ValueError):
        safe = table.copy()
        for column in safe.columns:
            if safe[column].dtype == object:
                safe[column] = safe[column].map(lambda v: None if v is None else str(v))
        return pa.Table.from_pandas(safe, preserve_index=preserve)


def save_table(
    work_dir: str | Path, name: str, table: pd.DataFrame, *, keep_index: bool = False
) -> Path:
    """Write ``table`` as ``work_dir/tables/<name>.arrow``; return the path.

    Object columns holding mixed Python values are written as strings. The index is dropped
    unless ``keep_index`` (then :func:`load_table` gives it back).
    """
    path = _table_path(Path(work_dir), name)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    try:
        arrow = _arrow_table(table, keep_index)
        feather.write_feather(arrow, partial, compression="uncompressed", chunksize=BATCH_ROWS)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return path


# tables written at once by save_tables (two cores keep a county's input writes disk-bound)
WRITE_THREADS = 2

# Windows cannot replace or delete a file while it is mapped: read it into memory there
MEMORY_MAP = os.name != "nt"


def read_table_file(
    path: str | Path, column: str | None = None, values: list[str] | None = None
) -> pd.DataFrame:
    """A table file of the work folder as a DataFrame (memory-mapped); with ``column`` and
    ``values`` only its rows whose ``column`` is one of ``values`` (filtered in Arrow)."""
    table = feather.read_table(str(path), memory_map=MEMORY_MAP)
    if column is not None:
        wanted = pa.array(values or [], type=table[column].type)
        table = table.filter(pc.is_in(table[column], value_set=wanted))
    return table.to_pandas()


def table_files(work_dir: str | Path, prefix: str) -> dict[str, Path]:
    """``<name>`` → path of every table saved with :func:`save_tables` under ``prefix``."""
    folder = Path(work_dir) / "tables"
    return {
        path.name[len(prefix) + 1 : -len(SUFFIX)]: path
        for path in sorted(folder.glob(f"{prefix}.*{SUFFIX}"))
    }


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
    return read_table_file(path)


def has_table(work_dir: str | Path, name: str) -> bool:
    """Whether a stage wrote table ``name``."""
    return _table_path(Path(work_dir), name).exists()


def save_tables(work_dir: str | Path, prefix: str, tables: dict[str, pd.DataFrame]) -> None:
    """Write each table of ``tables`` as ``<prefix>.<name>``, several at once (Arrow writes
    without holding the GIL), the largest first."""
    largest_first = sorted(tables, key=lambda name: -len(tables[name]))
    workers = min(len(largest_first), WRITE_THREADS)
    if workers <= 1:
        for name in largest_first:
            save_table(work_dir, f"{prefix}.{name}", tables[name])
        return
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="save") as pool:
        for done in [
            pool.submit(save_table, work_dir, f"{prefix}.{name}", tables[name])
            for name in largest_first
        ]:
            done.result()


def load_tables(work_dir: str | Path, prefix: str) -> dict[str, pd.DataFrame]:
    """Read every table written with :func:`save_tables` under ``prefix``."""
    return {name: read_table_file(path) for name, path in table_files(work_dir, prefix).items()}


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
