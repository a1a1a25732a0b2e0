"""Similarity detection: honest solutions written in different styles are never flagged,
copies are (the reference verbatim, renamed and reformatted, between two students, and
through ``inspect.getsource``); the flags reach the grades and the class report."""

import itertools
import random

import nbformat
import pytest

from dlcourse.grading import similarity as S
from dlcourse.grading import toy
from dlcourse.grading.pipeline import Course
from tests.course_tools import ROOT
from tests.similarity_samples import DISGUISED, HONEST, SHORT, rename_reference

CHAPTERS = ("ch01-neurons", "ch05-backprop")


@pytest.fixture(scope="module")
def refs():
    found = {}
    for chapter in CHAPTERS:
        source = nbformat.read(ROOT / "solutions" / chapter / f"{chapter}.ipynb", as_version=4)
        found.update(S.references(source, chapter))
    found.update({f"{name}_solution": [code] for name, code in toy.SOLUTIONS.items()})
    return found


def _class(exercise, codes):
    return {f"student{i}": {exercise: code} for i, code in enumerate(codes)}


def test_normalising_forgets_names_literals_comments_docstrings_and_layout():
    a = 'def f(x, n=3):\n    """Doc."""\n    total = x * 2  # twice\n    return g(total, "a") + n\n'
    b = "def other(v,k=7):\n  t=(v*2)\n  return h(t,'b')+k"
    assert S.normalise(a) == S.normalise(b)
    assert "x" not in S.normalise(a) and "NUM" in S.normalise(a) and "STR" in S.normalise(a)
    # the library's names after a dot are kept: np.sum is not np.dot
    assert S.normalise("np.sum(x)") != S.normalise("np.dot(x)")


def test_winnowing_keeps_a_hash_of_every_window_and_its_minimum():
    rng = random.Random(5)
    hashes = [rng.randrange(1000) for _ in range(200)]
    kept = S.winnow(hashes, 4)
    positions = {i for _, i in kept}
    for start in range(len(hashes) - 3):
        window = range(start, start + 4)
        assert positions & set(window), start
        low = min(hashes[i] for i in window)
        assert (low, max(i for i in window if hashes[i] == low)) in kept
    # far fewer fingerprints than k-grams (about 2 / (w + 1) of them on random data)
    assert len(kept) < 0.6 * len(hashes)


def test_a_shared_run_of_w_plus_k_minus_1_tokens_shares_a_fingerprint():
    common = [f"t{i}" for i in range(S.W + S.K - 1)]
    a = S.fingerprint(["a", "b", "c", "d", *common, "e", "f"])
    b = S.fingerprint(["x", "y", *common, "z", "q", "r", "s"])
    assert a & b


@pytest.mark.parametrize("exercise", sorted(HONEST))
def test_honest_solutions_of_longer_exercises_are_not_flagged(exercise, refs):
    codes = HONEST[exercise]
    assert len(codes) >= 5
    assert all(S.prepare_cell(c).tokens >= S.MIN_TOKENS for c in codes)  # really compared
    assert S.compare(_class(exercise, codes), {exercise: refs[exercise]}) == []


@pytest.mark.parametrize("exercise", sorted(SHORT))
def test_honest_solutions_of_short_exercises_are_not_flagged(exercise, refs):
    assert S.compare(_class(exercise, SHORT[exercise]), {exercise: refs[exercise]}) == []


def test_short_cells_are_skipped_because_honest_ones_coincide(refs):
    # the natural one-line answer is token for token the reference's: why short cells are skipped
    natural = SHORT["perceptron_predict"][3]
    assert S.similarity(natural, refs["perceptron_predict"][0]) == 1.0
    assert S.prepare_cell(natural).tokens < S.MIN_TOKENS


@pytest.mark.parametrize("exercise", sorted(HONEST))
def test_copies_of_the_reference_are_flagged_verbatim_and_disguised(exercise, refs):
    reference = refs[exercise][0]
    copies = {"verbatim": reference, "renamed": rename_reference(reference)}
    assert copies["renamed"] != reference
    cls = {**_class(exercise, HONEST[exercise]), **{name: {exercise: c} for name, c in copies.items()}}
    matches = S.compare(cls, {exercise: refs[exercise]})
    assert {(m.student, m.other) for m in matches} == {("renamed", S.REFERENCE), ("verbatim", S.REFERENCE)}
    assert all(m.similarity > 0.9 for m in matches)
    review = S.ClassReview(matches, {})
    assert review.flags("renamed") == [f"review: {exercise} similar to the reference (1.00)"]
    assert review.flags("student0") == []


@pytest.mark.parametrize("exercise", sorted(DISGUISED))
def test_a_copy_between_two_students_is_flagged_for_both(exercise, refs):
    cls = {**_class(exercise, HONEST[exercise]), "copier": {exercise: DISGUISED[exercise]}}
    matches = S.compare(cls, {exercise: refs[exercise]})
    assert [(m.student, m.other) for m in matches] == [("copier", "student0")]
    review = S.ClassReview(matches, {})
    assert review.flags("student0") == [f"review: {exercise} similar to copier ({matches[0].similarity:.2f})"]
    assert review.flags("copier")[0].startswith(f"review: {exercise} similar to student0")
    assert "copier" in review.summary() and "student0" in review.summary()


def test_students_who_both_copied_the_reference_are_listed_with_the_reference_only(refs):
    reference = refs["train_perceptron"][0]
    cls = {"one": {"train_perceptron": reference}, "two": {"train_perceptron": rename_reference(reference)}}
    matches = S.compare(cls, {"train_perceptron": refs["train_perceptron"]})
    assert sorted((m.student, m.other) for m in matches) == [("one", S.REFERENCE), ("two", S.REFERENCE)]


def test_the_references_include_the_library_implementation(refs):
    import inspect

    from dlcourse.checks import ch01

    assert inspect.getsource(ch01._ref_train_perceptron) in refs["train_perceptron"]
    # a retyped copy of the check's reference (not the notebook's solution) is caught
    copy = rename_reference(inspect.getsource(ch01._ref_train_perceptron)).replace("_ref_", "")
    matches = S.compare({"ann": {"train_perceptron": copy}}, {"train_perceptron": refs["train_perceptron"]})
    assert [m.other for m in matches] == [S.REFERENCE]


INSPECT_COPIES = [
    "import inspect\nfrom dlcourse.checks import ch01\n"
    "exec(inspect.getsource(ch01._ref_mcculloch_pitts).replace('_ref_', ''))",
    "from inspect import getsource\nimport dlcourse.neurons as lib\nexec(getsource(lib))",
    "import inspect, importlib\nexec(inspect.getsource(importlib.import_module('dlcourse.neurons')))",
]


@pytest.mark.parametrize("code", INSPECT_COPIES)
def test_copying_the_reference_through_inspect_is_flagged(code):
    assert S.inspect_copies({"mcculloch_pitts": code}) == ["mcculloch_pitts"]


def test_inspect_on_a_library_name_imported_in_another_cell_is_flagged():
    cells = {"sigmoid_solution": "import inspect\nexec(inspect.getsource(F.sigmoid))"}
    assert S.inspect_copies(cells, context=["from dlcourse.functional import activations as F"]) == ["sigmoid_solution"]


def test_inspect_on_the_students_own_code_is_not_flagged():
    code = "import inspect\n\ndef helper(x):\n    return x\n\nprint(inspect.getsource(helper))"
    assert S.inspect_copies({"ex": code}, context=["import numpy as np"]) == []


def test_cells_that_do_not_parse_are_compared_without_failing():
    broken = "%timeit f(x)\ndef f(x:\n    return ("
    assert S.compare({"a": {"ex": broken}, "b": {"ex": broken * 10}}, {"ex": [broken]}) is not None
    assert S.inspect_copies({"ex": broken}) == []


def _course_with_class(tmp_path, answers):
    root = toy.make_course(tmp_path)
    from dlcourse.grading.release import release

    release(root, [toy.CHAPTER])
    release_nb = nbformat.read(root / "course" / toy.CHAPTER / f"{toy.CHAPTER}.ipynb", as_version=4)
    course = Course(root)
    for student, given in answers.items():
        path = course.submitted / student / toy.CHAPTER / f"{toy.CHAPTER}.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(toy.fill(release_nb, given), path)
    return course


LONG_TOTAL = """def total(x):
    values = list(np.asarray(x, dtype=float).ravel())
    running = 0.0
    compensation = 0.0
    for value in values:
        y = value - compensation
        t = running + y
        compensation = (t - running) - y
        running = t
    return float(running)"""


@pytest.mark.slow
def test_the_class_review_reaches_the_grades_and_the_report(tmp_path):
    from dlcourse.grading.pipeline import Options, autograde, summary_table
    from dlcourse.grading.report import write_report

    renamed = LONG_TOTAL.replace("running", "acc").replace("compensation", "c").replace("values", "vs")
    course = _course_with_class(tmp_path, {
        "honest": toy.SOLUTIONS,
        "kahan": {**toy.SOLUTIONS, "total": LONG_TOTAL},
        "copier": {**toy.SOLUTIONS, "total": "# mine\n" + renamed},
        "inspector": {**toy.SOLUTIONS, "sigmoid": "import inspect\nexec(inspect.getsource(F.sigmoid))"},
    })
    run = autograde(course.root, toy.CHAPTER, options=Options(workers=2, progress=False))
    outcomes = {o.student: o for o in run.outcomes}
    assert outcomes["honest"].flags == []
    assert any(f.startswith("review: total_solution similar to copier (") for f in outcomes["kahan"].flags)
    assert any(f.startswith("review: total_solution similar to kahan (") for f in outcomes["copier"].flags)
    assert "review: sigmoid_solution copies the reference via inspect" in outcomes["inspector"].flags
    # a review flag only: the copies keep the points their answers earn
    assert outcomes["copier"].score == outcomes["kahan"].score == outcomes["honest"].score
    table = summary_table(run)
    assert "similar solution cells" in table and "copies the reference via inspect" in table
    page = write_report(course, toy.CHAPTER).read_text()
    assert "Similar solution cells" in page and "compensation" in page and "acc = t" in page
