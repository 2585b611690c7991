"""Relationship rules: paths in the relationship graph and kin concentration per village."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from riskmodel.rules import common
from riskmodel.rules.context import RuleContext
from riskmodel.rules.eligibility import _group_payments
from riskmodel.rules.evidence import build_evidence, empty_evidence

Params = dict[str, Any]
Config = dict[str, Any]


ROUTINE = (
    "收款人为公职人员亲属，款项均为保洁、清淤劳务或慰问等村务常规开支，"
    "按劳取酬、按标准慰问属常见情形"
)


def _links(context: RuleContext, target_type: str, k_hops: int) -> pd.DataFrame:
    links = context.official_links
    links = links[
        (links["target_type"] == target_type)
        & (pd.to_numeric(links["hops"], errors="coerce") <= k_hops)
    ]
    links = links.assign(
        target_id=common.clean_ids(links["target_id"]),
        official_id=common.clean_ids(links["official_id"]),
        hops=pd.to_numeric(links["hops"], errors="coerce"),
    )
    links = links[links["official_id"] != links["target_id"]]
    return links.sort_values("hops").drop_duplicates(["official_id", "target_id"])


def beneficiary_linked_graph(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """A means-tested beneficiary linked to an official of his village through the graph.

    ``official_links`` rows with target_type = beneficiary and ``hops`` ≤ ``k_hops``, joined to
    means-tested payments; the official serves the payment's village (or has no village).

    Why
    ---
    Favouritism runs through links the kinship table does not hold directly: a shared
    account, a shared phone, an in-law two steps away.

    Exclusions
    ----------
    Paths longer than ``k_hops``; officials of other villages.

    Evidence
    --------
    One row per beneficiary and official, with the path spelled out.
    """
    links = _links(context, "beneficiary", int(params["programs.thresholds.k_hops"]))
    paid = common.means_tested_payments(context, config)
    rows = common.inner_join(paid, links, left_on="person_id", right_on="target_id")
    officials = common.officials(context, config).drop_duplicates("official_id")
    village = (
        rows["official_id"]
        .map(officials.set_index("official_id")["village_code"])
        .astype("str")
        .fillna("")
    )
    rows = rows[(village == "") | (village == rows["village_code"])]
    if rows.empty:
        return empty_evidence()
    found = _group_payments(
        rows,
        ["person_id", "official_id"],
        {"path": ("path_text", "first"), "hops": ("hops", "min")},
    )
    found["quality"] = found["match_quality"] / found["hops"].clip(lower=1) ** 0.5
    found["detail"] = [
        f"{r.name}领取{r.program_name}等{r.count}笔共{common.yuan(r.amount)}，与公职人员存在关联："
        f"{r.path}（{r.hops:.0f}步）"
        for r in found.itertuples()
    ]
    return build_evidence(
        found,
        entity_type="person",
        entity_id="person_id",
        entity_name="name",
        village_code="village_code",
        official_id="official_id",
        related_ids="official_id",
        source_table="payments",
        source_key="keys",
        amount_at_risk="amount",
        match_quality="quality",
        detail="detail",
        fields=["hops", "count", "amount"],
    )


def payee_linked_graph(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """A village-ledger payee linked to an official through the graph.

    ``official_links`` rows with target_type = payee and ``hops`` ≤ ``k_hops`` joined to ledger
    expenses by payee ID.

    Why
    ---
    Village money paid to people close to those who approve it.

    Exclusions
    ----------
    Payees without an ID; paths longer than ``k_hops``; wages and posts paid by the post
    (``wage_keywords``: a cadre's own 报酬, a relative on a 公益岗); small expense claims
    (``reimbursement_keywords`` up to ``reimbursement_max``). Mitigation when every payment
    is routine village work or a condolence (``routine_keywords``).

    Evidence
    --------
    One row per payee and official.
    """
    links = _links(context, "payee", int(params["programs.thresholds.k_hops"]))
    ledger = common.ledger(context)
    expenses = common.drop_wages_and_claims(ledger[ledger["is_expense"]], params)
    rows = expenses.merge(links, left_on="payee_id", right_on="target_id")
    if rows.empty:
        return empty_evidence()
    # a relative paid for village chores or a condolence visit like any other villager
    routine = (rows["hops"] >= 1) & common._contains_any(
        common.ledger_text(rows), list(params["routine_keywords"])
    )
    rows = rows.assign(routine=routine)
    found = rows.groupby(["payee_id", "official_id"], as_index=False).agg(
        routine=("routine", "all"),
        village_code=("village_code", "first"),
        amount=("amount", "sum"),
        count=("amount", "size"),
        keys=("_key", common.collapse),
        path=("path_text", "first"),
        hops=("hops", "min"),
        name=("counterparty_name", "first")
        if "counterparty_name" in rows
        else ("payee_id", "first"),
    )
    found["quality"] = 1 / found["hops"].clip(lower=1) ** 0.5
    found["mitigation"] = np.where(found["routine"], ROUTINE, "")
    found["detail"] = [
        f"村集体向{r.name}支付{r.count}笔共{common.yuan(r.amount)}，收款人与公职人员关联：{r.path}"
        for r in found.itertuples()
    ]
    return build_evidence(
        found,
        entity_type="payee",
        entity_id="payee_id",
        entity_name="name",
        village_code="village_code",
        official_id="official_id",
        related_ids="official_id",
        source_table="ledger",
        source_key="keys",
        amount_at_risk="amount",
        match_quality="quality",
        detail="detail",
        mitigation="mitigation",
        fields=["hops", "count", "amount"],
    )


def binomial_tail(k: np.ndarray, n: np.ndarray, p: np.ndarray) -> np.ndarray:
    """P(X ≥ k) for X ~ Binomial(n, p): ``scipy.stats.binom.sf(k - 1, n, p)``, bit for bit,
    as the regularized incomplete beta I_p(k, n - k + 1) (both are Boost's ``ibeta``)
    without importing scipy.stats (a second or more)."""
    from scipy.special import betainc

    k = np.asarray(k, dtype="float64")
    n = np.asarray(n, dtype="float64")
    inside = (k >= 1) & (k <= n)
    tail = betainc(np.where(inside, k, 1.0), np.where(inside, n - k + 1, 1.0), p)
    return np.where(k < 1, 1.0, np.where(inside, tail, 0.0))


def _distinct_beneficiaries(
    context: RuleContext, config: Config, paid: pd.DataFrame
) -> pd.DataFrame:
    """``paid.drop_duplicates(["village_code", "program_key", "person_id"])`` of the
    means-tested payments (the columns the share reads), on the payments' integer codes."""
    keys = ["village_code", "program_key", "person_id"]
    chosen = common.means_tested_rows(context, config)
    codes = {}
    for column in keys:
        coded, values = common.payment_codes(context, config, column)
        distinct, _ = pd.factorize(values, use_na_sentinel=False)  # a value may repeat
        codes[column] = distinct[coded[chosen]]
    groups = common.combined_codes(list(codes.values()))  # numbered by first sight
    _, first = np.unique(groups, return_index=True)
    return paid[[*keys, "program_name"]].iloc[first]


def cadre_relative_share(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """A village where cadres' relatives take a far larger share of a program than elsewhere.

    Per village and means-tested program: beneficiaries who are relatives of a cadre of that
    village ÷ all beneficiaries, against the county share; a finding when the binomial tail
    probability < ``p_value`` and the share ≥ ``min_ratio`` × county share, with at least
    ``min_relatives`` relatives.

    Why
    ---
    "叫谁吃低保谁就能吃上" (鹿邑): the village indicator of 优亲厚友.

    Exclusions
    ----------
    Small counts; programs that are not means-tested.

    Evidence
    --------
    One row per village and program.
    """
    paid = common.means_tested_payments(context, config)
    relatives = common.cadre_relatives(context, config)
    if paid.empty:
        return empty_evidence()
    people = _distinct_beneficiaries(context, config, paid)
    kin = relatives[["person_id", "cadre_village"]].drop_duplicates()
    kin = kin.rename(columns={"cadre_village": "village_code"}).assign(is_relative=True)
    people = people.merge(kin, on=["person_id", "village_code"], how="left")
    people["is_relative"] = people["is_relative"].fillna(False).astype(bool)
    grouped = people.groupby(["village_code", "program_key"], as_index=False).agg(
        n=("person_id", "size"),
        k=("is_relative", "sum"),
        program_name=("program_name", "first"),
    )
    county = grouped.groupby("program_key")[["n", "k"]].transform("sum")
    base = (county["k"] / county["n"]).clip(lower=1e-4)
    grouped["county_share"] = base
    grouped["share"] = grouped["k"] / grouped["n"]
    grouped["p"] = binomial_tail(grouped["k"].to_numpy(), grouped["n"].to_numpy(), base.to_numpy())
    found = grouped[
        (grouped["p"] < float(params["p_value"]))
        & (grouped["share"] >= float(params["min_ratio"]) * base)
        & (grouped["k"] >= int(params["min_relatives"]))
    ]
    if found.empty:
        return empty_evidence()
    chosen = people[people["is_relative"]].merge(found[["village_code", "program_key"]])
    names = chosen.groupby(["village_code", "program_key"])["person_id"].agg(common.collapse)
    keys = pd.MultiIndex.from_frame(found[["village_code", "program_key"]])
    found = found.assign(keys="", amount=0.0, relatives=names.reindex(keys).fillna("").to_numpy())
    found["detail"] = [
        f"{r.village_code}村{r.program_name}{r.n}名对象中{r.k}名为村干部亲属（{r.share:.0%}），"
        f"全县为{r.county_share:.1%}"
        for r in found.itertuples()
    ]
    return build_evidence(
        found,
        entity_type="village",
        entity_id="village_code",
        village_code="village_code",
        related_ids="relatives",
        source_table="payments",
        source_key="keys",
        amount_at_risk=0.0,
        match_quality=np.float64(1.0),
        detail="detail",
        fields=["program_name", "n", "k", "share", "county_share", "p"],
    )
