"""The run's ``manifest.json`` (CONTRACT §3) and the input fingerprints it relies on."""

from __future__ import annotations

import hashlib
import json
import platform
from pathlib import Path
from typing import Any

import pandas as pd

from riskmodel import __version__
from riskmodel.config import config_hash

_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def fingerprint_inputs(data_dir: Path) -> dict[str, str]:
    """sha256 of every input file under ``data_dir`` (hidden files and ``_truth/`` excluded)."""
    data_dir = Path(data_dir)
    result: dict[str, str] = {}
    for path in sorted(data_dir.rglob("*")):
        relative = path.relative_to(data_dir)
        if not path.is_file() or any(p.startswith((".", "_")) for p in relative.parts):
            continue
        result[relative.as_posix()] = sha256_file(path)
    return result


def changed_inputs(before: dict[str, str], after: dict[str, str]) -> list[str]:
    """Files added, removed or modified between two fingerprints, one line each."""
    lines = [f"{name}: removed during the run" for name in sorted(set(before) - set(after))]
    lines += [f"{name}: added during the run" for name in sorted(set(after) - set(before))]
    lines += [
        f"{name}: modified during the run"
        for name in sorted(set(before) & set(after))
        if before[name] != after[name]
    ]
    return lines


def public_config(config: dict[str, Any]) -> dict[str, Any]:
    """``config`` as written to the manifest: the pseudonym key is never recorded."""
    shown = json.loads(json.dumps(config, default=str))
    if "pseudonym_key" in shown.get("privacy", {}):
        shown["privacy"]["pseudonym_key"] = "<not recorded>"
    return shown


def lead_counts(leads: pd.DataFrame | None) -> dict[str, Any]:
    """Counts of leads by severity, triage and status."""
    if leads is None:
        return {"total": 0, "by_severity": {}, "by_triage": {}, "by_status": {}}
    counts: dict[str, Any] = {"total": len(leads)}
    columns = (("severity", "by_severity"), ("triage", "by_triage"), ("status", "by_status"))
    for column, key in columns:
        if column in leads.columns:
            counts[key] = {str(k): int(v) for k, v in leads[column].value_counts().items()}
        else:
            counts[key] = {}
    return counts


def build_manifest(
    *,
    status: str,
    data_dir: Path,
    out_dir: Path,
    config: dict[str, Any],
    config_path: str | None,
    started: str,
    finished: str,
    stages: list[dict[str, Any]],
    inputs: list[dict[str, Any]] | None,
    fingerprints: dict[str, str],
    period: dict[str, Any] | None,
    theme: dict[str, Any] | None,
    previous: str | None,
    rule_versions: dict[str, Any],
    leads: pd.DataFrame | None,
    resolved_count: int,
    extra: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Assemble the manifest dictionary (see CONTRACT §3)."""
    if inputs is None:  # the loader did not report: record the fingerprints at least
        inputs = [{"path": name, "sha256": digest} for name, digest in fingerprints.items()]
    manifest: dict[str, Any] = {
        "status": status,
        "package": "riskmodel",
        "package_version": __version__,
        "python": platform.python_version(),
        "data_dir": str(Path(data_dir).absolute()),
        "out_dir": str(Path(out_dir).absolute()),
        "started": started,
        "finished": finished,
        "period": period,
        "theme": theme,
        "previous_run": previous,
        "privacy": {
            "identifiers": config.get("privacy", {}).get("identifiers", "masked"),
            "show_identifiers": bool(config.get("privacy", {}).get("show_identifiers", False)),
        },
        "inputs": inputs,
        "input_fingerprints": fingerprints,
        "config_path": config_path,
        "config_hash": config_hash(config),
        "config": public_config(config),
        "rule_versions": rule_versions,
        "stages": stages,
        "stage_seconds": {s["name"]: s["seconds"] for s in stages},
        "leads": lead_counts(leads),
        "resolved_leads": resolved_count,
    }
    manifest.update(extra or {})
    return manifest


def write_manifest(out_dir: Path, manifest: dict[str, Any]) -> Path:
    """Write ``manifest.json`` into ``out_dir``."""
    path = Path(out_dir) / "manifest.json"
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2, default=str), "utf-8")
    return path
