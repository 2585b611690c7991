"""Public disclosure lists (数据公开公示): per village, who received what in the period.

A public notice is not an inspection workbook: names keep their first and last character
(``张*明``), ID numbers only a few characters (``35*************123``), account numbers and
phones never appear, whatever the run's privacy setting. One printable HTML page per village
(``disclosure/<village_code>.html``) plus an index, sharing one local font subset
(``disclosure/cjk-subset.otf``) so the pages print in Chinese on any machine.
"""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from riskmodel.entities.normalise import text_array
from riskmodel.report.fonts import FONT_FAMILY, font_face_css, subset_font
from riskmodel.report.places import village_names

FONT_NAME = "cjk-subset.otf"
# the fixed wording of the notices (its glyphs go into the font subset)
FIXED_TEXT = (
    "惠民惠农补贴发放公示索引合计人序号姓名身份证号发放次数金额（元）条公示期天。"
    "如有异议，请在公示期内向村务监督委员会或乡镇反映。监督举报电话：未注明村"
)

CSS = """
body{font-family:'%s',sans-serif;margin:24px;color:#000}
h1{text-align:center;font-size:22px}h2{font-size:17px;margin-top:18px}
table{border-collapse:collapse;width:100%%;font-size:13px;margin-bottom:8px}
th,td{border:1px solid #444;padding:3px 6px}td.num{text-align:right}
tr.total td{font-weight:bold}.foot{margin-top:18px;font-size:13px}
@media print{body{margin:10mm}h2{page-break-after:avoid}table{page-break-inside:auto}}
"""


def mask_name(name: Any) -> str:
    """A name as public notices show it: ``张三`` → ``张*``, ``张小明`` → ``张*明``."""
    if not isinstance(name, str) or not name.strip():
        return ""
    name = name.strip()
    if len(name) <= 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_public_id(value: Any, keep_prefix: int = 2, keep_suffix: int = 3) -> str:
    """An ID number as public notices show it (``35*************123`` by default)."""
    if not isinstance(value, str) or len(value) <= keep_prefix + keep_suffix:
        return ""
    return (
        value[:keep_prefix] + "*" * (len(value) - keep_prefix - keep_suffix) + value[-keep_suffix:]
    )


def disclosure_table(
    payments: pd.DataFrame, settings: dict[str, Any], start: Any = None, end: Any = None
) -> pd.DataFrame:
    """The public rows: village, program, masked name and ID, amount summed per person.

    Parameters
    ----------
    payments
        The loaded payments table.
    settings
        ``config['pipeline']['disclosure']``.
    start, end
        The period's first and last day (inclusive); ``None`` = no bound.
    """
    wanted = ["pay_date", "status", "program_name", "program_code", "village_code"]
    wanted += ["id_number", "name", "amount"]
    rows = payments[[c for c in wanted if c in payments.columns]]  # filter these columns only
    keep = pd.Series(True, index=rows.index)
    if "pay_date" in rows.columns:
        dates = pd.to_datetime(rows["pay_date"], errors="coerce")
        if start is not None:
            keep &= dates >= pd.Timestamp(start)
        if end is not None:
            keep &= dates <= pd.Timestamp(end)
    if "status" in rows.columns:
        keep &= rows["status"].fillna("").isin(settings["paid_statuses"])
    rows = rows[keep]
    program = "program_name" if "program_name" in rows.columns else "program_code"
    village = rows["village_code"] if "village_code" in rows.columns else pd.Series("", rows.index)
    table = pd.DataFrame(
        {
            "village_code": village.fillna("").astype(str),
            "program": rows[program].fillna("").astype(str),
            "id_number": rows["id_number"].fillna("").astype(str),
            "name": rows["name"].fillna("").astype(str),
            "amount": rows["amount"].astype(float),
        }
    )
    grouped = (
        table.groupby(["village_code", "program", "id_number", "name"], sort=True, observed=True)
        .agg(amount=("amount", "sum"), times=("amount", "size"))
        .reset_index()
    )
    grouped["name"] = mask_names(grouped["name"])
    grouped["id_number"] = mask_public_ids(
        grouped["id_number"], settings["id_keep_prefix"], settings["id_keep_suffix"]
    )
    return grouped


def _per_distinct(values: pd.Series, function: Any) -> pd.Series:
    """``values.map(function)`` computed once per distinct value."""
    text = isinstance(values.dtype, pd.StringDtype)  # hashed in Arrow, no object per row
    codes, uniques = pd.factorize(values if text else values.astype(object))
    done = pd.Series([function(u) for u in uniques] + [""], dtype=object)
    return pd.Series(done.to_numpy()[codes], index=values.index, dtype=object)


def mask_public_ids(values: pd.Series, keep_prefix: int = 2, keep_suffix: int = 3) -> pd.Series:
    """:func:`mask_public_id` of a whole column (in Arrow, once per distinct value)."""
    text, codes = _distinct_text(values)
    length = pc.utf8_length(text)
    hidden = pc.max_element_wise(pc.subtract(length, keep_prefix + keep_suffix), 0)
    masked = pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(text, 0, keep_prefix),
        pc.binary_repeat(_STAR, hidden),
        pc.utf8_slice_codeunits(text, -keep_suffix) if keep_suffix else _NOTHING,
        _NOTHING,
    )
    masked = pc.if_else(pc.greater(length, keep_prefix + keep_suffix), masked, _NOTHING)
    return _spread(masked.to_numpy(zero_copy_only=False), codes, values.index)


_STAR, _NOTHING = pa.scalar("*", pa.large_string()), pa.scalar("", pa.large_string())
# what ``str.strip`` removes: Python's white space characters
_WHITE = "".join(c for c in map(chr, range(0x110000)) if c.isspace())
_EDGE_WHITE = "^[%s]|[%s]$" % ((re.escape(_WHITE),) * 2)


def mask_names(values: pd.Series) -> pd.Series:
    """:func:`mask_name` of a whole column, once per distinct name: in Arrow, in Python only
    for names with white space at either end."""
    if not isinstance(values.dtype, pd.StringDtype):
        return _per_distinct(values, mask_name)
    text, codes = _distinct_text(values)
    length = pc.utf8_length(text)
    stars = pc.binary_repeat(_STAR, pc.max_element_wise(pc.subtract(length, 2), 1))
    last = pc.if_else(pc.greater(length, 2), pc.utf8_slice_codeunits(text, -1), _NOTHING)
    first = pc.utf8_slice_codeunits(text, 0, 1)
    masked = pc.binary_join_element_wise(first, stars, last, _NOTHING)
    masked = pc.if_else(pc.greater(length, 0), masked, _NOTHING).to_numpy(zero_copy_only=False)
    odd = np.flatnonzero(pc.match_substring_regex(text, _EDGE_WHITE).to_numpy(zero_copy_only=False))
    masked[odd] = [mask_name(name) for name in text.take(pa.array(odd)).to_pylist()]
    return _spread(masked, codes, values.index)


def _distinct_text(values: pd.Series) -> tuple[pa.Array, np.ndarray]:
    """The distinct values as Arrow text ('' for missing, others through ``str``) and each
    row's code into them."""
    encoded = text_array(values, len(values)).cast(pa.large_string()).dictionary_encode()
    codes = encoded.indices.to_numpy(zero_copy_only=False)
    return encoded.dictionary, codes


def _spread(done: np.ndarray, codes: np.ndarray, index: pd.Index) -> pd.Series:
    return pd.Series(done.astype(object)[codes], index=index, dtype=object)


_SPECIAL = ("&", "<", ">", '"', "'")


def _escaped(values: pd.Series) -> pd.Series:
    """``html.escape`` of a text column, vectorised (no pass when nothing needs escaping)."""
    text = values.astype(str)
    if not any(text.str.contains(char, regex=False).any() for char in _SPECIAL):
        return text
    for char, entity in (("&", "&amp;"), ("<", "&lt;"), (">", "&gt;"), ('"', "&quot;")):
        text = text.str.replace(char, entity, regex=False)
    return text.str.replace("'", "&#x27;", regex=False)


def _amounts(values: pd.Series) -> pa.Array:
    """Amounts as ``1,234.50``, each distinct amount (bit for bit) formatted once."""
    bits = np.ascontiguousarray(values.to_numpy(dtype=float)).view(np.int64)
    codes, uniques = pd.factorize(bits)
    shown = [f"{a:,.2f}" for a in np.asarray(uniques).view(np.float64).tolist()]
    return pa.array(shown, pa.large_string()).take(pa.array(codes))


def _arrow_text(values: pd.Series) -> pa.Array:
    """A text column as one Arrow array (no Python object per value for Arrow strings)."""
    if isinstance(values.dtype, pd.StringDtype) and values.dtype.storage == "pyarrow":
        array = pa.array(values.array)
    else:
        array = pa.array(values.to_numpy(dtype=object), pa.large_string())
    if isinstance(array, pa.ChunkedArray):
        array = array.combine_chunks()
    return array.cast(pa.large_string())


def _row_cells(table: pd.DataFrame) -> pd.Series:
    """The ``<tr>`` of every disclosure row (numbered within its village and program)."""
    number = table.groupby(["village_code", "program"], sort=False).cumcount() + 1
    text = pa.large_string()
    parts = [
        "<tr><td>",
        pa.array(number.to_numpy(dtype=np.int64)).cast(text),
        "</td><td>",
        _arrow_text(_escaped(table["name"])),
        "</td><td>",
        _arrow_text(_escaped(table["id_number"])),
        '</td><td class="num">',
        pa.array(table["times"].to_numpy(dtype=np.int64)).cast(text),
        '</td><td class="num">',
        _amounts(table["amount"]),
        "</td></tr>",
    ]
    arrays = [pa.scalar(part, text) if isinstance(part, str) else part for part in parts]
    joined = pc.binary_join_element_wise(*arrays, pa.scalar("", text))
    return pd.Series(joined.to_numpy(zero_copy_only=False), index=table.index, dtype=object)


def _groups(keys: pd.Series) -> tuple[list[str], np.ndarray, np.ndarray]:
    """The distinct ``keys`` sorted (as ``groupby(sort=True)`` orders groups), the row order
    that puts each group's rows together (rows in their order within a group) and the
    bounds of the groups in that order."""
    codes, uniques = pd.factorize(keys, sort=True)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(len(uniques) + 1))
    return list(uniques), order, bounds


def _village_page(
    title: str,
    programs: list[str],
    bounds: np.ndarray,
    cells: list[str],
    times: np.ndarray,
    amounts: np.ndarray,
    settings: dict[str, Any],
) -> str:
    """One village's notice body: a table per program (rows ``bounds[i]:bounds[i + 1]`` of
    ``cells``, ``times`` and ``amounts``)."""
    parts = [f"<h1>{html.escape(title)}</h1>"]
    for position, program in enumerate(programs):
        first, last = int(bounds[position]), int(bounds[position + 1])
        body = "".join(cells[first:last])
        total = (
            f'<tr class="total"><td colspan="3">合计 {last - first} 人</td>'
            f'<td class="num">{int(times[first:last].sum())}</td>'
            f'<td class="num">{_total(amounts[first:last]):,.2f}</td></tr>'
        )
        parts.append(
            f"<h2>{html.escape(program)}</h2><table><thead><tr><th>序号</th><th>姓名</th>"
            "<th>身份证号</th><th>发放次数</th><th>发放金额（元）</th></tr></thead>"
            f"<tbody>{body}{total}</tbody></table>"
        )
    foot = (
        f"公示期 {settings['notice_days']} 天。如有异议，请在公示期内向村务监督委员会或乡镇反映。"
    )
    if settings["hotline"]:
        foot += f" 监督举报电话：{html.escape(settings['hotline'])}。"
    parts.append(f'<p class="foot">{foot}</p>')
    return "".join(parts)


def _total(amounts: np.ndarray) -> float:
    """``Series.sum()`` of amounts (missing count as 0)."""
    return float(np.where(np.isnan(amounts), 0.0, amounts).sum())


def write_disclosure(
    folder: str | Path,
    payments: pd.DataFrame,
    config: dict[str, Any],
    *,
    villages: pd.DataFrame | None = None,
    period_label: str = "",
    start: Any = None,
    end: Any = None,
) -> list[Path]:
    """Write one printable notice per village and ``index.html`` into ``folder``.

    Returns the written paths (index first). Nothing is written when disabled in config.
    """
    settings = config["pipeline"]["disclosure"]
    if not settings["enabled"]:
        return []
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    table = disclosure_table(payments, settings, start, end)
    table["cells"] = _row_cells(table)
    names = village_names(villages)
    glyphs = "".join(table["name"].unique()) + "".join(table["program"].unique())
    glyphs += "".join(names.values()) + period_label + FIXED_TEXT + settings["hotline"]
    (folder / FONT_NAME).write_bytes(subset_font(glyphs))
    style = f"<style>{font_face_css(glyphs, url=FONT_NAME)}{CSS % FONT_FAMILY}</style>"
    written: list[Path] = []
    links = []
    villages_sorted, order, village_bounds = _groups(table["village_code"])
    table = table.iloc[order]
    program_codes, programs = pd.factorize(table["program"], sort=True)
    programs = list(programs)
    cells = table["cells"].tolist()
    times = table["times"].to_numpy()
    amounts = table["amount"].to_numpy(dtype=float)
    for position, code in enumerate(villages_sorted):
        first, last = int(village_bounds[position]), int(village_bounds[position + 1])
        # the village's rows by program (rows in their order within a program)
        within = np.argsort(program_codes[first:last], kind="stable") + first
        present = program_codes[within]
        edges = np.flatnonzero(np.diff(present)) + 1
        bounds = np.concatenate([[0], edges, [len(within)]])
        names_of = [programs[c] for c in present[bounds[:-1]]]
        label = names.get(code, code) or "未注明村"
        title = f"{label} {period_label} 惠民惠农补贴发放公示".replace("  ", " ")
        body = _village_page(
            title,
            names_of,
            bounds,
            [cells[i] for i in within.tolist()],
            times[within],
            amounts[within],
            settings,
        )
        page = (
            f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>'
            f"{html.escape(title)}</title>{style}</head><body>{body}"
            "</body></html>"
        )
        path = folder / f"{code or 'unknown'}.html"
        path.write_text(page, encoding="utf-8")
        written.append(path)
        links.append(
            f'<li><a href="{html.escape(path.name)}">{html.escape(label)}</a>'
            f"（{last - first} 条，{_total(amounts[first:last]):,.2f} 元）</li>"
        )
    index = folder / "index.html"
    index.write_text(
        f'<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>公示索引</title>'
        f"{style}</head><body><h1>{html.escape(period_label)} 惠民惠农补贴发放公示索引</h1>"
        f"<ul>{''.join(links)}</ul></body></html>",
        encoding="utf-8",
    )
    return [index, *written]
