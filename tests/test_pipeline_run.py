"""End-to-end: the real stage notebooks on a tiny county (papermill; marked slow).

Two periods in a row (leads new, persisting, resolved), the complete run folder of CONTRACT
§3 and the privacy scan of every output. (Themed runs: the stage functions in-process, in
test_pipeline_stages.py.)
"""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from test_pipeline_county import write_county

from riskmodel.config import load_config
from riskmodel.ids import mask_id
from riskmodel.pipeline import run_job
from riskmodel.privacy import scan_folder

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def two_periods(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    root = tmp_path_factory.mktemp("county")
    planted = write_county(root / "data")
    reports = root / "reports"
    q2 = run_job(root / "data", reports / "2024Q2", period="2024Q2", progress=False)
    q3 = run_job(root / "data", reports / "2024Q3", period="2024Q3", progress=False)
    return {"planted": planted, "q2": q2, "q3": q3, "data": root / "data"}


def leads_of(run: Path) -> pd.DataFrame:
    return pd.read_csv(run / "leads.csv", dtype=str, encoding="utf-8-sig")


def lead_for(leads: pd.DataFrame, person: str) -> pd.DataFrame:
    masked = mask_id(person)
    related = leads["related_ids"].fillna("").str.split(";")
    return leads[(leads["entity_id"] == masked) | related.map(lambda ids: masked in ids)]


def test_run_folder_is_complete(two_periods: dict) -> None:
    run: Path = two_periods["q3"]
    for name in (
        "leads.csv",
        "evidence.csv",
        "resolved.csv",
        "scores/villages.csv",
        "scores/programs.csv",
        "leads.xlsx",
        "report.html",
        "manifest.json",
        "data_quality.csv",
        "validation.json",
        "disclosure/index.html",
        "notebooks/01_validate.ipynb",
        "notebooks/10_leads.ipynb",
    ):
        assert (run / name).exists(), name
    assert (run / "quarantine").is_dir() and not (run / "work").exists()
    assert run.stat().st_mode & 0o777 == 0o700
    manifest = json.loads((run / "manifest.json").read_text("utf-8"))
    assert manifest["status"] == "ok" and manifest["period"]["label"] == "2024Q3"
    assert {i["path"] for i in manifest["inputs"]} >= {"payments.csv", "residents.csv"}
    assert all(len(i["sha256"]) == 64 for i in manifest["inputs"])
    assert list(manifest["stage_seconds"]) == load_config()["pipeline"]["stages"]
    assert manifest["rule_versions"] and manifest["config_hash"]
    assert manifest["previous_run"] == str(two_periods["q2"])
    assert sum(manifest["leads"]["by_severity"].values()) == len(leads_of(run))
    book = openpyxl.load_workbook(run / "leads.xlsx")
    assert book.sheetnames == ["汇总", "线索清单", "证据明细"]


def test_two_periods_mark_new_and_persisting(two_periods: dict) -> None:
    planted = two_periods["planted"]
    q2, q3 = leads_of(two_periods["q2"]), leads_of(two_periods["q3"])
    early_q2 = lead_for(q2, planted["dead_early"])
    assert len(early_q2) and set(early_q2["status"]) == {"new"}
    assert lead_for(q2, planted["dead_late"]).empty  # died in July: nothing in Q2
    early_q3 = lead_for(q3, planted["dead_early"])
    assert len(early_q3) and "persisting" in set(early_q3["status"])
    late_q3 = lead_for(q3, planted["dead_late"])
    assert len(late_q3) and set(late_q3["status"]) == {"new"}
    resolved = pd.read_csv(two_periods["q3"] / "resolved.csv", dtype=str, encoding="utf-8-sig")
    assert set(resolved["lead_id"]).isdisjoint(set(q3["lead_id"]))
    assert set(resolved["lead_id"]) == set(q2["lead_id"]) - set(q3["lead_id"])


def test_no_unmasked_identifier_in_any_output(two_periods: dict) -> None:
    assert scan_folder(two_periods["q3"]) == []
    assert scan_folder(two_periods["q2"]) == []


def test_missing_required_table_fails_with_exit_1_and_names_it(tmp_path: Path) -> None:
    from riskmodel.pipeline import RunFailed
    from riskmodel.pipeline.job import EXIT_BAD_INPUT

    data = tmp_path / "data"
    write_county(data)
    (data / "payments.csv").unlink()
    with pytest.raises(RunFailed) as caught:
        run_job(data, tmp_path / "reports" / "run", progress=False)
    assert caught.value.exit_code == EXIT_BAD_INPUT
    assert "01_validate.ipynb" in str(caught.value) and "DataError" in str(caught.value)
    assert "payments" in str(caught.value)
    assert not (tmp_path / "reports" / "run").exists()
