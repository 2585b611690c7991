"""Personal data protection for everything the project hands out.

The ``[privacy]`` configuration decides how identifiers appear in outputs:

``masked`` (default)
    ID numbers as ``430421********1234``, accounts as ``6228***********1234``,
    mobile phones as ``138****1234``; free text has every ID/account-looking number masked.
``pseudonymised``
    every identifier replaced by a keyed HMAC-SHA256 pseudonym (``P-3f9a0c1d2e4b``),
    stable across runs for the same ``pseudonym_key`` so leads still match run to run.
``full``
    as in the input (``show_identifiers = true`` means the same): only for inspection
    teams entitled to full identities.

Also here: a logging filter that redacts messages and tracebacks, an excepthook for
the terminal, owner-only output folders, and a scan of a folder for leaked identifiers.

Examples
--------
>>> import pandas as pd
>>> leads = pd.DataFrame({"entity_id": ["11010519491231002X"], "score": [80.0]})
>>> protect_frame(leads, {"privacy": {"identifiers": "masked"}})["entity_id"].iloc[0]
'110105********002X'
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import sys
import traceback
from collections.abc import Callable, Collection, Iterator, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from riskmodel.ids import (
    PROVINCE_CODES,
    find_unmasked_identifiers,
    is_household_number,
    mask_account,
    mask_accounts,
    mask_id,
    mask_ids,
    mask_phone,
    normalise_id,
    normalise_ids,
    pseudonymise,
    redact_identifiers,
    replace_identifiers,
)

MODES = ("masked", "full", "pseudonymised")
_ID_SHAPE_PATTERN = r"[0-9]{14}[0-9X]|[0-9]{17}[0-9X]"
_ID_SHAPE = re.compile(_ID_SHAPE_PATTERN)
_PROVINCE_PREFIXES = sorted(f"{code:02d}" for code in PROVINCE_CODES)
_PROVINCES = frozenset(_PROVINCE_PREFIXES)
_STR = pd.StringDtype("pyarrow", na_value=np.nan)
#: A cell that may hold an identifier: 12 digits, single spaces or hyphens between them.
_MAY_HOLD_NUMBER = r"(?:[0-9０-９][ \-]?){11}[0-9０-９]"
DEFAULT_KEY = "change-me"


class PrivacyError(ValueError):
    """The privacy setting is invalid or cannot be applied safely."""


# --- which columns hold identifiers (declared as data) ------------------------------

#: Columns holding a resident ID number and nothing else.
ID_COLUMNS = frozenset(
    {
        "id_number",
        "id_number_a",
        "id_number_b",
        "legal_rep_id",
        "manager_id",
        "official_id",
        "person_id",
        "id_a",
        "id_b",
    }
)
ID_SUFFIXES = ("_id_number",)
#: Columns that may hold an ID, an account, a credit code or another key: each value
#: (each ``;``-separated part) is protected when it looks like an ID or an account.
MIXED_COLUMNS = frozenset(
    {
        "counterparty_id",
        "holder_id_number",
        "entity_id",
        "target_id",
        "related_ids",
        "raw_value",
        "value",
    }
)
MIXED_SUFFIXES = ("_ids",)
ACCOUNT_COLUMNS = frozenset({"account_no", "account"})
ACCOUNT_SUFFIXES = ("_account", "_account_no")
PHONE_COLUMNS = frozenset({"phone"})
PHONE_SUFFIXES = ("_phone",)
#: Keys and codes that are never rewritten as free text (a lead id must stay matchable).
KEY_COLUMNS = frozenset({"lead_id", "rule_id", "detector_id", "_key", "_file", "source_key"})
KEY_SUFFIXES = ("_code", "_id", "_date")
#: entity_type values whose entity_id is a resident ID / an account number.
PERSON_ENTITY_TYPES = frozenset({"person", "official"})
#: Derived columns named after an identifier column but holding no identifier: score
#: contributions (``c_D_ACCOUNT``), flags (``is_valid_id_number``, ``has_account``).
DERIVED_PREFIXES = ("c_", "is_", "has_")
ACCOUNT_ENTITY_TYPES = frozenset({"account"})


def identifier_kind(column: str) -> str | None:
    """Return how ``column`` is protected: 'id', 'mixed', 'account', 'phone', or None.

    Names are matched case-insensitively; ``holder_id_number`` is mixed (an account of
    a nursing home is held under its credit code), and so is any other ``*_id`` key
    except ``lead_id``/``rule_id``/``detector_id``. Names starting with ``c_``, ``is_`` or
    ``has_`` (score contributions, flags) are never identifiers.
    """
    name = column.lower() if isinstance(column, str) else ""
    if name.startswith(DERIVED_PREFIXES):
        return None
    if name in MIXED_COLUMNS or name.endswith(MIXED_SUFFIXES):
        return "mixed"
    if name in ID_COLUMNS or name.endswith(ID_SUFFIXES):
        return "id"
    if name in ACCOUNT_COLUMNS or name.endswith(ACCOUNT_SUFFIXES):
        return "account"
    if name in PHONE_COLUMNS or name.endswith(PHONE_SUFFIXES):
        return "phone"
    if name.endswith("_id") and name not in KEY_COLUMNS:
        # another key (household_id, payment_id, project_id, ...): protected only where a
        # value looks like an ID or account, so ordinary keys pass unchanged
        return "mixed"
    return None


def identifier_mode(config: Mapping[str, Any] | None) -> str:
    """The effective setting: 'masked', 'full' or 'pseudonymised' ('masked' without config).

    Raises
    ------
    PrivacyError
        If ``privacy.identifiers`` is not one of :data:`MODES`.
    """
    privacy = (config or {}).get("privacy", {}) or {}
    if privacy.get("show_identifiers", False):
        return "full"
    mode = privacy.get("identifiers", "masked")
    if mode not in MODES:
        raise PrivacyError(f"privacy.identifiers must be one of {', '.join(MODES)}; got {mode!r}")
    return mode


def _pseudonym_key(config: Mapping[str, Any] | None) -> str:
    key = ((config or {}).get("privacy", {}) or {}).get("pseudonym_key", "")
    if not key or key == DEFAULT_KEY:
        raise PrivacyError(
            "privacy.identifiers = 'pseudonymised' needs privacy.pseudonym_key: set a secret "
            "key in the office's local configuration (the packaged default is not secret)"
        )
    return key


# --- value protectors ----------------------------------------------------------------


class _Protector:
    """Applies one mode to single values and to whole columns."""

    def __init__(
        self,
        mode: str,
        key: str = "",
        protect_phones: bool = True,
        division_codes: Collection[str] = (),
    ) -> None:
        self.mode = mode
        self.key = key
        self.protect_phones = protect_phones
        self.division_codes = frozenset(division_codes)

    def person_id(self, value: str) -> str:
        if self.mode == "full":
            return value
        if self.mode == "pseudonymised":
            return pseudonymise(value, self.key)
        return mask_id(value)

    def account(self, value: str) -> str:
        if self.mode == "full":
            return value
        if self.mode == "pseudonymised":
            return pseudonymise(value, self.key)
        return mask_account(value)

    def phone(self, value: str) -> str:
        if self.mode == "full" or not self.protect_phones:
            return value
        if self.mode == "pseudonymised":
            return pseudonymise(value, self.key)
        return mask_phone(value)

    def token(self, value: str) -> str:
        """A part of a mixed column: protect IDs and long digit runs, keep other keys.

        ID-shaped (15 or 18 characters, digits with a final digit or X) → as an ID;
        a household number → kept; 13+ digits, or 12 digits without a province prefix →
        as an account; anything else (credit codes, village codes, project ids) → kept.
        """
        text = normalise_id(value)
        if not text:
            return value
        if _ID_SHAPE.fullmatch(text):
            return self.person_id(text)
        if is_household_number(text, self.division_codes):
            return value
        is_digits = text.isascii() and text.isdigit()
        if is_digits and (len(text) >= 13 or (len(text) == 12 and text[:2] not in _PROVINCES)):
            return self.account(text)
        return value

    def mixed(self, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return type(value)(self.mixed(part) for part in value)
        if isinstance(value, int | np.integer) and not isinstance(value, bool | np.bool_):
            value = str(value)  # an ID or account read as a number is still one
        if not isinstance(value, str):
            return value
        if ";" in value:
            return ";".join(self.token(part) for part in value.split(";"))
        return self.token(value)

    def text(self, value: Any) -> Any:
        if not isinstance(value, str) or self.mode == "full":
            return value
        if self.mode == "pseudonymised":
            key = self.key
            return replace_identifiers(
                value,
                lambda t: pseudonymise(t, key),
                lambda t: pseudonymise(t, key),
                self.division_codes,
            )
        return redact_identifiers(value, self.division_codes)


def _as_text(column: pd.Series) -> pd.Series:
    if isinstance(column.dtype, pd.StringDtype):
        return column
    if column.dtype == object:
        return column
    return column.astype("str")


def _map_distinct(column: pd.Series, function: Callable[[Any], Any]) -> pd.Series:
    """Apply ``function`` once per distinct non-missing value; missing stays missing."""
    result = column.copy() if column.dtype == object else column.astype(object)
    present = column.notna().to_numpy()
    if not present.any():
        return column
    values = column[present]
    try:
        distinct = pd.unique(values)
        mapping = {value: function(value) for value in distinct}
        result[present] = values.map(mapping)
    except TypeError:  # unhashable values (lists)
        result[present] = values.map(function)
    if isinstance(column.dtype, pd.StringDtype):
        return result.astype(column.dtype)
    return result


def _has_sequences(column: pd.Series) -> bool:
    return column.dtype == object and bool(column.map(lambda v: isinstance(v, list | tuple)).any())


def _mask_tokens(tokens: pd.Series, division_codes: Collection[str]) -> pd.Series:
    """Vectorised masked-mode :meth:`_Protector.token` for a ``str`` Series."""
    text = normalise_ids(tokens)
    length = text.str.len()
    id_shaped = text.str.fullmatch(_ID_SHAPE_PATTERN).fillna(False).astype(bool)
    digits = text.str.fullmatch(r"[0-9]+").fillna(False).astype(bool)
    household = digits & length.between(14, 17) & text.str.slice(0, 12).isin(list(division_codes))
    no_province = ~text.str.slice(0, 2).isin(_PROVINCE_PREFIXES)
    account = ~id_shaped & ~household & digits & ((length >= 13) | ((length == 12) & no_province))
    result = tokens.copy()
    if id_shaped.any():
        result[id_shaped] = mask_ids(text[id_shaped])
    if account.any():
        result[account] = mask_accounts(text[account])
    return result


def _mask_mixed(column: pd.Series, division_codes: Collection[str]) -> pd.Series:
    """Vectorised masked-mode protection of a mixed column (``;``-separated lists too)."""
    text = _as_text(column).astype("str").reset_index(drop=True)
    present = text.notna()
    has_list = present & text.str.contains(";", regex=False).fillna(False).astype(bool)
    result = text.copy()
    single = present & ~has_list
    if single.any():
        result[single] = _mask_tokens(text[single], division_codes)
    if has_list.any():
        values = pa.array(text[has_list], from_pandas=True)
        if isinstance(values, pa.ChunkedArray):  # e.g. a memory-mapped table's column
            values = values.combine_chunks()
        lists = pc.split_pattern(values, pattern=";")
        parts = pd.Series(lists.flatten(), dtype=_STR)
        masked = pa.array(_mask_tokens(parts, division_codes), from_pandas=True)
        rebuilt = type(lists).from_arrays(lists.offsets, masked.cast(lists.type.value_type))
        joined = pc.binary_join(rebuilt, pa.scalar(";", lists.type.value_type))
        result[has_list] = pd.Series(joined, dtype=_STR).to_numpy()
    result.index = column.index
    return result


def _is_text_column(column: pd.Series) -> bool:
    return isinstance(column.dtype, pd.StringDtype) or column.dtype == object


def _is_key_column(name: str) -> bool:
    lower = name.lower() if isinstance(name, str) else ""
    return lower in KEY_COLUMNS or lower.endswith(KEY_SUFFIXES)


def protect_frame(
    frame: pd.DataFrame,
    config: Mapping[str, Any] | None,
    columns: Sequence[str] | None = None,
    *,
    redact_text: bool = True,
    kinds: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Return a copy of ``frame`` with identifiers shown as the privacy setting says.

    Parameters
    ----------
    frame
        Any table about to leave the program (CSV, workbook, report, notebook display).
    config
        The configuration (its ``[privacy]`` table); None means the safe default, masked.
    columns
        Identifier columns to protect; default: detected by name (:func:`identifier_kind`).
        A listed column whose name says nothing is treated as mixed.
    redact_text
        Also rewrite ID/account-looking numbers inside the other text columns (details,
        reasons, JSON fields); key and code columns (``lead_id``, ``*_code``, ``*_id``)
        are left alone.
    kinds
        Identifier columns with how each is protected ('id', 'mixed', 'account', 'phone'),
        instead of ``columns``: for columns whose names say nothing or mislead.

    Notes
    -----
    Household numbers (a village code of the frame's ``village_code`` column followed by
    2–5 digits) are not personal identifiers and are kept. ``entity_id`` is protected by
    its row's ``entity_type`` when that column exists: person/official rows as ID numbers,
    account rows as accounts, other types (village, company, project, program, household)
    only where a value looks like an ID/account.
    ``is_valid_*`` flags, the index and column names are not changed.

    Raises
    ------
    PrivacyError
        If the setting is invalid, or pseudonymised without a real ``pseudonym_key``.
    """
    mode = identifier_mode(config)
    if mode == "full":
        return frame.copy()
    key = _pseudonym_key(config) if mode == "pseudonymised" else ""
    protect_phones = bool(((config or {}).get("privacy", {}) or {}).get("protect_phones", True))
    protector = _Protector(mode, key, protect_phones, _division_codes(frame))
    protected = frame.copy()
    if kinds is not None:
        unknown = sorted({k for k in kinds.values() if k not in _KINDS})
        if unknown:
            raise PrivacyError(f"protect_frame: unknown identifier kind {', '.join(unknown)}")
        columns = list(kinds)
    if columns is not None:
        missing = [c for c in columns if c not in frame.columns]
        if missing:
            raise PrivacyError(f"protect_frame: no column named {', '.join(map(str, missing))}")
    if kinds is None and columns is None:
        kinds = {c: identifier_kind(c) for c in frame.columns if identifier_kind(c)}
    elif kinds is None:
        kinds = {c: identifier_kind(c) or "mixed" for c in columns}
    entity_types = _first_column(frame, "entity_type")

    # by position, so that duplicate column names are each protected
    for position, name in enumerate(frame.columns):
        column = frame.iloc[:, position]
        kind = kinds.get(name)
        if kind is None:
            if redact_text and not _is_key_column(name) and _is_text_column(column):
                protected.isetitem(position, _protect_text_column(column, protector))
            continue
        vectorised = mode == "masked" and not _has_sequences(column)
        if kind == "mixed" and name == "entity_id" and entity_types is not None:
            result = _protect_entity_ids(column, entity_types, protector)
        elif kind == "mixed" and vectorised:
            result = _mask_mixed(column, protector.division_codes)
        elif kind == "mixed":
            result = _map_distinct(column, protector.mixed)
        elif kind == "phone":
            result = _map_distinct(_as_text(column), protector.phone)
        elif vectorised:
            result = (mask_ids if kind == "id" else mask_accounts)(column)
        else:
            function = protector.person_id if kind == "id" else protector.account
            result = _map_distinct(
                _as_text(column), lambda v, f=function: f(v) if isinstance(v, str) else f(str(v))
            )
        protected.isetitem(position, result)
    return protected


#: How an input column is protected, by its schema kind (:mod:`riskmodel.schemas`), when
#: its canonical name says nothing. Raw values are messy (typed with spaces, truncated,
#: '无'), so IDs and accounts are protected as mixed: each value that looks like an ID or
#: an account, whatever its spelling; other text stays readable.
RAW_KINDS = {"id": "mixed", "party": "mixed", "credit": "mixed", "account": "mixed"}
_KINDS = ("id", "mixed", "account", "phone")


def protect_input_rows(
    rows: pd.DataFrame, table: str | None, config: Mapping[str, Any] | None
) -> pd.DataFrame:
    """Protect rows written under the input file's own headers (``quarantine/<table>.csv``).

    Each header is matched to a canonical column of ``table`` as the loader does
    (:func:`riskmodel.io.headers.match_header`; a ``.2``/``.original`` suffix added for a
    repeated or reserved header is ignored). Columns whose schema kind is
    id/party/credit/account (:data:`RAW_KINDS`) or whose canonical name is an identifier
    (:func:`identifier_kind`: phones, household numbers) are protected value by value,
    whatever their spelling
    (``430421 19650601 5412``, full-width digits, a 15-digit legacy number); household
    numbers on the rows' village codes are kept. What an ID/account column still shows after
    that (a truncated or mistyped number) has every run of 6+ digits masked to its last 4.
    Every other text column has identifiers inside its text rewritten. Headers and values of
    other columns are unchanged. An unknown ``table`` (or None) protects by header name only.
    """
    from riskmodel.io.headers import alias_index
    from riskmodel.schemas import TABLES_BY_NAME

    schema = TABLES_BY_NAME.get(table) if table else None
    if schema is None:
        return protect_frame(rows, config)
    index = alias_index(schema)
    names: list[str] = []
    kinds: dict[str, str] = {}
    raw: set[str] = set()  # ID/account columns by their schema kind
    for header in rows.columns:
        canonical = _canonical_header(header, index)
        if canonical is None:
            names.append(header)
            continue
        names.append(canonical)
        raw_kind = RAW_KINDS.get(schema.column(canonical).kind)
        kind = raw_kind or identifier_kind(canonical)
        if kind:
            kinds[canonical] = kind
        if raw_kind:
            raw.add(canonical)
    renamed = rows.set_axis(names, axis=1)
    protected = protect_frame(renamed, config, kinds=kinds)
    if identifier_mode(config) != "full":
        for position, name in enumerate(names):
            if name in raw:  # an ID/account column: mask what protection left readable
                before, after = renamed.iloc[:, position], protected.iloc[:, position]
                protected.isetitem(position, _mask_leftover_digits(before, after))
    return protected.set_axis(rows.columns, axis=1)


_HALF_WIDTH = str.maketrans("０１２３４５６７８９", "0123456789")
_DIGIT = re.compile(r"[0-9]")
LEFTOVER_MIN_DIGITS = 6
LEFTOVER_KEEP_DIGITS = 4


def _mask_leftover(value: str) -> str:
    """``value`` with every digit but its last 4 masked when it holds 6 or more digits,
    however they are separated (``430421.19650601`` → ``******.****0601``)."""
    text = value.translate(_HALF_WIDTH)
    count = len(_DIGIT.findall(text))
    if count < LEFTOVER_MIN_DIGITS:
        return value
    seen = 0

    def star(match: re.Match[str]) -> str:
        nonlocal seen
        seen += 1
        return match.group(0) if seen > count - LEFTOVER_KEEP_DIGITS else "*"

    return _DIGIT.sub(star, text)


def _mask_leftover_digits(before: pd.Series, after: pd.Series) -> pd.Series:
    """In a raw ID/account column, the values protection left unchanged (not recognised as
    an ID or account: truncated, mistyped, spaced oddly) masked when they hold 6 or more
    digits: all but the last 4 (half-width): a fragment of an ID number is personal data too."""
    same = before.astype(object).eq(after.astype(object)).to_numpy() & before.notna().to_numpy()
    if not same.any():
        return after
    result = after.astype(object).copy()
    chosen = before[same].astype(str)
    masked = {value: _mask_leftover(value) for value in set(chosen)}
    result[same] = chosen.map(masked).to_numpy()
    return result


_HEADER_SUFFIX = re.compile(r"(.+)\.(?:[0-9]+|original)")


def _canonical_header(header: Any, index: dict[str, str]) -> str | None:
    """The canonical column a quarantine file's header names (None for an extra column)."""
    from riskmodel.io.headers import match_header

    canonical = match_header(header, index)[0]
    if canonical is None and isinstance(header, str):
        suffixed = _HEADER_SUFFIX.fullmatch(header)
        if suffixed:
            canonical = match_header(suffixed.group(1), index)[0]
    return canonical


def _first_column(frame: pd.DataFrame, name: str) -> pd.Series | None:
    if name not in frame.columns:
        return None
    return frame.iloc[:, list(frame.columns).index(name)]


def _protect_text_column(column: pd.Series, protector: _Protector) -> pd.Series:
    """Rewrite identifiers inside the cells of a free-text column (only cells that may hold
    one: 12+ digits with at most a single space or hyphen between two, full-width digits
    included)."""
    candidates = column.astype("str").str.contains(_MAY_HOLD_NUMBER, regex=True)
    candidates = candidates.fillna(False).to_numpy(dtype=bool)
    if not candidates.any():
        return column
    rewritten = column.astype(object).copy()
    rewritten[candidates] = [protector.text(v) for v in column[candidates]]
    return rewritten.astype(column.dtype)


def _division_codes(frame: pd.DataFrame) -> set[str]:
    """Village codes named in the frame (so household numbers built on them are kept)."""
    codes: set[str] = set()
    for name in ("village_code", "town_code"):
        column = _first_column(frame, name)
        if column is not None:
            values = column.dropna().astype("str").unique()
            codes.update(v for v in values if len(v) == 12 and v.isdigit())
    entity_types = _first_column(frame, "entity_type")
    entity_ids = _first_column(frame, "entity_id")
    if entity_types is not None and entity_ids is not None:
        villages = entity_ids[(entity_types.astype("str") == "village").to_numpy(dtype=bool)]
        codes.update(v for v in villages.dropna().astype("str") if len(v) == 12 and v.isdigit())
    return codes


def _protect_entity_ids(
    entity_ids: pd.Series, entity_types: pd.Series, protector: _Protector
) -> pd.Series:
    types = entity_types.astype("str").str.lower().to_numpy(dtype=object)
    present = entity_ids.notna().to_numpy(dtype=bool)
    person = present & np.isin(types, list(PERSON_ENTITY_TYPES))
    account = present & np.isin(types, list(ACCOUNT_ENTITY_TYPES))
    other = ~person & ~account
    result = entity_ids.astype(object).copy()
    masked = protector.mode == "masked" and not _has_sequences(entity_ids)
    if other.any():
        part = entity_ids[other]
        if masked:
            result[other] = _mask_mixed(part, protector.division_codes).to_numpy(dtype=object)
        else:
            result[other] = _map_distinct(part, protector.mixed).to_numpy(dtype=object)
    for rows, masker, function in (
        (person, mask_ids, protector.person_id),
        (account, mask_accounts, protector.account),
    ):
        if rows.any():
            part = entity_ids[rows].astype("str")
            if masked:
                result[rows] = masker(part).to_numpy(dtype=object)
            else:
                result[rows] = _map_distinct(part, function).to_numpy(dtype=object)
    if isinstance(entity_ids.dtype, pd.StringDtype):
        return result.astype(entity_ids.dtype)
    return result


def protect_text(text: str, config: Mapping[str, Any] | None) -> str:
    """Apply the privacy setting to free text (masked/pseudonymised/full).

    Never raises on a bad setting — it is used while reporting errors — but falls back
    to masking (the check that reports the setting is :func:`protect_frame`). Logs, error
    records and terminal messages should use :func:`riskmodel.ids.redact_identifiers`
    instead, whatever the setting: logs never hold identifiers.
    """
    try:
        mode = identifier_mode(config)
        key = _pseudonym_key(config) if mode == "pseudonymised" else ""
    except PrivacyError:
        mode, key = "masked", ""
    return _Protector(mode, key).text(text)


# --- logs, errors, tracebacks --------------------------------------------------------


class RedactingFilter(logging.Filter):
    """A logging filter that masks ID/account-looking numbers in messages and tracebacks.

    The formatted traceback is stored redacted in ``exc_text`` and ``exc_info`` is
    cleared, so handlers that render tracebacks themselves (rich) cannot show the raw one.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string must not hide the message
            message = f"{record.msg} {record.args}"
        record.msg = redact_identifiers(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.exc_info = None
        if record.exc_text:
            record.exc_text = redact_identifiers(record.exc_text)
        if record.stack_info:
            record.stack_info = redact_identifiers(record.stack_info)
        return True


def install_log_redaction(target: logging.Logger | logging.Handler) -> RedactingFilter:
    """Add a :class:`RedactingFilter` to a handler, or to a logger and all its handlers.

    A filter on a logger sees only records logged on that very logger; records from child
    loggers pass through its *handlers*, so call this after the handlers are attached
    (for the root logger: after ``logging.basicConfig``; the root logger also covers
    ``logging.lastResort``, which prints when no handler exists). Installing twice is
    harmless.
    """
    for existing in target.filters:
        if isinstance(existing, RedactingFilter):
            redactor = existing
            break
    else:
        redactor = RedactingFilter()
        target.addFilter(redactor)
    if isinstance(target, logging.Logger):
        handlers = list(target.handlers)
        if target is logging.getLogger() and logging.lastResort is not None:
            handlers.append(logging.lastResort)  # used when no handler is configured
        for handler in handlers:
            if not any(isinstance(f, RedactingFilter) for f in handler.filters):
                handler.addFilter(redactor)
    return redactor


def format_exception_redacted(error: BaseException) -> str:
    """The traceback of ``error`` as text, with identifiers masked."""
    lines = traceback.format_exception(type(error), error, error.__traceback__)
    return redact_identifiers("".join(lines))


def install_excepthook() -> None:
    """Make uncaught exceptions print a redacted traceback on the terminal."""

    def hook(kind: type[BaseException], error: BaseException, trace: TracebackType | None) -> None:
        text = "".join(traceback.format_exception(kind, error, trace))
        sys.stderr.write(redact_identifiers(text))

    sys.excepthook = hook


# --- owner-only files ------------------------------------------------------------------


def make_private_dir(path: str | Path) -> Path:
    """Create ``path`` (and missing parents) and make it readable by the owner only (0o700).

    Parents that already exist keep their mode; only the folder itself is restricted.
    """
    folder = Path(path)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    return folder


@contextlib.contextmanager
def private_umask() -> Iterator[None]:
    """Within the block, new files are created 0o600 and new folders 0o700.

    The umask is process-wide: do not rely on it in other threads meanwhile.
    """
    previous = os.umask(0o077)
    try:
        yield
    finally:
        os.umask(previous)


def restrict_tree(path: str | Path) -> None:
    """Make every folder under ``path`` 0o700 and every file 0o600 (after writing)."""
    root = Path(path)
    os.chmod(root, 0o700 if root.is_dir() else 0o600)
    if root.is_dir():
        for entry in root.rglob("*"):
            if entry.is_symlink():
                continue
            os.chmod(entry, 0o700 if entry.is_dir() else 0o600)


# --- scanning outputs for leaks ----------------------------------------------------------

SCANNED_SUFFIXES = (".csv", ".json", ".html", ".ipynb", ".txt", ".log", ".md", ".tsv", ".xlsx")


def _xlsx_text(path: Path) -> str:
    from openpyxl import load_workbook

    cells: list[str] = []
    workbook = load_workbook(path, read_only=True, data_only=True)
    try:
        for sheet in workbook.worksheets:
            for row in sheet.iter_rows(values_only=True):
                for value in row:
                    if value is None:
                        continue
                    if isinstance(value, float) and value.is_integer() and abs(value) < 1e20:
                        # an ID typed as a number: its digits are still personal
                        cells.append(str(int(value)))
                    else:
                        cells.append(str(value))
    finally:
        workbook.close()
    return "\n".join(cells)


def _file_text(path: Path) -> str:
    if path.suffix.lower() == ".xlsx":
        return _xlsx_text(path)
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def scan_folder(path: str | Path, allow: Collection[str] = ()) -> list[tuple[str, str]]:
    """Scan every output file under ``path`` for unmasked identifiers.

    Reads .csv/.json/.html/.ipynb/.txt/.log/.md/.tsv as text (UTF-8, else GB18030) and
    .xlsx cell by cell (openpyxl, every sheet; a whole-number cell is read as digits),
    and applies :func:`riskmodel.ids.find_unmasked_identifiers` to each file (see there
    for the heuristic; the village codes that make household numbers harmless are taken
    from the same file). ``allow`` lists values known not to be personal.

    Returns
    -------
    list of (file relative to ``path``, masked sample)
        One per distinct identifier per file; the samples are masked, so the result may
        be printed or logged.
    """
    root = Path(path)
    findings: list[tuple[str, str]] = []
    files = [root] if root.is_file() else sorted(p for p in root.rglob("*") if p.is_file())
    for file in files:
        if file.suffix.lower() not in SCANNED_SUFFIXES:
            continue
        name = file.name if file == root else file.relative_to(root).as_posix()
        seen: set[str] = set()
        for token in find_unmasked_identifiers(_file_text(file), allow=allow):
            if token not in seen:
                seen.add(token)
                sample = mask_id(token) if len(token) == 18 else mask_account(token)
                findings.append((name, sample))
    return findings


def scan_report(findings: Sequence[tuple[str, str]]) -> str:
    """A short human-readable summary of :func:`scan_folder` findings (already masked)."""
    if not findings:
        return "no unmasked identifiers found"
    per_file: dict[str, list[str]] = {}
    for file, sample in findings:
        per_file.setdefault(file, []).append(sample)
    return json.dumps(per_file, ensure_ascii=False, indent=1)
