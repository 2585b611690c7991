"""An offline, interactive view of a small graph (an ego network or a cluster).

:func:`graph_html` returns a self-contained HTML fragment — inline SVG plus a few lines of
inline JavaScript, nothing loaded from the network — for the HTML report; :func:`show_graph`
wraps it in an ``IPython.display.HTML`` object for notebooks. Hovering a node highlights its
edges and shows its details; the mouse wheel zooms and dragging pans. Labels are names and
relation words (Chinese renders with the reader's system fonts); identifiers are masked.
"""

from __future__ import annotations

import html
import itertools
import json
from collections.abc import Mapping
from typing import Any

import networkx as nx

from riskmodel.graph.queries import display_name, edge_label, node_value
from riskmodel.ids import mask_account, mask_id

KIND_COLOURS: dict[str, str] = {
    "person": "#4e79a7",
    "household": "#a0cbe8",
    "village": "#59a14f",
    "town": "#8cd17d",
    "post": "#b6992d",
    "program": "#f28e2b",
    "account": "#e15759",
    "company": "#76b7b2",
    "project": "#b07aa1",
}

EDGE_COLOURS: dict[str, str] = {
    "relative_of": "#d62728",
    "owns": "#17becf",
    "represents": "#17becf",
    "officer_of": "#17becf",
    "holds_account": "#e15759",
    "paid_into": "#ff9da7",
    "contracted": "#b07aa1",
}

_SHOWN_ATTRIBUTES = (
    "position",
    "category",
    "village_code",
    "household_type",
    "town_name",
    "amount",
    "payments",
    "months",
    "contract_amount",
    "budget",
    "status",
    "bank",
)

_counter = itertools.count(1)


def _masked_identifier(node: str, kind: str) -> str:
    value = node_value(node)
    if kind == "person":
        return mask_id(value)
    if kind == "account":
        return mask_account(value)
    return value


def _tooltip(graph: nx.MultiGraph, node: str) -> str:
    data = graph.nodes[node]
    kind = data.get("kind", node.split(":", 1)[0])
    label = data.get("label_zh") or graph.graph.get("node_kinds", {}).get(kind, kind)
    lines = [f"{label}：{display_name(graph, node)}"]
    lines.append(f"编号：{_masked_identifier(node, kind)}")
    if data.get("is_official"):
        lines.append("公职人员/村干部")
    for attribute in _SHOWN_ATTRIBUTES:
        if attribute in data:
            lines.append(f"{attribute}：{data[attribute]}")
    return "\n".join(lines)


def graph_html(
    graph: nx.MultiGraph,
    title: str = "",
    highlight: str | None = None,
    width: int = 900,
    height: int = 600,
    seed: int = 7,
) -> str:
    """A self-contained HTML fragment (``<div>`` with inline SVG and script) drawing ``graph``.

    Parameters
    ----------
    graph : MultiGraph
        A small graph (an ego network); a few hundred nodes at most.
    title : str
        Caption above the drawing.
    highlight : str, optional
        A node drawn larger with a black ring (the centre of an ego network).
    """
    element = f"rm-graph-{next(_counter)}"
    if graph.number_of_nodes() == 0:
        return f'<div id="{element}" class="rm-graph"><p>（无可显示的关系）</p></div>'
    positions = nx.spring_layout(nx.Graph(graph), seed=seed, k=None, iterations=80)
    margin = 40
    xs = [p[0] for p in positions.values()]
    ys = [p[1] for p in positions.values()]
    span_x = (max(xs) - min(xs)) or 1.0
    span_y = (max(ys) - min(ys)) or 1.0

    def place(node: str) -> tuple[float, float]:
        x, y = positions[node]
        return (
            margin + (x - min(xs)) / span_x * (width - 2 * margin),
            margin + (y - min(ys)) / span_y * (height - 2 * margin),
        )

    index = {node: i for i, node in enumerate(graph.nodes)}
    parts = [
        f'<div id="{element}" class="rm-graph" style="font-family:sans-serif">',
        f'<div style="font-weight:bold;margin:4px 0">{html.escape(title)}</div>' if title else "",
        f'<svg viewBox="0 0 {width} {height}" width="100%" style="max-width:{width}px;'
        'border:1px solid #ddd;background:#fff;cursor:grab" xmlns="http://www.w3.org/2000/svg">',
        '<g class="rm-zoom">',
    ]
    for u, v, kind in graph.edges(keys=True):
        x1, y1 = place(u)
        x2, y2 = place(v)
        colour = EDGE_COLOURS.get(kind, "#bbbbbb")
        label = html.escape(edge_label(graph, u, v, kind))
        parts.append(
            f'<g class="rm-edge" data-a="{index[u]}" data-b="{index[v]}">'
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" '
            f'stroke="{colour}" stroke-width="1.5"><title>{label}</title></line>'
            f'<text x="{(x1 + x2) / 2:.1f}" y="{(y1 + y2) / 2:.1f}" font-size="9" '
            f'fill="#666" text-anchor="middle">{label}</text></g>'
        )
    for node, data in graph.nodes(data=True):
        x, y = place(node)
        kind = data.get("kind", node.split(":", 1)[0])
        colour = KIND_COLOURS.get(kind, "#999999")
        radius = 11 if node == highlight else 7
        ring = ' stroke="#000" stroke-width="2.5"' if node == highlight else ' stroke="#fff"'
        if data.get("is_official") and node != highlight:
            ring = ' stroke="#b8860b" stroke-width="2.5"'
        parts.append(
            f'<g class="rm-node" data-i="{index[node]}">'
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{radius}" fill="{colour}"{ring}>'
            f"<title>{html.escape(_tooltip(graph, node))}</title></circle>"
            f'<text x="{x + radius + 2:.1f}" y="{y + 4:.1f}" font-size="11">'
            f"{html.escape(display_name(graph, node))}</text></g>"
        )
    parts.append("</g></svg>")
    present = sorted({d.get("kind", "") for _, d in graph.nodes(data=True)})
    legend = " ".join(
        f'<span style="color:{KIND_COLOURS.get(k, "#999")}">●</span>{html.escape(_kind_label(k))}'
        for k in present
    )
    parts.append(f'<div style="font-size:12px;margin-top:4px">{legend}</div>')
    parts.append(_SCRIPT.replace("__ID__", json.dumps(element)))
    parts.append("</div>")
    return "".join(parts)


def _kind_label(kind: str) -> str:
    from riskmodel.graph.kinds import label_of

    return label_of(kind)[0]


_SCRIPT = """<script>(function(){
var root=document.getElementById(__ID__);if(!root)return;
var svg=root.querySelector('svg'),zoom=root.querySelector('.rm-zoom');
var vb=svg.viewBox.baseVal,drag=null;
svg.addEventListener('wheel',function(e){e.preventDefault();
var f=e.deltaY>0?1.15:1/1.15,r=svg.getBoundingClientRect();
var mx=vb.x+(e.clientX-r.left)/r.width*vb.width,my=vb.y+(e.clientY-r.top)/r.height*vb.height;
vb.x=mx-(mx-vb.x)*f;vb.y=my-(my-vb.y)*f;vb.width*=f;vb.height*=f;},{passive:false});
svg.addEventListener('mousedown',function(e){drag=[e.clientX,e.clientY];});
window.addEventListener('mouseup',function(){drag=null;});
svg.addEventListener('mousemove',function(e){if(!drag)return;var r=svg.getBoundingClientRect();
vb.x-=(e.clientX-drag[0])/r.width*vb.width;vb.y-=(e.clientY-drag[1])/r.height*vb.height;
drag=[e.clientX,e.clientY];});
root.querySelectorAll('.rm-node').forEach(function(n){var i=n.getAttribute('data-i');
n.addEventListener('mouseenter',function(){root.querySelectorAll('.rm-edge').forEach(function(g){
var on=g.getAttribute('data-a')==i||g.getAttribute('data-b')==i;
g.style.opacity=on?1:0.15;});});
n.addEventListener('mouseleave',function(){root.querySelectorAll('.rm-edge').forEach(function(g){
g.style.opacity=1;});});});
})();</script>"""


def show_graph(graph: nx.MultiGraph, title: str = "", highlight: str | None = None, **options):
    """The view as an ``IPython.display.HTML`` object (displays inline in a notebook)."""
    from IPython.display import HTML

    return HTML(graph_html(graph, title=title, highlight=highlight, **options))


def ego_view(
    graph: nx.MultiGraph,
    node: str,
    radius: int = 2,
    config: Mapping[str, Any] | None = None,
    title: str | None = None,
) -> str:
    """HTML fragment of ``node``'s ego network (for the report)."""
    from riskmodel.graph.queries import ego_network

    ego = ego_network(graph, node, radius, config)
    caption = title if title is not None else f"{display_name(graph, node)} 的关系网络"
    return graph_html(ego, title=caption, highlight=node)


def draw_graph(graph: nx.MultiGraph, path: str, highlight: str | None = None, seed: int = 7):
    """A static PNG/SVG drawing with matplotlib and the bundled CJK font (for workbooks)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    font = _cjk_font()
    if font:
        font_manager.fontManager.addfont(font)
        family = font_manager.FontProperties(fname=font).get_name()
    else:
        family = None
    positions = nx.spring_layout(nx.Graph(graph), seed=seed)
    figure, axes = plt.subplots(figsize=(9, 6))
    colours = [KIND_COLOURS.get(d.get("kind", ""), "#999") for _, d in graph.nodes(data=True)]
    nx.draw_networkx_edges(nx.Graph(graph), positions, ax=axes, edge_color="#bbb")
    nx.draw_networkx_nodes(
        graph,
        positions,
        ax=axes,
        node_color=colours,
        node_size=[260 if n == highlight else 120 for n in graph.nodes],
    )
    labels = {n: display_name(graph, n) for n in graph.nodes}
    nx.draw_networkx_labels(
        graph, positions, labels, ax=axes, font_size=8, font_family=family or "sans-serif"
    )
    edge_labels = {(u, v): edge_label(graph, u, v, k) for u, v, k in graph.edges(keys=True)}
    nx.draw_networkx_edge_labels(
        nx.Graph(graph),
        positions,
        edge_labels,
        ax=axes,
        font_size=7,
        font_family=family or "sans-serif",
    )
    axes.set_axis_off()
    figure.savefig(path, bbox_inches="tight", dpi=120)
    plt.close(figure)
    return path


def _cjk_font() -> str | None:
    """Path of the Noto Sans CJK SC font shipped with mplfonts, if installed."""
    try:
        import mplfonts
    except ImportError:  # pragma: no cover - a declared dependency
        return None
    from pathlib import Path

    for candidate in Path(mplfonts.__file__).parent.rglob("NotoSansCJKsc-Regular.otf"):
        return str(candidate)
    return None
