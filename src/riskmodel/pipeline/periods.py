"""Reporting periods: a month (``2024-03``), a quarter (``2024Q3``) or ``auto``.

``auto`` takes the last *complete* quarter in the data: a quarter is complete when the
payments reach its final month (monthly payments are paid on any day of the month, so the
month, not the day, decides). With payments up to 2024-09 the period is 2024Q3; with
payments up to 2024-10 or 2024-11 it is still 2024Q3.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

import pandas as pd

_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^(\d{4})[Qq]([1-4])$")


class PeriodError(ValueError):
    """A period string that is neither a month, a quarter nor ``auto``."""


@dataclass(frozen=True)
class Period:
    """A closed reporting period: ``label`` and its first and last day."""

    label: str
    start: date
    end: date
    kind: str  # "month" | "quarter"

    @property
    def as_of(self) -> date:
        """The date the rules evaluate at: the last day of the period."""
        return self.end

    def contains(self, dates: pd.Series) -> pd.Series:
        """Boolean mask: which of ``dates`` fall inside the period."""
        values = pd.to_datetime(dates, errors="coerce")
        return (values >= pd.Timestamp(self.start)) & (values <= pd.Timestamp(self.end))

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        if self.kind == "month":
            first = pd.Timestamp(self.start) - pd.offsets.MonthBegin(1)
            return month_period(first.year, first.month)
        first = pd.Timestamp(self.start) - pd.offsets.QuarterBegin(1, startingMonth=1)
        return quarter_period(first.year, (first.month - 1) // 3 + 1)


def month_period(year: int, month: int) -> Period:
    """The calendar month ``year-month``."""
    if not 1 <= month <= 12:
        raise PeriodError(f"month {month} is not 1–12")
    start = date(year, month, 1)
    end = (pd.Timestamp(start) + pd.offsets.MonthEnd(0)).date()
    return Period(f"{year:04d}-{month:02d}", start, end, "month")


def quarter_period(year: int, quarter: int) -> Period:
    """The calendar quarter ``yearQquarter``."""
    start = date(year, 3 * quarter - 2, 1)
    end = (pd.Timestamp(date(year, 3 * quarter, 1)) + pd.offsets.MonthEnd(0)).date()
    return Period(f"{year:04d}Q{quarter}", start, end, "quarter")


def parse_period(text: str) -> Period:
    """Parse ``2024-03`` or ``2024Q3`` (``auto`` is resolved by :func:`auto_period`).

    Raises
    ------
    PeriodError
        If ``text`` is not a month or a quarter.
    """
    text = text.strip()
    if match := _MONTH.match(text):
        return month_period(int(match[1]), int(match[2]))
    if match := _QUARTER.match(text):
        return quarter_period(int(match[1]), int(match[2]))
    raise PeriodError(f"period {text!r} is not a month (2024-03), a quarter (2024Q3) or auto")


def auto_period(pay_dates: pd.Series) -> Period:
    """The last complete quarter in ``pay_dates`` (see the module docstring).

    Raises
    ------
    PeriodError
        If there is no usable date.
    """
    values = pd.to_datetime(pay_dates, errors="coerce").dropna()
    if values.empty:
        raise PeriodError("period auto: the payments have no usable pay_date")
    last = values.max()
    year, quarter = last.year, (last.month - 1) // 3 + 1
    if last.month % 3 != 0:  # the data stop before the quarter's final month
        quarter -= 1
        if quarter == 0:
            year, quarter = year - 1, 4
    return quarter_period(year, quarter)


def resolve_period(text: str | None, pay_dates: pd.Series | None = None) -> Period | None:
    """``None``: no period (all data); ``auto``: :func:`auto_period`; else :func:`parse_period`."""
    if text is None or text == "":
        return None
    if text.strip().lower() == "auto":
        if pay_dates is None:
            raise PeriodError("period auto needs the payments' pay_date")
        return auto_period(pay_dates)
    return parse_period(text)
