"""The instructor's side: grading a class on nbgrader's model, in parallel and in isolation.

One module per step: :mod:`~dlcourse.grading.collect` (bring submissions in),
:mod:`~dlcourse.grading.sanitize` (nbgrader's pre-execution repairs and flags),
:mod:`~dlcourse.grading.tamper` (reading student code for interference),
:mod:`~dlcourse.grading.sandbox` (the kernel's limits and private file system),
:mod:`~dlcourse.grading.worker` (executing one submission),
:mod:`~dlcourse.grading.scoring` (points, messages, verdicts confirmed outside the kernel),
:mod:`~dlcourse.grading.gradebook` (one transaction per submission),
:mod:`~dlcourse.grading.pipeline` (the pool, resuming, the summary),
:mod:`~dlcourse.grading.feedback`, :mod:`~dlcourse.grading.export`,
:mod:`~dlcourse.grading.report` and :mod:`~dlcourse.grading.demo`.
"""
