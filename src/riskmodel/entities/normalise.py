"""Normalising the values entity resolution compares: names, digits, dates."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import numpy as np
import pandas as pd

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
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(char, errors="default"))


def name_pinyin(normalised: str) -> str:
    """Toneless pinyin of a normalised name: homophones share it (张伟 / 章伟 → zhangwei)."""
    if not normalised:
        return ""
    return "".join(_char_pinyin(char) for char in normalised)


def map_distinct(values: pd.Series, function) -> pd.Series:
    """Apply ``function`` once per distinct value of ``values`` (names repeat a lot)."""
    codes, uniques = pd.factorize(values.astype(object).where(values.notna(), None))
    mapped = np.array([function(u) for u in uniques] + [function(None)], dtype=object)
    return pd.Series(mapped[np.where(codes < 0, len(uniques), codes)], index=values.index)


def normalise_names(values: pd.Series) -> pd.Series:
    """:func:`normalise_name` over a Series (once per distinct value)."""
    return map_distinct(values, normalise_name)


def pinyin_keys(normalised: pd.Series) -> pd.Series:
    """:func:`name_pinyin` over a Series of normalised names."""
    return map_distinct(normalised, lambda v: name_pinyin(v or ""))


def digits_only(values: pd.Series) -> pd.Series:
    """Keep the digits (and a trailing X) of phone or account numbers; '' when missing."""
    text = values.astype(object).where(values.notna(), "").astype(str)
    text = text.map(lambda v: unicodedata.normalize("NFKC", v)) if len(text) else text
    return text.str.upper().str.replace(r"[^0-9X]", "", regex=True)


def birth_from_id(ids: pd.Series) -> pd.Series:
    """'YYYYMMDD' from an 18-character ID when those digits form a real date, else ''."""
    text = ids.astype(object).where(ids.notna(), "").astype(str)
    part = text.str.slice(6, 14)
    parsed = pd.to_datetime(part.where(text.str.len() == 18), format="%Y%m%d", errors="coerce")
    ok = parsed.notna() & (parsed.dt.year >= 1890)
    return part.where(ok, "")


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
