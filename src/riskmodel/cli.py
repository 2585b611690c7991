"""The ``riskmodel`` command: thin dispatch to the library.

Each subcommand names the function that implements it (``module:function``); the module is
imported only when that subcommand runs, so ``riskmodel --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Callable, Sequence

# subcommand -> (implementation, help, argument declarations)
COMMANDS: dict[str, tuple[str, str, list[tuple[tuple[str, ...], dict]]]] = {
    "synth": (
        "riskmodel.synth.cli:synth_command",
        "write a synthetic county with planted schemes and its ground truth",
        [
            (("--out",), {"required": True, "help": "output data folder"}),
            (("--seed",), {"type": int, "default": 7}),
            (
                ("--scale",),
                {"choices": ["tiny", "small", "medium", "county", "large"], "default": "small"},
            ),
        ],
    ),
    "validate": (
        "riskmodel.io.validate:validate_command",
        "check a data folder: rows read/accepted/quarantined per table",
        [
            (("data_dir",), {"help": "data folder"}),
            (
                ("--out",),
                {"default": None, "help": "write validation.json, quarantine/, data_quality.csv"},
            ),
            (("--config",), {"default": None}),
        ],
    ),
    "run": (
        "riskmodel.pipeline:run_command",
        "the scheduled job: run the pipeline notebooks and write a run folder",
        [
            (("--data",), {"required": True}),
            (("--out",), {"required": True}),
            (("--period",), {"default": None, "help": "2024-03, 2024Q3 or auto"}),
            (("--config",), {"default": None}),
            (("--previous",), {"default": None}),
            (("--theme",), {"default": None}),
        ],
    ),
    "demo": (
        "riskmodel.pipeline:demo_command",
        "generate the demo county if absent and run the job on it",
        [
            (("--data",), {"default": "data/demo"}),
            (("--out",), {"default": "reports/demo"}),
            (
                ("--scale",),
                {"choices": ["tiny", "small", "medium", "county", "large"], "default": "small"},
            ),
        ],
    ),
    "rules": (
        "riskmodel.rules.docs:rules_command",
        "list the rule catalogue and what each rule needs",
        [
            (("--markdown",), {"default": None, "help": "write the catalogue page to this file"}),
            (("--config",), {"default": None}),
        ],
    ),
    "evaluate": (
        "riskmodel.evaluate:evaluate_command",
        "measure a run against the synthetic ground truth",
        [
            (("run_dir",), {}),
            (("--truth",), {"required": True}),
            (("--top",), {"type": int, "default": 200}),
        ],
    ),
    "graph-export": (
        "riskmodel.graph.export:export_command",
        "export the relationship graph (or an ego network) to GraphML/GEXF",
        [
            (("--data",), {"required": True}),
            (("--out",), {"required": True, "help": "file ending in .graphml or .gexf"}),
            (("--center",), {"default": None, "help": "node id for an ego network"}),
            (("--radius",), {"type": int, "default": 2}),
        ],
    ),
}


def _resolve(target: str) -> Callable[[argparse.Namespace], int]:
    module_name, function_name = target.split(":")
    return getattr(importlib.import_module(module_name), function_name)


def build_parser() -> argparse.ArgumentParser:
    """Build the argument parser from ``COMMANDS``."""
    parser = argparse.ArgumentParser(
        prog="riskmodel",
        description="Find petty embezzlement in subsidy funds: load, cross-match, score, report.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    for name, (target, help_text, arguments) in COMMANDS.items():
        command = sub.add_parser(name, help=help_text)
        for flags, options in arguments:
            command.add_argument(*flags, **options)
        command.set_defaults(target=target)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``riskmodel`` console script."""
    from riskmodel.privacy import install_excepthook, install_log_redaction

    logging.basicConfig(
        level=logging.WARNING, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger("riskmodel").setLevel(logging.INFO)
    install_log_redaction(logging.getLogger())
    install_excepthook()
    args = build_parser().parse_args(argv)
    return int(_resolve(args.target)(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
