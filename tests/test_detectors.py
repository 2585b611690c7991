"""Detectors: scikit-learn contract, Benford on real data, planted anomalies with AUC floors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.utils.estimator_checks import parametrize_with_checks

from riskmodel.config import load_config
from riskmodel.detectors import DETECTORS, FINDING_COLUMNS, detector_status, features, run_detectors
from riskmodel.detectors.catalogue import (
    detect_account_concentration,
    detect_amount_over_standard,
    detect_amount_shortfall,
    detect_benford_ledger,
    detect_new_payees,
    detect_payee_near_threshold,
    detect_village_peer,
    expected_mad,
)
from riskmodel.detectors.estimators import (
    BenfordMAD,
    PeerDeviation,
    first_digits,
    mad_from_counts,
    nigrini_conformity,
)
from riskmodel.detectors.features import group_first, group_sum, key_codes
from riskmodel.frames import distinct_per_group

BENFORD_DIR = Path("/work/shared/external/benford")
CONFIG = load_config()


def settings(detector_id: str) -> dict:
    return {**CONFIG["detectors"]["common"], **CONFIG["detectors"][detector_id]}


@parametrize_with_checks([BenfordMAD(), PeerDeviation(), PeerDeviation(direction="low")])
def test_sklearn_contract(estimator, check):
    check(estimator)


def test_first_digits_handles_signs_zeros_small_and_huge_values():
    values = np.array([123.0, -0.045, 0.0, 9.99e12, 1e-7, np.nan, np.inf, 10.0, 999.999])
    assert first_digits(values).tolist() == [1, 4, 0, 9, 1, 0, 0, 1, 9]


@pytest.mark.parametrize(
    ("mad", "label"),
    [
        (0.006, "close"),
        (0.0061, "acceptable"),
        (0.012, "acceptable"),
        (0.0121, "marginal"),
        (0.015, "marginal"),
        (0.0151, "nonconformity"),
    ],
)
def test_nigrini_thresholds_on_both_sides(mad, label):
    assert nigrini_conformity(mad) == label


def _real(name: str) -> np.ndarray:
    frame = pd.read_csv(BENFORD_DIR / name)
    return pd.to_numeric(frame[frame.columns[-1]], errors="coerce").dropna().to_numpy()


@pytest.mark.skipif(not BENFORD_DIR.exists(), reason="external Benford data not present")
@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("census.2009.csv.gz", "close"),
        ("journal.entry.csv.gz", "close"),
        ("gm.payments.csv.gz", "acceptable"),
        ("sino.forest.csv.gz", "acceptable"),
        ("corporate.payment.csv.gz", "marginal"),
        ("lakes.perimeter.csv.gz", "nonconformity"),
    ],
)
def test_benford_on_real_data(name, expected):
    values = _real(name)
    model = BenfordMAD(min_entries=300).fit(values.reshape(1, -1))
    mad = model.mad(values.reshape(1, -1))[0]
    assert nigrini_conformity(mad) == expected
    assert model.predict(values.reshape(1, -1))[0] == (-1 if expected == "nonconformity" else 1)


@pytest.mark.skipif(not BENFORD_DIR.exists(), reason="external Benford data not present")
def test_benford_does_not_judge_too_few_entries():
    madoff = _real("madoff.returns.csv.gz")  # 215 values, MAD ~0.03: too few to judge at 300
    model = BenfordMAD(min_entries=300).fit(madoff.reshape(1, -1))
    assert np.isnan(model.mad(madoff.reshape(1, -1))[0])
    assert model.predict(madoff.reshape(1, -1))[0] == 1
    assert (
        BenfordMAD(min_entries=200).fit(madoff.reshape(1, -1)).predict(madoff.reshape(1, -1))[0]
        == -1
    )


def test_expected_mad_shrinks_with_sample_size():
    rng = np.random.default_rng(3)
    simulated = []
    for _ in range(200):
        digits = first_digits(10 ** rng.uniform(0, 6, size=300))
        counts = np.bincount(digits, minlength=10)[1:]
        simulated.append(mad_from_counts(counts)[0])
    assert abs(np.mean(simulated) - expected_mad(300)) < 0.002
    assert expected_mad(30000) < expected_mad(300) / 5


def test_peer_deviation_is_directional_and_floors_the_scale():
    peers = np.array([[1.0], [1.0], [1.0], [1.0], [0.85], [1.3]])
    low = PeerDeviation(direction="low", min_scale=0.02).fit(peers)
    scores = low.score_samples(peers)
    assert np.argmin(scores) == 4
    assert scores[5] == 0.0  # a higher value is harmless on the low side
    assert low.feature_scores(peers)[4, 0] == pytest.approx(0.15 / 0.02)


# ---------------------------------------------------------------- planted county in miniature


def _county(seed: int, skim: set[str] = frozenset(), invented: set[str] = frozenset()):
    """Twelve villages in two towns: residents, one monthly program, a ledger."""
    rng = np.random.default_rng(seed)
    villages = [f"4304210{town}{n:04d}" for town in ("01", "02") for n in range(1, 7)]
    residents, payments, ledger = [], [], []
    for village in villages:
        for person in range(25):
            pid = f"{village[-6:]}{person:04d}".rjust(18, "0")
            residents.append(
                {
                    "id_number": pid,
                    "name": f"甲{person}",
                    "household_id": f"{village}-{person}",
                    "village_code": village,
                }
            )
            for month in range(1, 13):
                amount = 450.0 * (rng.uniform(0.82, 0.88) if village in skim else 1.0)
                payments.append(
                    {
                        "id_number": pid,
                        "name": f"甲{person}",
                        "program_code": "DB",
                        "amount": round(amount, 2),
                        "pay_date": pd.Timestamp(2024, month, 15),
                        "village_code": village,
                        "account_no": f"62{pid}",
                    }
                )
        for entry in range(400):
            if village in invented:
                amount = float(rng.choice([500, 600, 800, 900, 700]))
            else:
                amount = float(np.round(10 ** rng.uniform(1.5, 4.5), 2))
            ledger.append(
                {
                    "voucher_id": str(entry),
                    "village_code": village,
                    "direction": "支出",
                    "amount": amount,
                    "date": pd.Timestamp(2024, 1 + entry % 12, 10),
                    "method": "转账",
                    "counterparty_name": f"商户{entry % 40}",
                    "_key": f"l:{entry}",
                }
            )
    programs = pd.DataFrame(
        [
            {
                "program_code": "DB",
                "program_name": "低保",
                "standard_amount": 450.0,
                "unit": "人",
                "period": "月",
            }
        ]
    )
    return villages, {
        "residents": pd.DataFrame(residents),
        "payments": pd.DataFrame(payments),
        "ledger": pd.DataFrame(ledger),
        "programs": programs,
    }


def _auc(villages: list[str], positives: set[str], findings: pd.DataFrame) -> float:
    anomaly = findings.groupby("entity_id")["anomaly"].max() if len(findings) else pd.Series()
    scores = [float(anomaly.get(v, 0.0)) for v in villages]
    return roc_auc_score([v in positives for v in villages], scores)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_shortfall_finds_skimming_villages(seed):
    rng = np.random.default_rng(100 + seed)
    villages, _ = _county(seed)
    skim = set(rng.choice(villages, size=2, replace=False))
    _, tables = _county(seed, skim=skim)
    findings = detect_amount_shortfall(tables, None, settings("D_SHORTFALL"))
    assert set(findings["entity_id"]) == skim
    assert _auc(villages, skim, findings) >= 0.99
    assert (findings["amount_at_risk"] > 0.1 * 450 * 25 * 12).all()


def test_shortfall_ignores_a_village_three_percent_short():
    villages, tables = _county(5)
    payments = tables["payments"]
    payments.loc[payments["village_code"] == villages[0], "amount"] *= 0.97
    assert detect_amount_shortfall(tables, None, settings("D_SHORTFALL")).empty


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_benford_detector_finds_invented_ledgers(seed):
    rng = np.random.default_rng(200 + seed)
    villages, _ = _county(seed)
    invented = set(rng.choice(villages, size=2, replace=False))
    _, tables = _county(seed, invented=invented)
    findings = detect_benford_ledger(tables, None, settings("D_BENFORD"))
    assert set(findings["entity_id"]) == invented
    assert _auc(villages, invented, findings) >= 0.99


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_village_peer_ranks_planted_villages_first(seed):
    rng = np.random.default_rng(300 + seed)
    villages, _ = _county(seed)
    chosen = list(rng.choice(villages, size=4, replace=False))
    _, tables = _county(seed, skim=set(chosen[:2]), invented=set(chosen[2:]))
    findings = detect_village_peer(tables, None, settings("D_VILLAGE"))
    assert _auc(villages, set(chosen), findings) >= 0.95
    assert findings["top_features"].str.len().gt(0).all()
    drivers = findings.set_index("entity_id")["top_features"]
    assert "payment_shortfall" in drivers[chosen[0]]


def test_village_peer_is_quiet_on_a_clean_county():
    _, tables = _county(9)
    assert detect_village_peer(tables, None, settings("D_VILLAGE")).empty


def test_over_standard_needs_repeated_payments():
    _, tables = _county(1)
    payments = tables["payments"]
    first, second = payments["id_number"].unique()[:2]
    payments.loc[payments["id_number"] == first, "amount"] = 900.0
    one_row = payments.index[payments["id_number"] == second][0]
    payments.loc[one_row, "amount"] = 900.0
    findings = detect_amount_over_standard(tables, None, settings("D_OVER"))
    assert findings["entity_id"].tolist() == [first]
    assert findings["amount_at_risk"].iloc[0] == pytest.approx(450.0 * 12)


def test_account_detector_flags_shared_card_but_not_institution():
    _, tables = _county(2)
    payments = tables["payments"]
    people = payments["id_number"].unique()
    payments.loc[payments["id_number"].isin(people[:5]), "account_no"] = "6200000000000000001"
    payments.loc[payments["id_number"].isin(people[5:10]), "account_no"] = "6200000000000000002"
    tables["accounts"] = pd.DataFrame(
        {
            "account_no": ["6200000000000000001", "6200000000000000002"],
            "holder_id_number": [people[0], "52430421MJ0000001X"],
        }
    )
    findings = detect_account_concentration(tables, None, settings("D_ACCOUNT"))
    by_account = findings.set_index("entity_id")
    assert set(by_account.index) == {"6200000000000000001", "6200000000000000002"}
    assert by_account.loc["6200000000000000001", "anomaly"] > 0.5
    assert by_account.loc["6200000000000000002", "anomaly"] < 0.3
    assert "敬老院" in by_account.loc["6200000000000000002", "mitigation"]
    assert by_account.loc["6200000000000000001", "mitigation"] == ""


def test_near_threshold_payments_on_both_sides():
    rows = [
        # two payments just under 10 000 within 30 days: fires
        ("v1", "某建材店", 9050.0, "2024-03-01"),
        ("v1", "某建材店", 9340.0, "2024-03-20"),
        # one under, one at the threshold: does not
        ("v1", "某五金店", 9500.0, "2024-03-01"),
        ("v1", "某五金店", 10000.0, "2024-03-05"),
        # two under but 200 days apart: does not
        ("v2", "某劳务队", 9100.0, "2024-01-01"),
        ("v2", "某劳务队", 9200.0, "2024-07-20"),
        # below 80 % of the threshold: does not
        ("v2", "某饭店", 7900.0, "2024-05-01"),
        ("v2", "某饭店", 7950.0, "2024-05-02"),
    ]
    ledger = pd.DataFrame(rows, columns=["village_code", "counterparty_name", "amount", "date"])
    ledger["date"] = pd.to_datetime(ledger["date"])
    ledger["direction"] = "支出"
    ledger["_key"] = [f"ledger.csv:{i + 2}" for i in range(len(ledger))]
    findings = detect_payee_near_threshold({"ledger": ledger}, None, settings("D_NEAR_THRESHOLD"))
    assert findings["entity_id"].tolist() == ["某建材店"]
    assert findings["amount_at_risk"].iloc[0] == pytest.approx(18390.0)
    assert findings["anomaly"].iloc[0] == 1.0
    assert findings["source_key"].iloc[0] == "ledger.csv:2;ledger.csv:3"


def test_run_detectors_skips_missing_tables_and_keeps_columns():
    _, tables = _county(4, skim={"430421001000001"})
    del tables["ledger"]
    findings = run_detectors(tables, None, CONFIG)
    assert list(findings.columns) == FINDING_COLUMNS
    status = detector_status(findings).set_index("detector_id")
    assert status.loc["D_BENFORD", "status"] == "skipped"
    assert status.loc["D_SHORTFALL", "status"] == "ran"
    assert set(status.index) == set(DETECTORS)
    assert findings["anomaly"].between(0, 1).all()


def test_unknown_detector_is_a_named_error():
    with pytest.raises(KeyError, match="no detector named"):
        run_detectors({}, None, {"detectors": {"enabled": ["D_NOPE"]}})


def test_shortfall_needs_several_months_and_sees_half_a_year():
    villages, tables = _county(6)
    payments = tables["payments"]
    month = payments["pay_date"].dt.month
    one_month = (payments["village_code"] == villages[0]) & (month == 3)
    half_year = (payments["village_code"] == villages[1]) & (month >= 7)
    payments.loc[one_month | half_year, "amount"] = 450.0 * 0.85
    findings = detect_amount_shortfall(tables, None, settings("D_SHORTFALL"))
    assert findings["entity_id"].tolist() == [villages[1]]
    assert findings["amount_at_risk"].iloc[0] == pytest.approx(450 * 0.15 * 25 * 6)


# ---------------------------------------------------------------- sudden new payees


def _payment_rows(account: str, people: list[str], months: range, amount: float = 300.0):
    return [
        {
            "id_number": person,
            "account_no": account,
            "program_code": "DB",
            "amount": amount,
            "pay_date": pd.Timestamp(2024, month, 15),
            "village_code": "v1",
            "_key": f"pay.csv:{account}:{person}:{month}",
        }
        for person in people
        for month in months
    ]


def _payee_tables(extra: list[dict]) -> dict[str, pd.DataFrame]:
    """Twelve established one-person accounts paid monthly all year, plus ``extra`` rows."""
    rows = []
    for n in range(12):
        rows += _payment_rows(f"6200{n:04d}", [f"P{n:02d}"], range(1, 13))
    return {"payments": pd.DataFrame(rows + extra)}


def _people(prefix: str, count: int) -> list[str]:
    return [f"{prefix}{k}" for k in range(count)]


def test_new_payee_flags_a_new_account_paid_for_many_people():
    extra = (
        _payment_rows("NEW-MANY", _people("A", 6), range(6, 13))
        + _payment_rows("NEW-ONE", ["B0"], range(6, 7))
        + _payment_rows("OLD-MANY", _people("C", 4), range(1, 13))
    )
    tables = _payee_tables(extra)
    tables["accounts"] = pd.DataFrame(
        {
            "account_no": ["NEW-MANY"],
            "holder_id_number": ["A0"],
            "open_date": [pd.Timestamp(2024, 5, 20)],
        }
    )
    findings = detect_new_payees(tables, None, settings("D_NEW_PAYEE"))
    assert list(findings.columns) == FINDING_COLUMNS
    # a long-standing account (OLD-MANY, 4 people: it raises the village's peer limit to 4.4
    # people) is not new; one ordinary payment (NEW-ONE) is nothing
    assert findings["entity_id"].tolist() == ["NEW-MANY"]
    finding = findings.iloc[0]
    assert finding["detector_id"] == "D_NEW_PAYEE"
    assert finding["entity_type"] == "account"
    assert 0.5 <= finding["anomaly"] <= 1.0
    # money paid in for people other than the holder since the account appeared
    assert finding["amount_at_risk"] == pytest.approx(5 * 7 * 300.0)
    assert "首次收款" in finding["detail"] and "6人" in finding["detail"]
    assert "开户日期2024-05-20" in finding["detail"]
    assert json.loads(finding["fields"])["open_date"] == "2024-05-20"
    assert finding["related_ids"].split(";") == _people("A", 6)
    keys = finding["source_key"].split(";")
    assert "pay.csv:NEW-MANY:A1:6" in keys and all("NEW-MANY" in k for k in keys)
    assert finding["mitigation"] == ""


@pytest.mark.parametrize(("people", "fires"), [(2, False), (3, True)])
def test_new_payee_people_floor_on_both_sides(people, fires):
    only_people = settings("D_NEW_PAYEE")
    only_people["account_minimum"] = {"people": 3, "payments": 1000, "amount": 1e9}
    tables = _payee_tables(_payment_rows("NEW", _people("A", people), range(6, 13)))
    findings = detect_new_payees(tables, None, only_people)
    assert (findings["entity_id"].tolist() == ["NEW"]) is fires


@pytest.mark.parametrize(("first_day", "fires"), [(59, False), (60, True)])
def test_new_payee_needs_enough_unseen_days_before_it(first_day, fires):
    # the data start on 2024-01-15; the account first appears first_day days later
    first = pd.Timestamp(2024, 1, 15) + pd.Timedelta(days=first_day)
    rows = [
        {**row, "pay_date": first + pd.Timedelta(days=30 * k), "_key": f"{row['_key']}:{k}"}
        for k in range(3)
        for row in _payment_rows("NEW", _people("A", 5), range(1, 2))
    ]
    findings = detect_new_payees(_payee_tables(rows), None, settings("D_NEW_PAYEE"))
    assert ("NEW" in set(findings["entity_id"])) is fires


def test_new_payee_is_not_new_when_it_appeared_long_before_the_as_of_date():
    recent = settings("D_NEW_PAYEE")
    recent["max_age_days"] = 90
    tables = _payee_tables(_payment_rows("NEW", _people("A", 5), range(4, 13)))
    assert detect_new_payees(tables, None, settings("D_NEW_PAYEE"))["entity_id"].tolist() == ["NEW"]
    # first paid in April, the as-of date is mid-December: more than 90 days ago
    assert detect_new_payees(tables, None, recent).empty


def test_new_payee_mitigates_institutions_and_the_holders_own_household():
    extra = _payment_rows("HOME", _people("H", 4), range(6, 13)) + _payment_rows(
        "NURSING", _people("N", 4), range(6, 13)
    )
    tables = _payee_tables(extra)
    tables["accounts"] = pd.DataFrame(
        {"account_no": ["HOME", "NURSING"], "holder_id_number": ["H0", "52430421MJ0000001X"]}
    )
    tables["residents"] = pd.DataFrame(
        {"id_number": _people("H", 4), "household_id": ["hh1"] * 4, "village_code": "v1"}
    )
    findings = detect_new_payees(tables, None, settings("D_NEW_PAYEE")).set_index("entity_id")
    assert set(findings.index) == {"HOME", "NURSING"}
    assert findings.loc["HOME", "anomaly"] < 0.35
    assert "同户" in findings.loc["HOME", "mitigation"]
    assert findings.loc["NURSING", "anomaly"] < 0.25
    assert "敬老院" in findings.loc["NURSING", "mitigation"]


def _ledger_rows(village: str, payee: str, amounts: list[float], month: int) -> list[dict]:
    return [
        {
            "village_code": village,
            "counterparty_name": payee,
            "amount": amount,
            "date": pd.Timestamp(2024, month, 1 + 5 * k),
            "direction": "支出",
            "_key": f"ledger.csv:{village}:{payee}:{k}",
        }
        for k, amount in enumerate(amounts)
    ]


def _ledger_tables(extra: list[dict]) -> dict[str, pd.DataFrame]:
    """Two villages of twelve suppliers each: small ones in v1, large ones in v2."""
    rows = []
    for n in range(12):
        rows += _ledger_rows("v1", f"小店{n}", [1000.0, 1200.0], 1)
        rows += _ledger_rows("v2", f"工程队{n}", [15000.0, 15000.0], 1)
    return {"ledger": pd.DataFrame(rows + extra)}


def test_new_ledger_payee_is_judged_against_its_own_villages_payees():
    same = [9000.0, 9000.0, 9000.0]
    extra = _ledger_rows("v1", "新公司", same, 6) + _ledger_rows("v2", "新公司", same, 6)
    findings = detect_new_payees(_ledger_tables(extra), None, settings("D_NEW_PAYEE"))
    # 27 000 is far above v1's usual payees (2 200) but ordinary in v2 (30 000)
    assert findings[["entity_type", "entity_id", "village_code"]].values.tolist() == [
        ["payee", "新公司", "v1"]
    ]
    finding = findings.iloc[0]
    # 27 000 is 2.7 × the limit (the 10 000 floor): near full anomaly
    assert 0.9 < finding["anomaly"] < 1.0
    assert finding["amount_at_risk"] == pytest.approx(27000.0)
    assert finding["source_key"].count(";") == 2
    assert "新公司" in finding["detail"] and "首次出现" in finding["detail"]


@pytest.mark.parametrize(
    ("amounts", "fires"), [([4000.0, 4000.0], False), ([6000.0, 6000.0], True)]
)
def test_new_ledger_payee_amount_floor_on_both_sides(amounts, fires):
    # v1's usual payees receive 2 200: the limit is the 10 000 floor
    findings = detect_new_payees(
        _ledger_tables(_ledger_rows("v1", "新公司", amounts, 6)), None, settings("D_NEW_PAYEE")
    )
    assert (findings["entity_id"].tolist() == ["新公司"]) is fires


def test_new_ledger_payee_with_one_large_voucher_is_not_flagged():
    findings = detect_new_payees(
        _ledger_tables(_ledger_rows("v1", "新公司", [60000.0], 6)), None, settings("D_NEW_PAYEE")
    )
    assert findings.empty


def test_new_payee_detector_is_enabled_and_weighted():
    assert "D_NEW_PAYEE" in CONFIG["detectors"]["enabled"]
    assert "D_NEW_PAYEE" in DETECTORS
    assert 0 < CONFIG["scoring"]["detector_precision"]["D_NEW_PAYEE"] < 1


def test_account_detector_mitigates_one_households_many_programs_on_its_own_card():
    _, tables = _county(3)
    payments = tables["payments"]
    person, other = payments["id_number"].unique()[:2]
    own = payments.index[payments["id_number"] == person][:5]
    payments.loc[own, "program_code"] = ["DB", "TK", "GL", "CJ", "GD"]
    # the same five programs, but into a card held by someone outside the household
    foreign = payments.index[payments["id_number"] == other][:5]
    payments.loc[foreign, "program_code"] = ["DB", "TK", "GL", "CJ", "GD"]
    own_account = payments.loc[own[0], "account_no"]
    foreign_account = payments.loc[foreign[0], "account_no"]
    tables["accounts"] = pd.DataFrame(
        {"account_no": [own_account, foreign_account], "holder_id_number": [person, "X1"]}
    )
    findings = detect_account_concentration(tables, None, settings("D_ACCOUNT"))
    by_account = findings.set_index("entity_id")
    assert "本户" in by_account.loc[own_account, "mitigation"]
    assert by_account.loc[foreign_account, "mitigation"] == ""
    assert by_account.loc[own_account, "anomaly"] == pytest.approx(
        0.3 * by_account.loc[foreign_account, "anomaly"]
    )


def test_new_payee_paid_only_to_its_holder_is_mitigated():
    tables = _payee_tables(_payment_rows("SOLO", ["S0"], range(6, 8), amount=15000.0))
    tables["accounts"] = pd.DataFrame({"account_no": ["SOLO"], "holder_id_number": ["S0"]})
    findings = detect_new_payees(tables, None, settings("D_NEW_PAYEE"))
    assert findings["entity_id"].tolist() == ["SOLO"]
    assert "本人" in findings["mitigation"].iloc[0]
    assert findings["amount_at_risk"].iloc[0] == 0.0
    assert "代领" not in findings["detail"].iloc[0]


def test_a_supplier_long_paid_by_another_village_is_not_new_in_this_one():
    extra = (
        _ledger_rows("v2", "老公司", [15000.0, 15000.0], 1)
        + _ledger_rows("v1", "老公司", [9000.0, 9000.0, 9000.0], 6)
        + _ledger_rows("v1", "新公司", [9000.0, 9000.0, 9000.0], 6)
    )
    findings = detect_new_payees(_ledger_tables(extra), None, settings("D_NEW_PAYEE"))
    assert findings["entity_id"].tolist() == ["新公司"]


def test_group_helpers_match_pandas_groupby_with_missing_values():
    rng = np.random.default_rng(7)
    groups = rng.integers(0, 40, 2000)
    raw = pd.Series(rng.integers(0, 25, 2000).astype(str), dtype="str")
    raw[rng.random(2000) < 0.2] = np.nan
    codes, uniques = key_codes(raw)
    amounts = rng.normal(100.0, 30.0, 2000)
    by_group = pd.DataFrame({"g": groups, "v": raw, "a": amounts}).groupby("g")
    assert distinct_per_group(groups, codes, 41).tolist() == [*by_group["v"].nunique().tolist(), 0]
    first = group_first(groups, codes, 40)
    assert [uniques[c] if c >= 0 else None for c in first] == by_group["v"].first().tolist()
    assert group_sum(groups, amounts, 40).tolist() == by_group["a"].sum().tolist()


def test_run_detectors_builds_the_shared_feature_frames_once(monkeypatch):
    _, tables = _county(2)
    built = []
    original = features._village_program_ratios
    monkeypatch.setattr(
        features,
        "_village_program_ratios",
        lambda *args: built.append(args[1]) or original(*args),
    )
    findings = run_detectors(tables, None, CONFIG)
    assert built == [True]
    status = detector_status(findings).set_index("detector_id")["status"]
    assert status["D_SHORTFALL"] == status["D_VILLAGE"] == "ran"
