"""Running a notebook and reading its graded test cells, as a student checks
their work before submitting.

A test cell's outcome follows nbgrader's rules with one difference: output
on stderr (a warning) is not a failure here. An error output scores zero; a
numeric result is partial credit; anything else is full marks.
"""

import time
from dataclasses import dataclass
from pathlib import Path

import nbformat
from nbclient import NotebookClient


@dataclass
class CellResult:
    grade_id: str
    points: float
    max_points: float
    message: str = ""

    @property
    def passed(self):
        return self.points >= self.max_points


def _partial(output, max_points):
    text = output.get("data", {}).get("text/plain")
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return min(max(value, 0.0), max_points)


def cell_result(cell):
    """Score one executed test cell (nbgrader metadata with ``grade: true``)."""
    meta = cell.metadata["nbgrader"]
    max_points = float(meta.get("points", 0))
    for output in cell.get("outputs", []):
        if output.output_type == "error":
            message = f"{output.ename}: {output.evalue}"
            return CellResult(meta["grade_id"], 0.0, max_points, message)
    for output in cell.get("outputs", []):
        if output.output_type == "execute_result":
            partial = _partial(output, max_points)
            if partial is not None:
                shown = "".join(
                    o.get("text", "") for o in cell.outputs if o.output_type == "stream"
                )
                return CellResult(meta["grade_id"], partial, max_points, shown.strip())
    return CellResult(meta["grade_id"], max_points, max_points)


def graded_cells(notebook):
    return [
        cell for cell in notebook.cells
        if cell.cell_type == "code" and cell.metadata.get("nbgrader", {}).get("grade")
    ]


def execute(path, timeout=120, kernel_name=None):
    """Execute a notebook in its own folder, carrying on past errors.

    Returns the executed notebook and the wall time in seconds.
    """
    path = Path(path)
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        allow_errors=True,
        kernel_name=kernel_name or notebook.metadata.get("kernelspec", {}).get("name", "python3"),
        resources={"metadata": {"path": str(path.parent.resolve())}},
    )
    start = time.perf_counter()
    client.execute()
    return notebook, time.perf_counter() - start


def validate(path, timeout=120):
    """Execute ``path`` and return the result of every graded test cell."""
    notebook, _ = execute(path, timeout=timeout)
    return [cell_result(cell) for cell in graded_cells(notebook)]
