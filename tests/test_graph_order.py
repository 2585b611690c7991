"""A graph read back from files (kinds sorted by name) numbers its nodes as the graph built in
memory (kinds in declared order) does, so ties between equally short paths break alike."""

from __future__ import annotations

import pandas as pd

from riskmodel.graph.kinds import NODE_KINDS
from riskmodel.graph.tables import TableGraph


def _frames() -> tuple[dict[str, pd.DataFrame], dict[str, pd.DataFrame]]:
    nodes = {
        "person": pd.DataFrame({"node": ["person:1", "person:2"], "kind": "person"}),
        "account": pd.DataFrame({"node": ["account:9"], "kind": "account"}),
        "village": pd.DataFrame({"node": ["village:V"], "kind": "village"}),
    }
    edges = {
        "lives_in": pd.DataFrame({"u": ["person:1"], "v": ["village:V"], "kind": "lives_in"}),
        "holds_account": pd.DataFrame(
            {"u": ["person:2"], "v": ["account:9"], "kind": "holds_account"}
        ),
    }
    return nodes, edges


def test_node_numbering_does_not_depend_on_the_order_of_the_mappings() -> None:
    nodes, edges = _frames()
    built = TableGraph(nodes, edges)
    read_back = TableGraph(dict(sorted(nodes.items())), dict(sorted(edges.items())))
    reversed_ = TableGraph(dict(reversed(nodes.items())), dict(reversed(edges.items())))
    for other in (read_back, reversed_):
        assert list(other._node_frames) == list(built._node_frames)
        assert list(other._edge_frames) == list(built._edge_frames)
        assert other._dictionary.equals(built._dictionary)
        assert other.edge_kinds == built.edge_kinds
    # declared order (graph/kinds.py), not the order given or the names' order
    declared = [kind["kind"] for kind in NODE_KINDS if kind["kind"] in nodes]
    assert list(built._node_frames) == declared != sorted(declared)


def test_undeclared_kinds_come_after_the_declared_ones_by_name() -> None:
    nodes, edges = _frames()
    nodes = {"zeta": pd.DataFrame({"node": ["zeta:1"]}), **nodes, "alpha": nodes["person"][:0]}
    nodes["beta"] = pd.DataFrame({"node": ["beta:1"]})
    graph = TableGraph(nodes, edges)
    kinds = list(graph._node_frames)
    assert kinds[-2:] == ["beta", "zeta"]  # empty frames are dropped
