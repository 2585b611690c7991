"""``riskmodel validate DATA_DIR [--out DIR]``: check a data folder on the terminal.

Prints one line per table (rows read, accepted, quarantined, the commonest reasons) and
exits 1 when the folder cannot be scored (a required table or column missing, a file that
cannot be read), with the clear message and no traceback. No identifier is ever printed:
reasons and notes name columns and lines, never values. With ``--out``, the quarantined rows
and suspect values it writes are protected by the privacy setting, as in a run folder.
"""

from __future__ import annotations

import argparse
import sys

from rich.console import Console
from rich.markup import escape
from rich.table import Table as RichTable

from riskmodel.config import ConfigError, load_config
from riskmodel.io.errors import DataError
from riskmodel.io.load import load_folder
from riskmodel.io.result import LoadResult, write_validation

TOP_REASONS = 3


def render_summary(result: LoadResult, console: Console) -> None:
    """Print the per-table table, notes, unknown files and errors of ``result``."""
    grid = RichTable(title="validation", show_lines=False)
    for header, justify in (
        ("table", "left"),
        ("file", "left"),
        ("read", "right"),
        ("accepted", "right"),
        ("quarantined", "right"),
        ("suspect values", "right"),
        ("top reasons", "left"),
    ):
        grid.add_column(header, justify=justify)  # type: ignore[arg-type]
    for name, report in result.reports.items():
        reasons = "; ".join(
            f"{reason} ×{count}" for reason, count in list(report.reasons.items())[:TOP_REASONS]
        )
        style = "" if report.reconciles else "bold red"
        grid.add_row(
            name,
            report.path,
            f"{report.read:,}",
            f"{report.accepted:,}",
            f"{report.quarantined:,}",
            f"{report.suspect_values:,}",
            reasons,
            style=style,
        )
    if result.reports:
        console.print(grid)
    for name, report in result.reports.items():
        for note in report.notes:
            console.print(f"[dim]{escape(name)}: {escape(note)}[/dim]", highlight=False)
    for note in result.notes:
        console.print(f"[dim]{escape(note)}[/dim]", highlight=False)
    if result.unknown_files:
        console.print(
            escape("files matching no table (ignored): " + ", ".join(result.unknown_files)),
            highlight=False,
        )
    for error in result.errors:
        console.print(
            f"[bold red]error:[/bold red] {escape(error)}", highlight=False, soft_wrap=True
        )


def validate_command(args: argparse.Namespace) -> int:
    """Run ``validate``: 0 when the folder can be scored, 1 otherwise."""
    console = Console()
    errors = Console(stderr=True, soft_wrap=True)
    try:
        config = load_config(getattr(args, "config", None))
        result = load_folder(args.data_dir, config, progress=sys.stderr.isatty(), strict=False)
    except (DataError, ConfigError) as exc:
        errors.print(f"[bold red]error:[/bold red] {escape(str(exc))}", highlight=False)
        return 1
    render_summary(result, console)
    out = getattr(args, "out", None)
    if out:
        from riskmodel.pipeline.stages import protect_validation

        try:
            folder = write_validation(result, out)
            protect_validation(folder, config)
        except OSError as exc:
            errors.print(
                f"[bold red]error:[/bold red] cannot write to {escape(str(out))}: {exc.strerror}"
            )
            return 1
        console.print(f"written: {folder / 'validation.json'}, quarantine/, data_quality.csv")
    if not result.can_score:
        errors.print("[bold red]the folder cannot be scored[/bold red]: fix the errors above")
        return 1
    return 0
