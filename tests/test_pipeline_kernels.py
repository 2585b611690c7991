"""Kernels started ahead of their stages (pipeline.kernels): a stage runs in a warm kernel
whose imports are done, its notebook looks exactly as if it had started its own, and a
kernel that cannot be warmed leaves the stage to start its own."""

from __future__ import annotations

import json
import os
from pathlib import Path

import nbformat
import psutil

from riskmodel.pipeline.kernels import WarmKernels
from riskmodel.pipeline.notebooks import execute_stage


def _notebook(folder: Path) -> Path:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(
            "import sys, os\n'json' in sys.modules and 'colorsys' in sys.modules"
        ),
        nbformat.v4.new_code_cell("os.getcwd()"),
    ]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    path = folder / "stage.ipynb"
    nbformat.write(notebook, path)
    return path


def _run(path: Path, out: Path, cwd: Path, manager: object | None) -> list[dict]:
    execute_stage(
        "stage",
        path,
        out,
        {},
        kernel_name="python3",
        cwd=cwd,
        timeout=60,
        progress=False,
        kernel_manager=manager,
    )
    cells = json.loads(out.read_text("utf-8"))["cells"]
    return [c for c in cells if c["cell_type"] == "code"]


def _text(cell: dict) -> str:
    return "".join(cell["outputs"][0]["data"]["text/plain"])


def _kernels_in(folder: Path) -> int:
    count = 0
    for child in psutil.Process().children(recursive=True):
        try:
            if "ipykernel" in " ".join(child.cmdline()) and child.cwd() == os.path.realpath(folder):
                count += 1
        except psutil.Error:
            continue
    return count


def test_a_stage_runs_in_a_warm_kernel_with_its_imports_done(tmp_path: Path) -> None:
    source = _notebook(tmp_path)
    kernels = WarmKernels("python3", tmp_path, wanted=2, size=1, imports=["json", "colorsys"])
    try:
        manager = kernels.take()
        assert manager is not None
        cells = _run(source, tmp_path / "out.ipynb", tmp_path, manager)
        kernels.release(manager)
        # the warm-up imports are there; the notebook's counts start at 1 as in a new kernel
        assert _text(cells[0]) == "True"
        assert [c["execution_count"] for c in cells] == [1, 2]
        assert os.path.realpath(tmp_path) in _text(cells[1])
        second = kernels.take()  # started while the first stage ran
        assert second is not None and second is not manager
        kernels.release(second)
        assert kernels.take() is None  # no stage left to start one for
    finally:
        kernels.close()
    assert _kernels_in(tmp_path) == 0  # used and unused kernels are shut down


def test_a_cold_stage_gets_no_warm_kernel_and_imports_stay_its_own(tmp_path: Path) -> None:
    source = _notebook(tmp_path)
    kernels = WarmKernels("python3", tmp_path, wanted=0, size=2, imports=["json"])
    try:
        assert kernels.take() is None
        cells = _run(source, tmp_path / "out.ipynb", tmp_path, None)
        assert _text(cells[0]) == "False"  # colorsys not imported
    finally:
        kernels.close()


def test_a_kernel_whose_imports_fail_is_not_handed_out(tmp_path: Path) -> None:
    kernels = WarmKernels(
        "python3", tmp_path, wanted=1, size=1, imports=["riskmodel_no_such_module"]
    )
    try:
        assert kernels.take() is None  # the stage will start its own kernel
    finally:
        kernels.close()
    assert _kernels_in(tmp_path) == 0


def test_a_warm_kernel_gets_the_configured_environment(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("RISKMODEL_TEST_DROPPED", "present")
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(
            "import os\n"
            "(os.environ.get('MALLOC_TOP_PAD_'), os.environ.get('RISKMODEL_TEST_DROPPED'))"
        )
    ]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    source = tmp_path / "env.ipynb"
    nbformat.write(notebook, source)
    env = {"MALLOC_TOP_PAD_": "1048576", "RISKMODEL_TEST_DROPPED": ""}
    kernels = WarmKernels("python3", tmp_path, wanted=1, size=1, env=env)
    try:
        manager = kernels.take()
        assert manager is not None
        cells = _run(source, tmp_path / "out.ipynb", tmp_path, manager)
        kernels.release(manager)
    finally:
        kernels.close()
    assert _text(cells[0]) == "('1048576', None)"


def test_the_default_kernel_environment_is_strings_only() -> None:
    from riskmodel.config import load_config

    env = load_config()["pipeline"]["kernel_env"]
    values = {k: v for k, v in env.items() if not k.startswith("_")}
    assert values and all(isinstance(v, str) and v.isdigit() for v in values.values())


def test_the_notebook_client_of_a_warm_kernel_is_closed_with_the_kernel(tmp_path: Path) -> None:
    from riskmodel.pipeline.kernels import shutdown_kernel

    source = _notebook(tmp_path)
    kernels = WarmKernels("python3", tmp_path, wanted=1, size=1)
    try:
        manager = kernels.take()
        assert manager is not None
        _run(source, tmp_path / "out.ipynb", tmp_path, manager)
        # nbclient leaves open the client of a kernel it did not start …
        clients = list(manager.__dict__["_riskmodel_clients"])
        assert clients and any(client.channels_running for client in clients)
        shutdown_kernel(manager)
        # … shutting the kernel down closes it (no "Could not destroy zmq context" at exit)
        assert not any(client.channels_running for client in clients)
    finally:
        kernels.close()


def test_a_stage_without_a_warm_kernel_still_gets_the_configured_environment(
    tmp_path: Path,
) -> None:
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell("import os\nos.environ.get('MALLOC_TOP_PAD_')")]
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3"}
    source = tmp_path / "env.ipynb"
    nbformat.write(notebook, source)
    # warm kernels off (wanted=0): the stage's kernel is started cold, with the environment
    kernels = WarmKernels("python3", tmp_path, wanted=0, size=1, env={"MALLOC_TOP_PAD_": "4096"})
    try:
        assert kernels.take() is None
        manager = kernels.take_or_start()
        assert manager is not None
        cells = _run(source, tmp_path / "out.ipynb", tmp_path, manager)
        kernels.release(manager)
    finally:
        kernels.close()
    assert _text(cells[0]) == "'4096'"
    assert _kernels_in(tmp_path) == 0
    # without an environment to give, the stage starts its own kernel (papermill's)
    plain = WarmKernels("python3", tmp_path, wanted=0, size=1)
    assert plain.take_or_start() is None
    plain.close()


def test_a_warm_kernel_that_died_is_shut_down_and_not_handed_out(tmp_path: Path) -> None:
    kernels = WarmKernels("python3", tmp_path, wanted=1, size=1)
    try:
        with kernels._lock:
            while kernels._starting:
                kernels._lock.wait(timeout=60)
        (dead,) = kernels._ready
        connection_file = Path(dead.connection_file)
        psutil.Process(dead.provisioner.process.pid).kill()
        dead.provisioner.process.wait()
        assert kernels.take() is None
    finally:
        kernels.close()
    assert not connection_file.exists()  # its connection file removed with it


def test_kernels_talk_over_unix_sockets_removed_with_them(tmp_path: Path) -> None:
    import sys

    import pytest

    from riskmodel.pipeline.kernels import shutdown_kernel, start_kernel

    if sys.platform == "win32":
        pytest.skip("Unix sockets: POSIX only (TCP elsewhere)")
    # no TCP ports: kernels started side by side cannot race for the same free port
    managers = [start_kernel("python3", tmp_path) for _ in range(3)]
    folders = [Path(m.__dict__["_riskmodel_socket_dir"]) for m in managers]
    try:
        assert {m.transport for m in managers} == {"ipc"}
        assert len(set(folders)) == 3
        cells = _run(_notebook(tmp_path), tmp_path / "out.ipynb", tmp_path, managers[0])
        assert [c["execution_count"] for c in cells] == [1, 2]
        assert any(folders[0].iterdir())  # the kernel's sockets
    finally:
        for manager in managers:
            shutdown_kernel(manager)
    assert not any(folder.exists() for folder in folders)
    assert _kernels_in(tmp_path) == 0


def test_socket_folders_of_jobs_no_longer_running_are_removed(tmp_path: Path) -> None:
    import sys
    import tempfile

    import pytest

    from riskmodel.pipeline import kernels

    if sys.platform == "win32":
        pytest.skip("Unix sockets: POSIX only")
    gone = psutil.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    stale = Path(tempfile.mkdtemp(prefix=f"riskmodel-kernel-{gone.pid}-"))
    live = Path(tempfile.mkdtemp(prefix=f"riskmodel-kernel-{os.getpid()}-"))
    (stale / "ipc-1").write_text("")
    kernels._remove_stale_socket_folders.cache_clear()
    kernels._remove_stale_socket_folders()
    assert not stale.exists() and live.exists()  # a running job's folder stays
    live.rmdir()
