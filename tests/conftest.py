"""Test-process settings.

The test process draws with matplotlib's Agg backend (no window ever opens).
It is set here rather than through ``MPLBACKEND`` so that the notebook
kernels the tests start inherit nothing: they draw inline, as in a
student's JupyterLab, and a warning raised while rendering a figure shows up
in the outputs the tests inspect.
"""

import matplotlib

matplotlib.use("Agg")
