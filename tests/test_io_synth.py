"""On the small synthetic county, validation reconciles every table, quarantines every
deliberately bad row with a reason, and loses no good row (issue 2, Done-when)."""

import json

import pandas as pd
import pytest

from riskmodel.io import load_folder

synth = pytest.importorskip("riskmodel.synth")


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    folder = tmp_path_factory.mktemp("county")
    synth.generate(folder, seed=11, scale="small")
    return folder, load_folder(folder)


def test_every_table_reconciles(county):
    _, result = county
    assert {"residents", "payments"} <= set(result.tables)
    for name, report in result.reports.items():
        assert report.read == report.accepted + report.quarantined, name
        assert len(result.tables[name]) == report.accepted
        assert len(result.quarantine[name]) == report.quarantined


def test_bad_rows_are_exactly_the_quarantined_rows(county):
    folder, result = county
    truth = pd.read_csv(folder / "_truth" / "bad_rows.csv", dtype=str)
    planted = {(row.file, int(row.line)) for row in truth.itertuples()}
    quarantined = {
        (file, int(line))
        for rows in result.quarantine.values()
        for file, line in zip(rows["file"], rows["line"], strict=True)
    }
    assert planted == quarantined
    assert all(rows["reason"].str.len().gt(0).all() for rows in result.quarantine.values())


def test_no_good_row_is_lost(county):
    _, result = county
    for name, frame in result.tables.items():
        assert frame["_key"].is_unique, name
        assert frame["_line"].min() >= 2


def test_every_generated_good_row_is_accepted(county):
    folder, result = county
    summary = json.loads((folder / "_truth" / "summary.json").read_text(encoding="utf-8"))
    counts = summary.get("tables", {})
    for name, report in result.reports.items():
        if name in counts:
            assert report.accepted == counts[name], name
