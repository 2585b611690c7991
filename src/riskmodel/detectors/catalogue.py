"""The detector catalogue: each detector declared once, as data, with the function it runs.

A detector function takes ``(tables, evidence, settings)`` — ``settings`` is the
``detectors.<id>`` table of the configuration merged over ``detectors.common`` — and returns
findings: ``detector_id, entity_type, entity_id, village_code, anomaly (0–1), amount_at_risk,
detail, top_features`` plus ``official_id, related_ids, program_code, source_table,
source_key, mitigation, fields`` so that leads can bundle and trace them like rule evidence.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from riskmodel.detectors.features import (
    PaymentCodes,
    compact_codes,
    group_first,
    group_sum,
    has_columns,
    is_institution,
    ledger_digit_table,
    ledger_expenditures,
    payee_first_windows,
    payee_window_keys,
    payment_codes,
    payments_with_programs,
    peer_limits,
    person_program_ratios,
    village_features,
    village_program_ratios,
)
from riskmodel.detectors.stats import BENFORD_FIRST_DIGIT, nigrini_conformity, peer_feature_z
from riskmodel.frames import distinct_per_group, isin, positions, take_codes

Tables = dict[str, pd.DataFrame]

FINDING_COLUMNS = [
    "detector_id",
    "entity_type",
    "entity_id",
    "village_code",
    "anomaly",
    "amount_at_risk",
    "detail",
    "top_features",
    "official_id",
    "related_ids",
    "program_code",
    "source_table",
    "source_key",
    "mitigation",
    "fields",
]

FEATURE_TITLES = {
    "per_capita_subsidy": "人均补贴额",
    "cadre_relative_share": "干部亲属受益占比",
    "shared_account_share": "一卡多人账户资金占比",
    "payment_shortfall": "补贴发放少于标准的幅度",
    "ledger_cash_ratio": "现金支出占比",
    "round_share": "整数金额占比",
    "year_end_surge": "年底突击支出倍数",
    "first_digit_mad": "首位数字偏离本福特(MAD)",
    "contractor_concentration": "承包方集中度",
    "complaint_count": "信访举报件数",
}


@dataclass(frozen=True)
class Detector:
    """One detector: stable id, Chinese title, the entity it scores and the tables it needs."""

    id: str
    title_zh: str
    entity_type: str
    needs: tuple[str, ...]
    func: Callable[[Tables, pd.DataFrame | None, dict[str, Any]], pd.DataFrame]


def ramp(values, start: float, full: float) -> np.ndarray:
    """0 at or below ``start``, 1 at or above ``full``, linear between."""
    values = np.asarray(values, dtype=float)
    span = max(float(full) - float(start), 1e-12)
    return np.clip((values - float(start)) / span, 0.0, 1.0)


def empty_findings() -> pd.DataFrame:
    """A findings frame with no rows and every column."""
    return pd.DataFrame({column: pd.Series(dtype=_dtype(column)) for column in FINDING_COLUMNS})


def _dtype(column: str) -> str:
    return "float64" if column in ("anomaly", "amount_at_risk") else "str"


def _findings(rows: list[dict[str, Any]] | dict[str, Any], detector_id: str) -> pd.DataFrame:
    """Findings from one dict per row, or from columns (lists, arrays or one value)."""
    if not len(rows):
        return empty_findings()
    frame = pd.DataFrame(rows)
    frame["detector_id"] = detector_id
    for column in FINDING_COLUMNS:
        if column not in frame.columns:
            frame[column] = 0.0 if _dtype(column) == "float64" else ""
    frame = frame[FINDING_COLUMNS]
    for column in FINDING_COLUMNS:
        if _dtype(column) == "float64":
            frame[column] = frame[column].astype(float)
        else:
            frame[column] = frame[column].fillna("").astype(str)
    return frame


def village_heads(tables: Tables) -> dict[str, list[str]]:
    """Village code -> id_numbers of its cadres, party secretary and director first."""
    if not has_columns(tables, "officials", "id_number", "village_code"):
        return {}
    officials = tables["officials"]
    officials = officials[officials["village_code"].notna()]
    if "end_date" in officials.columns:
        officials = officials[officials["end_date"].isna()]
    position = officials.get("position", pd.Series("", index=officials.index)).fillna("")
    priority = np.select(
        [
            position.str.contains("书记"),
            position.str.contains("主任"),
            position.str.contains("会计"),
        ],
        [0, 1, 2],
        default=3,
    )
    ordered = officials.assign(_priority=priority).sort_values(["village_code", "_priority"])
    return ordered.groupby("village_code")["id_number"].apply(list).to_dict()


def _json(values: dict[str, Any]) -> str:
    def clean(value: Any) -> Any:
        if isinstance(value, float | np.floating):
            return None if not np.isfinite(value) else round(float(value), 4)
        if isinstance(value, np.integer):
            return int(value)
        return value

    return json.dumps({k: clean(v) for k, v in values.items()}, ensure_ascii=False)


def detect_benford_ledger(
    tables: Tables, evidence: pd.DataFrame | None, settings: dict[str, Any]
) -> pd.DataFrame:
    """Villages whose ledger first digits do not conform to Benford's law (Nigrini MAD).

    Small samples have a larger MAD by chance alone, so the limit is Nigrini's marginal limit
    plus the expected MAD of a conforming sample of the same size.
    """
    digits = ledger_digit_table(tables, settings)
    digits = digits[digits["mad"].notna()]
    if not len(digits):
        return empty_findings()
    heads = village_heads(tables)
    limits = tuple(float(x) for x in settings["limits"])
    peer = float(np.median(digits["mad"]))
    rows = []
    for record in digits.itertuples(index=False):
        chance = expected_mad(int(record.entries))
        limit = limits[2] + chance
        if record.mad <= limit:
            continue
        anomaly = 0.5 + 0.5 * ramp(record.mad, limit, limit + float(settings["full_excess"]))
        officials = heads.get(record.village_code, [])
        rows.append(
            {
                "entity_type": "village",
                "entity_id": record.village_code,
                "village_code": record.village_code,
                "anomaly": float(anomaly),
                "amount_at_risk": 0.0,
                "detail": (
                    f"村级账簿{int(record.entries)}笔支出的首位数字偏离本福特分布：MAD={record.mad:.4f}"
                    f"（Nigrini 分类：{nigrini_conformity(record.mad, limits)}；"
                    f"同样本量下的判定线 {limit:.4f}，全县各村中位数 {peer:.4f}），账目可能系编造"
                ),
                "top_features": f"first_digit_mad={record.mad:.4f}",
                "official_id": officials[0] if officials else "",
                "related_ids": ";".join(officials[:2]),
                "source_table": "ledger",
                "fields": _json(
                    {"mad": record.mad, "entries": int(record.entries), "limit": limit}
                ),
            }
        )
    return _findings(rows, "D_BENFORD")


def expected_mad(entries: int) -> float:
    """Expected first-digit MAD of a sample of ``entries`` values drawn from Benford's law."""
    if entries <= 0:
        return float("inf")
    p = BENFORD_FIRST_DIGIT
    return float(np.mean(np.sqrt(2.0 / np.pi) * np.sqrt(p * (1 - p) / entries)))


def detect_amount_shortfall(
    tables: Tables, evidence: pd.DataFrame | None, settings: dict[str, Any]
) -> pd.DataFrame:
    """Village × program whose payments arrive short of the standard and peers, month by month.

    For each program and month, the village's median ratio of amount to standard is compared
    with the other villages paying that program that month (robust z, low side, scale floored
    at ``min_scale``). A month counts when z ≥ ``z_start`` and the shortfall ≥
    ``min_shortfall``; a village × program is a finding with ``min_months`` such months — a
    systematic cut, not a one-off correction. Amount at risk: what the peers' ratio would have
    paid in those months minus what was paid.
    """
    ratios = village_program_ratios(tables, settings, by_month=True)
    ratios = ratios[ratios["payments"] >= int(settings["min_payments_month"])]
    if not len(ratios):
        return empty_findings()
    villages_per_cell = ratios.groupby(["program_key", "month"])["village_code"].transform("size")
    ratios = ratios[villages_per_cell >= int(settings["min_villages"])]
    scale = ratios["peer_scale"].clip(lower=float(settings["min_scale"]))
    ratios = ratios.assign(z=(ratios["peer_ratio"] - ratios["ratio"]) / scale)
    short = ratios[
        (ratios["z"] >= float(settings["z_start"]))
        & (ratios["shortfall"] >= float(settings["min_shortfall"]))
    ]
    if not len(short):
        return empty_findings()
    heads = village_heads(tables)
    rows = []
    for (village, program), months in short.groupby(["village_code", "program_key"]):
        if len(months) < int(settings["min_months"]):
            continue
        z_value = float(months["z"].median())
        anomaly = float(ramp(z_value, float(settings["z_start"]), float(settings["z_full"])))
        anomaly = max(anomaly, 0.5)
        missing = float((months["expected"] - months["paid"]).clip(lower=0).sum())
        ratio = float(months["ratio"].median())
        peer = float(months["peer_ratio"].median())
        span = f"{months['month'].min()}至{months['month'].max()}"
        officials = heads.get(village, [])
        rows.append(
            {
                "entity_type": "village",
                "entity_id": village,
                "village_code": village,
                "anomaly": anomaly,
                "amount_at_risk": missing,
                "detail": (
                    f"项目{program}在本村{span}有{len(months)}个月发放金额中位数仅为标准的"
                    f"{ratio:.0%}（同月全县各村中位数{peer:.0%}，稳健z={z_value:.1f}），"
                    f"共少发约{missing:,.0f}元，疑似雁过拔毛"
                ),
                "top_features": f"payment_ratio={ratio:.3f}(z={z_value:.1f});months={len(months)}",
                "official_id": officials[0] if officials else "",
                "related_ids": ";".join([str(program), *officials[:2]]),
                "program_code": str(program),
                "source_table": "payments",
                "fields": _json(
                    {
                        "program": program,
                        "months": len(months),
                        "ratio": ratio,
                        "peer_ratio": peer,
                        "z": z_value,
                    }
                ),
            }
        )
    return _findings(rows, "D_SHORTFALL")


def detect_amount_over_standard(
    tables: Tables, evidence: pd.DataFrame | None, settings: dict[str, Any]
) -> pd.DataFrame:
    """People paid well above the program standard, repeatedly."""
    ratios = person_program_ratios(tables, settings)
    if not len(ratios):
        return empty_findings()
    ratios = ratios[ratios["over_payments"] >= int(settings["min_over_payments"])]
    rows = []
    for record in ratios.itertuples(index=False):
        anomaly = 0.5 + 0.5 * ramp(record.ratio, float(settings["over_ratio"]), 3.0)
        rows.append(
            {
                "entity_type": "person",
                "entity_id": record.id_number,
                "village_code": "" if pd.isna(record.village_code) else record.village_code,
                "anomaly": float(anomaly),
                "amount_at_risk": float(record.surplus),
                "detail": (
                    f"项目{record.program_key}有{int(record.over_payments)}笔发放高于标准"
                    f"（金额中位数为标准的{record.ratio:.0%}），超标准合计{record.surplus:,.0f}元"
                ),
                "top_features": f"ratio_to_standard={record.ratio:.2f}",
                "program_code": str(record.program_key),
                "related_ids": str(record.program_key),
                "source_table": "payments",
                "fields": _json(
                    {
                        "program": record.program_key,
                        "over_payments": int(record.over_payments),
                        "ratio": record.ratio,
                    }
                ),
            }
        )
    return _findings(rows, "D_OVER")


def score_village_features(features: pd.DataFrame, settings: dict[str, Any]) -> pd.DataFrame:
    """Directional robust z of each village feature against county and same-town peers.

    Returns a frame indexed like ``features`` with one z column per feature and ``z`` (the
    mean of the ``top_k`` largest). Town peers count with weight ``town_weight`` where a town
    has at least ``min_town_peers`` villages.
    """
    names = [c for c in features.columns if c != "town" and features[c].notna().any()]
    if not names or len(features) < 3:
        return pd.DataFrame(index=features.index)
    values = features[names].astype(float)
    values = values.fillna(values.median())
    floors = settings["feature_floor"]
    min_scale = np.array([float(floors.get(name, floors["default"])) for name in names])
    county = peer_feature_z(values.to_numpy(), "high", min_scale)
    z = pd.DataFrame(county, index=values.index, columns=names)
    weight = float(settings["town_weight"])
    for _, members in values.groupby(features["town"]).groups.items():
        if len(members) < int(settings["min_town_peers"]) or weight <= 0:
            continue
        town_z = peer_feature_z(values.loc[members].to_numpy(), "high", min_scale)
        z.loc[members] = (1 - weight) * z.loc[members].to_numpy() + weight * town_z
    k = max(1, min(int(settings["top_k"]), len(names)))
    z["z"] = -np.sort(-z[names].to_numpy(), axis=1)[:, :k].mean(axis=1)
    return z


def detect_village_peer(
    tables: Tables, evidence: pd.DataFrame | None, settings: dict[str, Any]
) -> pd.DataFrame:
    """Villages whose feature vector stands out against the county and the same town."""
    features = village_features(tables, evidence, settings)
    z = score_village_features(features, settings)
    if "z" not in z.columns:
        return empty_findings()
    heads = village_heads(tables)
    names = [c for c in z.columns if c != "z"]
    anomaly = ramp(z["z"].to_numpy(), float(settings["z_start"]), float(settings["z_full"]))
    rows = []
    for position, village in enumerate(z.index):
        if anomaly[position] <= 0:
            continue
        feature_z = z.loc[village, names].sort_values(ascending=False)
        top = feature_z[feature_z > float(settings["z_start"]) / 2].head(3)
        described = "；".join(
            f"{FEATURE_TITLES.get(name, name)} {features.loc[village, name]:.3g}"
            f"（同类村中位 {features[name].median():.3g}，z={value:.1f}）"
            for name, value in top.items()
        )
        officials = heads.get(village, [])
        rows.append(
            {
                "entity_type": "village",
                "entity_id": village,
                "village_code": village,
                "anomaly": float(anomaly[position]),
                "amount_at_risk": 0.0,
                "detail": f"与全县及同乡镇各村相比指标异常：{described}",
                "top_features": ";".join(f"{name}(z={value:.1f})" for name, value in top.items()),
                "official_id": officials[0] if officials else "",
                "related_ids": ";".join(officials[:2]),
                "source_table": "villages",
                "fields": _json({name: features.loc[village, name] for name in top.index}),
            }
        )
    return _findings(rows, "D_VILLAGE")


def detect_account_concentration(
    tables: Tables, evidence: pd.DataFrame | None, settings: dict[str, Any]
) -> pd.DataFrame:
    """Accounts receiving for several households or many programs (代领/扣卡 pattern)."""
    if not has_columns(tables, "payments", "account_no", "id_number", "amount"):
        return empty_findings()
    payments = payments_with_programs(tables)
    usable = (payments["account_no"].notna() & (payments["account_no"] != "")).to_numpy(bool)
    amount = payments["amount"].to_numpy(dtype=float)[usable]
    table, rows_of = _account_table(payment_codes(tables).rows(usable), amount)
    min_households = int(settings["min_households"])
    min_programs = int(settings["min_programs"])
    flagged = table[(table["households"] >= min_households) | (table["programs"] >= min_programs)]
    if not len(flagged):
        return empty_findings()
    holders = _account_holders(tables, flagged["account_no"])
    people, paid_to_others = _account_people(rows_of, flagged, holders)
    households = ramp(flagged["households"], min_households - 1, min_households + 3)
    programs = ramp(flagged["programs"], min_programs - 1, min_programs + 3)
    anomalies = np.maximum(households, 0.6 * programs)
    counts = {
        name: flagged[name].to_numpy(dtype=float).astype(np.int64).tolist()
        for name in ("households", "programs", "beneficiaries")
    }
    paid = flagged["paid"].to_numpy(dtype=float).tolist()
    mitigation, factor = _account_mitigations(counts["households"], holders, people, settings)
    max_related = int(settings["max_related"])
    related = [
        ";".join([holder, *[p for p in mine if p != holder][:max_related]])
        if holder
        else ";".join(mine[:max_related])
        for holder, mine in zip(holders.shown, people, strict=True)
    ]
    columns = {
        "entity_type": "account",
        "entity_id": flagged["account_no"].to_numpy(),
        "village_code": flagged["village_code"].fillna("").to_numpy(dtype=object),
        "anomaly": anomalies * factor,
        "amount_at_risk": paid_to_others.astype(float),
        "detail": [
            f"同一账户收取{b}人（{h}户）{n}个项目的补贴，合计{v:,.0f}元"
            for b, h, n, v in zip(
                counts["beneficiaries"], counts["households"], counts["programs"], paid, strict=True
            )
        ],
        "top_features": [
            f"households={h};programs={n}"
            for h, n in zip(counts["households"], counts["programs"], strict=True)
        ],
        "official_id": "",
        "related_ids": related,
        "source_table": "payments",
        "mitigation": mitigation,
        "fields": [
            f'{{"households": {h}, "programs": {n}, "paid": {_json_number(v)}}}'
            for h, n, v in zip(counts["households"], counts["programs"], paid, strict=True)
        ],
    }
    return _findings(columns, "D_ACCOUNT")


def _account_mitigations(
    households: list[int], holders: _Holders, people: list[list[str]], settings: dict[str, Any]
) -> tuple[list[str], np.ndarray]:
    """Per flagged account: the mitigation text and the factor its anomaly is weighed by."""
    mitigation = [""] * len(households)
    factor = np.ones(len(households))
    for position, holder in enumerate(holders.shown):
        if holders.institution[position]:
            factor[position] = float(settings["institution_factor"])
            mitigation[position] = "开户人为单位（如敬老院集体账户），可能为集中供养对象的合规代收"
        elif households[position] <= 1 and (not holder or holder in people[position]):
            # one household's own programs on its own card: not 代领, possibly lawful stacking
            factor[position] = float(settings["own_household_factor"])
            mitigation[position] = (
                "仅开户人本户成员的补贴，多个项目可能为同一对象依规叠加享受（如特困、残疾、高龄）"
            )
    return mitigation, factor


def _json_number(value: float) -> str:
    """``value`` as :func:`_json` writes a float (4 decimals; null when not finite)."""
    return json.dumps(round(value, 4)) if np.isfinite(value) else "null"


@dataclass(frozen=True)
class _AccountRows:
    """Payments of the account table as integer codes: account and beneficiary per row."""

    account: np.ndarray
    person: np.ndarray
    people: np.ndarray
    amount: np.ndarray


def _account_table(codes: PaymentCodes, amount: np.ndarray) -> tuple[pd.DataFrame, _AccountRows]:
    """Per account (sorted): households, beneficiaries, programs, paid and the first village,
    from the codes and amounts of the payments to an account.

    A payment without a household counts the beneficiary as its own household.
    """
    account, accounts = compact_codes(codes.account, codes.accounts)
    size = len(accounts)
    first_village = group_first(account, codes.village, size)
    table = pd.DataFrame(
        {
            "account_no": accounts,
            "households": distinct_per_group(account, codes.household, size),
            "beneficiaries": distinct_per_group(account, codes.person, size),
            "programs": distinct_per_group(account, codes.program, size),
            "paid": group_sum(account, amount, size),
            "village_code": _values_at(codes.villages, first_village),
        }
    )
    return table, _AccountRows(account, codes.person, codes.people, amount)


def _values_at(uniques: np.ndarray, codes: np.ndarray) -> np.ndarray:
    """``uniques[codes]`` as objects, None where a code is -1."""
    result = np.full(len(codes), None, dtype=object)
    result[codes >= 0] = uniques[codes[codes >= 0]]
    return result


@dataclass(frozen=True)
class _Holders:
    """Per account: holder as text (``""`` when unlisted), the holder id (None when unknown)
    and whether the holder is an institution."""

    shown: list[str]
    ids: np.ndarray
    institution: np.ndarray


def _account_holders(tables: Tables, accounts: pd.Series) -> _Holders:
    """The holders of ``accounts`` (the first row of each account in ``accounts``)."""
    ids = np.full(len(accounts), None, dtype=object)
    institution = np.zeros(len(accounts), dtype=bool)
    if not has_columns(tables, "accounts", "account_no", "holder_id_number"):
        return _Holders([""] * len(accounts), ids, institution)
    listed = tables["accounts"]
    found = positions(accounts, listed["account_no"])
    hit = found >= 0
    holder_ids = listed["holder_id_number"].iloc[found[hit]]
    values = holder_ids.to_numpy(dtype=object)
    shown = np.full(len(accounts), "", dtype=object)
    shown[hit] = [str(h) for h in values]
    ids[hit] = [None if pd.isna(h) else h for h in values]
    institution[hit] = is_institution(holder_ids).to_numpy(dtype=bool)
    return _Holders(shown.tolist(), ids, institution)


def _account_people(
    rows: _AccountRows, flagged: pd.DataFrame, holders: _Holders
) -> tuple[list[list[str]], np.ndarray]:
    """Per flagged account: its beneficiaries (sorted) and what was paid to others than the
    holder."""
    chosen = np.full(int(rows.account.max(initial=-1)) + 1, -1, dtype=np.int64)
    chosen[flagged.index.to_numpy()] = np.arange(len(flagged))
    slot = chosen[rows.account]
    mine = slot >= 0
    named = mine & (rows.person >= 0)
    width = len(rows.people) + 1
    pairs = np.unique(slot[named] * width + rows.person[named])
    owners, persons = pairs // width, pairs % width
    bounds = np.searchsorted(owners, np.arange(len(flagged) + 1))
    names = rows.people
    people = [
        [str(names[p]) for p in persons[bounds[i] : bounds[i + 1]]] for i in range(len(flagged))
    ]
    holder_code = positions(pd.Series(holders.ids, dtype=object), pd.Series(names, dtype=object))
    holder_code[pd.isna(holders.ids)] = -1
    own = mine & (rows.person >= 0) & (rows.person == take_codes(holder_code, slot, -1))
    others = mine & ~own
    paid = group_sum(slot[others], rows.amount[others], len(flagged))
    return people, paid


def detect_payee_near_threshold(
    tables: Tables, evidence: pd.DataFrame | None, settings: dict[str, Any]
) -> pd.DataFrame:
    """Ledger payees with several payments just under an approval threshold within weeks."""
    if not has_columns(tables, "ledger", "amount", "village_code", "date"):
        return empty_findings()
    ledger = ledger_expenditures(tables)
    payee_column = next(
        (c for c in ("counterparty_id", "counterparty_name") if c in ledger.columns), None
    )
    if payee_column is None:
        return empty_findings()
    ledger = ledger[ledger[payee_column].notna() & (ledger[payee_column] != "")]
    if "counterparty_id" in ledger.columns and "counterparty_name" in ledger.columns:
        payee = ledger["counterparty_id"].where(
            ledger["counterparty_id"].notna() & (ledger["counterparty_id"] != ""),
            ledger["counterparty_name"],
        )
    else:
        payee = ledger[payee_column]
    ledger = ledger.assign(_payee=payee, _date=pd.to_datetime(ledger["date"]))
    fraction = float(settings["near_fraction"])
    window = pd.Timedelta(days=int(settings["window_days"]))
    rows = []
    for threshold in [float(t) for t in settings["thresholds"]]:
        near = ledger[(ledger["amount"] >= fraction * threshold) & (ledger["amount"] < threshold)]
        for (village, payee_id), group in near.groupby(["village_code", "_payee"]):
            if len(group) < int(settings["min_near"]):
                continue
            group = group.sort_values("_date")
            best = _best_window(group, window)
            if len(best) < int(settings["min_near"]):
                continue
            total = float(best["amount"].sum())
            anomaly = 1.0 if total >= threshold else 0.5
            name = (
                str(best["counterparty_name"].iloc[0]) if "counterparty_name" in best else payee_id
            )
            rows.append(
                {
                    "entity_type": "payee",
                    "entity_id": str(payee_id),
                    "village_code": str(village),
                    "anomaly": anomaly,
                    "amount_at_risk": total,
                    "detail": (
                        f"收款方{name}在{window.days}天内收到{len(best)}笔略低于{threshold:,.0f}元"
                        f"审批/招标限额的支出（{fraction:.0%}–100%），合计{total:,.0f}元，疑似拆分规避"
                    ),
                    "top_features": f"near_threshold={len(best)};threshold={threshold:.0f}",
                    "source_table": "ledger",
                    "source_key": ";".join(best["_key"].astype(str)) if "_key" in best else "",
                    "fields": _json(
                        {"threshold": threshold, "payments": len(best), "total": total}
                    ),
                }
            )
    findings = _findings(rows, "D_NEAR_THRESHOLD")
    if len(findings):
        findings = findings.sort_values("anomaly", ascending=False).drop_duplicates(
            ["entity_id", "village_code"]
        )
    return findings.reset_index(drop=True)


def _best_window(group: pd.DataFrame, window: pd.Timedelta) -> pd.DataFrame:
    dates = group["_date"].to_numpy()
    best_start, best_end = 0, 0
    end = 0
    for start in range(len(group)):
        while end < len(group) and dates[end] - dates[start] <= window:
            end += 1
        if end - start > best_end - best_start:
            best_start, best_end = start, end
    return group.iloc[best_start:best_end]


METRIC_TITLES = {
    "payments": "笔数",
    "people": "人数",
    "programs": "项目数",
    "amount": "金额",
}


def detect_new_payees(
    tables: Tables, evidence: pd.DataFrame | None, settings: dict[str, Any]
) -> pd.DataFrame:
    """Accounts and ledger payees that appear recently and at once receive unusually much.

    A payee is *new* when the data show at least ``min_unseen_days`` without it before its
    first payment and it first appeared within ``max_age_days`` of the latest date (the as-of
    date); a long-standing payee is never new. What a new payee receives in its first
    ``window_days`` (payments, people, programs, amount) is compared with the same window of
    the village's established payees: a metric stands out when it reaches
    ``peer_factor`` × their ``peer_quantile`` (the county's when the village has fewer than
    ``min_peers``), and at least the metric's floor (``account_minimum`` / ``ledger_minimum``);
    a payee with fewer than ``min_window_payments`` payments in its window is never flagged
    (a new payee receiving one payment is not anomalous). Anomaly 0.5 at the limit,
    1 at ``full_ratio`` × the limit. A ledger payee is judged per village, but one that other
    villages have long paid is not new when it first serves another. Accounts held by an
    institution, or paid only for the holder or the holder's own household, carry a mitigation
    and weigh less.
    """
    frames = [_new_account_findings(tables, settings), _new_ledger_payee_findings(tables, settings)]
    frames = [frame for frame in frames if len(frame)]
    if not frames:
        return empty_findings()
    return pd.concat(frames, ignore_index=True)


def _standing_out(
    windows: pd.DataFrame, minimum: dict[str, Any], settings: dict[str, Any]
) -> pd.DataFrame:
    """New payees whose window metrics reach their peer limit; adds ``ratio``, ``drivers``."""
    # one payment, however large, is not a stream: a one-off grant or a new supplier's single
    # invoice is ordinary business and judged by the rules on standards and approvals
    windows = windows[windows["payments"] >= int(settings["min_window_payments"])]
    metrics = [m for m in minimum if m in windows.columns and windows[m].notna().any()]
    if not metrics or not len(windows):
        return windows.iloc[0:0].assign(ratio=0.0, drivers="", limits="")
    peers = peer_limits(
        windows, metrics, float(settings["peer_quantile"]), int(settings["min_peers"])
    )
    factor = float(settings["peer_factor"])
    limits = pd.DataFrame(
        {
            metric: np.maximum(factor * peers[metric].fillna(0.0), float(minimum[metric]))
            for metric in metrics
        },
        index=windows.index,
    )
    ratios = windows[metrics].astype(float).fillna(0.0) / limits
    ratio = ratios.max(axis=1)
    flagged = windows["is_new"] & (ratio >= 1.0)
    drivers = [
        ";".join(
            f"{metric}={windows.at[index, metric]:.0f}(限{limits.at[index, metric]:.0f})"
            for metric in metrics
            if ratios.at[index, metric] >= 1.0
        )
        for index in windows.index[flagged]
    ]
    described = [
        "、".join(
            f"{METRIC_TITLES[metric]}{windows.at[index, metric]:,.0f}"
            f"（同村常用收款方同期{settings['peer_quantile']:.0%}分位数的{factor:g}倍"
            f"且不少于{float(minimum[metric]):,.0f}，即{limits.at[index, metric]:,.0f}）"
            for metric in metrics
            if ratios.at[index, metric] >= 1.0
        )
        for index in windows.index[flagged]
    ]
    return windows[flagged].assign(ratio=ratio[flagged], drivers=drivers, limits=described)


def _new_payee_anomaly(ratio: float, settings: dict[str, Any]) -> float:
    return float(0.5 + 0.5 * ramp(ratio, 1.0, float(settings["full_ratio"])))


def _new_account_findings(tables: Tables, settings: dict[str, Any]) -> pd.DataFrame:
    if not has_columns(tables, "payments", "account_no", "id_number", "amount", "pay_date"):
        return empty_findings()
    payments = payments_with_programs(tables)
    events = pd.DataFrame(
        {
            "payee": payments["account_no"],
            "village_code": payments["village_code"],
            "date": payments["pay_date"],
            "amount": payments["amount"].astype(float),
            "person": payments["id_number"],
            "program": payments["program_key"],
        }
    )
    source = tables["payments"]
    if "_key" in source.columns:
        events["_row"], keys_of = payments["_row"], source["_key"]
    else:
        events["_key"], keys_of = "", None
    windows = payee_first_windows(
        events,
        int(settings["window_days"]),
        int(settings["min_unseen_days"]),
        int(settings["max_age_days"]),
        payment_codes(tables),
    )
    flagged = _standing_out(windows, dict(settings["account_minimum"]), settings)
    if not len(flagged):
        return empty_findings()
    holders: dict[str, str] = {}
    institutions: set[str] = set()
    listed = _listed_accounts(tables, flagged["payee"])
    if has_columns(tables, "accounts", "account_no", "holder_id_number"):
        accounts = listed
        holders = {
            str(a): str(h)
            for a, h in zip(accounts["account_no"], accounts["holder_id_number"], strict=True)
            if isinstance(h, str) and h
        }
        institutions = set(
            accounts.loc[is_institution(accounts["holder_id_number"]), "account_no"].astype(str)
        )
    opened: dict[str, pd.Timestamp] = {}
    if has_columns(tables, "accounts", "account_no", "open_date"):
        accounts = listed
        dates = pd.to_datetime(accounts["open_date"], errors="coerce")
        opened = {
            str(a): d for a, d in zip(accounts["account_no"], dates, strict=True) if pd.notna(d)
        }
    mine = events[isin(events["payee"], flagged["payee"])]
    keys = payee_window_keys(mine, flagged, int(settings["window_days"]), keys_of)
    household_of: dict[str, str] = {}
    if has_columns(tables, "residents", "id_number", "household_id"):
        wanted = set(mine["person"].dropna().astype(str)) | set(holders.values())
        residents = tables["residents"].dropna(subset=["household_id"])
        residents = residents[isin(residents["id_number"], list(wanted))]
        household_of = dict(
            zip(
                residents["id_number"].astype(str),
                residents["household_id"].astype(str),
                strict=True,
            )
        )
    received = _received(mine, flagged, holders)
    rows = []
    for position, record in enumerate(flagged.itertuples(index=False)):
        account = str(record.payee)
        holder = holders.get(account, "")
        people = received.people[position]
        anomaly = _new_payee_anomaly(float(record.ratio), settings)
        mitigation = ""
        home = household_of.get(holder, "") if holder else ""
        if account in institutions:
            anomaly *= float(settings["institution_factor"])
            mitigation = "开户人为单位（如敬老院集体账户），可能为集中供养对象的合规代收"
        elif people == [holder]:
            anomaly *= float(settings["household_factor"])
            mitigation = "仅开户人本人领取，可能为新纳入对象的正常发放（如一次性补助、补发）"
        elif home and all(household_of.get(p, "") == home for p in people):
            anomaly *= float(settings["household_factor"])
            mitigation = "收款人均为开户人同户家庭成员，可能为家庭共用账户"
        related = [p for p in people if p != holder][: int(settings["max_related"])]
        at_risk = float(received.paid_to_others[position])
        rows.append(
            {
                "entity_type": "account",
                "entity_id": account,
                "village_code": "" if pd.isna(record.village_code) else record.village_code,
                "anomaly": anomaly,
                "amount_at_risk": at_risk,
                "detail": (
                    f"该账户{record.first_seen:%Y-%m-%d}首次收款（此前{int(record.unseen_days)}天"
                    f"的发放数据中未出现"
                    + (f"，开户日期{opened[account]:%Y-%m-%d}" if account in opened else "")
                    + f"），{int(settings['window_days'])}天内即收取"
                    f"{int(record.people)}人{int(record.programs)}个项目{int(record.payments)}笔"
                    f"共{record.amount:,.0f}元，超过同村（收款方不足时为全县）常用账户：{record.limits}；"
                    f"此后合计{record.amount_since:,.0f}元，"
                    + (
                        "疑似新启用账户集中代领/冒领"
                        if received.others[position]
                        else "需核实是否符合发放条件"
                    )
                ),
                "top_features": f"new_payee;{record.drivers}",
                "related_ids": ";".join([holder, *related] if holder else related),
                "source_table": "payments",
                "source_key": keys.get(account, ""),
                "mitigation": mitigation,
                "fields": _json(
                    {
                        "first_seen": f"{record.first_seen:%Y-%m-%d}",
                        "open_date": (f"{opened[account]:%Y-%m-%d}" if account in opened else None),
                        "unseen_days": int(record.unseen_days),
                        "payments": int(record.payments),
                        "people": int(record.people),
                        "programs": int(record.programs),
                        "amount": float(record.amount),
                        "amount_since": float(record.amount_since),
                        "ratio": float(record.ratio),
                    }
                ),
            }
        )
    return _findings(rows, "D_NEW_PAYEE")


def _listed_accounts(tables: Tables, accounts: pd.Series) -> pd.DataFrame:
    """The first ``accounts`` table row of each of ``accounts`` that is listed there."""
    if not has_columns(tables, "accounts", "account_no"):
        return pd.DataFrame()
    listed = tables["accounts"]
    return listed[isin(listed["account_no"], accounts)].drop_duplicates("account_no")


@dataclass(frozen=True)
class _Received:
    """Per flagged account, from its first payment on: beneficiaries (sorted), what was paid
    to others than the holder and whether any such payment exists."""

    people: list[list[str]]
    paid_to_others: np.ndarray
    others: np.ndarray


def _received(mine: pd.DataFrame, flagged: pd.DataFrame, holders: dict[str, str]) -> _Received:
    """:class:`_Received` of ``flagged`` from the events ``mine`` in one pass (rows grouped by
    account, each group in event order)."""
    slot = positions(mine["payee"], flagged["payee"].astype(str))
    first = flagged["first_seen"].to_numpy()
    dates = pd.to_datetime(mine["date"]).to_numpy()
    rows = np.flatnonzero(slot >= 0)
    rows = rows[dates[rows] >= first[slot[rows]]]
    rows = rows[np.argsort(slot[rows], kind="stable")]
    bounds = np.searchsorted(slot[rows], np.arange(len(flagged) + 1))
    person = mine["person"].to_numpy(dtype=object, na_value=None)[rows]
    amount = mine["amount"].to_numpy(dtype=float)[rows]
    amount = np.where(np.isnan(amount), 0.0, amount)  # Series.sum skips NaN
    people, paid, others = [], np.zeros(len(flagged)), np.zeros(len(flagged), dtype=bool)
    for position, account in enumerate(flagged["payee"].astype(str)):
        persons = person[bounds[position] : bounds[position + 1]]
        people.append(sorted({str(p) for p in persons if p is not None}))
        holder = holders.get(account, "")
        other = persons != holder if holder else np.ones(len(persons), dtype=bool)
        paid[position] = amount[bounds[position] : bounds[position + 1]][other].sum()
        others[position] = bool(other.any())
    return _Received(people, paid, others)


def _new_ledger_payee_findings(tables: Tables, settings: dict[str, Any]) -> pd.DataFrame:
    if not has_columns(tables, "ledger", "amount", "village_code", "date"):
        return empty_findings()
    ledger = ledger_expenditures(tables)
    if "counterparty_id" not in ledger.columns and "counterparty_name" not in ledger.columns:
        return empty_findings()
    payee = _text_or_empty(ledger, "counterparty_id")
    name = _text_or_empty(ledger, "counterparty_name")
    payee = payee.where(payee != "", name)
    village = ledger["village_code"].astype(object).where(ledger["village_code"].notna(), "")
    events = pd.DataFrame(
        {
            # a payee is judged per village (one supplier serves several villages)
            "payee": (village.astype(str) + "|" + payee).where(payee != "", ""),
            "village_code": village.astype(str),
            "date": ledger["date"],
            "amount": ledger["amount"].astype(float),
            "_key": ledger["_key"] if "_key" in ledger.columns else "",
        }
    )
    windows = payee_first_windows(
        events,
        int(settings["window_days"]),
        int(settings["min_unseen_days"]),
        int(settings["max_age_days"]),
    )
    if len(windows):
        # a supplier long paid by other villages is not new when it first serves this one
        dates = pd.to_datetime(events["date"])
        county_first = dates.groupby(payee.to_numpy()).min()
        bare = windows["payee"].str.split("|", n=1).str[1]
        unseen = (bare.map(county_first) - dates.min()).dt.days
        windows = windows.assign(
            is_new=windows["is_new"] & (unseen >= int(settings["min_unseen_days"])).to_numpy()
        )
    flagged = _standing_out(windows, dict(settings["ledger_minimum"]), settings)
    if not len(flagged):
        return empty_findings()
    chosen = events["payee"].isin(flagged["payee"]).to_numpy(dtype=bool)
    names = dict(zip(events["payee"][chosen], name[chosen], strict=True))
    keys = payee_window_keys(events, flagged, int(settings["window_days"]))
    rows = []
    for record in flagged.itertuples(index=False):
        village_code, payee_id = str(record.payee).split("|", 1)
        shown = names.get(record.payee, "") or "该收款方"
        rows.append(
            {
                "entity_type": "payee",
                "entity_id": payee_id,
                "village_code": village_code,
                "anomaly": _new_payee_anomaly(float(record.ratio), settings),
                "amount_at_risk": float(record.amount_since),
                "detail": (
                    f"收款方{shown}{record.first_seen:%Y-%m-%d}首次出现在本村账簿（此前"
                    f"{int(record.unseen_days)}天未见），{int(settings['window_days'])}天内即收款"
                    f"{int(record.payments)}笔共{record.amount:,.0f}元，超过同村（不足时为全县）常用收款方："
                    f"{record.limits}；此后合计{record.amount_since:,.0f}元，需核实业务真实性"
                ),
                "top_features": f"new_payee;{record.drivers}",
                "source_table": "ledger",
                "source_key": keys.get(str(record.payee), ""),
                "fields": _json(
                    {
                        "first_seen": f"{record.first_seen:%Y-%m-%d}",
                        "unseen_days": int(record.unseen_days),
                        "payments": int(record.payments),
                        "amount": float(record.amount),
                        "amount_since": float(record.amount_since),
                        "ratio": float(record.ratio),
                    }
                ),
            }
        )
    return _findings(rows, "D_NEW_PAYEE")


def _text_or_empty(frame: pd.DataFrame, column: str) -> pd.Series:
    if column not in frame.columns:
        return pd.Series("", index=frame.index, dtype=object)
    return frame[column].astype(object).where(frame[column].notna(), "").astype(str).str.strip()


DETECTORS: dict[str, Detector] = {
    detector.id: detector
    for detector in (
        Detector(
            "D_BENFORD", "账簿首位数字偏离本福特分布", "village", ("ledger",), detect_benford_ledger
        ),
        Detector(
            "D_SHORTFALL",
            "村×项目系统性少发（雁过拔毛）",
            "village",
            ("payments",),
            detect_amount_shortfall,
        ),
        Detector(
            "D_OVER", "个人多次超标准领取", "person", ("payments",), detect_amount_over_standard
        ),
        Detector("D_VILLAGE", "村级指标同类比较异常", "village", (), detect_village_peer),
        Detector(
            "D_ACCOUNT",
            "一个账户收取多户/多项目补贴",
            "account",
            ("payments",),
            detect_account_concentration,
        ),
        Detector(
            "D_NEAR_THRESHOLD",
            "略低于限额的拆分支付",
            "payee",
            ("ledger",),
            detect_payee_near_threshold,
        ),
        Detector(
            "D_NEW_PAYEE",
            "新出现的收款方即大额/多人收款",
            "account",
            (),
            detect_new_payees,
        ),
    )
}
