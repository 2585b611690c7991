"""Feature builders: loaded tables (and rule evidence) -> one feature frame per entity kind.

Each builder is a plain function ``(tables, config) -> DataFrame`` (or with ``evidence``) that
returns an empty frame when the tables it needs are absent. Detectors in
:mod:`riskmodel.detectors.catalogue` turn these frames into findings.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from riskmodel.detectors.stats import first_digits, mad_from_counts
from riskmodel.frames import distinct_per_group, filter_rows, isin, positions, take_codes

Tables = dict[str, pd.DataFrame]

_CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
_RESIDENT_ID = re.compile(r"^\d{17}[\dX]$")


def has_columns(tables: Tables, table: str, *columns: str) -> bool:
    """Whether ``table`` is loaded, non-empty and has every column in ``columns``."""
    frame = tables.get(table)
    return frame is not None and len(frame) > 0 and all(c in frame.columns for c in columns)


def key_codes(values: pd.Series, sort: bool = False) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes of ``values`` (-1 where missing) and the distinct values as objects.

    With ``sort`` the codes follow the sorted order of the values (as ``groupby`` orders keys).
    """
    codes, uniques = pd.factorize(values, sort=sort)
    return np.asarray(codes, dtype=np.int64), np.asarray(uniques, dtype=object)


def group_first(groups: np.ndarray, codes: np.ndarray, size: int) -> np.ndarray:
    """Per group ``0..size-1``: the first non-missing code (-1 when none), as ``first``."""
    valid = np.flatnonzero(codes >= 0)
    first = np.full(size, len(codes), dtype=np.int64)
    np.minimum.at(first, groups[valid], valid)
    found = first < len(codes)
    result = np.full(size, -1, dtype=np.int64)
    result[found] = codes[first[found]]
    return result


def _first_values(values: pd.Series, groups: np.ndarray, size: int) -> pd.Series:
    """Per group ``0..size-1``: the first non-missing value (``first``), missing when none."""
    valid = np.flatnonzero(values.notna().to_numpy(dtype=bool))
    first = np.full(size, len(values), dtype=np.int64)
    np.minimum.at(first, groups[valid], valid)
    found = first < len(values)
    if not found.any():
        return pd.Series(np.nan, index=range(size), dtype=values.dtype)
    taken = values.iloc[np.where(found, first, valid[0])].reset_index(drop=True)
    return taken.where(found)


def group_sum(groups: np.ndarray, values: np.ndarray, size: int) -> np.ndarray:
    """Per group ``0..size-1``: the sum of ``values`` as pandas ``groupby.sum`` computes it."""
    sums = pd.Series(values, dtype=float).groupby(groups).sum()
    return sums.reindex(range(size), fill_value=0.0).to_numpy(dtype=float)


def is_institution(holder_ids: pd.Series) -> pd.Series:
    """True where an account holder identifier is a credit code, not a resident ID."""
    text = holder_ids.fillna("").astype(str).str.strip().str.upper()
    return text.str.match(_CREDIT_CODE.pattern) & ~text.str.match(_RESIDENT_ID.pattern)


_MEMO: dict[str, Any] | None = None


@contextmanager
def shared_features() -> Iterator[None]:
    """Within the block, :func:`payments_with_programs` and :func:`village_program_ratios` are
    computed once per set of tables (:func:`riskmodel.detectors.run_detectors` runs five
    detectors over the same payments).

    The tables must not be changed in place inside the block; callers get shallow copies, so
    what they do with the result never reaches the next caller (copy-on-write).
    """
    global _MEMO
    outer = _MEMO
    _MEMO = {}
    try:
        yield
    finally:
        _MEMO = outer


def payments_with_programs(tables: Tables) -> pd.DataFrame:
    """Payments with ``program_key``, ``village_code``, ``_household`` and ``standard``
    (computed once per tables inside :func:`shared_features`).

    See :func:`_payments_with_programs`.
    """
    return _shared("payments_with_programs", tables, lambda: _payments_with_programs(tables))


@dataclass(frozen=True)
class PaymentCodes:
    """Integer codes (-1 where missing) of the rows of :func:`payments_with_programs`:
    ``account`` (``account_no``), ``person`` (``id_number``), ``village`` and ``program``
    number their sorted distinct values (as ``groupby`` orders keys), ``household`` the
    household (the beneficiary where it has none) in order of appearance among all payments,
    failed ones included (codes only counted distinct)."""

    account: np.ndarray
    accounts: np.ndarray
    person: np.ndarray
    people: np.ndarray
    village: np.ndarray
    villages: np.ndarray
    program: np.ndarray
    programs: np.ndarray
    household: np.ndarray

    def rows(self, keep: np.ndarray) -> PaymentCodes:
        """The codes of the rows where ``keep`` (same distinct values)."""
        rows = ("account", "person", "village", "program", "household")
        return replace(self, **{name: getattr(self, name)[keep] for name in rows})


def payment_codes(tables: Tables) -> PaymentCodes:
    """:class:`PaymentCodes` of :func:`payments_with_programs` (computed once per tables inside
    :func:`shared_features`)."""
    return _shared("payment_codes", tables, lambda: _payment_codes(payments_with_programs(tables)))


def _payment_codes(payments: pd.DataFrame) -> PaymentCodes:
    account, accounts = key_codes(payments["account_no"], sort=True)
    person, people = key_codes(payments["id_number"], sort=True)
    village, villages = key_codes(payments["village_code"], sort=True)
    return PaymentCodes(
        account,
        accounts,
        person,
        people,
        village,
        villages,
        *key_codes(payments["program_key"], sort=True),
        payments["_household"].to_numpy(dtype=np.int64),
    )


def compact_codes(codes: np.ndarray, uniques: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``codes`` renumbered ``0..k-1`` over the values they use, and those values (the codes
    and values ``key_codes`` gives for the rows the codes cover)."""
    used = np.zeros(len(uniques), dtype=bool)
    used[codes[codes >= 0]] = True
    renumbered = np.cumsum(used) - 1
    return take_codes(renumbered, codes, -1), uniques[used]


def _shared(name: str, tables: Tables, compute: Callable[[], Any]) -> Any:
    """``compute()``, kept under ``name`` for the same payments, residents and programs while
    :func:`shared_features` is active; callers get shallow copies of frames."""
    if _MEMO is None:
        return compute()
    sources = tuple(tables.get(table) for table in ("payments", "residents", "programs"))
    cached = _MEMO.get(name)
    if cached is None or not all(
        kept is source for kept, source in zip(cached[0], sources, strict=True)
    ):
        cached = (sources, compute())
        _MEMO[name] = cached
    return cached[1].copy(deep=False) if isinstance(cached[1], pd.DataFrame) else cached[1]


PAYMENT_COLUMNS = (
    "id_number",
    "account_no",
    "amount",
    "pay_date",
    "village_code",
    "household_id",
    "program_code",
    "program_name",
    "quantity",
    "_key",
)

# read only to build other columns, or (``_key``) only for a few rows, through ``_row``
_NOT_KEPT = ("program_code", "program_name", "quantity", "household_id", "_key")


def _payments_with_programs(tables: Tables) -> pd.DataFrame:
    """Payments with ``program_key``, ``village_code``, ``_household`` and ``standard``.

    ``standard`` is the program's ``standard_amount`` (times ``quantity`` for per-area programs
    when the payment carries a quantity); NaN where unknown. Failed payments and rows of 0
    are dropped. Only the columns the detectors read (:data:`PAYMENT_COLUMNS` less ``program_code``,
    ``program_name`` and ``quantity``, which build ``program_key`` and ``standard``) are kept;
    ``household_id`` and ``_key`` are not copied: ``_household`` numbers the households (the
    beneficiary where none) and ``_row`` is each payment's position in ``tables["payments"]``.
    """
    source = tables["payments"]
    payments = source[[column for column in source.columns if column in PAYMENT_COLUMNS]]
    payments = payments.copy(deep=False)
    if "program_code" in payments.columns:
        payments["program_key"] = payments["program_code"].fillna("").astype(str)
        if "program_name" in payments.columns:
            missing = payments["program_key"] == ""
            payments.loc[missing, "program_key"] = payments.loc[missing, "program_name"]
    else:
        payments["program_key"] = payments["program_name"].fillna("").astype(str)
    residents = tables.get("residents")
    household_fill = None
    if residents is not None and "id_number" in residents.columns:
        # the register is read only for the rows missing a value
        columns = [c for c in ("village_code", "household_id") if c in residents.columns]
        known = {
            c: (payments[c].notna() & (payments[c] != "")).to_numpy(dtype=bool)
            for c in columns
            if c in payments.columns
        }
        need = np.zeros(len(payments), dtype=bool)
        for column in columns:
            need |= ~known[column] if column in known else True
        rows = np.flatnonzero(need)
        # a boolean pick filters chunk by chunk (a take would join the chunks first)
        found = positions(payments["id_number"][need], residents["id_number"])
        for column in columns:
            if column not in known:
                payments[column] = _taken(residents[column], found, payments.index[rows])
            elif not known[column].all():
                from_register = _taken(residents[column], found, payments.index[rows])
                if column == "household_id":  # only coded (below): the column is not rebuilt
                    unknown = ~known[column]
                    register = from_register.to_numpy(dtype=object, na_value=np.nan)
                    household_fill = (unknown, register[unknown[rows]])
                    continue
                payments[column] = payments[column].where(known[column], from_register)
    for column in ("village_code", "household_id"):
        if column not in payments.columns:
            payments[column] = pd.NA
    payments["standard"] = np.nan
    programs = tables.get("programs")
    if programs is not None and "standard_amount" in programs.columns:
        key = "program_code" if "program_code" in programs.columns else "program_name"
        catalogue = programs.dropna(subset=[key])
        found = positions(payments["program_key"], catalogue[key])
        standard = _taken(catalogue["standard_amount"], found, payments.index).astype(float)
        if "unit" in catalogue.columns:
            by_area = catalogue["unit"].fillna("").astype(str).str.contains("亩").to_numpy(bool)
            per_area = pd.Series(take_codes(by_area, found, False), index=payments.index)
            if "quantity" in payments.columns:
                quantity = pd.to_numeric(payments["quantity"], errors="coerce")
                standard = standard.where(~per_area, standard * quantity)
            else:
                standard = standard.where(~per_area, np.nan)
        payments["standard"] = standard.where(standard > 0)
    if household_fill is None:
        household_fill = (payments["household_id"].isna().to_numpy(dtype=bool), None)
    household = _household_codes(payments["household_id"], payments["id_number"], *household_fill)
    payments = payments[[c for c in payments.columns if c not in _NOT_KEPT]]
    payments["_household"] = household
    payments["_row"] = np.arange(len(payments))
    paid = pd.to_numeric(source["amount"], errors="coerce").to_numpy(dtype="float64") > 0
    if "status" in source.columns:  # as programs.failed_statuses
        paid &= ~isin(source["status"], ["失败", "退回", "退票", "作废"])
    if not paid.all():  # failed or returned payments, and rows of 0 (nothing paid)
        payments = rows_where(payments, paid)
    return payments


def _household_codes(
    household: pd.Series, person: pd.Series, fix: np.ndarray, register: np.ndarray | None
) -> np.ndarray:
    """Codes (-1 where missing) of ``household`` whose rows ``fix`` take the ``register``
    values (one per such row; None: none) or, where those are missing, the beneficiary's
    ``person``: a payment without a household is its beneficiary's own. Equal values get
    equal codes (the few fixed rows are coded without rebuilding the column)."""
    codes, uniques = key_codes(household)
    values = person[fix].to_numpy(dtype=object, na_value=np.nan)
    if register is not None:
        values = np.where(pd.isna(register), values, register)
    valid = np.flatnonzero(pd.notna(values))
    found = positions(pd.Series(values[valid], dtype=object), pd.Series(uniques, dtype=object))
    unseen = found < 0
    found[unseen] = key_codes(pd.Series(values[valid][unseen], dtype=object))[0] + len(uniques)
    fixed = np.full(len(values), -1, dtype=np.int64)
    fixed[valid] = found
    codes[fix] = fixed
    return codes


def rows_where(frame: pd.DataFrame, keep: np.ndarray) -> pd.DataFrame:
    """``frame[keep]`` (same index), filtered in Arrow by :func:`riskmodel.frames.filter_rows`
    (each column one chunk)."""
    keep = np.asarray(keep, dtype=bool)
    return filter_rows(frame, keep).set_axis(frame.index[keep])


def _taken(values: pd.Series, found: np.ndarray, index: pd.Index) -> pd.Series:
    """``values`` at positions ``found`` (missing where -1) on ``index``, as ``Series.map``
    of a key column would give them."""
    if not len(values):
        return pd.Series(np.nan, index=index, dtype=values.dtype)
    taken = values.iloc[np.maximum(found, 0)]
    return pd.Series(taken.array, index=index).where(found >= 0)


def village_program_ratios(
    tables: Tables, config: dict[str, Any], by_month: bool = False
) -> pd.DataFrame:
    """Per village × program (× month): median ratio of amount to standard, and peer ratio
    (computed once per tables inside :func:`shared_features`).

    See :func:`_village_program_ratios`.
    """
    return _shared(
        f"village_program_ratios:{by_month}",
        tables,
        lambda: _village_program_ratios(tables, by_month),
    )


def _village_program_ratios(tables: Tables, by_month: bool) -> pd.DataFrame:
    """Per village × program (× month): median ratio of amount to standard, and peer ratio.

    The ratio uses the program standard where known, else the county median amount of the
    program. ``peer_ratio`` is the median over villages of the same program (and month).

    Returns
    -------
    DataFrame
        ``village_code, program_key, [month,] payments, beneficiaries, paid, ratio,
        peer_ratio, peer_scale`` (robust spread of the village ratios), ``shortfall``
        (``1 - ratio / peer_ratio``) and ``expected`` (what the peers' ratio would have paid).
    """
    keys = ["village_code", "program_key", *(["month"] if by_month else [])]
    columns = [*keys, "payments", "beneficiaries", "paid", "ratio"]
    extra = ["peer_ratio", "peer_scale", "shortfall", "expected"]
    if not has_columns(tables, "payments", "amount", "id_number"):
        return pd.DataFrame(columns=[*columns, *extra])
    payments = payments_with_programs(tables)
    if by_month and "pay_date" not in payments.columns:
        return pd.DataFrame(columns=[*columns, *extra])
    keep = (payments["village_code"].notna() & (payments["amount"] > 0)).to_numpy(dtype=bool)
    dtypes = payments[["village_code", "program_key"]].dtypes
    payments = rows_where(
        payments[["amount", "standard", *(["pay_date"] if by_month else [])]], keep
    )
    codes = payment_codes(tables).rows(keep)
    reference = payments["standard"].fillna(
        payments["amount"].groupby(_code_keys(codes.program)).transform("median")
    )
    ratio = payments["amount"] / reference
    parts = [(codes.village, codes.villages), (codes.program, codes.programs)]
    if by_month:
        parts.append(_month_codes(payments["pay_date"]))
    group, keyed = _combined_codes([code for code, _ in parts], [len(u) for _, u in parts])
    rows = np.flatnonzero(group >= 0)
    ids = group[rows]
    size = len(keyed[0])
    values = pd.DataFrame(
        {
            "amount": payments["amount"].to_numpy(dtype=float)[rows],
            "ratio": ratio.to_numpy(dtype=float)[rows],
            "reference": reference.to_numpy(dtype=float)[rows],
        }
    )
    grouped = values.groupby(ids).agg(
        paid=("amount", "sum"), ratio=("ratio", "median"), reference=("reference", "sum")
    )
    table = pd.DataFrame(
        {
            "village_code": pd.Series(parts[0][1][keyed[0]], dtype=dtypes["village_code"]),
            "program_key": pd.Series(parts[1][1][keyed[1]], dtype=dtypes["program_key"]),
            **({"month": parts[2][1][keyed[2]]} if by_month else {}),
            "payments": np.bincount(ids, minlength=size),
            "beneficiaries": distinct_per_group(ids, codes.person[rows], size),
            **{column: grouped[column].to_numpy() for column in grouped.columns},
        }
    )
    # peers: the same program (and month) in every village
    peer = _combined_codes(keyed[1:], [len(u) for _, u in parts[1:]])[0]
    table["peer_ratio"] = table["ratio"].groupby(peer).transform("median")
    deviation = (table["ratio"] - table["peer_ratio"]).abs()
    table["peer_scale"] = 1.4826 * deviation.groupby(peer).transform("median")
    table["shortfall"] = 1.0 - table["ratio"] / table["peer_ratio"]
    table["expected"] = table["reference"] * table["peer_ratio"]
    return table.drop(columns="reference")


def person_program_ratios(tables: Tables, config: dict[str, Any]) -> pd.DataFrame:
    """Per person × program: payments, payments above the standard, median ratio, surplus.

    Only programs with a known standard are compared (an amount above a county median is not
    "over the standard").
    """
    columns = ["id_number", "program_key", "village_code", "payments", "ratio", "surplus"]
    if not has_columns(tables, "payments", "amount", "id_number"):
        return pd.DataFrame(columns=columns)
    payments = payments_with_programs(tables)
    keep = (payments["standard"].notna() & (payments["amount"] > 0)).to_numpy(dtype=bool)
    dtypes = payments[["id_number", "program_key", "village_code"]].dtypes
    amount = payments["amount"].to_numpy(dtype=float)[keep]
    standard = payments["standard"].to_numpy(dtype=float)[keep]
    codes = payment_codes(tables).rows(keep)
    group, keyed = _combined_codes(
        [codes.person, codes.program], [len(codes.people), len(codes.programs)]
    )
    rows = np.flatnonzero(group >= 0)
    ids, size = group[rows], len(keyed[0])
    amount, standard = amount[rows], standard[rows]
    ratio = amount / standard
    over = ratio >= float(config["over_ratio"])
    values = pd.DataFrame({"ratio": ratio, "surplus": np.maximum(amount - standard, 0.0)})
    grouped = values.groupby(ids).agg(ratio=("ratio", "median"), surplus=("surplus", "sum"))
    return pd.DataFrame(
        {
            "id_number": pd.Series(codes.people[keyed[0]], dtype=dtypes["id_number"]),
            "program_key": pd.Series(codes.programs[keyed[1]], dtype=dtypes["program_key"]),
            "village_code": _values_where(
                codes.villages,
                group_first(ids, codes.village[rows], size),
                dtypes["village_code"],
            ),
            "payments": np.bincount(ids, minlength=size),
            "over_payments": np.bincount(ids[over], minlength=size),
            "ratio": grouped["ratio"].to_numpy(),
            "surplus": grouped["surplus"].to_numpy(),
        }
    )


def _month_codes(dates: pd.Series) -> tuple[np.ndarray, pd.PeriodIndex]:
    """Codes (-1 where missing) of the calendar months of ``dates`` and those months, sorted."""
    ordinals = pd.to_datetime(dates).dt.to_period("M").array.asi8
    known = ordinals != np.iinfo(np.int64).min  # NaT
    codes = np.full(len(ordinals), -1, dtype=np.int64)
    codes[known], months = pd.factorize(ordinals[known], sort=True)
    return codes, pd.PeriodIndex.from_ordinals(months, freq="M")


def _combined_codes(
    codes: list[np.ndarray], sizes: list[int]
) -> tuple[np.ndarray, list[np.ndarray]]:
    """One group code per row of several key codes (-1 where any is missing), numbered in the
    sorted order of the key tuples as a multi-key ``groupby``, and each key's code per group."""
    combined = np.zeros(len(codes[0]), dtype=np.int64)
    missing = np.zeros(len(codes[0]), dtype=bool)
    for code, size in zip(codes, sizes, strict=True):
        combined = combined * size + code
        missing |= code < 0
    result = np.full(len(combined), -1, dtype=np.int64)
    result[~missing], groups = pd.factorize(combined[~missing], sort=True)
    keyed = []
    for size in reversed(sizes):
        groups, code = np.divmod(groups, size)
        keyed.append(code)
    return result, keyed[::-1]


def _code_keys(codes: np.ndarray) -> np.ndarray:
    """Sorted codes as ``groupby`` keys: floats, NaN where missing (dropped as NaN keys are)."""
    return np.where(codes >= 0, codes, np.nan)


def ledger_expenditures(tables: Tables) -> pd.DataFrame:
    """Ledger expenditure rows (``direction`` 支出, or all rows when direction is absent)."""
    ledger = tables["ledger"]
    if "direction" in ledger.columns:
        ledger = ledger[ledger["direction"].fillna("").astype(str).str.contains("支")]
    return ledger[ledger["amount"].notna()]


def ledger_digit_table(tables: Tables, config: dict[str, Any]) -> pd.DataFrame:
    """Per village: ledger entries, first-digit counts 1–9 and MAD (NaN below ``min_entries``)."""
    columns = ["village_code", "entries", "mad", *[f"d{digit}" for digit in range(1, 10)]]
    if not has_columns(tables, "ledger", "village_code", "amount"):
        return pd.DataFrame(columns=columns)
    ledger = ledger_expenditures(tables)
    digits = first_digits(ledger["amount"].to_numpy(dtype=float))
    frame = pd.DataFrame({"village_code": ledger["village_code"].to_numpy(), "digit": digits})
    frame = frame[frame["digit"] > 0]
    counts = (
        frame.groupby(["village_code", "digit"]).size().unstack(fill_value=0)
        if len(frame)
        else pd.DataFrame(columns=range(1, 10))
    )
    counts = counts.reindex(columns=range(1, 10), fill_value=0)
    entries = counts.sum(axis=1)
    mads = mad_from_counts(counts.to_numpy())
    result = pd.DataFrame(
        {
            "village_code": counts.index.astype(str),
            "entries": entries.to_numpy(),
            "mad": np.where(entries.to_numpy() >= int(config["min_entries"]), mads, np.nan),
        }
    )
    for digit in range(1, 10):
        result[f"d{digit}"] = counts[digit].to_numpy()
    return result.reset_index(drop=True)


def cadre_relative_ids(tables: Tables) -> pd.DataFrame:
    """Pairs (official id_number, relative id_number, village_code) of village officials.

    Relatives are the official's household members (from ``residents``) and the ``relatives``
    table in both directions. The official is excluded from his own list.
    """
    empty = pd.DataFrame(columns=["official_id", "relative_id", "village_code"])
    if not has_columns(tables, "officials", "id_number"):
        return empty
    officials = tables["officials"]
    if "village_code" not in officials.columns:
        return empty
    officials = officials[officials["village_code"].notna()][["id_number", "village_code"]]
    officials = officials.drop_duplicates("id_number")
    pairs = []
    if has_columns(tables, "residents", "id_number", "household_id"):
        residents = tables["residents"][["id_number", "household_id"]].dropna()
        # an official's household: his first resident row (looked up once, in Arrow)
        found = positions(officials["id_number"], residents["id_number"])
        household = _taken(residents["household_id"], found, officials.index)
        officials_household = officials.assign(household_id=household).dropna(
            subset=["household_id"]
        )
        # only the residents of those households are joined (same rows, same order)
        residents = residents[isin(residents["household_id"], officials_household["household_id"])]
        members = officials_household.merge(
            residents.rename(columns={"id_number": "relative_id"}), on="household_id"
        )
        pairs.append(
            members.rename(columns={"id_number": "official_id"})[
                ["official_id", "relative_id", "village_code"]
            ]
        )
    if has_columns(tables, "relatives", "id_number_a", "id_number_b"):
        relatives = tables["relatives"][["id_number_a", "id_number_b"]].dropna()
        both = pd.concat(
            [
                relatives.rename(columns={"id_number_a": "official_id", "id_number_b": "rel"}),
                relatives.rename(columns={"id_number_b": "official_id", "id_number_a": "rel"}),
            ]
        )
        linked = both.merge(officials.rename(columns={"id_number": "official_id"}))
        pairs.append(linked.rename(columns={"rel": "relative_id"}))
    if not pairs:
        return empty
    result = pd.concat(pairs, ignore_index=True)
    result = result[result["official_id"] != result["relative_id"]]
    return result.drop_duplicates(["official_id", "relative_id"]).reset_index(drop=True)


def _per_village(values: pd.Series, villages: pd.Index) -> pd.Series:
    return values.reindex(villages).astype(float)


def village_features(
    tables: Tables, evidence: pd.DataFrame | None, config: dict[str, Any]
) -> pd.DataFrame:
    """One row per village with the peer-comparison features that the tables allow.

    Features (a column is left out when its tables are absent):
    ``per_capita_subsidy``, ``cadre_relative_share``, ``shared_account_share``,
    ``payment_shortfall``, ``ledger_cash_ratio``, ``round_share``, ``year_end_surge``,
    ``first_digit_mad``, ``contractor_concentration``, ``complaint_count``.
    Index: ``village_code``; a ``town`` column gives the peer group.
    """
    villages = _village_index(tables)
    features = pd.DataFrame(index=villages)
    features.index.name = "village_code"
    features["town"] = _village_towns(tables, villages)
    if has_columns(tables, "payments", "amount", "id_number"):
        payments = payments_with_programs(tables)
        codes = payment_codes(tables)
        paid = pd.Series(
            group_sum(codes.village, payments["amount"].to_numpy(dtype=float), len(codes.villages)),
            index=pd.Index(codes.villages, dtype=payments["village_code"].dtype),
        )
        if has_columns(tables, "residents", "id_number"):
            residents = tables["residents"]
            if "village_code" in residents.columns:
                people = residents.groupby("village_code")["id_number"].nunique()
                features["per_capita_subsidy"] = _per_village(paid, villages) / _per_village(
                    people, villages
                ).replace(0, np.nan)
        relatives = cadre_relative_ids(tables)
        if len(relatives):
            same_village = relatives.drop_duplicates("relative_id")
            to_relatives = isin(payments["id_number"], same_village["relative_id"])
            amount = payments["amount"].where(to_relatives, 0.0).to_numpy(dtype=float)
            share = pd.Series(
                group_sum(codes.village, amount, len(codes.villages)), index=paid.index
            ) / paid.replace(0, np.nan)
            features["cadre_relative_share"] = _per_village(share, villages)
        if "account_no" in payments.columns:
            features["shared_account_share"] = _per_village(
                _shared_account_share(payments, tables), villages
            )
        ratios = village_program_ratios(tables, config, by_month=True)
        if len(ratios):
            short = ratios["shortfall"] >= float(config["min_shortfall"])
            missing = (ratios["expected"] - ratios["paid"]).clip(lower=0).where(short, 0.0)
            share = (
                missing.groupby([ratios["village_code"], ratios["program_key"]]).sum()
                / ratios.groupby(["village_code", "program_key"])["expected"].sum()
            )
            worst = share.groupby(level=0).max()
            features["payment_shortfall"] = _per_village(worst, villages)
    if has_columns(tables, "ledger", "village_code", "amount"):
        ledger = ledger_expenditures(tables)
        spent = ledger.groupby("village_code")["amount"].sum().replace(0, np.nan)
        if "method" in ledger.columns:
            cash = ledger["amount"].where(ledger["method"].fillna("").str.contains("现金"), 0.0)
            features["ledger_cash_ratio"] = _per_village(
                cash.groupby(ledger["village_code"]).sum() / spent, villages
            )
        multiple = float(config["round_multiple"])
        amounts = ledger["amount"].abs()
        is_round = (amounts >= multiple) & (np.isclose(np.mod(amounts, multiple), 0.0))
        features["round_share"] = _per_village(
            is_round.groupby(ledger["village_code"]).mean(), villages
        )
        if "date" in ledger.columns:
            features["year_end_surge"] = _per_village(_year_end_surge(ledger), villages)
        digits = ledger_digit_table(tables, {"min_entries": config["benford_min_entries"]})
        if len(digits):
            features["first_digit_mad"] = _per_village(
                digits.set_index("village_code")["mad"], villages
            )
    if has_columns(tables, "projects", "village_code", "contractor_code"):
        features["contractor_concentration"] = _per_village(
            _contractor_concentration(tables["projects"]), villages
        )
    if has_columns(tables, "complaints", "village_code"):
        complaints = tables["complaints"].groupby("village_code").size()
        features["complaint_count"] = _per_village(complaints, villages).fillna(0.0)
    return features


def _village_index(tables: Tables) -> pd.Index:
    codes: list[pd.Series] = []
    for table in ("villages", "residents", "payments", "ledger"):
        if has_columns(tables, table, "village_code"):
            codes.append(tables[table]["village_code"].dropna().astype(str))
    if not codes:
        return pd.Index([], name="village_code", dtype=object)
    values = pd.concat(codes).unique()
    return pd.Index(sorted(v for v in values if v), name="village_code", dtype=object)


def _village_towns(tables: Tables, villages: pd.Index) -> pd.Series:
    if has_columns(tables, "villages", "village_code"):
        frame = tables["villages"].drop_duplicates("village_code").set_index("village_code")
        for column in ("town_code", "town_name"):
            if column in frame.columns:
                town = frame[column].reindex(villages)
                fallback = pd.Series(villages.str[:9], index=villages)
                return town.where(town.notna() & (town != ""), fallback).astype(str)
    # the 12-digit statistical code holds the township in digits 7–9
    return pd.Series(villages.str[:9], index=villages).astype(str)


def _shared_account_share(payments: pd.DataFrame, tables: Tables) -> pd.Series:
    keep = (payments["account_no"].notna() & (payments["account_no"] != "")).to_numpy(bool)
    amount = payments["amount"].to_numpy(dtype=float)[keep]
    codes = payment_codes(tables).rows(keep)
    account, accounts = codes.account, codes.accounts
    shared = distinct_per_group(account, codes.household, len(accounts)) >= 2
    if has_columns(tables, "accounts", "account_no", "holder_id_number"):
        listed = tables["accounts"]
        # only the shared accounts' holders are looked at
        listed = listed[isin(listed["account_no"], pd.Series(accounts[shared], dtype=object))]
        institutions = listed.loc[is_institution(listed["holder_id_number"]), "account_no"]
        shared &= ~isin(pd.Series(accounts, dtype=object), institutions)
    in_shared = np.where(shared[account], amount, 0.0)
    villages = pd.Index(codes.villages, dtype=payments["village_code"].dtype)
    size = len(villages)
    total = pd.Series(group_sum(codes.village, amount, size), index=villages)
    return group_sum(codes.village, in_shared, size) / total.replace(0, np.nan)


def _year_end_surge(ledger: pd.DataFrame) -> pd.Series:
    dated = ledger[ledger["date"].notna()]
    month = pd.to_datetime(dated["date"]).dt.month
    monthly = dated.groupby([dated["village_code"], month])["amount"].sum().unstack(fill_value=0)
    if 12 not in monthly.columns:
        return pd.Series(dtype=float)
    others = monthly.drop(columns=12)
    baseline = others.mean(axis=1) if others.shape[1] else monthly[12]
    return monthly[12] / baseline.replace(0, np.nan)


def _contractor_concentration(projects: pd.DataFrame) -> pd.Series:
    value_column = "contract_amount" if "contract_amount" in projects.columns else None
    frame = projects[projects["contractor_code"].notna() & projects["village_code"].notna()]
    value = frame[value_column].fillna(0.0) if value_column else pd.Series(1.0, index=frame.index)
    frame = frame.assign(value=value.clip(lower=0))
    per = frame.groupby(["village_code", "contractor_code"])["value"].sum()
    total = per.groupby(level=0).transform("sum").replace(0, np.nan)
    projects_per_village = frame.groupby("village_code").size()
    hhi = ((per / total) ** 2).groupby(level=0).sum()
    # one project is not a concentration
    return hhi.where(projects_per_village.reindex(hhi.index) >= 2, np.nan)


PAYEE_WINDOW_COLUMNS = [
    "payee",
    "village_code",
    "first_seen",
    "unseen_days",
    "age_days",
    "is_new",
    "payments",
    "people",
    "programs",
    "amount",
    "amount_since",
]


def payee_first_windows(
    events: pd.DataFrame,
    window_days: int,
    min_unseen_days: int,
    max_age_days: int,
    codes: PaymentCodes | None = None,
) -> pd.DataFrame:
    """Per payee: when it first appears and what it receives in its first ``window_days``.

    ``events`` has one row per payment: ``payee, village_code, date, amount`` and optionally
    ``person``, ``program`` and ``_key``. The data start is the earliest date of ``events``
    and the as-of date its latest. A payee *is new* when the data show at least
    ``min_unseen_days`` without it before its first payment (``unseen_days``) and it first
    appeared at most ``max_age_days`` before the as-of date (``age_days``); the others are the
    established payees a new one is compared with. The window metrics (``payments``,
    ``people``, ``programs``, ``amount``) cover the payee's own first ``window_days`` for
    every payee, so new and established payees are measured alike; ``amount_since`` is
    everything received since the first payment (:func:`payee_window_keys` lists the window's
    rows). With ``codes`` (the :class:`PaymentCodes` of payments whose ``account_no`` is the
    payee, row for row) the payees, people and programs are not factorized again.
    """
    keep = events["payee"].notna() & (events["payee"].astype(str) != "") & events["date"].notna()
    keep = keep.to_numpy(dtype=bool)
    if not keep.any():
        return pd.DataFrame(columns=PAYEE_WINDOW_COLUMNS)
    if codes is None:
        events = events[keep]
        payee, payees = pd.factorize(events["payee"], sort=True)
        coded = {
            column: key_codes(events[column])[0]
            for column in ("person", "program")
            if column in events.columns
        }
    else:
        dtype = events["payee"].dtype
        village_dtype = events["village_code"].dtype
        events = rows_where(events[["date", "amount"]], keep)
        codes = codes.rows(keep)
        payee, payees = compact_codes(codes.account, codes.accounts)
        payees = pd.Index(payees, dtype=dtype)
        coded = {"person": codes.person, "program": codes.program}
    dates = pd.to_datetime(events["date"])
    start, as_of = dates.min(), dates.max()
    size = len(payees)
    first_seen = _group_min_dates(dates, payee, size)
    first = first_seen[payee]
    in_window = np.flatnonzero(dates.to_numpy() <= first + np.timedelta64(int(window_days), "D"))
    window = payee[in_window]
    amount = events["amount"].to_numpy(dtype=float)
    if codes is None:
        village = _first_values(events["village_code"].iloc[in_window], window, size)
    else:
        first_village = group_first(window, codes.village[in_window], size)
        village = _values_where(codes.villages, first_village, village_dtype)
    table = pd.DataFrame(
        {
            "village_code": village,
            "first_seen": first_seen,
            "payments": np.bincount(window, minlength=size),
            "amount": group_sum(window, amount[in_window], size),
        }
    ).set_axis(pd.Index(payees, name="payee"))
    for column, name in (("person", "people"), ("program", "programs")):
        table[name] = (
            distinct_per_group(window, coded[column][in_window], size)
            if column in coded
            else np.nan
        )
    table["amount_since"] = group_sum(payee, amount, size)
    table["unseen_days"] = (table["first_seen"] - start).dt.days
    table["age_days"] = (as_of - table["first_seen"]).dt.days
    table["is_new"] = (table["unseen_days"] >= int(min_unseen_days)) & (
        table["age_days"] <= int(max_age_days)
    )
    return table.reset_index()[PAYEE_WINDOW_COLUMNS]


def _group_min_dates(dates: pd.Series, groups: np.ndarray, size: int) -> np.ndarray:
    """Per group ``0..size-1`` (each present): the earliest of the non-missing ``dates``."""
    stamps = dates.to_numpy()
    if stamps.dtype.kind != "M":  # time-zone aware: as pandas computes it
        return dates.groupby(groups).min().to_numpy()
    earliest = np.full(size, np.iinfo(np.int64).max, dtype=np.int64)
    np.minimum.at(earliest, groups, stamps.view(np.int64))
    return earliest.view(stamps.dtype)


def _values_where(uniques: np.ndarray, codes: np.ndarray, dtype: Any) -> pd.Series:
    """``uniques[codes]`` as ``dtype``, missing where a code is -1."""
    values = np.full(len(codes), np.nan, dtype=object)
    values[codes >= 0] = uniques[codes[codes >= 0]]
    return pd.Series(values, dtype=dtype)


def payee_window_keys(
    events: pd.DataFrame, windows: pd.DataFrame, window_days: int, keys: pd.Series | None = None
) -> dict[str, str]:
    """Payee → ``;``-joined ``_key`` of its rows in its first window (only ``windows``' payees).

    With ``keys``, the events' ``_key`` is ``keys`` at their ``_row`` positions.
    """
    if ("_key" not in events.columns and keys is None) or not len(windows):
        return {}
    first = dict(zip(windows["payee"], windows["first_seen"], strict=True))
    mine = events[isin(events["payee"], windows["payee"])]
    dates = pd.to_datetime(mine["date"])
    start = mine["payee"].map(first)
    mine = mine[(dates >= start) & (dates <= start + pd.Timedelta(days=int(window_days)))]
    if keys is not None:
        taken = keys.iloc[mine["_row"].to_numpy(dtype=np.int64)].array
        mine = mine.assign(_key=pd.Series(taken, index=mine.index))
    joined = mine.groupby("payee")["_key"].agg(lambda keys: ";".join(keys.astype(str)))
    return {str(k): str(v) for k, v in joined.items()}


def peer_limits(
    windows: pd.DataFrame, metrics: list[str], quantile: float, min_peers: int
) -> pd.DataFrame:
    """Per payee and metric: the ``quantile`` of the established payees of its village.

    Villages with fewer than ``min_peers`` established payees use the county's established
    payees instead. Returns a frame indexed like ``windows`` with one column per metric.
    """
    established = windows[~windows["is_new"]]
    limits = pd.DataFrame(index=windows.index, columns=metrics, dtype=float)
    if not len(established):
        return limits
    county = established[metrics].astype(float).quantile(quantile)
    counts = established.groupby("village_code").size()
    by_village = established.groupby("village_code")[metrics].quantile(quantile)
    by_village = by_village[counts.reindex(by_village.index).fillna(0) >= int(min_peers)]
    found = positions(windows["village_code"], by_village.index)
    hit = found >= 0
    for metric in metrics:
        village_limit = pd.Series(np.nan, index=windows.index)
        village_limit[hit] = by_village[metric].to_numpy(dtype=float)[found[hit]]
        limits[metric] = village_limit.fillna(county[metric]).astype(float)
    return limits
