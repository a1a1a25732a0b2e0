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

import json
import os
import uuid
import warnings
from dataclasses import dataclass, field

import nbformat
from nbconvert.exporters.exporter import ResourcesDict
from nbgrader import utils
from nbgrader.nbgraderformat import MetadataValidator, SchemaTooNewError, ValidationError
from nbgrader.preprocessors import CheckCellMetadata, ClearOutput, DeduplicateIds, OverwriteCells

from dlcourse.grading import tamper


MAX_NOTEBOOK_BYTES = 20 * 2**20   # a chapter's notebook with its outputs is well under 5 MB
MAX_CELLS = 2000                   # a chapter has under 100 cells; a student may add many


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
        size = os.stat(path).st_size
        if size > MAX_NOTEBOOK_BYTES:
            raise Unreadable(f"the file is {size / 2**20:.0f} MB, more than the "
                             f"{MAX_NOTEBOOK_BYTES // 2**20} MB a submission may have (clear its "
                             "outputs: Edit > Clear Outputs of All Cells, then save)")
        with open(path, "rb") as f:
            raw = f.read(MAX_NOTEBOOK_BYTES + 1)
    except OSError as error:
        raise Unreadable(f"cannot read the file: {error.strerror}") from None
    if not raw.strip():
        raise Unreadable("the file is empty")
    # counted on the raw bytes, before the JSON is parsed: an upper bound on the cells
    cells = raw.count(b'"cell_type"')
    if cells > MAX_CELLS:
        raise Unreadable(f"the notebook has about {cells} cells, more than the {MAX_CELLS} a "
                         "submission may have")
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


class SourceCells:
    """The gradebook's ``find_*`` lookups, remembered for one grading run.

    nbgrader's preprocessors open a new gradebook connection per notebook and
    query it cell by cell; the source cells, checksums and points they read
    do not change while a chapter is graded, so one run asks each question once.
    """

    def __init__(self, gradebook):
        self._gradebook, self._found = gradebook, {}

    def __getattr__(self, name):
        value = getattr(self._gradebook, name)
        if not name.startswith("find_"):
            return value

        def find(*args):
            if (name, args) not in self._found:
                self._found[(name, args)] = value(*args)
            return self._found[(name, args)]

        return find

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        return False


class _OverwriteCells(OverwriteCells):
    """nbgrader's ``OverwriteCells`` reading from the run's :class:`SourceCells`
    instead of a connection of its own (its ``preprocess``, with that one change)."""

    def __init__(self, source_cells, **kwargs):
        super().__init__(**kwargs)
        self.source_cells = source_cells

    def preprocess(self, nb, resources):
        self.notebook_id = resources["nbgrader"]["notebook"]
        self.assignment_id = resources["nbgrader"]["assignment"]
        self.gradebook = self.source_cells
        nb, resources = super(OverwriteCells, self).preprocess(nb, resources)
        if self.add_missing_cells:
            nb, resources = self.add_missing_grade_cells(nb, resources)
            nb, resources = self.add_missing_task_cells(nb, resources)
        return nb, resources


def _overwrite_kernelspec(nb, source_cells, chapter):
    """As nbgrader's ``OverwriteKernelspec``: the released kernel, whatever the student's file says."""
    kernelspec = source_cells.find_notebook(chapter, chapter).kernelspec
    if kernelspec:
        nb.metadata["kernelspec"] = json.loads(kernelspec)


def _upgrade_metadata(nb):
    """Cells saved with an older nbgrader metadata schema, upgraded as ``nbgrader update``
    does; returns a flag (for the record, not a fault of the student's) when any was."""
    before = [json.dumps(cell.get("metadata", {}).get("nbgrader"), sort_keys=True) for cell in nb.cells]
    try:
        MetadataValidator().upgrade_notebook_metadata(nb)
    except SchemaTooNewError as error:
        raise Unreadable(f"its nbgrader metadata is newer than this nbgrader reads: {error}") from None
    except (ValidationError, KeyError, TypeError, AttributeError) as error:
        raise Unreadable(f"its nbgrader metadata is corrupted: {error}") from None
    after = [json.dumps(cell.get("metadata", {}).get("nbgrader"), sort_keys=True) for cell in nb.cells]
    changed = sum(b != a for b, a in zip(before, after))
    return [f"note: {changed} cell(s) had an older nbgrader metadata schema (upgraded)"] if changed else []


def _deduplicate_ids(nb, resources, flags):
    """nbgrader's ``DeduplicateIds`` (a cell id that appears twice keeps its nbgrader
    metadata only on its last copy), without the empty ``nbgrader`` entry it leaves on the
    other copies, which later steps cannot read: those copies become ordinary cells."""
    counts = {}
    for cell in nb.cells:
        grade_id = cell.get("metadata", {}).get("nbgrader", {}).get("grade_id")
        if grade_id:
            counts[grade_id] = counts.get(grade_id, 0) + 1
    nb, resources = DeduplicateIds().preprocess(nb, resources)
    for cell in nb.cells:
        if cell.get("metadata", {}).get("nbgrader", None) == {}:
            del cell.metadata["nbgrader"]
    flags += [f"note: cell `{gid}` appears {n} times; the last copy is the graded one"
              for gid, n in sorted(counts.items()) if n > 1]
    return nb, resources


def prepare(path, release_nb, source_cells, chapter, student):
    """Read, check and repair one submission; raise Unreadable if it cannot be graded.

    ``source_cells`` is the run's :class:`SourceCells` (or an open nbgrader ``Gradebook``).
    """
    nb = read_submission(path)
    resources = ResourcesDict(nbgrader={"notebook": chapter, "assignment": chapter,
                                        "student": student, "db_url": ""})
    flags = _upgrade_metadata(nb)
    flags += _compare_with_release(nb, release_nb, source_cells, chapter)
    try:
        nb, resources = ClearOutput().preprocess(nb, resources)
        nb, resources = _deduplicate_ids(nb, resources, flags)
        for step in (_OverwriteCells(source_cells, add_missing_cells=True), CheckCellMetadata()):
            nb, resources = step.preprocess(nb, resources)
        _overwrite_kernelspec(nb, source_cells, chapter)
    except ValidationError as error:
        raise Unreadable(f"its nbgrader metadata is corrupted: {error}") from None
    except (KeyError, TypeError, AttributeError, RuntimeError) as error:
        raise Unreadable(f"nbgrader could not repair it ({type(error).__name__}: {error})") from None
    for cell in nb.cells:  # a cell nbgrader put back has no id; nbformat 5 wants one
        cell.setdefault("id", uuid.uuid4().hex[:8])
    code = [(i, cell.source, not (utils.is_grade(cell) or utils.is_locked(cell)))
            for i, cell in enumerate(nb.cells) if cell.cell_type == "code"]
    return Prepared(nb, flags, tamper.scan(code))
