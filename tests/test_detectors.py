"""Detectors: scikit-learn contract, Benford on real data, planted anomalies with AUC floors."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score
from sklearn.utils.estimator_checks import parametrize_with_checks

from riskmodel.config import load_config
from riskmodel.detectors import DETECTORS, FINDING_COLUMNS, detector_status, run_detectors
from riskmodel.detectors.catalogue import (
    detect_account_concentration,
    detect_amount_over_standard,
    detect_amount_shortfall,
    detect_benford_ledger,
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
