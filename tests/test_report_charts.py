"""The village × program heat map: which programs a lead touches, and the drawn cells."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import pandas as pd

from riskmodel.report.charts import heat_map_chart, heat_map_table

PAYMENTS = pd.DataFrame(
    {
        "id_number": ["A", "A", "B", "C", "D", "E"],
        "program_name": ["低保", "耕地地力补贴", "低保", "特困供养", "低保", "低保"],
    }
)
LEADS = pd.DataFrame(
    {
        "lead_id": ["L1", "L2", "L3", "L4"],
        "entity_id": ["A", "B", "X", "Y"],
        "village_code": ["V1", "V1", "V2", "V2"],
        "related_ids": ["C", "", "", ""],
    }
)
EVIDENCE = pd.DataFrame({"lead_id": ["L3"], "entity_id": ["D"]})


def test_a_lead_counts_once_per_program_of_its_entity_relatives_and_evidence() -> None:
    table = heat_map_table(PAYMENTS, LEADS, EVIDENCE)
    assert table.loc["V1"].to_dict() == {"低保": 2, "其他": 0, "特困供养": 1, "耕地地力补贴": 1}
    # L3 reaches 低保 through its evidence row (D); L4 touches no payment: 其他
    assert table.loc["V2"].to_dict() == {"低保": 1, "其他": 1, "特困供养": 0, "耕地地力补贴": 0}
    # E is paid but in no lead: it adds nothing


def test_the_heat_map_labels_every_cell_with_its_count_and_names_villages() -> None:
    table = heat_map_table(PAYMENTS, LEADS, EVIDENCE)
    villages = pd.DataFrame(
        {
            "village_code": ["V1", "V2"],
            "village_name": ["东村", "西村"],
            "town_name": ["城关镇"] * 2,
        }
    )
    figure = heat_map_chart(table, villages)
    axes = figure.axes[0]
    shown = sorted(t.get_text() for t in axes.texts)
    assert shown == sorted(str(v) for v in table.to_numpy().ravel())
    rows = [label.get_text() for label in axes.get_yticklabels()]
    assert set(rows) == {"城关镇东村", "城关镇西村"}
    assert {label.get_text() for label in axes.get_xticklabels()} == set(table.columns)
    # the darkest cell (most leads) carries white text, an empty cell black
    colours = {t.get_text(): t.get_color() for t in axes.texts}
    assert colours["2"] == "white" and colours["0"] == "black"


def test_no_leads_gives_an_empty_table_and_a_placeholder_chart() -> None:
    empty = heat_map_table(PAYMENTS, LEADS.iloc[0:0], EVIDENCE.iloc[0:0])
    assert empty.empty
    figure = heat_map_chart(empty, None)
    assert [t.get_text() for t in figure.axes[0].texts] == ["本期无线索"]


def test_cell_text_colour_follows_luminance_as_seaborn_chooses_it() -> None:
    # on Reds, the middle of the range is already dark enough for white text (relative
    # luminance 0.31 ≤ 0.408), though a plain RGB average would call it light
    table = pd.DataFrame({"低保": [0, 5, 10]}, index=["V1", "V2", "V3"])
    figure = heat_map_chart(table, None)
    colours = {t.get_text(): t.get_color() for t in figure.axes[0].texts}
    assert colours == {"0": "black", "5": "white", "10": "white"}
    assert {t.get_fontsize() for t in figure.axes[0].texts} == {plt.rcParams["font.size"]}
