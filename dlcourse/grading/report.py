"""The class report of one chapter: an HTML page with PNG plots.

It shows the score distribution, each exercise's pass rate and mean points,
the most common failure messages (the line of each that says what went wrong), and
the submissions that timed out, crashed, ran out of memory, could not be read
or were flagged for review, the solution cells alike enough to be copies (the two
snippets side by side; see :mod:`dlcourse.grading.similarity`), and a roster linking
each student's feedback page.
"""

import html
import math
from collections import Counter
from pathlib import Path
from urllib.parse import quote

import matplotlib

matplotlib.use("Agg")
from matplotlib.figure import Figure  # noqa: E402  (after choosing the backend)
from matplotlib.ticker import MaxNLocator  # noqa: E402

from dlcourse.grading import gradebook as store  # noqa: E402
from dlcourse.grading import similarity  # noqa: E402


def score_bins(top):
    """Bin edges for integer scores 0..ceil(top): one bar per integer, centred on it."""
    return [k - 0.5 for k in range(int(math.ceil(top)) + 2)]


def plot_scores(outcomes, ax):
    """Histogram of total scores: one bar per integer score, whole numbers of students."""
    scores = [o.score for o in outcomes]
    top = max([o.max_score for o in outcomes] + scores + [1.0])
    ax.hist(scores, bins=score_bins(top), color="#4c72b0", edgecolor="white")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlim(-0.5, math.ceil(top) + 0.5)
    ax.set_xlabel("score")
    ax.set_ylabel("students")
    ax.set_title("score distribution")
    return ax


def feedback_link(outcome, chapter):
    """The feedback page of a student, relative to ``reports/<chapter>/report.html``."""
    return "../../feedback/" + "/".join(quote(part) for part in (outcome.student, chapter, f"{chapter}.html"))


def roster(outcomes, chapter):
    """The roster table: each student's status, score and flags, with a link to their feedback."""
    esc = html.escape
    rows = "".join(
        f"<tr><td><a href='{esc(feedback_link(o, chapter))}'>{esc(o.student)}</a></td>"
        f"<td>{esc(o.status)}</td><td>{o.score:g} / {o.max_score:g}</td>"
        f"<td>{esc('; '.join(o.flags))}</td></tr>" for o in outcomes)
    return ("<h2>Roster</h2><table><tr><th>student</th><th>status</th><th>score</th>"
            f"<th>flags</th></tr>{rows}</table>")


def exercise_stats(outcomes):
    """``{grade_id: (pass rate, mean points, max points)}`` in notebook order."""
    stats = {}
    for o in outcomes:
        for c in o.cells:
            stats.setdefault(c.grade_id, []).append(c)
    return {gid: (sum(c.outcome == "pass" for c in cells) / len(cells),
                  sum(c.points or 0 for c in cells) / len(cells), cells[0].max_points)
            for gid, cells in stats.items()}


def plot_pass_rates(outcomes, ax):
    """Bar chart of the fraction of students passing each test."""
    stats = exercise_stats(outcomes)
    names = list(stats)
    ax.barh(names, [stats[n][0] for n in names], color="#55a868")
    ax.set_xlim(0, 1)
    ax.invert_yaxis()
    ax.set_xlabel("pass rate")
    ax.set_title("per-exercise pass rate")
    return ax


def failure_line(message):
    """The line of a check's message that says what went wrong."""
    lines = [line.strip() for line in message.strip().splitlines() if line.strip()]
    for marker in ("scored 0:", "\u2717", "Error", "NotRun", "KeyboardInterrupt", "CheckFailure"):
        for line in lines:
            if line.startswith(marker) or (marker.endswith("Error") and "Error:" in line):
                return line
    return lines[0] if lines else ""


def common_failures(outcomes, count=10):
    """The most frequent failure lines of failing tests, ``[(text, students)]``."""
    lines = Counter()
    for o in outcomes:
        for c in o.cells:
            if c.outcome in ("fail", "partial") and c.message:
                lines[f"{c.grade_id}: {failure_line(c.message)[:200]}"] += 1
    return lines.most_common(count)


def similarity_section(review):
    """The HTML of the similar-cells section: one row per pair, the two cells side by side."""
    esc = html.escape
    rows = "".join(
        f"<tr><td>{esc(student)}</td><td>{esc(exercise)}</td><td>copies the reference via inspect</td>"
        "<td colspan='2'></td></tr>"
        for student, exercises in sorted(review.inspect.items()) for exercise in exercises)
    rows += "".join(
        f"<tr><td>{esc(m.student)}</td><td>{esc(m.exercise)}</td><td>{m.similarity:.2f} "
        f"similar to {esc(m.other)}</td><td><pre>{esc(m.code)}</pre></td>"
        f"<td><pre>{esc(m.other_code)}</pre></td></tr>" for m in review.matches)
    return ("<h2>Similar solution cells (for review; no points are taken)</h2>"
            + (f"<p>Cells compared after names, literals, comments and layout are normalised; "
               f"pairs at or above {similarity.THRESHOLD:g} (Jaccard index of winnowed "
               f"{similarity.K}-gram fingerprints) are listed.</p>"
               "<table><tr><th>student</th><th>exercise</th><th>similarity</th><th>their cell</th>"
               f"<th>the other cell</th></tr>{rows}</table>" if rows else "<p>none</p>"))


def _save(figure, path):
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    return path.name


def write_report(course, chapter):
    """Write ``reports/<chapter>/report.html`` (+ PNGs); returns the HTML path."""
    gradebook = store.open_gradebook(course.db_url)
    try:
        outcomes = store.load(gradebook, chapter)
    finally:
        gradebook.close()
    folder = Path(course.reports) / chapter
    folder.mkdir(parents=True, exist_ok=True)
    stats = exercise_stats(outcomes)
    fig = Figure(figsize=(6, 3.5))
    plot_scores(outcomes, fig.subplots())
    scores_png = _save(fig, folder / "scores.png")
    fig = Figure(figsize=(6, 0.5 + 0.4 * max(1, len(stats))))
    plot_pass_rates(outcomes, fig.subplots())
    rates_png = _save(fig, folder / "pass_rates.png")
    esc = html.escape
    rows = "".join(f"<tr><td>{esc(g)}</td><td>{r:.0%}</td><td>{m:.2f} / {mx:g}</td></tr>"
                   for g, (r, m, mx) in stats.items())
    failures = "".join(f"<tr><td>{n}</td><td>{esc(text)}</td></tr>"
                       for text, n in common_failures(outcomes))
    attention = "".join(
        f"<tr><td>{esc(o.student)}</td><td>{esc(o.status)}</td><td>{o.score:g}</td>"
        f"<td>{esc('; '.join(o.flags))}</td></tr>"
        for o in outcomes if o.status != "graded" or o.flags)
    review = similarity.review_class(course, chapter)
    mean = sum(o.score for o in outcomes) / len(outcomes) if outcomes else 0.0
    page = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{esc(chapter)} report</title>"
            "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
            "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:.3em .6em;"
            "text-align:left;vertical-align:top}</style></head><body>"
            f"<h1>{esc(chapter)}: class report</h1><p>{len(outcomes)} submissions, mean score {mean:.2f}</p>"
            f"<img src='{scores_png}' alt='score distribution'><img src='{rates_png}' alt='pass rates'>"
            "<h2>Exercises</h2><table><tr><th>test</th><th>pass rate</th><th>mean points</th></tr>"
            f"{rows}</table><h2>Most common failure messages</h2>"
            "<table><tr><th>students</th><th>message</th></tr>"
            f"{failures}</table><h2>Timed out, crashed or flagged</h2><table><tr><th>student</th>"
            f"<th>status</th><th>score</th><th>flags</th></tr>{attention}</table>"
            f"{similarity_section(review)}{roster(outcomes, chapter)}</body></html>")
    path = folder / "report.html"
    path.write_text(page, encoding="utf-8")
    return path
