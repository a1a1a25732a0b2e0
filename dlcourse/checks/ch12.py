"""Checks for chapter 12, *Looking inside a CNN*: an occlusion map, a saliency map, guided
backpropagation through a network given layer by layer, the Gram matrix and the style loss,
FGSM and its iterated form, and the fooling rate of FGSM on the digits CNN.

Every check takes the student's function(s) and ``hidden=False``; the hidden variant (run by
the grader) adds the instructor's cases from ``solutions/ch12-inside-cnn/hidden_cases.py``
(see :func:`dlcourse.checks.core.hidden`), which the release never contains.

The network is the digits CNN shipped with the library (:mod:`dlcourse.pretrained`); the
exercises reach it only through the plain functions passed to them (its probabilities, the
gradient of its scores, the gradient of its loss) or, for guided backpropagation, through its
layers as plain data. The references are private functions of this module; the library's own
inspection techniques (``dlcourse.inspect``) are refused while the student's function runs.
"""

import numpy as np

from dlcourse.checks import core
from dlcourse.checks.core import (
    Case,
    CheckFailure,
    Part,
    call_student,
    expect_close,
    graded_parts,
    hidden as hidden_part,
    library_functions,
)
from dlcourse.functional.conv import conv2d_backward, conv2d_forward
from dlcourse.functional.pooling import max_pool2d_backward, max_pool2d_forward
from dlcourse.pretrained import (
    digits_cnn_input_gradient,
    digits_cnn_layers,
    digits_cnn_loss_gradient,
    digits_cnn_probabilities,
)

__all__ = ["occlusion_map", "saliency_map", "guided_backprop", "gram_and_style_loss", "fgsm", "fooling_rate",
           "digits_images", "random_layers"]


# -- reference computations ----------------------------------------------------------------


def _ref_occlusion_map(probabilities, image, target, patch_size=2, stride=1, fill=0.0):
    image = np.asarray(image, dtype=np.float64)
    _, height, width = image.shape
    rows = range(0, height - patch_size + 1, stride)
    cols = range(0, width - patch_size + 1, stride)
    copies = []
    for r in rows:
        for c in cols:
            occluded = image.copy()
            occluded[:, r:r + patch_size, c:c + patch_size] = fill
            copies.append(occluded)
    base = probabilities(image[None])[0, target]
    return (base - probabilities(np.stack(copies))[:, target]).reshape(len(rows), len(cols))


def _one_hot(target, n, classes=10):
    onehot = np.zeros((n, classes))
    onehot[np.arange(n), np.broadcast_to(np.asarray(target), (n,))] = 1.0
    return onehot


def _ref_saliency_map(input_gradient, x, target):
    x = np.asarray(x, dtype=np.float64)
    return np.abs(input_gradient(x, _one_hot(target, len(x)))).max(axis=1)


def _ref_guided_backprop(layers, x, target, guided=True):
    a = np.asarray(x, dtype=np.float64)
    caches = []
    for layer in layers:
        kind = layer[0]
        if kind == "conv":
            a, cache = conv2d_forward(a, layer[1], layer[2], layer[3], layer[4])
        elif kind == "relu":
            cache, a = a > 0, np.maximum(a, 0.0)
        elif kind == "maxpool":
            a, cache = max_pool2d_forward(a, layer[1], layer[2])
        elif kind == "flatten":
            cache, a = a.shape, a.reshape(len(a), -1)
        else:
            cache, a = a, a @ layer[1].T + layer[2]
        caches.append(cache)
    grad = _one_hot(target, len(a), a.shape[1])
    for layer, cache in zip(reversed(layers), reversed(caches)):
        kind = layer[0]
        if kind == "conv":
            grad = conv2d_backward(grad, cache)[0]
        elif kind == "relu":
            grad = grad * cache * (grad > 0) if guided else grad * cache
        elif kind == "maxpool":
            grad = max_pool2d_backward(grad, cache)
        elif kind == "flatten":
            grad = grad.reshape(cache)
        else:
            grad = grad @ layer[1]
    return grad


def _ref_gram_matrix(features):
    features = np.asarray(features, dtype=np.float64)
    n, c, h, w = features.shape
    flat = features.reshape(n, c, h * w)
    return flat @ flat.transpose(0, 2, 1) / (c * h * w)


def _ref_style_loss(features, target_gram):
    features = np.asarray(features, dtype=np.float64)
    n, c, h, w = features.shape
    diff = _ref_gram_matrix(features) - np.asarray(target_gram, dtype=np.float64)
    # (dL/dG + dL/dG^T) F / k with dL/dG = 2 (G - A): 4 (G - A) F / k for a symmetric A
    grad = 2.0 * (diff + diff.transpose(0, 2, 1)) @ features.reshape(n, c, h * w) / (c * h * w)
    return float(np.sum(diff**2)), grad.reshape(features.shape)


def _ref_fgsm(loss_gradient, x, y, epsilon):
    x = np.asarray(x, dtype=np.float64)
    return np.clip(x + epsilon * np.sign(loss_gradient(x, y)), 0.0, 1.0)


def _ref_iterative_fgsm(loss_gradient, x, y, epsilon, alpha, steps):
    x = np.asarray(x, dtype=np.float64)
    x_adv = x.copy()
    for _ in range(steps):
        x_adv = x_adv + alpha * np.sign(loss_gradient(x_adv, y))
        x_adv = np.clip(np.clip(x_adv, x - epsilon, x + epsilon), 0.0, 1.0)
    return x_adv


def _ref_fooling_rate(probabilities, loss_gradient, x, y, epsilons):
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y)
    right = probabilities(x).argmax(axis=1) == y
    rates = []
    for epsilon in epsilons:
        fooled = probabilities(_ref_fgsm(loss_gradient, x[right], y[right], epsilon)).argmax(axis=1) != y[right]
        rates.append(fooled.mean())
    return np.array(rates)


_OWN = (_ref_occlusion_map, _ref_saliency_map, _ref_guided_backprop, _ref_gram_matrix, _ref_style_loss,
        _ref_fgsm, _ref_iterative_fgsm, _ref_fooling_rate)


def _references():
    return tuple(_OWN) + tuple(library_functions(
        "dlcourse.inspect.occlusion", "dlcourse.inspect.saliency", "dlcourse.inspect.guided_backprop",
        "dlcourse.inspect.style", "dlcourse.inspect.adversarial", "dlcourse.inspect._model"))


# -- inputs (the hidden cases draw from these too) --------------------------------------------


def digits_images(rng, count, split="test"):
    """``count`` distinct digits (N, 1, 8, 8) in [0, 1] and their labels, drawn by ``rng`` from
    ``load_digits_split(seed=0)``'s test set (``split="test"``) or from all 1797 (``"all"``)."""
    from dlcourse.datasets import load_digits_split

    X_train, X_test, y_train, y_test = load_digits_split(seed=0)
    X, y = (X_test, y_test) if split == "test" else (np.concatenate([X_train, X_test]),
                                                      np.concatenate([y_train, y_test]))
    rows = rng.choice(len(X), size=count, replace=False)
    return X[rows], y[rows].astype(np.int64)


def random_layers(rng, channels=None, side=None):
    """A small random CNN as plain layers (conv, relu, maxpool, conv, relu, flatten, linear,
    relu, linear) for images (channels, side, side), and ``side``."""
    c0 = int(rng.integers(1, 3)) if channels is None else channels
    side = int(rng.choice([4, 6, 8])) if side is None else side
    c1, c2, hidden, classes = (int(v) for v in rng.integers(2, 5, size=4))
    kernel = int(rng.choice([1, 3]))
    pooled = side // 2
    flat = c2 * pooled * pooled
    normal = rng.normal
    return [("conv", normal(size=(c1, c0, kernel, kernel)), normal(size=c1), 1, kernel // 2), ("relu",),
            ("maxpool", 2, 2), ("conv", normal(size=(c2, c1, 3, 3)) / 2, normal(size=c2), 1, 1), ("relu",),
            ("flatten",), ("linear", normal(size=(hidden, flat)) / np.sqrt(flat), normal(size=hidden)), ("relu",),
            ("linear", normal(size=(classes + 1, hidden)), normal(size=classes + 1))], (c0, side)


def _answers(student, cases, name, arg_names):
    """The student's answer to every case, as ``(case, result, noise, failure)``: every call is made,
    in order, whatever an earlier one gave (the grader replays the calls in this order)."""
    answers = []
    for case in cases:
        try:
            got, noise = call_student(student, *case.args, name=name, case=case, forbidden=_references(),
                                      keeps_inputs=True, arg_names=arg_names, **case.kwargs)
        except CheckFailure as failure:
            answers.append((case, None, (), failure))
        else:
            answers.append((case, got, noise, None))
    return answers


def _expect_shape(got, shape, name, case, hint):
    array = core._as_array(got, f"`{name}`")
    if array.shape != tuple(shape):
        raise CheckFailure(f"`{name}` should return shape {tuple(shape)}, got shape {array.shape}"
                           f"\n  input: {case.describe()}\n  hint: {hint}")
    return array


# -- exercise 1: the occlusion map -------------------------------------------------------------


def occlusion_map(student, hidden=False):
    """Exercise 1: ``occlusion_map(probabilities, image, target, patch_size=2, stride=1, fill=0.0)``
    -> (rows, cols): the drop of P_target when each patch is grayed out."""
    x, y = digits_images(np.random.default_rng(120), 3)
    p = digits_cnn_probabilities
    cases = [Case((p, x[0], int(y[0]), 2, 1, 0.0), label=f"a test digit {y[0]}, 2x2 patches, stride 1"),
             Case((p, x[1], int(y[1]), 3, 1, 0.0), label=f"a test digit {y[1]}, 3x3 patches"),
             Case((p, x[2], int(y[2]), 2, 2, 0.5), label="2x2 patches, stride 2, filled with gray 0.5"),
             Case((p, x[0], int((y[0] + 1) % 10), 4, 2, 0.0), label="another class than the label, 4x4 patches"),
             Case((p, x[1], int(y[1]), 3, 2, 1.0), label="stride 2 that does not tile 8 - 3: the last row is dropped")]
    if hidden:
        cases += hidden_part("occlusion_map")
    refs = _references()
    for case in cases:
        got, noise = call_student(student, *case.args, name="occlusion_map", case=case, forbidden=refs,
                                  keeps_inputs=True, arg_names=("probabilities", "image", "target"))
        expected = _ref_occlusion_map(*case.args)
        got = _expect_shape(got, expected.shape, "occlusion_map", case,
                            "one value per patch position: ((H - p) // s + 1, (W - p) // s + 1), patches that "
                            "would run past the edge are left out")
        hint = ("D[u, v] = P_target(image) - P_target(image with the patch at row u*s, column v*s set to fill): "
                "the probabilities from probabilities(batch)[:, target], occlude every channel, and copy the "
                "image before you gray out a patch")
        if np.allclose(got, -expected, atol=1e-9):
            hint = "the sign is flipped: the drop is the original probability minus the occluded one"
        expect_close(got, expected, "`occlusion_map`", case, rtol=1e-7, atol=1e-10, hint=hint, noise=noise)
    print(f"\u2713 occlusion_map: all {len(cases)} cases pass")


# -- exercise 2: the saliency map ----------------------------------------------------------------


def saliency_map(student, hidden=False):
    """Exercise 2: ``saliency_map(input_gradient, x, target)`` -> (N, H, W) = max over channels of
    |∂S_target/∂x|."""
    x, y = digits_images(np.random.default_rng(121), 6)
    g = digits_cnn_input_gradient
    cases = [Case((g, x[:1], int(y[0])), label=f"one test digit, its class {y[0]}"),
             Case((g, x, y), label="six test digits, each its own label"),
             Case((g, x[:3], 7), label="three digits, all for class 7"),
             Case((g, x[3:], (y[3:] + 3) % 10), label="three digits, other classes than their labels")]
    if hidden:
        cases += hidden_part("saliency_map")
    refs = _references()
    for case in cases:
        got, noise = call_student(student, *case.args, name="saliency_map", case=case, forbidden=refs,
                                  keeps_inputs=True, arg_names=("input_gradient", "x", "target"))
        expected = _ref_saliency_map(*case.args)
        got = _expect_shape(got, expected.shape, "saliency_map", case,
                            "one (H, W) map per image: take the maximum over the channel axis (axis 1)")
        signed = case.args[0](case.args[1], _one_hot(case.args[2], len(case.args[1]))).max(axis=1)
        hint = ("send the one-hot vector of the target class back (grad_scores[n, target[n]] = 1, all else 0), "
                "take |gradient| and then the maximum over the channels")
        if np.allclose(got, signed, atol=1e-12):
            hint = "take the absolute value of the gradient: a large negative gradient matters as much"
        expect_close(got, expected, "`saliency_map`", case, rtol=1e-7, atol=1e-12, hint=hint, noise=noise)
    print(f"\u2713 saliency_map: all {len(cases)} cases pass")


# -- exercise 3: guided backpropagation ------------------------------------------------------------


def _guided_cases(hidden):
    x, y = digits_images(np.random.default_rng(122), 4)
    cnn = digits_cnn_layers()
    cases = [Case((cnn, x[:1], int(y[0])), label=f"the digits CNN, one test digit, its class {y[0]}"),
             Case((cnn, x, y), label="the digits CNN, four test digits, their labels"),
             Case((cnn, x[:2], 3), label="the digits CNN, class 3 for two digits")]
    rng = np.random.default_rng(123)
    for _ in range(3):
        layers, (c, side) = random_layers(rng)
        n = int(rng.integers(1, 4))
        cases.append(Case((layers, rng.uniform(size=(n, c, side, side)), int(rng.integers(0, 3))),
                          label=f"a small random CNN on {n} image(s) of {c}x{side}x{side}"))
    if hidden:
        cases += hidden_part("guided_backprop")
    return cases


def guided_backprop(student, hidden=False):
    """Exercise 3: ``guided_backprop(layers, x, target, guided=True)`` -> (N, C, H, W), the gradient
    of S_target through ``layers``; ``guided=False`` is the plain gradient (partial credit)."""
    cases = _guided_cases(hidden)
    answers = {guided: _answers(student, [Case(c.args, {"guided": guided}, label=c.label) for c in cases],
                                "guided_backprop", ("layers", "x", "target"))
               for guided in (False, True)}

    def part(guided, hint):
        def run():
            for shown, got, noise, failure in answers[guided]:
                if failure is not None:
                    raise failure
                expected = _ref_guided_backprop(*shown.args, guided=guided)
                got = _expect_shape(got, expected.shape, "guided_backprop", shown,
                                    "the gradient with respect to the input has the shape of x")
                specific = hint
                if guided:
                    plain = _ref_guided_backprop(*shown.args, guided=False)
                    if np.allclose(got, plain, atol=1e-12):
                        specific = ("that is the plain gradient: with guided=True every ReLU also blocks the "
                                    "negative gradients coming from above, grad * [z > 0] * [grad > 0]")
                    elif np.allclose(got, np.maximum(plain, 0), atol=1e-12):
                        specific = ("clipping only the final input gradient is not guided backprop: apply "
                                    "[grad > 0] at every ReLU on the way back")
                expect_close(got, expected, "`guided_backprop`", shown, rtol=1e-7, atol=1e-12, hint=specific,
                             noise=noise)
        return run

    return graded_parts([
        Part("the plain gradient (guided=False)", 1, part(False, (
            "run the layers forward, keeping what each backward needs (the conv and pool caches, each ReLU's "
            "mask z > 0, the shape before flatten); start from the one-hot vector of the target class and go "
            "back: linear grad @ w, relu grad * mask, flatten reshape, then the pool and conv backward"))),
        Part("guided backpropagation (guided=True)", 2, part(True, (
            "at every ReLU keep a gradient only where the forward input was positive AND the gradient from "
            "above is positive: grad * [z > 0] * [grad > 0]; every other layer goes back as before"))),
    ])


# -- exercise 4: the Gram matrix and the style loss -------------------------------------------------


def _style_cases(hidden):
    rng = np.random.default_rng(124)
    from dlcourse.pretrained import load_digits_cnn
    from dlcourse.inspect.filters import feature_maps

    x, _ = digits_images(rng, 2)
    maps = feature_maps(load_digits_cnn(), x, 1)                 # the first ReLU's maps (2, 16, 8, 8)
    style = _ref_gram_matrix(maps[1:])[0]
    cases = [Case((maps[:1], style), label="a digit's first-layer maps against another digit's Gram matrix"),
             Case((rng.normal(size=(1, 2, 2, 3)), _ref_gram_matrix(rng.normal(size=(1, 2, 3, 3)))[0]),
                  label="2 channels of 2x3 against random maps' Gram matrix"),
             Case((rng.normal(size=(3, 4, 3, 3)), np.eye(4)), label="a batch of 3, target the identity"),
             Case((rng.uniform(size=(1, 5, 4, 2)), _ref_gram_matrix(rng.uniform(size=(1, 5, 4, 2)))[0]),
                  label="5 channels of 4x2")]
    if hidden:
        cases += hidden_part("gram_and_style_loss")
    return cases


def gram_and_style_loss(student_gram, student_style, hidden=False):
    """Exercise 4: ``gram_matrix(features)`` -> (N, C, C) and ``style_loss(features, target_gram)``
    -> (loss, grad) (partial credit: the Gram matrix, the loss, its gradient)."""
    cases = _style_cases(hidden)
    grams = _answers(student_gram, [Case(c.args[:1], label=c.label) for c in cases], "gram_matrix", ("features",))
    styles = _answers(student_style, cases, "style_loss", ("features", "target_gram"))

    def gram_part():
        for shown, got, noise, failure in grams:
            if failure is not None:
                raise failure
            features = shown.args[0]
            expected = _ref_gram_matrix(features)
            n, c, h, w = features.shape
            got = _expect_shape(got, expected.shape, "gram_matrix", shown,
                                "one C x C matrix per image: F F^T with F = features[n].reshape(C, H*W), "
                                "not F^T F")
            hint = "G[n] = F F^T / (C*H*W) with F = features[n].reshape(C, H*W)"
            if np.allclose(got, expected * c * h * w, rtol=1e-9):
                hint = "divide F F^T by the number of activations C*H*W, as the chapter's formula does"
            expect_close(got, expected, "`gram_matrix`", shown, rtol=1e-9, atol=1e-12, hint=hint, noise=noise)

    def style_results():
        for case, got, noise, failure in styles:
            if failure is not None:
                raise failure
            if not isinstance(got, (tuple, list)) or len(got) != 2:
                raise CheckFailure(f"`style_loss` should return 2 values (loss, grad), got {core._short(got)}"
                                   f"\n  input: {case.describe()}")
            yield case, got, noise

    def loss_part():
        for case, got, noise in style_results():
            expected = _ref_style_loss(*case.args)[0]
            expect_close(got[0], expected, "the loss returned by `style_loss`", case, rtol=1e-9, atol=1e-12,
                         hint="L = sum over n, i, j of (G[n, i, j] - A[i, j])^2 with G your gram_matrix(features): "
                              "a sum, not a mean", noise=noise)

    def grad_part():
        for case, got, noise in style_results():
            expected = _ref_style_loss(*case.args)[1]
            grad = _expect_shape(got[1], expected.shape, "style_loss", case, "the gradient has the shape of features")
            hint = "dL/dF[n] = 4 (G[n] - A) F[n] / (C*H*W), reshaped to (C, H, W)"
            if np.allclose(grad, expected / 2, rtol=1e-9, atol=1e-14):
                hint = ("half the gradient: G depends on F twice (F F^T), so dL/dF = (dL/dG + dL/dG^T) F / k = "
                        "4 (G - A) F / k")
            expect_close(grad, expected, "the gradient returned by `style_loss`", case, rtol=1e-8, atol=1e-12,
                         hint=hint, noise=noise)

    return graded_parts([Part("gram_matrix", 1, gram_part), Part("style loss", 1, loss_part),
                         Part("style loss gradient", 2, grad_part)])


# -- exercise 5: FGSM and its iterated form ---------------------------------------------------------


def _fgsm_cases(hidden):
    x, y = digits_images(np.random.default_rng(125), 8)
    lg = digits_cnn_loss_gradient
    cases = [Case((lg, x[:1], y[:1], 0.1), label="one test digit, epsilon 0.1"),
             Case((lg, x, y, 0.05), label="eight test digits, epsilon 0.05"),
             Case((lg, x[:4], y[:4], 0.3), label="four digits, epsilon 0.3: many pixels hit 0 or 1"),
             Case((lg, x[4:], y[4:], 0.0), label="epsilon 0 changes nothing")]
    if hidden:
        cases += hidden_part("fgsm")
    return cases


def fgsm(student_fgsm, student_iterative, hidden=False):
    """Exercise 5: ``fgsm(loss_gradient, x, y, epsilon)`` and ``iterative_fgsm(loss_gradient, x, y,
    epsilon, alpha, steps)`` -> adversarial images of the shape of x (partial credit)."""
    cases = _fgsm_cases(hidden)
    steps_cases = [Case(c.args + (c.args[3] / 4 * k, 2 + k), label=c.label + f", alpha = epsilon/{4 // k}, {2 + k} steps")
                   for c in cases for k in (1, 2)]
    singles = _answers(student_fgsm, cases, "fgsm", ("loss_gradient", "x", "y", "epsilon"))
    iterates = _answers(student_iterative, steps_cases, "iterative_fgsm",
                        ("loss_gradient", "x", "y", "epsilon", "alpha", "steps"))

    def one_step():
        for case, got, noise, failure in singles:
            if failure is not None:
                raise failure
            expected = _ref_fgsm(*case.args)
            lg, x, y, epsilon = case.args
            got = _expect_shape(got, expected.shape, "fgsm", case, "x_adv has the shape of x")
            hint = "x_adv = clip(x + epsilon * sign(loss_gradient(x, y)), 0, 1)"
            if np.allclose(got, np.clip(x - epsilon * np.sign(lg(x, y)), 0, 1)):
                hint = "that step lowers the loss: go UP the gradient of the loss of the true label, x + epsilon * sign"
            elif np.allclose(got, x + epsilon * np.sign(lg(x, y))):
                hint = "clip x_adv to the pixel range [0, 1]: an image cannot be brighter than white"
            elif np.allclose(got, np.clip(x + epsilon * lg(x, y), 0, 1)):
                hint = "use the sign of the gradient, not the gradient: every pixel moves by exactly epsilon"
            expect_close(got, expected, "`fgsm`", case, rtol=1e-9, atol=1e-12, hint=hint, noise=noise)

    def iterated():
        for shown, got, noise, failure in iterates:
            if failure is not None:
                raise failure
            lg, x, y, epsilon, alpha, steps = shown.args
            expected = _ref_iterative_fgsm(*shown.args)
            got = _expect_shape(got, expected.shape, "iterative_fgsm", shown, "x_adv has the shape of x")
            hint = ("each step x_adv + alpha * sign(loss_gradient(x_adv, y)) at the CURRENT x_adv, then clip to "
                    "[x - epsilon, x + epsilon] around the ORIGINAL x, then to [0, 1]")
            free = x.copy()
            for _ in range(steps):
                free = np.clip(free + alpha * np.sign(lg(free, y)), 0, 1)
            if np.allclose(got, free) and not np.allclose(free, expected):
                hint = ("x_adv leaves the epsilon-ball: after each step clip it to [x - epsilon, x + epsilon] "
                        "around the original image")
            expect_close(got, expected, "`iterative_fgsm`", shown, rtol=1e-9, atol=1e-12, hint=hint, noise=noise)

    return graded_parts([Part("fgsm", 1, one_step), Part("iterative_fgsm", 2, iterated)])


# -- exercise 6: the fooling rate ----------------------------------------------------------------------


def _fgsm_agrees(student_fgsm, x, y, epsilon):
    """Whether the student's ``fgsm`` is right on the images the fooling rate attacks."""
    try:
        got, _ = call_student(student_fgsm, digits_cnn_loss_gradient, x, y, epsilon, name="fgsm",
                              forbidden=_references())
        expect_close(got, _ref_fgsm(digits_cnn_loss_gradient, x, y, epsilon), "fgsm", rtol=1e-9, atol=1e-12)
    except CheckFailure:
        return False
    return True


def fooling_rate(student, student_fgsm=None, hidden=False):
    """Exercise 6: ``fooling_rate(probabilities, loss_gradient, x, y, epsilons)`` -> one rate per
    epsilon: the fraction of the images the network gets right that FGSM makes it get wrong.
    Hidden: the grader's own images. Given the student's ``fgsm`` (exercise 5), a failure says
    whether that function is the cause."""
    x, y = digits_images(np.random.default_rng(126), 40)
    cases = [Case((digits_cnn_probabilities, digits_cnn_loss_gradient, x, y, [0.0, 0.05, 0.1, 0.2]),
                  label="40 test digits, epsilons 0, 0.05, 0.1, 0.2"),
             Case((digits_cnn_probabilities, digits_cnn_loss_gradient, x[:20], y[:20], [0.15]),
                  label="20 test digits, epsilon 0.15")]
    if hidden:
        data = hidden_part("fooling_rate")
        cases.append(Case((digits_cnn_probabilities, digits_cnn_loss_gradient, data["x"], data["y"],
                           data["epsilons"]), label=f"{len(data['x'])} digits of the grader's own choice"))
    fgsm_right = None if student_fgsm is None else _fgsm_agrees(student_fgsm, x[:10], y[:10], 0.2)
    refs = _references()
    for case in cases:
        got, noise = call_student(student, *case.args, name="fooling_rate", case=case, forbidden=refs,
                                  keeps_inputs=True, arg_names=("probabilities", "loss_gradient", "x", "y"))
        expected = _ref_fooling_rate(*case.args)
        got = _expect_shape(got, expected.shape, "fooling_rate", case, "one rate per epsilon")
        probabilities, _, x_case, y_case, epsilons = case.args
        all_images = [np.mean(probabilities(_ref_fgsm(digits_cnn_loss_gradient, x_case, y_case, e)).argmax(axis=1)
                              != y_case) for e in epsilons]
        hint = ("keep only the images the network classifies right before the attack; the rate is the fraction of "
                "them whose predicted class (argmax of the probabilities) is no longer y after fgsm")
        if np.allclose(got, all_images):
            hint = ("that counts every wrong answer after the attack, also the images the network already got "
                    "wrong: divide by (and attack) only the images it got right")
        elif np.allclose(got, 1 - expected):
            hint = "that is the accuracy after the attack; the fooling rate is the fraction that became wrong"
        if fgsm_right is False:
            hint = "the cause may be exercise 5: your fgsm gives wrong images; fix it first"
        expect_close(got, expected, "`fooling_rate`", case, rtol=1e-9, atol=1e-12, hint=hint, noise=noise)
    print(f"\u2713 fooling_rate: all {len(cases)} cases pass")
