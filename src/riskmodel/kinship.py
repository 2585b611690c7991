"""Kinship: pairwise relations between people, derived from the data.

Three sources, all declared as data below:

1. **Households** (``residents``): each member's relation to the head (与户主关系, words or
   GB/T 4761 codes) is mapped to a *role*; a table of ``(role_a, role_b)`` pairs says what
   ``b`` is to ``a`` (the head's spouse is the children's parent, children are siblings, the
   head's 儿媳 has the head as 公婆, ...). Members whose roles say nothing about each other are
   ``同户`` (same household).
2. **Declared relatives** (``relatives``: ``id_number_b`` is ``relation`` of ``id_number_a``)
   and **filings** (``filings``: ``id_number`` is ``relation`` of ``official_id_number``).
3. **Composition** (one round) over the union of 1 and 2: the child of my parent is my
   sibling, the parent of my spouse is my 公婆/岳父母, the spouse of my child is my 儿媳/女婿,
   the sibling of my spouse and the spouse of my sibling are 姻亲, the members of my
   spouse's household (when my spouse is registered elsewhere) are 姻亲. This is what links
   relatives living in other households (a married daughter, a brother with his own
   household) whenever one of the links is declared.

The result is symmetric: every pair appears in both directions, ``relation`` always says
what ``id_b`` is to ``id_a`` (``父母`` = id_b is a parent of id_a). One row per ordered pair:
the closest relation wins (lowest degree, then households before declarations before
composition).

All steps are vectorised joins on integer codes (a self-join per household), so a county
register of ~1.2 million residents takes seconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

KINSHIP_COLUMNS = ["id_a", "id_b", "relation", "degree", "source_table", "source_key", "via"]

# --------------------------------------------------------------------------------------------
# Declarations
# --------------------------------------------------------------------------------------------

# role of a household member, from the words of 与户主关系
ROLE_WORDS: dict[str, tuple[str, ...]] = {
    "head": ("户主", "本人", "户主本人"),
    "spouse": ("配偶", "妻", "妻子", "丈夫", "夫", "爱人", "之妻", "之夫", "夫妻"),
    "child": (
        "子",
        "女",
        "儿子",
        "女儿",
        "子女",
        "长子",
        "次子",
        "三子",
        "四子",
        "五子",
        "长女",
        "次女",
        "三女",
        "四女",
        "五女",
        "独生子",
        "独生女",
        "养子",
        "养女",
        "继子",
        "继女",
        "之子",
        "之女",
        "其他儿子",
        "其他女儿",
        "儿",
        "小儿子",
        "小女儿",
    ),
    "parent": (
        "父",
        "母",
        "父亲",
        "母亲",
        "父母",
        "继父",
        "继母",
        "养父",
        "养母",
        "其他父母关系",
    ),
    "child_in_law": ("儿媳", "儿媳妇", "媳妇", "女婿", "长媳", "次媳"),
    "grandchild": (
        "孙子",
        "孙女",
        "外孙",
        "外孙子",
        "外孙女",
        "孙子女",
        "外孙子女",
        "孙",
    ),
    "grandparent": (
        "祖父",
        "祖母",
        "外祖父",
        "外祖母",
        "爷爷",
        "奶奶",
        "外公",
        "外婆",
        "祖父母",
        "外祖父母",
    ),
    "sibling": (
        "兄",
        "弟",
        "姐",
        "妹",
        "哥哥",
        "弟弟",
        "姐姐",
        "妹妹",
        "兄弟姐妹",
        "兄弟",
        "姐妹",
        "兄妹",
        "姐弟",
    ),
    "spouse_parent": ("公公", "婆婆", "岳父", "岳母", "公婆", "岳父母"),
    "sibling_in_law": ("嫂", "嫂子", "弟媳", "姐夫", "妹夫", "弟妹"),
}

# GB/T 4761-2008 家庭关系代码 -> role (first two digits); codes not listed are "other"
ROLE_CODES: dict[str, str] = {
    "01": "head",
    "02": "head",
    **{f"1{d}": "spouse" for d in range(10)},
    **{f"2{d}": "child" for d in range(10)},
    "28": "child_in_law",
    **{f"3{d}": "child" for d in range(10)},
    "38": "child_in_law",
    **{f"4{d}": "grandchild" for d in range(10)},
    **{f"5{d}": "parent" for d in range(10)},
    "53": "spouse_parent",
    "54": "spouse_parent",
    "55": "spouse_parent",
    "56": "spouse_parent",
    **{f"6{d}": "grandparent" for d in range(10)},
    **{f"7{d}": "sibling" for d in range(10)},
}

ROLES: tuple[str, ...] = (
    "head",
    "spouse",
    "child",
    "parent",
    "child_in_law",
    "grandchild",
    "grandparent",
    "sibling",
    "spouse_parent",
    "sibling_in_law",
    "other",
)

# (role of a, role of b, what b is to a, degree). The reverse direction is generated with
# INVERSE. ``single_child`` rows apply only in households with exactly one member whose role
# is "child" (then that child is the parent of the grandchildren and the in-law's spouse).
HOUSEHOLD_PAIRS: tuple[dict[str, Any], ...] = (
    {"a": "head", "b": "spouse", "relation": "配偶", "degree": 1},
    {"a": "head", "b": "child", "relation": "子女", "degree": 1},
    {"a": "head", "b": "parent", "relation": "父母", "degree": 1},
    {"a": "head", "b": "child_in_law", "relation": "子女配偶", "degree": 2},
    {"a": "head", "b": "grandchild", "relation": "祖孙", "degree": 2},
    {"a": "head", "b": "grandparent", "relation": "祖孙", "degree": 2},
    {"a": "head", "b": "sibling", "relation": "兄弟姐妹", "degree": 2},
    {"a": "head", "b": "spouse_parent", "relation": "配偶父母", "degree": 2},
    {"a": "head", "b": "sibling_in_law", "relation": "姻亲", "degree": 2},
    {"a": "spouse", "b": "child", "relation": "子女", "degree": 1},
    {"a": "spouse", "b": "parent", "relation": "配偶父母", "degree": 2},
    {"a": "spouse", "b": "spouse_parent", "relation": "父母", "degree": 1},
    {"a": "spouse", "b": "child_in_law", "relation": "子女配偶", "degree": 2},
    {"a": "spouse", "b": "grandchild", "relation": "祖孙", "degree": 2},
    {"a": "spouse", "b": "sibling", "relation": "姻亲", "degree": 2},
    {"a": "child", "b": "child", "relation": "兄弟姐妹", "degree": 2},
    {"a": "child", "b": "parent", "relation": "祖孙", "degree": 2},
    {"a": "child", "b": "spouse_parent", "relation": "祖孙", "degree": 2},
    {"a": "child", "b": "sibling", "relation": "旁系三代", "degree": 3},
    {"a": "parent", "b": "parent", "relation": "配偶", "degree": 1},
    {"a": "parent", "b": "sibling", "relation": "子女", "degree": 1},
    {"a": "sibling", "b": "sibling", "relation": "兄弟姐妹", "degree": 2},
    {"a": "spouse_parent", "b": "spouse_parent", "relation": "配偶", "degree": 1},
    {"a": "child", "b": "grandchild", "relation": "子女", "degree": 1, "single_child": True},
    {"a": "child", "b": "child_in_law", "relation": "配偶", "degree": 1, "single_child": True},
    {"a": "child_in_law", "b": "grandchild", "relation": "子女", "degree": 1, "single_child": True},
)

# what a is to b, given what b is to a
INVERSE: dict[str, str] = {
    "配偶": "配偶",
    "父母": "子女",
    "子女": "父母",
    "兄弟姐妹": "兄弟姐妹",
    "祖孙": "祖孙",
    "子女配偶": "配偶父母",
    "配偶父母": "子女配偶",
    "儿媳": "公婆",
    "女婿": "岳父母",
    "公婆": "儿媳",
    "岳父母": "女婿",
    "姻亲": "姻亲",
    "旁系三代": "旁系三代",
    "同户": "同户",
    "其他亲属": "其他亲属",
}

# canonical relation -> kinship degree (1 = spouse/parent/child)
DEGREES: dict[str, int] = {
    "配偶": 1,
    "父母": 1,
    "子女": 1,
    "兄弟姐妹": 2,
    "祖孙": 2,
    "子女配偶": 2,
    "配偶父母": 2,
    "儿媳": 2,
    "女婿": 2,
    "公婆": 2,
    "岳父母": 2,
    "姻亲": 2,
    "旁系三代": 3,
    "同户": 3,
    "其他亲属": 3,
}

# words of a declared relation (relatives, filings) -> canonical relation
RELATION_WORDS: dict[str, tuple[str, ...]] = {
    "配偶": ("配偶", "夫", "妻", "丈夫", "妻子", "爱人", "老公", "老婆", "夫妻"),
    "父母": ("父母", "父", "母", "父亲", "母亲", "爸爸", "妈妈", "继父", "继母", "养父", "养母"),
    "子女": (
        "子女",
        "子",
        "女",
        "儿子",
        "女儿",
        "长子",
        "次子",
        "长女",
        "次女",
        "养子",
        "养女",
        "继子",
        "继女",
        "独生子",
        "独生女",
    ),
    "兄弟姐妹": (
        "兄弟姐妹",
        "兄",
        "弟",
        "姐",
        "妹",
        "哥哥",
        "弟弟",
        "姐姐",
        "妹妹",
        "兄弟",
        "姐妹",
        "兄妹",
        "姐弟",
    ),
    "祖孙": (
        "祖孙",
        "祖父",
        "祖母",
        "外祖父",
        "外祖母",
        "祖父母",
        "外祖父母",
        "爷爷",
        "奶奶",
        "外公",
        "外婆",
        "孙子",
        "孙女",
        "外孙",
        "外孙子",
        "外孙女",
        "孙子女",
        "外孙子女",
    ),
    "儿媳": ("儿媳", "儿媳妇", "媳妇"),
    "女婿": ("女婿",),
    "公婆": ("公婆", "公公", "婆婆"),
    "岳父母": ("岳父母", "岳父", "岳母"),
    "子女配偶": ("子女配偶", "子女的配偶"),
    "配偶父母": ("配偶父母", "配偶的父母"),
    "姻亲": (
        "姻亲",
        "配偶的兄弟姐妹",
        "兄弟姐妹的配偶",
        "嫂",
        "嫂子",
        "弟媳",
        "弟妹",
        "姐夫",
        "妹夫",
        "小叔子",
        "大伯子",
        "小姑子",
        "大姑子",
        "妯娌",
        "连襟",
        "内兄",
        "内弟",
        "大舅子",
        "小舅子",
        "姨妹",
        "姨姐",
        "亲家",
    ),
    "旁系三代": (
        "旁系三代",
        "三代以内旁系血亲",
        "叔",
        "伯",
        "姑",
        "舅",
        "姨",
        "叔叔",
        "伯伯",
        "姑姑",
        "舅舅",
        "姨妈",
        "侄子",
        "侄女",
        "外甥",
        "外甥女",
        "堂兄弟",
        "堂姐妹",
        "表兄弟",
        "表姐妹",
        "堂兄",
        "堂弟",
        "堂姐",
        "堂妹",
        "表兄",
        "表弟",
        "表姐",
        "表妹",
    ),
}

# one round of composition: a -first-> m -second-> b gives "b is relation of a". When two
# rules give the same pair, the one listed first wins (more specific before less).
# second = "*" means any household relation of m, used only when m lives in another household.
COMPOSITIONS: tuple[dict[str, Any], ...] = (
    {"first": "父母", "second": "子女", "relation": "兄弟姐妹"},
    {"first": "父母", "second": "父母", "relation": "祖孙"},
    {"first": "子女", "second": "子女", "relation": "祖孙"},
    {"first": "配偶", "second": "父母", "relation": "配偶父母"},
    {"first": "子女", "second": "配偶", "relation": "子女配偶"},
    {"first": "配偶", "second": "兄弟姐妹", "relation": "姻亲"},
    {"first": "兄弟姐妹", "second": "配偶", "relation": "姻亲"},
    {"first": "配偶", "second": "*", "relation": "姻亲", "other_household": True},
)

# refinement of ungendered in-law relations by gender ("女" first, "男" second)
GENDERED: dict[str, tuple[str, str, str]] = {
    # relation: (whose gender decides: "a" or "b", if female, if male)
    "子女配偶": ("b", "儿媳", "女婿"),
    "配偶父母": ("a", "公婆", "岳父母"),
}

SOURCE_PRIORITY = {"residents": 0, "relatives": 1, "filings": 2, "derived": 3}

DEFAULT_SETTINGS: dict[str, Any] = {
    "compose": True,
    "large_household": 30,
}


def _check_declarations() -> None:
    for pair in HOUSEHOLD_PAIRS:
        if pair["a"] not in ROLES or pair["b"] not in ROLES:
            raise ValueError(f"kinship: unknown role in household pair {pair}")
        if pair["relation"] not in INVERSE:
            raise ValueError(f"kinship: relation {pair['relation']!r} has no inverse")
    for rule in COMPOSITIONS:
        if rule["relation"] not in DEGREES:
            raise ValueError(f"kinship: composition gives unknown relation {rule['relation']!r}")
    for relation in INVERSE:
        if relation not in DEGREES:
            raise ValueError(f"kinship: relation {relation!r} has no degree")


_check_declarations()

_WORD_TO_ROLE = {word: role for role, words in ROLE_WORDS.items() for word in words}
_WORD_TO_RELATION = {word: rel for rel, words in RELATION_WORDS.items() for word in words}


# --------------------------------------------------------------------------------------------
# Normalisation
# --------------------------------------------------------------------------------------------


def household_role(relation: str | None) -> str:
    """Map one 与户主关系 value (word or GB/T 4761 code) to a household role.

    >>> household_role("长子"), household_role("10"), household_role("保姆")
    ('child', 'spouse', 'other')
    """
    if relation is None or (isinstance(relation, float) and np.isnan(relation)):
        return "other"
    text = str(relation).strip().replace(" ", "").replace("　", "")
    if text in _WORD_TO_ROLE:
        return _WORD_TO_ROLE[text]
    if text[:2].isdigit() and len(text) <= 3:
        return ROLE_CODES.get(text[:2].zfill(2), "other")
    if text.isdigit() and len(text) == 1:
        return ROLE_CODES.get(text.zfill(2), "other")
    return "other"


def canonical_relation(relation: str | None) -> str:
    """Map a declared relation word to a canonical relation ('其他亲属' if unknown).

    >>> canonical_relation("哥哥"), canonical_relation("岳母"), canonical_relation("朋友")
    ('兄弟姐妹', '岳父母', '其他亲属')
    """
    if relation is None or (isinstance(relation, float) and np.isnan(relation)):
        return "其他亲属"
    text = str(relation).strip().replace(" ", "")
    if text in _WORD_TO_RELATION:
        return _WORD_TO_RELATION[text]
    if text in DEGREES:
        return text
    return "其他亲属"


def _map_values(values: pd.Series, function) -> np.ndarray:
    """Apply ``function`` once per distinct value (columns have few distinct words); a
    missing value is passed as None."""
    codes, uniques = pd.factorize(values)
    mapped = np.array([function(u) for u in uniques] + [function(None)], dtype=object)
    return mapped[np.where(codes < 0, len(uniques), codes)]


def _genders(frame: pd.DataFrame, id_column: str) -> np.ndarray:
    """'女'/'男'/'' per row: the gender column when present, else the ID's 17th digit
    (each worked out once per distinct value: a county has two genders and ten digits)."""
    codes, uniques = pd.factorize(frame[id_column].astype(str).str.slice(16, 17))
    digits = pd.to_numeric(pd.Series(uniques), errors="coerce").to_numpy(dtype=float)
    digit = np.append(digits, np.nan)[codes]
    from_id = np.where(np.isnan(digit), "", np.where(digit % 2 == 1, "男", "女")).astype(object)
    if "gender" in frame.columns:
        codes, uniques = pd.factorize(frame["gender"])
        given = pd.Series(uniques).astype(object).fillna("").astype(str).str.strip().to_numpy()
        stated = np.append(np.isin(given, ["男", "女"]), False)[codes]
        return np.where(stated, np.append(given.astype(object), "")[codes], from_id)
    return from_id


# --------------------------------------------------------------------------------------------
# Derivation (on integer codes: ids, relations and source keys are indices into arrays)
# --------------------------------------------------------------------------------------------

RELATIONS: tuple[str, ...] = tuple(DEGREES)
_REL_CODE = {relation: code for code, relation in enumerate(RELATIONS)}
_INVERSE_CODE = np.array([_REL_CODE[INVERSE[r]] for r in RELATIONS], dtype=np.int16)
_DEGREE_CODE = np.array([DEGREES[r] for r in RELATIONS], dtype=np.int8)
_EDGE_FIELDS = ("a", "b", "rel", "priority", "rank", "k1", "k2", "k3", "via")


# relation names after gendering (父母 → 父亲/母亲 …): RELATIONS, then the gendered forms
_RELATION_NAMES: tuple[str, ...] = tuple(
    dict.fromkeys([*RELATIONS, *(form for _, *forms in GENDERED.values() for form in forms)])
)
_RELATION_TEXT = pa.array(_RELATION_NAMES, type=pa.string())


def _gendered_relation_codes(
    rel: np.ndarray, gender_a: np.ndarray, gender_b: np.ndarray
) -> np.ndarray:
    """Codes into ``_RELATION_NAMES``: a gendered relation takes the form of the decider's
    gender (``GENDERED``: whose gender decides, female form, male form), else stays."""
    codes = rel.astype(np.int64)
    for name, (whose, female, male) in GENDERED.items():
        mask = rel == _REL_CODE[name]
        decider = (gender_a if whose == "a" else gender_b)[mask]
        index = _RELATION_NAMES.index
        codes[mask] = np.where(
            decider == "女", index(female), np.where(decider == "男", index(male), codes[mask])
        )
    return codes


def _taken(values: pa.Array, codes: np.ndarray) -> pa.Array:
    """``values[codes]`` in Arrow, null where a code is negative."""
    codes = np.asarray(codes, dtype=np.int64)
    return pc.take(values, pa.array(np.maximum(codes, 0), mask=codes < 0))


def _edges(**columns: Any) -> pd.DataFrame:
    size = max((len(v) for v in columns.values() if np.ndim(v)), default=0)
    data = {}
    for name in _EDGE_FIELDS:
        value = columns.get(name, -1 if name in ("k2", "k3", "via") else 0)
        data[name] = np.broadcast_to(np.asarray(value), (size,)).astype(
            np.int16 if name in ("rel", "priority", "rank") else np.int64
        )
    return pd.DataFrame(data)


def _pair_tables(single_child: bool) -> pd.DataFrame:
    rows = []
    for pair in HOUSEHOLD_PAIRS:
        if bool(pair.get("single_child", False)) != single_child:
            continue
        rows.append((pair["a"], pair["b"], pair["relation"]))
        rows.append((pair["b"], pair["a"], INVERSE[pair["relation"]]))
    return pd.DataFrame(rows, columns=["role_a", "role_b", "relation"])


def _pair_lookup(single_child: bool) -> tuple[np.ndarray, np.ndarray]:
    """Relation code for every (role_a, role_b) code; -1 where the table says nothing."""
    n_roles = len(ROLES)
    role_index = {name: i for i, name in enumerate(ROLES)}
    lookup = np.full(n_roles * n_roles, -1, dtype=np.int16)
    table = _pair_tables(single_child)
    codes = table["role_a"].map(role_index) * n_roles + table["role_b"].map(role_index)
    lookup[codes.to_numpy()] = table["relation"].map(_REL_CODE).to_numpy()
    return lookup, codes.to_numpy()


def _household_edges(
    residents: pd.DataFrame, id_codes: np.ndarray, settings: Mapping[str, Any]
) -> pd.DataFrame:
    """Pairs of members of the same household with their relation (b is relation of a)."""
    role_index = {name: i for i, name in enumerate(ROLES)}
    keep = (id_codes >= 0) & residents["household_id"].notna().to_numpy()
    rows = np.flatnonzero(keep)
    if len(rows) == 0:
        return _edges(a=np.array([], dtype=np.int64))
    if "relation" in residents:
        coded = _map_values(
            residents["relation"].iloc[rows], lambda u: role_index[household_role(u)]
        )
        role = coded.astype(np.int16)
    else:
        role = np.full(len(rows), role_index["other"], dtype=np.int16)
    household = pd.factorize(residents["household_id"].iloc[rows].astype(str))[0]
    size = np.bincount(household)[household]
    n_children = np.bincount(household, weights=role == role_index["child"])[household]
    # in very large (collective) households only members with a family role are paired
    usable = (size <= int(settings["large_household"])) | (role != role_index["other"])
    household, rows, role = household[usable], rows[usable], role[usable]
    single = (n_children == 1)[usable]
    left, right = _join_rows(household, household)
    different = rows[left] != rows[right]
    left, right = left[different], right[different]
    n_roles = len(ROLES)
    pair_code = role[left].astype(np.int32) * n_roles + role[right].astype(np.int32)
    general, _ = _pair_lookup(False)
    relation = general[pair_code]
    relation[relation < 0] = _REL_CODE["同户"]
    single_lookup, single_codes = _pair_lookup(True)
    hit = single[left] & np.isin(pair_code, single_codes)
    relation[hit] = single_lookup[pair_code[hit]]
    row_a, row_b = rows[left], rows[right]
    return _edges(
        a=id_codes[row_a],
        b=id_codes[row_b],
        rel=relation,
        priority=SOURCE_PRIORITY["residents"],
        k1=np.minimum(row_a, row_b),
        k2=np.maximum(row_a, row_b),
    )


def _declared_edges(
    table: pd.DataFrame | None,
    a_codes: np.ndarray,
    b_codes: np.ndarray,
    key_offset: int,
    table_name: str,
) -> pd.DataFrame:
    """Both directions of a declared relation table (``b`` is ``relation`` of ``a``)."""
    if table is None or len(table) == 0:
        return _edges(a=np.array([], dtype=np.int64))
    if "relation" in table:
        words = _map_values(table["relation"], canonical_relation)
    else:
        words = np.full(len(table), "其他亲属", dtype=object)
    relation = pd.Series(words).map(_REL_CODE).to_numpy(np.int16)
    keys = np.arange(len(table), dtype=np.int64) + key_offset
    usable = (a_codes >= 0) & (b_codes >= 0) & (a_codes != b_codes)
    forward = _edges(
        a=a_codes[usable],
        b=b_codes[usable],
        rel=relation[usable],
        priority=SOURCE_PRIORITY[table_name],
        k1=keys[usable],
    )
    backward = forward.copy()
    backward["a"], backward["b"] = forward["b"].to_numpy(), forward["a"].to_numpy()
    backward["rel"] = _INVERSE_CODE[forward["rel"].to_numpy()]
    return pd.concat([forward, backward], ignore_index=True)


def _packed(*columns: np.ndarray) -> np.ndarray:
    """One int64 key ordering rows as the small non-negative-range ``columns`` do
    lexicographically (the first column most significant)."""
    key = np.zeros(len(columns[0]), dtype=np.int64)
    for column in columns:
        values = column.astype(np.int64) - int(column.min())
        key = key * (int(values.max()) + 1) + values
    return key


def _join_rows(left: np.ndarray, right: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The row pairs of an inner join on integer keys in ``DataFrame.merge`` order: left
    rows in order, each with its matching right rows in order."""
    order = np.argsort(right, kind="stable")
    ordered = right[order]
    low = np.searchsorted(ordered, left, side="left")
    counts = np.searchsorted(ordered, left, side="right") - low
    before = np.cumsum(counts) - counts
    left_rows = np.repeat(np.arange(len(left)), counts)
    right_rows = order[np.arange(len(left_rows)) + np.repeat(low - before, counts)]
    return left_rows, right_rows


def _compose(edges: pd.DataFrame, household_of: np.ndarray) -> pd.DataFrame:
    """One round of composition over ``edges`` (the union of household and declared edges)."""
    results = []
    residents_priority = SOURCE_PRIORITY["residents"]
    columns = {name: edges[name].to_numpy() for name in ("a", "b", "k1", "k2", "rel")}
    by_relation = pd.Series(np.arange(len(edges))).groupby(columns["rel"]).indices
    from_residents = np.flatnonzero(edges["priority"].to_numpy() == residents_priority)
    nothing = np.array([], dtype=np.int64)
    for rank, rule in enumerate(COMPOSITIONS, start=1):
        first = by_relation.get(_REL_CODE[rule["first"]], nothing)
        if rule["second"] == "*":
            second = from_residents
        else:
            second = by_relation.get(_REL_CODE[rule["second"]], nothing)
        if rule.get("other_household"):
            home_a = household_of[columns["a"][first]]
            home_m = household_of[columns["b"][first]]
            first = first[(home_m >= 0) & (home_a != home_m)]
        if not len(first) or not len(second):
            continue
        left, right = _join_rows(columns["b"][first], columns["a"][second])
        one, two = first[left], second[right]
        kept = columns["a"][one] != columns["b"][two]
        one, two = one[kept], two[kept]
        if not len(one):
            continue
        # a composed edge cites the first edge's key and the second edge's keys
        cited = columns["k2"][one] >= 0
        k2 = np.where(cited, columns["k2"][one], columns["k1"][two])
        k3 = np.where(cited, columns["k1"][two], columns["k2"][two])
        results.append(
            _edges(
                a=columns["a"][one],
                b=columns["b"][two],
                rel=_REL_CODE[rule["relation"]],
                priority=SOURCE_PRIORITY["derived"],
                rank=rank,
                k1=columns["k1"][one],
                k2=k2,
                k3=k3,
                via=columns["b"][one],
            )
        )
    if not results:
        return _edges(a=np.array([], dtype=np.int64))
    composed = pd.concat(results, ignore_index=True)
    reverse = composed.copy()
    reverse["a"], reverse["b"] = composed["b"].to_numpy(), composed["a"].to_numpy()
    reverse["rel"] = _INVERSE_CODE[composed["rel"].to_numpy()]
    return pd.concat([composed, reverse], ignore_index=True)


def _settings(config: Mapping[str, Any] | None) -> dict[str, Any]:
    settings = dict(DEFAULT_SETTINGS)
    if config:
        found = config.get("entities", {}).get("kinship") if "entities" in config else config
        settings.update({k: v for k, v in (found or {}).items() if k in DEFAULT_SETTINGS})
    return settings


def _column(table: pd.DataFrame | None, column: str) -> pd.Series:
    if table is None or column not in table:
        return pd.Series([], dtype=object)
    return table[column]


def derive_kinship(
    residents: pd.DataFrame,
    relatives: pd.DataFrame | None = None,
    filings: pd.DataFrame | None = None,
    config: Mapping[str, Any] | None = None,
) -> pd.DataFrame:
    """Derive pairwise kinship from households, declared relatives and filings.

    Parameters
    ----------
    residents : DataFrame
        ``id_number``, ``household_id`` and, if present, ``relation`` (与户主关系),
        ``gender``, ``_key``.
    relatives : DataFrame, optional
        ``id_number_a``, ``id_number_b``, ``relation`` (what b is to a).
    filings : DataFrame, optional
        ``official_id_number``, ``id_number``, ``relation`` (what the relative is to the
        official).
    config : mapping, optional
        The full configuration (``entities.kinship`` is read) or the kinship settings.

    Returns
    -------
    DataFrame
        ``id_a``, ``id_b``, ``relation`` (what id_b is to id_a), ``degree``,
        ``source_table`` (residents | relatives | filings | derived), ``source_key`` (row keys,
        ``;``-separated), ``via`` (the middle person of a composed relation, else empty).
        Symmetric, one row per ordered pair.

    Examples
    --------
    >>> residents = pd.DataFrame({"id_number": ["A", "B", "C"], "household_id": ["h"] * 3,
    ...                           "relation": ["户主", "妻子", "儿子"]})
    >>> kin = derive_kinship(residents)
    >>> kin.loc[(kin.id_a == "C") & (kin.id_b == "B"), "relation"].item()
    '父母'
    """
    settings = _settings(config)
    if relatives is not None and not {"id_number_a", "id_number_b"} <= set(relatives.columns):
        relatives = None
    if filings is not None and not {"id_number", "official_id_number"} <= set(filings.columns):
        filings = None

    def text(values: pd.Series) -> np.ndarray:
        array = values.astype(object).to_numpy()
        return np.where(pd.isna(array) | (array == ""), None, array)

    resident_ids = text(residents["id_number"])
    parts = [
        resident_ids,
        text(_column(relatives, "id_number_a")),
        text(_column(relatives, "id_number_b")),
        text(_column(filings, "official_id_number")),
        text(_column(filings, "id_number")),
    ]
    codes, uniques = pd.factorize(np.concatenate(parts))
    bounds = np.cumsum([0, *[len(p) for p in parts]])
    segment = [codes[bounds[i] : bounds[i + 1]] for i in range(len(parts))]
    n_ids = len(uniques)

    def keys_of(table: pd.DataFrame | None, name: str) -> pa.Array:
        if table is None:
            return pa.array([], type=pa.string())
        if "_key" in table:
            keys = pa.array(table["_key"].astype(str).array, type=pa.string())
            return keys.combine_chunks() if isinstance(keys, pa.ChunkedArray) else keys
        return pa.array([f"{name}:{i + 2}" for i in range(len(table))], type=pa.string())

    keys = pa.concat_arrays(
        [
            keys_of(residents, "residents"),
            keys_of(relatives, "relatives"),
            keys_of(filings, "filings"),
        ]
    )
    n_res = len(residents)
    n_rel = 0 if relatives is None else len(relatives)
    base = pd.concat(
        [
            _household_edges(residents, segment[0], settings),
            _declared_edges(relatives, segment[1], segment[2], n_res, "relatives"),
            _declared_edges(filings, segment[3], segment[4], n_res + n_rel, "filings"),
        ],
        ignore_index=True,
    )
    household_of = np.full(n_ids, -1, dtype=np.int64)
    has_home = (segment[0] >= 0) & residents["household_id"].notna().to_numpy()
    household_of[segment[0][has_home]] = pd.factorize(
        residents["household_id"].astype(str)[has_home]
    )[0]
    edges = pd.concat([base, _compose(base, household_of)]) if settings["compose"] else base
    if edges.empty:
        return pd.DataFrame({c: pd.Series(dtype=str) for c in KINSHIP_COLUMNS}).astype(
            {"degree": np.int8}
        )
    a = edges["a"].to_numpy()
    b = edges["b"].to_numpy()
    rel = edges["rel"].to_numpy()
    degree = _DEGREE_CODE[rel]
    # one row per ordered pair; both directions of an edge sort alike, so the same edge wins
    canonical = np.where(a < b, rel, _INVERSE_CODE[rel])
    ranking = _packed(degree, edges["priority"].to_numpy(), edges["rank"].to_numpy(), canonical)
    pairs = a.astype(np.int64) * n_ids + b
    order = np.lexsort((edges["k1"].to_numpy(), ranking, pairs))  # = by a, b, degree, …, k1
    pair = pairs[order]
    first = np.ones(len(order), dtype=bool)
    first[1:] = pair[1:] != pair[:-1]
    kept = order[first]
    chosen = {name: edges[name].to_numpy()[kept] for name in _EDGE_FIELDS}
    a, b, rel = chosen["a"], chosen["b"], chosen["rel"]
    gender = np.full(n_ids, "", dtype=object)
    gender[segment[0][segment[0] >= 0]] = _genders(residents, "id_number")[segment[0] >= 0]
    missing = gender == ""
    if missing.any():
        extra = pd.DataFrame({"id_number": pd.Series(uniques[missing], dtype=object)})
        gender[missing] = _genders(extra, "id_number")
    relation = _gendered_relation_codes(rel, gender[a], gender[b])
    source_names = pa.array(sorted(SOURCE_PRIORITY, key=SOURCE_PRIORITY.get))
    first_key = _taken(keys, chosen["k1"]).fill_null("")
    source_key = pc.binary_join_element_wise(
        first_key,
        _taken(keys, chosen["k2"]),
        _taken(keys, chosen["k3"]),
        ";",
        null_handling="skip",
    )
    id_text = pa.array(np.asarray(uniques, dtype=object), type=pa.string())
    result = pd.DataFrame(
        {
            "id_a": pd.Series(_taken(id_text, a), dtype=str),
            "id_b": pd.Series(_taken(id_text, b), dtype=str),
            "relation": pd.Series(_taken(_RELATION_TEXT, relation), dtype=str),
            "degree": _DEGREE_CODE[rel],
            "source_table": pd.Series(_taken(source_names, chosen["priority"]), dtype=str),
            "source_key": pd.Series(source_key, dtype=str),
            "via": pd.Series(_taken(id_text, chosen["via"]).fill_null(""), dtype=str),
        }
    )
    return result
