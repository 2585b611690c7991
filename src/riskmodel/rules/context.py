"""What a rule sees: the loaded tables plus derived frames, cut at ``as_of``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

# the date that says when a row came into being; rows dated after ``as_of`` are ignored
AS_OF_COLUMNS: dict[str, str] = {
    "payments": "pay_date",
    "ledger": "date",
    "project_payments": "pay_date",
    "complaints": "received_date",
    "deaths": "death_date",
    "vehicles": "register_date",
    "companies": "registered_date",
    "accounts": "open_date",
    "officials": "start_date",
    "projects": "tender_date",
    "outcomes": "closed_date",
    "filings": "filed_date",
    "properties": "register_date",
}


@dataclass
class RuleContext:
    """Inputs of a rule run.

    Parameters
    ----------
    tables
        Loaded tables keyed by canonical name (``io.load_folder(...).tables``).
    crosswalk
        Entity-resolution crosswalk (``entities.resolve_people``); None = match on raw IDs.
    kinship
        Kinship pairs (``kinship.derive_kinship``); None = derived on first use when possible.
    official_links
        Paths official → beneficiary/payee/contractor (``graph.official_links``); None = the
        graph rules are skipped.
    as_of
        Ignore rows dated after this day (payments, ledger, deaths, …).
    period
        The reporting period of the run (e.g. ``2024Q3``); informational.
    evidence
        Evidence of earlier rules; set by the runner before the rules that read it.
    """

    tables: dict[str, pd.DataFrame]
    crosswalk: pd.DataFrame | None = None
    kinship: pd.DataFrame | None = None
    official_links: pd.DataFrame | None = None
    as_of: Any = None
    period: str | None = None
    evidence: pd.DataFrame | None = None
    _cache: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def as_of_date(self) -> pd.Timestamp | None:
        """``as_of`` as a timestamp (None when unset)."""
        return None if self.as_of is None else pd.Timestamp(self.as_of)

    def has(self, item: str) -> bool:
        """Whether ``"table"`` or ``"table.column"`` is present: a table with rows, a column
        with a value in some row. A header-only table, or a column exported empty in every
        row, is as absent: the rules that need it are skipped, not run to no findings."""
        name, _, column = item.partition(".")
        frame = self.tables.get(name)
        if frame is None or not len(frame):
            return False
        if not column:
            return True
        if column not in frame.columns:
            return False
        return self.cached(f"filled:{name}.{column}", lambda: _filled(frame[column]))

    def table(self, name: str) -> pd.DataFrame:
        """Table ``name`` without rows dated after ``as_of`` (empty frame when absent)."""

        def build() -> pd.DataFrame:
            frame = self.tables.get(name)
            if frame is None:
                return pd.DataFrame()
            frame = frame.reset_index(drop=True)
            if "_key" not in frame.columns:
                frame = frame.assign(_key=[f"{name}:{i + 2}" for i in range(len(frame))])
            date_column = AS_OF_COLUMNS.get(name)
            cut = self.as_of_date
            if cut is not None and date_column in frame.columns:
                late = (pd.to_datetime(frame[date_column], errors="coerce") > cut).to_numpy(bool)
                if late.any():  # the load stage cut the tables already: usually nothing is late
                    frame = frame[~late].reset_index(drop=True)
            return frame

        return self.cached(f"table:{name}", build)

    def cached(self, key: str, builder: Callable[[], Any]) -> Any:
        """Build a derived object once per context."""
        if key not in self._cache:
            self._cache[key] = builder()
        return self._cache[key]


def _filled(values: pd.Series) -> bool:
    """Whether some value of a column is neither missing nor blank text."""
    present = values[values.notna()]
    if not len(present):
        return False
    if pd.api.types.is_numeric_dtype(present.dtype) or pd.api.types.is_datetime64_any_dtype(
        present.dtype
    ):
        return True
    head = present.iloc[:1000].astype(str).str.strip()
    if (head != "").any():
        return True
    return bool((present.astype(str).str.strip() != "").any())
