"""How long similarity detection takes on a class of 60 students x 10 solution cells.

Each student's cell of an exercise is one of the library's reference implementations
(chapters 1 and 5) with its local names renamed at random and a few lines of the
student's own added, so about a third of the class are near copies. Times
:func:`dlcourse.grading.similarity.compare` (normalising, fingerprinting and every pair)
against the same pairs compared with ``difflib.SequenceMatcher`` on the normalised tokens,
in the same process, and prints both (CPU seconds of this process, so other work on
the machine does not count) and their ratio.

    python benchmarks/bench_similarity.py [--students 60] [--cells 10]
"""

import argparse
import ast
import difflib
import inspect
import random
import time
from itertools import combinations

from dlcourse.checks import ch01, ch05
from dlcourse.grading import similarity as S


def _sources():
    functions = [getattr(module, name) for module in (ch01, ch05) for name in dir(module)
                 if name.startswith("_ref_") and inspect.isfunction(getattr(module, name))]
    return [inspect.getsource(f) for f in functions]


def _variant(source, rng):
    tree = ast.parse(source)
    names = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}
    mapping = {name: f"v{rng.randrange(10**6)}" for name in names}
    for node in ast.walk(tree):
        if isinstance(node, ast.Name):
            node.id = mapping.get(node.id, node.id)
    extra = "\n".join(f"    extra_{i} = np.{rng.choice(['sum', 'mean', 'max'])}(x_{i}) * {rng.random():.3f}"
                      for i in range(rng.randrange(1, 6)))
    code = ast.unparse(tree)
    return code.replace("\n", "\n" + extra + "\n", 1) if rng.random() < 0.35 else code + "\n" + extra


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=60)
    parser.add_argument("--cells", type=int, default=10)
    args = parser.parse_args()
    rng = random.Random(0)
    sources = _sources()
    exercises = [f"ex{i}" for i in range(args.cells)]
    base = {ex: sources[i % len(sources)] for i, ex in enumerate(exercises)}
    cls = {f"s{k:03d}": {ex: _variant(base[ex], rng) for ex in exercises} for k in range(args.students)}
    refs = {ex: [code] for ex, code in base.items()}

    start = time.process_time()
    matches = S.compare(cls, refs)
    ours = time.process_time() - start

    start = time.process_time()
    tokens = {s: {ex: S.normalise(code) for ex, code in cells.items()} for s, cells in cls.items()}
    for ex in exercises:
        for a, b in combinations(sorted(tokens), 2):
            difflib.SequenceMatcher(None, tokens[a][ex], tokens[b][ex], autojunk=False).ratio()
    naive = time.process_time() - start

    pairs = args.cells * args.students * (args.students - 1) // 2
    print(f"{args.students} students x {args.cells} cells ({pairs} pairs): winnowed fingerprints "
          f"{ours:.3f} s ({len(matches)} pairs flagged), difflib on tokens {naive:.3f} s, "
          f"ratio {naive / ours:.1f}x")


if __name__ == "__main__":
    main()
