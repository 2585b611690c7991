"""Graph queries for the rules and the analysts.

* :func:`official_links` — for every official, the shortest relationship path (≤ k hops over
  kinship, ownership, account and contract edges only) to each beneficiary, ledger payee and
  contractor, spelled out in Chinese.
* :func:`accounts_for_many` — accounts paid for many people of different households.
* :func:`shared_clusters` / :func:`shared_account_clusters` — people and firms that share
  accounts, phones or addresses.
* :func:`ego_network` — an entity's neighbourhood, without expanding through hubs.

Paths never run a search over the whole graph: the traversal adjacency holds only the
declared path edge kinds, hubs (a collective account) end a path, and each official's search
is a bounded breadth-first search.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Mapping
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from riskmodel.frames import first_occurrences, mapped
from riskmodel.graph.build import (
    _arrow_strings,
    _same_rows,
    _text,
    distinct_row_keys,
    graph_settings,
    paused_gc,
)
from riskmodel.graph.tables import TableGraph
from riskmodel.ids import mask_account, mask_id, mask_phone
from riskmodel.kinship import INVERSE

OFFICIAL_LINK_COLUMNS = [
    "official_id",
    "target_type",
    "target_id",
    "hops",
    "relations",
    "path_text",
    "path_ids",
]


def node_value(node: str) -> str:
    """The identifier of a node id (``person:4304…`` → ``4304…``)."""
    return node.split(":", 1)[1] if ":" in node else node


def display_name(graph: nx.MultiGraph, node: str) -> str:
    """How a node is written in a path: its name; never a full ID or account number."""
    return _display(graph.nodes[node] if node in graph else {}, node, graph.graph)


def _display(data: Mapping[str, Any], node: str, meta: Mapping[str, Any]) -> str:
    """:func:`display_name` of a node with attributes ``data`` (``meta``: graph attributes)."""
    kind = data.get("kind", node.split(":", 1)[0])
    name = data.get("name")
    value = node_value(node)
    if kind == "account":
        holder = f"，户名{name}" if name else ""
        return f"账户({mask_account(value)}{holder})"
    if name:
        return str(name)
    if kind == "phone":
        return f"电话{mask_phone(value)}"
    if kind == "person":
        return f"人员({mask_id(value)})"
    if kind == "company":
        return f"企业({value[:8]}…)"
    label = data.get("label_zh") or meta.get("node_kinds", {}).get(kind, kind)
    return f"{label}{value}"


# the edge attributes a label is read from
_LABEL_ATTRIBUTES = ("relation", "label_zh", "label_zh_reverse", "from_node")


def _label_data(graph: nx.MultiGraph | TableGraph, a: str, b: str, kind: str) -> dict[str, Any]:
    if isinstance(graph, TableGraph):  # read only the columns labels need
        return graph.get_edge_data(a, b, key=kind, columns=_LABEL_ATTRIBUTES) or {}
    return graph.get_edge_data(a, b, key=kind) or {}


def edge_label(graph: nx.MultiGraph, a: str, b: str, kind: str) -> str:
    """The Chinese label of the edge ``kind`` read from ``a`` to ``b``."""
    return _label(_label_data(graph, a, b, kind), a, b, kind, graph.graph)


def _label(data: Mapping[str, Any], a: str, b: str, kind: str, meta: Mapping[str, Any]) -> str:
    """:func:`edge_label` of an edge with attributes ``data`` (``meta``: graph attributes)."""
    if kind == "relative_of":
        relation = str(data.get("relation", "亲属"))
        # stored as "what the larger node id is to the smaller one"
        return relation if a < b else INVERSE.get(relation, relation)
    declared = meta.get("edge_kinds", {}).get(kind, {})
    forward = str(data.get("label_zh", declared.get("label_zh", kind)))
    reverse = str(data.get("label_zh_reverse", declared.get("label_zh_reverse", forward)))
    if data.get("from_node"):
        return forward if data["from_node"] == a else reverse
    source_kind = declared.get("source_kind")
    a_kind = a.split(":", 1)[0]
    if source_kind and not (
        a_kind == source_kind or (source_kind == "party" and a_kind in ("person", "company"))
    ):
        return reverse
    return forward


def _edges_with_keys(graph: nx.MultiGraph):
    """``(u, v, kind)`` in the order of ``graph.edges(keys=True)``, read off the adjacency
    dicts directly (the edge view costs a generator step per edge on millions of edges)."""
    if not graph.is_multigraph():
        return graph.edges(keys=True)
    return _scan_edges(graph._adj)


def _scan_edges(adjacency: Mapping[str, Mapping[str, Mapping[str, Any]]]):
    seen: set[str] = set()
    for node, neighbours in adjacency.items():
        for neighbour, keyed in neighbours.items():
            if neighbour not in seen:
                for kind in keyed:
                    yield node, neighbour, kind
        seen.add(node)


def path_adjacency(graph: nx.MultiGraph | TableGraph, edge_kinds: Iterable[str]) -> Any:
    """Adjacency restricted to ``edge_kinds``: node → [(neighbour, edge kind)]."""
    adjacency, _ = _scan(graph, edge_kinds, targets=False)
    return adjacency


def _scan(graph: nx.MultiGraph, edge_kinds: Iterable[str], targets: bool = True):
    """One pass over the edges: the path adjacency and (with ``targets``) the targets of
    :func:`_targets`, exactly as the two separate passes built them."""
    if isinstance(graph, TableGraph):
        found = graph.targets() if targets else (set(), {}, {}, {})
        return graph.path_adjacency(edge_kinds), found
    wanted = set(edge_kinds)
    adjacency: dict[str, list[tuple[str, str]]] = {}
    beneficiaries: set[str] = set()
    payees: dict[str, set[str]] = {}
    contracts: dict[str, list[str]] = {}
    project_village: dict[str, str] = {}
    target_kinds = {"receives", "paid_to", "contracted", "project_in"} if targets else set()
    for u, v, kind in _edges_with_keys(graph):
        if kind in wanted:
            if u in adjacency:
                adjacency[u].append((v, kind))
            else:
                adjacency[u] = [(v, kind)]
            if v in adjacency:
                adjacency[v].append((u, kind))
            else:
                adjacency[v] = [(u, kind)]
        if kind in target_kinds:
            _add_target(u, v, kind, beneficiaries, payees, contracts, project_village)
    return adjacency, (beneficiaries, payees, contracts, project_village)


def _add_target(u, v, kind, beneficiaries, payees, contracts, project_village) -> None:
    if kind == "receives":
        beneficiaries.add(u if u.startswith("person:") else v)
    elif kind == "paid_to":
        village, party = (u, v) if u.startswith("village:") else (v, u)
        payees.setdefault(party, set()).add(node_value(village))
    elif kind == "contracted":
        company, project = (u, v) if u.startswith("company:") else (v, u)
        contracts.setdefault(company, []).append(project)
    elif kind == "project_in":
        project, village = (u, v) if u.startswith("project:") else (v, u)
        project_village[project] = node_value(village)


def bounded_paths(
    adjacency: Mapping[Any, Any] | _CodeAdjacency,
    start: Any,
    max_hops: int,
    max_hub_degree: int,
) -> dict[Any, tuple[Any, Any, int]]:
    """Breadth-first search from ``start``: node → (parent, edge kind, hops).

    ``adjacency.get(node, ())`` gives a node's path edges as (neighbour, kind) pairs (a
    sized iterable): node ids and kinds on a networkx graph, codes on a
    :class:`~riskmodel.graph.tables.TableGraph` (:class:`_CodeAdjacency`).

    Nodes with more than ``max_hub_degree`` path edges (a collective account) are reached
    but not crossed, unless they are adjacent to ``start`` (the official's own account that
    collects for many people is the point).
    """
    seen: dict[str, tuple[str | None, str | None, int]] = {start: (None, None, 0)}
    queue = deque([start])
    while queue:
        node = queue.popleft()
        hops = seen[node][2]
        if hops >= max_hops:
            continue
        neighbours = adjacency.get(node, ())
        if hops >= 2 and len(neighbours) > max_hub_degree:
            continue
        for neighbour, kind in neighbours:
            if neighbour not in seen:
                seen[neighbour] = (node, kind, hops + 1)
                queue.append(neighbour)
    return seen


def _walk(seen: Mapping[str, tuple[str | None, str | None, int]], node: str):
    nodes = [node]
    kinds = []
    while seen[node][0] is not None:
        parent, kind, _ = seen[node]
        kinds.append(kind)
        nodes.append(parent)
        node = parent
    return nodes[::-1], kinds[::-1]


def _targets(graph: nx.MultiGraph, tables: Mapping[str, pd.DataFrame]):
    """Beneficiaries, payees by village, contractors' projects by village."""
    _, found = _scan(graph, ())
    return found


def paid_people(payments: pd.DataFrame, crosswalk: pd.DataFrame | None) -> set[str]:
    """Person nodes of everyone paid in ``payments``, IDs resolved through the crosswalk
    (the ``receives`` sources of the graph, without mapping every payment row)."""
    return set(_paid_people(payments, crosswalk).to_pylist())


def _paid_people(payments: pd.DataFrame, crosswalk: pd.DataFrame | None) -> pa.Array:
    """:func:`paid_people` as a distinct Arrow array."""
    if "id_number" not in payments.columns:
        return pa.array([], type=pa.large_string())
    own = payments["id_number"]
    parts = []
    if crosswalk is not None and not crosswalk.empty and "_key" in payments.columns:
        keys, ids = _crosswalk_rows(crosswalk, "payments", "id_number")
        paid_keys = _arrow_strings(payments["_key"].astype("str"))
        same = _same_rows(paid_keys, keys)
        if same and distinct_row_keys(payments):  # each row its own key: every row first
            resolved, unique = _named(ids), True
        else:
            resolved, unique = _resolving(keys, ids)
        parts.append(ids.filter(pa.array(resolved)))
        if unique and same:  # the crosswalk lists the rows in order
            linked = resolved
        else:
            chosen = keys.filter(pa.array(resolved)).combine_chunks().cast(paid_keys.type)
            linked = pc.is_in(paid_keys, value_set=chosen).to_numpy(zero_copy_only=False)
        own = own[~linked]
    parts.append(_arrow_strings(_text(_distinct(own)).astype("str")))
    chunks = [chunk for part in parts for chunk in part.cast(pa.large_string()).chunks]
    people = pc.unique(pa.chunked_array(chunks, type=pa.large_string()))
    people = people.filter(pc.not_equal(people, ""))
    prefix, empty = pa.scalar("person:", people.type), pa.scalar("", people.type)
    return pc.binary_join_element_wise(prefix, people, empty)


def _first_links(
    crosswalk: pd.DataFrame, table: str, column: str
) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
    """Source keys and person ids of the records of ``table.column`` resolved to a person
    (the first crosswalk row of each record, where its person id is not empty)."""
    keys, ids, resolved, _ = _links(crosswalk, table, column)
    chosen = pa.array(resolved)
    return keys.filter(chosen), ids.filter(chosen)


def _links(
    crosswalk: pd.DataFrame, table: str, column: str
) -> tuple[pa.ChunkedArray, pa.ChunkedArray, np.ndarray, bool]:
    """The crosswalk rows of ``table.column``: source keys, person ids, which rows resolve
    the record (its first row, with a person id) and whether every key is distinct."""
    keys, ids = _crosswalk_rows(crosswalk, table, column)
    return keys, ids, *_resolving(keys, ids)


def _crosswalk_rows(
    crosswalk: pd.DataFrame, table: str, column: str
) -> tuple[pa.ChunkedArray, pa.ChunkedArray]:
    """Source keys and person ids of the crosswalk rows of ``table.column``."""
    chosen = (crosswalk["source_table"] == table) & (crosswalk["column"] == column)
    chosen = pa.array(chosen.to_numpy(dtype=bool))
    keys = _arrow_strings(crosswalk["source_key"].astype("str")).filter(chosen)
    ids = _arrow_strings(crosswalk["person_id"].astype("str")).filter(chosen)
    return keys, ids


def _named(ids: pa.ChunkedArray) -> np.ndarray:
    """Where a crosswalk row names a person."""
    return pc.fill_null(pc.not_equal(ids, ""), False).to_numpy(zero_copy_only=False)


def _resolving(keys: pa.ChunkedArray, ids: pa.ChunkedArray) -> tuple[np.ndarray, bool]:
    """Which crosswalk rows resolve their record (its first row, with a person id) and
    whether every key is distinct."""
    encoded = keys.combine_chunks().dictionary_encode()
    codes = encoded.indices.fill_null(-1).to_numpy(zero_copy_only=False).astype(np.int64)
    first = first_occurrences(codes)
    missing = np.flatnonzero(codes < 0)
    if len(missing):
        first[missing[0]] = True
    unique = len(encoded.dictionary) == len(keys) and not len(missing)
    return first & _named(ids), unique


def _distinct(values: pd.Series) -> pd.Series:
    """The distinct values of a column (missing as ''), Arrow strings kept as such."""
    if pd.api.types.is_string_dtype(values.dtype) and not isinstance(values.dtype, np.dtype):
        return pd.Series(values.fillna("").unique())
    return pd.Series(pd.unique(values.astype(object).where(values.notna(), "").to_numpy()))


def _officials(tables: Mapping[str, pd.DataFrame], crosswalk: pd.DataFrame | None) -> pd.DataFrame:
    officials = tables.get("officials")
    if officials is None or officials.empty:
        return pd.DataFrame(columns=["person", "village_code", "position", "name"])
    ids = officials["id_number"].astype(object).where(officials["id_number"].notna(), "")
    if crosswalk is not None and "_key" in officials.columns and not crosswalk.empty:
        chosen = (crosswalk["source_table"] == "officials") & (crosswalk["column"] == "id_number")
        links = crosswalk.loc[chosen.to_numpy(dtype=bool), ["source_key", "person_id"]]
        mapping = pd.Series(links["person_id"].to_numpy(), index=links["source_key"].to_numpy())
        resolved = mapped(officials["_key"].astype(str), mapping)  # the first link wins
        ids = resolved.where(resolved.notna(), ids)
    frame = pd.DataFrame(
        {
            "person": "person:" + ids.astype(str),
            "village_code": officials.get("village_code", pd.Series("", index=officials.index))
            .astype(object)
            .fillna("")
            .astype(str),
            "position": officials.get("position", pd.Series("", index=officials.index))
            .astype(object)
            .fillna("")
            .astype(str),
            "name": officials.get("name", pd.Series("", index=officials.index))
            .astype(object)
            .fillna("")
            .astype(str),
        }
    )
    frame = frame[ids.astype(str).to_numpy() != ""]
    # one search per person (in order of first appearance): the first row's village and
    # name, the distinct posts joined for the path text
    people: dict[str, tuple[str, dict[str, None], str]] = {}
    columns = [frame[c].tolist() for c in ("person", "village_code", "position", "name")]
    for person, village, position, name in zip(*columns, strict=True):
        if person in people:
            people[person][1][position] = None
        else:
            people[person] = (village, {position: None}, name)
    rows = [(p, v, "、".join(posts), n) for p, (v, posts, n) in people.items()]
    return pd.DataFrame(rows, columns=["person", "village_code", "position", "name"])


def official_links(
    graph: nx.MultiGraph,
    tables: Mapping[str, pd.DataFrame],
    config: Mapping[str, Any] | None = None,
    crosswalk: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Shortest relationship paths from every official to beneficiaries, payees, contractors.

    Parameters
    ----------
    graph : MultiGraph
        From :func:`riskmodel.graph.build_graph`.
    tables : mapping
        Loaded tables (``officials`` is read).
    config : mapping, optional
        Full configuration (``graph.paths``: max_hops, edge_kinds, max_hub_degree, scopes).
    crosswalk : DataFrame, optional
        To resolve officials' mistyped IDs as the graph did.

    Returns
    -------
    DataFrame
        ``official_id``, ``target_type`` (beneficiary | payee | contractor), ``target_id``
        (id_number or credit code), ``hops`` (0 = the official), ``relations`` (edge labels,
        ``;``), ``path_text`` (spelled out:
        ``村主任 王某 —配偶— 李某 —股东— 某建材公司 —中标— 某道路项目``), ``path_ids``
        (identifiers along the path, ``;``).
    """
    with paused_gc():
        return _official_links(graph, tables, config, crosswalk)


def _official_links(
    graph: nx.MultiGraph,
    tables: Mapping[str, pd.DataFrame],
    config: Mapping[str, Any] | None,
    crosswalk: pd.DataFrame | None,
) -> pd.DataFrame:
    settings = graph_settings(config)["paths"]
    if isinstance(graph, TableGraph):
        return _table_links(graph, tables, settings, crosswalk)
    max_hops = int(settings["max_hops"])
    adjacency, found = _scan(graph, settings["edge_kinds"])
    beneficiaries, payees, contracts, project_village = found
    if not beneficiaries and "payments" in tables:
        # a graph built for paths only has no ``receives`` edges: read them from payments
        beneficiaries = paid_people(tables["payments"], crosswalk)
    rows: list[tuple] = []
    for official in _officials(tables, crosswalk).itertuples(index=False):
        if official.person not in graph:
            continue
        seen = bounded_paths(adjacency, official.person, max_hops, int(settings["max_hub_degree"]))
        title = f"{official.position} {official.name}".strip()
        for node, (_, _, hops) in seen.items():
            kinds_of_target = _target_kinds(
                official,
                node,
                node in beneficiaries,
                node in payees,
                (payees, contracts, project_village),
                settings,
            )
            if not kinds_of_target:
                continue
            nodes, kinds = _walk(seen, node)
            steps = zip(nodes, nodes[1:], kinds, strict=False)
            labels = [edge_label(graph, a, b, k) for a, b, k in steps]
            names = [display_name(graph, n) for n in nodes]

            def contract_step(project: str, node: str = node) -> tuple[str, str]:
                return edge_label(graph, node, project, "contracted"), display_name(graph, project)

            rows.extend(
                _link_rows(
                    official, title, nodes, hops, labels, names, kinds_of_target, contract_step
                )
            )
    return _links_frame(rows)


def _target_kinds(
    official: Any,
    node: str,
    is_beneficiary: bool,
    is_payee: bool,
    found: tuple[Mapping[str, Any], Mapping[str, Any], Mapping[str, str]],
    settings: Mapping[str, Any],
) -> list[tuple[str, str | None]]:
    """What ``node`` is to the official, as (target type, project or None): a beneficiary,
    a payee (in the official's village unless the scope is the county), the contractor of
    a project (likewise)."""
    payees, contracts, project_village = found
    kinds_of_target: list[tuple[str, str | None]] = []
    if is_beneficiary:
        kinds_of_target.append(("beneficiary", None))
    if is_payee and (settings["payee_scope"] == "county" or official.village_code in payees[node]):
        kinds_of_target.append(("payee", None))
    for project in contracts.get(node, ()):
        if (
            settings["contractor_scope"] == "county"
            or project_village.get(project, "") == official.village_code
        ):
            kinds_of_target.append(("contractor", project))
    return kinds_of_target


def _link_rows(
    official: Any,
    title: str,
    nodes: list[str],
    hops: int,
    labels: list[str],
    names: list[str],
    kinds_of_target: list[tuple[str, str | None]],
    contract_step: Callable[[str], tuple[str, str]],
) -> list[tuple]:
    """The official-link rows of one path (one per kind of target): the edge labels, the
    spelled-out path and the identifiers along it, a contract's last step added by
    ``contract_step(project)`` -> (edge label, project name)."""
    text = [title or names[0]]
    for label, name in zip(labels, names[1:], strict=True):
        text.append(f"—{label}— {name}")
    path_ids = [node_value(n) for n in nodes]
    rows = []
    for target_type, project in kinds_of_target:
        path_labels = list(labels)
        path_text = " ".join(text)
        ids = path_ids
        if project is not None:
            contract_label, project_name = contract_step(project)
            path_labels.append(contract_label)
            path_text += f" —{contract_label}— {project_name}"
            ids = [*path_ids, node_value(project)]
        rows.append(
            (
                node_value(official.person),
                target_type,
                node_value(nodes[-1]),
                hops,
                ";".join(path_labels),
                path_text,
                ";".join(ids),
            )
        )
    return rows


def _table_links(
    graph: TableGraph,
    tables: Mapping[str, pd.DataFrame],
    settings: Mapping[str, Any],
    crosswalk: pd.DataFrame | None,
) -> pd.DataFrame:
    """:func:`official_links` on a :class:`TableGraph`, the same rows in the same order: the
    searches run on integer node codes; node ids, names and labels are read only for the
    nodes on the paths written."""
    paths = graph.path_adjacency(settings["edge_kinds"])
    beneficiaries, payees, contracts, project_village = graph.targets()
    if not beneficiaries and "payments" in tables:
        beneficiaries = _paid_people(tables["payments"], crosswalk)
    is_beneficiary = set(np.flatnonzero(graph.member_mask(beneficiaries)).tolist())
    is_payee = set(np.flatnonzero(graph.member_mask(payees)).tolist())
    targets = is_beneficiary | is_payee | set(np.flatnonzero(graph.member_mask(contracts)).tolist())
    adjacency = _CodeAdjacency(paths)
    search = _CodeSearch(graph)
    max_hops, max_hub = int(settings["max_hops"]), int(settings["max_hub_degree"])
    projects = list(dict.fromkeys(p for listed in contracts.values() for p in listed))
    search.known.update(zip(projects, graph.codes_of(projects).tolist(), strict=True))
    officials = _officials(tables, crosswalk)
    starts = graph.codes_of(officials["person"].tolist())
    rows: list[tuple] = []
    for official, start in zip(officials.itertuples(index=False), starts.tolist(), strict=True):
        if start < 0:
            continue
        seen = adjacency.search(start, max_hops, max_hub)
        title = f"{official.position} {official.name}".strip()
        for code, (_, _, hops) in seen.items():
            if code not in targets:
                continue
            node = search.node(code)
            kinds_of_target = _target_kinds(
                official,
                node,
                code in is_beneficiary,
                code in is_payee,
                (payees, contracts, project_village),
                settings,
            )
            if not kinds_of_target:
                continue
            codes, kinds = _walk(seen, code)
            nodes = [search.node(c) for c in codes]
            steps = zip(codes, codes[1:], kinds, strict=False)
            labels = [search.label(a, b, adjacency.kinds[k]) for a, b, k in steps]
            names = [search.display(c) for c in codes]

            def contract_step(project: str, code: int = code) -> tuple[str, str]:
                project_code = search.code(project)
                return (
                    search.label(code, project_code, "contracted", project),
                    search.display(project_code, project),
                )

            rows.extend(
                _link_rows(
                    official, title, nodes, hops, labels, names, kinds_of_target, contract_step
                )
            )
    return _links_frame(rows)


def _links_frame(rows: list[tuple]) -> pd.DataFrame:
    """The official-link rows as a frame, each path to a target once."""
    links = pd.DataFrame(rows, columns=OFFICIAL_LINK_COLUMNS)
    links["hops"] = links["hops"].astype(int)
    return links.drop_duplicates(["official_id", "target_type", "target_id", "path_ids"])


class _CodeAdjacency:
    """A :class:`~riskmodel.graph.tables.PathAdjacency` searched on node codes (a node's
    neighbours become Python integers only when the node is expanded)."""

    def __init__(self, paths: Any):
        adjacency = paths._adjacency
        self.start = adjacency.start
        self.target = adjacency.target
        self.kind = adjacency.payload[0]
        self.kinds = paths._kinds.tolist()

    def get(self, node: int, default: Any = ()) -> _Neighbours:
        """The path edges of ``node`` (as ``adjacency.get`` for :func:`bounded_paths`)."""
        first, last = int(self.start[node]), int(self.start[node + 1])
        return _Neighbours(self.target[first:last], self.kind[first:last])

    def search(
        self, start: int, max_hops: int, max_hub_degree: int
    ) -> dict[int, tuple[int | None, int | None, int]]:
        """:func:`bounded_paths` on codes: code → (parent code, kind index, hops)."""
        return bounded_paths(self, start, max_hops, max_hub_degree)


class _Neighbours:
    """A node's neighbour codes and edge kind indexes: its degree without Python objects,
    the (neighbour, kind) pairs as Python integers only when iterated."""

    __slots__ = ("kinds", "targets")

    def __init__(self, targets: np.ndarray, kinds: np.ndarray) -> None:
        self.targets, self.kinds = targets, kinds

    def __len__(self) -> int:
        return len(self.targets)

    def __iter__(self):
        return zip(self.targets.tolist(), self.kinds.tolist(), strict=True)


class _CodeSearch:
    """Node ids, display names and edge labels of node codes, each read once (a code of -1,
    a node not in the graph, is named by the caller)."""

    def __init__(self, graph: TableGraph):
        self._graph = graph
        self._nodes: dict[int, str] = {}
        self._shown: dict[int, str] = {}
        self._labels: dict[tuple[int, int, str], str] = {}
        self.known: dict[str, int] = {}

    def node(self, code: int) -> str:
        if code not in self._nodes:
            self._nodes[code] = self._graph.node_id(code)
        return self._nodes[code]

    def code(self, node: str) -> int:
        if node not in self.known:
            self.known[node] = int(self._graph.codes_of([node])[0])
        return self.known[node]

    def display(self, code: int, node: str = "") -> str:
        if code < 0:
            return _display({}, node, self._graph.graph)
        if code not in self._shown:
            data = self._graph.node_data(code)
            self._shown[code] = _display(data, self.node(code), self._graph.graph)
        return self._shown[code]

    def label(self, a: int, b: int, kind: str, b_node: str = "") -> str:
        key = (a, b, kind)
        if b < 0:
            return _label({}, self.node(a), b_node, kind, self._graph.graph)
        if key not in self._labels:
            data = self._graph.edge_data(a, b, key=kind, columns=_LABEL_ATTRIBUTES) or {}
            self._labels[key] = _label(data, self.node(a), self.node(b), kind, self._graph.graph)
        return self._labels[key]


def accounts_for_many(
    graph: nx.MultiGraph, min_people: int = 2, min_households: int = 2
) -> pd.DataFrame:
    """Accounts paid for several people of different households.

    Returns
    -------
    DataFrame
        ``account_no``, ``holders`` (;), ``people`` (count), ``households`` (count),
        ``amount`` (yuan), ``person_ids`` (;), ``unrelated_pairs`` (pairs of the people
        without a kinship edge).
    """
    rows = []
    for node, data in graph.nodes(data=True):
        if data.get("kind") != "account":
            continue
        people = []
        holders = []
        amount = 0.0
        for neighbour, edges in graph.adj[node].items():
            if "paid_into" in edges:
                people.append(neighbour)
                amount += float(edges["paid_into"].get("amount", 0.0))
            if "holds_account" in edges:
                holders.append(node_value(neighbour))
                if "paid_amount" in edges["holds_account"]:  # the holder's own payments
                    people.append(neighbour)
                    amount += float(edges["holds_account"]["paid_amount"])
        if len(people) < min_people:
            continue
        households = {graph.nodes[p].get("household_id") or p for p in people}
        if len(households) < min_households:
            continue
        unrelated = sum(
            1
            for i, a in enumerate(people)
            for b in people[i + 1 :]
            if not graph.has_edge(a, b, key="relative_of")
        )
        rows.append(
            (
                node_value(node),
                ";".join(holders),
                len(people),
                len(households),
                amount,
                ";".join(node_value(p) for p in people),
                unrelated,
            )
        )
    columns = [
        "account_no",
        "holders",
        "people",
        "households",
        "amount",
        "person_ids",
        "unrelated_pairs",
    ]
    result = pd.DataFrame(rows, columns=columns)
    return result.sort_values(["households", "amount"], ascending=False).reset_index(drop=True)


# (table, entity column, entity type, attribute column, attribute kind)
SHARED_ATTRIBUTES: tuple[tuple[str, str, str, str, str], ...] = (
    ("accounts", "holder_id_number", "party", "account_no", "account"),
    ("payments", "id_number", "person", "account_no", "account"),
    ("officials", "id_number", "person", "account_no", "account"),
    ("accounts", "holder_id_number", "party", "phone", "phone"),
    ("residents", "id_number", "person", "phone", "phone"),
    ("officials", "id_number", "person", "phone", "phone"),
    ("companies", "credit_code", "company", "phone", "phone"),
    ("companies", "credit_code", "company", "address", "address"),
    ("bids", "bidder_code", "company", "contact_phone", "phone"),
    ("bids", "bidder_code", "company", "deposit_account", "account"),
)


def shared_clusters(
    tables: Mapping[str, pd.DataFrame],
    config: Mapping[str, Any] | None = None,
    kinds: Iterable[str] = ("account", "phone", "address"),
    min_shared: int | None = None,
) -> pd.DataFrame:
    """Clusters of people and firms linked by a shared account, phone or address.

    An attribute value used by at least ``min_shared`` distinct entities (default
    ``graph.clusters.min_shared``) links them; clusters are connected components.

    Returns
    -------
    DataFrame
        ``cluster_id``, ``entity_type`` (person | company), ``entity_id``, ``shared``
        (``kind:value`` the entity shares, masked for accounts; ``;``), ``cluster_size``.
    """
    min_shared = int(min_shared or graph_settings(config)["clusters"]["min_shared"])
    wanted = set(kinds)
    parts = []
    for table_name, entity_column, entity_type, attribute, kind in SHARED_ATTRIBUTES:
        table = tables.get(table_name)
        if kind not in wanted or table is None:
            continue
        if not {entity_column, attribute} <= set(table.columns):
            continue
        pairs = pd.DataFrame(
            {
                "entity": table[entity_column].astype(object).fillna("").astype(str),
                "value": table[attribute].astype(object).fillna("").astype(str).str.strip(),
            }
        )
        pairs = pairs[(pairs["entity"] != "") & (pairs["value"] != "")]
        if entity_type == "party":
            is_company = ~pairs["entity"].str.fullmatch(r"[0-9]{17}[0-9X]").fillna(False)
            pairs["type"] = np.where(is_company, "company", "person")
        else:
            pairs["type"] = entity_type
        pairs["kind"] = kind
        parts.append(pairs.drop_duplicates())
    columns = ["cluster_id", "entity_type", "entity_id", "shared", "cluster_size"]
    if not parts:
        return pd.DataFrame(columns=columns)
    links = pd.concat(parts, ignore_index=True).drop_duplicates()
    links["attribute"] = links["kind"] + ":" + links["value"]
    links["node"] = links["type"] + ":" + links["entity"]
    counts = links.groupby("attribute")["node"].nunique()
    links = links[links["attribute"].map(counts) >= min_shared]
    if links.empty:
        return pd.DataFrame(columns=columns)
    graph = nx.Graph()
    graph.add_edges_from(zip(links["node"], links["attribute"], strict=True))
    rows = []
    components = sorted(
        (c for c in nx.connected_components(graph)), key=lambda c: (-len(c), min(c))
    )
    for number, component in enumerate(components, start=1):
        members = sorted(n for n in component if n.split(":", 1)[0] in ("person", "company"))
        for member in members:
            shared = sorted(_mask_attribute(a) for a in graph.adj[member])
            rows.append(
                (
                    f"C{number:05d}",
                    member.split(":", 1)[0],
                    node_value(member),
                    ";".join(shared),
                    len(members),
                )
            )
    return pd.DataFrame(rows, columns=columns)


def _mask_attribute(attribute: str) -> str:
    kind, value = attribute.split(":", 1)
    if kind == "account":
        return f"account:{mask_account(value)}"
    if kind == "phone":
        return f"phone:{mask_phone(value)}"
    return attribute


def shared_account_clusters(
    tables: Mapping[str, pd.DataFrame],
    config: Mapping[str, Any] | None = None,
    min_shared: int | None = None,
) -> pd.DataFrame:
    """:func:`shared_clusters` on accounts only."""
    return shared_clusters(tables, config, kinds=("account",), min_shared=min_shared)


def ego_network(
    graph: nx.MultiGraph,
    node: str,
    radius: int = 2,
    config: Mapping[str, Any] | None = None,
    max_nodes: int | None = None,
) -> nx.MultiGraph:
    """The neighbourhood of ``node`` within ``radius`` hops, as a subgraph (a copy).

    Nodes of the configured ``graph.view.stop_kinds`` (village, town, program, post) are
    included but not expanded, so an ego network stays readable; at most ``max_nodes``
    nodes, nearest first.
    """
    if node not in graph:
        raise KeyError(f"no node {node!r} in the graph")
    settings = graph_settings(config)["view"]
    stop = set(settings["stop_kinds"])
    limit = int(max_nodes or settings["max_nodes"])
    seen = {node: 0}
    queue = deque([node])
    while queue and len(seen) < limit:
        current = queue.popleft()
        if seen[current] >= radius:
            continue
        if current != node and graph.nodes[current].get("kind") in stop:
            continue
        for neighbour in graph.adj[current]:
            if neighbour not in seen:
                seen[neighbour] = seen[current] + 1
                queue.append(neighbour)
                if len(seen) >= limit:
                    break
    sub = graph.subgraph(seen).copy()
    for member, hops in seen.items():
        sub.nodes[member]["hops"] = hops
    return sub
