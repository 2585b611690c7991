"""Payment rules: duplicates, amounts against the standard, accounts and cards."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from riskmodel.frames import distinct_by_row, group_sizes_by_row, isin, positions, take_codes
from riskmodel.rules import common
from riskmodel.rules.common import Joined, combined_codes, group_agg
from riskmodel.rules.context import RuleContext
from riskmodel.rules.eligibility import GROUP_COLUMNS, _group_payments
from riskmodel.rules.evidence import build_evidence, empty_evidence

Params = dict[str, Any]
Config = dict[str, Any]


def _payment_codes(
    context: RuleContext, config: Config, column: str
) -> tuple[np.ndarray, pd.Index]:
    """Integer code of each payment's ``column`` value (−1 where missing) and the distinct
    values (as Python objects: 1 and "1" stay apart): an ID column is factorized once per
    run, not once per rule grouping by it."""

    def build() -> tuple[np.ndarray, pd.Index]:
        coded = common.payment_codes(context, config, column)[0]
        codes, uniques = _value_codes(context, config, column)
        return codes[coded], uniques

    return context.cached(f"payment_groups:{column}", build)


def _value_codes(context: RuleContext, config: Config, column: str) -> tuple[np.ndarray, pd.Index]:
    """The code in :func:`_payment_codes` of each of ``common.payment_codes``' values."""

    def build() -> tuple[np.ndarray, pd.Index]:
        values = common.payment_codes(context, config, column)[1]
        # common's values may repeat and include missing: number the distinct ones
        codes, uniques = pd.factorize(np.asarray(values, dtype=object))
        uniques = pd.Index(np.asarray(uniques, dtype=object), dtype=object)
        return codes.astype(np.int64, copy=False), uniques

    return context.cached(f"payment_value_codes:{column}", build)


def _with_account(context: RuleContext, config: Config) -> np.ndarray:
    """Payments with an account number (text not empty), tested once per distinct account."""
    account, accounts = _payment_codes(context, config, "account_no")
    usable = (pd.Series(accounts).astype("str").fillna("") != "").to_numpy(bool)
    return take_codes(usable, account, False)


def _period_key(paid: pd.DataFrame) -> pd.Series:
    """The period a payment is for: covered_period, else the pay month (monthly programs) or
    the pay year; one-off programs: 'once'. Integer codes (labels via ``_period_label``)."""
    month = paid["pay_month"].to_numpy(dtype="datetime64[M]").astype(np.int64)
    year = paid["pay_date"].to_numpy(dtype="datetime64[Y]").astype(np.int64)
    months = paid["period_months"].to_numpy(dtype="float64")
    fallback = np.where(np.isnan(months), -1, np.where(months <= 1, month, 100_000 + year))
    if "covered_period" in paid:
        covered = paid["covered_period"]
        codes, uniques = pd.factorize(covered)  # as text (no object copy); only groups
        filled = np.asarray(uniques != "", dtype=bool)  # '' tested once per distinct period
        known = take_codes(filled, codes, False)
        return pd.Series(np.where(known, 1_000_000 + codes, fallback), index=paid.index)
    return pd.Series(fallback, index=paid.index)


def _period_label(rows: pd.DataFrame) -> pd.Series:
    """Readable period of payment rows (covered_period, else the pay month or year)."""
    month = rows["pay_date"].dt.strftime("%Y-%m").fillna("")
    year = rows["pay_date"].dt.strftime("%Y年").fillna("")
    fallback = np.where(
        rows["period_months"].isna(), "一次性", np.where(rows["period_months"] <= 1, month, year)
    )
    if "covered_period" in rows:
        covered = common.as_object(rows["covered_period"])
        return pd.Series(np.where(covered != "", covered, fallback), index=rows.index)
    return pd.Series(fallback, index=rows.index)


def duplicate_payment(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """The same person paid twice by one program for the same period.

    Successful payments grouped by resolved person, program and period (``covered_period``;
    without it the pay month for monthly programs, the year otherwise, and "ever" for one-off
    programs); a group with more than one row is a finding. Without a covered period, two
    monthly payments in one month count only when the person has more payments of the
    program than months from the first to the last (else a missed month paid late, 补发).

    Why
    ---
    重复发放: one household's data copied many times (喜德); the extra money is usually drawn by
    whoever holds the card.

    Exclusions
    ----------
    Failed/returned rows (status); exact-duplicate rows (already quarantined at loading).

    Evidence
    --------
    One row per person, program and period; amount at risk = everything beyond one payment.
    """
    paid = common.payments(context, config)
    if paid.empty:
        return empty_evidence()
    period = _period_key(paid)
    groups = combined_codes(
        [
            _payment_codes(context, config, "person_id")[0],
            _payment_codes(context, config, "program_key")[0],
            pd.factorize(period)[0],
        ]
    )
    repeated = group_sizes_by_row(groups) > 1
    repeated &= ~_catch_up(context, config, period.to_numpy())
    rows = paid[repeated].assign(period_key=period[repeated])
    if rows.empty:
        return empty_evidence()
    rows = rows.assign(period_label=_period_label(rows))
    found = _group_payments(
        rows,
        ["person_id", "program_key", "period_key"],
        {"largest": ("amount", "max"), "period": ("period_label", "first")},
    )
    found["extra"] = found["amount"] - found["largest"]
    found["detail"] = [
        f"{r.name}在{r.program_name}同一期间（{r.period}）被发放{r.count}次，"
        f"合计{common.yuan(r.amount)}，多发{common.yuan(r.extra)}"
        for r in found.itertuples()
    ]
    return build_evidence(
        found,
        entity_type="person",
        entity_id="person_id",
        entity_name="name",
        village_code="village_code",
        source_table="payments",
        source_key="keys",
        amount_at_risk="extra",
        match_quality="match_quality",
        detail="detail",
        fields=["program_name", "period", "count", "amount", "extra"],
    )


def _catch_up(context: RuleContext, config: Config, period: np.ndarray) -> np.ndarray:
    """Monthly payments without a covered period (their :func:`_period_key` is the pay
    month) whose person and program have no more payments than months from their first to
    their last pay month: two in one month there are a missed month paid late (补发), not a
    second payment for one month."""
    fallback = (period >= 0) & (period < 100_000)  # pay-month keys, as _period_key makes them
    if not fallback.any():
        return fallback
    month = period  # on these rows the key is the pay month
    pairs = combined_codes(
        [
            _payment_codes(context, config, "person_id")[0],
            _payment_codes(context, config, "program_key")[0],
        ]
    )
    pairs = np.where(fallback, pairs, -1)
    grouped = pd.DataFrame({"pair": pairs, "month": month})[pairs >= 0].groupby("pair")["month"]
    span = (grouped.max() - grouped.min() + 1).to_numpy()
    count = grouped.size().to_numpy()
    covered = np.zeros(int(pairs.max(initial=-1)) + 1, dtype=bool)
    covered[grouped.size().index.to_numpy()] = count <= span
    return take_codes(covered, pairs, False)


EXPAND_COLUMNS = (
    "person_id",
    "household",
    "family",
    "program_name",
    "amount",
    "pay_date",
    "name",
    "village_code",
    "match_score",
    "_key",
    "period_months",
)


def _expand_months(paid: pd.DataFrame, columns: list[str]) -> pd.DataFrame:
    """One row per payment and covered month (``month``; the pay month when no period) with
    ``columns`` and ``_row`` (the payment's position in ``paid``)."""
    start = paid["covered_start"].fillna(paid["pay_month"]).to_numpy(dtype="datetime64[M]")
    count = paid["covered_months"].fillna(1).clip(lower=1, upper=12).astype(int).to_numpy()
    positions = np.repeat(np.arange(len(paid)), count)
    expanded = paid[columns].iloc[positions].reset_index(drop=True)
    expanded["_row"] = positions
    offset = np.arange(len(positions)) - np.repeat(np.cumsum(count) - count, count)
    months = start[positions] + offset.astype("timedelta64[M]")
    expanded["month"] = months.astype("datetime64[ns]")
    return expanded


def exclusive_programs(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """One person (or household) paid by two programs that may not be combined, same period.

    For every configured pair (``programs.exclusive.pairs``: family A, family B, scope person
    or household) the payments of both families are joined on the scope and the covered month
    (pay month without ``covered_period``); one-off programs overlap whenever both were paid.

    Why
    ---
    叠加享受: 特困 with 低保, two 公益岗位 in one household, 危改 with 易地搬迁 (蒙自/会泽).

    Exclusions
    ----------
    Sequential payments (眉山: left 低保 the month the pension started) — periods must overlap.

    Evidence
    --------
    One row per person drawing the second program of a pair (the household members drawing the
    first one in ``related_ids``); amount at risk = the second program's payments in the
    overlapping periods.
    """
    paid = common.payments(context, config)
    if paid.empty:
        return empty_evidence()
    families = {f for pair in params["programs.exclusive.pairs"] for f in pair[:2]}
    needed = [*EXPAND_COLUMNS, "covered_start", "pay_month", "covered_months"]
    paid = paid[[c for c in needed if c in paid]][paid["family"].isin(families)]
    wide = [c for c in EXPAND_COLUMNS if c in paid]
    # the months are matched on a narrow expansion; the wide rows only for the overlaps
    narrow = ["person_id", "household", "family", "period_months"]
    expanded = _expand_months(paid, [c for c in narrow if c in paid])
    findings = []
    for first, second, scope in params["programs.exclusive.pairs"]:
        key = "person_id" if scope == "person" else "household"
        rows_a = expanded[(expanded["family"] == first).to_numpy(dtype=bool)]
        rows_b = expanded[(expanded["family"] == second).to_numpy(dtype=bool)]
        if rows_a.empty or rows_b.empty:
            continue
        once = rows_a["period_months"].isna().all() or rows_b["period_months"].isna().all()
        on = [key] if once else [key, "month"]
        slots = rows_a[on].drop_duplicates()
        overlap = rows_b.merge(slots, on=on)
        if overlap.empty:
            continue
        months = overlap["month"].to_numpy()
        overlap = paid[wide].iloc[overlap["_row"].to_numpy()].reset_index(drop=True)
        overlap["month"] = months
        rows_a = rows_a[rows_a[key].isin(overlap[key].unique())]  # only the keys found
        rows_a = paid[list(dict.fromkeys([key, "program_name", "person_id"]))].iloc[
            rows_a["_row"].to_numpy()
        ]
        holders_a = group_agg(
            rows_a,
            key,
            {
                "first_program": ("program_name", "first"),
                "first_people": ("person_id", common.collapse),
            },
        )
        by = ["person_id", key] if key != "person_id" else [key]
        months = overlap.groupby(by)["month"].nunique().rename("months")
        found = _group_payments(overlap.drop_duplicates("_key"), by, {}).join(months, on=by)
        found = found.join(holders_a, on=key)
        found["same_person"] = found["first_people"] == found["person_id"]
        found["related"] = [
            ";".join(x for x in people.split(";") if x != person)
            for people, person in zip(found["first_people"], found["person_id"], strict=True)
        ]
        found["detail"] = [
            f"{r.name}{'本人' if r.same_person else '所在户'}同时享受{r.first_program}与"
            f"{r.program_name}（互斥），重叠{r.months}个期间，后者{common.yuan(r.amount)}"
            for r in found.itertuples()
        ]
        findings.append(found)
    if not findings:
        return empty_evidence()
    found = pd.concat(findings, ignore_index=True)
    return build_evidence(
        found,
        entity_type="person",
        entity_id="person_id",
        entity_name="name",
        village_code="village_code",
        related_ids="related",
        source_table="payments",
        source_key="keys",
        amount_at_risk="amount",
        match_quality="match_quality",
        detail="detail",
        fields=["first_program", "program_name", "months", "amount", "same_person"],
    )


def _program_months(context: RuleContext, config: Config) -> np.ndarray:
    """Group of each payment by program and pay month (−1 where either is missing)."""

    def build() -> np.ndarray:
        paid = common.payments(context, config)
        program = _payment_codes(context, config, "program_key")[0]
        return combined_codes([program, pd.factorize(paid["pay_month"])[0]])

    return context.cached("payment_groups:program_month", build)


def _with_ratio(context: RuleContext, config: Config) -> pd.DataFrame:
    """Payments with ``ratio`` = amount ÷ expected (standard, else the county median)."""

    def build() -> pd.DataFrame:
        paid = common.payments(context, config)
        if paid.empty:
            return paid
        groups = _program_months(context, config)
        known = groups >= 0
        medians = pd.Series(paid["amount"].to_numpy()[known]).groupby(groups[known]).median()
        peer = pd.Series(medians.reindex(groups).to_numpy(), index=paid.index)
        base = paid["expected"].where(paid["expected"] > 0, peer)
        return paid.assign(base=base, ratio=(paid["amount"] / base).where(base > 0))

    return context.cached("with_ratio", build)


def above_standard(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """A person paid above the program standard, repeatedly.

    ``amount > expected × (1 + tolerance)`` where expected = standard per unit and period ×
    quantity (亩) × covered months; flagged when it happens at least ``min_times`` times.
    ``far_above`` (a field scoring may weigh) marks at least ``far_times`` payments averaging
    ``far_ratio`` × the standard or more.

    Why
    ---
    虚报/多报: the 双柏 group leader's grazing subsidy was 7 000元 above every other household.

    Exclusions
    ----------
    Programs without a known standard; single over-payments (often a 补发 of several months).

    Evidence
    --------
    One row per person and program; amount at risk = the surplus over the standard.
    """
    paid = common.payments(context, config)
    if paid.empty:
        return empty_evidence()
    limit = paid["expected"] * (1 + float(params["tolerance"]))
    over = (paid["expected"].notna() & (paid["amount"] > limit)).to_numpy(dtype=bool)
    rows = paid[[*GROUP_COLUMNS, "program_key", "expected"]][over]  # columns first
    rows = rows.assign(surplus=rows["amount"] - rows["expected"])
    if rows.empty:
        return empty_evidence()
    found = _group_payments(
        rows,
        ["person_id", "program_key"],
        {"surplus": ("surplus", "sum"), "expected": ("expected", "median")},
    )
    found = found[found["count"] >= int(params["min_times"])].copy()
    found["ratio"] = (found["amount"] / found["count"] / found["expected"]).round(2)
    # far above, month after month: no grade of the standard and no 补发 explains it
    found["far_above"] = (found["count"] >= int(params["far_times"])) & (
        found["ratio"] >= float(params["far_ratio"])
    )
    found["detail"] = [
        f"{r.name}的{r.program_name}有{r.count}笔超过标准（标准约{common.yuan(r.expected)}"
        + (f"，平均为标准的{r.ratio:.1f}倍" if r.far_above else "")
        + f"），合计超发{common.yuan(r.surplus)}"
        for r in found.itertuples()
    ]
    return build_evidence(
        found,
        entity_type="person",
        entity_id="person_id",
        entity_name="name",
        village_code="village_code",
        source_table="payments",
        source_key="keys",
        amount_at_risk="surplus",
        match_quality="match_quality",
        detail="detail",
        fields=["program_name", "count", "amount", "expected", "surplus", "ratio", "far_above"],
    )


def _village_ratios(context: RuleContext, config: Config) -> pd.DataFrame:
    def build() -> pd.DataFrame:
        paid = _with_ratio(context, config)
        columns = ["village_code", "program_key", "pay_month", "ratio", "amount", "base", "_key"]
        paid = paid[[*columns, "program_name"]][paid["standard_kind"] == "fixed"]
        grouped = paid.groupby(["village_code", "program_key", "pay_month"], as_index=False).agg(
            ratio=("ratio", "median"),
            amount=("amount", "sum"),
            base=("base", "sum"),
            count=("amount", "size"),
            key=("_key", "first"),
            program_name=("program_name", "first"),
        )
        grouped["peer_ratio"] = grouped.groupby(["program_key", "pay_month"])["ratio"].transform(
            "median"
        )
        return grouped

    return context.cached("village_ratios", build)


def below_standard(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """A person paid below the standard while the rest of the village is paid in full.

    Fixed-standard programs: ``amount < expected × (1 − tolerance)`` at least ``min_times``
    times, in village-months whose median ratio is at least ``village_ratio_min``.

    Why
    ---
    克扣 of one household (the cadre keeps part of it); the whole-village pattern is R024.

    Exclusions
    ----------
    Programs whose standard is a cap (tiers, 危改); shortfalls shared by the whole village.

    Evidence
    --------
    One row per person and program; amount at risk = the shortfall.
    """
    paid = _with_ratio(context, config)
    if paid.empty:
        return empty_evidence()
    short = (
        (paid["standard_kind"] == "fixed") & (paid["ratio"] < 1 - float(params["tolerance"]))
    ).to_numpy(dtype=bool)
    paid = paid[[*GROUP_COLUMNS, "program_key", "pay_month", "ratio", "base"]][short]
    villages = _village_ratios(context, config)[
        ["village_code", "program_key", "pay_month", "ratio"]
    ]
    rows = paid.merge(
        villages.rename(columns={"ratio": "village_ratio"}),
        on=["village_code", "program_key", "pay_month"],
    )
    rows = rows[
        (rows["ratio"] < 1 - float(params["tolerance"]))
        & (rows["village_ratio"] >= float(params["village_ratio_min"]))
    ]
    rows = rows.assign(shortfall=rows["base"] - rows["amount"])
    if rows.empty:
        return empty_evidence()
    found = _group_payments(rows, ["person_id", "program_key"], {"shortfall": ("shortfall", "sum")})
    found = found[found["count"] >= int(params["min_times"])]
    found["detail"] = [
        f"{r.name}的{r.program_name}有{r.count}笔低于标准，合计少发{common.yuan(r.shortfall)}，"
        f"同村其他人按标准发放"
        for r in found.itertuples()
    ]
    return build_evidence(
        found,
        entity_type="person",
        entity_id="person_id",
        entity_name="name",
        village_code="village_code",
        source_table="payments",
        source_key="keys",
        amount_at_risk="shortfall",
        match_quality="match_quality",
        detail="detail",
        fields=["program_name", "count", "amount", "shortfall"],
    )


def village_shortfall(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """A village whose payments of a program arrive systematically short (雁过拔毛).

    Per village, program and pay month: the median of amount ÷ standard. A month is short when
    that ratio lies in ``[1 − max_shortfall, 1 − min_shortfall]`` while the county median of
    the same program and month is at least ``peer_ratio_min``; a village-program with at least
    ``min_months`` short months is a finding.

    Why
    ---
    No single row is wrong; a cadre keeping 10–20 % of every payment shows only against the
    standard and the peer villages.

    Exclusions
    ----------
    Programs whose standard is a cap; months where the whole county is short (a standard
    change not yet configured); gaps larger than ``max_shortfall`` (tier differences).

    Evidence
    --------
    One row per village and program; amount at risk = the total shortfall; the village's
    cadres in ``related_ids``.
    """
    ratios = _village_ratios(context, config)
    if ratios.empty:
        return empty_evidence()
    low, high = 1 - float(params["max_shortfall"]), 1 - float(params["min_shortfall"])
    short = ratios[
        ratios["ratio"].between(low, high)
        & (ratios["peer_ratio"] >= float(params["peer_ratio_min"]))
    ]
    short = short.assign(shortfall=short["base"] - short["amount"])
    spec = {
        "months": ("pay_month", "nunique"),
        "shortfall": ("shortfall", "sum"),
        "ratio": ("ratio", "median"),
        "first": ("pay_month", "min"),
        "last": ("pay_month", "max"),
        "keys": ("key", Joined(60)),
        "program_name": ("program_name", "first"),
    }
    found = group_agg(short, ["village_code", "program_key"], spec, as_index=False)
    found = found[found["months"] >= int(params["min_months"])]
    if found.empty:
        return empty_evidence()
    cadres = common.officials(context, config)
    cadres = cadres[cadres["is_cadre"]].groupby("village_code")["official_id"].agg(common.collapse)
    found["related"] = found["village_code"].map(cadres).astype("str").fillna("")
    found["detail"] = [
        f"{r.village_code}村{r.program_name}连续{r.months}个月（{common.day(r.first)[:7]}至"
        f"{common.day(r.last)[:7]}）发放额仅为标准的{r.ratio:.0%}，而全县同期按标准发放，"
        f"累计少发{common.yuan(r.shortfall)}"
        for r in found.itertuples()
    ]
    return build_evidence(
        found,
        entity_type="village",
        entity_id="village_code",
        village_code="village_code",
        related_ids="related",
        source_table="payments",
        source_key="keys",
        amount_at_risk="shortfall",
        detail="detail",
        fields=["program_name", "months", "ratio", "shortfall"],
    )


# --------------------------------------------------------------------------- accounts
def _account_rows(context: RuleContext, config: Config) -> pd.DataFrame:
    """Payments with an account: ``holder_is_institution``, ``same_household``, the holder's
    row in ``common.account_holders`` (``_holder_row``; names via :func:`_with_holder` on the
    rows kept) and integer codes (``_account``, ``_household``, ``_holder_household``)."""

    def build() -> pd.DataFrame:
        paid = common.payments(context, config)
        with_account = _with_account(context, config)
        holders = common.account_holders(context, config)
        columns = [
            "person_id",
            "household",
            "account_no",
            "amount",
            "pay_date",
            "name",
            "village_code",
            "program_name",
            "program_key",
            "_key",
            "match_score",
        ]
        # the columns first, then the rows: the payments frame is wide
        rows = paid[[c for c in columns if c in paid]][with_account]
        account, accounts = _payment_codes(context, config, "account_no")
        account = account[with_account]
        # accounts, holders and households looked up once per distinct value, not per payment
        position = positions(pd.Series(accounts), holders["account_no"])[account]
        household = _payment_codes(context, config, "household")[0]
        holder_ids = holders["holder_id"].to_numpy(dtype=object)
        holder_rows = common.resident_rows(context, holder_ids)
        holder_household = _holder_households(context, config, holders["holder_id"], holder_rows)
        found = position >= 0
        at = position[found]
        has_holder = np.zeros(len(rows), dtype=bool)
        has_holder[found] = holder_ids[at] != ""
        institution = np.zeros(len(rows), dtype=bool)
        institution[found] = holders["holder_is_institution"].to_numpy(dtype=bool)[at]
        rows["holder_is_institution"] = institution
        codes = {"_account": account, "_household": household[with_account]}
        codes["_holder_household"] = np.full(len(rows), -1, dtype=np.int64)
        codes["_holder_household"][found] = holder_household[at]
        # no holder, the holder is the beneficiary, or the holder lives in his household
        same = ~has_holder
        same[found] |= holder_ids[at] == rows["person_id"].to_numpy()[found]
        same |= (codes["_holder_household"] >= 0) & (
            codes["_holder_household"] == codes["_household"]
        )
        rows["same_household"] = same
        for name in ("_account", "_household", "_holder_household"):
            rows[name] = codes[name]
        rows["_holder_row"] = position
        rows["_has_holder"] = has_holder
        return rows

    return context.cached("account_rows", build)


def _holder_households(
    context: RuleContext, config: Config, holder_ids: pd.Series, holder_rows: np.ndarray
) -> np.ndarray:
    """The :func:`_payment_codes` ``household`` of each holder's ``common.household_of``
    (−1 when no payment's): a registered household by its code, only the others
    (``P:<id>``) looked up by text."""
    households = _payment_codes(context, config, "household")[1]
    if not len(common.household_map(context)):  # no register: every household is P:<id>
        return households.get_indexer(common.household_of(context, holder_ids).to_numpy(object))
    # common's household values start with the register's (see common._payment_households)
    value_codes = _value_codes(context, config, "household")[0]
    registered, values = common.resident_codes(context, "household_id")
    named = np.flatnonzero(values != "")
    known = np.full(len(values), -1, dtype=np.int64)
    known[named] = value_codes[named]
    codes = np.full(len(holder_ids), -1, dtype=np.int64)
    in_register = holder_rows >= 0
    codes[in_register] = known[registered[holder_rows[in_register]]]
    other = codes < 0
    if other.any():
        pseudo = ("P:" + holder_ids[other].astype("str")).to_numpy(dtype=object)
        codes[other] = households.get_indexer(pseudo)
    return codes


def _with_holder(context: RuleContext, config: Config, rows: pd.DataFrame) -> pd.DataFrame:
    """``rows`` of :func:`_account_rows` with ``holder_id`` and ``holder_name`` ('' if none)."""
    if "holder_id" in rows:
        return rows
    holders = common.account_holders(context, config)
    position = rows["_holder_row"].to_numpy()
    found = position >= 0
    columns = {}
    for column in ("holder_id", "holder_name"):
        taken = np.full(len(rows), "", dtype=object)
        taken[found] = holders[column].to_numpy(dtype=object)[position[found]]
        columns[column] = pd.Series(taken, index=rows.index, dtype=object)
    return rows.assign(**columns)


def _shared_accounts(context: RuleContext, config: Config, min_households: int) -> pd.DataFrame:
    """Rows of accounts paying ``min_households`` or more households (holder's counted)."""
    return context.cached(
        f"shared_accounts:{min_households}",
        lambda: _find_shared_accounts(_account_rows(context, config), min_households),
    )


def _find_shared_accounts(rows: pd.DataFrame, min_households: int) -> pd.DataFrame:
    if rows.empty:
        return rows
    account = rows["_account"].to_numpy()
    household = rows["_household"].to_numpy()
    width = np.int64(int(household.max()) + 2)
    pairs = pd.unique(account * width + household)  # hashed, not sorted
    accounts = int(account.max()) + 1
    beneficiary_households = np.bincount(pairs // width, minlength=accounts)
    # the holder is the same on every row of an account: read him from one row of each
    row_of = np.zeros(accounts, dtype=np.int64)
    row_of[account] = np.arange(len(rows), dtype=np.int64)
    has_holder = rows["_has_holder"].to_numpy()[row_of]
    holder_household = rows["_holder_household"].to_numpy()[row_of]
    holder_pairs = np.arange(accounts, dtype=np.int64) * width + holder_household
    holder_among = (holder_household >= 0) & pd.Series(holder_pairs).isin(pairs).to_numpy()
    counts = beneficiary_households + (has_holder & ~holder_among)
    outsiders = np.bincount(account[~rows["same_household"].to_numpy()], minlength=accounts)
    chosen = (counts >= min_households) & ((outsiders > 0) | ~has_holder)
    keep = chosen[account]
    return rows[keep].assign(households=counts[account[keep]])


def _account_evidence(
    found: pd.DataFrame, mitigation: str, context: RuleContext, config: Config
) -> pd.DataFrame:
    if found.empty:
        return empty_evidence()
    officials = set(common.officials(context, config)["official_id"])
    found = _with_holder(context, config, found)
    spec = {
        "people": ("person_id", common.collapse),
        "n_people": ("person_id", "nunique"),
        "households": ("households", "first"),
        "amount": ("amount", "sum"),
        "count": ("amount", "size"),
        "keys": ("_key", common.collapse),
        "holder_id": ("holder_id", "first"),
        "holder_name": ("holder_name", "first"),
        "village_code": ("village_code", "first"),
        "programs": ("program_name", common.collapse),
    }
    grouped = group_agg(found, "account_no", spec, as_index=False)
    grouped["official_id"] = grouped["holder_id"].where(grouped["holder_id"].isin(officials), "")
    grouped["related"] = (grouped["people"] + ";" + grouped["holder_id"]).str.strip(";")
    grouped["holder_name"] = grouped["holder_name"].fillna("").astype("str")
    grouped["detail"] = [
        f"同一账户（开户人{r.holder_name or '未知'}）收取{r.n_people}人、{r.households}户的"
        f"{r.programs}共{r.count}笔{common.yuan(r.amount)}"
        for r in grouped.itertuples()
    ]
    grouped["mitigation"] = mitigation
    return build_evidence(
        grouped,
        entity_type="account",
        entity_id="account_no",
        entity_name="holder_name",
        village_code="village_code",
        official_id="official_id",
        related_ids="related",
        source_table="payments",
        source_key="keys",
        amount_at_risk="amount",
        detail="detail",
        mitigation="mitigation",
        fields=["n_people", "households", "count", "amount", "programs"],
    )


def shared_account(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """One account receiving subsidies for several unrelated households (一卡多人, 代领).

    Per account: the households of the beneficiaries plus the holder's household; a finding
    when there are at least ``min_households`` and at least one beneficiary is outside the
    holder's household.

    Why
    ---
    Card capture: the cadre or bookkeeper holds villagers' cards (新安: 267 passbooks).

    Exclusions
    ----------
    Beneficiaries in the holder's household (education aid into a parent's card);
    institutional collective accounts whose holder is a credit code (R026, low severity).

    Evidence
    --------
    One row per account: beneficiaries and holder in ``related_ids``, the holder as
    ``official_id`` when an official.
    """
    found = _shared_accounts(context, config, int(params["min_households"]))
    if found.empty:
        return empty_evidence()
    return _account_evidence(found[~found["holder_is_institution"]], "", context, config)


def institutional_account(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """An institution's collective account receiving several people's subsidies (look-alike).

    As R025, for accounts whose holder ID is a unified social credit code (a nursing home's
    collective account for 集中供养 特困).

    Why
    ---
    Usually legitimate, but the institution must pass the money on; listed at low severity.

    Exclusions
    ----------
    Accounts held by a person (R025).

    Evidence
    --------
    One row per account with a mitigation text.
    """
    found = _shared_accounts(context, config, int(params["min_households"]))
    if found.empty:
        return empty_evidence()
    return _account_evidence(
        found[found["holder_is_institution"]],
        "开户人为机构（如敬老院集体账户），集中供养对象由机构代收，可能合规",
        context,
        config,
    )


def holder_not_beneficiary(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """A subsidy paid into an account held by someone outside the beneficiary's household.

    ``accounts.holder_id_number`` differs from the beneficiary and is not in the beneficiary's
    household; institutions excluded.

    Why
    ---
    "任何单位和个人不得违规代持或借他人名义办卡": money should reach the beneficiary's own card.

    Exclusions
    ----------
    Same-household holders (parents, householder); institutional accounts; unknown holders.

    Evidence
    --------
    One row per beneficiary and account; the holder in ``related_ids``.
    """
    rows = _account_rows(context, config)
    if rows.empty:
        return empty_evidence()
    rows = rows[~rows["same_household"] & ~rows["holder_is_institution"]]
    if rows.empty:
        return empty_evidence()
    rows = _with_holder(context, config, rows)
    found = _group_payments(
        rows,
        ["person_id", "account_no"],
        {"holder_id": ("holder_id", "first"), "holder_name": ("holder_name", "first")},
    )
    found["related"] = found["account_no"] + ";" + found["holder_id"]
    found["detail"] = [
        f"{r.name}的{r.program_name}等{r.count}笔共{common.yuan(r.amount)}打入非本户人员"
        f"{r.holder_name or ''}的账户"
        for r in found.itertuples()
    ]
    return build_evidence(
        found,
        entity_type="person",
        entity_id="person_id",
        entity_name="name",
        village_code="village_code",
        related_ids="related",
        source_table="payments",
        source_key="keys",
        amount_at_risk="amount",
        match_quality="match_quality",
        detail="detail",
        fields=["count", "amount", "holder_name"],
    )


def account_held_by_official(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """Other people's subsidies paid into an account held by an official or a cadre's relative.

    The holder is an official (any category) or a close relative of a village cadre, and the
    beneficiary is neither the holder nor in the holder's household.

    Why
    ---
    扣卡/代领: 石林: a cadre kept a 低保 holder's passbook and withdrew 37 589元 over 10 years.

    Exclusions
    ----------
    The official's own and household members' subsidies.

    Evidence
    --------
    One row per account; ``official_id`` = the holder (or the cadre whose relative holds it).
    """
    rows = _account_rows(context, config)
    if rows.empty:
        return empty_evidence()
    rows = _with_holder(context, config, rows[~rows["same_household"]])
    officials = set(common.officials(context, config)["official_id"])
    relatives = common.cadre_relatives(context, config).drop_duplicates("person_id")
    cadre_of = relatives.set_index("person_id")["cadre_id"]
    is_official = isin(rows["holder_id"], officials)
    is_relative = isin(rows["holder_id"], cadre_of.index)
    rows = rows[is_official | is_relative]
    if rows.empty:
        return empty_evidence()
    # households of the other people paid into each account (the detail counts per account)
    per_account = rows.groupby("account_no")["household"].transform("nunique")
    found = _account_evidence(rows.assign(households=per_account), "", context, config)
    holder = found["entity_id"].map(rows.groupby("account_no")["holder_id"].first())
    found["official_id"] = holder.where(holder.isin(officials), holder.map(cadre_of)).fillna("")
    found["detail"] = "干部或干部亲属持有的账户收取他人补贴：" + found["detail"]
    return found


def household_paid_many(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """A by-household program paid to more than one member of a household for one period.

    Programs with unit 户 (or ``by_household``): distinct resolved persons per household and
    period > 1.

    Why
    ---
    一户多人领取: 危改 claimed again in the names of unseparated children or the spouse.

    Exclusions
    ----------
    By-person programs; failed rows.

    Evidence
    --------
    One row per household and program; amount at risk = all but the largest payment.
    """
    paid = common.payments(context, config)
    if paid.empty:
        return empty_evidence()
    columns = [*GROUP_COLUMNS, "household", "program_key", "pay_month", "period_months"]
    columns += ["covered_period"] if "covered_period" in paid else []
    chosen = paid["by_household"].fillna(False).to_numpy(dtype=bool)
    rows = paid[columns][chosen]  # columns first
    rows = rows.assign(period_key=_period_key(rows))
    codes = [_payment_codes(context, config, c)[0][chosen] for c in ("household", "program_key")]
    groups = combined_codes([*codes, pd.factorize(rows["period_key"])[0]])
    person = _payment_codes(context, config, "person_id")[0][chosen]
    rows = rows[distinct_by_row(groups, person) > 1]
    if rows.empty:
        return empty_evidence()
    rows = rows.assign(period_label=_period_label(rows))
    found = _group_payments(
        rows,
        ["household", "program_key", "period_key"],
        {
            "people": ("person_id", common.collapse),
            "largest": ("amount", "max"),
            "period": ("period_label", "first"),
            "n": ("person_id", "nunique"),
        },
    )
    found["extra"] = found["amount"] - found["largest"]
    found["entity"] = found["household"].str.removeprefix("P:")
    found["detail"] = [
        f"按户发放的{r.program_name}在{r.period}向同一户{r.n}人发放{r.count}笔，"
        f"共{common.yuan(r.amount)}"
        for r in found.itertuples()
    ]
    return build_evidence(
        found,
        entity_type="household",
        entity_id="entity",
        village_code="village_code",
        related_ids="people",
        source_table="payments",
        source_key="keys",
        amount_at_risk="extra",
        detail="detail",
        fields=["program_name", "period", "n", "amount"],
    )


def shared_phone(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """One reserved phone number on the accounts of several households, or a cadre's phone.

    Accounts grouped by ``phone``: at least ``min_households`` distinct holder households, or
    the phone is an official's phone (``officials.phone``) on an account he does not hold.

    Why
    ---
    The SMS of every payment goes to that phone: whoever owns it controls the cards (紫云).

    Exclusions
    ----------
    Phones shared within one household.

    Evidence
    --------
    One row per phone group (entity: the official owning the phone, else the first account).
    """
    accounts = context.table("accounts")
    frame = pd.DataFrame(
        {
            "account_no": accounts["account_no"].astype("str"),
            "holder_id": common.clean_ids(accounts["holder_id_number"]),
            "phone": accounts["phone"].astype("str").fillna("").str.strip(),
            "_key": accounts["_key"],
        }
    )
    frame = frame[frame["phone"] != ""]
    officials = common.officials(context, config)
    owner = pd.Series(dtype="str")
    if "phone" in officials:
        known = officials[officials["phone"].astype("str").fillna("") != ""]
        owner = known.drop_duplicates("phone").set_index(
            known.drop_duplicates("phone")["phone"].astype("str")
        )["official_id"]
    frame["phone_owner"] = frame["phone"].map(owner).astype("str").fillna("")
    minimum = int(params["min_households"])
    # a phone has no more households than holders: households looked up only where it could
    # reach the minimum (or the phone is an official's)
    holders = frame.groupby("phone")["holder_id"].transform("nunique")
    frame = frame[(holders >= minimum) | (frame["phone_owner"] != "")]
    frame = frame.assign(household=common.household_of(context, frame["holder_id"]))
    spread = frame.groupby("phone")["household"].transform("nunique")
    frame = frame[(spread >= minimum) | (frame["phone_owner"] != "")]
    spec = {
        "households": ("household", "nunique"),
        "accounts": ("account_no", common.collapse),
        "first_account": ("account_no", "min"),
        "holders": ("holder_id", common.collapse),
        "owner": ("phone_owner", "first"),
        "keys": ("_key", common.collapse),
    }
    grouped = group_agg(frame, "phone", spec, as_index=False)
    foreign = (frame["phone_owner"] != "") & (frame["holder_id"] != frame["phone_owner"])
    holds = foreign.groupby(frame["phone"]).any()
    grouped["cadre_phone"] = grouped["phone"].map(holds).fillna(False).astype(bool)
    grouped = grouped[
        (grouped["households"] >= int(params["min_households"])) | grouped["cadre_phone"]
    ]
    if grouped.empty:
        return empty_evidence()
    grouped["entity"] = grouped["owner"].where(grouped["owner"] != "", grouped["first_account"])
    grouped["entity_type"] = np.where(grouped["owner"] != "", "official", "account")
    grouped["related"] = (grouped["accounts"] + ";" + grouped["holders"]).str.strip(";")
    grouped["detail"] = [
        f"{r.households}户的补贴账户预留同一手机号"
        + ("，该号码属于公职人员/村干部" if r.cadre_phone else "")
        for r in grouped.itertuples()
    ]
    return build_evidence(
        grouped,
        entity_type=grouped["entity_type"],
        entity_id="entity",
        official_id="owner",
        related_ids="related",
        source_table="accounts",
        source_key="keys",
        amount_at_risk=0.0,
        detail="detail",
        fields=["households", "cadre_phone"],
    )


def peer_outlier_amount(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """A payment far above the others of the same program and month (Tukey far-out).

    Within program and pay month (at least ``min_peers`` rows): amount > Q3 + ``iqr_factor`` ×
    IQR and > ``min_ratio`` × median.

    Why
    ---
    双柏: one household's grazing subsidy 7 000元 above every other; catches programs with no
    configured standard.

    Exclusions
    ----------
    Small peer groups; wage programs (fixed posts).

    Evidence
    --------
    One row per person and program with the peer median.
    """
    paid = common.payments(context, config)
    if paid.empty:
        return empty_evidence()
    keys = ["program_key", "pay_month"]
    # peer statistics on integer group codes; only the flagged rows are copied
    group = _program_months(context, config)
    peers = ~paid["wage"].to_numpy(dtype=bool) & (group >= 0)
    amounts = pd.Series(paid["amount"].to_numpy()[peers]).groupby(group[peers])
    stats = pd.DataFrame(
        {
            "size": amounts.size(),
            "q1": amounts.quantile(0.25),
            "q3": amounts.quantile(0.75),
            "median": amounts.median(),
        }
    ).reindex(np.where(peers, group, -1))
    size, q1, q3, median = (stats[c].to_numpy() for c in ("size", "q1", "q3", "median"))
    limit = np.maximum(
        q3 + float(params["iqr_factor"]) * (q3 - q1), median * float(params["min_ratio"])
    )
    flagged = (size >= int(params["min_peers"])) & (paid["amount"].to_numpy() > limit)
    rows = paid[[*keys, *GROUP_COLUMNS]][flagged]
    rows = rows.assign(median=median[flagged], surplus=rows["amount"] - median[flagged])
    if rows.empty:
        return empty_evidence()
    found = _group_payments(
        rows,
        ["person_id", "program_key"],
        {"median": ("median", "median"), "surplus": ("surplus", "sum")},
    )
    found["detail"] = [
        f"{r.name}的{r.program_name}有{r.count}笔远高于同期同项目中位数{common.yuan(r.median)}，"
        f"合计{common.yuan(r.amount)}"
        for r in found.itertuples()
    ]
    return build_evidence(
        found,
        entity_type="person",
        entity_id="person_id",
        entity_name="name",
        village_code="village_code",
        source_table="payments",
        source_key="keys",
        amount_at_risk="surplus",
        match_quality="match_quality",
        detail="detail",
        fields=["program_name", "count", "amount", "median"],
    )


def many_accounts(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """One person paid into many different accounts.

    Distinct ``account_no`` per resolved person ≥ ``min_accounts``.

    Why
    ---
    一人多卡: accounts opened in a person's name for others to collect (凉山: 14 cards per
    household).

    Exclusions
    ----------
    Payments without an account number.

    Evidence
    --------
    One row per person with the accounts in ``related_ids``.
    """
    paid = common.payments(context, config)
    if paid.empty:
        return empty_evidence()
    with_account = _with_account(context, config)
    person = _payment_codes(context, config, "person_id")[0]
    account = _payment_codes(context, config, "account_no")[0]
    accounts = distinct_by_row(np.where(with_account, person, -1), account)
    rows = paid[[*GROUP_COLUMNS, "account_no"]][
        with_account & (accounts >= int(params["min_accounts"]))
    ]
    if rows.empty:
        return empty_evidence()
    found = _group_payments(
        rows,
        ["person_id"],
        {"accounts": ("account_no", common.collapse), "n": ("account_no", "nunique")},
    )
    found["detail"] = [f"{r.name}的补贴发放到{r.n}个不同账户" for r in found.itertuples()]
    return build_evidence(
        found,
        entity_type="person",
        entity_id="person_id",
        entity_name="name",
        village_code="village_code",
        related_ids="accounts",
        source_table="payments",
        source_key="keys",
        amount_at_risk=0.0,
        match_quality="match_quality",
        detail="detail",
        fields=["n", "count", "amount"],
    )
