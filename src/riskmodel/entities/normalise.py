"""Normalising the values entity resolution compares: names, digits, dates.

The scalar functions (``normalise_name``, ``name_pinyin``) define the results; the column
functions compute them once per distinct value, and the ``*_array`` helpers keep whole columns
in Arrow so that county-size columns never become Python objects.
"""

from __future__ import annotations

import os
import re
import threading
import unicodedata
from collections.abc import Callable, Sequence
from functools import lru_cache

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

_INVISIBLE = re.compile(r"[\s\u200b-\u200f\u2028-\u202f\u2060-\u206f\ufeff·•・．.。\-_]+")


@lru_cache(maxsize=1)
def _converter():
    import opencc

    return opencc.OpenCC("t2s")


def normalise_name(value: object) -> str:
    """Canonical spelling of a person's or firm's name.

    Full-width → half-width (NFKC), spaces, zero-width characters and middle dots removed,
    traditional → simplified characters, Latin letters lower-cased.

    >>> normalise_name(" 張　偉\u200b"), normalise_name("阿依·古丽")
    ('张伟', '阿依古丽')
    """
    if value is None or (isinstance(value, float) and np.isnan(value)) or value is pd.NA:
        return ""
    text = unicodedata.normalize("NFKC", str(value))
    text = unicodedata.normalize("NFKC", _INVISIBLE.sub("", text).lower())
    if not text:
        return ""
    # character by character (cached): names are not phrases, and a county's names use a
    # few thousand distinct characters
    simplified = "".join(_simplified_char(char) for char in text)
    return _INVISIBLE.sub("", unicodedata.normalize("NFKC", simplified))


@lru_cache(maxsize=65536)
def _simplified_char(char: str) -> str:
    if char.isascii():
        return char
    return _converter().convert(char)


@lru_cache(maxsize=65536)
def _char_pinyin(char: str) -> str:
    if char.isascii():
        return char
    return "".join(_lazy_pinyin()(char, errors="default"))


@lru_cache(maxsize=1)
def _lazy_pinyin() -> Callable[..., list[str]]:
    """``pypinyin.lazy_pinyin``, loaded (when not yet loaded) without its phrase dictionary:
    the pinyin of one character never reads it (no phrase is one character long; all 41,931
    characters give the same pinyin either way) and loading it takes 0.15 s.

    pypinyin is loaded once per process: code that later asks the same process for the
    pinyin of phrases gets it character by character. The environment is set and restored
    under a lock (threads of one stage may get here together)."""
    with _PYPINYIN_LOCK:
        saved = {name: os.environ.get(name) for name in _PYPINYIN_LEAN}
        os.environ.update(_PYPINYIN_LEAN)
        try:
            from pypinyin import lazy_pinyin
        finally:
            for name, value in saved.items():
                if value is None:
                    os.environ.pop(name, None)
                else:
                    os.environ[name] = value
    return lazy_pinyin


_PYPINYIN_LOCK = threading.Lock()


_PYPINYIN_LEAN = {"PYPINYIN_NO_PHRASES": "1", "PYPINYIN_NO_DICT_COPY": "1"}


def name_pinyin(normalised: str) -> str:
    """Toneless pinyin of a normalised name: homophones share it (张伟 / 章伟 → zhangwei)."""
    if not normalised:
        return ""
    return "".join(_char_pinyin(char) for char in normalised)


# Characters whose name normalisation is one character of the same kind: a-z, 0-9 and CJK
# unified ideographs (no compatibility forms, no case, nothing composes with them). A name
# made of them only normalises to its characters' simplified forms (``str.translate``).
_PLAIN_RANGES = (("a", "z"), ("0", "9"), ("\u3400", "\u4dbf"), ("\u4e00", "\u9fff"))
_SIMPLIFIED: dict[int, str] = {}  # plain character → its simplified form
_IRREGULAR: set[str] = set()  # characters seen that need the full normalise_name
_PINYIN: dict[int, str] = {}  # non-ASCII character → its pinyin


def _is_plain(char: str) -> bool:
    return any(low <= char <= high for low, high in _PLAIN_RANGES)


def _learn_characters(values: Sequence[str]) -> None:
    """Sort the characters of ``values`` not seen yet into plain and irregular ones."""
    for char in set("".join(values)) - _IRREGULAR:
        if ord(char) in _SIMPLIFIED:
            continue
        simplified = _simplified_char(char)
        plain = _is_plain(char) and len(simplified) == 1 and _is_plain(simplified)
        if plain and normalise_name(char) == simplified:
            _SIMPLIFIED[ord(char)] = simplified
        else:
            _IRREGULAR.add(char)


def normalise_many(values: Sequence[str]) -> list[str]:
    """:func:`normalise_name` of each string (plain names by one ``str.translate``)."""
    _learn_characters(values)
    irregular = _IRREGULAR
    return [
        value.translate(_SIMPLIFIED) if irregular.isdisjoint(value) else normalise_name(value)
        for value in values
    ]


def pinyin_many(normalised: Sequence[str]) -> list[str]:
    """:func:`name_pinyin` of each normalised name (one ``str.translate`` each)."""
    for char in set("".join(normalised)):
        if not char.isascii() and ord(char) not in _PINYIN:
            _PINYIN[ord(char)] = _char_pinyin(char)
    return [name.translate(_PINYIN) for name in normalised]


def _factorized(values: pd.Series) -> tuple[np.ndarray, list]:
    """Codes (-1 for missing) and distinct values; strings are encoded in Arrow."""
    if _is_text(values):
        encoded = pc.dictionary_encode(_combined(pa.array(values.array)))
        codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False)
        return codes.astype(np.int64), encoded.dictionary.to_pylist()
    codes, uniques = pd.factorize(values.astype(object).where(values.notna(), None))
    return codes, list(uniques)


def map_distinct(values: pd.Series, function) -> pd.Series:
    """Apply ``function`` once per distinct value of ``values`` (names repeat a lot)."""
    codes, uniques = _factorized(values)
    mapped = np.array([function(u) for u in uniques] + [function(None)], dtype=object)
    return pd.Series(mapped[np.where(codes < 0, len(uniques), codes)], index=values.index)


def normalise_names(values: pd.Series) -> pd.Series:
    """:func:`normalise_name` over a Series (once per distinct value)."""
    codes, uniques = _factorized(values)
    if not all(isinstance(u, str) for u in uniques):
        return map_distinct(values, normalise_name)
    mapped = np.array([*normalise_many(uniques), ""], dtype=object)
    return pd.Series(mapped[np.where(codes < 0, len(uniques), codes)], index=values.index)


def pinyin_keys(normalised: pd.Series) -> pd.Series:
    """:func:`name_pinyin` over a Series of normalised names."""
    return map_distinct(normalised, lambda v: name_pinyin(v or ""))


# -- whole columns in Arrow ---------------------------------------------------------------


_STR = pd.StringDtype("pyarrow", na_value=np.nan)


def _is_text(values: pd.Series) -> bool:
    return pd.api.types.is_string_dtype(values.dtype) and values.dtype != object


def _combined(array: pa.Array | pa.ChunkedArray) -> pa.Array:
    array = array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
    return array.cast(pa.large_string()) if array.type != pa.large_string() else array


def empty_array(length: int) -> pa.Array:
    """``length`` empty strings."""
    return pa.nulls(length, pa.large_string()).fill_null("")


def text_array(values: pd.Series | None, length: int, strip: bool = False) -> pa.Array:
    """``values`` as Arrow strings, missing → '' (other types through ``str``); ``strip``
    trims white space like ``Series.str.strip``. All '' when ``values`` is None."""
    if values is None:
        return empty_array(length)
    if _is_text(values):
        array = _combined(pa.array(values.array)).fill_null("")
    else:
        text = values.astype(object).where(values.notna(), "").astype(str)
        array = _combined(pa.array(text.array))
    return pc.utf8_trim_whitespace(array) if strip else array


def per_distinct(values: pa.Array, function: Callable[[list[str]], list[str]]) -> pa.Array:
    """``function`` (list → list) applied once per distinct string of ``values``."""
    encoded = pc.dictionary_encode(values)
    mapped = pa.array(function(encoded.dictionary.to_pylist()), type=pa.large_string())
    return mapped.take(encoded.indices)


def normalised_array(values: pd.Series) -> pa.Array:
    """:func:`normalise_names` as Arrow strings."""
    if _is_text(values):
        return per_distinct(text_array(values, len(values)), normalise_many)
    return pa.array(normalise_names(values).to_numpy(), type=pa.large_string())


def name_arrays(values: pd.Series | None, length: int) -> tuple[pa.Array, pa.Array, pa.Array]:
    """Normalised names, their pinyin and ``"<name>|<pinyin>"`` keys, once per distinct
    name."""
    if values is None:
        empty = empty_array(length)
        return empty, empty, pa.array(["|"] * length, type=pa.large_string())
    names = normalised_array(values)
    encoded = pc.dictionary_encode(names)
    distinct = encoded.dictionary.to_pylist()
    pinyin = pinyin_many(distinct)
    keys = [f"{name}|{key}" for name, key in zip(distinct, pinyin, strict=True)]
    return (
        names,
        pa.array(pinyin, type=pa.large_string()).take(encoded.indices),
        pa.array(keys, type=pa.large_string()).take(encoded.indices),
    )


def digits_array(values: pd.Series | None, length: int) -> pa.Array:
    """:func:`digits_only` in Arrow (NFKC in Python for the non-ASCII values only)."""
    text = text_array(values, length)
    other = np.flatnonzero(~pc.string_is_ascii(text).to_numpy(zero_copy_only=False))
    if len(other):
        folded = [unicodedata.normalize("NFKC", v) for v in text.take(other).to_pylist()]
        mask = np.zeros(len(text), dtype=bool)
        mask[other] = True
        text = pc.replace_with_mask(text, mask, pa.array(folded, type=pa.large_string()))
    return pc.replace_substring_regex(pc.utf8_upper(text), r"[^0-9X]", "")


def date_array(values: pd.Series) -> pa.Array:
    """:func:`date_text` in Arrow."""
    if not pd.api.types.is_datetime64_any_dtype(values):
        return text_array(date_text(values), len(values))
    number = (values.dt.year * 10000 + values.dt.month * 100 + values.dt.day).to_numpy(
        dtype=np.float64, na_value=np.nan
    )
    missing = np.isnan(number)
    integer = pa.array(np.where(missing, 0, number).astype(np.int64), mask=missing)
    return integer.cast(pa.large_string()).fill_null("")


# -- the pandas originals -----------------------------------------------------------------


def digits_only(values: pd.Series) -> pd.Series:
    """Keep the digits (and a trailing X) of phone or account numbers; '' when missing."""
    text = values.astype(object).where(values.notna(), "").astype(str)
    text = text.map(lambda v: unicodedata.normalize("NFKC", v)) if len(text) else text
    return text.str.upper().str.replace(r"[^0-9X]", "", regex=True)


def birth_from_id(ids: pd.Series) -> pd.Series:
    """'YYYYMMDD' from an 18-character ID when those digits form a real date, else ''
    (each distinct date parsed once)."""
    if ids.dtype == _STR:
        text = ids.fillna("")
    else:
        text = ids.astype(object).where(ids.notna(), "").astype(str)
    part = text.str.slice(6, 14)
    codes, uniques = pd.factorize(part.where(text.str.len() == 18))
    parsed = pd.to_datetime(pd.Series(uniques), format="%Y%m%d", errors="coerce")
    ok = (parsed.notna() & (parsed.dt.year >= 1890)).to_numpy(dtype=bool)
    return part.where(np.append(ok, False)[codes], "")


def gender_from_id(ids: pd.Series) -> pd.Series:
    """'男'/'女' from the 17th character of an 18-character ID, else ''."""
    text = ids.astype(object).where(ids.notna(), "").astype(str)
    digit = pd.to_numeric(text.str.slice(16, 17).where(text.str.len() == 18), errors="coerce")
    return pd.Series(
        np.where(digit.isna(), "", np.where(digit % 2 == 1, "男", "女")), index=ids.index
    )


def date_text(values: pd.Series) -> pd.Series:
    """Dates (datetime64 or text) as 'YYYYMMDD'; '' when missing."""
    if pd.api.types.is_datetime64_any_dtype(values):
        number = values.dt.year * 10000 + values.dt.month * 100 + values.dt.day
        text = number.astype("Int64").astype(str)
        return text.where(values.notna(), "").astype(object)
    text = values.astype(object).where(values.notna(), "").astype(str)
    return text.str.replace(r"[^0-9]", "", regex=True).str.slice(0, 8)
