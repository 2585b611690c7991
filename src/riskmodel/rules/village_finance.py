"""Village-ledger rules (村级财务): cash, thresholds, self-payment, invented books, closing."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from riskmodel.rules import common
from riskmodel.rules.common import Joined, MaskedSum, group_agg
from riskmodel.rules.context import RuleContext
from riskmodel.rules.evidence import build_evidence, empty_evidence

Params = dict[str, Any]
Config = dict[str, Any]
BENFORD = np.log10(1 + 1 / np.arange(1, 10))


def _expenses(context: RuleContext, exclude_words: list[str] | None = None) -> pd.DataFrame:
    """Ledger expenses with an amount, without the rows naming ``exclude_words``: cut once
    per word list for the rules sharing it (which never modify it)."""
    words = tuple(exclude_words or ())

    def build() -> pd.DataFrame:
        frame = common.ledger(context)
        if frame.empty:
            return frame
        keep = (frame["is_expense"] & frame["amount"].notna()).to_numpy(dtype=bool, copy=True)
        if words:  # the words on the text columns of the expenses: one cut of the wide rows
            rows = np.flatnonzero(keep)
            text = frame[[c for c in ("summary", "category") if c in frame]].iloc[rows]
            named = common._contains_any(common.ledger_text(text), list(words))
            keep[rows[named.to_numpy(dtype=bool)]] = False
        return frame[keep]

    return context.cached(f"expenses:{words!r}", build)


def _signatory(context: RuleContext, config: Config, frame: pd.DataFrame, column: str) -> pd.Series:
    """Official id of the person who signed ``column`` (handler/approver) in that village."""
    if column not in frame:
        return pd.Series("", index=frame.index)
    names = common.normalise_names(frame[column])
    index = common.cadre_name_index(context, config).drop_duplicates(["village_code", "name_norm"])
    lookup = index.set_index(["village_code", "name_norm"])["official_id"]
    keys = pd.MultiIndex.from_arrays([frame["village_code"].astype("str"), names])
    return pd.Series(lookup.reindex(keys).to_numpy(), index=frame.index).fillna("").astype("str")


def _voucher_label(frame: pd.DataFrame) -> pd.Series:
    return frame["voucher_id"].astype("str")


def _ledger_evidence(
    found: pd.DataFrame,
    entity_type: str | pd.Series,
    entity_id: str,
    fields: list[str],
    amount: str = "amount",
    official: str | None = None,
    related: str | None = None,
    mitigation: str | None = None,
    name: str | None = None,
) -> pd.DataFrame:
    return build_evidence(
        found,
        entity_type=entity_type,
        entity_id=entity_id,
        entity_name=name,
        village_code="village_code",
        official_id=official,
        related_ids=related,
        source_table="ledger",
        source_key="keys",
        amount_at_risk=amount,
        detail="detail",
        mitigation=mitigation,
        fields=fields,
    )


def _by_payee(rows: pd.DataFrame, extra: dict[str, Any] | None = None) -> pd.DataFrame:
    spec: dict[str, Any] = {
        "amount": ("amount", "sum"),
        "count": ("amount", "size"),
        "keys": ("_key", common.collapse),
        "payee": ("counterparty_name", "first")
        if "counterparty_name" in rows
        else ("payee_key", "first"),
        "payee_id": ("payee_id", "first"),
        "first": ("date", "min"),
        "last": ("date", "max"),
    }
    spec.update(extra or {})
    return group_agg(rows, ["village_code", "payee_key"], spec, as_index=False)


def cash_over_limit(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """A village expense paid in cash above the cash limit.

    ``method`` contains 现金 and ``amount > cash_limit`` (programs.thresholds.cash_limit).

    Why
    ---
    Village money sits in the town's agency account; large cash payments leave no bank trail
    (新田: 大额现金支付 among 49 problems).

    Exclusions
    ----------
    Transfers; cash payments up to the limit; income.

    Evidence
    --------
    One row per village and payee: count and total of the cash payments.
    """
    rows = _expenses(context)
    limit = float(params["programs.thresholds.cash_limit"])
    rows = rows[rows["amount"] > limit]  # the text test only on the rows above the limit
    rows = rows[rows["method"].astype("str").str.contains("现金").fillna(False)]
    if rows.empty:
        return empty_evidence()
    rows = rows.assign(handler_official=_signatory(context, config, rows, "handler"))
    found = _by_payee(rows, {"official": ("handler_official", "max"), "largest": ("amount", "max")})
    known = found["payee_key"] != ""
    found["entity"] = found["payee_key"].where(known, found["village_code"])
    found["entity_type"] = np.where(known, "payee", "village")
    found["payee"] = found["payee"].where(known & (found["payee"] != ""), "未注明收款方")
    found["detail"] = [
        f"向{r.payee}现金支付{r.count}笔共{common.yuan(r.amount)}，最大一笔{common.yuan(r.largest)}，"
        f"超过现金限额{common.yuan(limit)}"
        for r in found.itertuples()
    ]
    return _ledger_evidence(
        found,
        found["entity_type"],
        "entity",
        ["count", "amount", "largest"],
        official="official",
        name="payee",
    )


def split_payments(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """Payments to one payee split just under an approval threshold within a few weeks.

    For each approval level T (programs.thresholds.approval_levels): a village's expenses to
    one payee with amount in ``[lower_fraction × T, T)``, chained while consecutive dates are
    at most ``window_days`` apart; a chain of at least ``min_parts`` payments summing to at
    least T is a finding.

    Why
    ---
    拆分支付 evades the collective decision (四议两公开) or tendering (安吉: 9.05万 + 9.34万
    under the 10万 line, fake contracts).

    Exclusions
    ----------
    Payments below the band or at/above T; chains whose sum stays under T.

    Evidence
    --------
    One row per chain: payee, village, the split total as amount at risk; the approver (an
    official) in ``official_id`` when known.
    """
    rows = _expenses(context)
    if rows.empty:
        return empty_evidence()
    rows = rows.assign(
        approver_official=_signatory(context, config, rows, "approver"),
        handler_official=_signatory(context, config, rows, "handler"),
    )
    rows = rows[rows["payee_key"] != ""]
    window = pd.Timedelta(days=int(params["window_days"]))
    found_all = []
    for level in params["programs.thresholds.approval_levels"]:
        level = float(level)
        band = rows[
            (rows["amount"] >= float(params["lower_fraction"]) * level) & (rows["amount"] < level)
        ]
        if band.empty:
            continue
        band = band.sort_values(["village_code", "payee_key", "date"])
        same = (band["village_code"] == band["village_code"].shift()) & (
            band["payee_key"] == band["payee_key"].shift()
        )
        gap = band["date"] - band["date"].shift()
        chain = (~(same & (gap <= window))).cumsum()
        band = band.assign(chain=chain.to_numpy())
        spec = dict(
            village_code=("village_code", "first"),
            payee_key=("payee_key", "first"),
            payee=("counterparty_name", "first")
            if "counterparty_name" in band
            else ("payee_key", "first"),
            amount=("amount", "sum"),
            count=("amount", "size"),
            first=("date", "min"),
            last=("date", "max"),
            keys=("_key", common.collapse),
            official=("approver_official", "max"),
            handler=("handler_official", "max"),
        )
        groups = group_agg(band, "chain", spec)
        groups = groups[(groups["count"] >= int(params["min_parts"])) & (groups["amount"] >= level)]
        groups["official"] = groups["official"].where(groups["official"] != "", groups["handler"])
        groups["level"] = level
        found_all.append(groups)
    if not found_all:
        return empty_evidence()
    found = pd.concat(found_all, ignore_index=True)
    if found.empty:
        return empty_evidence()
    found["days"] = (found["last"] - found["first"]).dt.days
    found["detail"] = [
        f"{common.day(r.first)}至{common.day(r.last)}的{r.days}天内向{r.payee}支付{r.count}笔，"
        f"每笔均略低于审批限额{common.yuan(r.level)}，合计{common.yuan(r.amount)}"
        for r in found.itertuples()
    ]
    return _ledger_evidence(
        found,
        "payee",
        "payee_key",
        ["count", "amount", "level", "days"],
        official="official",
        related="official",
        name="payee",
    )


def _signer_is_payee(
    context: RuleContext, config: Config, params: Params, column: str, label: str
) -> pd.DataFrame:
    rows = common.drop_wages_and_claims(_expenses(context), params)
    if rows.empty or column not in rows:
        return empty_evidence()
    rows = rows[rows["amount"] > float(params["min_amount"])]
    signer = common.normalise_names(rows[column])
    official = _signatory(context, config, rows, column)
    # a payee ID that differs from the signing cadre's ID is a namesake, not the cadre
    namesake = (official != "") & (rows["payee_id"] != "") & (official != rows["payee_id"])
    same_name = (signer != "") & (signer == rows["payee_name"]) & ~namesake
    same_id = (official != "") & (official == rows["payee_id"])
    rows = rows.assign(official=official)[same_name | same_id]
    if rows.empty:
        return empty_evidence()
    claim = common._contains_any(common.ledger_text(rows), list(params["reimbursement_keywords"]))
    cash = (
        rows["method"].astype("str").str.contains("现金").fillna(False).to_numpy(dtype=bool)
        if "method" in rows
        else np.zeros(len(rows), dtype=bool)
    )
    rows = rows.assign(signer=signer[rows.index], claim=claim.to_numpy(dtype=bool), cash=cash)
    spec = {
        "amount": ("amount", "sum"),
        "count": ("amount", "size"),
        "claims": ("claim", "sum"),
        "keys": ("_key", common.collapse),
        "official": ("official", "max"),
        "payee_id": ("payee_id", "max"),
        "cash": ("cash", "sum"),
    }
    found = group_agg(rows, ["village_code", "signer"], spec, as_index=False)
    found["entity"] = np.where(
        found["official"] != "",
        found["official"],
        np.where(
            found["payee_id"] != "",
            found["payee_id"],
            "名:" + found["village_code"] + ":" + found["signer"],
        ),
    )
    found["entity_type"] = np.where(found["official"] != "", "official", "payee")
    found["detail"] = [
        f"{r.signer}既是{label}又是收款人，共{r.count}笔{common.yuan(r.amount)}"
        + (f"，其中现金{r.cash}笔" if r.cash else "")
        for r in found.itertuples()
    ]
    # only expense claims (差旅费) above the ordinary size: a control weakness more than a theft
    few = found["count"] <= int(params["claims_max"])
    only_claims = (found["claims"] == found["count"]) & few
    found["mitigation"] = np.where(
        only_claims,
        f"均为本人费用报销（{'、'.join(params['reimbursement_keywords'])}），可能为正常报销，"
        f"但不应由本人{label.removesuffix('人')}",
        "",
    )
    return _ledger_evidence(
        found,
        found["entity_type"],
        "entity",
        ["count", "amount", "cash", "claims"],
        official="official",
        name="signer",
        mitigation="mitigation",
    )


def handler_is_payee(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """A ledger expense whose handler (经手人) is also its payee.

    Normalised ``handler`` equals ``counterparty_name``, or the handler (matched to an official
    of the village by name) has the payee's ID; amount above ``min_amount``.

    Why
    ---
    三印齐 requires separate handler, witness and approver; self-paid vouchers hide 虚列开支
    (零陵: a villager "signed" for money he never received).

    Exclusions
    ----------
    Small amounts; income; wages and allowances (``wage_keywords``: in many villages a cadre's
    own 报酬 voucher is handled by himself); ordinary expense claims (``reimbursement_keywords``
    up to ``reimbursement_max``); a namesake villager (payee ID differs from the cadre's ID).

    Evidence
    --------
    One row per village and handler; the handler as ``official`` entity when he is a cadre.
    """
    return _signer_is_payee(context, config, params, "handler", "经手人")


def approver_is_payee(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """A ledger expense approved by its own payee.

    As R042 with ``approver`` (审批人) instead of the handler.

    Why
    ---
    Nobody checks a payment the payee approved himself.

    Exclusions
    ----------
    Small amounts; income; wages and allowances (``wage_keywords``); ordinary expense claims
    up to ``reimbursement_max``; a namesake villager (payee ID differs from the cadre's ID).

    Evidence
    --------
    One row per village and approver.
    """
    return _signer_is_payee(context, config, params, "approver", "审批人")


def payee_is_cadre(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """A non-wage village expense paid to a cadre of that village or a cadre's relative.

    Payee ID is a cadre of the village (term covering the date) or a close relative of one;
    without a payee ID, the payee name equals a cadre's name in that village. Summaries or
    categories with ``wage_keywords`` are excluded.

    Why
    ---
    Village money flowing to the people who decide on it (公店村: the clerk controlled the
    road contractor).

    Exclusions
    ----------
    Wages and allowances (工资, 误工, 报酬); ordinary expense claims (``reimbursement_keywords``
    such as 差旅费) up to ``reimbursement_max``; payments outside the cadre's term. Mitigation
    when every payment went to relatives for routine village work or condolences
    (``routine_keywords``: 保洁, 劳务, 慰问).

    Evidence
    --------
    One row per cadre: payments to him or his relatives.
    """
    rows = common.drop_wages_and_claims(_expenses(context), params)
    if rows.empty:
        return empty_evidence()
    officials = common.officials(context, config)
    cadres = officials[officials["is_cadre"]]
    direct = rows.merge(
        cadres[["official_id", "village_code", "start_date", "end_date"]],
        left_on=["payee_id", "village_code"],
        right_on=["official_id", "village_code"],
    ).assign(relation="本人")
    by_name = (
        rows[rows["payee_id"] == ""]
        .merge(
            cadres[["official_id", "village_code", "name_norm", "start_date", "end_date"]],
            left_on=["payee_name", "village_code"],
            right_on=["name_norm", "village_code"],
        )
        .assign(relation="本人（按姓名）")
    )
    relatives = common.cadre_relatives(context, config)
    kin = rows.merge(
        relatives.rename(
            columns={
                "person_id": "payee_id",
                "cadre_id": "official_id",
                "cadre_start": "start_date",
                "cadre_end": "end_date",
            }
        )[["payee_id", "official_id", "cadre_village", "start_date", "end_date", "relation"]],
        on="payee_id",
    )
    kin = kin[kin["cadre_village"] == kin["village_code"]]
    matched = pd.concat([direct, by_name, kin], ignore_index=True)
    if matched.empty:
        return empty_evidence()
    matched = matched[common.active_on(matched["start_date"], matched["end_date"], matched["date"])]
    if matched.empty:
        return empty_evidence()
    # a relative paid for village chores or a condolence visit like any other villager
    routine = ~matched["relation"].astype("str").str.startswith("本人") & common._contains_any(
        common.ledger_text(matched), list(params["routine_keywords"])
    )
    spec = {
        "amount": ("amount", "sum"),
        "count": ("amount", "size"),
        "keys": ("_key", common.collapse),
        "relation": ("relation", common.collapse),
        "payees": ("payee_id", common.collapse),
        "routine": ("routine", "all"),
    }
    matched = matched.assign(routine=routine)
    found = group_agg(matched, ["village_code", "official_id"], spec, as_index=False)
    found["mitigation"] = np.where(
        found["routine"],
        "收款人为干部亲属，款项均为保洁、清淤劳务或慰问等村务常规开支，亲属按劳取酬、按标准慰问属常见情形",
        "",
    )
    names = cadres.drop_duplicates("official_id").set_index("official_id")["name"]
    found["name"] = found["official_id"].map(names).fillna("")
    found["detail"] = [
        f"村集体向村干部{r.name}或其亲属（{r.relation}）支付非工资性款项{r.count}笔共"
        f"{common.yuan(r.amount)}"
        for r in found.itertuples()
    ]
    return _ledger_evidence(
        found,
        "official",
        "official_id",
        ["count", "amount", "relation"],
        official="official_id",
        related="payees",
        mitigation="mitigation",
        name="name",
    )


def _peer_outliers(values: pd.Series, factor: float) -> pd.Series:
    """Values above the peer median + factor × MAD (scaled)."""
    median = values.median()
    mad = (values - median).abs().median() * 1.4826
    return values > median + factor * max(mad, 1e-9)


def round_number_share(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """A village whose ledger expenses are round numbers far more often than its peers'.

    Share of expenses ≥ ``min_amount`` that are multiples of ``round_unit`` per village (at
    least ``min_entries`` rows); a finding when the share ≥ ``min_share`` and above the peer
    median + ``peer_factor`` × MAD.

    Why
    ---
    Invented vouchers are written with round numbers; real purchases rarely are.

    Exclusions
    ----------
    Wages, allowances and public-welfare post pay (``wage_keywords``: round by design);
    villages with too few entries.

    Evidence
    --------
    One row per village with its share and the peer median.
    """
    rows = _expenses(context, list(params["wage_keywords"]))
    rows = rows[rows["amount"] >= float(params["min_amount"])]
    if rows.empty:
        return empty_evidence()
    rows = rows.assign(is_round=common.is_round(rows["amount"], float(params["round_unit"])))
    spec = {
        "share": ("is_round", "mean"),
        "count": ("amount", "size"),
        "amount": ("amount", MaskedSum("is_round")),
        "keys": ("_key", Joined(50, "is_round")),
    }
    found = group_agg(rows, "village_code", spec, as_index=False)
    found = found[found["count"] >= int(params["min_entries"])]
    if found.empty:
        return empty_evidence()
    peer = found["share"].median()
    found = found[
        _peer_outliers(found["share"], float(params["peer_factor"]))
        & (found["share"] >= float(params["min_share"]))
    ]
    found = found.assign(peer=peer, amount=0.0)
    found["detail"] = [
        f"{r.village_code}村{r.count}笔支出中{r.share:.0%}为整{params['round_unit']:.0f}元，"
        f"同类村中位数{r.peer:.0%}"
        for r in found.itertuples()
    ]
    return _ledger_evidence(found, "village", "village_code", ["share", "peer", "count"])


def year_end_surge(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """A village whose December spending jumps far above its usual month and its peers.

    Per village and year: December expenses ÷ the median monthly expenses of the other
    months ≥ ``min_ratio``, December total ≥ ``min_amount``, and the ratio above the peers'
    median + ``peer_factor`` × MAD.

    Why
    ---
    突击花钱 at year end: budgets spent (or invented) before the books close.

    Exclusions
    ----------
    Villages with fewer than ``min_months`` months of expenses that year.

    Evidence
    --------
    One row per village and year; amount at risk = December spending above the usual month.
    """
    rows = _expenses(context)
    if rows.empty:
        return empty_evidence()
    spec = {"amount": ("amount", "sum"), "keys": ("_key", Joined(30))}
    monthly = group_agg(rows, ["village_code", "month"], spec, as_index=False)
    monthly["year"] = monthly["month"].dt.year
    monthly["is_december"] = monthly["month"].dt.month == 12
    usual = (
        monthly[~monthly["is_december"]]
        .groupby(["village_code", "year"])
        .agg(usual=("amount", "median"), months=("amount", "size"))
    )
    december = monthly[monthly["is_december"]].set_index(["village_code", "year"])
    found = december.join(usual, how="inner").reset_index()
    found = found[found["months"] >= int(params["min_months"])]
    found["ratio"] = found["amount"] / found["usual"]
    if found.empty:
        return empty_evidence()
    peer = found.groupby("year")["ratio"].transform("median")
    found["peer"] = peer
    outlier = (
        found.groupby("year")["ratio"]
        .transform(lambda v: _peer_outliers(v, float(params["peer_factor"])))
        .astype(bool)
    )
    found = found[
        (found["ratio"] >= float(params["min_ratio"]))
        & (found["amount"] >= float(params["min_amount"]))
        & outlier
    ]
    found = found.assign(excess=found["amount"] - found["usual"])
    found["detail"] = [
        f"{r.village_code}村{r.year}年12月支出{common.yuan(r.amount)}，是其他月份中位数的"
        f"{r.ratio:.1f}倍（同类村中位{r.peer:.1f}倍）"
        for r in found.itertuples()
    ]
    return _ledger_evidence(
        found, "village", "village_code", ["year", "amount", "usual", "ratio"], amount="excess"
    )


def benford_deviation(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """A village ledger whose first digits stray from Benford's law more than its peers'.

    First digit of every expense ≥ 10元; mean absolute deviation (MAD) from Benford per village
    with at least ``min_entries`` rows; a finding when MAD ≥ ``mad_threshold`` (Nigrini:
    0.015 = nonconformity) and above the peers' median + ``peer_factor`` × MAD.

    Why
    ---
    Made-up amounts do not follow the first-digit law real transactions follow.

    Exclusions
    ----------
    Villages with fewer than ``min_entries`` rows (the test means nothing on few amounts);
    wages and post allowances (``wage_keywords``: fixed round amounts repeated every month).

    Evidence
    --------
    One row per village with MAD, the peer median and the most over-used digit.
    """
    rows = _expenses(context, list(params["wage_keywords"]))
    rows = rows[rows["amount"] >= 10]
    if rows.empty:
        return empty_evidence()
    digit = (rows["amount"] / 10 ** np.floor(np.log10(rows["amount"]))).astype(int).clip(1, 9)
    counts = pd.crosstab(rows["village_code"], digit).reindex(columns=range(1, 10), fill_value=0)
    total = counts.sum(axis=1)
    counts = counts[total >= int(params["min_entries"])]
    if counts.empty:
        return empty_evidence()
    shares = counts.div(counts.sum(axis=1), axis=0)
    mad = (shares - BENFORD).abs().mean(axis=1)
    found = pd.DataFrame(
        {
            "village_code": mad.index,
            "mad": mad.to_numpy(),
            "count": counts.sum(axis=1).to_numpy(),
            "digit": (shares - BENFORD).idxmax(axis=1).to_numpy(),
        }
    )
    found["peer"] = found["mad"].median()
    found = found[
        (found["mad"] >= float(params["mad_threshold"]))
        & _peer_outliers(found["mad"], float(params["peer_factor"]))
    ]
    found["keys"] = ""
    found["detail"] = [
        f"{r.village_code}村{r.count}笔支出首位数字偏离本福特分布（MAD={r.mad:.4f}，同类村中位"
        f"{r.peer:.4f}），数字{r.digit}出现过多"
        for r in found.itertuples()
    ]
    return _ledger_evidence(
        found, "village", "village_code", ["mad", "peer", "count", "digit"], amount=0.0
    )


def closing_rate(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """A village whose books are not closed monthly: low closing rate or months with no voucher.

    The observed span is the county ledger's first to last month (or ``as_of``); per village,
    closing rate (结账率) = months with at least one voucher ÷ months in the span. A finding
    when the rate < ``min_rate`` or the longest run of empty months ≥ ``max_gap_months``.

    Why
    ---
    Monthly closing and publication (新田) is the basic control; unposted months hide cash
    kept off the books.

    Exclusions
    ----------
    Villages without any voucher are not seen here (no ledger rows at all).

    Evidence
    --------
    One row per village with its rate and the missing months.
    """
    frame = common.ledger(context)
    frame = frame[frame["month"].notna()]
    if frame.empty:
        return empty_evidence()
    start, end = frame["month"].min(), frame["month"].max()
    if context.as_of_date is not None:
        end = max(end, context.as_of_date.to_period("M").to_timestamp())
    span = pd.date_range(start, end, freq="MS")
    present = frame.groupby("village_code")["month"].agg(lambda v: set(v))
    rows = []
    for village, months in present.items():
        missing = [m for m in span if m not in months]
        flags = np.array([m in months for m in span])
        longest, run = 0, 0
        for flag in flags:
            run = 0 if flag else run + 1
            longest = max(longest, run)
        rows.append(
            {
                "village_code": village,
                "rate": 1 - len(missing) / len(span),
                "gap": longest,
                "missing": ",".join(m.strftime("%Y-%m") for m in missing),
                "months": len(span),
            }
        )
    found = pd.DataFrame(rows)
    found = found[
        (found["rate"] < float(params["min_rate"]))
        | (found["gap"] >= int(params["max_gap_months"]))
    ]
    if found.empty:
        return empty_evidence()
    found["keys"] = ""
    found["detail"] = [
        f"{r.village_code}村{r.months}个月中结账率{r.rate:.0%}，最长连续{r.gap}个月无凭证"
        f"（{r.missing}）"
        for r in found.itertuples()
    ]
    return _ledger_evidence(
        found, "village", "village_code", ["rate", "gap", "missing"], amount=0.0
    )


def voucher_after_close(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """Vouchers entered after their month was closed (后补凭证).

    Definition: booking order is the order of the rows in the village's ledger export
    (``_file``, ``_line``). A voucher dated in month M is "dated after the month was closed"
    when a voucher booked before it is dated more than ``tolerance_days`` after the end of
    month M — i.e. the books had moved on past M (M was closed) and this voucher was slipped
    in later with an earlier date. A village is a finding with at least ``min_vouchers``.

    Why
    ---
    Back-dated vouchers are how missing money is covered after the fact (审批程序倒置, 澧县).

    Exclusions
    ----------
    Late entries within ``tolerance_days`` of the month end (normal closing work).

    Evidence
    --------
    One row per village: the back-dated vouchers and their total.
    """
    frame = common.ledger(context)
    frame = frame[frame["date"].notna()]
    if frame.empty:
        return empty_evidence()
    order = ["village_code", "_file", "_line"] if "_line" in frame else ["village_code"]
    frame = frame.sort_values(order, kind="stable")
    seen = frame.groupby("village_code")["date"].transform(lambda v: v.cummax().shift())
    month_end = frame["date"].dt.to_period("M").dt.to_timestamp(how="end").dt.normalize()
    late = (seen - month_end).dt.days > int(params["tolerance_days"])
    rows = frame[late.fillna(False)].assign(booked_after=seen[late.fillna(False)])
    if rows.empty:
        return empty_evidence()
    spec = {
        "count": ("amount", "size"),
        "amount": ("amount", "sum"),
        "keys": ("_key", common.collapse),
        "first": ("date", "min"),
        "last_booked": ("booked_after", "max"),
    }
    found = group_agg(rows, "village_code", spec, as_index=False)
    found = found[found["count"] >= int(params["min_vouchers"])]
    found["detail"] = [
        f"{r.village_code}村有{r.count}张凭证在所属月份结账后补记（记账顺序晚于"
        f"{common.day(r.last_booked)}的凭证），合计{common.yuan(r.amount)}"
        for r in found.itertuples()
    ]
    return _ledger_evidence(found, "village", "village_code", ["count", "amount"])


def management_fee_income(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """Village income booked as a "management fee" or similar levy from individuals.

    Income rows whose summary or category contains one of ``keywords`` (管理费, 服务费,
    手续费, 提留 …); a village-year with a total ≥ ``min_amount`` is a finding.

    Why
    ---
    雁过拔毛: the cut kept from subsidies reappears as 管理费 income, or it is collected back
    from beneficiaries (南江: 12万元 collected back from 低保 recipients).

    Exclusions
    ----------
    Expenses; small totals.

    Evidence
    --------
    One row per village and year with the payers in ``related_ids``.
    """
    frame = common.ledger(context)
    if frame.empty:
        return empty_evidence()
    rows = frame[frame["is_income"]]
    rows = rows[common._contains_any(common.ledger_text(rows), list(params["keywords"]))]
    if rows.empty:
        return empty_evidence()
    rows = rows.assign(year=rows["date"].dt.year)
    spec = {
        "amount": ("amount", "sum"),
        "count": ("amount", "size"),
        "keys": ("_key", common.collapse),
        "payers": ("payee_id", common.collapse),
    }
    found = group_agg(rows, ["village_code", "year"], spec, as_index=False)
    found = found[found["amount"] >= float(params["min_amount"])]
    found["detail"] = [
        f"{r.village_code}村{r.year}年记有“管理费”等收费收入{r.count}笔共{common.yuan(r.amount)}"
        for r in found.itertuples()
    ]
    return _ledger_evidence(
        found, "village", "village_code", ["year", "count", "amount"], related="payers"
    )


def transfers_to_cadre_account(
    context: RuleContext, config: Config, params: Params
) -> pd.DataFrame:
    """Round-sum transfers from the village into an account held by a cadre.

    Expenses whose ``counterparty_account`` belongs to a cadre (accounts holder or
    officials.account_no), amount a multiple of ``round_unit``; at least ``min_transfers``.

    Why
    ---
    Collective money parked in personal accounts (新田: 1 100万 recovered) and the skimmed
    share moved to the cadre.

    Exclusions
    ----------
    Wage keywords (工资, 报酬, 误工); ordinary expense claims (``reimbursement_keywords``) up
    to ``reimbursement_max``; non-round amounts.

    Evidence
    --------
    One row per cadre with the transfers.
    """
    rows = common.drop_wages_and_claims(_expenses(context), params)
    if rows.empty or "counterparty_account" not in rows:
        return empty_evidence()
    holders = common.account_holders(context, config)
    cadres = common.officials(context, config)
    cadres = cadres[cadres["is_cadre"]]
    owned = holders[holders["holder_id"].isin(cadres["official_id"])]
    rows = rows.merge(
        owned[["account_no", "holder_id"]],
        left_on=rows["counterparty_account"].astype("str"),
        right_on="account_no",
    )
    rows = rows[common.is_round(rows["amount"], float(params["round_unit"]))]
    if rows.empty:
        return empty_evidence()
    spec = {
        "village_code": ("village_code", "first"),
        "amount": ("amount", "sum"),
        "count": ("amount", "size"),
        "keys": ("_key", common.collapse),
        "accounts": ("account_no", common.collapse),
    }
    found = group_agg(rows, ["holder_id"], spec, as_index=False)
    found = found[found["count"] >= int(params["min_transfers"])]
    names = cadres.drop_duplicates("official_id").set_index("official_id")["name"]
    found["name"] = found["holder_id"].map(names).fillna("")
    found["detail"] = [
        f"村集体向村干部{r.name}本人账户转入整数金额{r.count}笔共{common.yuan(r.amount)}"
        for r in found.itertuples()
    ]
    return _ledger_evidence(
        found,
        "official",
        "holder_id",
        ["count", "amount"],
        official="holder_id",
        related="accounts",
        name="name",
    )


def white_slip(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """A village booking far more expenses without invoice or attachment than its peers (白条).

    A slip is an expense above ``min_amount`` with ``attachment_count`` = 0 (and no
    ``invoice_no`` when that column exists), or a summary naming 白条/收条/借条/手写收据. Per
    village: a finding with at least ``min_vouchers`` slips whose share of expenses is at least
    ``min_share`` and above the peers' median + ``peer_factor`` × MAD.

    Why
    ---
    宜良: more than half a village's vouchers were 白条; a secretary self-made 112 receipts.

    Exclusions
    ----------
    Small amounts; vouchers with an invoice number or attachments; villages whose slip share
    is ordinary for the county (a missing attachment now and then is bookkeeping, not fraud).

    Evidence
    --------
    One row per village: count, share and total of the slips.
    """
    rows = _expenses(context)
    rows = rows[rows["amount"] > float(params["min_amount"])]
    if rows.empty:
        return empty_evidence()
    attachments = pd.to_numeric(rows["attachment_count"], errors="coerce").fillna(0)
    slip = attachments <= 0
    if "invoice_no" in rows:
        slip &= rows["invoice_no"].astype("str").fillna("").str.strip() == ""
    slip |= common.ledger_text(rows).str.contains("白条|收条|借条|手写收据").fillna(False)
    rows = rows.assign(is_slip=slip.to_numpy())
    spec = {
        "share": ("is_slip", "mean"),
        "count": ("is_slip", "sum"),
        "amount": ("amount", MaskedSum("is_slip")),
        "keys": ("_key", Joined(50, "is_slip")),
    }
    found = group_agg(rows, "village_code", spec, as_index=False)
    found["peer"] = found["share"].median()
    found = found[
        (found["count"] >= int(params["min_vouchers"]))
        & (found["share"] >= float(params["min_share"]))
        & _peer_outliers(found["share"], float(params["peer_factor"]))
    ]
    found["detail"] = [
        f"{r.village_code}村有{r.count}笔支出无发票无附件（白条，占{r.share:.0%}，同类村中位"
        f"{r.peer:.0%}），合计{common.yuan(r.amount)}"
        for r in found.itertuples()
    ]
    return _ledger_evidence(found, "village", "village_code", ["count", "share", "peer", "amount"])


def duplicate_reimbursement(context: RuleContext, config: Config, params: Params) -> pd.DataFrame:
    """The same amount paid twice to the same payee within a short window (重复报销).

    Expenses of one village with the same payee and the same amount (≥ ``min_amount``),
    different vouchers, dated at most ``window_days`` apart.

    Why
    ---
    新田 checks for 重复报销: one invoice claimed twice.

    Exclusions
    ----------
    Wage keywords (monthly allowances repeat by design); small amounts.

    Evidence
    --------
    One row per payee and amount.
    """
    rows = _expenses(context, list(params["wage_keywords"]))
    rows = rows[(rows["amount"] >= float(params["min_amount"])) & (rows["payee_key"] != "")]
    if rows.empty:
        return empty_evidence()
    rows = rows.sort_values(["village_code", "payee_key", "amount", "date"])
    same = (
        (rows["village_code"] == rows["village_code"].shift())
        & (rows["payee_key"] == rows["payee_key"].shift())
        & (rows["amount"] == rows["amount"].shift())
    )
    close = (rows["date"] - rows["date"].shift()).dt.days <= int(params["window_days"])
    second = same & close
    pair = second | second.shift(-1, fill_value=False)
    rows = rows[pair]
    if rows.empty:
        return empty_evidence()
    spec = {
        "count": ("amount", "size"),
        "keys": ("_key", common.collapse),
        "payee": ("counterparty_name", "first")
        if "counterparty_name" in rows
        else ("payee_key", "first"),
    }
    found = group_agg(rows, ["village_code", "payee_key", "amount"], spec, as_index=False)
    found["extra"] = found["amount"] * (found["count"] - 1)
    found["detail"] = [
        f"向{r.payee}支付相同金额{common.yuan(r.amount)}共{r.count}次，间隔不超过"
        f"{params['window_days']}天"
        for r in found.itertuples()
    ]
    return _ledger_evidence(
        found, "payee", "payee_key", ["count", "amount"], amount="extra", name="payee"
    )
