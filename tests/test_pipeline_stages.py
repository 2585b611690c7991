"""The stage functions the notebooks call, run in-process on the tiny county (no kernels)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from test_pipeline_county import write_county

from riskmodel.ids import mask_id
from riskmodel.pipeline import stages
from riskmodel.pipeline.store import load_json, load_table


def run_stages(data: Path, root: Path, period: str = "", theme: str = "") -> tuple[Path, Path]:
    work, out = root / "work", root / "out"
    out.mkdir(parents=True)
    stages.load_stage(str(data), str(work), str(out), "", period, theme)
    stages.kinship_stage(str(work))
    stages.entities_stage(str(work))
    stages.graph_stage(str(work))
    stages.official_links_stage(str(work))
    stages.rules_stage(str(work), "", theme)
    stages.detectors_stage(str(work))
    stages.scoring_stage(str(work))
    stages.leads_stage(str(work), str(out))
    stages.exports_stage(str(work), str(out))
    stages.disclosure_stage(str(work), str(out))
    return work, out


@pytest.fixture(scope="module")
def county(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    data = tmp_path_factory.mktemp("county") / "data"
    return data, write_county(data)


def test_period_cuts_rows_after_its_end_and_auto_resolves(
    county: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    data, _ = county
    work = tmp_path / "work"
    summary = stages.load_stage(str(data), str(work), str(tmp_path), "", "auto", "")
    assert set(summary.columns) >= {"table", "read", "accepted", "quarantined"}
    assert load_json(work, "period")["label"] == "2024Q3"  # payments run to 2024-09
    stages.load_stage(str(data), str(work), str(tmp_path), "", "2024-05", "")
    payments = load_table(work, "input.payments")
    assert payments["pay_date"].max() == pd.Timestamp("2024-05-15")
    assert load_json(work, "period")["as_of"] == "2024-05-31"


def test_themed_stages_keep_only_the_theme(
    county: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    data, planted = county
    work, out = run_stages(data, tmp_path, "2024Q3", "agriculture")
    theme = load_json(work, "theme")
    assert (
        theme["name"] == "agriculture" and 0 < theme["payments_in_theme"] < theme["payments_total"]
    )
    programs = set(load_table(work, "input.payments")["program_name"])
    assert programs == {"耕地地力保护补贴"}
    status = load_table(work, "rule_status")
    assert set(status["category"]) <= {
        "eligibility",
        "payments",
        "relationships",
        "data_quality",
        "complaints",
    }
    leads = pd.read_csv(out / "leads.csv", dtype=str, encoding="utf-8-sig")
    everything = " ".join(leads.fillna("").astype(str).to_numpy().ravel())
    assert mask_id(planted["dead_early"]) not in everything  # paid 低保, not an agriculture program
    assert "农业农村领域惠农补贴" in (out / "report.html").read_text("utf-8")


def test_stage_previews_follow_the_privacy_setting(
    county: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    data, planted = county
    work = tmp_path / "work"
    stages.load_stage(str(data), str(work), str(tmp_path), "", "", "")
    shown = stages.preview(str(work), "input.payments")
    text = shown.to_string()
    assert planted["mother"] not in text and mask_id(planted["mother"]) in text
    assert len(shown) == 20


@pytest.fixture(scope="module")
def full_run(
    county: tuple[Path, dict[str, str]], tmp_path_factory: pytest.TempPathFactory
) -> tuple[Path, Path]:
    data, _ = county
    return run_stages(data, tmp_path_factory.mktemp("full"), "2024Q3")


def test_explore_one_person(
    county: tuple[Path, dict[str, str]], full_run: tuple[Path, Path]
) -> None:
    from matplotlib.figure import Figure

    from riskmodel.pipeline import explore

    data, planted = county
    _, out = full_run
    view = explore.open_view(str(data), str(out), "", "", planted["dead_early"])
    assert view.title == f"个人 {mask_id(planted['dead_early'])}"
    assert len(view.payments) == 9 and len(view.leads) >= 1 and len(view.evidence) >= 1
    assert view.graph.number_of_nodes() > 1
    assert isinstance(explore.payments_chart(view), Figure)
    assert isinstance(explore.ego_graph_chart(view), Figure)
    assert planted["dead_early"] not in explore.leads_table(view).to_string()
    assert planted["dead_early"] not in explore.evidence_table(view).to_string()


def test_explore_defaults_to_the_village_with_most_money_at_risk(
    county: tuple[Path, dict[str, str]], full_run: tuple[Path, Path]
) -> None:
    from riskmodel.pipeline import explore

    data, _ = county
    _, out = full_run
    view = explore.open_view(str(data), str(out))
    assert "430421100201" in view.title and "石市村" in view.title
    assert set(view.payments["village_code"]) == {"430421100201"}
    assert set(view.leads["village_code"]) == {"430421100201"}


def test_rules_in_two_parts_give_the_evidence_of_one_run(
    full_run: tuple[Path, Path], tmp_path: Path
) -> None:
    import shutil

    from riskmodel.rules.catalogue import RULES

    work = tmp_path / "work"
    shutil.copytree(full_run[0], work)
    whole = load_table(work, "evidence")
    whole_status = load_table(work, "rule_status")
    tables_status = stages.rules_stage(str(work), part="tables")
    graph_rules = {r.id for r in RULES if stages.rule_part(r) == "graph"}
    assert graph_rules and not graph_rules & set(tables_status["rule_id"])
    assert not set(load_table(work, "rules_part.evidence")["rule_id"]) & graph_rules
    shared = stages._shared_rule_cache(str(work))  # what the tables part hands over
    assert {"means_tested_payments", "officials"} <= set(shared) <= set(stages.SHARED_RULE_CACHE)
    stages.rules_stage(str(work), part="graph")
    merged = load_table(work, "evidence")
    assert set(whole["rule_id"]) & graph_rules  # the graph part found something here
    pd.testing.assert_frame_equal(merged, whole)
    pd.testing.assert_frame_equal(
        load_table(work, "rule_status").drop(columns="seconds"),
        whole_status.drop(columns="seconds"),
    )
    with pytest.raises(ValueError, match="rules part"):
        stages.rules_stage(str(work), part="other")


def test_a_theme_without_graph_rules_runs_no_rule_in_the_graph_part(
    full_run: tuple[Path, Path], tmp_path: Path
) -> None:
    import shutil

    work = tmp_path / "work"
    shutil.copytree(full_run[0], work)
    config = tmp_path / "office.toml"
    config.write_text(
        '[themes.housing]\ntitle = "危房改造"\nrule_categories = ["eligibility"]\n'
        "rule_ids = []\ndepartments = []\nprogram_patterns = []\n",
        encoding="utf-8",
    )
    tables = stages.rules_stage(str(work), str(config), "housing", part="tables")
    graph = stages.rules_stage(str(work), str(config), "housing", part="graph")
    assert len(tables) and set(tables["category"]) == {"eligibility"}
    status = load_table(work, "rule_status")
    assert set(status["category"]) == {"eligibility"} and len(status) == len(tables)
    assert len(graph) == len(tables)  # the graph part ran none and merged the tables part
    assert set(load_table(work, "evidence")["rule_id"]) <= set(tables["rule_id"])


def test_input_tables_are_cached_but_never_shared_for_writing(tmp_path: Path) -> None:
    from riskmodel.pipeline.stages import _tables
    from riskmodel.pipeline.store import save_tables

    save_tables(tmp_path, "input", {"payments": pd.DataFrame({"amount": [1.0, 2.0]})})
    first = _tables(str(tmp_path))
    first["payments"]["amount"] = 0.0
    first["payments"]["extra"] = 1
    again = _tables(str(tmp_path))
    assert again["payments"]["amount"].tolist() == [1.0, 2.0]
    assert "extra" not in again["payments"].columns
    save_tables(tmp_path, "input", {"payments": pd.DataFrame({"amount": [5.0]})})
    assert _tables(str(tmp_path))["payments"]["amount"].tolist() == [5.0]  # file changed
