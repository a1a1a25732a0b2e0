"""The instructor's side: the course around nbgrader, and grading a class in parallel and in isolation.

Nothing here is imported by a student's kernel: the library and :mod:`dlcourse.checks`
never import this package (a test enforces it), so the grader's code and data stay out of
a student's reach.

The course: :mod:`~dlcourse.grading.release` (``solutions/`` to ``course/`` with nbgrader)
and :mod:`~dlcourse.grading.validate` (run a notebook as the grader will).

Grading, one module per step: :mod:`~dlcourse.grading.collect` (bring submissions in),
:mod:`~dlcourse.grading.sanitize` (nbgrader's pre-execution repairs and flags),
:mod:`~dlcourse.grading.tamper` (reading student code for interference),
:mod:`~dlcourse.grading.sandbox` (the kernel's limits and private file system),
:mod:`~dlcourse.grading.worker` (executing one submission),
:mod:`~dlcourse.grading.judge` (the verdicts, reached outside the kernel),
:mod:`~dlcourse.grading.gradebook` (one transaction per submission),
:mod:`~dlcourse.grading.pipeline` (the pool, resuming, the summary),
:mod:`~dlcourse.grading.cluster` (the same grading as tasks on a Dask cluster),
:mod:`~dlcourse.grading.feedback`, :mod:`~dlcourse.grading.export`,
:mod:`~dlcourse.grading.report` and :mod:`~dlcourse.grading.demo`.
"""
