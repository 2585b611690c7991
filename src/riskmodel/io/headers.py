"""Map the header row of a file to the canonical columns of its table.

Headers match a canonical name or any alias of :func:`riskmodel.schemas.aliases_for`, or an
extra spelling of ``loading.header_aliases`` (schema aliases win a clash), after
:func:`normalise_header` (spaces, line breaks, zero-width characters, full-width and square
brackets and ASCII case do not matter). A unit suffix is read: ``（元）``, ``（元/人/月）``
or ``/元`` is yuan, ``（万元）`` multiplies by 10,000, ``（%）`` marks a percentage; a
bracketed note of ``loading.header_notes`` (``身份证号（18位）``, ``姓名（必填）``) is
ignored. Unknown columns are kept under their header.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache

from riskmodel.schemas import Table, aliases_for

ZERO_WIDTH = "\u200b\u200c\u200d\u200e\u200f\u2060\ufeff\u00ad"
_ZERO_WIDTH_TABLE = dict.fromkeys(map(ord, ZERO_WIDTH), None)
_BRACKETS = str.maketrans("[]【】〔〕〖〗", "()()()()")
UNIT_FACTORS = {"元": 1.0, "万元": 10_000.0, "千元": 1_000.0, "%": 1.0, "百分比": 1.0}
_UNIT_WORDS = "|".join(sorted(UNIT_FACTORS, key=len, reverse=True))
_UNIT = re.compile(
    rf"^(?P<name>.+?)(?:\((?:单位[:]?)?(?P<unit>{_UNIT_WORDS})(?:[/每].*)?\)"
    rf"|[/_](?P<bare>元|万元|千元))$"
)
_NOTE = re.compile(r"^(?P<name>.+?)\((?P<note>[^()]+)\)$")
_TITLE_UNIT = re.compile(r"单位[:]?(?P<unit>万元|千元|元)(?![\u3400-\u9fff])")
AliasMap = Mapping[str, Iterable[str]]


def normalise_header(text: object) -> str:
    """Return the comparable form of a header: NFKC (full-width to half-width), square and
    lenticular brackets as round ones, no whitespace or zero-width characters, no leading
    or trailing ``*`` or ``:``, ASCII lower-case."""
    if text is None:
        return ""
    value = unicodedata.normalize("NFKC", str(text)).translate(_ZERO_WIDTH_TABLE)
    value = "".join(value.split()).translate(_BRACKETS).strip("*:")
    return value.lower()


def split_unit(header: str) -> tuple[str, str]:
    """Split a normalised header into (name, unit); unit is '' when none is given.

    ``金额(元)``, ``金额(单位:万元)``, ``标准(元/人/月)`` and ``金额/元`` give a unit;
    ``金额(美元)`` does not.
    """
    match = _UNIT.match(header)
    if match:
        return match["name"], match["unit"] or match["bare"]
    return header, ""


@lru_cache(maxsize=1)
def _default_settings() -> tuple[dict[str, tuple[str, ...]], tuple[str, ...]]:
    from riskmodel.config import load_defaults

    loading = load_defaults()["loading"]
    return default_aliases(loading), tuple(loading["header_notes"])


def default_aliases(loading: Mapping) -> dict[str, tuple[str, ...]]:
    """``loading.header_aliases`` as column -> spellings (the ``_open`` marker dropped)."""
    table = loading.get("header_aliases", {})
    return {column: tuple(names) for column, names in table.items() if not column.startswith("_")}


def configured_aliases(loading: Mapping) -> dict[str, tuple[str, ...]] | None:
    """The header spellings of a ``loading`` configuration (defaults merged with a user
    file), or None (the packaged defaults) when it gives none."""
    if "header_aliases" not in loading:
        return None
    return default_aliases(loading)


@lru_cache(maxsize=8)
def _note_pattern(notes: tuple[str, ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?:{note})" for note in notes) or r"(?!)")


def alias_index(table: Table, extra: AliasMap | None = None) -> dict[str, str]:
    """Normalised header spelling -> canonical column name, for one table.

    ``extra`` maps a column to more spellings (default: ``loading.header_aliases`` of the
    packaged defaults); they hold in every table with that column and never replace a
    spelling of the schema.
    """
    if extra is None:
        return _default_index(table)
    frozen = tuple(sorted((column, tuple(names)) for column, names in extra.items()))
    return _frozen_index(table, frozen)


@lru_cache(maxsize=64)
def _frozen_index(table: Table, extra: tuple[tuple[str, tuple[str, ...]], ...]) -> dict[str, str]:
    return _build_index(table, dict(extra))


@lru_cache(maxsize=64)
def _default_index(table: Table) -> dict[str, str]:
    return _build_index(table, _default_settings()[0])


def _build_index(table: Table, extra: AliasMap) -> dict[str, str]:
    index: dict[str, str] = {}
    for column in table.columns:
        for alias in aliases_for(table, column):
            index.setdefault(normalise_header(alias), column.name)
    for column in table.columns:
        index.setdefault(column.name.replace("_", ""), column.name)  # 'ID Number'
        for alias in extra.get(column.name, ()):
            index.setdefault(normalise_header(alias), column.name)
    return index


def match_header(
    header: object, index: dict[str, str], notes: Iterable[str] | None = None
) -> tuple[str | None, str]:
    """Return (canonical column or None, unit) for one raw header cell.

    ``notes`` are the patterns of a bracketed note that does not change what a header
    means (default: ``loading.header_notes``).
    """
    normal = normalise_header(header)
    if normal.startswith("(") and normal.endswith(")") and normal.count("(") == 1:
        normal = normal[1:-1]  # 【姓名】: the whole header in brackets
    if not normal:
        return None, ""
    if normal in index:
        return index[normal], ""
    name, unit = split_unit(normal)
    if unit and name in index:
        return index[name], unit
    noted = _NOTE.match(normal)
    if noted and noted["name"] in index:
        pattern = _note_pattern(tuple(notes) if notes is not None else _default_settings()[1])
        if pattern.fullmatch(noted["note"]):
            return index[noted["name"]], ""
    return None, ""


def count_matches(cells: list[object], index: dict[str, str]) -> int:
    """How many distinct canonical columns a candidate header row names."""
    return len({c for c in (match_header(cell, index)[0] for cell in cells) if c})


def unit_from_titles(rows: Iterable[Iterable[object]]) -> str:
    """The amount unit a title row above the header declares (``单位：万元``), or ''."""
    for row in rows:
        for cell in row:
            match = _TITLE_UNIT.search(normalise_header(cell))
            if match:
                return match["unit"]
    return ""


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


def map_headers(
    table: Table,
    headers: list[str],
    blank_columns: set[int],
    aliases: AliasMap | None = None,
    title_unit: str = "",
    empty_columns: set[int] | None = None,
) -> HeaderMap:
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
    aliases
        Extra spellings per column (default: ``loading.header_aliases``).
    title_unit
        The unit a title row declares for the whole table (``单位：万元``, see
        :func:`unit_from_titles`): it applies to amount columns whose header gives none.
    empty_columns
        Positions whose values are all empty: when several headers name one column, the
        first with values is used (an empty 身份证号 before a filled 公民身份号码).
    """
    index = alias_index(table, aliases)
    empty_columns = empty_columns or set()
    chosen: dict[str, int] = {}  # canonical column -> the position used for it
    for position, raw in enumerate(headers):
        if position in blank_columns:
            continue
        column = match_header(raw, index)[0]
        if column is None:
            continue
        if column not in chosen or (
            chosen[column] in empty_columns and position not in empty_columns
        ):
            chosen[column] = position
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
        if column is not None and chosen[column] != position:
            used_at = chosen[column]
            which = "the first" if used_at < position else "the one with values"
            notes.append(
                f"duplicate column {column}: '{original}' (column {position + 1}) repeats "
                f"'{headers[used_at]}' (column {used_at + 1}); {which} is used, "
                "the other is kept as an extra column"
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
        if not unit and title_unit and kind == "amount":
            unit = title_unit
            if UNIT_FACTORS[unit] != 1.0:
                notes.append(
                    f"column '{original}': the title says 单位：{unit}; values multiplied by "
                    f"{UNIT_FACTORS[unit]:,.0f}"
                )
        if unit in ("万元", "千元", "元") and kind in ("amount", "number"):
            factors[column] = UNIT_FACTORS[unit]
            if unit != "元" and unit != title_unit:
                notes.append(
                    f"column '{original}' is in {unit}: values multiplied by "
                    f"{UNIT_FACTORS[unit]:,.0f}"
                )
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
