"""Stages side by side: what each stage waits for, and running them so (pipeline.schedule).

The scheduler is tested with plain functions (fast); the job with stand-in notebooks that
record when they ran, so the overlap and the kill of a sibling on failure are real.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from test_pipeline_faults import write_notebook

from riskmodel.config import load_config
from riskmodel.pipeline import RunFailed, run_job
from riskmodel.pipeline.schedule import ScheduleError, run_scheduled, stage_needs

# --- needs ----------------------------------------------------------------------------------


def test_a_plain_list_runs_in_order() -> None:
    assert stage_needs(["a", "b", "c"], {}) == {"a": [], "b": ["a"], "c": ["b"]}


def test_declared_needs_replace_the_previous_stage() -> None:
    declared = {"b": ["a"], "c": ["a"], "d": ["b", "c"], "zz": ["a"]}
    needs = stage_needs(["a", "b", "c", "d"], declared)
    assert needs == {"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"]}


def test_an_added_stage_is_waited_for_and_missing_needs_are_ignored() -> None:
    declared = {"b": ["a"], "c": ["a", "gone"], "d": ["b", "c"]}
    needs = stage_needs(["a", "b", "mine", "c", "d"], declared)
    assert needs["mine"] == ["b"]  # not declared: after the stage listed before it
    assert needs["c"] == ["a", "mine"] and needs["d"] == ["b", "c", "mine"]
    assert stage_needs(["a", "c"], {"c": ["gone"]})["c"] == ["a"]


def test_a_need_listed_after_the_stage_is_refused() -> None:
    with pytest.raises(ScheduleError, match="b needs c, listed after it"):
        stage_needs(["a", "b", "c"], {"b": ["c"]})


def test_default_needs_name_configured_stages_listed_before_them() -> None:
    settings = load_config()["pipeline"]
    declared = {k: v for k, v in settings["needs"].items() if not k.startswith("_")}
    needs = stage_needs(settings["stages"], declared)
    assert set(needs["04_rules"]) == {"02_entities", "03_kinship"}  # beside the graph
    assert settings["stages"].index("04_rules") < settings["stages"].index("05_graph")
    assert needs["03_kinship"] == ["01_validate"]  # beside entity resolution
    assert set(needs["09_scoring"]) == {"06_graph_rules", "07_detectors"}
    assert settings["parallel_stages"] >= 1
    without = [s for s in settings["stages"] if s != "08_disclosure"]  # an office drops one
    assert stage_needs(without, declared)["10_leads"] == ["09_scoring"]


# --- the scheduler ----------------------------------------------------------------------------


def _recorder(
    seconds: dict[str, float], fail: str = ""
) -> tuple[dict[str, tuple[float, float]], object]:
    spans: dict[str, tuple[float, float]] = {}
    lock = threading.Lock()

    def execute(stage: str) -> None:
        start = time.perf_counter()
        time.sleep(seconds.get(stage, 0.0))
        if stage == fail:
            raise RuntimeError(f"{stage} broke")
        with lock:
            spans[stage] = (start, time.perf_counter())

    return spans, execute


def test_ready_stages_run_side_by_side() -> None:
    stages = ["a", "b", "c", "d"]
    needs = {"a": [], "b": ["a"], "c": ["a"], "d": ["b", "c"]}
    spans, execute = _recorder({"b": 0.4, "c": 0.4})
    timings = run_scheduled(stages, needs, execute, workers=2)
    assert [t["name"] for t in timings] == stages  # reported in the configured order
    assert spans["c"][0] < spans["b"][1] and spans["b"][0] < spans["c"][1]  # overlapped
    assert spans["d"][0] >= max(spans["b"][1], spans["c"][1])  # waited for both
    assert spans["b"][0] >= spans["a"][1]
    assert timings[3]["started_after"] >= 0.4


def test_one_worker_runs_one_stage_at_a_time() -> None:
    stages = ["a", "b", "c"]
    spans, execute = _recorder({"b": 0.2, "c": 0.2})
    run_scheduled(stages, {"a": [], "b": ["a"], "c": ["a"]}, execute, workers=1)
    first, second = sorted([spans["b"], spans["c"]])
    assert second[0] >= first[1]


def test_a_failing_stage_stops_the_run_and_later_stages_never_start() -> None:
    spans, execute = _recorder({"b": 0.1}, fail="b")
    started: list[str] = []
    with pytest.raises(RuntimeError, match="b broke"):
        run_scheduled(
            ["a", "b", "c"],
            {"a": [], "b": ["a"], "c": ["b"]},
            execute,
            workers=2,
            on_start=lambda number, stage: started.append(stage),
        )
    assert started == ["a", "b"] and "c" not in spans


# --- the job with stand-in notebooks ------------------------------------------------------------


def _notebook(folder: Path, name: str, body: str) -> None:
    """A stand-in stage that records when it ran and in which folder."""
    record = (
        "import json, os, time\nfrom pathlib import Path\n"
        f"start = time.time()\n{body}\n"
        f"Path(out_dir, '{name}.json').write_text(json.dumps([start, time.time(), os.getcwd()]))"
    )
    write_notebook(folder, name, record)


def _run(job: dict[str, Path]) -> Path:
    return run_job(
        job["data"],
        job["out"],
        config_path=job["config"],
        stages=["first", "main", "side", "last"],
        source_dir=job["notebooks"],
        progress=False,
    )


@pytest.fixture
def job(tmp_path: Path) -> dict[str, Path]:
    data = tmp_path / "data"
    data.mkdir()
    (data / "payments.csv").write_text("x\n", encoding="utf-8")
    notebooks = tmp_path / "nb"
    notebooks.mkdir()
    config = tmp_path / "side.toml"
    config.write_text(
        '[pipeline]\nparallel_stages = 2\n[pipeline.needs]\n"main" = ["first"]\n'
        '"side" = ["first"]\n'
        '"last" = ["main", "side"]\n',
        encoding="utf-8",
    )
    _notebook(notebooks, "first", "")
    _notebook(notebooks, "last", "")
    return {"data": data, "notebooks": notebooks, "config": config, "out": tmp_path / "out"}


@pytest.mark.slow
def test_job_runs_configured_stages_side_by_side(job: dict[str, Path]) -> None:
    here = Path.cwd()
    _notebook(job["notebooks"], "main", "time.sleep(4)")
    _notebook(job["notebooks"], "side", "time.sleep(4)")
    out = _run(job)
    spans = {n: json.loads((out / f"{n}.json").read_text()) for n in ("main", "side", "last")}
    assert spans["side"][0] < spans["main"][1] and spans["main"][0] < spans["side"][1]
    assert spans["last"][0] >= max(spans["main"][1], spans["side"][1])
    manifest = json.loads((out / "manifest.json").read_text("utf-8"))
    assert list(manifest["stage_seconds"]) == ["first", "main", "side", "last"]
    # each kernel works in the staging folder; the job's own folder never changes
    assert all(Path(spans[n][2]).name.startswith(".out.staging-") for n in spans)
    assert Path.cwd() == here


@pytest.mark.slow
def test_a_failing_stage_kills_its_sibling_and_keeps_the_last_run(job: dict[str, Path]) -> None:
    _notebook(job["notebooks"], "main", "time.sleep(1)")
    _notebook(job["notebooks"], "side", "")
    good = _run(job)
    assert (good / "last.json").exists()
    _notebook(job["notebooks"], "main", "time.sleep(120)")
    _notebook(job["notebooks"], "side", "time.sleep(1)\nraise ValueError('side broke')")
    clock = time.perf_counter()
    with pytest.raises(RunFailed, match=r"side\.ipynb failed in cell \d+.*side broke") as caught:
        _run(job)
    assert time.perf_counter() - clock < 60, "the sleeping sibling was not stopped"
    assert caught.value.exit_code == 2
    assert (job["out"] / "last.json").exists()  # the good run is still published
    assert not list(job["out"].parent.glob(".out.staging-*"))
