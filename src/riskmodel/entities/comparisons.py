"""Comparators: vectorised functions that put each candidate pair in a level.

A comparator takes two aligned arrays of values (left and right side of the candidate
pairs) and returns, for every pair, the index of its level in the comparator's ``levels``.
Each level has an evidence text (Chinese, ``{label}`` is the comparison's label); the
weight of each level comes from configuration, so a comparison is data:
``Comparison("id", "id_digits", "id_number", label="身份证号")``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Comparator:
    """A comparison function with its ordered levels and their evidence texts."""

    name: str
    levels: tuple[str, ...]
    texts: dict[str, str]
    function: Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class Comparison:
    """A declared comparison: which comparator runs on which columns.

    ``left`` is the column on the left frame, ``right`` on the right frame (default: same).
    """

    name: str
    comparator: str
    left: str
    right: str | None = None
    label: str = ""

    @property
    def right_column(self) -> str:
        return self.right or self.left


def _as_text(values) -> np.ndarray:
    array = pd.Series(values, dtype=object).to_numpy(dtype=object)
    return np.where(pd.isna(array), "", array).astype(str)


def _missing(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    return (left == "") | (right == "")


def _char_matrix(text: np.ndarray, width: int) -> np.ndarray:
    """Strings → (n, width) int32 code points, padded with 0."""
    if len(text) == 0:
        return np.zeros((0, width), dtype=np.int32)
    fixed = np.asarray(text, dtype=f"<U{max(width, 1)}")
    return fixed.view(np.int32).reshape(len(text), max(width, 1))[:, :width]


def _digit_levels(left: np.ndarray, right: np.ndarray, check_char: bool) -> np.ndarray:
    """0 missing, 1 exact, 2 transposition, 3 one character, 4 body equal, 5 different."""
    left = _as_text(left)
    right = _as_text(right)
    level = np.full(len(left), 5, dtype=np.int8)
    same_length = np.char.str_len(left) == np.char.str_len(right)
    level[same_length & (left == right)] = 1
    todo = np.flatnonzero(same_length & (left != right) & ~_missing(left, right))
    if len(todo):
        lengths = np.char.str_len(left[todo])
        for width in np.unique(lengths):
            rows = todo[lengths == width]
            a = _char_matrix(left[rows], int(width))
            b = _char_matrix(right[rows], int(width))
            body = int(width) - 1 if check_char and width > 1 else int(width)
            diff = a[:, :body] != b[:, :body]
            count = diff.sum(axis=1)
            first = diff.argmax(axis=1)
            second = np.minimum(first + 1, body - 1)
            idx = np.arange(len(rows))
            swapped = (
                (count == 2)
                & diff[idx, second]
                & (a[idx, first] == b[idx, second])
                & (a[idx, second] == b[idx, first])
            )
            result = np.full(len(rows), 5, dtype=np.int8)
            result[swapped] = 2
            result[count == 1] = 3
            if check_char and width > 1:
                result[count == 0] = 4
            level[rows] = result
    level[_missing(left, right)] = 0
    return level


def compare_id_digits(left, right) -> np.ndarray:
    """ID numbers with a final check character (GB 11643): typo levels on the body."""
    return _digit_levels(left, right, check_char=True)


def compare_digits(left, right) -> np.ndarray:
    """Digit strings without a check character (phone, social security id, dates)."""
    return _digit_levels(left, right, check_char=False)


def compare_exact(left, right) -> np.ndarray:
    """0 missing, 1 equal, 2 different."""
    left = _as_text(left)
    right = _as_text(right)
    level = np.where(left == right, 1, 2).astype(np.int8)
    level[_missing(left, right)] = 0
    return level


def edit_distance(left, right) -> np.ndarray:
    """Levenshtein distance of aligned string arrays (vectorised over the pairs)."""
    left = _as_text(left)
    right = _as_text(right)
    n = len(left)
    len_a = np.char.str_len(left).astype(np.int32) if n else np.zeros(0, dtype=np.int32)
    len_b = np.char.str_len(right).astype(np.int32) if n else np.zeros(0, dtype=np.int32)
    result = np.where(left == right, 0, np.maximum(len_a, len_b)).astype(np.int32)
    todo = np.flatnonzero((left != right) & (len_a > 0) & (len_b > 0))
    if len(todo) == 0:
        return result
    width_a = int(len_a[todo].max())
    width_b = int(len_b[todo].max())
    # (width, pairs) layout: each step works on contiguous rows
    a = np.ascontiguousarray(_char_matrix(left[todo], width_a).T)
    b = np.ascontiguousarray(_char_matrix(right[todo], width_b).T)
    count = len(todo)
    previous = np.repeat(np.arange(width_b + 1, dtype=np.int16)[:, None], count, axis=1)
    distance = np.zeros(count, dtype=np.int16)
    rows_a = len_a[todo]
    rows_b = len_b[todo]
    columns = np.arange(count)
    for i in range(1, width_a + 1):
        current = np.empty_like(previous)
        current[0] = i
        best = np.minimum(previous[:-1] + (a[i - 1] != b), previous[1:] + 1)
        for j in range(1, width_b + 1):
            np.minimum(best[j - 1], current[j - 1] + 1, out=current[j])
        done = rows_a == i
        distance[done] = current[rows_b[done], columns[done]]
        previous = current
    result[todo] = distance
    return result


def compare_string(left, right) -> np.ndarray:
    """0 missing, 1 exact, 2 similar (edit similarity ≥ 0.8), 3 fuzzy (≥ 0.6), 4 different."""
    left = _as_text(left)
    right = _as_text(right)
    longest = np.maximum(np.char.str_len(left), np.char.str_len(right))
    similarity = 1 - edit_distance(left, right) / np.maximum(longest, 1)
    level = np.select([left == right, similarity >= 0.8, similarity >= 0.6], [1, 2, 3], 4)
    level = level.astype(np.int8)
    level[_missing(left, right)] = 0
    return level


def compare_chinese_name(left, right) -> np.ndarray:
    """Normalised names ``"<name>|<pinyin>"``: 0 missing, 1 exact, 2 homophone, 3 one
    character different, 4 different."""
    left = _as_text(left)
    right = _as_text(right)
    left_parts = np.char.partition(left, "|")
    right_parts = np.char.partition(right, "|")
    name_a, pinyin_a = left_parts[:, 0], left_parts[:, 2]
    name_b, pinyin_b = right_parts[:, 0], right_parts[:, 2]
    level = np.full(len(left), 4, dtype=np.int8)
    candidates = np.flatnonzero(
        (np.char.str_len(name_a) == np.char.str_len(name_b)) & (name_a != name_b)
    )
    if len(candidates):
        one = edit_distance(name_a[candidates], name_b[candidates]) == 1
        level[candidates[one & (np.char.str_len(name_a[candidates]) >= 2)]] = 3
    level[(pinyin_a == pinyin_b) & (pinyin_a != "")] = 2
    level[name_a == name_b] = 1
    level[(name_a == "") | (name_b == "")] = 0
    return level


COMPARATORS: dict[str, Comparator] = {
    c.name: c
    for c in (
        Comparator(
            "id_digits",
            ("missing", "exact", "transposition", "one_digit", "check_char", "different"),
            {
                "exact": "{label}一致",
                "transposition": "{label}相邻两位颠倒",
                "one_digit": "{label}仅一位不同",
                "check_char": "{label}仅校验位不同",
                "different": "{label}不同",
            },
            compare_id_digits,
        ),
        Comparator(
            "digits",
            ("missing", "exact", "transposition", "one_digit", "check_char", "different"),
            {
                "exact": "{label}相同",
                "transposition": "{label}相邻两位颠倒",
                "one_digit": "{label}仅一位不同",
                "different": "{label}不同",
            },
            compare_digits,
        ),
        Comparator(
            "exact",
            ("missing", "exact", "different"),
            {"exact": "{label}相同", "different": "{label}不同"},
            compare_exact,
        ),
        Comparator(
            "string",
            ("missing", "exact", "similar", "fuzzy", "different"),
            {
                "exact": "{label}相同",
                "similar": "{label}相近",
                "fuzzy": "{label}部分相似",
                "different": "{label}不同",
            },
            compare_string,
        ),
        Comparator(
            "chinese_name",
            ("missing", "exact", "homophone", "one_char", "different"),
            {
                "exact": "{label}相同",
                "homophone": "{label}同音",
                "one_char": "{label}仅一字不同",
                "different": "{label}不同",
            },
            compare_chinese_name,
        ),
    )
}


def get_comparator(name: str) -> Comparator:
    """Return the comparator called ``name`` or raise a clear error."""
    try:
        return COMPARATORS[name]
    except KeyError:
        raise KeyError(
            f"no comparator named {name!r}; known: {', '.join(sorted(COMPARATORS))}"
        ) from None
