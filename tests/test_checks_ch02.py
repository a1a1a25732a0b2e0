"""The chapter 2 checks accept correct answers written in different ways and
reject the usual wrong ones (overflow, wrong derivative, shape slip, off-by-one
in depth) with a message that says what went wrong."""

import math
import warnings

import numpy as np
import pytest
import torch

from dlcourse.checks import ch02, core
from dlcourse.checks.core import CheckFailure
from tests.check_tools import fails as _fails
from tests.check_tools import hidden_case_texts, judged_outside, leaked_hidden_texts
from tests.check_tools import stub as _stub
from tests.conftest import ROOT


# -- solutions as the notebook writes them, and other correct ways ----------------------------


def relu(x):
    return np.maximum(x, 0.0)


def relu_grad(x):
    return (np.asarray(x) > 0).astype(float)


def relu_other(x):
    x = np.asarray(x, dtype=float)
    return x * (x > 0)


def relu_grad_other(x):
    return np.heaviside(x, 1.0)  # takes 1 at the kink, as the notes do


def sigmoid(x):
    x = np.asarray(x, dtype=float)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1.0 / (1.0 + e), e / (1.0 + e))


def sigmoid_grad(x):
    s = sigmoid(x)
    return s * (1.0 - s)


def sigmoid_other(x):
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=float)))


def sigmoid_grad_other(x):
    return 0.25 / np.cosh(0.5 * np.asarray(x, dtype=float)) ** 2


def sigmoid_naive(x):
    return 1.0 / (1.0 + np.exp(-x))  # overflows for x << 0 but the value is still right


def elu(x, alpha=1.0):
    x = np.asarray(x, dtype=float)
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


def elu_grad(x, alpha=1.0):
    x = np.asarray(x, dtype=float)
    return np.where(x > 0, 1.0, alpha * np.exp(np.minimum(x, 0.0)))


def selu(x):
    return ch02.SELU_SCALE * elu(x, ch02.SELU_ALPHA)


def elu_other(x, alpha=1.0):
    x = np.asarray(x, dtype=float)
    out = x.copy()
    neg = x <= 0
    out[neg] = alpha * (np.exp(x[neg]) - 1.0)
    return out


def elu_grad_other(x, alpha=1.0):
    return np.where(np.asarray(x) >= 0, 1.0, elu_other(x, alpha) + alpha)  # the notes' g(x) + alpha


def selu_other(x):
    x = np.asarray(x, dtype=float)
    return np.where(x > 0, ch02.SELU_SCALE * x, ch02.SELU_SCALE * ch02.SELU_ALPHA * (np.exp(np.minimum(x, 0)) - 1))


def softplus(x):
    x = np.asarray(x, dtype=float)
    return np.maximum(x, 0.0) + np.log1p(np.exp(-np.abs(x)))


def softplus_grad(x):
    return sigmoid(x)


def softplus_other(x):
    return np.logaddexp(0.0, x)


def softmax(x, axis=-1):
    x = np.asarray(x, dtype=float)
    e = np.exp(x - np.max(x, axis=axis, keepdims=True))
    return e / np.sum(e, axis=axis, keepdims=True)


def softmax_other(x, axis=-1):
    x = np.moveaxis(np.asarray(x, dtype=float), axis, -1)
    log_z = np.logaddexp.reduce(x, axis=-1)[..., None]
    return np.moveaxis(np.exp(x - log_z), -1, axis)


def chain_gradient(x, w, f, f_grad):
    h = np.asarray(x, dtype=float)
    grad = np.ones_like(h)
    rows = []
    for w_l in w:
        a = w_l * h
        grad = grad * w_l * f_grad(a)
        h = f(a)
        rows.append(grad)
    return np.array(rows)


def chain_gradient_other(x, w, f, f_grad):
    # forward pass first, keeping every pre-activation, then one cumulative product
    pre = []
    h = np.asarray(x, dtype=float)
    for w_l in w:
        pre.append(w_l * h)
        h = f(pre[-1])
    factors = np.asarray(w, dtype=float)[:, None] * np.array([f_grad(a) for a in pre])
    return np.cumprod(factors, axis=0)


def dead_units(X, W, b):
    return np.all(X @ W.T + b <= 0, axis=0)


def dead_units_other(X, W, b):
    return ~np.any(np.maximum(X @ W.T + b, 0) > 0, axis=0)


# -- correct answers pass -------------------------------------------------------------------


@pytest.mark.parametrize("hidden", [False, True])
def test_correct_answers_pass(hidden, capsys):
    ch02.relu(relu, relu_grad, hidden=hidden)
    ch02.relu(relu_other, relu_grad_other, hidden=hidden)
    ch02.sigmoid(sigmoid, sigmoid_grad, hidden=hidden)
    ch02.sigmoid(sigmoid_other, sigmoid_grad_other, hidden=hidden)
    ch02.softplus(softplus, softplus_grad, hidden=hidden)
    ch02.softplus(softplus_other, sigmoid_other, hidden=hidden)
    ch02.softmax(softmax, hidden=hidden)
    ch02.softmax(softmax_other, hidden=hidden)
    ch02.chain_gradient(chain_gradient, hidden=hidden)
    ch02.chain_gradient(chain_gradient_other, hidden=hidden)
    ch02.dead_units(dead_units, hidden=hidden)
    ch02.dead_units(dead_units_other, hidden=hidden)
    assert "\u2713" in capsys.readouterr().out


@pytest.mark.parametrize("hidden", [False, True])
def test_elu_selu_full_marks(hidden, capsys):
    assert float(ch02.elu_selu(elu, elu_grad, selu, hidden=hidden)) == 2.0
    score = ch02.elu_selu(elu_other, elu_grad_other, selu_other, hidden=hidden)
    assert repr(score) == "2"


def test_naive_sigmoid_value_passes_despite_overflow_warnings(capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the check must capture them itself
        ch02.sigmoid(sigmoid_naive, sigmoid_grad, hidden=True)


# -- the references agree with PyTorch ------------------------------------------------------


def test_references_match_torch():
    x = np.concatenate([np.linspace(-60, 60, 241), [-1000.0, 1000.0]])
    t = torch.tensor(x, dtype=torch.float64, requires_grad=True)
    pairs = [
        (ch02._ref_relu, torch.relu), (ch02._ref_sigmoid, torch.sigmoid),
        (lambda v: ch02._ref_elu(v, 0.7), lambda v: torch.nn.functional.elu(v, alpha=0.7)),
        (ch02._ref_selu, torch.selu),
    ]
    for ours, theirs in pairs:
        np.testing.assert_allclose(ours(x), theirs(t).detach().numpy(), rtol=1e-12, atol=1e-300)
    # torch takes softplus as exactly x beyond its threshold (20); the difference is below e^-20
    np.testing.assert_allclose(ch02._ref_softplus(x), torch.nn.functional.softplus(t).detach().numpy(),
                               rtol=1e-9, atol=1e-300)
    for ours, theirs in [(ch02._ref_sigmoid_grad, torch.sigmoid), (ch02._ref_relu_grad, torch.relu),
                         (lambda v: ch02._ref_elu_grad(v, 0.7), lambda v: torch.nn.functional.elu(v, alpha=0.7))]:
        (g,) = torch.autograd.grad(theirs(t).sum(), t)
        # torch's sigmoid backward is s (1 - s), whose 1 - s loses digits for large x: compare absolutely there
        np.testing.assert_allclose(ours(x), g.numpy(), rtol=1e-12, atol=1e-15)
    e = np.exp(-np.abs(x))
    np.testing.assert_allclose(ch02._ref_sigmoid_grad(x), e / (1 + e) ** 2, rtol=1e-14, atol=1e-300)
    logits = np.random.default_rng(0).normal(scale=300, size=(4, 5))
    for axis in (0, 1, -1):
        np.testing.assert_allclose(ch02._ref_softmax(logits, axis=axis),
                                   torch.softmax(torch.tensor(logits), dim=axis).numpy(), rtol=1e-12, atol=1e-300)


@pytest.mark.parametrize("name, torch_f", [("sigmoid", torch.sigmoid), ("tanh", torch.tanh),
                                           ("relu", torch.relu), ("sin", torch.sin)])
def test_chain_gradient_reference_matches_torch_autograd(name, torch_f):
    rng = np.random.default_rng(3)
    x, w = rng.normal(size=4) + 0.1, rng.normal(scale=1.5, size=7)
    f, f_grad = ch02._CHAIN_ACTIVATIONS[name]
    ours = ch02._ref_chain_gradient(x, w, f, f_grad)
    t = torch.tensor(x, requires_grad=True)
    h, expected = t, []
    for w_l in w:
        h = torch_f(float(w_l) * h)
        (g,) = torch.autograd.grad(h.sum(), t, retain_graph=True)  # units are independent: d h_i / d x_i
        expected.append(g.numpy())
    np.testing.assert_allclose(ours, np.array(expected), rtol=1e-12, atol=1e-300)


def test_chain_gradient_notes_example():
    # sigmoid with w = 1 from x = 0: the first factor is sigma'(0) = 1/4, and no factor exceeds 1/4
    grads = ch02._ref_chain_gradient(np.array([0.0]), np.ones(5), *ch02._CHAIN_ACTIVATIONS["sigmoid"])
    assert grads[0, 0] == 0.25
    assert np.all(np.abs(grads[1:, 0] / grads[:-1, 0]) <= 0.25)


# -- typical wrong answers fail with a useful message ------------------------------------


def test_relu_with_python_max_fails():
    def scalar_max(x):
        return max(0.0, float(np.max(x)))

    _fails(ch02.relu, scalar_max, relu_grad, fragments=("shape",))


def test_relu_grad_wrong_sign_fails():
    _fails(ch02.relu, relu, lambda x: (np.asarray(x) < 0).astype(float), fragments=("relu_grad", "slope is 1"))


def test_sigmoid_wrong_sign_fails():
    _fails(ch02.sigmoid, lambda x: 1.0 / (1.0 + np.exp(np.minimum(x, 700))), sigmoid_grad,
           fragments=("`sigmoid` is wrong", "expected"))


def test_sigmoid_grad_overflow_fails():
    def naive_grad(x):
        return np.exp(-x) / (1.0 + np.exp(-x)) ** 2

    _fails(ch02.sigmoid, sigmoid, naive_grad, fragments=("nan or inf", "overflow", "inf / inf"))


def test_sigmoid_grad_forgetting_one_minus_fails():
    _fails(ch02.sigmoid, sigmoid, lambda x: sigmoid(x) ** 2, fragments=("sigmoid_grad", "s (1 - s)"))


def test_elu_wrong_alpha_scores_partially(capsys):
    def elu_ignores_alpha(x, alpha=1.0):
        return elu(x)

    score = ch02.elu_selu(elu_ignores_alpha, elu_grad, selu)
    assert float(score) == 1.0
    assert "alpha = " in capsys.readouterr().out


def test_selu_without_scale_on_positive_side_scores_partially(capsys):
    def selu_half_scaled(x):
        x = np.asarray(x, dtype=float)
        return np.where(x > 0, x, ch02.SELU_SCALE * ch02.SELU_ALPHA * np.expm1(np.minimum(x, 0)))

    assert float(ch02.elu_selu(elu, elu_grad, selu_half_scaled)) == 1.0
    assert "both branches" in capsys.readouterr().out


def test_selu_with_rounded_constants_fails(capsys):
    def selu_rounded(x):
        x = np.asarray(x, dtype=float)
        return 1.05 * np.where(x > 0, x, 1.67 * np.expm1(np.minimum(x, 0)))

    assert float(ch02.elu_selu(elu, elu_grad, selu_rounded)) == 1.0


def test_softplus_overflow_fails():
    def naive(x):
        return np.log(1.0 + np.exp(x))

    _fails(ch02.softplus, naive, softplus_grad, fragments=("nan or inf", "log1p"))


def test_softplus_grad_overflow_fails():
    def naive_grad(x):
        return np.exp(x) / (1.0 + np.exp(x))

    _fails(ch02.softplus, softplus, naive_grad, fragments=("softplus_grad", "nan or inf"))


def test_softmax_without_shift_fails():
    def naive(x, axis=-1):
        e = np.exp(x)
        return e / e.sum(axis=axis, keepdims=True)

    _fails(ch02.softmax, naive, fragments=("large equal logits", "nan or inf", "subtract the maximum"))


def test_softmax_over_the_whole_array_fails():
    def global_sum(x, axis=-1):
        e = np.exp(x - np.max(x))
        return e / e.sum()

    _fails(ch02.softmax, global_sum, fragments=("one softmax per row",))


def test_softmax_ignoring_axis_fails():
    _fails(ch02.softmax, lambda x, axis=-1: softmax(x), fragments=("axis = 0",))


def test_softmax_shape_slip_fails():
    def no_keepdims(x, axis=-1):
        e = np.exp(x - np.max(x, axis=axis, keepdims=True))
        return (e.T / e.sum(axis=axis)).T if e.ndim == 2 else e / e.sum()

    _fails(ch02.softmax, no_keepdims, fragments=("axis = 0",))


def test_chain_gradient_off_by_one_layer_fails():
    def with_input_row(x, w, f, f_grad):
        return np.vstack([np.ones_like(x), chain_gradient(x, w, f, f_grad)])

    _fails(ch02.chain_gradient, with_input_row, fragments=("wrong shape", "L rows, not L + 1"))


def test_chain_gradient_derivative_at_output_fails():
    def at_output(x, w, f, f_grad):
        h = np.asarray(x, dtype=float)
        grad, rows = np.ones_like(h), []
        for w_l in w:
            h = f(w_l * h)
            grad = grad * w_l * f_grad(h)
            rows.append(grad)
        return np.array(rows)

    _fails(ch02.chain_gradient, at_output, fragments=("pre-activation",))


def test_chain_gradient_without_weights_fails():
    def no_weights(x, w, f, f_grad):
        h = np.asarray(x, dtype=float)
        grad, rows = np.ones_like(h), []
        for w_l in w:
            a = w_l * h
            grad = grad * f_grad(a)
            h = f(a)
            rows.append(grad)
        return np.array(rows)

    _fails(ch02.chain_gradient, no_weights, fragments=("include the weight",))


def test_chain_gradient_transposed_fails():
    _fails(ch02.chain_gradient, lambda *a: chain_gradient(*a).T, fragments=("wrong shape",))


def test_dead_units_wrong_axis_fails():
    _fails(ch02.dead_units, lambda X, W, b: np.all(X @ W.T + b <= 0, axis=1), fragments=("reduce over axis 0",))


def test_dead_units_any_instead_of_all_fails():
    _fails(ch02.dead_units, lambda X, W, b: np.any(X @ W.T + b <= 0, axis=0), fragments=("every sample",))


def test_dead_units_strict_inequality_fails_hidden():
    strict = lambda X, W, b: np.all(X @ W.T + b < 0, axis=0)  # noqa: E731
    ch02.dead_units(strict)  # random layers never hit 0 exactly
    _fails(ch02.dead_units, strict, fragments=("a = 0 gives relu = 0",), hidden=True)


def test_dead_units_integer_mask_fails():
    _fails(ch02.dead_units, lambda X, W, b: dead_units(X, W, b).astype(int), fragments=("boolean",))


# -- stubs and the reference implementation ------------------------------------------------


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("check, n", [
    (ch02.relu, 2), (ch02.sigmoid, 2), (ch02.elu_selu, 3), (ch02.softplus, 2),
    (ch02.softmax, 1), (ch02.chain_gradient, 1), (ch02.dead_units, 1),
])
def test_stub_fails(check, n, hidden):
    _fails(check, *[_stub] * n, fragments=("not implemented yet",), hidden=hidden)


def test_stub_in_second_function_fails():
    _fails(ch02.sigmoid, sigmoid, _stub, fragments=("sigmoid_grad", "not implemented yet"))


def test_calling_the_library_fails():
    import dlcourse.functional as F
    from dlcourse import nn

    _fails(ch02.relu, lambda x: F.relu(x), relu_grad, fragments=("dlcourse.functional.activations.relu",))
    _fails(ch02.sigmoid, sigmoid, lambda x: F.sigmoid_grad(x), fragments=("reference implementation",))
    _fails(ch02.softplus, lambda x: F.softplus(x, threshold=math.inf), softplus_grad,
           fragments=("reference implementation",))
    _fails(ch02.softmax, lambda x, axis=-1: F.softmax(x, dim=axis), fragments=("reference implementation",))
    _fails(ch02.softmax, lambda x, axis=-1: nn.Softmax(dim=axis)(x), fragments=("reference implementation",))
    _fails(ch02.elu_selu, lambda x, alpha=1.0: F.elu(x, alpha), lambda x, alpha=1.0: F.elu_grad(x, alpha),
           lambda x: nn.SELU()(x), fragments=("reference implementation",))
    _fails(ch02.chain_gradient, lambda *a: ch02._ref_chain_gradient(*a), fragments=("reference implementation",))
    _fails(ch02.dead_units, lambda *a: ch02._ref_dead_units(*a), fragments=("reference implementation",))


# -- hidden cases: the instructor's, different for each student ------------------------------

HIDDEN = ROOT / "solutions" / "ch02-activations" / "hidden_cases.py"


@pytest.mark.parametrize("seed", range(20))
def test_the_hidden_cases_of_every_seed_are_well_posed(seed, capsys):
    with core.hidden_source(HIDDEN, seed):
        ch02.relu(relu, relu_grad, hidden=True)
        ch02.sigmoid(sigmoid, sigmoid_grad, hidden=True)
        ch02.softplus(softplus, softplus_grad, hidden=True)
        ch02.softmax(softmax, hidden=True)
        ch02.chain_gradient(chain_gradient, hidden=True)
        ch02.dead_units(dead_units, hidden=True)
        assert float(ch02.elu_selu(elu, elu_grad, selu, hidden=True)) == 2.0


def _hidden_inputs(seed, exercise):
    with core.hidden_source(HIDDEN, seed):
        part = core.hidden(exercise)
    cases = [c for cases in part.values() for c in cases] if isinstance(part, dict) else part
    return [a for c in cases for a in c.args + tuple(c.kwargs.values()) if isinstance(a, np.ndarray | float)]


@pytest.mark.parametrize("exercise", ["relu", "sigmoid", "elu_selu", "softplus", "softmax", "chain_gradient",
                                      "dead_units"])
def test_each_seed_has_its_own_hidden_random_cases_and_keeps_them(exercise):
    first, again, other = _hidden_inputs(1, exercise), _hidden_inputs(1, exercise), _hidden_inputs(2, exercise)
    assert len(first) == len(again) and all(np.array_equal(a, b) for a, b in zip(first, again))
    assert not all(np.shape(a) == np.shape(b) and np.array_equal(a, b) for a, b in zip(first, other))


def test_without_the_instructors_file_the_hidden_part_says_where_it_runs(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    with core.hidden_source(None, 0):
        with pytest.raises(CheckFailure, match="only when the instructor grades"):
            ch02.softmax(softmax, hidden=True)
        with pytest.raises(CheckFailure, match="only when the instructor grades"):
            ch02.relu(relu, relu_grad, hidden=True)


def test_no_hidden_case_reaches_a_student():
    labels, literals = hidden_case_texts(HIDDEN)
    assert len(labels) >= 10 and literals
    assert leaked_hidden_texts(HIDDEN, ROOT, ROOT / "course" / "ch02-activations" / "ch02-activations.ipynb") == {}
    assert not (ROOT / "course" / "ch02-activations" / "hidden_cases.py").exists()


# -- the caller's arrays are left alone --------------------------------------------------------


def relu_in_place(x):
    x = np.asarray(x)
    x[x < 0] = 0.0
    return x.astype(float)


def softmax_in_place(x, axis=-1):
    x = np.asarray(x, dtype=float)
    x -= x.max(axis=axis, keepdims=True)
    e = np.exp(x)
    return e / e.sum(axis=axis, keepdims=True)


def test_changing_the_callers_array_fails_and_names_it():
    _fails(ch02.relu, relu_in_place, relu_grad, fragments=("changed its argument `x` in place",))
    _fails(ch02.softmax, softmax_in_place, fragments=("changed its argument `x` in place",))


# -- exercise 7: the signal through a deep random stack --------------------------------------------


def signal(f, f_grad, rng, depth=30, width=128, batch=200, gain=1.0):
    h = rng.standard_normal((batch, width))
    weights = [rng.standard_normal((width, width)) * gain / np.sqrt(width) for _ in range(depth)]
    grad = rng.standard_normal((batch, width))
    pre, means, stds = [], np.zeros(depth), np.zeros(depth)
    for layer, W in enumerate(weights):
        pre.append(h @ W)
        h = f(pre[-1])
        means[layer], stds[layer] = h.mean(), h.std()
    delta_rms = np.zeros(depth)
    for layer in reversed(range(depth)):
        delta = grad * f_grad(pre[layer])
        delta_rms[layer] = np.sqrt(np.mean(delta ** 2))
        grad = delta @ weights[layer].T
    return means, stds, delta_rms


def signal_one_draw(f, f_grad, rng, depth=30, width=128, batch=200, gain=1.0):
    # all weights in one draw (the same stream), statistics collected in lists, rms by a norm
    h = rng.standard_normal((batch, width))
    W = rng.normal(0.0, gain / np.sqrt(width), size=(depth, width, width))
    upstream = rng.standard_normal((batch, width))
    activations, pre = [h], []
    for W_l in W:
        pre.append(np.einsum("bi,ij->bj", activations[-1], W_l))
        activations.append(f(pre[-1]))
    means = [a.mean() for a in activations[1:]]
    stds = [np.sqrt(np.mean((a - a.mean()) ** 2)) for a in activations[1:]]
    rms = []
    for W_l, a in zip(W[::-1], pre[::-1]):
        delta = upstream * f_grad(a)
        rms.append(np.linalg.norm(delta) / np.sqrt(delta.size))
        upstream = np.dot(delta, W_l.T)
    return np.array(means), np.array(stds), np.array(rms[::-1])


def signal_autograd_style(f, f_grad, rng, depth=30, width=128, batch=200, gain=1.0):
    # forward with a cache per layer, then a backward loop over the cache
    x = rng.standard_normal((batch, width))
    layers = [rng.standard_normal((width, width)) * (gain / width ** 0.5) for _ in range(depth)]
    g = rng.standard_normal((batch, width))
    cache, stats = [], []
    for W in layers:
        a = x @ W
        x = f(a)
        cache.append((W, a))
        stats.append((x.mean(), x.std()))
    out = []
    while cache:
        W, a = cache.pop()
        d = g * f_grad(a)
        out.insert(0, float(np.sqrt((d * d).mean())))
        g = d @ W.T
    means, stds = zip(*stats)
    return means, stds, out


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("student", [signal, signal_one_draw, signal_autograd_style])
def test_signal_correct_styles_pass(student, hidden, capsys):
    ch02.signal_through_depth(student, hidden=hidden)
    assert "\u2713 signal_through_depth" in capsys.readouterr().out


def test_signal_reference_backward_matches_torch_autograd():
    rng = np.random.default_rng(4)
    f, f_grad = ch02._DEPTH_ACTIVATIONS["tanh"]
    means, stds, delta_rms = ch02._ref_signal_through_depth(f, f_grad, rng, depth=5, width=7, batch=3, gain=1.3)
    gen = np.random.default_rng(4)
    h0 = torch.tensor(gen.standard_normal((3, 7)), requires_grad=True)
    weights = [torch.tensor(gen.standard_normal((7, 7)) * 1.3 / np.sqrt(7)) for _ in range(5)]
    upstream = torch.tensor(gen.standard_normal((3, 7)))
    h, pre = h0, []
    for W in weights:
        a = h @ W
        a.retain_grad()
        pre.append(a)
        h = torch.tanh(a)
    (h * upstream).sum().backward()  # dL/dH_L = upstream
    np.testing.assert_allclose(delta_rms, [a.grad.pow(2).mean().sqrt().item() for a in pre], rtol=1e-12)
    hs = [torch.tanh(a).detach() for a in pre]
    np.testing.assert_allclose(means, [t.mean().item() for t in hs], rtol=1e-12)
    np.testing.assert_allclose(stds, [t.std(correction=0).item() for t in hs], rtol=1e-12)


def test_signal_selu_keeps_mean_zero_and_variance_one_through_thirty_layers():
    # the self-normalising property the notes promise, measured on the chapter's defaults
    means, stds, delta_rms = ch02._ref_signal_through_depth(*ch02._DEPTH_ACTIVATIONS["selu"], np.random.default_rng(0))
    assert np.all(np.abs(means) < 0.1) and np.all(np.abs(stds - 1) < 0.1)
    _, relu_stds, _ = ch02._ref_signal_through_depth(*ch02._DEPTH_ACTIVATIONS["relu"], np.random.default_rng(0))
    assert relu_stds[-1] < 1e-3 * relu_stds[0]  # ReLU with gain 1 halves the signal's square each layer
    _, _, sigmoid_delta = ch02._ref_signal_through_depth(*ch02._DEPTH_ACTIVATIONS["sigmoid"], np.random.default_rng(0))
    assert sigmoid_delta[0] < 1e-12 * sigmoid_delta[-1]


def _signal_slip(slip):
    def student(f, f_grad, rng, depth=30, width=128, batch=200, gain=1.0):
        return ch02._signal(f, f_grad, rng, depth, width, batch, gain, slip=slip)
    return student


@pytest.mark.parametrize("slip, fragment", [
    ("ddof", "ddof = 0"),
    ("pre_activation", "not of the pre-activations"),
    ("scale", "not gain / width"),
    ("upstream_first", "in the order the spec gives"),
    ("grad_at_output", "not at h_l = f(a_l)"),
    ("no_transpose", "delta_l @ W_l.T"),
])
def test_signal_typical_slips_fail_with_their_own_hint(slip, fragment):
    _fails(ch02.signal_through_depth, _signal_slip(slip), fragments=(fragment, "input:", "expected"))


def test_signal_off_by_one_layer_fails():
    def with_input_layer(f, f_grad, rng, depth=30, width=128, batch=200, gain=1.0):
        means, stds, delta_rms = signal(f, f_grad, rng, depth, width, batch, gain)
        return np.append(0.0, means), np.append(1.0, stds), np.append(delta_rms, 1.0)

    _fails(ch02.signal_through_depth, with_input_layer, fragments=("wrong shape",))


def test_signal_stub_library_and_reference_fail():
    _fails(ch02.signal_through_depth, _stub, fragments=("not implemented yet",))
    _fails(ch02.signal_through_depth, lambda *a, **k: ch02._ref_signal_through_depth(*a, **k),
           fragments=("reference implementation",))

    def with_library_activation(f, f_grad, rng, **settings):
        import dlcourse.functional as F
        return signal(lambda a: F.relu(a), f_grad, rng, **settings)

    _fails(ch02.signal_through_depth, with_library_activation, fragments=("dlcourse.functional.activations.relu",))


def test_signal_is_judged_by_the_grader():
    source = "from dlcourse.checks import ch02\nch02.signal_through_depth(signal_through_depth, hidden=True)"
    verdict = judged_outside(source, {"signal_through_depth": signal_one_draw},
                             answers_from={"signal_through_depth": signal}, hidden_path=HIDDEN, seed=4)
    assert verdict.points == 1, verdict.message
    wrong = judged_outside(source, {"signal_through_depth": _signal_slip("no_transpose")},
                           answers_from={"signal_through_depth": signal}, hidden_path=HIDDEN, seed=4)
    assert wrong.points == 0 and "W_l.T" in wrong.message


# -- exercise 9: a maxout layer ----------------------------------------------------------------------


def maxout_forward(x, W, b, num_pieces):
    z = x @ W.T + b
    return z.reshape(len(z), -1, num_pieces).max(axis=2)


def maxout_backward(grad_out, x, W, b, num_pieces):
    z = (x @ W.T + b).reshape(len(x), -1, num_pieces)
    dz = np.zeros_like(z)
    np.put_along_axis(dz, z.argmax(axis=2)[..., None], grad_out[..., None], axis=2)
    dz = dz.reshape(len(x), -1)
    return dz @ W, dz.T @ x, dz.sum(axis=0)


def maxout_forward_loop(x, W, b, num_pieces):
    units = len(b) // num_pieces
    out = np.empty((len(x), units))
    for j in range(units):
        rows = slice(j * num_pieces, (j + 1) * num_pieces)
        out[:, j] = np.max(x @ W[rows].T + b[rows], axis=1)
    return out


def maxout_backward_mask(grad_out, x, W, b, num_pieces):
    # a one-hot mask of the winners built with np.eye, and einsum for the sums
    m, units = grad_out.shape
    z = (np.einsum("mn,cn->mc", x, W) + b).reshape(m, units, num_pieces)
    winners = np.eye(num_pieces, dtype=bool)[z.argmax(axis=-1)]
    dz = (winners * grad_out[..., None]).reshape(m, units * num_pieces)
    return np.einsum("mc,cn->mn", dz, W), np.einsum("mc,mn->cn", dz, x), np.einsum("mc->c", dz)


def maxout_backward_loop(grad_out, x, W, b, num_pieces):
    dx, dW, db = np.zeros_like(x), np.zeros_like(W), np.zeros_like(b)
    z = x @ W.T + b
    for i in range(len(x)):
        for j in range(grad_out.shape[1]):
            k = j * num_pieces + int(np.argmax(z[i, j * num_pieces:(j + 1) * num_pieces]))
            dx[i] += grad_out[i, j] * W[k]
            dW[k] += grad_out[i, j] * x[i]
            db[k] += grad_out[i, j]
    return dx, dW, db


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("forward, backward", [(maxout_forward, maxout_backward),
                                               (maxout_forward_loop, maxout_backward_mask),
                                               (maxout_forward, maxout_backward_loop)])
def test_maxout_correct_styles_score_full_marks(forward, backward, hidden, capsys):
    score = ch02.maxout(forward, backward, hidden=hidden)
    assert float(score) == 3.0 and repr(score) == "3"


def test_maxout_references_match_the_library_and_torch_autograd():
    import dlcourse.functional as F

    rng = np.random.default_rng(8)
    x, W, b, grad_out = rng.normal(size=(5, 3)), rng.normal(size=(8, 3)), rng.normal(size=8), rng.normal(size=(5, 2))
    out = ch02._ref_maxout_forward(x, W, b, 4)
    np.testing.assert_allclose(out, F.maxout(x @ W.T + b, 4), rtol=1e-14)
    dx, dW, db = ch02._ref_maxout_backward(grad_out, x, W, b, 4)
    tx, tW, tb = (torch.tensor(v, requires_grad=True) for v in (x, W, b))
    t_out = (tx @ tW.T + tb).reshape(5, 2, 4).amax(dim=2)
    (t_out * torch.tensor(grad_out)).sum().backward()
    np.testing.assert_allclose(out, t_out.detach().numpy(), rtol=1e-14)
    for ours, theirs in ((dx, tx), (dW, tW), (db, tb)):
        np.testing.assert_allclose(ours, theirs.grad.numpy(), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(dW, F.maxout_backward(grad_out, x @ W.T + b, 4).T @ x, rtol=1e-12)


def test_maxout_forward_with_strided_pieces_fails():
    def strided(x, W, b, num_pieces):
        z = x @ W.T + b
        return z.reshape(len(z), num_pieces, -1).max(axis=1)

    score_message = _maxout_outcome(strided, maxout_backward)
    assert score_message[0] == 2.0 and "consecutive columns" in score_message[1]


def _maxout_outcome(forward, backward):
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        try:
            score = float(ch02.maxout(forward, backward))
        except CheckFailure as failure:
            return 0.0, str(failure)
    return score, out.getvalue()


def test_maxout_forward_without_the_bias_fails():
    score, message = _maxout_outcome(lambda x, W, b, k: maxout_forward(x, W, np.zeros_like(b), k), maxout_backward)
    assert score == 2.0 and "x @ W.T + b" in message


def test_maxout_backward_spreading_the_gradient_over_every_piece_fails():
    def to_every_piece(grad_out, x, W, b, num_pieces):
        dz = np.repeat(grad_out, num_pieces, axis=1)
        return dz @ W, dz.T @ x, dz.sum(axis=0)

    score, message = _maxout_outcome(maxout_forward, to_every_piece)
    assert score == 1.0 and "winning piece" in message and "ReLU as a maxout" in message


def test_maxout_backward_giving_every_tied_piece_the_gradient_fails():
    def all_tied(grad_out, x, W, b, num_pieces):
        z = (x @ W.T + b).reshape(len(x), -1, num_pieces)
        dz = (z == z.max(axis=2, keepdims=True)) * grad_out[..., None]
        dz = dz.reshape(len(x), -1)
        return dz @ W, dz.T @ x, dz.sum(axis=0)

    score, message = _maxout_outcome(maxout_forward, all_tied)
    assert score == 1.0 and "at x = 0 both tie" in message and "first on a tie" in message


def test_maxout_backward_with_transposed_weight_gradient_fails():
    def transposed(grad_out, x, W, b, num_pieces):
        dx, dW, db = maxout_backward(grad_out, x, W, b, num_pieces)
        return dx, dW.T, db

    score, message = _maxout_outcome(maxout_forward, transposed)
    assert score == 1.0 and "wrong shape" in message and "same shape as W" in message


def test_maxout_backward_without_summing_the_batch_fails():
    def per_sample_bias(grad_out, x, W, b, num_pieces):
        dx, dW, _ = maxout_backward(grad_out, x, W, b, num_pieces)
        z = (x @ W.T + b).reshape(len(x), -1, num_pieces)
        dz = np.zeros_like(z)
        np.put_along_axis(dz, z.argmax(axis=2)[..., None], grad_out[..., None], axis=2)
        return dx, dW, dz.reshape(len(x), -1)

    score, message = _maxout_outcome(maxout_forward, per_sample_bias)
    assert score == 1.0 and "summed over the batch" in message


def test_maxout_stub_reference_and_library_fail():
    import dlcourse.functional as F
    from dlcourse import nn

    _fails(ch02.maxout, _stub, _stub, fragments=("not implemented yet",))
    _fails(ch02.maxout, lambda x, W, b, k: F.maxout(x @ W.T + b, k), lambda *a: ch02._ref_maxout_backward(*a),
           fragments=("reference implementation",))
    _fails(ch02.maxout, lambda x, W, b, k: nn.Maxout(k)(x @ W.T + b), _stub, fragments=("reference implementation",))

    def via_linear(x, W, b, k):
        layer = nn.Linear(W.shape[1], W.shape[0])
        layer.weight.data, layer.bias.data = W, b
        return maxout_forward(x, W, b, k) + 0 * layer(x)[:, ::k]

    _fails(ch02.maxout, via_linear, _stub, fragments=("reference implementation",))


def test_maxout_changing_grad_out_in_place_fails_and_names_it():
    def in_place(grad_out, x, W, b, num_pieces):
        result = maxout_backward(grad_out, x, W, b, num_pieces)
        grad_out *= 0
        return result

    score, message = _maxout_outcome(maxout_forward, in_place)
    assert score == 1.0 and "changed its argument `grad_out` in place" in message


@pytest.mark.parametrize("seed", range(20))
def test_new_hidden_cases_of_every_seed_are_well_posed(seed, capsys):
    with core.hidden_source(HIDDEN, seed):
        ch02.signal_through_depth(signal, hidden=True)
        assert float(ch02.maxout(maxout_forward, maxout_backward, hidden=True)) == 3.0
        maxout_cases = core.hidden("maxout")
    for case in maxout_cases:  # shapes agree, and random pieces never tie (a tie is a labelled case)
        grad_out, x, W, b, k = case.args
        assert W.shape == (len(b), x.shape[1]) and len(b) % k == 0 and grad_out.shape == (len(x), len(b) // k)
        if "tie" not in case.label:
            z = np.sort((x @ W.T + b).reshape(len(x), -1, k), axis=2)
            assert k == 1 or np.min(z[..., -1] - z[..., -2]) > 1e-9


# -- exercise 1 grades both pairs, a point each -----------------------------------------------------


@pytest.mark.parametrize("hidden", [False, True])
def test_relu_and_sigmoid_full_marks(hidden, capsys):
    assert repr(ch02.relu_and_sigmoid(relu, relu_grad, sigmoid, sigmoid_grad, hidden=hidden)) == "2"
    assert float(ch02.relu_and_sigmoid(relu_other, relu_grad_other, sigmoid_other, sigmoid_grad_other,
                                       hidden=hidden)) == 2.0


def test_relu_and_sigmoid_one_wrong_pair_keeps_the_other_point(capsys):
    assert float(ch02.relu_and_sigmoid(relu, relu_grad, sigmoid, lambda x: sigmoid(x) ** 2)) == 1.0
    assert "s (1 - s)" in capsys.readouterr().out
    assert float(ch02.relu_and_sigmoid(relu, lambda x: (np.asarray(x) < 0).astype(float), sigmoid, sigmoid_grad)) == 1.0


def test_relu_and_sigmoid_stub_fails():
    _fails(ch02.relu_and_sigmoid, _stub, _stub, _stub, _stub, fragments=("not implemented yet",))
