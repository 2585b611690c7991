"""Which earlier run a run's leads are marked new/persisting against (CONTRACT §3 ``status``).

:func:`find_previous_run` on fake run folders (a ``manifest.json`` and a ``leads.csv``), then
:func:`run_job` with two tiny stand-in notebooks, for ``--period auto`` (the period is known
only after the first stage read the payments) and for themed runs.
"""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from riskmodel.pipeline import find_previous_run, run_job

# --- find_previous_run on fake run folders ---------------------------------------------------


def make_run(
    folder: Path,
    period: str | None,
    finished: str,
    *,
    theme: str | None = None,
    status: str = "ok",
    leads: bool = True,
) -> Path:
    folder.mkdir(parents=True)
    if leads:
        (folder / "leads.csv").write_text("lead_id\n", encoding="utf-8")
    manifest = {
        "status": status,
        "finished": finished,
        "period": {"label": period} if period else None,
        "theme": {"name": theme, "title": theme} if theme else None,
    }
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


def test_the_latest_earlier_period_wins_not_the_last_finished(tmp_path: Path) -> None:
    q1 = make_run(tmp_path / "2024Q1", "2024Q1", "2024-04-05T00:00:00")
    q2 = make_run(tmp_path / "2024Q2", "2024Q2", "2024-07-05T00:00:00")
    assert find_previous_run(tmp_path / "2024Q3", "2024Q3") == q2
    # 2024Q1 rerun after 2024Q2: still 2024Q2 for 2024Q3, and nothing for 2024Q1
    (q1 / "manifest.json").write_text(
        json.dumps(
            {"status": "ok", "finished": "2024-08-01T00:00:00", "period": {"label": "2024Q1"}}
        ),
        encoding="utf-8",
    )
    assert find_previous_run(tmp_path / "2024Q3", "2024Q3") == q2
    assert find_previous_run(tmp_path / "2024Q1", "2024Q1") is None


def test_same_and_later_periods_are_never_the_previous_run(tmp_path: Path) -> None:
    q1 = make_run(tmp_path / "2024Q1", "2024Q1", "2024-04-05T00:00:00")
    q2 = make_run(tmp_path / "2024Q2", "2024Q2", "2024-07-05T00:00:00")
    make_run(tmp_path / "2024Q3", "2024Q3", "2024-10-05T00:00:00")
    make_run(tmp_path / "2024Q4", "2024Q4", "2025-01-05T00:00:00")
    # re-running 2024Q3 after 2024Q4 exists: 2024Q2, as the first run of 2024Q3 did
    assert find_previous_run(tmp_path / "2024Q3", "2024Q3") == q2
    # a rerun never compares with itself, nor with another run of the same period
    assert find_previous_run(tmp_path / "2024Q2", "2024Q2") == q1
    make_run(tmp_path / "2024Q2-again", "2024Q2", "2024-08-05T00:00:00")
    assert find_previous_run(tmp_path / "2024Q2", "2024Q2") == q1
    assert find_previous_run(tmp_path / "2024Q1", "2024Q1") is None
    assert find_previous_run(tmp_path / "2025Q1", "2025Q1") == tmp_path / "2024Q4"


def test_a_fixed_folder_holding_an_earlier_period_is_its_own_previous_run(tmp_path: Path) -> None:
    # the cron job may write every quarter into the same folder: its old run is the previous one
    latest = make_run(tmp_path / "latest", "2024Q2", "2024-07-05T00:00:00")
    make_run(tmp_path / "2024Q1", "2024Q1", "2024-04-05T00:00:00")
    assert find_previous_run(latest, "2024Q3") == latest
    assert find_previous_run(latest, "2024Q2") == tmp_path / "2024Q1"


def test_overlapping_periods_are_skipped_and_the_same_kind_is_preferred(tmp_path: Path) -> None:
    june = make_run(tmp_path / "2024-06", "2024-06", "2024-07-20T00:00:00")
    q2 = make_run(tmp_path / "2024Q2", "2024Q2", "2024-07-05T00:00:00")
    make_run(tmp_path / "2024-07", "2024-07", "2024-08-05T00:00:00")  # inside 2024Q3
    make_run(tmp_path / "2024-09", "2024-09", "2024-10-05T00:00:00")
    # both end on 30 June: a quarter compares with the quarter, a month with the month
    assert find_previous_run(tmp_path / "2024Q3", "2024Q3") == q2
    assert find_previous_run(tmp_path / "2024-07", "2024-07") == june
    assert find_previous_run(tmp_path / "2024-08", "2024-08") == tmp_path / "2024-07"
    # a month run after a quarter that ended before it
    make_run(tmp_path / "2024Q3", "2024Q3", "2024-10-06T00:00:00")
    assert find_previous_run(tmp_path / "2024-10", "2024-10") == tmp_path / "2024-09"
    assert find_previous_run(tmp_path / "2024Q4", "2024Q4") == tmp_path / "2024Q3"


def test_runs_of_another_theme_are_never_the_previous_run(tmp_path: Path) -> None:
    plain = make_run(tmp_path / "2024Q2", "2024Q2", "2024-07-05T00:00:00")
    farming = make_run(
        tmp_path / "agri-2024Q1", "2024Q1", "2024-04-05T00:00:00", theme="agriculture"
    )
    make_run(tmp_path / "edu-2024Q2", "2024Q2", "2024-07-06T00:00:00", theme="education")
    assert find_previous_run(tmp_path / "2024Q3", "2024Q3") == plain
    assert find_previous_run(tmp_path / "2024Q3", "2024Q3", theme="") == plain
    assert find_previous_run(tmp_path / "agri-2024Q3", "2024Q3", theme="agriculture") == farming
    assert find_previous_run(tmp_path / "edu-2024Q1", "2024Q1", theme="education") is None
    assert find_previous_run(tmp_path / "x", "2024Q3", theme="forestry") is None


def test_runs_over_all_data_compare_only_with_runs_over_all_data(tmp_path: Path) -> None:
    first = make_run(tmp_path / "demo", None, "2024-07-05T00:00:00")
    second = make_run(tmp_path / "demo-2", None, "2024-08-05T00:00:00")
    make_run(tmp_path / "2024Q1", "2024Q1", "2024-09-05T00:00:00")
    make_run(tmp_path / "demo-agri", None, "2024-09-06T00:00:00", theme="agriculture")
    # without a period there is no earlier period: the last finished run, itself included
    assert find_previous_run(tmp_path / "demo", None) == second
    assert find_previous_run(tmp_path / "new", None) == second
    assert find_previous_run(tmp_path / "new", None, theme="agriculture") == tmp_path / "demo-agri"
    # a quarter never compares with a run over all data
    assert find_previous_run(tmp_path / "2024Q2", "2024Q2") == tmp_path / "2024Q1"
    assert find_previous_run(tmp_path / "2024Q1", "2024Q1") is None
    assert first.exists()


def test_incomplete_failed_hidden_and_unreadable_runs_are_skipped(tmp_path: Path) -> None:
    q1 = make_run(tmp_path / "2024Q1", "2024Q1", "2024-04-05T00:00:00")
    make_run(tmp_path / "failed", "2024Q2", "2024-07-05T00:00:00", status="failed")
    make_run(tmp_path / "no-leads", "2024Q2", "2024-07-06T00:00:00", leads=False)
    make_run(tmp_path / ".2024Q2.staging-12", "2024Q2", "2024-07-07T00:00:00")
    make_run(tmp_path / ".failed-2024Q2-20240707", "2024Q2", "2024-07-07T00:00:00")
    make_run(tmp_path / "bad-period", "spring", "2024-07-08T00:00:00")
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "leads.csv").write_text("lead_id\n", encoding="utf-8")
    (broken / "manifest.json").write_text("{not json", encoding="utf-8")
    listed = tmp_path / "listed"
    listed.mkdir()
    (listed / "leads.csv").write_text("lead_id\n", encoding="utf-8")
    (listed / "manifest.json").write_text("[]", encoding="utf-8")
    (tmp_path / "a-file.txt").write_text("not a run", encoding="utf-8")
    assert find_previous_run(tmp_path / "2024Q3", "2024Q3") == q1
    assert find_previous_run(tmp_path / "nothing" / "here", "2024Q3") is None


# --- run_job: --period auto and themes (tiny stand-in notebooks) -----------------------------

PARAMETERS = (
    'data_dir = ""\nwork_dir = ""\nout_dir = ""\nperiod = ""\nconfig_path = ""\n'
    'theme = ""\nprevious_dir = ""'
)
RESOLVE_PERIOD = (
    "from pathlib import Path\n"
    "import pandas as pd\n"
    "from riskmodel.pipeline.periods import resolve_period\n"
    "from riskmodel.pipeline.store import save_json\n"
    "dates = pd.read_csv(Path(data_dir, 'payments.csv'))['pay_date']\n"
    "resolved = resolve_period(period or None, dates)\n"
    "save_json(work_dir, 'period', None if resolved is None else {\n"
    "    'label': resolved.label, 'start': resolved.start.isoformat(),\n"
    "    'end': resolved.end.isoformat(), 'as_of': resolved.as_of.isoformat(),\n"
    "    'requested': period})\n"
    "save_json(work_dir, 'theme', None)"
)
WRITE_LEADS = (
    "from pathlib import Path\n"
    "Path(out_dir, 'leads.csv').write_text('lead_id,severity,status\\nL1,高,new\\n', "
    "encoding='utf-8')\n"
    "Path(out_dir, 'previous.txt').write_text(previous_dir, encoding='utf-8')"
)


def write_notebook(folder: Path, name: str, code: str) -> None:
    notebook = nbformat.v4.new_notebook()
    first = nbformat.v4.new_code_cell(PARAMETERS)
    first.metadata["tags"] = ["parameters"]
    notebook.cells = [first, nbformat.v4.new_code_cell(code)]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(notebook, folder / f"{name}.ipynb")


@pytest.fixture
def job(tmp_path: Path) -> dict[str, Path]:
    data = tmp_path / "data"
    data.mkdir()
    notebooks = tmp_path / "nb"
    notebooks.mkdir()
    write_notebook(notebooks, "validate", RESOLVE_PERIOD)
    write_notebook(notebooks, "leads", WRITE_LEADS)
    return {"data": data, "notebooks": notebooks, "reports": tmp_path / "reports"}


def pay_until(data: Path, last_month: str) -> None:
    """payments.csv with one payment per month of 2024 up to ``last_month`` (``2024-10``)."""
    months = [f"2024-{m:02d}" for m in range(1, int(last_month[5:]) + 1)]
    lines = ["pay_date", *(f"{month}-15" for month in months)]
    (data / "payments.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")


def run(job: dict[str, Path], name: str, period: str, theme: str | None = None) -> Path:
    return run_job(
        job["data"],
        job["reports"] / name,
        period=period,
        theme=theme,
        stages=["validate", "leads"],
        source_dir=job["notebooks"],
        progress=False,
    )


def previous_of(run_dir: Path) -> tuple[str | None, str, str]:
    """(manifest previous_run, previous_dir the leads stage saw, period label of the run)."""
    manifest = json.loads((run_dir / "manifest.json").read_text("utf-8"))
    seen = (run_dir / "previous.txt").read_text("utf-8")
    return manifest["previous_run"], seen, (manifest["period"] or {}).get("label", "")


@pytest.mark.slow
def test_period_auto_compares_with_the_latest_earlier_quarter(job: dict[str, Path]) -> None:
    pay_until(job["data"], "2024-12")
    q2 = run(job, "2024Q2", "2024Q2")
    q4 = run(job, "2024Q4", "2024Q4")
    assert previous_of(q4) == (str(q2), str(q2), "2024Q4")
    # the November export: auto is 2024Q3, whose previous run is 2024Q2 — not the later 2024Q4
    pay_until(job["data"], "2024-11")
    november = run(job, "run-2024-11", "auto")
    assert previous_of(november) == (str(q2), str(q2), "2024Q3")


@pytest.mark.slow
def test_a_themed_run_compares_only_with_runs_of_its_theme(job: dict[str, Path]) -> None:
    pay_until(job["data"], "2024-09")
    run(job, "2024Q1", "2024Q1")  # a run without theme: never the previous of a themed run
    farming_q2 = run(job, "agri-2024Q2", "2024Q2", theme="agriculture")
    assert previous_of(farming_q2)[:2] == (None, "")
    farming_q3 = run(job, "agri-2024Q3", "auto", theme="agriculture")
    assert previous_of(farming_q3) == (str(farming_q2), str(farming_q2), "2024Q3")
    manifest = json.loads((farming_q3 / "manifest.json").read_text("utf-8"))
    assert manifest["theme"]["name"] == "agriculture"
