"""The writers of the run folder: workbook, HTML report, disclosure notices, CJK font."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import openpyxl
import pandas as pd
import pytest

from riskmodel.config import load_config, override
from riskmodel.report.disclosure import (
    mask_name,
    mask_public_id,
    mask_public_ids,
    write_disclosure,
)
from riskmodel.report.html import write_report
from riskmodel.report.workbook import write_workbook

PERSON = "430421199001011234"
ACCOUNT = "6228480012345678901"
VILLAGE = "430421100201"


def sample_leads() -> tuple[pd.DataFrame, pd.DataFrame]:
    leads = pd.DataFrame(
        {
            "lead_id": ["L-1", "L-2", "L-3"],
            "rank": [1, 2, 3],
            "entity_type": ["person", "account", "village"],
            "entity_id": [PERSON, ACCOUNT, VILLAGE],
            "entity_name": ["张小明", "", "石市村"],
            "village_code": [VILLAGE, VILLAGE, VILLAGE],
            "related_ids": [f"{ACCOUNT};430421198001011235", PERSON, ""],
            "score": [91.25, 55.0, 20.0],
            "severity": ["高", "中", "低"],
            "triage": ["线索移交", "督促整改", "数据纠错"],
            "rule_ids": ["R001;R002", "R010", "R040"],
            "reasons": [f"死亡后仍领取低保（{PERSON}）", "一卡多人", "村级指标偏高"],
            "amount_at_risk": [12345.6, 800.0, 0.0],
            "evidence_count": [2, 1, 1],
            "status": ["new", "persisting", "new"],
        }
    )
    evidence = pd.DataFrame(
        {
            "lead_id": ["L-1", "L-1", "L-2"],
            "rule_id": ["R001", "R002", "R010"],
            "source_table": ["payments", "deaths", "payments"],
            "source_key": ["payments.csv:3", "deaths.csv:2", "payments.csv:9"],
            "fields": [f'{{"id_number": "{PERSON}"}}', "{}", f'{{"account_no": "{ACCOUNT}"}}'],
        }
    )
    return leads, evidence


def workbook_text(path: Path) -> str:
    book = openpyxl.load_workbook(path)
    return "\n".join(str(cell.value) for sheet in book for row in sheet.iter_rows() for cell in row)


def test_workbook_layout_and_masked_identifiers(tmp_path: Path) -> None:
    leads, evidence = sample_leads()
    path = write_workbook(
        tmp_path / "leads.xlsx", leads, evidence, load_config(), {"期间": "2024Q3"}
    )
    book = openpyxl.load_workbook(path)
    assert book.sheetnames == ["汇总", "线索清单", "证据明细"]
    sheet = book["线索清单"]
    headers = [cell.value for cell in sheet[1]]
    assert headers[:5] == ["线索编号", "排名", "对象类型", "对象标识", "对象名称"]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:O4"
    amount = headers.index("涉及金额（元）") + 1
    assert sheet.cell(2, amount).value == pytest.approx(12345.6)
    assert sheet.cell(2, amount).number_format == "#,##0.00"
    assert (
        sheet.cell(2, 3).value == "个人"
        and sheet.cell(3, headers.index("本期状态") + 1).value == "持续"
    )
    assert sheet.column_dimensions["L"].width >= 30  # reasons get room
    text = workbook_text(path)
    assert PERSON not in text and ACCOUNT not in text
    assert "430421********1234" in text and VILLAGE in text  # village codes stay
    summary = {row[0].value: row[1].value for row in book["汇总"].iter_rows(min_row=2)}
    assert summary["期间"] == "2024Q3" and summary["线索总数"] == 3
    assert summary["风险等级：高"] == 1 and summary["证件号与账号显示方式"] == "脱敏"


def test_workbook_shows_identifiers_when_configured(tmp_path: Path) -> None:
    leads, evidence = sample_leads()
    config = override(load_config(), {"privacy": {"show_identifiers": True}})
    text = workbook_text(write_workbook(tmp_path / "leads.xlsx", leads, evidence, config))
    assert PERSON in text and ACCOUNT in text


def test_report_is_self_contained_and_masked(tmp_path: Path) -> None:
    leads, evidence = sample_leads()
    payments = pd.DataFrame(
        {
            "id_number": [PERSON],
            "program_name": ["低保"],
            "amount": [300.0],
            "pay_date": pd.to_datetime(["2024-07-01"]),
            "village_code": [VILLAGE],
        }
    )
    villages = pd.DataFrame(
        {"village_code": [VILLAGE], "village_name": ["石市村"], "town_name": ["西渡镇"]}
    )
    path = write_report(
        tmp_path / "report.html",
        leads,
        evidence,
        load_config(),
        payments=payments,
        villages=villages,
        run_info={"期间": "2024Q3", "专题": "民政领域社会救助"},
    )
    page = path.read_text(encoding="utf-8")
    for heading in (
        "补贴资金风险线索报告",
        "总体情况",
        "线索排名",
        "重点线索关系图",
        "民政领域社会救助",
    ):
        assert heading in page
    assert PERSON not in page and ACCOUNT not in page
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:)?//""", page)
    assert not re.search(r"url\((?!data:)", page)  # fonts and images are embedded
    assert page.count("data:image/png;base64,") == 3  # severity, villages, heat map
    assert "<svg" in page and "西渡镇石市村" in page


def test_report_without_leads(tmp_path: Path) -> None:
    leads, evidence = sample_leads()
    page = write_report(tmp_path / "r.html", leads.iloc[0:0], evidence.iloc[0:0], load_config())
    assert "本期无线索" in page.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("name", "shown"),
    [("张三", "张*"), ("张小明", "张*明"), ("欧阳小明", "欧**明"), ("", ""), (None, "")],
)
def test_public_names(name: str | None, shown: str) -> None:
    assert mask_name(name) == shown


def test_public_ids() -> None:
    assert mask_public_id(PERSON) == "43*************234"
    assert mask_public_id("123") == ""


def test_public_ids_of_a_column_mask_as_one_by_one() -> None:
    values = pd.Series([PERSON, "123", "", None, "43042119800101123", "A1B2C3", "123456"])
    expected = [mask_public_id(v) if isinstance(v, str) else "" for v in values]
    assert mask_public_ids(values).tolist() == expected
    assert mask_public_ids(values, 3, 1).tolist() == [
        mask_public_id(v, 3, 1) if isinstance(v, str) else "" for v in values
    ]


def test_disclosure_lists_the_period_per_village_masked_even_with_full_identifiers(
    tmp_path: Path,
) -> None:
    payments = pd.DataFrame(
        {
            "id_number": [PERSON, PERSON, "430421198001011235", PERSON, "430421198001011236"],
            "name": ["张小明", "张小明", "李四", "张小明", "王五"],
            "account_no": [ACCOUNT] * 5,
            "program_name": ["低保", "低保", "特困", "低保", "低保"],
            "amount": [300.0, 300.0, 500.0, 300.0, 99.0],
            "pay_date": pd.to_datetime(
                ["2024-07-01", "2024-08-01", "2024-09-30", "2024-10-01", "2024-08-01"]
            ),
            "status": ["成功", "成功", "成功", "成功", "退回"],
            "village_code": [VILLAGE, VILLAGE, VILLAGE, VILLAGE, "430421100202"],
        }
    )
    config = override(load_config(), {"privacy": {"show_identifiers": True}})
    written = write_disclosure(
        tmp_path, payments, config, period_label="2024Q3", start="2024-07-01", end="2024-09-30"
    )
    assert [p.name for p in written] == ["index.html", f"{VILLAGE}.html"]  # 退回 row dropped
    page = (tmp_path / f"{VILLAGE}.html").read_text(encoding="utf-8")
    assert "张*明" in page and "张小明" not in page
    assert PERSON not in page and ACCOUNT not in page and "6228" not in page
    assert "600.00" in page and "900.00" not in page  # October is outside 2024Q3
    assert "合计 1 人" in page and "公示期 7 天" in page
    assert '<tr><td>1</td><td>张*明</td><td>43*************234</td><td class="num">2</td>' in page
    assert (tmp_path / "cjk-subset.otf").stat().st_size > 1000


def test_disclosure_can_be_switched_off(tmp_path: Path) -> None:
    config = override(load_config(), {"pipeline": {"disclosure": {"enabled": False}}})
    assert write_disclosure(tmp_path, pd.DataFrame(), config) == []


def test_chart_font_renders_chinese_glyphs() -> None:
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    from riskmodel.report.charts import figure_png_base64
    from riskmodel.report.fonts import use_cjk_font

    name = use_cjk_font()
    path = font_manager.findfont(
        font_manager.FontProperties(family=name), fallback_to_default=False
    )
    font = FT2Font(path)
    assert all(font.get_char_index(ord(c)) for c in "线索风险等级涉及金额")

    import matplotlib.pyplot as plt

    def render(text: str) -> np.ndarray:
        figure, axes = plt.subplots(figsize=(2, 1))
        axes.set_axis_off()
        axes.text(0.5, 0.5, text, fontsize=20, ha="center")
        figure.canvas.draw()
        pixels = np.asarray(figure.canvas.buffer_rgba()).copy()
        plt.close(figure)
        return pixels

    # distinct characters give distinct images (missing glyphs would all be the same box)
    assert not np.array_equal(render("线索"), render("金额"))
    assert figure_png_base64(plt.figure()).startswith("iVBOR")


def test_embedded_font_subset_is_small_and_covers_the_text() -> None:
    import base64
    import io

    from fontTools.ttLib import TTFont

    from riskmodel.report.fonts import font_face_css

    css = font_face_css("补贴资金风险线索报告")
    data = base64.b64decode(css.split("base64,")[1].split(")")[0])
    assert len(data) < 60_000
    cmap = TTFont(io.BytesIO(data)).getBestCmap()
    assert all(ord(c) in cmap for c in "补贴资金风险线索报告")
    assert ord("鑫") not in cmap


def test_relationship_view_draws_the_ego_network_without_identifiers() -> None:
    import networkx as nx

    from riskmodel.report.html import graph_svg

    graph = nx.MultiGraph()
    graph.add_node(f"person:{PERSON}", kind="person", name="张小明")
    graph.add_node(f"account:{ACCOUNT}", kind="account", name="李四")
    graph.add_node("person:430421198001011235", kind="person", name="李四")
    graph.add_node("person:430421197001011236", kind="person", name="远亲")
    graph.add_edge(f"person:{PERSON}", f"account:{ACCOUNT}", key="paid_into", label_zh="打入账户")
    graph.add_edge(f"account:{ACCOUNT}", "person:430421198001011235", key="holds", label_zh="开户")
    graph.add_edge("person:430421198001011235", "person:430421197001011236", key="kin")
    leads, _ = sample_leads()
    svg = graph_svg(graph, leads.iloc[0], load_config())
    assert svg.startswith("<svg") and "张小明" in svg and "打入账户" in svg and "李四" in svg
    assert "远亲" not in svg  # three hops away: outside the 2-hop view
    assert PERSON not in svg and ACCOUNT not in svg
    assert graph_svg(graph, leads.iloc[2], load_config()) == ""  # the village is not a node
