"""What the leak tests look for: the labels and literal arrays of a chapter's hidden cases,
searched in every file a student receives (the installed package and the release)."""

import ast

from tests.conftest import ROOT

MIN_LITERAL = 20


def _calls(path):
    source = path.read_text()
    return source, [node for node in ast.walk(ast.parse(source)) if isinstance(node, ast.Call)]


def hidden_labels(path):
    """The constant ``label=`` strings of the hidden cases in ``path``."""
    _, calls = _calls(path)
    return {kw.value.value for node in calls for kw in node.keywords
            if kw.arg == "label" and isinstance(kw.value, ast.Constant)}


def hidden_literals(path):
    """The source text of every ``np.array([...])`` written out in ``path``, blanks removed,
    of at least ``MIN_LITERAL`` characters (shorter ones, like ``np.array([0])``, are common
    enough to appear in visible code by chance)."""
    source, calls = _calls(path)
    texts = {"".join(ast.get_source_segment(source, node).split()) for node in calls
             if isinstance(node.func, ast.Attribute) and node.func.attr == "array"
             and node.args and isinstance(node.args[0], ast.List)}
    return {text for text in texts if len(text) >= MIN_LITERAL}


def shipped_files(chapter):
    """The package's text files and the chapter's released notebook."""
    files = [p for p in (ROOT / "dlcourse").rglob("*") if p.is_file() and p.suffix in (".py", ".json", ".txt", ".md")]
    return files + [ROOT / "course" / chapter / f"{chapter}.ipynb"]


def leaks(hidden_path, chapter):
    """``{shipped file: [hidden labels and literals found in it]}``, empty when nothing leaked."""
    labels, literals = hidden_labels(hidden_path), hidden_literals(hidden_path)
    found = {}
    for path in shipped_files(chapter):
        text = path.read_text(errors="replace")
        squeezed = "".join(text.split())
        hits = [label for label in labels if label in text] + [lit for lit in literals if lit in squeezed]
        if hits:
            found[str(path.relative_to(ROOT))] = hits
    return found
