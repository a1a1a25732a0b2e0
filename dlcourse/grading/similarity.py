"""Copies caught: how alike two solution cells are, after names and formatting are gone.

Each solution cell (an nbgrader ``solution: true`` cell, known by its grade_id) is
normalised, cut into k-grams of tokens, and reduced to a fingerprint by winnowing
(Schleimer, Wilkerson and Aiken 2003, the algorithm of MOSS):

* normalise: parse the cell and write its syntax tree in pre-order, docstrings dropped
  (so comments, blank lines, brackets and layout are gone): each node is its type, a name
  a placeholder by its role (``DEF`` for a name being defined, ``CALL`` for a name called,
  ``NAME`` otherwise; an attribute keeps its own name, so ``np.dot`` is not ``np.sum``),
  a number ``NUM`` and a string ``STR``; a cell that does not parse is tokenized instead;
* hash every run of ``K`` consecutive tokens;
* winnow: in every window of ``W`` consecutive hashes keep the smallest (the rightmost
  on a tie). Any match at least ``W + K - 1`` tokens long shares a kept hash.

The similarity of two cells is the Jaccard index of their fingerprints,
``|A & B| / |A | B|``. A cell with fewer than ``MIN_TOKENS`` normalised tokens is not
compared: there, two honest answers are often the same few tokens. ``K``, ``W``,
``MIN_TOKENS`` and ``THRESHOLD`` were chosen by measuring honest solutions written in
different styles against each other and against copies (see ``tests/test_similarity.py``).

Why no dependency: the algorithm is a few dozen lines; the packages that offer it
(``copydetect`` and the like) pull in their own tokenisers and report formats and compare
files, not notebook cells, and MOSS itself is a remote service that would receive the
students' work.

Each cell is compared with the reference of its exercise (the source notebook's solution
cell and the library's implementation of each function the cell defines) and with the
same cell of every other student. Calling ``inspect.getsource`` on a library object is
flagged on its own: the source it returns is the reference's.
"""

import ast
import importlib
import inspect
import io
import keyword
import pkgutil
import re
import tokenize
from dataclasses import dataclass
from itertools import combinations
from pathlib import Path

import nbformat

K = 5
W = 4
MIN_TOKENS = 50
THRESHOLD = 0.5

REFERENCE = "the reference"
_SOLUTION_MARKERS = re.compile(r"^[ \t]*### (BEGIN|END) SOLUTION[ \t]*\n?", re.M)
_SKIPPED = {tokenize.COMMENT, tokenize.NL, tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT,
            tokenize.ENCODING, tokenize.ENDMARKER}
_INSPECT_SOURCE = {"getsource", "getsourcelines", "getsourcefile", "findsource", "getfile"}


@dataclass
class Match:
    """Two cells of one exercise that are alike: ``other`` is a student or :data:`REFERENCE`."""

    exercise: str
    student: str
    other: str
    similarity: float
    code: str
    other_code: str

    def flag(self, student):
        """The review flag this match puts on ``student``'s grades."""
        who = self.other if student == self.student else self.student
        return f"review: {self.exercise} similar to {who} ({self.similarity:.2f})"


def _is_docstring(statement):
    return (isinstance(statement, ast.Expr) and isinstance(statement.value, ast.Constant)
            and isinstance(statement.value.value, str))


def _syntax_tokens(node, out, called=False):
    """The syntax tree in pre-order: a node's type (so layout and comments are gone), a
    name by its role, an attribute by its own name, a literal by its class."""
    if isinstance(node, ast.Name):
        out.append("CALL" if called else "NAME")
        return
    if isinstance(node, ast.Constant):
        value = node.value
        out.append("STR" if isinstance(value, (str, bytes)) else "NUM" if isinstance(value, (int, float, complex))
                   and not isinstance(value, bool) else repr(value))
        return
    out.append(type(node).__name__)
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        out.append("DEF")
    elif isinstance(node, ast.Attribute):
        _syntax_tokens(node.value, out)
        out.append(node.attr)
        return
    elif isinstance(node, ast.arg):
        out.append("NAME")
        return
    for name in node._fields:
        value = getattr(node, name, None)
        if isinstance(value, list):
            if name == "body" and value and _is_docstring(value[0]):
                value = value[1:]
            for item in value:
                if isinstance(item, ast.AST):
                    _syntax_tokens(item, out)
        elif isinstance(value, ast.AST) and not isinstance(value, ast.expr_context):
            _syntax_tokens(value, out, called=name == "func" and isinstance(node, ast.Call))


def normalise(source):
    """The cell's tokens with names, literals and formatting replaced (see the module doc):
    from its syntax tree, or from its tokens when it does not parse (e.g. IPython magics)."""
    source = _SOLUTION_MARKERS.sub("", source)
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError, RecursionError):
        return _raw_tokens(source)
    tokens = []
    try:
        _syntax_tokens(tree, tokens)
    except RecursionError:
        return _raw_tokens(source)
    return tokens[1:]  # without "Module"


def _raw_tokens(source):
    source = "\n".join(line for line in source.splitlines() if not line.lstrip().startswith(("%", "!")))
    tokens = []
    try:
        raw = [t for t in tokenize.generate_tokens(io.StringIO(source).readline) if t.type not in _SKIPPED]
    except (tokenize.TokenError, IndentationError, SyntaxError):
        return tokens
    for i, tok in enumerate(raw):
        if tok.type == tokenize.NAME and not keyword.iskeyword(tok.string):
            before = raw[i - 1].string if i else ""
            after = raw[i + 1].string if i + 1 < len(raw) else ""
            if before == ".":
                tokens.append(tok.string)
            elif before in ("def", "class"):
                tokens.append("DEF")
            elif after == "(":
                tokens.append("CALL")
            else:
                tokens.append("NAME")
        elif tok.type == tokenize.NUMBER:
            tokens.append("NUM")
        elif tok.type == tokenize.STRING or tok.type in _FSTRING_TYPES:
            if not tokens or tokens[-1] != "STR":
                tokens.append("STR")
        else:
            tokens.append(tok.string)
    return tokens


_FSTRING_TYPES = {getattr(tokenize, name) for name in ("FSTRING_START", "FSTRING_MIDDLE", "FSTRING_END")
                  if hasattr(tokenize, name)}


def winnow(hashes, window=W):
    """The fingerprint of a sequence of k-gram hashes: the minimum of every window of
    ``window`` consecutive hashes (the rightmost minimum on a tie), as a set of
    ``(hash, position)`` pairs so that a hash kept by two windows counts once."""
    if len(hashes) <= window:
        return {(h, i) for i, h in enumerate(hashes[:1])} if hashes else set()
    kept = set()
    for start in range(len(hashes) - window + 1):
        chunk = hashes[start:start + window]
        low = min(chunk)
        offset = window - 1 - chunk[::-1].index(low)
        kept.add((low, start + offset))
    return kept


def fingerprint(tokens, k=K, window=W):
    """The winnowed k-gram hashes of ``tokens`` (positions dropped)."""
    # a token's id, not its string hash: str hashes change from one process to the next
    ids = [_TOKEN_IDS.setdefault(t, len(_TOKEN_IDS)) for t in tokens]
    hashes = [hash(tuple(ids[i:i + k])) for i in range(len(ids) - k + 1)]
    return frozenset(h for h, _ in winnow(hashes, window))


_TOKEN_IDS = {}


def jaccard(a, b):
    """``|a & b| / |a | b|`` (0 for two empty sets)."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


@dataclass
class Cell:
    code: str
    tokens: int
    prints: frozenset


def prepare_cell(code):
    tokens = normalise(code)
    return Cell(code, len(tokens), fingerprint(tokens))


def similarity(code_a, code_b):
    """The Jaccard index of two cells' fingerprints (whatever their length)."""
    return jaccard(prepare_cell(code_a).prints, prepare_cell(code_b).prints)


def compare(submissions, references=None, threshold=THRESHOLD, min_tokens=MIN_TOKENS):
    """Every pair of alike cells, most alike first.

    ``submissions`` is ``{student: {exercise: source}}``, ``references``
    ``{exercise: [source, ...]}``. A student's cell is compared with each reference of its
    exercise (the highest counts) and with the same exercise of every other student; two
    students who are both alike to the reference are listed once each, with the reference
    (it explains their likeness), not as a pair."""
    references = references or {}
    cells = {student: {ex: prepare_cell(code) for ex, code in answers.items()}
             for student, answers in submissions.items()}
    refs = {ex: [prepare_cell(code) for code in codes] for ex, codes in references.items()}
    matches = []
    exercises = sorted({ex for answers in cells.values() for ex in answers})
    for exercise in exercises:
        entries = [(student, answers[exercise]) for student, answers in sorted(cells.items())
                   if exercise in answers and answers[exercise].tokens >= min_tokens]
        copied = set()
        for student, cell in entries:
            best = max(((jaccard(cell.prints, ref.prints), ref) for ref in refs.get(exercise, ())
                        if ref.tokens >= min_tokens), key=lambda pair: pair[0], default=None)
            if best and best[0] >= threshold:
                matches.append(Match(exercise, student, REFERENCE, best[0], cell.code, best[1].code))
                copied.add(student)
        for (s1, c1), (s2, c2) in combinations(entries, 2):
            if s1 in copied and s2 in copied:
                continue
            score = jaccard(c1.prints, c2.prints)
            if score >= threshold:
                matches.append(Match(exercise, s1, s2, score, c1.code, c2.code))
    return sorted(matches, key=lambda m: (-m.similarity, m.exercise, m.student, m.other))


# -- copying the reference through inspect ---------------------------------------------


def _library_names(tree):
    """Names bound to something of the ``dlcourse`` package by an import in ``tree``."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "dlcourse":
                    names.add((alias.asname or alias.name).split(".")[0])
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "dlcourse":
            names.update(alias.asname or alias.name for alias in node.names)
    return names


def _root(node):
    while isinstance(node, (ast.Attribute, ast.Subscript, ast.Call)):
        node = node.value if not isinstance(node, ast.Call) else node.func
    return node.id if isinstance(node, ast.Name) else None


def inspect_copies(cells, context=()):
    """``[exercise]`` of the ``{exercise: source}`` cells that call ``inspect.getsource`` (or
    a sibling) on an object of the library; the imports of these cells and of the
    ``context`` sources (the notebook's other cells) count."""
    trees = {}
    for exercise, code in cells.items():
        try:
            trees[exercise] = ast.parse(_SOLUTION_MARKERS.sub("", code))
        except (SyntaxError, ValueError, RecursionError):
            continue
    library = set()
    for code in [*cells.values(), *context]:
        try:
            library |= _library_names(ast.parse(_SOLUTION_MARKERS.sub("", code)))
        except (SyntaxError, ValueError, RecursionError):
            continue
    found = []
    for exercise, tree in trees.items():
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
            if name not in _INSPECT_SOURCE:
                continue
            roots = {_root(arg) for arg in node.args}
            dynamic = any(isinstance(arg, ast.Call) for arg in node.args)  # e.g. importlib
            if roots & library or dynamic or not node.args:
                found.append(exercise)
                break
    return found


# -- a chapter's cells and references -----------------------------------------------------


def solution_cells(notebook):
    """``{grade_id: source}`` of the notebook's solution cells."""
    found = {}
    for cell in notebook.cells:
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell.get("cell_type") == "code" and meta.get("solution") and meta.get("grade_id"):
            found[meta["grade_id"]] = cell.source
    return found


def _defined_functions(code):
    try:
        tree = ast.parse(_SOLUTION_MARKERS.sub("", code))
    except (SyntaxError, ValueError, RecursionError):
        return []
    return [node.name for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))]


_SKIP_PACKAGES = ("dlcourse.grading", "dlcourse.commands", "dlcourse.checks", "dlcourse.cli",
                  "dlcourse.__main__", "dlcourse.viz")


def _library_modules():
    import dlcourse

    modules = []
    for info in pkgutil.walk_packages(dlcourse.__path__, "dlcourse."):
        if info.name.startswith(_SKIP_PACKAGES):
            continue
        try:
            modules.append(importlib.import_module(info.name))
        except Exception:  # a module that needs an optional extra is simply not searched
            continue
    return modules


def library_sources(chapter, names):
    """The sources of the library's implementations of ``names``: the chapter's check module's
    ``_ref_<name>`` and any function or class ``<name>`` of the library's modules."""
    found = []
    check = None
    try:
        check = importlib.import_module(f"dlcourse.checks.{chapter.split('-')[0]}")
    except ImportError:
        pass
    modules = _library_modules() if names else []
    for name in names:
        candidates = [getattr(check, f"_ref_{name}", None)] if check else []
        candidates += [getattr(module, name, None) for module in modules]
        seen = set()
        for obj in candidates:
            if (inspect.isfunction(obj) or inspect.isclass(obj)) and id(obj) not in seen \
                    and getattr(obj, "__module__", "").startswith("dlcourse"):
                seen.add(id(obj))
                try:
                    found.append(inspect.getsource(obj))
                except (OSError, TypeError):
                    continue
    return found


def references(source_notebook, chapter):
    """``{grade_id: [source, ...]}``: the source notebook's solution cell of each exercise and
    the library's implementation of every function that cell defines."""
    refs = {}
    for grade_id, code in solution_cells(source_notebook).items():
        refs[grade_id] = [_SOLUTION_MARKERS.sub("", code)] + library_sources(chapter, _defined_functions(code))
    return refs


def read_class(submitted, chapter):
    """``{student: notebook}`` of every readable submission of ``chapter``."""
    found = {}
    for folder in sorted(Path(submitted).iterdir()) if Path(submitted).is_dir() else ():
        path = folder / chapter / f"{chapter}.ipynb"
        if folder.name.startswith(".") or not path.is_file():
            continue
        try:
            found[folder.name] = nbformat.read(path, as_version=4)
        except Exception:  # an unreadable notebook gets its own flag from grading
            continue
    return found


@dataclass
class ClassReview:
    """What similarity detection found in a chapter's class."""

    matches: list
    inspect: dict  # student -> [exercise]

    def flags(self, student):
        out = [f"review: {exercise} copies the reference via inspect" for exercise in self.inspect.get(student, ())]
        out += [m.flag(student) for m in self.matches if student in (m.student, m.other)]
        return out

    def summary(self):
        """The text summary's section (empty when nothing was found)."""
        if not self.matches and not self.inspect:
            return ""
        lines = ["similar solution cells (for review; no points are taken):"]
        for student, exercises in sorted(self.inspect.items()):
            lines += [f"  {student:<20} {exercise:<24} copies the reference via inspect" for exercise in exercises]
        lines += [f"  {m.student:<20} {m.exercise:<24} {m.similarity:.2f}  similar to {m.other}" for m in self.matches]
        return "\n".join(lines)


def review_class(course, chapter):
    """Compare every submission of ``chapter`` in ``course`` with the reference and each other."""
    source = Path(course.source) / chapter / f"{chapter}.ipynb"
    refs = references(nbformat.read(source, as_version=4), chapter) if source.is_file() else {}
    notebooks = read_class(course.submitted, chapter)
    cells = {student: solution_cells(nb) for student, nb in notebooks.items()}
    copied = {}
    for student, nb in notebooks.items():
        context = [c.source for c in nb.cells if c.get("cell_type") == "code"]
        if found := inspect_copies(cells[student], context):
            copied[student] = found
    return ClassReview(compare(cells, refs), copied)
