"""The relationship graph kept as tables, queried without building ``networkx`` objects.

:func:`riskmodel.graph.build.graph_tables` gives node and edge frames by kind; the job saves
them as Parquet. :class:`TableGraph` indexes them once (integer node codes, a compressed
adjacency over both directions) and offers the part of the ``networkx`` interface the path
queries, ego networks and report use: ``node in graph``, ``graph.nodes[node]``,
``graph.adj[node]``, ``graph.get_edge_data(a, b, key=kind)``, ``graph.graph`` (kind labels)
and ``graph.subgraph(nodes)`` (a real ``networkx.MultiGraph`` of those nodes, with all their
attributes). A county's path graph is indexed in seconds; nothing is pickled.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from functools import cached_property
from typing import Any

import networkx as nx
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from riskmodel.frames import isin
from riskmodel.graph.build import (
    _arrow_strings,
    _native_column,
    _scalar,
    factorized,
    graph_from_tables,
    graph_meta,
)
from riskmodel.graph.kinds import EDGE_KINDS, NODE_KINDS

# edge columns that never become path labels (read lazily, only for subgraphs)
_BULKY = ("source_keys",)


class _Adjacency:
    """Integer CSR adjacency: for node code ``i``, entries ``start[i]:start[i + 1]``."""

    def __init__(self, size: int, source: np.ndarray, target: np.ndarray, *payload: np.ndarray):
        # a stable order by source: sorting unique keys (source, position) is much faster
        # than numpy's stable sort of 64-bit integers, and gives the same order
        positions = np.arange(len(source), dtype=np.int64)
        order = np.argsort(source.astype(np.int64) * max(len(source), 1) + positions)
        self.start = np.zeros(size + 1, dtype=np.int64)
        np.cumsum(np.bincount(source, minlength=size), out=self.start[1:])
        self.target = target[order]
        self.payload = [values[order] for values in payload]

    def span(self, code: int) -> tuple[int, int]:
        return int(self.start[code]), int(self.start[code + 1])

    def subset(self, keep: np.ndarray, *payload: np.ndarray) -> _Adjacency:
        """The entries where ``keep``, in their order (what building the adjacency of those
        entries alone gives, without sorting again), with ``payload`` of the kept entries."""
        part = object.__new__(_Adjacency)
        kept_before = np.concatenate([[0], np.cumsum(keep, dtype=np.int64)])
        part.start = kept_before[self.start]
        part.target = self.target[keep]
        part.payload = list(payload)
        return part


class _NodeView(Mapping[str, dict[str, Any]]):
    """``graph.nodes[node]`` → ``{"kind": …, "name": …}`` (the attributes paths print)."""

    def __init__(self, owner: TableGraph):
        self._owner = owner

    def __getitem__(self, node: str) -> dict[str, Any]:
        code = self._owner.code(node)
        if code < 0:
            raise KeyError(node)
        data = {"kind": self._owner.node_kind[code]}
        name = self._owner.node_name[code]
        if name:
            data["name"] = name
        return data

    def __iter__(self) -> Iterator[str]:
        return iter(self._owner.node_ids)

    def __len__(self) -> int:
        return len(self._owner.node_ids)


class _AdjView:
    """``graph.adj[node]`` → the distinct neighbours of ``node`` (every edge kind)."""

    def __init__(self, owner: TableGraph):
        self._owner = owner

    def __getitem__(self, node: str) -> dict[str, None]:
        code = self._owner.code(node)
        if code < 0:
            raise KeyError(node)
        start, end = self._owner.all_edges.span(code)
        names = self._owner.node_ids[self._owner.all_edges.target[start:end]]
        return dict.fromkeys(names.tolist())


class PathAdjacency:
    """Node → ``[(neighbour, edge kind)]`` over the path edge kinds, built on demand."""

    def __init__(self, owner: TableGraph, adjacency: _Adjacency, kinds: Sequence[str]):
        self._owner = owner
        self._adjacency = adjacency
        self._kinds = np.asarray(kinds, dtype=object)

    def get(self, node: str, default: Any = ()) -> Any:
        code = self._owner.code(node)
        if code < 0:
            return default
        start, end = self._adjacency.span(code)
        if start == end:
            return default
        names = self._owner.node_ids[self._adjacency.target[start:end]].tolist()
        kinds = self._kinds[self._adjacency.payload[0][start:end]].tolist()
        return list(zip(names, kinds, strict=True))

    def __contains__(self, node: str) -> bool:
        code = self._owner.code(node)
        return code >= 0 and self._adjacency.span(code)[0] < self._adjacency.span(code)[1]


def _declared_first(frames: Mapping[str, Any], kinds: Sequence[Mapping[str, Any]]) -> list[str]:
    """The keys of ``frames``: declared kinds in their declared order, then the others by
    name."""
    declared = [kind["kind"] for kind in kinds if kind["kind"] in frames]
    return declared + sorted(k for k in frames if k not in set(declared))


class TableGraph:
    """A read-only graph over :func:`~riskmodel.graph.build.graph_tables` output.

    Parameters
    ----------
    nodes, edges : mapping of kind → DataFrame
        Node and edge frames by kind (``graph_tables`` output, or the same read back from
        Parquet). Duplicate edges of one kind between the same two nodes count once, the
        last row's attributes win, as in the ``networkx`` graph.
    """

    def __init__(
        self,
        nodes: Mapping[str, pd.DataFrame],
        edges: Mapping[str, pd.DataFrame],
        node_kinds: Sequence[Mapping[str, Any]] = NODE_KINDS,
        edge_kinds: Sequence[Mapping[str, Any]] = EDGE_KINDS,
    ):
        self.graph = graph_meta(node_kinds, edge_kinds)
        # kinds in their declared order whatever order the mapping has (frames read back
        # from files come sorted by name): node codes, and so ties between equally short
        # paths, are the same for a graph built in memory and one read back
        self._node_frames = {
            k: nodes[k].reset_index(drop=True)
            for k in _declared_first(nodes, node_kinds)
            if len(nodes[k])
        }
        self._edge_frames = {
            k: edges[k].reset_index(drop=True)
            for k in _declared_first(edges, edge_kinds)
            if len(edges[k])
        }
        self.edge_kinds = list(self._edge_frames)
        self._index_nodes()
        self._index_edges()
        self._columns: dict[tuple[str, str], np.ndarray] = {}
        self._strings: dict[tuple[str, str], pa.ChunkedArray | None] = {}
        self._names: dict[tuple[str, tuple[str, ...] | None], list[str]] = {}
        self.nodes = _NodeView(self)
        self.adj = _AdjView(self)

    # ------------------------------------------------------------------ indexing
    def _index_nodes(self) -> None:
        """One factorisation of every node id (declared nodes, then edge ends); the Python
        objects per node (ids, lookup, kinds, names) are made on first use."""
        pieces = [frame["node"] for frame in self._node_frames.values()]
        for frame in self._edge_frames.values():
            pieces += [frame["u"], frame["v"]]
        if pieces:
            codes, self._dictionary = factorized(pieces)
        else:
            codes, self._dictionary = np.array([], dtype=np.int64), pa.array([], pa.large_string())
        size = len(self._dictionary)
        self._node_frame = np.full(size, -1, dtype=np.int64)
        self._node_row = np.full(size, -1, dtype=np.int64)
        self._node_frame_kinds = list(self._node_frames)
        self._node_codes = []
        self._frame_name_cache: dict[int, np.ndarray | None] = {}
        offset = 0
        for position, frame in enumerate(self._node_frames.values()):
            own = codes[offset : offset + len(frame)]
            offset += len(frame)
            self._node_frame[own] = position
            self._node_row[own] = np.arange(len(frame))
            self._node_codes.append(own)
        self._edge_codes = {}
        for kind, frame in self._edge_frames.items():
            size_of = len(frame)
            u = codes[offset : offset + size_of]
            v = codes[offset + size_of : offset + 2 * size_of]
            offset += 2 * size_of
            self._edge_codes[kind] = (np.asarray(u, np.int64), np.asarray(v, np.int64))

    @cached_property
    def node_ids(self) -> np.ndarray:
        """Node id of every code (Python strings)."""
        return self._dictionary.to_numpy(zero_copy_only=False).astype(object)

    @cached_property
    def _lookup(self) -> dict[str, int]:
        return dict(zip(self.node_ids.tolist(), range(len(self.node_ids)), strict=True))

    @cached_property
    def node_kind(self) -> np.ndarray:
        """Node kind of every code (from its node frame, else the id's prefix)."""
        kinds = np.asarray([*self._node_frame_kinds, ""], dtype=object)[self._node_frame]
        for code in np.flatnonzero(kinds == "").tolist():  # nodes only known from edges
            kinds[code] = self.node_id(code).split(":", 1)[0]
        return kinds

    @cached_property
    def node_name(self) -> np.ndarray:
        """Node name of every code, '' where none."""
        names = np.full(len(self._dictionary), "", dtype=object)
        for own, frame in zip(self._node_codes, self._node_frames.values(), strict=True):
            if "name" in frame:
                names[own] = _names(frame["name"])
        return names

    def node_id(self, code: int) -> str:
        """The node id of ``code``."""
        if "node_ids" in self.__dict__:
            return self.node_ids[code]
        return self._dictionary[code].as_py()

    def codes_of(self, nodes: Sequence[str]) -> np.ndarray:
        """The codes of ``nodes`` (-1 for those not in the graph), looked up in Arrow (one
        pass over the node ids, hashing only ``nodes``)."""
        wanted = pa.array(list(nodes), type=pa.large_string())
        found = pc.index_in(self._dictionary, value_set=wanted)
        codes = np.flatnonzero(found.is_valid().to_numpy(zero_copy_only=False))
        positions = found.drop_null().to_numpy(zero_copy_only=False)
        result = np.full(len(wanted), -1, dtype=np.int64)
        result[positions] = codes
        # a repeated node: every copy has the code of its first (index_in matches the first)
        first = pc.index_in(wanted, value_set=wanted).to_numpy(zero_copy_only=False)
        return result[first]

    def member_mask(self, nodes: Iterable[str] | pa.Array) -> np.ndarray:
        """Per code: whether its node id is one of ``nodes``."""
        if isinstance(nodes, pa.Array):
            values = nodes.cast(pa.large_string())
        else:
            values = pa.array(list(nodes), type=pa.large_string())
        found = pc.is_in(self._dictionary, value_set=values)
        return np.asarray(found.to_numpy(zero_copy_only=False), dtype=bool)

    def node_data(self, code: int) -> dict[str, Any]:
        """``graph.nodes[node]`` of a code: its kind and (when it has one) its name."""
        position = int(self._node_frame[code])
        if position < 0:
            return {"kind": self.node_id(code).split(":", 1)[0]}
        data = {"kind": self._node_frame_kinds[position]}
        names = self._frame_names(position)
        if names is not None:
            name = names[int(self._node_row[code])]
            if isinstance(name, pa.Scalar):
                name = name.as_py()
            if name:
                data["name"] = name
        return data

    def _frame_names(self, position: int) -> Any:
        """The names of node frame ``position`` (an Arrow array or Python strings, '' where
        missing), None without names."""
        if position not in self._frame_name_cache:
            frame = self._node_frames[self._node_frame_kinds[position]]
            names = None
            if "name" in frame:
                names = _arrow_strings(frame["name"])
                names = names.fill_null("") if names is not None else _names(frame["name"])
            self._frame_name_cache[position] = names
        return self._frame_name_cache[position]

    def _index_edges(self) -> None:
        size = len(self._dictionary)
        parts: list[tuple[np.ndarray, ...]] = [(np.array([], dtype=np.int64),) * 4]
        for kind_code, kind in enumerate(self.edge_kinds):
            u, v = self._edge_codes.pop(kind)
            low, high = np.minimum(u, v), np.maximum(u, v)
            # one edge per node pair and kind, the last row's attributes (networkx updates)
            pair = pd.Series(low * (size + 1) + high)
            rows = np.flatnonzero(~pair.duplicated(keep="last").to_numpy())
            parts.append((low[rows], high[rows], np.full(len(rows), kind_code), rows))
        columns = zip(*parts, strict=True)
        low, high, kinds, rows = (np.concatenate(c).astype(np.int64) for c in columns)
        self._edge_ends = (low, high, kinds, rows)
        self.all_edges = _Adjacency(
            size,
            np.concatenate([low, high]),
            np.concatenate([high, low]),
            np.concatenate([kinds, kinds]),
            np.concatenate([rows, rows]),
        )

    def code(self, node: str) -> int:
        """The integer code of ``node``, -1 when it is not in the graph."""
        return self._lookup.get(node, -1)

    # ------------------------------------------------------------------ networkx-like
    def __contains__(self, node: object) -> bool:
        return isinstance(node, str) and self.code(node) >= 0

    def __len__(self) -> int:
        return len(self._dictionary)

    def is_multigraph(self) -> bool:
        return True

    def number_of_edges(self) -> int:
        return len(self._edge_ends[0])

    def _column(self, kind: str, column: str) -> np.ndarray | None:
        key = (kind, column)
        if key not in self._columns:
            frame = self._edge_frames[kind]
            if column not in frame:
                return None
            values = np.empty(len(frame), dtype=object)
            values[:] = _native_column(frame[column])  # as the networkx graph stores them
            self._columns[key] = values
        return self._columns[key]

    def _cell(self, kind: str, column: str, row: int) -> Any:
        """``_column(kind, column)[row]``; a text column is read in Arrow at that row only."""
        key = (kind, column)
        if key not in self._columns:
            if key not in self._strings:
                self._strings[key] = _arrow_strings(self._edge_frames[kind][column])
            strings = self._strings[key]
            if strings is not None:
                return _scalar(strings[row].as_py())
        return self._column(kind, column)[row]

    def get_edge_data(
        self,
        a: str,
        b: str,
        key: str | None = None,
        default: Any = None,
        columns: Iterable[str] | None = None,
    ) -> dict[str, Any] | None:
        """The attributes of the ``key`` edge between ``a`` and ``b`` (any kind if None);
        only those named in ``columns`` if given (the others are not read)."""
        return self.edge_data(self.code(a), self.code(b), key, default, columns)

    def edge_data(
        self,
        code_a: int,
        code_b: int,
        key: str | None = None,
        default: Any = None,
        columns: Iterable[str] | None = None,
    ) -> dict[str, Any] | None:
        """:meth:`get_edge_data` of two node codes."""
        if code_a < 0 or code_b < 0:
            return default
        start, end = self.all_edges.span(code_a)
        kinds, rows = self.all_edges.payload
        hits = np.flatnonzero(self.all_edges.target[start:end] == code_b)
        wanted = None
        if key is not None:
            wanted = self.edge_kinds.index(key) if key in self.edge_kinds else -1
        for hit in hits[::-1]:
            kind_code = int(kinds[start + hit])
            if wanted is None or kind_code == wanted:
                kind = self.edge_kinds[kind_code]
                row = int(rows[start + hit])
                data = {}
                for column in self._attribute_names(kind, columns):
                    value = self._cell(kind, column, row)
                    if value is not None:
                        data[column] = value
                return data
        return default

    def _attribute_names(self, kind: str, columns: Iterable[str] | None) -> list[str]:
        """The edge attributes of ``kind`` read by :meth:`get_edge_data` (of ``columns``)."""
        key = (kind, None if columns is None else tuple(columns))
        if key not in self._names:
            wanted = None if columns is None else set(columns)
            self._names[key] = [
                c
                for c in self._edge_frames[kind].columns
                if c not in _BULKY and c not in ("u", "v") and (wanted is None or c in wanted)
            ]
        return self._names[key]

    def has_node(self, node: str) -> bool:
        return node in self

    def subgraph(self, nodes: Iterable[str]) -> nx.MultiGraph:
        """The ``networkx`` graph induced by ``nodes``, with every node and edge attribute."""
        codes = np.unique(np.asarray([self.code(n) for n in nodes], dtype=np.int64))
        codes = codes[codes >= 0]
        chosen = np.zeros(len(self.node_ids), dtype=bool)
        chosen[codes] = True
        node_frames = {}
        for position, kind in enumerate(self._node_frame_kinds):
            rows = self._node_row[codes[self._node_frame[codes] == position]]
            if len(rows):
                node_frames[kind] = self._node_frames[kind].iloc[np.sort(rows)]
        low, high, kinds, rows = self._edge_ends
        inside = chosen[low] & chosen[high]
        edge_frames = {}
        for kind_code, kind in enumerate(self.edge_kinds):
            picked = rows[inside & (kinds == kind_code)]
            if len(picked):
                edge_frames[kind] = self._edge_frames[kind].iloc[np.sort(picked)]
        graph = graph_from_tables(node_frames, edge_frames)
        graph.add_nodes_from(self.node_ids[codes].tolist())
        for node in graph.nodes:
            graph.nodes[node].setdefault("kind", node.split(":", 1)[0])
        return graph

    # ------------------------------------------------------------------ path queries
    def path_adjacency(self, edge_kinds: Iterable[str]) -> PathAdjacency:
        """Node → ``[(neighbour, kind)]`` restricted to ``edge_kinds`` (as networkx's scan)."""
        wanted = [k for k in self.edge_kinds if k in set(edge_kinds)]
        codes = np.asarray([self.edge_kinds.index(k) for k in wanted], dtype=np.int64)
        kinds = self.all_edges.payload[0]
        keep = np.isin(kinds, codes)
        local = np.searchsorted(codes, kinds[keep])  # codes ascend with self.edge_kinds
        return PathAdjacency(self, self.all_edges.subset(keep, local), wanted)

    def targets(self) -> tuple[set[str], dict[str, set[str]], dict[str, list[str]], dict[str, str]]:
        """Beneficiaries, payees by village, contractors' projects, project villages."""
        beneficiaries: set[str] = set()
        payees: dict[str, set[str]] = {}
        contracts: dict[str, list[str]] = {}
        project_village: dict[str, str] = {}
        if "receives" in self._edge_frames:
            ends = self._ends("receives", "person:")
            beneficiaries = set(ends[0].tolist())
        if "paid_to" in self._edge_frames:
            villages, parties = self._ends("paid_to", "village:")
            pairs = pd.DataFrame({"party": parties, "village": villages}).drop_duplicates()
            values = pairs["village"].str.split(":", n=1).str[1]
            for party, village in zip(pairs["party"].tolist(), values.tolist(), strict=True):
                payees.setdefault(party, set()).add(village)
        if "contracted" in self._edge_frames:
            companies, projects = self._ends("contracted", "company:")
            for company, project in zip(companies.tolist(), projects.tolist(), strict=True):
                contracts.setdefault(company, []).append(project)
        if "project_in" in self._edge_frames:
            projects, villages = self._ends("project_in", "project:")
            for project, village in zip(projects.tolist(), villages.tolist(), strict=True):
                project_village[project] = village.split(":", 1)[1]
        return beneficiaries, payees, contracts, project_village

    def _ends(self, kind: str, prefix: str) -> tuple[np.ndarray, np.ndarray]:
        """The two ends of ``kind`` edges, the one starting with ``prefix`` first."""
        frame = self._edge_frames[kind]
        u = frame["u"].astype(object).to_numpy()
        v = frame["v"].astype(object).to_numpy()
        first = frame["u"].astype(str).str.startswith(prefix).to_numpy(dtype=bool)
        return np.where(first, u, v), np.where(first, v, u)


def _names(names: pd.Series) -> np.ndarray:
    """Node names as Python strings, '' where missing."""
    if isinstance(names.dtype, pd.StringDtype) and names.dtype.storage == "pyarrow":
        text = pa.chunked_array(pa.array(names.array)).fill_null("")
        return text.to_numpy(zero_copy_only=False).astype(object)
    return names.astype(object).where(names.notna(), "").astype(str).to_numpy(dtype=object)


def neighbourhood(
    edges: Mapping[str, pd.DataFrame],
    centres: Iterable[str],
    radius: int,
    stop_kinds: Iterable[str] = (),
) -> tuple[set[str], dict[str, pd.DataFrame]]:
    """Nodes within ``radius`` hops of ``centres`` and the edge rows among them.

    Expands as :func:`riskmodel.graph.ego_network` does (nodes of ``stop_kinds`` are reached
    but not crossed, a centre always is), with one Arrow membership test per edge kind and
    hop instead of an index over the whole graph: the report cuts its few relationship views
    out of a county's edge tables this way.
    """
    stop = set(stop_kinds)
    start = [c for c in dict.fromkeys(centres) if c]
    seen: set[str] = set(start)
    frontier = list(start)
    for _ in range(radius):
        crossing = [n for n in frontier if n in start or n.split(":", 1)[0] not in stop]
        if not crossing:
            break
        reached: set[str] = set()
        for frame in edges.values():
            u, v = frame["u"], frame["v"]
            reached.update(v[isin(u, crossing)].tolist())
            reached.update(u[isin(v, crossing)].tolist())
        frontier = sorted(reached - seen)
        seen.update(frontier)
    chosen = list(seen)
    among = {}
    for kind, frame in edges.items():
        inside = isin(frame["u"], chosen) & isin(frame["v"], chosen)
        if inside.any():
            among[kind] = frame[inside]
    return seen, among
