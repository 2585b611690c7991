"""report.html rendered by a real headless Chromium without network access.

Needs the Debian package ``chromium`` (``apt-get install -y chromium``); skipped when absent.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from test_report import PERSON, sample_leads

from riskmodel.config import load_config
from riskmodel.report.html import write_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed")


def chromium(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            CHROMIUM,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--no-first-run",
            # no network: every host resolves nowhere, so anything external would fail
            "--host-resolver-rules=MAP * ~NOTFOUND",
            f"--user-data-dir={tmp_path / 'profile'}",
            "--virtual-time-budget=5000",
            *arguments,
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=True,
    )


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    leads, evidence = sample_leads()
    return write_report(
        folder / "report.html", leads, evidence, load_config(), run_info={"期间": "2024Q3"}
    )


def test_rendered_dom_runs_the_inline_script_and_loads_the_embedded_font(
    report: Path, tmp_path: Path
) -> None:
    dom = chromium(tmp_path, "--dump-dom", report.as_uri()).stdout
    assert 'data-ready="yes"' in dom  # the inline script ran
    assert "当前显示 3 条线索（全部）" in dom  # text set by the script from the table rows
    assert 'data-cjk-font="loaded"' in dom  # the embedded CJK subset is usable
    assert "补贴资金风险线索报告" in dom and "线索排名" in dom
    assert PERSON not in dom


def test_screenshot_renders(report: Path, tmp_path: Path) -> None:
    shot = tmp_path / "report.png"
    chromium(tmp_path, "--window-size=1280,1600", f"--screenshot={shot}", report.as_uri())
    assert shot.exists() and shot.stat().st_size > 20_000
