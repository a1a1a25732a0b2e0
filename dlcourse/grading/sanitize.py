"""Preparing a submission for execution, in the grader's process, with nbgrader's own steps.

nbgrader's autograde runs a notebook through ``ClearOutput``,
``DeduplicateIds``, ``OverwriteKernelspec``, ``OverwriteCells`` (put back
each test cell's source, points and checksum from the gradebook; with
``add_missing_cells`` a deleted test cell is inserted again) and
``CheckCellMetadata``. The same preprocessors run here, before the notebook
goes to a worker, and what they repaired becomes a *flag* the instructor
sees: a deleted, edited or retyped test cell, changed points, metadata that
had to be restored. A file that is not a notebook at all is reported as
unreadable instead of stopping the run.
"""

import uuid
import warnings
from dataclasses import dataclass, field

import nbformat
from nbconvert.exporters.exporter import ResourcesDict
from nbgrader import utils
from nbgrader.api import Gradebook
from nbgrader.nbgraderformat import ValidationError
from nbgrader.preprocessors import (CheckCellMetadata, ClearOutput, DeduplicateIds,
                                    OverwriteCells, OverwriteKernelspec)

from dlcourse.grading import tamper


class Unreadable(Exception):
    """The submitted file is not a notebook nbgrader can grade; the message says why."""


@dataclass
class Prepared:
    notebook: object                       # the sanitised nbformat notebook
    flags: list = field(default_factory=list)
    findings: list = field(default_factory=list)  # tamper.Finding, in cell order


def read_submission(path):
    """Read a submitted notebook, or raise :class:`Unreadable` with the reason."""
    try:
        with open(path, "rb") as f:
            raw = f.read()
    except OSError as error:
        raise Unreadable(f"cannot read the file: {error.strerror}") from None
    if not raw.strip():
        raise Unreadable("the file is empty")
    try:
        with warnings.catch_warnings():  # duplicate or missing cell ids are repaired, not fatal
            warnings.simplefilter("ignore")
            nb = nbformat.reads(raw.decode("utf-8", errors="replace"), as_version=4)
    except Exception as error:  # nbformat raises several kinds for broken JSON
        raise Unreadable(f"the file is not a valid notebook ({type(error).__name__}: "
                         f"{(str(error).splitlines() or [''])[0][:200]})") from None
    if not isinstance(nb.get("cells"), list):
        raise Unreadable("the file has no cells")
    return nb


def _release_sources(release_nb):
    return {cell.metadata["nbgrader"]["grade_id"]: cell.source.strip()
            for cell in release_nb.cells
            if cell.metadata.get("nbgrader", {}).get("grade_id")}


def _compare_with_release(nb, release_nb, gradebook, chapter):
    """Flags for test cells the student removed or changed (before nbgrader repairs them)."""
    flags = []
    released = _release_sources(release_nb)
    notebook = gradebook.find_notebook(chapter, chapter)
    present = {}
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id:
            present[grade_id] = cell
    for graded in notebook.grade_cells:
        name = graded.name
        if name not in present:
            flags.append(f"test cell `{name}` was deleted or its metadata removed (restored)")
            continue
        cell = present[name]
        meta = cell.metadata.nbgrader
        if graded.cell_type != cell.cell_type:
            flags.append(f"test cell `{name}` changed type (restored)")
        if float(meta.get("points", -1)) != float(graded.max_score):
            flags.append(f"test cell `{name}` had its points changed (restored)")
        source = gradebook.find_source_cell(name, chapter, chapter)
        if source.locked and name in released and cell.source.strip() != released[name]:
            flags.append(f"test cell `{name}` was edited (restored)")
    return flags


def prepare(path, release_nb, db_url, chapter, student):
    """Read, check and repair one submission; raise Unreadable if it cannot be graded."""
    nb = read_submission(path)
    resources = ResourcesDict(nbgrader={"notebook": chapter, "assignment": chapter,
                                        "student": student, "db_url": db_url})
    with Gradebook(db_url) as gradebook:
        flags = _compare_with_release(nb, release_nb, gradebook, chapter)
    steps = [ClearOutput(), DeduplicateIds(), OverwriteKernelspec(),
             OverwriteCells(add_missing_cells=True), CheckCellMetadata()]
    try:
        for step in steps:
            nb, resources = step.preprocess(nb, resources)
    except ValidationError as error:
        raise Unreadable(f"its nbgrader metadata is corrupted: {error}") from None
    except (KeyError, TypeError, AttributeError, RuntimeError) as error:
        raise Unreadable(f"nbgrader could not repair it ({type(error).__name__}: {error})") from None
    for cell in nb.cells:  # a cell nbgrader put back has no id; nbformat 5 wants one
        cell.setdefault("id", uuid.uuid4().hex[:8])
    code = [(i, cell.source, not (utils.is_grade(cell) or utils.is_locked(cell)))
            for i, cell in enumerate(nb.cells) if cell.cell_type == "code"]
    return Prepared(nb, flags, tamper.scan(code))
