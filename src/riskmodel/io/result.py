"""What loading a folder produces, and how it is written for the analyst."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import pandas as pd

DATA_QUALITY_COLUMNS = ["file", "line", "table", "column", "value", "problem"]
QUARANTINE_LEAD_COLUMNS = ["file", "line", "reason"]


@dataclass
class TableReport:
    """How one table's file was read and validated (no identifiers in any field)."""

    table: str
    path: str
    file_format: str
    encoding: str = ""
    sheet: str = ""
    header_line: int = 1
    read: int = 0
    accepted: int = 0
    quarantined: int = 0
    reasons: dict[str, int] = field(default_factory=dict)
    """Quarantine reason -> rows (a row may carry several reasons)."""
    suspect_values: int = 0
    """Rows of data_quality for this table."""
    notes: list[str] = field(default_factory=list)
    """Repairs and remarks (header found on row 3, column in 万元, ...)."""
    seconds: float = 0.0

    @property
    def reconciles(self) -> bool:
        """read == accepted + quarantined."""
        return self.read == self.accepted + self.quarantined


@dataclass
class LoadResult:
    """Loaded tables with everything that was set aside or noted on the way."""

    tables: dict[str, pd.DataFrame]
    quarantine: dict[str, pd.DataFrame]
    data_quality: pd.DataFrame
    inputs: list[dict]
    """Manifest entries: table, path (relative), sha256, read, accepted, quarantined."""
    reports: dict[str, TableReport]
    unknown_files: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    """Fatal problems (only filled when loading with ``strict=False``)."""
    notes: list[str] = field(default_factory=list)
    """Folder-level remarks (files matched by a partial name, ...)."""

    @property
    def can_score(self) -> bool:
        """True when no fatal problem was found and the required tables are present."""
        return not self.errors


def empty_data_quality() -> pd.DataFrame:
    """An empty data_quality frame with its columns."""
    return pd.DataFrame(
        {c: pd.Series(dtype="int64" if c == "line" else "str") for c in DATA_QUALITY_COLUMNS}
    )


def validation_summary(result: LoadResult) -> dict:
    """The content of validation.json."""
    return {
        "can_score": result.can_score,
        "errors": result.errors,
        "inputs": result.inputs,
        "tables": {
            name: {k: v for k, v in asdict(report).items() if k != "table"}
            for name, report in result.reports.items()
        },
        "unknown_files": result.unknown_files,
        "notes": result.notes,
    }


def write_validation(result: LoadResult, out_dir: str | Path) -> Path:
    """Write ``validation.json``, ``quarantine/<table>.csv`` and ``data_quality.csv``.

    CSV files are UTF-8 with BOM (Excel and WPS open them correctly). A quarantine file
    holds ``file``, ``line``, ``reason``, then the row's original columns; one is written
    for every loaded table, empty when nothing was quarantined.

    Returns
    -------
    Path
        The output folder.
    """
    out = Path(out_dir)
    (out / "quarantine").mkdir(parents=True, exist_ok=True)
    summary = validation_summary(result)
    (out / "validation.json").write_text(
        json.dumps(summary, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
    )
    for table, rows in result.quarantine.items():
        rows.to_csv(out / "quarantine" / f"{table}.csv", index=False, encoding="utf-8-sig")
    result.data_quality.to_csv(out / "data_quality.csv", index=False, encoding="utf-8-sig")
    return out
