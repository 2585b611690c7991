"""Map the header row of a file to the canonical columns of its table.

Headers match a canonical name or any alias of :func:`riskmodel.schemas.aliases_for`
after :func:`normalise_header` (spaces, zero-width characters, full-width brackets and
ASCII case do not matter). A unit suffix is read: ``（元）`` is yuan, ``（万元）`` multiplies
by 10,000, ``（%）`` marks a percentage. Unknown columns are kept under their header.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field

from riskmodel.schemas import Table, aliases_for

ZERO_WIDTH = "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u00ad"
_ZERO_WIDTH_TABLE = dict.fromkeys(map(ord, ZERO_WIDTH), None)
_UNIT = re.compile(r"^(?P<name>.+?)\((?:单位[:]?)?(?P<unit>元|万元|%|百分比)\)$")
UNIT_FACTORS = {"元": 1.0, "万元": 10_000.0, "%": 1.0, "百分比": 1.0}


def normalise_header(text: object) -> str:
    """Return the comparable form of a header: NFKC (full-width to half-width), no
    whitespace or zero-width characters, no trailing ``*`` or ``:``, ASCII lower-case."""
    if text is None:
        return ""
    value = unicodedata.normalize("NFKC", str(text)).translate(_ZERO_WIDTH_TABLE)
    value = "".join(value.split()).strip("*:")
    return value.lower()


def split_unit(header: str) -> tuple[str, str]:
    """Split a normalised header into (name, unit); unit is '' when none is given."""
    match = _UNIT.match(header)
    if match:
        return match["name"], match["unit"]
    return header, ""


def alias_index(table: Table) -> dict[str, str]:
    """Normalised header spelling -> canonical column name, for one table."""
    index: dict[str, str] = {}
    for column in table.columns:
        for alias in aliases_for(table, column):
            index.setdefault(normalise_header(alias), column.name)
    return index


def match_header(header: object, index: dict[str, str]) -> tuple[str | None, str]:
    """Return (canonical column or None, unit) for one raw header cell."""
    normal = normalise_header(header)
    if not normal:
        return None, ""
    if normal in index:
        return index[normal], ""
    name, unit = split_unit(normal)
    if unit and name in index:
        return index[name], unit
    return None, ""


def count_matches(cells: list[object], index: dict[str, str]) -> int:
    """How many distinct canonical columns a candidate header row names."""
    return len({c for c in (match_header(cell, index)[0] for cell in cells) if c})


@dataclass
class HeaderMap:
    """How the positional columns of a file map to output columns."""

    names: list[str]
    """Output name per position: canonical, or the original header for extra columns."""
    canonical: dict[str, int]
    """Canonical column -> position."""
    factors: dict[str, float] = field(default_factory=dict)
    """Canonical amount/number column -> multiplier from its unit (万元 = 10,000)."""
    percent: set[str] = field(default_factory=set)
    """Canonical ratio columns whose header says (%)."""
    notes: list[str] = field(default_factory=list)


def map_headers(table: Table, headers: list[str], blank_columns: set[int]) -> HeaderMap:
    """Map raw header cells to canonical names.

    Parameters
    ----------
    table
        The table declaration.
    headers
        Raw header cell per position (already text).
    blank_columns
        Positions whose header and every value are empty: they get no name and are
        dropped by the caller.
    """
    index = alias_index(table)
    names: list[str] = []
    canonical: dict[str, int] = {}
    factors: dict[str, float] = {}
    percent: set[str] = set()
    notes: list[str] = []
    used: set[str] = set()
    for position, raw in enumerate(headers):
        original = " ".join(str(raw).split()).translate(_ZERO_WIDTH_TABLE)
        if position in blank_columns:
            names.append("")
            continue
        column, unit = match_header(raw, index)
        if column is not None and column in canonical:
            first = headers[canonical[column]]
            notes.append(
                f"duplicate column {column}: '{original}' (column {position + 1}) repeats "
                f"'{first}' (column {canonical[column] + 1}); the first is used, "
                "the second is kept as an extra column"
            )
            column = None
        if column is None:
            name = original or f"column_{position + 1}"
            base, counter = name, 2
            while name in used or name in index.values():
                name = f"{base}.{counter}"
                counter += 1
            names.append(name)
            used.add(name)
            continue
        names.append(column)
        used.add(column)
        canonical[column] = position
        kind = table.column(column).kind
        if unit in ("万元", "元") and kind in ("amount", "number"):
            factors[column] = UNIT_FACTORS[unit]
            if unit == "万元":
                notes.append(f"column '{original}' is in 万元: values multiplied by 10,000")
        elif unit in ("%", "百分比") and kind == "ratio":
            percent.add(column)
        elif unit:
            notes.append(f"column '{original}': unit ({unit}) does not apply to {column}")
    blank = len(blank_columns)
    if blank:
        notes.append(f"{blank} blank column(s) without header or values dropped")
    return HeaderMap(names, canonical, factors, percent, notes)


def describe_column(table: Table, column: str) -> str:
    """'amount (金额/发放金额)': a column with its accepted headers, for error messages."""
    aliases = [a for a in aliases_for(table, table.column(column)) if a != column]
    return f"{column} ({'/'.join(aliases)})" if aliases else column
