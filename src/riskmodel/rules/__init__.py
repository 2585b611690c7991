"""The red-flag catalogue (碰撞比对): rules, runner, evidence, docs.

>>> from riskmodel.rules import RuleContext, run_rules
>>> run = run_rules(RuleContext(tables), load_config())        # doctest: +SKIP
"""

from riskmodel.rules.catalogue import RULES, RULES_BY_ID, get_rule
from riskmodel.rules.context import RuleContext
from riskmodel.rules.evidence import EVIDENCE_COLUMNS, build_evidence, validate_evidence
from riskmodel.rules.registry import Rule, effective_severity
from riskmodel.rules.runner import RuleRun, run_rules

__all__ = [
    "EVIDENCE_COLUMNS",
    "RULES",
    "RULES_BY_ID",
    "Rule",
    "RuleContext",
    "RuleRun",
    "build_evidence",
    "effective_severity",
    "get_rule",
    "rules_command",
    "run_rules",
    "validate_evidence",
]


def rules_command(args):
    """``riskmodel rules``: see :func:`riskmodel.rules.docs.rules_command`."""
    from riskmodel.rules.docs import rules_command as command

    return command(args)
