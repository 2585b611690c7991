"""Turn typed cells (from XLSX or Parquet) into the text a CSV export would hold.

Every reader hands text to the rest of the loader, so one set of coercers serves every
format. Numbers are written so that damage stays visible: an integral float below 10^15
is exact and written as an integer (``430421100201``); a larger one has usually lost
digits (18-digit ID numbers stored as numbers in Excel) and is written in scientific
notation (``4.30421199001011E+17``), which the ID check then quarantines. The exception:
a column with an integral value between 10^15 and 2^53 whose last digit is not 0 was not
typed into Excel (which keeps 15 digits, so a 16th is always 0) but written by a system
that stored the numbers exactly (a 16-digit household number), and its integral values
below 2^53 are written as integers. Other floats
are written with Excel's 15 significant digits, so that a formula result such as
``1199.9999999999998`` reads as the ``1200`` the user sees.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

EXACT_LIMIT = 1e15
SIGNIFICANT = ".15g"
"""Excel keeps and shows 15 significant digits: a formula's 1199.9999999999998 is 1200."""


EXACT_FLOAT_LIMIT = float(2**53)
"""Every integer below 2^53 is exactly a float."""


def float_text(value: float, exact_column: bool = False) -> str:
    """Text of one float cell (see module docstring); ``exact_column``: the column holds
    numbers stored exactly (:func:`stored_exactly`)."""
    if math.isnan(value) or math.isinf(value):
        return ""
    limit = EXACT_FLOAT_LIMIT if exact_column else EXACT_LIMIT
    if value.is_integer() and abs(value) < limit:
        return str(int(value))
    return format(value, SIGNIFICANT).upper()


def stored_exactly(values: np.ndarray) -> bool:
    """Whether a column of floats holds an integer of 16 digits below 2^53 not ending in 0:
    digits Excel could not have kept, so the column's numbers were stored exactly."""
    values = values[np.isfinite(values)]
    big = values[(np.abs(values) >= EXACT_LIMIT) & (np.abs(values) < EXACT_FLOAT_LIMIT)]
    big = big[np.floor(big) == big]
    return bool(len(big)) and bool((np.mod(np.abs(big), 10) != 0).any())


def cell_text(value: object) -> str:
    """Text of one calamine cell value."""
    kind = type(value)
    if kind is str:
        return value  # type: ignore[return-value]
    if kind is float:
        return float_text(value)  # type: ignore[arg-type]
    if kind is bool:
        return "TRUE" if value else "FALSE"
    if kind is int:
        return str(value)
    if kind is dt.datetime:
        if value == dt.datetime.combine(value.date(), dt.time()):  # type: ignore[union-attr]
            return value.strftime("%Y-%m-%d")  # type: ignore[union-attr]
        return value.strftime("%Y-%m-%d %H:%M:%S")  # type: ignore[union-attr]
    if kind is dt.date:
        return value.strftime("%Y-%m-%d")  # type: ignore[union-attr]
    if kind is dt.time:
        return value.strftime("%H:%M:%S")  # type: ignore[union-attr]
    if kind is dt.timedelta:
        return str(value)
    if value is None:
        return ""
    return str(value)


def column_text(values: list[object]) -> np.ndarray:
    """Text of one column of calamine cells (fast path when every cell is a string)."""
    if all(type(v) is str for v in values):
        return np.asarray(values, dtype=object)
    floats = np.array([v for v in values if type(v) is float], dtype=float)
    if stored_exactly(floats):
        return np.asarray(
            [float_text(v, True) if type(v) is float else cell_text(v) for v in values],
            dtype=object,
        )
    return np.asarray([cell_text(v) for v in values], dtype=object)


def series_text(column: pd.Series) -> pd.Series:
    """Text of one typed column (Parquet): missing values become ''."""
    dtype = column.dtype
    if pd.api.types.is_bool_dtype(dtype):
        text = column.map({True: "TRUE", False: "FALSE"})
    elif pd.api.types.is_integer_dtype(dtype):
        text = column.astype("str")
    elif pd.api.types.is_float_dtype(dtype):
        values = column.to_numpy(dtype=float, na_value=np.nan)
        limit = EXACT_FLOAT_LIMIT if stored_exactly(values) else EXACT_LIMIT
        integral = np.isfinite(values) & (np.abs(values) < limit)
        integral &= np.floor(np.where(integral, values, 0)) == np.where(integral, values, 0)
        text = pd.Series(np.full(len(values), "", dtype=object), index=column.index)
        if integral.any():
            text[integral] = values[integral].astype(np.int64).astype(str)
        rest = ~integral & np.isfinite(values)
        if rest.any():
            text[rest] = [format(float(v), SIGNIFICANT).upper() for v in values[rest]]
    elif pd.api.types.is_datetime64_any_dtype(dtype):
        stamps = pd.to_datetime(column)
        midnight = (stamps.isna() | (stamps == stamps.dt.normalize())).all()
        text = stamps.dt.strftime("%Y-%m-%d" if midnight else "%Y-%m-%d %H:%M:%S")
    elif isinstance(dtype, pd.StringDtype):
        text = column
    else:
        text = pd.Series([cell_text(v) for v in column.to_numpy(dtype=object)], index=column.index)
    return text.astype("str").fillna("")
