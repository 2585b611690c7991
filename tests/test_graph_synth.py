"""End to end on the small synthetic county: resolution quality and planted paths."""

import pandas as pd
import pytest

from riskmodel.cli import main
from riskmodel.config import load_config
from riskmodel.entities import data_quality_findings, resolve_people
from riskmodel.graph import build_graph, official_links
from riskmodel.graph.coverage import planted_path_coverage
from riskmodel.io import load_folder
from riskmodel.kinship import derive_kinship

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    folder = tmp_path_factory.mktemp("county") / "data"
    assert main(["synth", "--out", str(folder), "--scale", "small", "--seed", "11"]) == 0
    config = load_config()
    tables = load_folder(folder, config).tables
    crosswalk = resolve_people(tables, config)
    kinship = derive_kinship(tables["residents"], tables.get("relatives"), None, config)
    graph = build_graph(tables, crosswalk, kinship, config)
    links = official_links(graph, tables, config, crosswalk=crosswalk)
    return folder, tables, crosswalk, graph, links


def test_person_links_precision_and_recall(county):
    folder, _, crosswalk, _, _ = county
    truth = pd.read_csv(folder / "_truth" / "person_links.csv", dtype=str)
    truth["source_key"] = truth["file"] + ":" + truth["line"]
    payments = crosswalk[
        (crosswalk["source_table"] == "payments") & (crosswalk["column"] == "id_number")
    ]
    merged = truth.merge(payments, on=["source_table", "source_key"], how="left")
    right = merged["person_id"] == merged["true_id_number"]
    typos = merged["kind"] == "typo"
    assert typos.sum() > 0 and (merged["kind"] == "homonym").sum() > 0
    # every mistyped ID links to the true resident, as a fuzzy link with a reason
    assert right[typos].all()
    assert (merged.loc[typos, "method"] == "fuzzy").all()
    assert merged.loc[typos, "reason"].str.contains("身份证号").all()
    # homonyms keep their own identity
    assert right[~typos].all()
    # no other payment row is fuzzily linked (precision)
    fuzzy = payments[payments["method"] == "fuzzy"]
    assert set(fuzzy["source_key"]) <= set(truth.loc[typos, "source_key"])
    findings = data_quality_findings(crosswalk)
    assert len(findings) >= typos.sum()


def test_planted_relationships_are_paths(county):
    folder, _, _, _, links = county
    planted = pd.read_csv(folder / "_truth" / "planted.csv", dtype=str, keep_default_na=False)
    coverage = planted_path_coverage(links, planted)
    by_scheme = coverage.groupby("scheme")["covered"].mean()
    for scheme in ("card_capture", "contract_to_kin", "official_on_aid", "self_payment"):
        if scheme in by_scheme:
            assert by_scheme[scheme] == 1.0, scheme
    # relatives in other households are linked when declared (the county leaves some out)
    assert coverage["covered"].mean() >= 0.9
    assert (links["hops"] <= 3).all()
    assert not links["path_text"].str.contains(r"\d{17}[\dX]", regex=True).any()
