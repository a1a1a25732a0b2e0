"""What a student reads about one test: the check's message, each failure once, labelled.

A test cell runs its check on the visible cases, then (in its hidden block) on the
hidden ones, so a check that passes prints its line twice, and
:func:`dlcourse.checks.core.graded_parts` prints each failed part and then repeats
them in the failure it raises. :func:`summarise` turns the stored message of a cell
into the lines shown once each: a passing check as one line with both counts
("all cases pass (6 visible, 16 hidden)"), a failure with the run it came from, and a
cell that ran out of time as which limit stopped it.
"""

import re
from dataclasses import dataclass

_PASS = re.compile(r"^\u2713 (?P<name>.+): all (?P<count>\d+) cases pass$")
_PART = re.compile(r"^(?P<mark>[\u2713\u2717]) (?P<label>.+?) \((?P<got>[\d.]+)/(?P<of>[\d.]+)\)")
_PART_LABEL = re.compile(r"""\bPart\(\s*(?P<q>["'])(?P<label>.+?)(?P=q)""")
_NO_PART = "no part passes yet:"
_HIDDEN_BEGIN, _HIDDEN_END = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"
_TIMEOUT_MARKERS = ("ran out of time", "KeyboardInterrupt", "CellTimeoutError")


@dataclass
class Line:
    """One thing the student is told: ``text``, from the ``run`` (visible, hidden or "")."""

    text: str
    run: str = ""

    def shown(self):
        return f"{self.run} cases: {self.text}" if self.run else self.text


def strip_hidden(source):
    """``source`` without its ``### BEGIN HIDDEN TESTS`` ... ``### END HIDDEN TESTS`` blocks."""
    kept, hiding = [], False
    for line in source.splitlines():
        if _HIDDEN_BEGIN in line:
            hiding = True
        elif _HIDDEN_END in line and hiding:
            hiding = False
        elif not hiding:
            kept.append(line)
    return "\n".join(kept)


def hidden_block(source):
    """The code inside the hidden blocks of ``source`` ("" when it has none)."""
    inside, hiding = [], False
    for line in source.splitlines():
        if _HIDDEN_BEGIN in line:
            hiding = True
        elif _HIDDEN_END in line and hiding:
            hiding = False
        elif hiding:
            inside.append(line)
    return "\n".join(inside)


def hidden_part_labels(source):
    """Labels of the :class:`~dlcourse.checks.core.Part` s defined in the hidden blocks."""
    return {m.group("label") for m in _PART_LABEL.finditer(hidden_block(source))}


def _drop_repeated_parts(message):
    """graded_parts prints every failed part, then raises them all again: keep the first."""
    head, marker, tail = message.partition(_NO_PART)
    if not marker:
        return message
    repeated = all(block.strip() in head for block in tail.strip().split("\n\u2717") if block.strip())
    return head.rstrip() if repeated and head.strip() else (head + tail).strip()


def _blocks(message):
    """The message cut into blocks: each starts at a line that begins with a mark (a
    check's pass or part line) or follows a pass line; other lines continue the block
    before them."""
    blocks = []
    for line in message.splitlines():
        if not line.strip():
            continue
        # a check's pass line stands alone: what follows it is another check's output
        if not blocks or line.startswith(("\u2713 ", "\u2717 ")) or _PASS.match(blocks[-1]):
            blocks.append(line)
        else:
            blocks[-1] += "\n" + line
    return blocks


def timeout_line(message, cell_limit=None):
    """The sentence that replaces a bare interrupt, or None when the cell did not time out."""
    if not any(marker in message for marker in _TIMEOUT_MARKERS):
        return None
    limit = f"its {cell_limit:g} s limit" if cell_limit else "its time limit"
    return f"this cell stopped after {limit}; the cells after it still ran"


def summarise(message, source="", cell_limit=None):
    """The lines of a cell's feedback, each failure once, with the run it came from.

    ``source`` is the test cell's code (with its hidden block, on the grader's side), used
    only to know which parts are hidden; ``cell_limit`` the per-cell limit in seconds.
    """
    message = _drop_repeated_parts(message.strip())
    has_hidden = _HIDDEN_BEGIN in source
    hidden_labels = hidden_part_labels(source)
    lines, passes = [], {}
    for block in _blocks(message):
        passed = _PASS.match(block)
        if passed:
            name, count = passed.group("name"), int(passed.group("count"))
            if name in passes and has_hidden:
                first = passes.pop(name)
                first.text = f"\u2713 {name}: all cases pass ({first.count} visible, {count} hidden)"
                continue
            line = Line(block)
            line.count, line.name = count, name
            passes[name] = line
            lines.append(line)
            continue
        part = _PART.match(block)
        stopped = timeout_line(block, cell_limit)
        if stopped:
            prefix = ""
            if part:
                prefix = f"\u2717 {part.group('label')} ({part.group('got')}/{part.group('of')}): "
            lines.append(Line(prefix + stopped))
            continue
        if part:
            run = ("hidden" if part.group("label") in hidden_labels else "visible") if has_hidden else ""
            lines.append(Line(block, run))
            continue
        run = ""
        if has_hidden:
            # a check stops at its first wrong case: when the visible run of the function it
            # names printed its pass line already, this failure came from the hidden run
            named = set(re.findall(r"`([^`]+)`", block))
            run = "hidden" if named & set(passes) or (passes and not named) else "visible"
        lines.append(Line(block, run))
    return lines


def cell_limit(flags):
    """The per-cell time limit named in a submission's flags ("..., 4 s per cell)"), or None."""
    for flag in flags:
        found = re.search(r"(\d+(?:\.\d+)?) s per cell", flag)
        if found:
            return float(found.group(1))
    return None


def stopped_cells(nb):
    """``[name]`` of the code cells of a graded notebook that were interrupted at their
    time limit (their grade id, else "cell N")."""
    names = []
    for index, cell in enumerate(nb.get("cells", [])):
        errors = [o.get("ename") for o in cell.get("outputs", []) if o.get("output_type") == "error"]
        if any(e in ("KeyboardInterrupt", "CellTimeoutError") for e in errors):
            names.append(cell.get("metadata", {}).get("nbgrader", {}).get("grade_id") or f"cell {index + 1}")
    return names


def summary_text(message, source="", cell_limit=None):
    """:func:`summarise` as plain text, one line (or block) per item."""
    return "\n".join(line.shown() for line in summarise(message, source, cell_limit))
