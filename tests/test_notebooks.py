"""The pipeline notebooks stay thin: literal parameters, library calls, no logic, no outputs."""

from __future__ import annotations

import ast
from pathlib import Path

import nbformat
import pytest
from papermill.inspection import inspect_notebook

from riskmodel.config import load_config

NOTEBOOKS = Path(__file__).resolve().parents[1] / "notebooks"
STAGES = load_config()["pipeline"]["stages"]
STAGE_PARAMETERS = {
    "data_dir",
    "work_dir",
    "out_dir",
    "period",
    "config_path",
    "theme",
    "previous_dir",
}
ALL = [*STAGES, "explore"]


def code_cells(name: str) -> list[nbformat.NotebookNode]:
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    return [cell for cell in notebook.cells if cell.cell_type == "code"]


def test_every_configured_stage_has_a_notebook() -> None:
    assert STAGES, "no stages configured"
    for stage in STAGES:
        assert (NOTEBOOKS / f"{stage}.ipynb").exists(), stage


@pytest.mark.parametrize("name", ALL)
def test_first_code_cell_is_tagged_parameters_with_only_literals(name: str) -> None:
    first = code_cells(name)[0]
    assert "parameters" in first.metadata.get("tags", [])
    for statement in ast.parse(first.source).body:
        assert isinstance(statement, ast.Assign), ast.dump(statement)
        assert isinstance(statement.value, ast.Constant), ast.dump(statement)


@pytest.mark.parametrize("name", STAGES)
def test_stage_notebooks_take_the_job_parameters(name: str) -> None:
    parameters = inspect_notebook(str(NOTEBOOKS / f"{name}.ipynb"))
    assert set(parameters) == STAGE_PARAMETERS


@pytest.mark.parametrize("name", ALL)
def test_cells_hold_no_definitions_and_at_most_one_library_call(name: str) -> None:
    for cell in code_cells(name)[1:]:
        tree = ast.parse(cell.source)
        for node in ast.walk(tree):
            assert not isinstance(node, ast.FunctionDef | ast.ClassDef | ast.Lambda), cell.source
            assert not isinstance(node, ast.For | ast.While), cell.source
        statements = [s for s in tree.body if not isinstance(s, ast.Import | ast.ImportFrom)]
        calls = [n for s in statements for n in ast.walk(s) if isinstance(n, ast.Call)]
        assert len(calls) <= 1, cell.source


@pytest.mark.parametrize("name", ALL)
def test_notebooks_are_committed_without_outputs(name: str) -> None:
    for cell in code_cells(name):
        assert cell.get("outputs", []) == [] and cell.get("execution_count") is None
    notebook = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    assert notebook.metadata["kernelspec"]["name"] == "python3"
    nbformat.validate(notebook)


def test_notebooks_only_call_functions_that_exist() -> None:
    from riskmodel.pipeline import explore, stages

    modules = {"stages": stages, "explore": explore}
    for name in ALL:
        for cell in code_cells(name)[1:]:
            for node in ast.walk(ast.parse(cell.source)):
                is_module_attribute = isinstance(node, ast.Attribute) and isinstance(
                    node.value, ast.Name
                )
                if is_module_attribute and node.value.id in modules:
                    assert hasattr(modules[node.value.id], node.attr), (name, node.attr)
