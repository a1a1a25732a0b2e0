"""Checks for chapter 11, *Convolutional networks*: the output-size rule and its error
cases, a convolution forward by loops and vectorised, its backward pass, max pooling
forward and backward, a residual block's backward pass, and a LeNet trained on the 8×8
digits.

Every check takes the student's function(s) and ``hidden=False``; the hidden variant (run by
the grader) adds the instructor's cases from ``solutions/ch11-cnn/hidden_cases.py`` (see
:func:`dlcourse.checks.core.hidden`), which the release never contains. The conventions
are PyTorch's (``torch.nn.functional.conv2d`` and ``max_pool2d``):

* images ``x`` of shape (N, C, H, W), filters ``w`` of shape (K, C, FH, FW), biases (K,);
* the layer computes a cross-correlation (no flipped kernel),
  out[n, k, i, j] = b[k] + Σ_c Σ_a Σ_b x_pad[n, c, S·i + a, S·j + b] · w[k, c, a, b];
* output side ⌊(H − F + 2P)/S⌋ + 1 (windows that would run past the padded edge are
  dropped); the chapter's ``conv_output_size`` exercise instead refuses such sizes, as the
  notes' rule does.

The references are private functions of this module; the library's own convolution and
pooling (``dlcourse.functional``, ``dlcourse.nn``'s layers, ``dlcourse.models``,
``dlcourse.train``) are refused while the student's function runs, except where a spec
allows them (the training exercise builds its network from ``dlcourse.nn``'s layers).
"""

import copy

import numpy as np

from dlcourse.checks import core
from dlcourse.checks.core import (
    Case,
    CheckFailure,
    Part,
    call_student,
    check_function,
    expect_close,
    graded_parts,
    hidden as hidden_part,
    library_functions,
    random_cases,
)

__all__ = ["ACCURACY_GOAL", "conv_output_size", "conv_forward", "conv_backward", "max_pool",
           "residual_block_backward", "train_lenet", "random_conv_case", "random_pool_case",
           "random_residual_case"]

ACCURACY_GOAL = 0.92  # the test accuracy a trained LeNet must reach on the grader's split


# -- reference computations ----------------------------------------------------------------


def _ref_conv_output_size(W, F, P=0, S=1):
    for name, value, low in (("W", W, 1), ("F", F, 1), ("P", P, 0), ("S", S, 1)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, (bool, np.bool_)) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    if F > W + 2 * P:
        raise ValueError(f"the filter F={F} is larger than the padded input W + 2P = {W + 2 * P}")
    steps, remainder = divmod(W - F + 2 * P, S)
    if remainder:
        raise ValueError(f"(W - F + 2P)/S = ({W} - {F} + 2*{P})/{S} is not an integer")
    return int(steps + 1)


def _offsets(kh, kw, stride, out_h, out_w):
    """(a, b, rows, cols): for each filter tap, the slices of the input it meets."""
    for a in range(kh):
        for b in range(kw):
            yield a, b, slice(a, a + stride * (out_h - 1) + 1, stride), slice(b, b + stride * (out_w - 1) + 1, stride)


def _padded(x, padding):
    return np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))


def _ref_conv_forward(x, w, b, stride=1, padding=0):
    x, w, b = (np.asarray(v, dtype=np.float64) for v in (x, w, b))
    xp = _padded(x, padding)
    kh, kw = w.shape[2:]
    out_h = (xp.shape[2] - kh) // stride + 1
    out_w = (xp.shape[3] - kw) // stride + 1
    out = np.zeros((x.shape[0], w.shape[0], out_h, out_w)) + b[None, :, None, None]
    for a, c, rows, cols in _offsets(kh, kw, stride, out_h, out_w):
        out += np.einsum("nchw,kc->nkhw", xp[:, :, rows, cols], w[:, :, a, c])
    return out


def _ref_conv_backward(dout, x, w, stride=1, padding=0):
    dout, x, w = (np.asarray(v, dtype=np.float64) for v in (dout, x, w))
    xp = _padded(x, padding)
    kh, kw = w.shape[2:]
    out_h, out_w = dout.shape[2:]
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    for a, c, rows, cols in _offsets(kh, kw, stride, out_h, out_w):
        dw[:, :, a, c] = np.einsum("nkhw,nchw->kc", dout, xp[:, :, rows, cols])
        dxp[:, :, rows, cols] += np.einsum("nkhw,kc->nchw", dout, w[:, :, a, c])
    dx = dxp[:, :, padding:padding + x.shape[2], padding:padding + x.shape[3]]
    return dx, dw, dout.sum(axis=(0, 2, 3))


def _pool_windows(x, size, stride):
    out_h = (x.shape[2] - size) // stride + 1
    out_w = (x.shape[3] - size) // stride + 1
    taps = list(_offsets(size, size, stride, out_h, out_w))
    return np.stack([x[:, :, rows, cols] for _, _, rows, cols in taps], axis=-1), taps


def _ref_max_pool_forward(x, size=2, stride=2):
    windows, _ = _pool_windows(np.asarray(x, dtype=np.float64), size, stride)
    return windows.max(axis=-1)


def _ref_max_pool_backward(dout, x, size=2, stride=2):
    x, dout = np.asarray(x, dtype=np.float64), np.asarray(dout, dtype=np.float64)
    windows, taps = _pool_windows(x, size, stride)
    winner = windows.argmax(axis=-1)
    dx = np.zeros_like(x)
    for t, (_, _, rows, cols) in enumerate(taps):
        dx[:, :, rows, cols] += np.where(winner == t, dout, 0.0)
    return dx


def _ref_residual_block_backward(dout, x, w1, b1, w2, b2):
    a1 = _ref_conv_forward(x, w1, b1, 1, 1)
    h = np.maximum(a1, 0.0)
    z = _ref_conv_forward(h, w2, b2, 1, 1) + x
    dz = np.where(z > 0, np.asarray(dout, dtype=np.float64), 0.0)
    dh, dw2, db2 = _ref_conv_backward(dz, h, w2, 1, 1)
    dx_branch, dw1, db1 = _ref_conv_backward(np.where(a1 > 0, dh, 0.0), x, w1, 1, 1)
    return dx_branch + dz, dw1, db1, dw2, db2


_OWN = (_ref_conv_output_size, _ref_conv_forward, _ref_conv_backward, _pool_windows,
        _ref_max_pool_forward, _ref_max_pool_backward, _ref_residual_block_backward)

_CONV_MODULES = ("dlcourse.functional.conv", "dlcourse.functional.pooling", "dlcourse.nn.conv",
                 "dlcourse.nn.pooling", "dlcourse.nn.blocks", "dlcourse.nn.residual", "dlcourse.models",
                 "dlcourse.train", "dlcourse.gradcheck")


def _references(*modules):
    return tuple(_OWN) + tuple(library_functions(*modules))


# -- random inputs (the hidden cases draw from these too) ------------------------------------


def random_conv_case(rng, n=None, c=None, k=None, side=None, kernel=None, stride=None, padding=None,
                     dout=False, label=""):
    """A random convolution case ``(x, w, b, stride, padding)``, or with ``dout=True``
    ``(dout, x, w, stride, padding)``; a size left as None is drawn from ``rng``."""
    n = int(rng.integers(1, 3)) if n is None else n
    c = int(rng.integers(1, 4)) if c is None else c
    k = int(rng.integers(1, 4)) if k is None else k
    stride = int(rng.integers(1, 3)) if stride is None else stride
    padding = int(rng.integers(0, 2)) if padding is None else padding
    kh, kw = (int(rng.integers(1, 4)), int(rng.integers(1, 4))) if kernel is None else kernel
    h, wd = (int(rng.integers(max(kh, 3), 8)), int(rng.integers(max(kw, 3), 8))) if side is None else side
    x, w, b = rng.normal(size=(n, c, h, wd)), rng.normal(size=(k, c, kh, kw)), rng.normal(size=k)
    text = label or f"x {x.shape}, w {w.shape}, stride {stride}, padding {padding}"
    if not dout:
        return Case((x, w, b, stride, padding), label=text)
    out_h, out_w = (h + 2 * padding - kh) // stride + 1, (wd + 2 * padding - kw) // stride + 1
    return Case((rng.normal(size=(n, k, out_h, out_w)), x, w, stride, padding), label=text)


def random_pool_case(rng, size=None, stride=None, label=""):
    """A random pooling case ``(dout, x, size, stride)`` without ties inside a window."""
    size = int(rng.integers(2, 4)) if size is None else size
    stride = int(rng.integers(1, size + 1)) if stride is None else stride
    n, c = int(rng.integers(1, 3)), int(rng.integers(1, 4))
    h, w = int(rng.integers(size, 9)), int(rng.integers(size, 9))
    x = rng.permutation(n * c * h * w).reshape(n, c, h, w) / 10.0 - 2.0   # distinct values: no ties
    out = (h - size) // stride + 1, (w - size) // stride + 1
    return Case((rng.normal(size=(n, c) + out), x, size, stride),
                label=label or f"x {x.shape}, size {size}, stride {stride}")


def random_residual_case(rng, n=None, c=None, side=None, label=""):
    """A random residual block case ``(dout, x, w1, b1, w2, b2)`` with 3×3 filters."""
    n = int(rng.integers(1, 3)) if n is None else n
    c = int(rng.integers(1, 4)) if c is None else c
    side = int(rng.integers(2, 7)) if side is None else side
    x = rng.normal(size=(n, c, side, side))
    w1, w2 = (rng.normal(scale=0.5, size=(c, c, 3, 3)) for _ in range(2))
    return Case((rng.normal(size=x.shape), x, w1, rng.normal(size=c), w2, rng.normal(size=c)),
                label=label or f"x {x.shape}")


# -- exercise 1: the output size -------------------------------------------------------------


def _expect_value_error(student, case, name, forbidden, hint):
    """Fail unless ``student(*case.args)`` raises ValueError."""
    __tracebackhide__ = True
    where = f"\n  input: {case.describe()}\n  hint: {hint}"
    core._forbidden_stack.append(tuple(forbidden))
    try:
        with core._tripwire(forbidden):
            result = student(*copy.deepcopy(case.args), **copy.deepcopy(case.kwargs))
    except ValueError:
        return
    except core.ReferenceCalled as called:
        raise CheckFailure(f"`{name}` calls {called.qualname}, the course library's reference "
                           "implementation of this exercise. Write the computation yourself." + where) from None
    except NotImplementedError:
        raise CheckFailure(f"`{name}` is not implemented yet: replace `raise NotImplementedError()` "
                           "with your code and run its cell again." + where) from None
    except CheckFailure:
        raise
    except Exception as error:
        raise CheckFailure(f"`{name}` raised {type(error).__name__} ({error}); this input needs a "
                           "ValueError" + where) from None
    finally:
        core._forbidden_stack.pop()
    raise CheckFailure(f"`{name}` returned {core._short(result)}; this input has no valid output size "
                       "and needs a ValueError" + where)


def conv_output_size(student, hidden=False):
    """Exercise 1: ``conv_output_size(W, F, P=0, S=1)`` = (W − F + 2P)/S + 1, or ValueError."""
    refs = _references(*_CONV_MODULES)
    valid = [
        Case((32, 5), label="the notes' first layer: 5x5 filters on 32x32"),
        Case((14, 5), label="the notes' second layer: 5x5x6 filters on 14x14x6"),
        Case((28, 2, 0, 2), label="the notes' pooling: 2x2 windows, stride 2, on 28x28"),
        Case((8, 3, 1), label="a 3x3 filter with padding 1 keeps the size"),
        Case((7, 3, 0, 2), label="stride 2 that tiles"),
        Case((5, 5), label="the filter covers the whole input"),
        Case((1, 3, 1), label="a 1x1 input padded to 3x3"),
        Case((227, 11, 0, 4), label="AlexNet's first layer: 11x11, stride 4, on 227x227"),
    ]
    invalid = [
        Case((8, 3, 0, 2), label="stride 2 does not tile: (8 - 3)/2 is not an integer"),
        Case((4, 5), label="the filter is larger than the input"),
        Case((4, 7, 1), label="the filter is larger than the padded input"),
        Case((0, 1), label="an empty input"),
        Case((8, 0), label="a filter of size 0"),
        Case((8, 3, -1), label="a negative padding"),
        Case((8, 3, 0, 0), label="stride 0"),
        Case((8.0, 3), label="a float width"),
        Case((8, 3, 0, 1.5), label="a fractional stride"),
    ]
    if hidden:
        extra = hidden_part("conv_output_size")
        valid += extra["valid"]
        invalid += extra["invalid"]
    check_function(student, _ref_conv_output_size, valid, name="conv_output_size", forbidden=refs, quiet=True,
                   rtol=0, atol=0,
                   hint="(W - F + 2P) // S + 1 once the checks pass: the padding is added on both sides (2P), "
                        "and the division by S comes before the + 1")
    for case in invalid:
        _expect_value_error(
            student, case, "conv_output_size", refs,
            "raise ValueError when an argument is not an integer (bool excluded) or is out of range "
            "(W, F, S >= 1, P >= 0), when F > W + 2P, and when (W - F + 2P) is not divisible by S")
    print(f"\u2713 conv_output_size: all {len(valid)} sizes and {len(invalid)} error cases pass")


# -- exercise 2: the convolution forward, by loops and vectorised ------------------------------


def _conv_forward_cases(hidden):
    x = np.arange(1.0, 17.0).reshape(1, 1, 4, 4)
    kernel = np.array([[[[1.0, 2.0], [3.0, 4.0]]]])
    cases = [
        Case((x, kernel, np.zeros(1), 1, 0), label="the notes' 4x4 image (pixels 1..16) and 2x2 kernel"),
        Case((x, kernel, np.array([0.5]), 2, 0), label="the same with stride 2 and a bias 0.5"),
        Case((x, np.ones((1, 1, 3, 3)), np.zeros(1), 1, 1), label="a 3x3 box filter, padding 1"),
    ]
    rng = np.random.default_rng(110)
    cases += [random_conv_case(rng, kernel=(3, 3), stride=1, padding=1),
              random_conv_case(rng, stride=2, padding=0),
              random_conv_case(rng, side=(7, 6), kernel=(3, 2), stride=3, padding=1,
                               label="stride 3 that does not tile: the last columns are dropped"),
              random_conv_case(rng, kernel=(1, 1), padding=0, label="a 1x1 convolution mixes the channels")]
    cases += [random_conv_case(rng) for _ in range(3)]
    if hidden:
        cases += hidden_part("conv_forward")
    return cases


def conv_forward(student_loops, student_fast, hidden=False):
    """Exercise 2: ``conv2d_loops`` and ``conv2d_fast``, each ``(x, w, b, stride=1, padding=0)``
    -> (N, K, H2, W2) (partial credit: the loops, the vectorised version)."""
    refs = _references(*_CONV_MODULES)
    cases = _conv_forward_cases(hidden)
    hint = ("out[n, k, i, j] = b[k] + sum over c, a, b of x_pad[n, c, S*i + a, S*j + b] * w[k, c, a, b]: no "
            "flipped kernel (the layer is a cross-correlation, as PyTorch's); pad H and W with P zeros on "
            "each side first; output side (H + 2P - FH) // S + 1")

    def part(student, name, extra):
        def run():
            check_function(student, _ref_conv_forward, cases, name=name, forbidden=refs, rtol=1e-9,
                           atol=1e-10, keeps_inputs=True, hint=hint + extra)
        return run

    return graded_parts([
        Part("conv2d_loops", 2, part(student_loops, "conv2d_loops", "")),
        Part("conv2d_fast", 2, part(student_fast, "conv2d_fast",
                                    "; loop over the FH*FW filter taps (or build the im2col matrix) and let "
                                    "np.einsum or a matrix product do the sums over channels and positions")),
    ])


# -- exercise 3: the convolution's backward pass -------------------------------------------------


def conv_backward(student, hidden=False):
    """Exercise 3: ``conv2d_backward(dout, x, w, stride=1, padding=0) -> (dx, dw, db)``
    (partial credit: db, dw, dx)."""
    refs = _references(*_CONV_MODULES)
    rng = np.random.default_rng(111)
    cases = [
        Case((np.ones((1, 1, 3, 3)), np.arange(1.0, 17.0).reshape(1, 1, 4, 4), np.array([[[[1.0, 2.0], [3.0, 4.0]]]]),
              1, 0), label="the notes' 4x4 image and 2x2 kernel, dout = 1"),
        random_conv_case(rng, kernel=(3, 3), stride=1, padding=1, dout=True),
        random_conv_case(rng, stride=2, padding=0, dout=True),
        random_conv_case(rng, side=(7, 6), kernel=(3, 2), stride=3, padding=1, dout=True,
                         label="stride 3 that does not tile: some pixels get no gradient"),
        random_conv_case(rng, kernel=(2, 2), stride=2, padding=1, dout=True),
    ] + [random_conv_case(rng, dout=True) for _ in range(3)]
    if hidden:
        cases += hidden_part("conv_backward")
    outcomes = []
    for case in cases:
        result, noise = call_student(student, *case.args, name="conv2d_backward", case=case, forbidden=refs,
                                     keeps_inputs=True, arg_names=("dout", "x", "w", "stride", "padding"))
        if not isinstance(result, (tuple, list)) or len(result) != 3:
            raise CheckFailure(f"`conv2d_backward` should return 3 arrays (dx, dw, db), got {core._short(result)}"
                               f"\n  input: {case.describe()}")
        outcomes.append((case, result, noise))

    def compare(index, what, hint):
        def run():
            for case, result, noise in outcomes:
                expected = _ref_conv_backward(*case.args)[index]
                expect_close(result[index], expected, f"{what} returned by `conv2d_backward`", case,
                             rtol=1e-8, atol=1e-10, hint=hint, noise=noise)
        return run

    return graded_parts([
        Part("db", 1, compare(2, "db (shape (K,))", "db[k] = the sum of dout[:, k] over the batch and every "
                              "output position")),
        Part("dw", 1, compare(1, "dw (shape of w)", "dw[k, c, a, b] = sum over n, i, j of dout[n, k, i, j] * "
                              "x_pad[n, c, S*i + a, S*j + b]: the forward pass's sum with dout in place of w")),
        Part("dx", 2, compare(0, "dx (shape of x)", "every output scatters dout[n, k, i, j] * w[k, c, a, b] back "
                              "onto x_pad[n, c, S*i + a, S*j + b] (add with +=, windows overlap); then cut the "
                              "padding off, so dx has the shape of x")),
    ])


# -- exercise 4: max pooling -------------------------------------------------------------------


def max_pool(student_forward, student_backward, hidden=False):
    """Exercise 4: ``max_pool_forward(x, size=2, stride=2)`` and
    ``max_pool_backward(dout, x, size=2, stride=2)`` (partial credit)."""
    refs = _references(*_CONV_MODULES)
    rng = np.random.default_rng(112)
    x = np.array([[[[1.0, 3.0, 2.0, 1.0], [4.0, 2.0, 0.0, 1.0], [5.0, 6.0, 1.0, 2.0], [7.0, 8.0, 3.0, 0.5]]]])
    cases = [
        Case((np.array([[[[10.0, -1.0], [0.5, 2.0]]]]), x, 2, 2),
             label="a 4x4 image, 2x2 windows, stride 2"),
        random_pool_case(rng, size=2, stride=2),
        random_pool_case(rng, size=3, stride=2, label="overlapping 3x3 windows, stride 2: gradients add up"),
        random_pool_case(rng, size=2, stride=1, label="stride 1: one pixel can win several windows"),
        random_pool_case(rng, size=3, stride=3, label="3x3 windows, stride 3"),
    ] + [random_pool_case(rng) for _ in range(3)]
    if hidden:
        cases += hidden_part("max_pool")

    def forward_part():
        check_function(student_forward, _ref_max_pool_forward, [Case(c.args[1:], label=c.label) for c in cases],
                       name="max_pool_forward", forbidden=refs, rtol=0, atol=0, keeps_inputs=True,
                       hint="the maximum of each size x size window, the windows S apart; output side "
                            "(H - size) // S + 1, one map per channel (pooling never mixes channels)")

    def backward_part():
        check_function(student_backward, _ref_max_pool_backward, cases, name="max_pool_backward", forbidden=refs,
                       rtol=1e-12, atol=1e-12, keeps_inputs=True,
                       hint="each window sends its dout to the one pixel that was its maximum, all the others "
                            "get 0; where windows overlap a pixel collects (+=) from every window it won")

    return graded_parts([Part("max_pool_forward", 1, forward_part), Part("max_pool_backward", 2, backward_part)])


# -- exercise 5: a residual block's backward pass ------------------------------------------------


_RESIDUAL_OUT = ("dx", "dw1", "db1", "dw2", "db2")


def _conv_backward_agrees(student_conv_backward, case):
    """Whether the student's ``conv2d_backward`` is right on the two calls the block makes."""
    dout, x, w1, b1, w2, b2 = case.args
    a1 = _ref_conv_forward(x, w1, b1, 1, 1)
    h = np.maximum(a1, 0.0)
    dz = np.where(_ref_conv_forward(h, w2, b2, 1, 1) + x > 0, dout, 0.0)
    dh = _ref_conv_backward(dz, h, w2, 1, 1)[0]
    agrees = True
    for args in ((dz, h, w2, 1, 1), (np.where(a1 > 0, dh, 0.0), x, w1, 1, 1)):
        try:  # both calls always made: the grader replays them in this order
            got, _ = call_student(student_conv_backward, *args, name="conv2d_backward", case=case,
                                  forbidden=_references(*_CONV_MODULES))
            expected = _ref_conv_backward(*args)
            if not isinstance(got, (tuple, list)) or len(got) != 3:
                raise CheckFailure("conv2d_backward should return 3 arrays")
            for g, e in zip(got, expected):
                expect_close(g, e, "conv2d_backward", rtol=1e-8, atol=1e-10)
        except CheckFailure:
            agrees = False
    return agrees


def residual_block_backward(student, student_conv_backward=None, hidden=False):
    """Exercise 5: ``residual_block_backward(dout, x, w1, b1, w2, b2) -> (dx, dw1, db1, dw2, db2)``
    for out = relu(conv(relu(conv(x, w1, b1)), w2, b2) + x), 3×3 filters, padding 1
    (partial credit: the second convolution, the first, dx). Given the student's
    ``conv2d_backward`` (exercise 4), a failure says whether that function is the cause."""
    refs = _references(*_CONV_MODULES)
    rng = np.random.default_rng(113)
    cases = [random_residual_case(rng, n=1, c=1, side=3, label="one 3x3 image, one channel"),
             random_residual_case(rng, n=2, c=2, side=4),
             random_residual_case(rng, n=1, c=3, side=5)] + [random_residual_case(rng) for _ in range(2)]
    if hidden:
        cases += hidden_part("residual_block_backward")
    outcomes = []
    for case in cases:
        result, noise = call_student(student, *case.args, name="residual_block_backward", case=case, forbidden=refs,
                                     keeps_inputs=True, arg_names=("dout", "x", "w1", "b1", "w2", "b2"))
        if not isinstance(result, (tuple, list)) or len(result) != 5:
            raise CheckFailure("`residual_block_backward` should return 5 arrays (dx, dw1, db1, dw2, db2), got "
                               f"{core._short(result)}\n  input: {case.describe()}")
        outcomes.append((case, result, noise))
    conv_right = [None if student_conv_backward is None else _conv_backward_agrees(student_conv_backward, case)
                  for case in cases]
    common = (" If your conv2d_backward passes its own check, the mistake is in the block: the ReLU masks or the "
              "skip path.")

    def compare(indices, hint):
        def run():
            for (case, result, noise), conv_ok in zip(outcomes, conv_right):
                expected = _ref_residual_block_backward(*case.args)
                for index in indices:
                    try:
                        expect_close(result[index], expected[index],
                                     f"{_RESIDUAL_OUT[index]} returned by `residual_block_backward`", case,
                                     rtol=1e-8, atol=1e-10, hint=hint + common, noise=noise)
                    except CheckFailure as failure:
                        if conv_ok is False:
                            raise CheckFailure(f"{failure}\n  the cause is exercise 4: your conv2d_backward gives "
                                               "wrong gradients on this block's own inputs; fix it first") from None
                        raise
        return run

    return graded_parts([
        Part("dw2 and db2", 1, compare((3, 4), "first dz = dout * (z > 0) with z = conv(h, w2, b2) + x, the input "
                                                "of the last ReLU; then dw2, db2 come from conv2d_backward(dz, h, w2, "
                                                "1, 1)")),
        Part("dw1 and db1", 1, compare((1, 2), "dh from conv2d_backward(dz, h, w2, 1, 1), times the first ReLU's "
                                                "mask (a1 > 0); then conv2d_backward of that with x and w1")),
        Part("dx", 1, compare((0,), "dx has two terms that add: the one through both convolutions and dz itself, "
                                    "which the skip connection carries straight back to x")),
    ])


# -- exercise 6: training a LeNet on the digits --------------------------------------------------


def _digits_split(seed):
    from dlcourse.datasets import load_digits_split

    X_train, X_test, y_train, y_test = load_digits_split(seed=seed)
    return {"X_train": X_train, "y_train": y_train, "X_test": X_test, "y_test": y_test, "seed": seed}


def train_lenet(student, hidden=False):
    """Exercise 6: ``train_lenet(X_train, y_train, X_test, seed)`` -> the predicted label of every
    test image; passes when the accuracy on the split reaches :data:`ACCURACY_GOAL`."""
    refs = tuple(_OWN) + tuple(library_functions("dlcourse.models", "dlcourse.train"))
    split = hidden_part("train_lenet") if hidden else _digits_split(0)
    case = Case((split["X_train"], split["y_train"], split["X_test"], split["seed"]),
                label=f"{len(split['X_train'])} training images, {len(split['X_test'])} test images, "
                      f"seed {split['seed']}" + (" (the grader's own split)" if hidden else ""))
    got, noise = call_student(student, *case.args, name="train_lenet", case=case, forbidden=refs, keeps_inputs=True,
                              arg_names=("X_train", "y_train", "X_test", "seed"))
    labels = core._as_array(got, "`train_lenet`")
    y_test = split["y_test"]
    if labels.shape != y_test.shape:
        raise CheckFailure(f"`train_lenet` should return one label per test image, shape {y_test.shape}; got shape "
                           f"{labels.shape} (return the argmax of the scores over the 10 classes, not the scores)"
                           f"\n  input: {case.describe()}")
    if not np.all((labels == np.round(labels)) & (labels >= 0) & (labels <= 9)):
        raise CheckFailure("`train_lenet` should return class labels 0..9 (integers); got "
                           f"{core._short(np.asarray(got))}\n  input: {case.describe()}")
    accuracy = float(np.mean(labels == y_test))
    if accuracy < ACCURACY_GOAL:
        tail = ("\n  while running, your code emitted: " + "; ".join(noise[:3])) if noise else ""
        raise CheckFailure(
            f"the test accuracy of your trained LeNet is {accuracy:.4f}, below the goal {ACCURACY_GOAL}"
            f"\n  input: {case.describe()}"
            "\n  hint: train longer or with a larger learning rate (Adam, lr about 3e-3, mini-batches of 32, "
            "5 or more epochs), call model.train() while training and model.eval() before predicting, "
            "and do zero_grad -> forward -> loss -> backward -> step for every mini-batch" + tail)
    print(f"\u2713 train_lenet: test accuracy {accuracy:.4f} >= {ACCURACY_GOAL}")
