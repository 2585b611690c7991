"""A generic record-linkage engine over declared comparisons (Fellegi–Sunter style).

1. **Blocking** makes candidate pairs: records that agree on the columns of any blocking rule
   (``{"columns": ["pinyin", "village_code"]}``), or whose digit key is one typo away
   (``{"variants": "id_number", "check_char": True}``: every adjacent transposition and
   one-digit substitution of the body is looked up; vectorised on int64).
2. **Comparisons** put each pair into a level per comparison (see ``comparisons.py``).
3. **Weights** (log2 Bayes factors, from configuration) per level are summed with a prior
   into ``match_weight``; ``probability = 1 / (1 + 2 ** -match_weight)``. The per-comparison
   columns ``level_<name>`` and ``w_<name>`` *are* the explanation, and ``reason`` spells the
   non-neutral ones out in Chinese.
4. **Selection**: each left record links to its best candidate when the probability reaches
   the threshold and no other candidate comes within ``margin`` of its weight.

The engine knows nothing about residents: the same code runs on the FEBRL benchmarks.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from riskmodel.entities.comparisons import Comparison, get_comparator


def _text(frame: pd.DataFrame, column: str, rows: np.ndarray | None = None) -> np.ndarray:
    """``column`` (only ``rows`` when given) as a numpy string array, missing → ''."""
    values = frame[column] if rows is None else frame[column].iloc[rows]
    array = values.astype(object).to_numpy(dtype=object)
    return np.where(pd.isna(array), "", array).astype(str)


def _arrow_text(frame: pd.DataFrame, column: str) -> pa.Array:
    """``column`` as Arrow strings, missing → '' (other types through ``str``)."""
    values = frame[column]
    if not (pd.api.types.is_string_dtype(values.dtype) and values.dtype != object):
        values = pd.Series(_text(frame, column), dtype="str")
    array = pa.array(values.array)
    array = array.combine_chunks() if isinstance(array, pa.ChunkedArray) else array
    return array.fill_null("")


def _join(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Inner equi-join of two int64 key arrays: positions (left, right) of the equal pairs,
    ordered by left position, then right position (the order of ``DataFrame.merge``)."""
    order = np.argsort(right, kind="stable")
    ordered = right[order]
    start = np.searchsorted(ordered, left, side="left")
    counts = np.searchsorted(ordered, left, side="right") - start
    total = int(counts.sum())
    left_rows = np.repeat(np.arange(len(left)), counts)
    shift = np.repeat(start - (np.cumsum(counts) - counts), counts)
    return left_rows, order[np.arange(total) + shift]


def _digit_bodies(values: pa.Array, width: int, body: int) -> tuple[np.ndarray, np.ndarray]:
    """Rows of ``values`` with ``width`` characters whose first ``body`` are digits, and
    those bodies as int64."""
    prefix = pc.utf8_slice_codeunits(values, 0, body)
    usable = pc.and_(
        pc.equal(pc.utf8_length(values), width), pc.match_substring_regex(prefix, "^[0-9]+$")
    )
    rows = np.flatnonzero(usable.to_numpy(zero_copy_only=False))
    bodies = pc.cast(prefix.take(rows), pa.int64()).to_numpy(zero_copy_only=False)
    return rows, bodies


def _variant_pairs(
    left: pd.DataFrame, right: pd.DataFrame, column: str, check_char: bool
) -> pd.DataFrame:
    """Pairs whose ``column`` bodies differ by one adjacent transposition or one digit."""
    a = _arrow_text(left, column)
    b = _arrow_text(right, column)
    pairs = []
    for width in np.unique(pc.utf8_length(a).to_numpy(zero_copy_only=False)):
        width = int(width)
        body = width - 1 if check_char else width
        if body < 2 or body > 18:
            continue
        rows_a, value_a = _digit_bodies(a, width, body)
        rows_b, value_b = _digit_bodies(b, width, body)
        if not len(rows_a) or not len(rows_b):
            continue
        powers = 10 ** np.arange(body - 1, -1, -1, dtype=np.int64)
        digits = (value_a[:, None] // powers) % 10
        variants = []
        owners = []
        for p in range(body - 1):  # adjacent transpositions
            high, low = powers[p], powers[p + 1]
            swapped = value_a + (digits[:, p + 1] - digits[:, p]) * high
            swapped += (digits[:, p] - digits[:, p + 1]) * low
            keep = digits[:, p] != digits[:, p + 1]
            variants.append(swapped[keep])
            owners.append(rows_a[keep])
        for p in range(body):  # one-digit substitutions
            for d in range(10):
                keep = digits[:, p] != d
                variants.append(value_a[keep] + (d - digits[keep, p]) * powers[p])
                owners.append(rows_a[keep])
        variants.append(value_a)  # same body (with a check character: the other one)
        owners.append(rows_a)
        variant_rows, register_rows = _join(np.concatenate(variants), value_b)
        found = {"left": np.concatenate(owners)[variant_rows], "right": rows_b[register_rows]}
        pairs.append(pd.DataFrame(found))
    if not pairs:
        return pd.DataFrame({"left": [], "right": []}, dtype=np.int64)
    return pd.concat(pairs, ignore_index=True)


def _codes(left: pd.Series, right: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Shared integer codes of the values of two columns; -1 where missing or empty, and on
    the right where the value does not occur on the left."""
    if all(pd.api.types.is_string_dtype(s.dtype) and s.dtype != object for s in (left, right)):
        a, b = (_arrow_text(pd.DataFrame({"v": s}), "v") for s in (left, right))
        if a.type != b.type:
            b = b.cast(a.type)
        present = pc.unique(a)
        codes_a = pc.index_in(a, value_set=present).to_numpy(zero_copy_only=False)
        codes_b = pc.index_in(b, value_set=present).fill_null(-1).to_numpy(zero_copy_only=False)
        empty = pc.index_in(pa.scalar("", a.type), value_set=present).as_py()
        empty = -1 if empty is None else empty
        codes_a, codes_b = codes_a.astype(np.int64), codes_b.astype(np.int64)
        codes_a[codes_a == empty] = -1
        codes_b[codes_b == empty] = -1
        return codes_a, codes_b
    values = pd.concat([left, right], ignore_index=True).astype(object)
    missing = (values.isna() | (values == "")).to_numpy(dtype=bool)
    codes, _ = pd.factorize(values.where(~missing, None))
    codes = np.where(missing, -1, codes).astype(np.int64)
    return codes[: len(left)], codes[len(left) :]


def _combined_codes(
    left: pd.DataFrame, right: pd.DataFrame, columns: list[str]
) -> tuple[np.ndarray, np.ndarray]:
    """One int64 key per row over ``columns`` (equal keys ⇔ equal values); -1 where a
    value is missing or empty."""
    key_a = np.zeros(len(left), dtype=np.int64)
    key_b = np.zeros(len(right), dtype=np.int64)
    for column in columns:
        codes_a, codes_b = _codes(left[column], right[column])
        size = int(max(codes_a.max(initial=-1), codes_b.max(initial=-1))) + 1
        key_a = np.where((key_a < 0) | (codes_a < 0), -1, key_a * size + codes_a)
        key_b = np.where((key_b < 0) | (codes_b < 0), -1, key_b * size + codes_b)
        # renumber densely so that the mixed-radix key cannot overflow
        joint, dense = np.unique(np.concatenate([key_a, key_b]), return_inverse=True)
        dense = dense - 1 if len(joint) and joint[0] < 0 else dense
        key_a = np.where(key_a < 0, -1, dense[: len(key_a)])
        key_b = np.where(key_b < 0, -1, dense[len(key_a) :])
    return key_a, key_b


def _column_pairs(
    left: pd.DataFrame, right: pd.DataFrame, columns: list[str], max_block: int | None
) -> pd.DataFrame:
    """Pairs that agree on every one of ``columns`` (none empty), skipping right blocks
    larger than ``max_block``."""
    key_a, key_b = _combined_codes(left, right, columns)
    rows_a = np.flatnonzero(key_a >= 0)
    rows_b = np.flatnonzero(key_b >= 0)
    if max_block:
        sizes = np.bincount(key_b[rows_b], minlength=1)
        rows_b = rows_b[sizes[key_b[rows_b]] <= max_block]
    found_a, found_b = _join(key_a[rows_a], key_b[rows_b])
    return pd.DataFrame({"left": rows_a[found_a], "right": rows_b[found_b]})


def candidate_pairs(
    left: pd.DataFrame,
    right: pd.DataFrame,
    blocking: Sequence[Mapping[str, Any]],
    dedupe: bool = False,
) -> pd.DataFrame:
    """Positional index pairs (``left``, ``right``) proposed by any blocking rule."""
    found = []
    for rule in blocking:
        if "columns" in rule:
            columns = list(rule["columns"])
            if not set(columns) <= set(left.columns) or not set(columns) <= set(right.columns):
                continue
            found.append(_column_pairs(left, right, columns, int(rule.get("max_block") or 0)))
        elif "variants" in rule:
            column = rule["variants"]
            if column in left.columns and column in right.columns:
                found.append(
                    _variant_pairs(left, right, column, bool(rule.get("check_char", False)))
                )
        else:
            raise ValueError(f"blocking rule needs 'columns' or 'variants': {dict(rule)}")
    if not found:
        return pd.DataFrame({"left": [], "right": []}, dtype=np.int64)
    pairs = pd.concat(found, ignore_index=True).astype(np.int64).drop_duplicates()
    if dedupe:
        pairs = pairs[pairs["left"] < pairs["right"]]
    return pairs.reset_index(drop=True)


def score_pairs(
    left: pd.DataFrame,
    right: pd.DataFrame,
    pairs: pd.DataFrame,
    comparisons: Sequence[Comparison],
    weights: Mapping[str, Mapping[str, float]],
    prior: float,
    explain: bool = True,
) -> pd.DataFrame:
    """Compare every candidate pair; add ``level_*``, ``w_*``, ``match_weight``,
    ``probability`` and (with ``explain``) ``reason`` columns."""
    scored = pairs.copy()
    total = np.full(len(pairs), float(prior))
    left_index = pairs["left"].to_numpy()
    right_index = pairs["right"].to_numpy()
    for comparison in comparisons:
        comparator = get_comparator(comparison.comparator)
        if comparison.left not in left.columns or comparison.right_column not in right.columns:
            continue
        table = weights.get(comparison.name, {})
        unknown = set(table) - set(comparator.levels)
        if unknown:
            raise ValueError(
                f"comparison {comparison.name!r}: unknown levels {sorted(unknown)}; "
                f"{comparison.comparator} has {list(comparator.levels)}"
            )
        a = _text(left, comparison.left, left_index)
        b = _text(right, comparison.right_column, right_index)
        level = comparator.function(a, b)
        level_weight = np.array([float(table.get(n, 0.0)) for n in comparator.levels])
        weight = level_weight[level]
        scored[f"level_{comparison.name}"] = np.array(comparator.levels, dtype=object)[level]
        scored[f"w_{comparison.name}"] = weight
        total += weight
    scored["match_weight"] = total
    scored["probability"] = 1.0 / (1.0 + np.exp2(-total))
    if explain:
        scored["reason"] = explain_pairs(scored, comparisons)
    return scored


def explain_pairs(scored: pd.DataFrame, comparisons: Sequence[Comparison]) -> np.ndarray:
    """The Chinese reason of each scored pair: the evidence of every non-neutral level."""
    reason = np.full(len(scored), "", dtype=object)
    for comparison in comparisons:
        if f"level_{comparison.name}" not in scored.columns:
            continue
        comparator = get_comparator(comparison.comparator)
        label = comparison.label or comparison.name
        texts = {n: comparator.texts.get(n, "").format(label=label) for n in comparator.levels}
        text = scored[f"level_{comparison.name}"].map(texts).to_numpy(dtype=object)
        text = np.where(scored[f"w_{comparison.name}"].to_numpy() != 0, text, "")
        both = (reason != "") & (text != "")
        reason = np.where(both, reason + "；" + text, reason + text)
    return reason


def select_links(
    scored: pd.DataFrame, threshold: float, margin: float, one_to_one: bool = False
) -> pd.DataFrame:
    """Best candidate per left record if it clears ``threshold`` and leads by ``margin``.

    Returns the chosen rows of ``scored`` plus ``is_link`` (bool) and ``ambiguous`` (bool:
    another candidate is within ``margin`` of the best).
    """
    if scored.empty:
        return scored.assign(is_link=pd.Series(dtype=bool), ambiguous=pd.Series(dtype=bool))
    ordered = scored.sort_values(["left", "match_weight"], ascending=[True, False])
    rank = ordered.groupby("left").cumcount()
    best = ordered[rank == 0].set_index("left")
    second = ordered[rank == 1].set_index("left")["match_weight"]
    gap = best["match_weight"] - second.reindex(best.index).fillna(-np.inf)
    best["ambiguous"] = (gap < margin) & (best["probability"] >= threshold)
    best["is_link"] = (best["probability"] >= threshold) & ~best["ambiguous"]
    best = best.reset_index()
    if one_to_one:
        # a right record claimed by several left records keeps only its best one
        claimed = best[best["is_link"]].sort_values("match_weight", ascending=False)
        loser = claimed.duplicated("right", keep="first")
        best.loc[claimed.index[loser], "is_link"] = False
    return best


def link_records(
    left: pd.DataFrame,
    right: pd.DataFrame | None,
    comparisons: Sequence[Comparison],
    blocking: Sequence[Mapping[str, Any]],
    weights: Mapping[str, Mapping[str, float]],
    prior: float = -10.0,
    threshold: float = 0.95,
    margin: float = 2.0,
    all_pairs: bool = False,
) -> pd.DataFrame:
    """Link ``left`` records to ``right`` records (or deduplicate ``left`` when ``right`` is None).

    Parameters
    ----------
    left, right : DataFrame
        Records; positional indices are returned in ``left`` and ``right``.
    comparisons : sequence of Comparison
        What is compared, declared as data.
    blocking : sequence of mappings
        Blocking rules (``{"columns": [...]}`` or ``{"variants": col, "check_char": bool}``).
    weights : mapping
        ``weights[comparison][level]``: log2 Bayes factor of that level.
    prior : float
        log2 prior odds that a candidate pair is a match.
    threshold, margin : float
        Link when the probability ≥ ``threshold`` and no rival within ``margin`` (log2).
    all_pairs : bool
        Return every scored candidate pair with ``is_link`` (for deduplication and
        benchmarks) instead of one row per left record.

    Returns
    -------
    DataFrame
        ``left``, ``right``, ``level_*``, ``w_*``, ``match_weight``, ``probability``,
        ``reason``, ``is_link`` (and ``ambiguous`` unless ``all_pairs``).
    """
    dedupe = right is None
    right = left if right is None else right
    pairs = candidate_pairs(left, right, blocking, dedupe=dedupe)
    scored = score_pairs(left, right, pairs, comparisons, weights, prior, explain=False)
    if all_pairs:
        scored["is_link"] = scored["probability"] >= threshold
        scored["reason"] = ""
        linked = scored["is_link"].to_numpy()
        scored.loc[linked, "reason"] = explain_pairs(scored[linked], comparisons)
        return scored
    chosen = select_links(scored, threshold, margin)
    chosen["reason"] = explain_pairs(chosen, comparisons)
    return chosen
