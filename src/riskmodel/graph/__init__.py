"""The typed relationship graph: declared kinds, one builder, path queries, views, export."""

from riskmodel.graph.build import build_graph, edge_frame, node_frame
from riskmodel.graph.export import protect_graph, write_graph
from riskmodel.graph.kinds import EDGE_KINDS, NODE_KINDS, KindError, label_of, validate_kinds
from riskmodel.graph.queries import (
    OFFICIAL_LINK_COLUMNS,
    accounts_for_many,
    ego_network,
    official_links,
    shared_account_clusters,
    shared_clusters,
)
from riskmodel.graph.view import draw_graph, ego_view, graph_html, show_graph

__all__ = [
    "EDGE_KINDS",
    "NODE_KINDS",
    "OFFICIAL_LINK_COLUMNS",
    "KindError",
    "accounts_for_many",
    "build_graph",
    "draw_graph",
    "edge_frame",
    "ego_network",
    "ego_view",
    "graph_html",
    "label_of",
    "node_frame",
    "official_links",
    "protect_graph",
    "shared_account_clusters",
    "shared_clusters",
    "show_graph",
    "validate_kinds",
    "write_graph",
]
