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


def test_files_loaded_side_by_side_give_the_same_result(county):
    """Threads load several files at once (loading.parallel_files): the tables, quarantine,
    data quality and manifest entries are those of loading one file after another, and a
    file that cannot be read is still reported."""
    from riskmodel.config import load_config

    folder, one_by_one = county
    config = load_config(None)
    config["loading"].update(parallel_files=3, parallel_min_bytes=0)
    side_by_side = load_folder(folder, config=config)
    assert list(side_by_side.tables) == list(one_by_one.tables)
    for name, table in one_by_one.tables.items():
        pd.testing.assert_frame_equal(side_by_side.tables[name], table)
        pd.testing.assert_frame_equal(side_by_side.quarantine[name], one_by_one.quarantine[name])
    pd.testing.assert_frame_equal(side_by_side.data_quality, one_by_one.data_quality)
    assert side_by_side.inputs == one_by_one.inputs


def test_an_unreadable_file_loaded_side_by_side_is_reported(tmp_path):
    from riskmodel.config import load_config

    synth.generate(tmp_path, seed=12, scale="tiny")
    broken = next(p for p in tmp_path.iterdir() if p.suffix == ".xlsx")
    broken.write_bytes(b"not a workbook")
    config = load_config(None)
    config["loading"].update(parallel_files=2, parallel_min_bytes=0)
    result = load_folder(tmp_path, config=config, strict=False)
    assert any(broken.name in error for error in result.errors)
    assert len(result.tables) == len([p for p in tmp_path.iterdir() if p.is_file()]) - 1
