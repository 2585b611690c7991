"""Turn raw text cells into typed values: amounts, numbers, dates, ratios, clean text.

Every coercer works on the distinct values of a column (``pandas.factorize``) with pandas
string methods, then spreads the result back, so a 3-million-row column of a few thousand
distinct amounts or dates costs one pass. Each returns the typed values and a boolean
array ``bad``: a non-empty cell that could not be read (empty cells are missing, not bad).
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from riskmodel.io import rows
from riskmodel.io.headers import ZERO_WIDTH

# full-width ASCII (U+FF01..U+FF5E) and the ideographic space -> half-width
FULLWIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {
    0x3000: 0x20,
    0x2212: ord("-"),  # minus sign
    0x2014: ord("-"),  # em dash used as a minus
    0x3002: ord("."),  # ideographic full stop typed as a decimal point
}
_ZERO_WIDTH_PATTERN = f"[{ZERO_WIDTH}]"
# a value starting or ending with whitespace (RE2 syntax: used through pyarrow directly)
_SPACE_CLASS = (
    r"[\s\x0b\x{85}\x{a0}\x{1680}\x{2000}-\x{200a}\x{2028}\x{2029}\x{202f}\x{205f}\x{3000}]"
)
_NEEDS_CLEANING = f"^{_SPACE_CLASS}|{_SPACE_CLASS}$|{_ZERO_WIDTH_PATTERN}"
# every character _SPACE_CLASS matches (and the rest of Python's whitespace): byte screen
_SPACE_CODES = np.array(
    sorted(
        {*range(0x09, 0x0E), *range(0x1C, 0x21), 0x85, 0xA0, 0x1680, *range(0x2000, 0x200B)}
        | {0x2028, 0x2029, 0x202F, 0x205F, 0x3000}
    )
)
_SPACE_FIRST_BYTE = np.zeros(256, dtype=bool)  # first byte of a space's UTF-8 encoding
_SPACE_LAST_BYTE = np.zeros(256, dtype=bool)  # last byte of a space's UTF-8 encoding
_SPACE_BEFORE_LAST_BYTE = np.zeros(256, dtype=bool)  # the byte before it (multi-byte ones)
for _encoded in (chr(_code).encode() for _code in _SPACE_CODES.tolist()):
    _SPACE_FIRST_BYTE[_encoded[0]] = True
    _SPACE_LAST_BYTE[_encoded[-1]] = True
    if len(_encoded) > 1:
        _SPACE_BEFORE_LAST_BYTE[_encoded[-2]] = True
_WIDE_SPACE_LEADS = tuple(bytes([byte]) for byte in np.flatnonzero(_SPACE_FIRST_BYTE[0x80:]) + 0x80)
_ZERO_WIDTH_BYTES = tuple(char.encode() for char in ZERO_WIDTH)
_ZERO_WIDTH_LEADS = tuple(sorted({needle[:1] for needle in _ZERO_WIDTH_BYTES}))
EXCEL_EPOCH = np.datetime64("1899-12-30", "ns")
DATE_DTYPE = "datetime64[ns]"

_TIME = (
    r"(?P<hour>\d{1,2})\s*[:时]\s*(?P<minute>\d{1,2})"
    r"(?:\s*[:分]\s*(?P<second>\d{1,2})(?:\.\d+)?\s*秒?)?\s*分?"
)
_WEEKDAY = r"(?:\s*[(]?(?:星期|周|礼拜)[一二三四五六日天][)]?)?"
#: 上午/下午 (or AM/PM) before or after the time, as Chinese-locale exports write it
_AFTERNOON = r"下午|晚上|PM|pm|P\.M\."
_MORNING = r"上午|早上|凌晨|AM|am|A\.M\."
_MERIDIEM_BEFORE = rf"(?:(?:{_AFTERNOON}|{_MORNING}|中午)\s*)?"
_MERIDIEM_AFTER = rf"(?:\s*(?:{_AFTERNOON}|{_MORNING}))?"
_YMD = (
    r"^(?P<year>\d{4})\s*[-/.年]\s*(?P<month>\d{1,2})\s*[-/.月]\s*(?P<day>\d{1,2})\s*[日号]?"
    rf"{_WEEKDAY}(?:[\sT]*{_MERIDIEM_BEFORE}{_TIME}{_MERIDIEM_AFTER}"
    r"\s*(?:[+-]\d{2}:?\d{2}|Z)?)?$"
)
_COMPACT = (
    r"^(?P<year>\d{4})(?P<month>\d{2})(?P<day>\d{2})"
    r"(?:[\sT]*(?P<hour>\d{2}):?(?P<minute>\d{2})(?::?(?P<second>\d{2}))?)?$"
)
_MONTH_ONLY = r"^(?P<year>\d{4})\s*[-/.年]\s*(?P<month>\d{1,2})\s*月?$"
_COMPACT_MONTH = r"^(?P<year>\d{4})(?P<month>0[1-9]|1[0-2])$"
_SERIAL = r"^\d{5}(?:\.\d+)?$"
_DATE_PATTERNS = ((_YMD, False), (_COMPACT, False), (_MONTH_ONLY, True), (_COMPACT_MONTH, True))
_DATE_PARTS = ("year", "month", "day", "hour", "minute", "second")
_PLAIN_DATE = r"^[\t\n\f\r\x20-\x7e年月日号时分秒星期周礼拜一二三四五六天]*$"
"""Values of only these characters need no half-width translation, and the date patterns
read them the same in Arrow (RE2: ``\\d`` and ``\\s`` are ASCII) as in Python's ``re``."""


def clean_text(text: pd.Series) -> pd.Series:
    """Strip surrounding whitespace (also the ideographic space) and remove zero-width
    characters anywhere; missing values become ''."""
    if not isinstance(text.dtype, pd.StringDtype):
        text = text.astype("str")
    if text.hasnans:
        text = text.fillna("")
    if not _may_need_cleaning(text):
        return text  # a byte screen finds nothing to clean: no copy of a big column
    if not pc.any(pc.match_substring_regex(pa.array(text), _NEEDS_CLEANING)).as_py():
        return text
    if text.str.contains(_ZERO_WIDTH_PATTERN, regex=True).any():
        text = text.str.replace(_ZERO_WIDTH_PATTERN, "", regex=True)
    return text.str.strip()


def _may_need_cleaning(text: pd.Series) -> bool:
    """False when no value starts or ends with whitespace and none holds a zero-width
    character, read off the Arrow bytes without per-value Python work (the one regex
    over every value costs more); True may be a false alarm."""
    chunks = rows.arrow_chunks(text)
    if chunks is None:
        return True
    return any(_chunk_may_need_cleaning(chunk) for chunk in chunks)


def _chunk_may_need_cleaning(chunk: pa.Array) -> bool:
    """:func:`_may_need_cleaning` of one Arrow chunk (exact)."""
    bounds = rows.value_offsets(chunk)
    buffer = chunk.buffers()[2]
    if buffer is None or bounds[-1] == bounds[0]:
        return False
    data = memoryview(buffer)[int(bounds[0]) : int(bounds[-1])].tobytes()
    ascii_only = data.isascii()
    if not ascii_only and _holds_zero_width(data):
        return True
    if not _holds_space(data, ascii_only):
        return False  # no whitespace anywhere: no value starts or ends with it
    return _edge_space(np.frombuffer(buffer, dtype=np.uint8), bounds)


def _holds_zero_width(data: bytes) -> bool:
    """Whether UTF-8 ``data`` holds a zero-width character: one memchr per lead byte, then
    the characters (a whole character never straddles two valid values)."""
    return any(lead in data for lead in _ZERO_WIDTH_LEADS) and any(
        needle in data for needle in _ZERO_WIDTH_BYTES
    )


def _holds_space(data: bytes, ascii_only: bool) -> bool:
    """False when UTF-8 ``data`` holds no whitespace character at all (True may be a false
    alarm: a control byte, or a character sharing a space's first byte)."""
    if np.frombuffer(data, dtype=np.uint8).min() <= 0x20:
        return True
    return not ascii_only and any(lead in data for lead in _WIDE_SPACE_LEADS)


def _edge_space(data: np.ndarray, bounds: np.ndarray) -> bool:
    """Whether a value (``data[bounds[i]:bounds[i + 1]]``) starts or ends with
    whitespace: the first and last bytes of every value are screened, the few suspects
    decoded (exact)."""
    starts, ends = bounds[:-1], bounds[1:]
    inside = int(np.searchsorted(starts, len(data)))  # later values are empty
    suspects = np.flatnonzero(_SPACE_FIRST_BYTE[data[starts[:inside]]])
    suspects = suspects[ends[suspects] > starts[suspects]]
    if len(suspects) and np.isin(_first_code(data, starts[suspects]), _SPACE_CODES).any():
        return True
    suspects = np.flatnonzero(_SPACE_LAST_BYTE[data[ends - 1]])  # ends - 1 may be -1
    suspects = suspects[ends[suspects] > starts[suspects]]
    last = ends[suspects]
    single = data[last - 1] < 0x80
    suspects = last[single | _SPACE_BEFORE_LAST_BYTE[data[np.maximum(last - 2, 0)]]]
    return bool(len(suspects)) and bool(np.isin(_last_code(data, suspects), _SPACE_CODES).any())


def _first_code(data: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Code point of the character starting at each of ``starts`` (-1 beyond U+FFFF)."""
    top = len(data) - 1
    starts = starts.astype(np.int64)
    lead = data[starts].astype(np.int64)
    second = data[np.minimum(starts + 1, top)].astype(np.int64) & 0x3F
    third = data[np.minimum(starts + 2, top)].astype(np.int64) & 0x3F
    two = ((lead & 0x1F) << 6) | second
    three = ((lead & 0x0F) << 12) | (second << 6) | third
    return np.where(lead < 0x80, lead, np.where(lead < 0xE0, two, np.where(lead < 0xF0, three, -1)))


def _last_code(data: np.ndarray, ends: np.ndarray) -> np.ndarray:
    """Code point of the character ending just before each of ``ends`` (-1 beyond U+FFFF)."""
    ends = ends.astype(np.int64)
    last = data[ends - 1].astype(np.int64)
    before = data[np.maximum(ends - 2, 0)].astype(np.int64)
    third = data[np.maximum(ends - 3, 0)].astype(np.int64)
    two = ((before & 0x1F) << 6) | (last & 0x3F)
    three = ((third & 0x0F) << 12) | ((before & 0x3F) << 6) | (last & 0x3F)
    return np.where(
        last < 0x80,
        last,
        np.where((before & 0xE0) == 0xC0, two, np.where((third & 0xF0) == 0xE0, three, -1)),
    )


def _spread(text: pd.Series, parse) -> tuple:
    """Apply ``parse`` to the distinct values of ``text`` and spread the results back."""
    codes, uniques = pd.factorize(text.fillna(""))
    results = parse(pd.Series(uniques).astype("str"))
    return tuple(np.asarray(result)[codes] for result in results)


def halfwidth(text: pd.Series) -> pd.Series:
    """Full-width digits, letters and punctuation to half-width."""
    return text.str.translate(FULLWIDTH)


_PLAIN_NUMBER = r"-?[0-9]+(?:\.[0-9]+)?"
_CURRENCY = r"^([-+]?)(?:[¥￥$]|RMB|CNY|人民币)"
_SUFFIX = r"(?:整|/[^/0-9.]+)$"
_GROUPED = r"[-+]?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]{1,4}(?:,[0-9]{4})+)(?:\.[0-9]*)?"


def _parse_numbers(
    uniques: pd.Series, missing_words: frozenset[str], header_factor: float = 1.0
) -> tuple:
    plain = uniques.str.fullmatch(_PLAIN_NUMBER).to_numpy(dtype=bool, na_value=False)
    if plain.all():  # the common case: plain numbers, one conversion
        values = pd.to_numeric(uniques, errors="coerce").to_numpy(dtype=float, na_value=np.nan)
        return _scaled(values, np.full(len(values), header_factor)), np.isnan(values)
    # plain numbers among other spellings: the one conversion reads them as the spelling
    # rules below would (unless a missing word or out of range: those take the rules)
    quick = plain & ~uniques.isin(missing_words).to_numpy(dtype=bool)
    values = np.full(len(uniques), np.nan)
    if quick.any():
        values[quick] = pd.to_numeric(uniques[quick], errors="coerce").to_numpy(
            dtype=float, na_value=np.nan
        )
        quick &= np.isfinite(values)
    bad = np.zeros(len(uniques), dtype=bool)
    factor = np.full(len(uniques), header_factor)
    values[~quick], bad[~quick], factor[~quick] = _parse_spellings(
        uniques[~quick], missing_words, header_factor
    )
    return _scaled(values, factor), bad


def _scaled(values: np.ndarray, factor: np.ndarray) -> np.ndarray:
    """``values × factor``, without the float noise of the product (0.0061 万元 is 61 元,
    not 61.00000000000001): scaled values are rounded to 6 decimals."""
    scaled = factor != 1.0
    if not scaled.any():
        return values
    return np.where(scaled, np.round(values * factor, 6), values)


def _parse_spellings(
    uniques: pd.Series, missing_words: frozenset[str], header_factor: float = 1.0
) -> tuple:
    """Amounts in any spelling :func:`coerce_amount` reads: (values before scaling, bad,
    factor). A value with its own unit (``元``, ``万``) has its factor from it; others take
    ``header_factor`` (the unit of the column header)."""
    text = halfwidth(uniques).str.strip()
    missing = (text == "") | text.isin(missing_words)
    text = text.str.replace(r"[\s_']", "", regex=True)
    text = text.str.replace(_CURRENCY, r"\1", regex=True)
    text = text.str.replace(_SUFFIX, "", regex=True).str.replace(_SUFFIX, "", regex=True)
    wan = text.str.contains(r"万(?:元)?$", regex=True).to_numpy(dtype=bool)
    own_unit = text.str.contains(r"(?:万元|万|元|圆|块)$", regex=True).to_numpy(dtype=bool)
    text = text.str.replace(r"(?:万元|万|元|圆|块)$", "", regex=True)
    text = text.str.replace(r"^\((.*)\)$", r"-\1", regex=True)
    text = text.str.replace(r"^([0-9][0-9,.]*)-$", r"-\1", regex=True)
    text = text.str.replace(r"^-+", "-", regex=True)
    commas = text.str.contains(",", regex=False)
    if commas.any():  # thousands separators must group digits by three (or by four: 1,2000)
        grouped = text.str.fullmatch(_GROUPED)
        text = text.where(~commas | grouped, "?").str.replace(",", "", regex=False)
    shaped = text.str.fullmatch(r"[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")
    values = pd.to_numeric(text.where(shaped, None), errors="coerce").to_numpy(
        dtype=float, na_value=np.nan
    )
    factor = np.where(wan, 10_000.0, np.where(own_unit, 1.0, header_factor))
    values = np.array(values, dtype=float)  # writable
    values[~np.isfinite(values)] = np.nan
    missing = missing.to_numpy(dtype=bool)
    values[missing] = np.nan
    bad = ~missing & np.isnan(values)
    return values, bad, factor


def coerce_amount(
    text: pd.Series, missing_words: frozenset[str] = frozenset(), header_factor: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """Read yuan amounts: ``1,234.50``, ``1234.5元``, ``￥1234``, ``-￥1234``, full-width
    digits, ``(12.00)`` or ``12.00-`` for a negative, ``1.2万`` for 12,000, ``1200元整``,
    ``1200元/月``. Commas that do not group digits by three (``12,00``, a decimal comma)
    make the value unreadable, never a hundred times larger. ``header_factor`` is the unit
    of the column header (10,000 under （万元）), applied to the values that carry no unit
    of their own (``480元`` under （万元） is 480 yuan).

    Returns
    -------
    values, bad
        float64 yuan (NaN when missing or unreadable) and the unreadable mask.
    """
    if len(text) == 0:
        return np.array([], dtype=float), np.array([], dtype=bool)
    return _spread(text, lambda uniques: _parse_numbers(uniques, missing_words, header_factor))


coerce_number = coerce_amount
"""Plain numbers (areas, quantities, counts) are read like amounts."""


def _date_parts(text: pd.Series, pattern: str, plain: np.ndarray) -> dict[str, np.ndarray]:
    """The named groups of ``pattern`` in ``text`` as floats (NaN: no match or group
    unused), matched in Arrow for the ``plain`` values and by Python's ``re`` for the rest."""
    names = list(re.compile(pattern).groupindex)
    parts = {name: np.full(len(text), np.nan) for name in names}
    if plain.any():
        found = pc.extract_regex(pa.array(text[plain]), pattern)
        for name in names:
            group = pc.struct_field(found, name)  # null where nothing matched
            group = pc.if_else(pc.equal(group, ""), None, group)  # "" where group unused
            parts[name][plain] = pc.cast(group, pa.float64()).to_numpy(zero_copy_only=False)
    if not plain.all():
        found = text[~plain].str.extract(pattern)
        for name in names:
            parts[name][~plain] = pd.to_numeric(found[name], errors="coerce").to_numpy(float)
    return parts


def _full_matches(text: pd.Series, pattern: str, plain: np.ndarray) -> np.ndarray:
    """Whether each value matches ``pattern`` (anchored), in Arrow for the ``plain`` values."""
    matched = np.zeros(len(text), dtype=bool)
    if plain.any():
        found = pc.match_substring_regex(pa.array(text[plain]), pattern)
        matched[plain] = found.to_numpy(zero_copy_only=False)
    if not plain.all():
        matched[~plain] = text[~plain].str.fullmatch(pattern).to_numpy(dtype=bool)
    return matched


def _parse_dates(
    uniques: pd.Series,
    missing_words: frozenset[str],
    serial_range: tuple[int, int],
    year_range: tuple[int, int],
) -> tuple:
    plain = pc.match_substring_regex(pa.array(uniques), _PLAIN_DATE).to_numpy(zero_copy_only=False)
    if not plain.all():
        uniques = uniques.mask(~plain, halfwidth(uniques[~plain]))
    text = uniques.str.strip()
    missing = ((text == "") | text.isin(missing_words)).to_numpy(dtype=bool)
    count = len(text)
    parts = {k: np.full(count, np.nan) for k in _DATE_PARTS}
    month_only = np.zeros(count, dtype=bool)
    for pattern, is_month in _DATE_PATTERNS:
        found = _date_parts(text, pattern, plain)
        hit = ~np.isnan(found["year"]) & np.isnan(parts["year"])
        if not hit.any():
            continue
        for name in parts:
            if name in found:
                parts[name] = np.where(hit, found[name], parts[name])
        if is_month:
            parts["day"] = np.where(hit, 1.0, parts["day"])
            month_only |= hit
    timed = np.flatnonzero(~np.isnan(parts["hour"]))
    if len(timed):  # 下午 2:03 is 14:03, 上午 12:10 is 0:10
        times = pa.array(text.iloc[timed], pa.large_string())
        afternoon = pc.match_substring_regex(times, _AFTERNOON).to_numpy(zero_copy_only=False)
        morning = pc.match_substring_regex(times, _MORNING).to_numpy(zero_copy_only=False)
        hour = parts["hour"][timed]
        parts["hour"][timed] = np.where(
            afternoon & (hour < 12), hour + 12, np.where(morning & (hour == 12), 0.0, hour)
        )
    year_ok = (parts["year"] >= year_range[0]) & (parts["year"] <= year_range[1])
    components = pd.DataFrame(
        {
            name: np.where(
                year_ok,
                np.nan_to_num(values, nan=0.0) if name in ("hour", "minute", "second") else values,
                np.nan,
            )
            for name, values in parts.items()
        }
    )
    dates = pd.to_datetime(components, errors="coerce").to_numpy(dtype=DATE_DTYPE)
    serial_text = _full_matches(text, _SERIAL, plain) & np.isnat(dates)
    if serial_text.any():
        serials = pd.to_numeric(text.where(serial_text, None), errors="coerce").to_numpy(float)
        in_range = serial_text & (serials >= serial_range[0]) & (serials <= serial_range[1])
        offsets = np.where(in_range, serials, 0.0) * 86_400_000_000_000
        serial_dates = EXCEL_EPOCH + offsets.round().astype("timedelta64[ns]")
        dates = np.where(in_range, serial_dates, dates)
    dates[missing] = np.datetime64("NaT")
    bad = ~missing & np.isnat(dates)
    return dates, bad, month_only & ~bad


def coerce_date(
    text: pd.Series,
    missing_words: frozenset[str] = frozenset(),
    serial_range: tuple[int, int] = (10_000, 80_000),
    year_range: tuple[int, int] = (1900, 2100),
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Read dates: ``2024-03-05``, ``2024/3/5``, ``2024.3.5``, ``20240305``,
    ``2024年3月5日``, an Excel serial (``45356``), with an optional time; ``2024年3月``
    (month only) is read as the 1st of the month and flagged.

    Returns
    -------
    dates, bad, month_only
        datetime64[ns] (NaT when missing or unreadable), the unreadable mask, and the mask
        of values that gave only a month.
    """
    if len(text) == 0:
        empty = np.array([], dtype=bool)
        return np.array([], dtype=DATE_DTYPE), empty, empty
    return _spread(
        text, lambda uniques: _parse_dates(uniques, missing_words, serial_range, year_range)
    )


def coerce_ratio(
    text: pd.Series, percent_header: bool = False, missing_words: frozenset[str] = frozenset()
) -> tuple[np.ndarray, np.ndarray, bool]:
    """Read shares as fractions 0–1: ``60%`` → 0.6; ``0.6`` → 0.6; ``60`` → 0.6.

    A bare number is a percentage when the header says (%). Otherwise, when any bare value
    in the column exceeds 1 the column is in per cent and bare values of 1 or more are
    divided by 100 (``60`` → 0.6, ``1`` → 0.01) while values below 1 stay fractions
    (``0.6`` → 0.6); when none exceeds 1 every bare value is a fraction (``1`` → 1.0).

    Returns
    -------
    values, bad, column_in_percent
    """
    if len(text) == 0:
        return np.array([], dtype=float), np.array([], dtype=bool), percent_header
    stripped = halfwidth(text).str.strip()
    has_percent = stripped.str.endswith("%").to_numpy(dtype=bool)
    bare_text = stripped.str.replace(r"%$", "", regex=True)
    values, bad = coerce_amount(bare_text, missing_words)
    bare = ~has_percent & ~np.isnan(values)
    in_percent = percent_header or bool((values[bare] > 1).any())
    if percent_header:
        scaled = np.ones(len(values), dtype=bool)
    else:
        scaled = has_percent | (in_percent & (values >= 1))
    scale = np.where(scaled, 0.01, 1.0)
    return values * scale, bad, in_percent
