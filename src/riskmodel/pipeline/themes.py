"""Quarterly themes (一季一专题): which rules and which programs a themed run covers.

Themes are data in ``defaults/themes.toml``: each names rule categories, and the programs of
the theme by department or by a pattern on the program name. An empty program list means
the theme concerns other tables (village finance, projects) and keeps every payment.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pandas as pd


class ThemeError(ValueError):
    """An unknown theme or a bad theme declaration."""


@dataclass(frozen=True)
class Theme:
    """One declared theme."""

    name: str
    title: str
    rule_categories: tuple[str, ...]
    rule_ids: tuple[str, ...]
    departments: tuple[str, ...]
    program_patterns: tuple[str, ...]

    @property
    def filters_programs(self) -> bool:
        return bool(self.departments or self.program_patterns)


def get_theme(config: dict[str, Any], name: str | None) -> Theme | None:
    """The theme ``name`` declared in ``config['themes']``; ``None`` for no theme.

    Raises
    ------
    ThemeError
        If no theme has that name (the message lists the declared ones).
    """
    if not name:
        return None
    declared = {k: v for k, v in config.get("themes", {}).items() if isinstance(v, dict)}
    if name not in declared:
        raise ThemeError(f"no theme named {name!r}; declared themes: {', '.join(sorted(declared))}")
    entry = declared[name]
    for pattern in entry.get("program_patterns", []):
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ThemeError(f"theme {name!r}: bad program pattern {pattern!r}: {exc}") from exc
    return Theme(
        name=name,
        title=str(entry.get("title", name)),
        rule_categories=tuple(entry.get("rule_categories", [])),
        rule_ids=tuple(entry.get("rule_ids", [])),
        departments=tuple(entry.get("departments", [])),
        program_patterns=tuple(entry.get("program_patterns", [])),
    )


def theme_program_mask(
    theme: Theme, payments: pd.DataFrame, programs: pd.DataFrame | None = None
) -> pd.Series:
    """Boolean mask over ``payments``: the rows of the theme's programs.

    A payment belongs to the theme when its program's department (from ``payments`` or the
    ``programs`` table) is one of the theme's departments, or its program name matches one of
    the theme's patterns.
    """
    if not theme.filters_programs:
        return pd.Series(True, index=payments.index)
    names = payments.get("program_name", pd.Series("", index=payments.index)).fillna("")
    departments = payments.get("department", pd.Series("", index=payments.index)).fillna("")
    if programs is not None and "department" in programs.columns:
        for key in ("program_code", "program_name"):
            if key in payments.columns and key in programs.columns:
                lookup = programs.dropna(subset=[key]).drop_duplicates(key)
                mapped = payments[key].map(lookup.set_index(key)["department"])
                departments = departments.where(departments != "", mapped.fillna(""))
    if (
        programs is not None
        and {"program_code", "program_name"} <= set(programs.columns)
        and "program_code" in payments.columns
    ):
        lookup = programs.dropna(subset=["program_code"]).drop_duplicates("program_code")
        mapped = payments["program_code"].map(lookup.set_index("program_code")["program_name"])
        names = names.where(names != "", mapped.fillna(""))
    mask = departments.astype(str).isin(theme.departments)
    if theme.program_patterns:
        pattern = "|".join(f"(?:{p})" for p in theme.program_patterns)
        mask |= names.astype(str).str.contains(pattern, regex=True, na=False)
    return mask


def theme_rule_ids(theme: Theme, rule_categories: dict[str, str]) -> list[str]:
    """Rule ids of the theme, given ``rule_categories`` (rule id → category)."""
    wanted = set(theme.rule_categories)
    chosen = {rule for rule, category in rule_categories.items() if category in wanted}
    chosen |= set(theme.rule_ids) & set(rule_categories)
    return sorted(chosen)
