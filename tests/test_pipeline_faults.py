"""Faults in scheduled runs (issue 7 item 2): each leaves the last good run intact.

The stage notebooks here are tiny stand-ins written by the test (a kernel start costs
~1–3 s), so the job machinery is tested apart from the analysis stages.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from riskmodel.pipeline import RunFailed, RunLock, RunLocked, run_job
from riskmodel.pipeline import publish as publish_module
from riskmodel.pipeline.job import EXIT_INPUT_CHANGED, EXIT_STAGE_FAILED, EXIT_WRITE_FAILED

PARAMETERS = (
    'data_dir = ""\nwork_dir = ""\nout_dir = ""\nperiod = ""\nconfig_path = ""\n'
    'theme = ""\nprevious_dir = ""'
)
WRITE_LEADS = (
    "from pathlib import Path\n"
    "Path(out_dir, 'leads.csv').write_text("
    "'lead_id,severity,status\\nL1,高,new\\nL2,低,new\\n', encoding='utf-8')\n"
    "Path(out_dir, 'marker.txt').write_text(Path(data_dir, 'payments.csv').read_text())"
)


def write_notebook(folder: Path, name: str, *cells: str) -> None:
    notebook = nbformat.v4.new_notebook()
    first = nbformat.v4.new_code_cell(PARAMETERS)
    first.metadata["tags"] = ["parameters"]
    notebook.cells = [first, *(nbformat.v4.new_code_cell(c) for c in cells)]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    nbformat.write(notebook, folder / f"{name}.ipynb")


@pytest.fixture
def setup(tmp_path: Path) -> dict[str, Path]:
    data = tmp_path / "衡阳县数据"  # Chinese paths reach the kernel intact (papermill escapes them)
    data.mkdir()
    (data / "payments.csv").write_text("version one\n", encoding="utf-8")
    notebooks = tmp_path / "nb"
    notebooks.mkdir()
    write_notebook(notebooks, "ok", WRITE_LEADS)
    return {"data": data, "notebooks": notebooks, "out": tmp_path / "reports" / "2024Q3"}


def good_run(setup: dict[str, Path]) -> Path:
    return run_job(
        setup["data"], setup["out"], stages=["ok"], source_dir=setup["notebooks"], progress=False
    )


def failure_records(out: Path) -> list[Path]:
    return sorted(out.parent.glob(f".failed-{out.name}-*"))


@pytest.mark.slow
def test_good_run_publishes_owner_only_folder_with_manifest(setup: dict[str, Path]) -> None:
    out = good_run(setup)
    assert (out / "marker.txt").read_text() == "version one\n"
    assert oct(out.stat().st_mode & 0o777) == "0o700"
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "ok"
    assert manifest["leads"]["by_severity"] == {"高": 1, "低": 1}
    assert manifest["stage_seconds"]["ok"] > 0
    assert manifest["input_fingerprints"]["payments.csv"]
    executed = nbformat.read(out / "notebooks" / "ok.ipynb", as_version=4)
    assert executed.metadata.papermill.parameters["data_dir"] == str(setup["data"])
    assert not (out / "work").exists()
    assert [p.name for p in out.parent.iterdir() if p.name.startswith(".")] == [".2024Q3.lock"]


@pytest.mark.slow
def test_failing_notebook_keeps_previous_run_and_names_the_cell(setup: dict[str, Path]) -> None:
    good_run(setup)
    (setup["data"] / "payments.csv").write_text("version two\n", encoding="utf-8")
    write_notebook(
        setup["notebooks"], "bad", "x = 1", "raise ValueError('boom 430421199001011234')"
    )
    with pytest.raises(RunFailed) as caught:
        run_job(
            setup["data"],
            setup["out"],
            stages=["ok", "bad"],
            source_dir=setup["notebooks"],
            progress=False,
        )
    assert caught.value.exit_code == EXIT_STAGE_FAILED
    message = str(caught.value)
    assert "bad.ipynb" in message and "cell" in message and "raise ValueError" in message
    assert "430421199001011234" not in message  # identifiers never reach the terminal
    assert (setup["out"] / "marker.txt").read_text() == "version one\n"
    [record] = failure_records(setup["out"])
    error = (record / "error.txt").read_text()
    assert "ValueError" in error and "430421199001011234" not in error
    assert "----> 1 raise ValueError" in error  # the traceback, identifiers masked
    assert (record / "bad.ipynb").exists()
    assert "430421199001011234" not in (record / "bad.ipynb").read_text()
    assert not list(setup["out"].parent.glob(".2024Q3.staging-*"))
    # the next run recovers by itself
    good_run(setup)
    assert (setup["out"] / "marker.txt").read_text() == "version two\n"


@pytest.mark.slow
def test_input_changed_during_run_is_not_published(setup: dict[str, Path]) -> None:
    good_run(setup)
    write_notebook(
        setup["notebooks"],
        "changes_input",
        WRITE_LEADS,
        "Path(data_dir, 'payments.csv').write_text('half-copied export')",
    )
    with pytest.raises(RunFailed) as caught:
        run_job(
            setup["data"],
            setup["out"],
            stages=["changes_input"],
            source_dir=setup["notebooks"],
            progress=False,
        )
    assert caught.value.exit_code == EXIT_INPUT_CHANGED
    assert "payments.csv: modified during the run" in str(caught.value)
    assert (setup["out"] / "marker.txt").read_text() == "version one\n"
    assert "payments.csv" in (failure_records(setup["out"])[0] / "error.txt").read_text()


@pytest.mark.slow
def test_disk_full_at_publish_keeps_previous_run(
    setup: dict[str, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    good_run(setup)
    (setup["data"] / "payments.csv").write_text("version two\n", encoding="utf-8")
    real_rename = Path.rename

    def rename(self: Path, target: Path) -> Path:
        if ".staging-" in self.name:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_rename(self, target)

    monkeypatch.setattr(Path, "rename", rename)
    with pytest.raises(RunFailed) as caught:
        good_run(setup)
    assert caught.value.exit_code == EXIT_WRITE_FAILED
    assert "No space left on device" in str(caught.value)
    assert (setup["out"] / "marker.txt").read_text() == "version one\n"
    assert not list(setup["out"].parent.glob(".2024Q3.old-*"))
    assert "No space left" in (failure_records(setup["out"])[0] / "error.txt").read_text()
    monkeypatch.setattr(Path, "rename", real_rename)
    good_run(setup)
    assert (setup["out"] / "marker.txt").read_text() == "version two\n"


def test_second_concurrent_run_is_refused(setup: dict[str, Path]) -> None:
    with RunLock(setup["out"]), pytest.raises(RunLocked, match="another run is writing"):
        good_run(setup)


def test_lock_released_when_holder_is_killed(tmp_path: Path) -> None:
    out = tmp_path / "reports" / "run"
    out.parent.mkdir()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path; from riskmodel.pipeline import RunLock\n"
            f"with RunLock(Path({str(out)!r})):\n    print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    with pytest.raises(RunLocked, match=f"process {holder.pid}"), RunLock(out):
        pass
    holder.send_signal(signal.SIGKILL)
    holder.wait()
    with RunLock(out):
        pass


@pytest.mark.slow
def test_killed_run_leaves_previous_intact_and_next_run_cleans_up(
    setup: dict[str, Path],
) -> None:
    good_run(setup)
    write_notebook(setup["notebooks"], "slow", WRITE_LEADS, "import time\ntime.sleep(60)")
    (setup["data"] / "payments.csv").write_text("version two\n", encoding="utf-8")
    script = (
        "from riskmodel.pipeline import run_job\n"
        f"run_job({str(setup['data'])!r}, {str(setup['out'])!r}, stages=['slow'], "
        f"source_dir={str(setup['notebooks'])!r}, progress=False)"
    )
    child = subprocess.Popen([sys.executable, "-c", script], start_new_session=True)
    staging = publish_module.staging_path(setup["out"], child.pid)
    deadline = time.time() + 60
    while not (staging / "leads.csv").exists() and time.time() < deadline:
        time.sleep(0.2)
    assert (staging / "leads.csv").exists(), "the child never reached its slow cell"
    os.killpg(child.pid, signal.SIGKILL)  # the job and its kernel die without cleaning up
    child.wait()
    assert staging.exists()
    assert (setup["out"] / "marker.txt").read_text() == "version one\n"
    good_run(setup)
    assert not staging.exists()
    assert (setup["out"] / "marker.txt").read_text() == "version two\n"


@pytest.mark.slow
def test_kernel_killed_mid_stage_and_disk_full_inside_a_stage(setup: dict[str, Path]) -> None:
    good_run(setup)
    write_notebook(
        setup["notebooks"], "oom", "import os, signal\nos.kill(os.getpid(), signal.SIGKILL)"
    )
    write_notebook(
        setup["notebooks"],
        "full",
        "import errno\nraise OSError(errno.ENOSPC, 'No space left on device')",
    )
    for stage, code in (("oom", EXIT_STAGE_FAILED), ("full", EXIT_WRITE_FAILED)):
        with pytest.raises(RunFailed) as caught:
            run_job(
                setup["data"],
                setup["out"],
                stages=[stage],
                source_dir=setup["notebooks"],
                progress=False,
            )
        assert caught.value.exit_code == code, str(caught.value)
        assert f"{stage}.ipynb" in str(caught.value)
        assert (setup["out"] / "marker.txt").read_text() == "version one\n"
    errors = " ".join((r / "error.txt").read_text() for r in failure_records(setup["out"]))
    assert "DeadKernelError" in errors and "os.kill(os.getpid(), signal.SIGKILL)" in errors
