"""README command one: ``riskmodel demo`` on the small synthetic county (slow, ~1–2 min)."""

from __future__ import annotations

import json
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from riskmodel.cli import main
from riskmodel.config import load_config
from riskmodel.privacy import scan_folder

pytestmark = pytest.mark.slow


def test_demo_produces_a_complete_private_run_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, out = tmp_path / "data" / "demo", tmp_path / "reports" / "demo"
    assert main(["demo", "--data", str(data), "--out", str(out)]) == 0
    err = capsys.readouterr().err
    assert "generating the demo county" in err and "10_leads done" in err
    assert (data / "_truth" / "planted.csv").exists()
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert manifest["status"] == "ok" and manifest["leads"]["total"] > 0
    assert set(manifest["stage_seconds"]) == set(load_config()["pipeline"]["stages"])
    leads = pd.read_csv(out / "leads.csv", dtype=str, encoding="utf-8-sig")
    assert len(leads) == manifest["leads"]["total"]
    assert set(leads["status"]) == {"new"}
    for name in (
        "evidence.csv",
        "scores/villages.csv",
        "scores/programs.csv",
        "report.html",
        "disclosure/index.html",
        "data_quality.csv",
    ):
        assert (out / name).exists(), name
    assert openpyxl.load_workbook(out / "leads.xlsx", read_only=True).sheetnames[0] == "汇总"
    assert scan_folder(out) == []  # no unmasked ID or account number anywhere
    assert all(p.stat().st_mode & 0o077 == 0 for p in [out, *out.rglob("*")]), (
        "run folder must be owner-only"
    )
    # the second demo reuses the data and marks the same leads persisting
    assert main(["demo", "--data", str(data), "--out", str(out)]) == 0
    again = pd.read_csv(out / "leads.csv", dtype=str, encoding="utf-8-sig")
    assert set(again["status"]) == {"persisting"}
