"""The descent explorer (dlcourse.viz.descent_explorer): moving a control draws
the paths the library's optimizers take for the new settings."""

import io

import matplotlib

matplotlib.use("Agg")

import nbformat  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
from nbclient import NotebookClient  # noqa: E402
from PIL import Image  # noqa: E402

from dlcourse import optim  # noqa: E402
from dlcourse.descent.objectives import get_objective  # noqa: E402
from dlcourse.descent.paths import run_descent  # noqa: E402
from dlcourse.descent.presets import default_lr, default_steps, descent_paths  # noqa: E402
from dlcourse.viz import descent_explorer  # noqa: E402
from dlcourse.viz.interactive import MAP_OBJECTIVES, DescentExplorer  # noqa: E402


def direct(objective, factory, steps, start):
    return run_descent(objective, factory, steps, start=start).points


def drawn(explorer):
    """The points of each path as the figure draws them."""
    lines = explorer.figure.path_lines
    return {name: np.column_stack(lines[path.label].get_data()) for name, path in explorer.paths.items()}


def assert_shows(explorer, expected):
    assert set(explorer.paths) == set(expected)
    for name, points in expected.items():
        np.testing.assert_array_equal(explorer.paths[name].points, points)
        np.testing.assert_array_equal(drawn(explorer)[name], points)


def test_defaults_are_the_presets():
    explorer = descent_explorer()
    assert isinstance(explorer, DescentExplorer)
    start = get_objective("ravine").start_point
    steps = default_steps("ravine")
    assert explorer.steps.value == steps and (explorer.x.value, explorer.y.value) == tuple(start)
    assert explorer.preset_lr.value and explorer.lr.disabled
    assert_shows(explorer, {
        "sgd": direct("ravine", lambda p: optim.SGD(p, lr=default_lr("ravine", "sgd")), steps, start),
        "momentum": direct("ravine", lambda p: optim.SGD(p, lr=default_lr("ravine", "momentum"), momentum=0.9),
                           steps, start),
        "adam": direct("ravine", lambda p: optim.Adam(p, lr=default_lr("ravine", "adam")), steps, start),
    })
    with Image.open(io.BytesIO(explorer.image.value)) as image:
        assert image.format == "PNG"
    assert len(explorer.figure.fig.axes) == 2


def test_moving_the_controls_redraws_the_paths():
    explorer = descent_explorer("ravine", ("momentum", "adam", "rmsprop"))
    explorer.preset_lr.value = False
    explorer.lr.value = 0.02
    explorer.momentum.value = 0.5
    explorer.beta1.value = 0.8
    explorer.beta2.value = 0.99
    explorer.x.value = -6.0
    explorer.y.value = 1.2
    explorer.steps.value = 30
    start = (-6.0, 1.2)
    assert_shows(explorer, {
        "momentum": direct("ravine", lambda p: optim.SGD(p, lr=0.02, momentum=0.5), 30, start),
        "adam": direct("ravine", lambda p: optim.Adam(p, lr=0.02, betas=(0.8, 0.99)), 30, start),
        "rmsprop": direct("ravine", lambda p: optim.RMSprop(p, lr=0.02, alpha=0.99), 30, start),
    })
    assert explorer.paths["adam"].points.shape == (31, 2)
    explorer.optimizers.value = ("nesterov",)
    assert_shows(explorer, {
        "nesterov": direct("ravine", lambda p: optim.SGD(p, lr=0.02, momentum=0.5, nesterov=True), 30, start),
    })


def test_a_new_function_takes_its_own_start_steps_and_rates():
    explorer = descent_explorer("ravine", ("sgd", "adam"), steps=10)
    explorer.objective.value = "rosenbrock"
    rosenbrock = get_objective("rosenbrock")
    assert (explorer.x.value, explorer.y.value) == tuple(rosenbrock.start_point)
    assert (explorer.x.min, explorer.x.max) == rosenbrock.domain[0]
    assert explorer.steps.value == default_steps("rosenbrock") == 500
    expected = descent_paths("rosenbrock", ("sgd", "adam"))
    assert explorer.paths["sgd"].label == "sgd (lr 0.001)"
    assert_shows(explorer, {name: path.points for name, path in expected.items()})


def test_the_arguments_set_the_controls():
    explorer = descent_explorer("beale", ("adam",), lr=0.05, steps=40, start=(1.0, 1.5))
    assert not explorer.preset_lr.value and explorer.lr.value == pytest.approx(0.05)
    assert_shows(explorer, {"adam": direct("beale", lambda p: optim.Adam(p, lr=0.05), 40, (1.0, 1.5))})


@pytest.mark.parametrize("kwargs, message", [
    (dict(objective="banana"), "unknown objective 'banana' for the explorer; choose from: " + ", ".join(MAP_OBJECTIVES)),
    (dict(objective="square"), "unknown objective 'square'"),
    (dict(optimizers=("sgd", "lbfgs")), "unknown optimizer 'lbfgs'; choose from: sgd, momentum"),
    (dict(optimizers=()), "pick at least one optimizer; choose from: sgd"),
    (dict(lr=0), "learning rate must be a finite number > 0; got 0"),
    (dict(lr=-0.1), "learning rate must be a finite number > 0"),
    (dict(steps=0), "steps must be a whole number from 1 to 1000; got 0"),
    (dict(start=(50.0, 0.0)), "start (50.0, 0.0) is outside the map of ravine"),
    (dict(start=(1.0,)), "start must be two finite numbers"),
])
def test_bad_arguments_name_the_problem(kwargs, message):
    with pytest.raises(ValueError) as error:
        descent_explorer(**kwargs)
    assert message in str(error.value)


def test_a_notebook_shows_the_explorer_without_errors_or_warnings():
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(
        "from dlcourse.viz import descent_explorer\n"
        "explorer = descent_explorer('rosenbrock', ('sgd', 'adam'), steps=50)\n"
        "explorer.lr.value = 0.002\n"
        "explorer")]
    NotebookClient(nb, timeout=120, kernel_name="python3").execute()
    outputs = nb.cells[0].outputs
    assert not [o for o in outputs if o.output_type == "error" or o.get("name") == "stderr"], outputs
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in outputs), outputs


def test_descent_paths_applies_the_betas_and_rejects_bad_ones():
    paths = descent_paths("ravine", ("momentum", "adam"), lr=0.03, betas={"momentum": 0.6, "beta1": 0.7}, steps=20)
    start = get_objective("ravine").start_point
    np.testing.assert_array_equal(paths["momentum"].points,
                                  direct("ravine", lambda p: optim.SGD(p, lr=0.03, momentum=0.6), 20, start))
    np.testing.assert_array_equal(paths["adam"].points,
                                  direct("ravine", lambda p: optim.Adam(p, lr=0.03, betas=(0.7, 0.999)), 20, start))
    with pytest.raises(ValueError, match=r"beta2 must be a number in \[0, 1\); got 1.0"):
        descent_paths("ravine", ("adam",), betas={"beta2": 1.0})
    with pytest.raises(ValueError, match="unknown β 'gamma'; choose from: momentum, beta1, beta2"):
        descent_paths("ravine", ("adam",), betas={"gamma": 0.5})
    with pytest.raises(ValueError, match="unknown optimizer 'lbfgs'"):
        descent_paths("ravine", ("lbfgs",))
