"""Reading a submission's own cells for attempts to change how grading works.

Before anything runs, the code a student wrote (every cell that is not a
locked test cell) is parsed, IPython syntax included, and searched for:

* **patching**: assigning to, deleting or ``setattr``-ing an attribute of
  ``numpy``, ``dlcourse`` (the checks and the reference library) or
  ``builtins``; assigning into ``sys.modules`` or ``__builtins__``;
* **changing how later cells run**: IPython input or AST transformers,
  event callbacks, custom exception handlers, trace or profile functions.

Words in strings and comments are never findings (a docstring may well say
"solutions/"): what a kernel can reach is decided by its box, not by a scan.
Each finding names the cell and the line; every finding is shown to the instructor
for review and none costs points (the verdicts are reached outside the kernel). Running code built at run time
(``exec``, ``eval``, ``__import__``) or importing ``ctypes``, ``gc`` or
``importlib`` is a milder finding: flagged for review without costing points.
Ordinary code (``np.random.seed``, ``plt.rcParams[...] = ...``, ``self.w = ...``)
is not a finding.
"""

import ast
from dataclasses import dataclass

from IPython.core.inputtransformer2 import TransformerManager

_GUARDED_MODULES = ("numpy", "dlcourse", "builtins")
_HOOK_NAMES = {
    "input_transformers_cleanup": "adds an IPython input transformer",
    "input_transformers_post": "adds an IPython input transformer",
    "input_transformer_manager": "changes IPython's input transformation",
    "ast_transformers": "adds an IPython AST transformer",
    "set_custom_exc": "replaces IPython's exception handler",
    "register_magic_function": "registers an IPython magic",
    "settrace": "installs a trace function",
    "setprofile": "installs a profile function",
}
# not interference by themselves, but what hides it: shown to the instructor for review
_DYNAMIC_CODE = {"exec", "eval", "compile", "__import__"}
_LOW_LEVEL_MODULES = {"ctypes", "gc", "importlib"}


@dataclass
class Finding:
    cell: int       # index of the cell in the notebook
    line: int
    message: str
    severe: bool = True  # an attempt to change how grading works; else merely unusual

    def __str__(self):
        return f"cell {self.cell + 1}, line {self.line}: {self.message}"


def _python_source(source):
    try:
        return TransformerManager().transform_cell(source)
    except Exception:  # IPython could not read it; the kernel will report the syntax error
        return source


class _Scanner(ast.NodeVisitor):
    def __init__(self, cell, aliases):
        self.cell = cell
        self.aliases = aliases  # local name -> module it refers to
        self.findings = []

    def _add(self, node, message, severe=True):
        self.findings.append(Finding(self.cell, getattr(node, "lineno", 0), message, severe))

    def _root_module(self, node):
        while isinstance(node, (ast.Attribute, ast.Subscript)):
            node = node.value
        if isinstance(node, ast.Name):
            module = self.aliases.get(node.id, "")
            if node.id == "__builtins__":
                return "builtins"
            if module.split(".")[0] in _GUARDED_MODULES:
                return module
        return None

    def visit_Import(self, node):
        for alias in node.names:
            if alias.name.split(".")[0] in _LOW_LEVEL_MODULES:
                self._add(node, f"imports {alias.name} (for review)", severe=False)
            self.aliases[alias.asname or alias.name.split(".")[0]] = (
                alias.name if alias.asname else alias.name.split(".")[0])
        self.generic_visit(node)

    def visit_ImportFrom(self, node):
        for alias in node.names:
            self.aliases[alias.asname or alias.name] = f"{node.module}.{alias.name}"
        self.generic_visit(node)

    def _targets(self, targets, node, verb):
        for target in targets:
            if isinstance(target, (ast.Tuple, ast.List)):
                self._targets(target.elts, node, verb)
                continue
            if isinstance(target, ast.Attribute) or (
                isinstance(target, ast.Subscript) and isinstance(target.value, ast.Attribute)
            ):
                module = self._root_module(target)
                if module:
                    self._add(node, f"{verb} `{ast.unparse(target)}`, part of {module.split('.')[0]}")
            if isinstance(target, ast.Subscript):
                text = ast.unparse(target.value)
                if text in ("sys.modules", "__builtins__", "builtins.__dict__"):
                    self._add(node, f"{verb} an entry of `{text}`")

    def visit_Assign(self, node):
        self._targets(node.targets, node, "assigns to")
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        self._targets([node.target], node, "assigns to")
        self.generic_visit(node)

    def visit_Delete(self, node):
        self._targets(node.targets, node, "deletes")
        self.generic_visit(node)

    def visit_Call(self, node):
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        if name in ("setattr", "delattr") and node.args and self._root_module(node.args[0]):
            self._add(node, f"calls {name} on `{ast.unparse(node.args[0])}`")
        if name == "register" and isinstance(func, ast.Attribute) and "events" in ast.unparse(func.value):
            self._add(node, "registers an IPython event callback")
        if isinstance(func, ast.Name) and name in _DYNAMIC_CODE:
            self._add(node, f"runs code built at run time with {name}() (for review)", severe=False)
        self.generic_visit(node)

    def visit_Attribute(self, node):
        if node.attr in _HOOK_NAMES:
            self._add(node, _HOOK_NAMES[node.attr])
        self.generic_visit(node)


def scan(cells):
    """Findings in student code. ``cells`` lists ``(index, source, written_by_student)``
    for every code cell in order: the instructor's cells only teach the scanner
    which names refer to which modules."""
    aliases, findings = {}, []
    for index, source, by_student in cells:
        try:
            tree = ast.parse(_python_source(source))
        except SyntaxError:
            continue
        scanner = _Scanner(index, aliases)
        scanner.visit(tree)
        if by_student:
            findings += scanner.findings
    return findings
