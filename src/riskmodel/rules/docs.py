"""Documentation of the catalogue, generated from the registry: docs/rules.md and the
``riskmodel rules`` table."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from riskmodel.config import load_config
from riskmodel.rules.catalogue import RULES
from riskmodel.rules.registry import (
    CATEGORY_ZH,
    Rule,
    effective_severity,
    is_enabled,
    param_value,
)

HEADER = """# Rule catalogue (碰撞比对规则)

Generated from the registry by `riskmodel rules --markdown docs/rules.md`; do not edit by hand.

Every rule is a pure function of the loaded tables that returns evidence rows (which entity,
which source rows, the values that triggered it). A rule whose tables or columns are absent
is reported as *skipped* with the missing `table.column` named; a rule that fails is reported
as *failed* and the run goes on. Parameters are read from the configuration: a plain name from
`rules.<id>` (`src/riskmodel/defaults/rules.toml`), a dotted name from that path
(`programs.*` lives in `src/riskmodel/defaults/programs.toml`). Severity: **高** direct
evidence of money to an ineligible or non-existent party or an official's personal benefit;
**中** a strong eligibility conflict or control weakness; **低** a process/data signal or a
harmless look-alike listed with a reason (`mitigation`).

"""


def _format(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_format(v) for v in value) + "]"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def rule_markdown(rule: Rule, config: dict[str, Any]) -> str:
    """The documentation section of one rule."""
    lines = [
        f'<a id="{rule.id.lower()}"></a>',
        "",
        f"## {rule.id} {rule.title_zh} — {rule.title_en}",
        "",
        f"- **Category**: {rule.category} ({CATEGORY_ZH[rule.category]})",
        f"- **Severity**: {effective_severity(rule, config)}"
        + ("" if is_enabled(rule, config) else " (disabled)"),
    ]
    if rule.scheme:
        lines.append(f"- **Scheme targeted**: `{rule.scheme}`")
    if rule.lookalike:
        lines.append(f"- **Look-alike rule for**: `{rule.lookalike}` (listed with a mitigation)")
    lines.append(
        "- **Requires**: "
        + ", ".join(f"`{item}`" for item in rule.requires)
        + (" and the relationship graph (`official_links`)" if rule.graph else "")
    )
    if rule.optional:
        lines.append("- **Uses when present**: " + ", ".join(f"`{i}`" for i in rule.optional))
    if rule.reads_evidence:
        lines.append("- **Runs last**: reads the evidence of the other rules")
    lines += ["", f"**What it checks.** {rule.doc.get('Checks', '')}", ""]
    lines += [f"**Why it is a red flag.** {rule.doc.get('Why', '')}", ""]
    lines += [f"**Exclusions.** {rule.doc.get('Exclusions', '')}", ""]
    lines += [f"**Evidence.** {rule.doc.get('Evidence', '')}", ""]
    if rule.params:
        lines += ["| parameter | default |", "|---|---|"]
        for name in rule.params:
            key = name if "." in name else f"rules.{rule.id}.{name}"
            lines.append(f"| `{key}` | `{_format(param_value(rule, name, config))}` |")
        lines.append("")
    return "\n".join(lines)


def catalogue_markdown(config: dict[str, Any] | None = None) -> str:
    """The whole catalogue page (docs/rules.md)."""
    config = config or load_config()
    summary = ["| id | title | category | severity | needs |", "|---|---|---|---|---|"]
    for rule in RULES:
        summary.append(
            f"| [{rule.id}](#{rule.id.lower()}) | {rule.title_zh} | {rule.category} | "
            f"{effective_severity(rule, config)} | {', '.join(rule.tables)} |"
        )
    sections = [rule_markdown(rule, config) for rule in RULES]
    return HEADER + "\n".join(summary) + "\n\n" + "\n".join(sections)


def needs_text(rule: Rule) -> str:
    """``payments(id_number, amount); deaths(death_date)``: what a rule needs, compactly."""
    columns: dict[str, list[str]] = {}
    for item in rule.requires:
        table, _, column = item.partition(".")
        columns.setdefault(table, [])
        if column:
            columns[table].append(column)
    return "; ".join(
        f"{table}({', '.join(names)})" if names else table for table, names in columns.items()
    )


def rules_command(args: argparse.Namespace) -> int:
    """``riskmodel rules [--markdown FILE] [--config FILE]``: print the catalogue table."""
    from rich.console import Console
    from rich.table import Table

    config = load_config(getattr(args, "config", None))
    markdown = getattr(args, "markdown", None)
    if markdown:
        Path(markdown).parent.mkdir(parents=True, exist_ok=True)
        Path(markdown).write_text(catalogue_markdown(config), encoding="utf-8")
        print(f"wrote {markdown} ({len(RULES)} rules)")
        return 0
    table = Table(title=f"riskmodel rule catalogue ({len(RULES)} rules)")
    for column in ("id", "title", "category", "sev", "needs", "parameters"):
        table.add_column(column, overflow="fold")
    for rule in RULES:
        needs = needs_text(rule) + (" + graph" if rule.graph else "")
        params = ", ".join(
            f"{name.rsplit('.', 1)[-1]}={_format(param_value(rule, name, config))}"
            for name in rule.params
        )
        severity = effective_severity(rule, config) + ("" if is_enabled(rule, config) else " off")
        table.add_row(
            rule.id, f"{rule.title_zh}\n{rule.title_en}", rule.category, severity, needs, params
        )
    Console().print(table)
    return 0
