"""A CJK font for charts and the HTML report, shipped by the ``mplfonts`` package.

:func:`use_cjk_font` registers Noto Sans CJK SC with matplotlib's font manager so chart
labels in Chinese render offline; :func:`font_face_css` returns an ``@font-face`` rule
embedding a subset of the same font (only the characters a page uses) so the report shows
Chinese on a machine without any CJK font installed.
"""

from __future__ import annotations

import base64
import io
from functools import cache
from pathlib import Path

FONT_FILE = "NotoSansCJKsc-Regular.otf"
FONT_FAMILY = "RiskmodelCJK"


def font_path() -> Path:
    """Path of the shipped Noto Sans CJK SC font.

    Raises
    ------
    FileNotFoundError
        If the ``mplfonts`` package (a dependency) is not installed.
    """
    import mplfonts

    path = Path(mplfonts.__file__).parent / "fonts" / FONT_FILE
    if not path.exists():
        raise FileNotFoundError(f"{path} is missing: reinstall the mplfonts package")
    return path


@cache
def use_cjk_font() -> str:
    """Register the CJK font with matplotlib and make it the default; return its name."""
    import matplotlib
    from matplotlib import font_manager

    path = font_path()
    font_manager.fontManager.addfont(str(path))
    name = font_manager.FontProperties(fname=str(path)).get_name()
    matplotlib.rcParams["font.family"] = "sans-serif"
    matplotlib.rcParams["font.sans-serif"] = [name, *matplotlib.rcParams["font.sans-serif"]]
    matplotlib.rcParams["axes.unicode_minus"] = False
    return name


def subset_font(text: str) -> bytes:
    """The CJK font cut down to the glyphs of ``text`` (OpenType bytes)."""
    from fontTools import subset

    characters = sorted(set(text) | set("0123456789.,%-:：，。（）()·/ "))
    options = subset.Options()
    options.layout_features = ["*"]
    options.name_IDs = ["*"]
    options.notdef_outline = True
    font = subset.load_font(str(font_path()), options)
    subsetter = subset.Subsetter(options)
    subsetter.populate(text="".join(characters))
    subsetter.subset(font)
    buffer = io.BytesIO()
    font.save(buffer)
    return buffer.getvalue()


def font_face_css(text: str, url: str | None = None) -> str:
    """An ``@font-face`` rule for the glyphs of ``text``.

    Embeds the subset as a base64 data URL, or, with ``url``, points at a local font file
    (written with :func:`subset_font`) shared by many pages.
    """
    if url is not None:
        return f"@font-face{{font-family:'{FONT_FAMILY}';src:url('{url}') format('opentype');}}"
    encoded = base64.b64encode(subset_font(text)).decode("ascii")
    return (
        f"@font-face{{font-family:'{FONT_FAMILY}';"
        f"src:url(data:font/otf;base64,{encoded}) format('opentype');}}"
    )
