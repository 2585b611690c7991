"""Export the graph (or an ego network) to GraphML or GEXF for Gephi.

Attributes are already scalars (the builder drops empty values and writes dates as text).
Identifiers follow the privacy setting: unless it is ``full``, node ids and identifying
attributes are masked (or pseudonymised) and a masked id that would collide gets a suffix.
"""

from __future__ import annotations

import argparse
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import networkx as nx

from riskmodel.graph.queries import node_value

_IDENTIFYING = {"via", "from_node", "phone", "holder_id_number", "legal_rep_id"}


def protect_graph(graph: nx.MultiGraph, config: Mapping[str, Any] | None) -> nx.MultiGraph:
    """A copy of ``graph`` whose identifiers follow ``privacy.identifiers``."""
    from riskmodel.ids import mask_phone
    from riskmodel.privacy import identifier_mode, protect_text

    if identifier_mode(config) == "full":
        return graph.copy()
    mapping: dict[str, str] = {}
    used: set[str] = set()
    for node in graph.nodes:
        kind = node.split(":", 1)[0]
        value = node_value(node)
        hidden = mask_phone(value) if kind == "phone" else protect_text(value, config)
        protected = f"{kind}:{hidden}"
        candidate, number = protected, 1
        while candidate in used:
            number += 1
            candidate = f"{protected}#{number}"
        used.add(candidate)
        mapping[node] = candidate
    protected_graph = nx.relabel_nodes(graph, mapping, copy=True)
    for _, data in protected_graph.nodes(data=True):
        for attribute in list(data):
            if attribute in _IDENTIFYING and isinstance(data[attribute], str):
                data[attribute] = protect_text(data[attribute], config)
    for _, _, data in protected_graph.edges(data=True):
        if "from_node" in data:
            data["from_node"] = mapping.get(data["from_node"], "")
        if "via" in data:
            data["via"] = protect_text(str(data["via"]), config)
    return protected_graph


def _scalar_attributes(graph: nx.MultiGraph) -> nx.MultiGraph:
    """Drop any attribute that is not a string, number or bool (GraphML/GEXF need scalars)."""
    for key in [k for k, v in graph.graph.items() if not isinstance(v, str | int | float | bool)]:
        del graph.graph[key]
    for _, data in graph.nodes(data=True):
        for key in [k for k, v in data.items() if not isinstance(v, str | int | float | bool)]:
            del data[key]
    for _, _, data in graph.edges(data=True):
        for key in [k for k, v in data.items() if not isinstance(v, str | int | float | bool)]:
            del data[key]
    return graph


def write_graph(
    graph: nx.MultiGraph, path: str | Path, config: Mapping[str, Any] | None = None
) -> Path:
    """Write ``graph`` to ``path`` (``.graphml`` or ``.gexf``) with protected identifiers."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".graphml", ".gexf"):
        raise ValueError(f"{path}: the export file must end in .graphml or .gexf")
    exported = _scalar_attributes(protect_graph(graph, config))
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".graphml":
        nx.write_graphml(exported, path, encoding="utf-8")
    else:
        nx.write_gexf(exported, path, encoding="utf-8")
    return path


def export_command(args: argparse.Namespace) -> int:
    """``riskmodel graph-export --data DIR --out FILE [--center NODE] [--radius N]``."""
    from riskmodel.config import load_config
    from riskmodel.entities import resolve_people
    from riskmodel.graph.build import build_graph
    from riskmodel.graph.queries import ego_network
    from riskmodel.io import DataError, load_folder
    from riskmodel.kinship import derive_kinship

    if not str(args.out).lower().endswith((".graphml", ".gexf")):
        print(f"error: --out {args.out}: must end in .graphml or .gexf")
        return 2
    config = load_config(getattr(args, "config", None))
    try:
        loaded = load_folder(args.data, config)
    except DataError as error:
        print(f"error: {error}")
        return 1
    tables = loaded.tables
    crosswalk = resolve_people(tables, config)
    kinship = derive_kinship(
        tables["residents"], tables.get("relatives"), tables.get("filings"), config
    )
    graph = build_graph(tables, crosswalk, kinship, config)
    if args.center:
        if args.center not in graph:
            print(f"error: no node {args.center!r} in the graph (use e.g. person:<id_number>)")
            return 1
        graph = ego_network(graph, args.center, int(args.radius), config)
    path = write_graph(graph, args.out, config)
    print(f"wrote {graph.number_of_nodes()} nodes and {graph.number_of_edges()} edges to {path}")
    return 0
