"""The rule declaration: one frozen dataclass per rule, listed in ``catalogue.RULES``."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

CATEGORIES = (
    "eligibility",
    "payments",
    "village_finance",
    "projects",
    "relationships",
    "data_quality",
    "complaints",
)
CATEGORY_ZH = {
    "eligibility": "资格审核",
    "payments": "资金发放",
    "village_finance": "村级财务",
    "projects": "项目工程",
    "relationships": "关系网络",
    "data_quality": "数据质量",
    "complaints": "信访举报",
}
SEVERITIES = ("高", "中", "低")
SCHEMES = (
    "deceased_paid",
    "official_on_aid",
    "relative_favoured",
    "card_capture",
    "ghost",
    "duplicate_payment",
    "over_standard",
    "skimming",
    "split_payment",
    "self_payment",
    "contract_to_kin",
    "paid_before_done",
    "invented_ledger",
    "complaint_corroborated",
)
DOC_SECTIONS = ("Checks", "Why", "Exclusions", "Evidence")
_ID_PATTERN = re.compile(r"^R\d{3}$")


@dataclass(frozen=True)
class Rule:
    """One red-flag rule.

    ``requires`` lists ``"table.column"`` (or ``"table"`` for a table that must merely exist);
    ``optional`` lists columns used when present; ``params`` names keys read from
    ``config["rules"][id]`` (a dotted name such as ``programs.thresholds.cash_limit`` is read
    from that absolute config path instead).
    """

    id: str
    title_zh: str
    title_en: str
    category: str
    severity: str
    func: Callable[..., pd.DataFrame]
    requires: tuple[str, ...]
    optional: tuple[str, ...] = ()
    params: tuple[str, ...] = ()
    scheme: str = ""
    lookalike: str = ""
    reads_evidence: bool = False
    graph: bool = False
    doc: dict[str, str] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if not _ID_PATTERN.match(self.id):
            raise ValueError(f"rule id {self.id!r} must look like R001")
        if self.category not in CATEGORIES:
            raise ValueError(f"rule {self.id}: unknown category {self.category!r}")
        if self.severity not in SEVERITIES:
            raise ValueError(f"rule {self.id}: severity must be one of {SEVERITIES}")
        if self.scheme and self.scheme not in SCHEMES:
            raise ValueError(f"rule {self.id}: unknown scheme {self.scheme!r}")
        if not self.doc:
            object.__setattr__(self, "doc", parse_doc(self.func))

    @property
    def tables(self) -> tuple[str, ...]:
        """Tables the rule needs (in order of first mention)."""
        return tuple(dict.fromkeys(item.split(".")[0] for item in self.requires))


def parse_doc(func: Callable[..., Any]) -> dict[str, str]:
    """Split a rule function's docstring into its sections.

    The first paragraph is ``Checks``; further sections start with a line ``Why``,
    ``Exclusions`` or ``Evidence`` followed by a dashed underline (numpy style).
    """
    text = inspect.getdoc(func) or ""
    sections: dict[str, list[str]] = {"Checks": []}
    current = "Checks"
    lines = text.splitlines()
    index = 0
    while index < len(lines):
        line = lines[index]
        following = lines[index + 1] if index + 1 < len(lines) else ""
        if line.strip() in DOC_SECTIONS and set(following.strip()) == {"-"}:
            current = line.strip()
            sections[current] = []
            index += 2
            continue
        sections[current].append(line)
        index += 1
    return {name: " ".join(" ".join(body).split()) for name, body in sections.items()}


def rule_config(rule: Rule, config: dict[str, Any]) -> dict[str, Any]:
    """Return the ``rules.<id>`` table of ``config`` (empty when absent)."""
    return dict(config.get("rules", {}).get(rule.id, {}))


def param_value(rule: Rule, name: str, config: dict[str, Any]) -> Any:
    """Value of parameter ``name`` of ``rule``: ``rules.<id>.<name>`` or a dotted config path."""
    if "." in name:
        node: Any = config
        for part in name.split("."):
            if not isinstance(node, dict) or part not in node:
                raise KeyError(f"rule {rule.id}: configuration has no key {name!r}")
            node = node[part]
        return node
    table = rule_config(rule, config)
    if name not in table:
        raise KeyError(f"rule {rule.id}: configuration has no key 'rules.{rule.id}.{name}'")
    return table[name]


def effective_severity(rule: Rule, config: dict[str, Any]) -> str:
    """The rule's severity after a ``rules.<id>.severity`` override (empty = declared)."""
    override = rule_config(rule, config).get("severity", "")
    return override if override in SEVERITIES else rule.severity


def is_enabled(rule: Rule, config: dict[str, Any]) -> bool:
    """Whether ``rules.<id>.enabled`` is true (default true)."""
    return bool(rule_config(rule, config).get("enabled", True))
