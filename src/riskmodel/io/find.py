"""Find each table's file in a data folder by its canonical or Chinese name.

Besides the names of :mod:`riskmodel.schemas`, ``loading.file_names`` lists more names
offices give their exports (``户籍信息``, ``村干部名单``); the schema's names win a clash.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from riskmodel.io.errors import DataError
from riskmodel.io.headers import normalise_header
from riskmodel.schemas import TABLES

SUFFIXES = (".csv", ".xlsx", ".xlsm", ".xls", ".parquet", ".pq")
IGNORED_PREFIXES = (".", "_", "~$")


@dataclass
class FoundFiles:
    """What :func:`find_tables` found in a folder."""

    files: dict[str, Path] = field(default_factory=dict)
    """Table name -> its file."""
    unknown: list[Path] = field(default_factory=list)
    """Files that match no table (reported, not fatal)."""
    errors: list[str] = field(default_factory=list)
    """Fatal problems (two files for one table)."""
    notes: list[str] = field(default_factory=list)


def table_names(extra: Mapping[str, Iterable[str]] | None = None) -> dict[str, str]:
    """Normalised file stem (canonical or Chinese table name) -> table name.

    ``extra`` maps a table to more names (default: ``loading.file_names``).
    """
    if extra is None:
        return dict(_default_names())
    return _build_names(extra)


@lru_cache(maxsize=1)
def _default_names() -> tuple[tuple[str, str], ...]:
    from riskmodel.config import load_defaults

    configured = load_defaults()["loading"].get("file_names", {})
    return tuple(_build_names(configured).items())


def _build_names(extra: Mapping[str, Iterable[str]]) -> dict[str, str]:
    names: dict[str, str] = {}
    for table in TABLES:
        for name in (table.name, *table.chinese_names):
            names[normalise_header(name)] = table.name
    for table in TABLES:
        for name in extra.get(table.name, ()):
            names.setdefault(normalise_header(name), table.name)
    return names


def match_file(path: Path, names: dict[str, str] | None = None) -> tuple[str | None, str]:
    """Return (table name or None, note) for one file name.

    An exact name wins; otherwise a stem that contains exactly one table's Chinese name
    (``2024年补贴发放明细.xlsx``) matches it, with a note.
    """
    names = table_names() if names is None else names
    stem = normalise_header(path.stem)
    if stem in names:
        return names[stem], ""
    contained = {table for name, table in names.items() if len(name) >= 3 and name in stem}
    if len(contained) == 1:
        table = contained.pop()
        return table, f"{path.name}: read as table {table} (its name contains the table's name)"
    if len(contained) > 1:
        return None, f"{path.name}: name fits several tables ({', '.join(sorted(contained))})"
    return None, ""


def find_tables(
    data_dir: str | Path, file_names: Mapping[str, Iterable[str]] | None = None
) -> FoundFiles:
    """Locate the file of each table among the top-level files of ``data_dir``.

    Hidden files, Excel lock files (``~$…``) and names starting with ``_`` (such as the
    ``_truth`` folder) are ignored. Two files for one table are an error. ``file_names``:
    more names per table (``loading.file_names`` of the configuration; default: the
    packaged ones).

    Raises
    ------
    DataError
        If ``data_dir`` is not a folder.
    """
    folder = Path(data_dir)
    if not folder.is_dir():
        raise DataError(f"{folder}: no such data folder; give the folder holding the exports")
    found = FoundFiles()
    names = table_names(file_names)
    candidates: dict[str, list[Path]] = {}
    exact: dict[str, list[Path]] = {}
    for path in sorted(folder.iterdir()):
        if path.name.startswith(IGNORED_PREFIXES) or not path.is_file():
            continue
        if path.suffix.lower() not in SUFFIXES:
            found.unknown.append(path)
            continue
        table, note = match_file(path, names)
        if table is None:
            found.unknown.append(path)
            if note:
                found.notes.append(note)
            continue
        candidates.setdefault(table, []).append(path)
        if not note:
            exact.setdefault(table, []).append(path)
        else:
            found.notes.append(note)
    for table, paths in candidates.items():
        chosen = exact.get(table, paths)
        if len(chosen) > 1:
            listed = ", ".join(p.name for p in chosen)
            found.errors.append(
                f"{listed}: several files for table {table}; keep one file per table "
                "(merge them or move the others out of the folder)"
            )
            continue
        found.files[table] = chosen[0]
        found.unknown.extend(p for p in paths if p != chosen[0])
    return found
