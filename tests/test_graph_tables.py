"""The graph as tables (graph_tables, graph_from_tables, TableGraph) answers as the
networkx graph does: same nodes, edges, attributes, paths and ego networks."""

import numpy as np
import pandas as pd
import pyarrow as pa
import pytest

from riskmodel.cli import main
from riskmodel.config import load_config
from riskmodel.entities import resolve_people
from riskmodel.graph import build_graph, ego_network, official_links
from riskmodel.graph.build import (
    _joined_keys,
    _native_column,
    _text,
    edge_frame,
    graph_from_tables,
    graph_tables,
    job_edge_kinds,
    node_frame,
)
from riskmodel.graph.tables import TableGraph, neighbourhood
from riskmodel.io import load_folder
from riskmodel.kinship import derive_kinship
from riskmodel.pipeline.store import load_tables, save_tables


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    folder = tmp_path_factory.mktemp("county") / "data"
    assert main(["synth", "--out", str(folder), "--scale", "small", "--seed", "12"]) == 0
    config = load_config()
    tables = load_folder(folder, config).tables
    crosswalk = resolve_people(tables, config)
    kinship = derive_kinship(tables["residents"], tables.get("relatives"), None, config)
    graph = build_graph(tables, crosswalk, kinship, config)
    nodes, edges = graph_tables(tables, crosswalk, kinship, config)
    work = tmp_path_factory.mktemp("work")
    save_tables(work, "graph_nodes", nodes)
    save_tables(work, "graph_edges", edges)
    table_graph = TableGraph(load_tables(work, "graph_nodes"), load_tables(work, "graph_edges"))
    return tables, crosswalk, kinship, config, graph, nodes, edges, table_graph


def edge_set(graph):
    return {(min(u, v), max(u, v), k) for u, v, k in graph.edges(keys=True)}


def test_graph_from_tables_is_the_built_graph(county):
    _, _, _, _, graph, nodes, edges, _ = county
    rebuilt = graph_from_tables(nodes, edges)
    assert set(rebuilt.nodes) == set(graph.nodes)
    assert edge_set(rebuilt) == edge_set(graph)
    for node, data in graph.nodes(data=True):
        assert rebuilt.nodes[node] == data
    for u, v, key, data in graph.edges(keys=True, data=True):
        assert rebuilt.get_edge_data(u, v, key=key) == data
    assert rebuilt.graph == graph.graph


def test_table_graph_nodes_edges_and_attributes_after_parquet(county):
    _, _, _, _, graph, _, _, table_graph = county
    assert len(table_graph) == graph.number_of_nodes()
    assert table_graph.number_of_edges() == graph.number_of_edges()
    for node in list(graph.nodes)[::97]:
        assert node in table_graph
        assert set(table_graph.adj[node]) == set(graph.adj[node])
        assert table_graph.nodes[node]["kind"] == graph.nodes[node]["kind"]
        assert table_graph.nodes[node].get("name") == (graph.nodes[node].get("name") or None)
    for u, v, key, data in list(graph.edges(keys=True, data=True))[::53]:
        got = table_graph.get_edge_data(u, v, key=key)
        expected = {k: x for k, x in data.items() if k != "source_keys"}
        assert {k: got[k] for k in expected} == pytest.approx(expected)
        assert table_graph.get_edge_data(v, u, key=key) == got
    assert "person:000000000000000000" not in table_graph
    assert table_graph.get_edge_data("person:nobody", "account:none", key="holds_account") is None


def test_official_links_on_tables_match_the_networkx_graph(county):
    tables, crosswalk, _, config, graph, _, _, table_graph = county
    expected = official_links(graph, tables, config, crosswalk=crosswalk)
    got = official_links(table_graph, tables, config, crosswalk=crosswalk)
    key = ["official_id", "target_type", "target_id"]
    assert len(expected) > 50
    merged = (
        expected.groupby(key)["hops"]
        .min()
        .to_frame("nx")
        .join(got.groupby(key)["hops"].min().to_frame("tables"), how="outer")
    )
    assert merged.notna().all().all()
    assert (merged["nx"] == merged["tables"]).all()
    # every path is spelled out hop by hop, names not identifiers
    for row in got.itertuples():
        assert row.path_text.count("—") == 2 * len(row.relations.split(";")) or row.hops == 0


def test_job_graph_tables_give_the_same_paths(county):
    tables, crosswalk, kinship, config, graph, _, _, _ = county
    nodes, edges = graph_tables(
        tables, crosswalk, kinship, config, edge_kinds=job_edge_kinds(config)
    )
    assert "receives" not in edges  # the job's path graph leaves the payment edges out
    job_graph = TableGraph(nodes, edges)
    expected = official_links(graph, tables, config, crosswalk=crosswalk)
    got = official_links(job_graph, tables, config, crosswalk=crosswalk)
    pairs = ["official_id", "target_type", "target_id", "hops"]
    assert set(map(tuple, got[pairs].to_numpy())) == set(map(tuple, expected[pairs].to_numpy()))


def test_ego_network_and_subgraph_from_tables(county):
    _, _, _, config, graph, _, _, table_graph = county
    people = [n for n, d in graph.nodes(data=True) if d.get("is_official")][:5]
    assert people
    for person in people:
        expected = ego_network(graph, person, radius=2, config=config, max_nodes=100000)
        got = ego_network(table_graph, person, radius=2, config=config, max_nodes=100000)
        assert set(got.nodes) == set(expected.nodes)
        assert edge_set(got) == edge_set(expected)
        assert got.nodes[person]["hops"] == 0
        for node, data in expected.nodes(data=True):
            assert got.nodes[node] == data


def test_duplicate_edges_count_once_and_the_last_row_wins():
    nodes = {
        "person": pd.DataFrame(
            {"node": ["person:A", "person:B"], "name": ["甲", "乙"], "kind": "person"}
        )
    }
    edges = {
        "relative_of": pd.DataFrame(
            {
                "u": ["person:A", "person:B", "person:A"],
                "v": ["person:B", "person:A", "person:C"],
                "relation": ["兄弟", "配偶", "子女"],
                "source_table": "relatives",
                "source_keys": ["r:2", "r:3", "r:4"],
                "rows": 1,
            }
        )
    }
    graph = TableGraph(nodes, edges)
    assert graph.number_of_edges() == 2
    assert graph.get_edge_data("person:A", "person:B", key="relative_of")["relation"] == "配偶"
    assert "person:C" in graph  # known only from an edge
    assert graph.nodes["person:C"] == {"kind": "person"}
    assert graph.nodes["person:A"] == {"kind": "person", "name": "甲"}
    assert set(graph.adj["person:A"]) == {"person:B", "person:C"}
    assert graph.get_edge_data("person:A", "person:B", key="owns") is None
    sub = graph.subgraph(["person:A", "person:B"])
    assert set(sub.nodes) == {"person:A", "person:B"}
    assert sub.get_edge_data("person:A", "person:B", key="relative_of")["relation"] == "配偶"
    paths = graph.path_adjacency(["relative_of"])
    assert sorted(paths.get("person:A")) == [
        ("person:B", "relative_of"),
        ("person:C", "relative_of"),
    ]
    assert paths.get("person:Z", ()) == ()


def test_neighbourhood_cut_gives_the_same_ego_networks(county):
    _, _, _, config, graph, nodes, edges, _ = county
    stop = config["graph"]["view"]["stop_kinds"]
    centres = [n for n, d in graph.nodes(data=True) if d.get("is_official")][:3]
    centres.append("account:" + next(iter(edges["holds_account"]["v"])).split(":", 1)[1])
    reached, among = neighbourhood(edges, centres, radius=2, stop_kinds=stop)
    local_nodes = {k: f[f["node"].isin(reached)] for k, f in nodes.items()}
    local = TableGraph(local_nodes, among)
    for centre in centres:
        expected = ego_network(graph, centre, radius=2, config=config, max_nodes=100000)
        got = ego_network(local, centre, radius=2, config=config, max_nodes=100000)
        assert set(got.nodes) == set(expected.nodes) <= reached
        assert edge_set(got) == edge_set(expected)
    # a village is reached but not crossed
    village = next(n for n in graph.nodes if n.startswith("village:"))
    assert neighbourhood(edges, [village], radius=1, stop_kinds=stop)[0] >= {village}
    assert neighbourhood(edges, [], radius=2, stop_kinds=stop) == (set(), {})


def test_text_strips_and_blanks_missing_spellings_of_arrow_and_object_columns():
    values = [" a ", None, "nan", "None", "<NA>", "NaT", "\u3000x\u3000", "", "b\t"]
    expected = ["a", "", "", "", "", "", "x", "", "b"]
    for dtype in ("str", object, "string[pyarrow]"):
        text = _text(pd.Series(values, index=range(10, 19), dtype=dtype))
        assert text.tolist() == expected
        assert list(text.index) == list(range(10, 19))
    assert _text(pd.Series([1.5, None])).tolist() == ["1.5", ""]


def test_native_column_shares_strings_and_blanks_missing():
    assert _native_column(pd.Series(["a", None, "", "b", "a"], dtype="str")) == [
        "a",
        None,
        None,
        "b",
        "a",
    ]
    assert _native_column(pd.Series(pd.to_datetime(["2020-01-02", None]))) == ["2020-01-02", None]


def test_joined_keys_keep_the_first_keys_of_each_group_in_row_order():
    keys = pa.chunked_array([pa.array(["k0", "k1", "k2", "k3", "k4"])])
    # rows 4, 3, 2, 0 of the keys fall in groups 1, 0, 1, 1
    joined = _joined_keys(np.array([1, 0, 1, 1]), keys, np.array([4, 3, 2, 0]), 2, 2)
    assert joined.to_pylist() == ["k3", "k4;k2"]
    empty = np.array([], dtype=np.int64)
    assert _joined_keys(empty, keys, empty, 0, 2).to_pylist() == []


LEDGER_PAID = {
    "kind": "paid_to",
    "label_zh": "村账支付",
    "label_en": "paid to (ledger)",
    "table": "ledger",
    "where": {"column": "direction", "contains": ["支出"]},
    "source": {"kind": "village", "columns": ["village_code"]},
    "target": {"kind": "party", "columns": ["counterparty_id"]},
    "aggregate": {"amount": ["amount", "sum"], "vouchers": ["amount", "size"]},
}


def test_aggregated_edges_of_filtered_rows_sum_and_keep_their_own_keys():
    ledger = pd.DataFrame(
        {
            "village_code": ["V1", "V1", "V1", "V2", "V1"],
            "direction": ["支出", "收入", "支出", "支出", "支出"],
            "counterparty_id": ["C9", "C9", "C9", "", "C8"],
            "amount": [10.0, 99.0, 5.0, 7.0, 1.0],
            "_key": ["l:2", "l:3", "l:4", "l:5", "l:6"],
        }
    ).astype({"village_code": "str", "direction": "str", "counterparty_id": "str", "_key": "str"})
    settings = {"max_source_keys": 20}
    edges = edge_frame(LEDGER_PAID, {"ledger": ledger}, None, settings)
    assert edges[["u", "v", "rows", "amount", "vouchers", "source_keys"]].values.tolist() == [
        ["village:V1", "company:C9", 2, 15.0, 2, "l:2;l:4"],
        ["village:V1", "company:C8", 1, 1.0, 1, "l:6"],
    ]
    nothing = ledger.assign(direction="收入")
    assert edge_frame(LEDGER_PAID, {"ledger": nothing}, None, settings).empty


def test_node_frame_joins_later_sources_onto_known_nodes():
    declaration = {
        "kind": "person",
        "sources": [
            {"table": "residents", "key": ["id_number"], "name": "name", "attributes": ["age"]},
            {"table": "officials", "key": ["id_number"], "name": "name", "flag": "is_official"},
        ],
    }
    residents = pd.DataFrame(
        {"id_number": ["B", "A", "B", ""], "name": ["乙", "", "乙2", "无"], "age": [3, 4, 5, 6]}
    )
    officials = pd.DataFrame({"id_number": ["C", "A"], "name": ["丙", "甲"]})
    nodes = node_frame(declaration, {"residents": residents, "officials": officials})
    assert nodes["node"].tolist() == ["person:A", "person:B", "person:C"]  # sorted union
    assert nodes["name"].tolist() == ["甲", "乙", "丙"]  # the first source's name unless empty
    assert nodes["age"].tolist()[:2] == [4.0, 3.0] and np.isnan(nodes["age"].iloc[2])
    assert nodes["is_official"].tolist()[0] is True and nodes["is_official"].isna().tolist() == [
        False,
        True,
        False,
    ]
