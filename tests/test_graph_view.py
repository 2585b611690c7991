import argparse
import re

import networkx as nx
import pytest

from riskmodel.config import load_config, override
from riskmodel.graph.export import export_command, protect_graph, write_graph
from riskmodel.graph.view import draw_graph, graph_html, show_graph

PERSON = "430421197001010012"
ACCOUNT = "6230909876543210"


@pytest.fixture
def small():
    graph = nx.MultiGraph()
    graph.add_node(
        f"person:{PERSON}",
        kind="person",
        label_zh="人员",
        name="王某",
        is_official=True,
        position="村主任",
    )
    graph.add_node("person:430421197202020022", kind="person", label_zh="人员", name="李某")
    graph.add_node(f"account:{ACCOUNT}", kind="account", label_zh="账户", name="王某")
    graph.add_node("company:91430421MA4L123457", kind="company", label_zh="企业", name="某建材公司")
    graph.add_edge(
        f"person:{PERSON}",
        "person:430421197202020022",
        key="relative_of",
        relation="配偶",
        degree=1,
        source_table="residents",
        source_keys="residents.csv:2;residents.csv:3",
        via="",
    )
    graph.add_edge(
        f"person:{PERSON}",
        f"account:{ACCOUNT}",
        key="holds_account",
        label_zh="开户",
        label_zh_reverse="户主",
        from_node=f"person:{PERSON}",
        source_table="accounts",
        source_keys="accounts.csv:2",
        rows=1,
    )
    graph.add_edge(
        "person:430421197202020022",
        "company:91430421MA4L123457",
        key="owns",
        label_zh="股东",
        share_ratio=0.4,
        source_table="company_people",
        source_keys="company_people.csv:3",
        rows=1,
    )
    return graph


def test_html_fragment_is_self_contained_and_masks_ids(small):
    fragment = graph_html(small, title="王某 的关系网络", highlight=f"person:{PERSON}")
    assert fragment.startswith("<div") and fragment.endswith("</div>")
    assert "<svg" in fragment and "<script>" in fragment
    assert "王某" in fragment and "配偶" in fragment and "股东" in fragment
    assert "某建材公司" in fragment
    # nothing loaded from the network, no full identifiers
    assert not re.search(r"(src|href)=\"?https?:", fragment)
    assert PERSON not in fragment and ACCOUNT not in fragment
    assert "430421********0012" in fragment
    # two fragments on one page do not share element ids
    assert graph_html(small).split('"')[1] != graph_html(small).split('"')[1]


def test_empty_graph_and_notebook_object(small):
    assert "无可显示" in graph_html(nx.MultiGraph())
    shown = show_graph(small, title="t")
    assert "<svg" in shown.data


def test_static_drawing_with_cjk_font(small, tmp_path):
    path = draw_graph(small, str(tmp_path / "ego.png"), highlight=f"person:{PERSON}")
    assert (tmp_path / "ego.png").stat().st_size > 1000
    assert path.endswith("ego.png")


@pytest.mark.parametrize("suffix", [".graphml", ".gexf"])
def test_export_round_trips_with_masked_ids(small, tmp_path, suffix):
    path = write_graph(small, tmp_path / f"g{suffix}", load_config())
    text = path.read_text(encoding="utf-8")
    assert PERSON not in text and ACCOUNT not in text
    assert "配偶" in text and "某建材公司" in text
    reread = nx.read_graphml(path) if suffix == ".graphml" else nx.read_gexf(path)
    assert reread.number_of_nodes() == 4
    assert reread.number_of_edges() == 3


def test_export_full_identifiers_when_configured(small, tmp_path):
    config = override(load_config(), {"privacy": {"identifiers": "full"}})
    text = write_graph(small, tmp_path / "g.graphml", config).read_text(encoding="utf-8")
    assert f"person:{PERSON}" in text


def test_masked_ids_that_collide_stay_distinct():
    graph = nx.MultiGraph()
    graph.add_node("person:430421197001011234", kind="person")
    graph.add_node("person:430421198802021234", kind="person")
    protected = protect_graph(graph, load_config())
    assert protected.number_of_nodes() == 2


def test_export_rejects_other_suffixes(small, tmp_path):
    with pytest.raises(ValueError, match=r"graphml or \.gexf"):
        write_graph(small, tmp_path / "g.json", load_config())
    args = argparse.Namespace(
        data=str(tmp_path), out=str(tmp_path / "g.txt"), center=None, radius=2
    )
    assert export_command(args) == 2
