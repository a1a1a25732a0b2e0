"""The chapter 12 checks accept correct answers written in different ways and reject the usual
wrong ones (the sign of the drop flipped, the signed gradient, the plain rule where the guided
one is asked, a Gram matrix left unnormalised, half the style gradient, FGSM down the gradient or
unclipped, an iterated attack that leaves the ε-ball, a fooling rate over every image) with a
message that says what went wrong; the references agree with PyTorch's autograd; the shipped
network loads with the accuracy the chapter states."""

import numpy as np
import pytest
import torch

from dlcourse import inspect
from dlcourse.checks import ch12, core
from dlcourse.checks.core import CheckFailure
from dlcourse.pretrained import (
    TRAINING, digits_cnn_input_gradient, digits_cnn_layers, digits_cnn_loss_gradient, digits_cnn_probabilities,
    digits_cnn_test_accuracy, load_digits_cnn,
)
from tests.check_tools import assert_no_hidden_case_ships, judged_outside
from tests.check_tools import fails as _fails
from tests.check_tools import stub as _stub
from tests.conftest import ROOT

HIDDEN = ROOT / "solutions" / "ch12-inside-cnn" / "hidden_cases.py"


# -- solutions as the notebook writes them, and other correct ways -------------------------------


def occlusion_map(probabilities, image, target, patch_size=2, stride=1, fill=0.0):
    image = np.asarray(image, dtype=np.float64)
    _, H, W = image.shape
    rows, cols = range(0, H - patch_size + 1, stride), range(0, W - patch_size + 1, stride)
    copies = []
    for r in rows:
        for c in cols:
            occluded = image.copy()
            occluded[:, r:r + patch_size, c:c + patch_size] = fill
            copies.append(occluded)
    base = probabilities(image[None])[0, target]
    return (base - probabilities(np.stack(copies))[:, target]).reshape(len(rows), len(cols))


def occlusion_map_one_by_one(probabilities, image, target, patch_size=2, stride=1, fill=0.0):
    # one call of probabilities per position, into a preallocated map
    C, H, W = image.shape
    D = np.empty(((H - patch_size) // stride + 1, (W - patch_size) // stride + 1))
    base = probabilities(image[np.newaxis])[0][target]
    for u in range(D.shape[0]):
        for v in range(D.shape[1]):
            x = np.array(image, dtype=float)
            x[:, u * stride:u * stride + patch_size, v * stride:v * stride + patch_size] = fill
            D[u, v] = base - probabilities(x[None])[0, target]
    return D


def occlusion_map_masks(probabilities, image, target, patch_size=2, stride=1, fill=0.0):
    # boolean masks for all positions at once, returned as nested lists
    _, H, W = image.shape
    tops = np.arange(0, H - patch_size + 1, stride)
    lefts = np.arange(0, W - patch_size + 1, stride)
    r, c = np.arange(H), np.arange(W)
    in_r = (r >= tops[:, None]) & (r < tops[:, None] + patch_size)
    in_c = (c >= lefts[:, None]) & (c < lefts[:, None] + patch_size)
    masks = in_r[:, None, :, None] & in_c[None, :, None, :]               # (rows, cols, H, W)
    batch = np.where(masks.reshape(-1, 1, H, W), fill, image[None])
    p = probabilities(np.concatenate([image[None], batch]))[:, target]
    return (p[0] - p[1:]).reshape(len(tops), len(lefts)).tolist()


def saliency_map(input_gradient, x, target):
    grad_scores = np.zeros((len(x), 10))
    grad_scores[np.arange(len(x)), target] = 1.0
    return np.abs(input_gradient(x, grad_scores)).max(axis=1)


def saliency_map_eye(input_gradient, x, target):
    targets = np.broadcast_to(np.asarray(target), (len(x),))
    return np.max(np.abs(input_gradient(np.asarray(x, float), np.eye(10)[targets])), axis=1)


def saliency_map_per_image(input_gradient, x, target):
    targets = np.atleast_1d(target) * np.ones(len(x), dtype=int)
    maps = []
    for image, t in zip(x, targets):
        onehot = np.zeros((1, 10))
        onehot[0, t] = 1
        maps.append(np.sqrt(input_gradient(image[None], onehot)[0] ** 2).max(axis=0))
    return np.stack(maps)


def guided_backprop(layers, x, target, guided=True):
    return _backprop_through(layers, x, target, guided,
                             lambda grad, mask, guided: grad * mask * (grad > 0) if guided else grad * mask)


def _backprop_through(layers, x, target, guided, relu_rule):
    """The gradient of the target score through the layer list, each ReLU's backward by
    ``relu_rule(grad, forward_mask, guided)``."""
    import dlcourse.functional as F

    a, caches = np.asarray(x, dtype=np.float64), []
    for layer in layers:
        if layer[0] == "conv":
            a, cache = F.conv2d_forward(a, layer[1], layer[2], layer[3], layer[4])
        elif layer[0] == "relu":
            cache, a = a > 0, np.maximum(a, 0.0)
        elif layer[0] == "maxpool":
            a, cache = F.max_pool2d_forward(a, layer[1], layer[2])
        elif layer[0] == "flatten":
            cache, a = a.shape, a.reshape(len(a), -1)
        else:
            cache, a = None, a @ layer[1].T + layer[2]
        caches.append(cache)
    grad = np.zeros_like(a)
    grad[np.arange(len(a)), target] = 1.0
    for layer, cache in zip(layers[::-1], caches[::-1]):
        if layer[0] == "conv":
            grad = F.conv2d_backward(grad, cache)[0]
        elif layer[0] == "relu":
            grad = relu_rule(grad, cache, guided)
        elif layer[0] == "maxpool":
            grad = F.max_pool2d_backward(grad, cache)
        elif layer[0] == "flatten":
            grad = grad.reshape(cache)
        else:
            grad = grad @ layer[1]
    return grad


def guided_backprop_closures(layers, x, target, guided=True):
    # each forward step leaves a closure that sends the gradient back
    import dlcourse.functional as F

    a, backs = np.asarray(x, dtype=np.float64), []
    for kind, *args in layers:
        if kind == "conv":
            a, cache = F.conv2d_forward(a, *args)
            backs.append(lambda g, cache=cache: F.conv2d_backward(g, cache)[0])
        elif kind == "relu":
            z = a
            a = np.where(z > 0, z, 0.0)
            backs.append(lambda g, z=z: np.where((z > 0) & ((g > 0) | (not guided)), g, 0.0))
        elif kind == "maxpool":
            a, cache = F.max_pool2d_forward(a, args[0], args[1])
            backs.append(lambda g, cache=cache: F.max_pool2d_backward(g, cache))
        elif kind == "flatten":
            shape = a.shape
            a = a.reshape(shape[0], -1)
            backs.append(lambda g, shape=shape: g.reshape(shape))
        else:
            w, b = args
            a = np.einsum("ni,oi->no", a, w) + b
            backs.append(lambda g, w=w: np.einsum("no,oi->ni", g, w))
    grad = np.eye(a.shape[1])[np.broadcast_to(np.asarray(target), (len(a),))]
    for back in reversed(backs):
        grad = back(grad)
    return grad


def guided_backprop_torch(layers, x, target, guided=True):
    # the same pass by PyTorch's autograd, each ReLU with the guided rule as a hook
    import torch.nn.functional as TF

    a = torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
    out = a
    for kind, *args in layers:
        if kind == "conv":
            out = TF.conv2d(out, torch.tensor(args[0]), torch.tensor(args[1]), stride=args[2], padding=args[3])
        elif kind == "relu":
            out = torch.relu(out)
            if guided:
                out.register_hook(lambda g: g.clamp(min=0))
        elif kind == "maxpool":
            out = TF.max_pool2d(out, args[0], args[1])
        elif kind == "flatten":
            out = out.flatten(1)
        else:
            out = out @ torch.tensor(args[0]).T + torch.tensor(args[1])
    targets = torch.as_tensor(np.broadcast_to(np.asarray(target), (len(x),)).copy())
    out.gather(1, targets[:, None]).sum().backward()
    return a.grad.numpy()


def gram_matrix(features):
    N, C, H, W = features.shape
    flat = features.reshape(N, C, H * W)
    return flat @ flat.transpose(0, 2, 1) / (C * H * W)


def style_loss(features, target_gram):
    N, C, H, W = features.shape
    diff = gram_matrix(features) - target_gram
    return float(np.sum(diff ** 2)), (4.0 * diff @ features.reshape(N, C, H * W) / (C * H * W)).reshape(features.shape)


def gram_matrix_einsum(features):
    return np.einsum("nchw,ndhw->ncd", features, features) / np.prod(features.shape[1:])


def style_loss_chain_rule(features, target_gram):
    # dL/dG first, then (dL/dG + dL/dG^T) F / k, as lists
    N, C, H, W = features.shape
    k = C * H * W
    G = gram_matrix_einsum(features)
    dG = 2 * (G - target_gram)
    F_ = features.reshape(N, C, -1)
    grad = np.einsum("ncd,ndm->ncm", dG + dG.transpose(0, 2, 1), F_) / k
    return [np.sum((G - target_gram) ** 2), grad.reshape(N, C, H, W).tolist()]


def gram_matrix_loops(features):
    N, C = features.shape[:2]
    G = np.zeros((N, C, C))
    for n in range(N):
        for i in range(C):
            for j in range(C):
                G[n, i, j] = np.sum(features[n, i] * features[n, j]) / features[n].size
    return G


def style_loss_torch(features, target_gram):
    f = torch.tensor(features, requires_grad=True)
    N, C, H, W = f.shape
    flat = f.reshape(N, C, -1)
    loss = ((flat @ flat.transpose(1, 2) / (C * H * W) - torch.tensor(target_gram)) ** 2).sum()
    loss.backward()
    return loss.item(), f.grad.numpy()


def fgsm(loss_gradient, x, y, epsilon):
    return np.clip(x + epsilon * np.sign(loss_gradient(x, y)), 0.0, 1.0)


def iterative_fgsm(loss_gradient, x, y, epsilon, alpha, steps):
    x_adv = x.copy()
    for _ in range(steps):
        x_adv = np.clip(np.clip(x_adv + alpha * np.sign(loss_gradient(x_adv, y)), x - epsilon, x + epsilon), 0.0, 1.0)
    return x_adv


def fgsm_where(loss_gradient, x, y, epsilon):
    g = loss_gradient(x, y)
    step = np.where(g > 0, epsilon, np.where(g < 0, -epsilon, 0.0))
    return np.minimum(np.maximum(x + step, 0), 1)


def iterative_fgsm_delta(loss_gradient, x, y, epsilon, alpha, steps):
    # keep the perturbation delta, clip delta, then the image
    delta = np.zeros_like(x)
    for _ in range(steps):
        delta = np.clip(delta + alpha * np.sign(loss_gradient(np.clip(x + delta, 0, 1), y)), -epsilon, epsilon)
        delta = np.clip(x + delta, 0, 1) - x
    return (x + delta).tolist()


def iterative_fgsm_minmax(loss_gradient, x, y, epsilon, alpha, steps):
    low, high = np.maximum(x - epsilon, 0), np.minimum(x + epsilon, 1)
    x_adv = np.array(x, dtype=float)
    for _ in range(steps):
        x_adv = np.minimum(np.maximum(x_adv + alpha * np.sign(loss_gradient(x_adv, y)), low), high)
    return x_adv


def fooling_rate(probabilities, loss_gradient, x, y, epsilons):
    right = probabilities(x).argmax(axis=1) == y
    return np.array([np.mean(probabilities(fgsm(loss_gradient, x[right], y[right], e)).argmax(axis=1) != y[right])
                     for e in epsilons])


def fooling_rate_counts(probabilities, loss_gradient, x, y, epsilons):
    # counts over a loop, the attack run on all images and the wrong ones ignored afterwards
    before = np.argmax(probabilities(x), axis=1)
    rates = []
    for epsilon in epsilons:
        after = np.argmax(probabilities(fgsm_where(loss_gradient, x, y, epsilon)), axis=1)
        fooled = int(np.sum((before == y) & (after != y)))
        rates.append(fooled / int(np.sum(before == y)))
    return rates


def fooling_rate_per_image(probabilities, loss_gradient, x, y, epsilons):
    right = [n for n in range(len(x)) if probabilities(x[n:n + 1])[0].argmax() == y[n]]
    return np.array([sum(probabilities(fgsm(loss_gradient, x[n:n + 1], y[n:n + 1], e))[0].argmax() != y[n]
                         for n in right) / len(right) for e in epsilons])


# -- the shipped network ---------------------------------------------------------------------


def test_the_shipped_network_has_the_accuracy_the_chapter_states():
    from dlcourse.datasets import load_digits_split
    from dlcourse.models import accuracy

    _, X_test, _, y_test = load_digits_split(seed=0)
    measured = accuracy(load_digits_cnn(), X_test, y_test)
    assert measured == pytest.approx(digits_cnn_test_accuracy(), abs=1e-12)
    assert measured >= 0.97
    assert TRAINING["seed"] == 0


@pytest.mark.slow
def test_the_shipped_weights_are_rebuilt_by_training_with_the_fixed_seed(tmp_path):
    from dlcourse.pretrained import rebuild_digits_cnn

    path = tmp_path / "again.npz"
    assert rebuild_digits_cnn(path, progress=False) == pytest.approx(digits_cnn_test_accuracy(), abs=1e-12)
    shipped = [p.data for p in load_digits_cnn().parameters()]
    with np.load(path) as again:
        for index, param in enumerate(shipped):
            np.testing.assert_allclose(again[f"param{index}"], param, rtol=1e-9, atol=1e-12)


def test_the_networks_functions_match_torch():
    model = load_digits_cnn()
    tm = torch.nn.Sequential(torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                             torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
                             torch.nn.Flatten(), torch.nn.Linear(128, 64), torch.nn.ReLU(),
                             torch.nn.Linear(64, 10)).double()
    with torch.no_grad():
        for mine, theirs in zip(model.parameters(), tm.parameters()):
            theirs.copy_(torch.tensor(mine.data))
    x, y = ch12.digits_images(np.random.default_rng(0), 5)
    xt = torch.tensor(x, requires_grad=True)
    logits = tm(xt)
    np.testing.assert_allclose(digits_cnn_probabilities(x), torch.softmax(logits, 1).detach().numpy(), rtol=1e-9)
    torch.nn.functional.cross_entropy(logits, torch.tensor(y), reduction="sum").backward()
    np.testing.assert_allclose(digits_cnn_loss_gradient(x, y), xt.grad.numpy(), rtol=1e-8, atol=1e-12)
    g = np.random.default_rng(1).normal(size=(5, 10))
    xt.grad = None
    (tm(xt) * torch.tensor(g)).sum().backward()
    np.testing.assert_allclose(digits_cnn_input_gradient(x, g), xt.grad.numpy(), rtol=1e-8, atol=1e-12)
    grads = [p.grad for p in model.parameters()]
    digits_cnn_input_gradient(x, g)
    assert all(a is b or (a is None and b is None) for a, b in zip(grads, [p.grad for p in model.parameters()]))


def test_the_networks_functions_refuse_bad_input():
    with pytest.raises(ValueError, match=r"batch of shape \(N, 1, 8, 8\)"):
        digits_cnn_probabilities(np.zeros((1, 8, 8)))
    with pytest.raises(ValueError, match="grad_scores must have shape"):
        digits_cnn_input_gradient(np.zeros((2, 1, 8, 8)), np.zeros((2, 9)))
    with pytest.raises(ValueError, match="one integer label"):
        digits_cnn_loss_gradient(np.zeros((2, 1, 8, 8)), np.array([1.5, 2.0]))


# -- the references agree with PyTorch and with the library ------------------------------------------


def test_guided_reference_matches_torch_autograd_with_a_guided_hook():
    rng = np.random.default_rng(7)
    cases = [(digits_cnn_layers(), *ch12.digits_images(rng, 3))]
    for _ in range(3):
        layers, (c, side) = ch12.random_layers(rng)
        cases.append((layers, rng.uniform(size=(2, c, side, side)), np.array([0, 1])))
    for layers, x, target in cases:
        for guided in (False, True):
            np.testing.assert_allclose(ch12._ref_guided_backprop(layers, x, target, guided),
                                       guided_backprop_torch(layers, x, target, guided), rtol=1e-8, atol=1e-12)


def test_references_match_the_library():
    model = load_digits_cnn()
    x, y = ch12.digits_images(np.random.default_rng(3), 4)
    np.testing.assert_allclose(ch12._ref_occlusion_map(digits_cnn_probabilities, x[0], int(y[0]), 3, 2, 0.5),
                               inspect.occlusion_map(model, x[0], int(y[0]), 3, 2, 0.5), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(ch12._ref_saliency_map(digits_cnn_input_gradient, x, y),
                               inspect.saliency_map(model, x, y), rtol=1e-10)
    np.testing.assert_allclose(ch12._ref_guided_backprop(digits_cnn_layers(), x, y),
                               inspect.guided_backprop(model, x, y), rtol=1e-10, atol=1e-14)
    np.testing.assert_allclose(ch12._ref_fgsm(digits_cnn_loss_gradient, x, y, 0.1), inspect.fgsm(model, x, y, 0.1))
    np.testing.assert_allclose(ch12._ref_iterative_fgsm(digits_cnn_loss_gradient, x, y, 0.1, 0.03, 5),
                               inspect.iterative_fgsm(model, x, y, 0.1, alpha=0.03, steps=5))


def test_style_reference_matches_torch_autograd():
    rng = np.random.default_rng(8)
    for shape in ((1, 3, 4, 5), (2, 5, 2, 2), (3, 1, 1, 6)):
        features, target = rng.normal(size=shape), rng.normal(size=(shape[1], shape[1]))
        loss, grad = ch12._ref_style_loss(features, target)
        torch_loss, torch_grad = style_loss_torch(features, target)
        assert loss == pytest.approx(torch_loss, rel=1e-12)
        np.testing.assert_allclose(grad, torch_grad, rtol=1e-9, atol=1e-14)
        np.testing.assert_allclose(ch12._ref_gram_matrix(features), inspect.gram_matrix(features), rtol=1e-12)


# -- correct answers pass ------------------------------------------------------------------------


@pytest.mark.parametrize("hidden", [False, True])
def test_correct_answers_pass(hidden, capsys):
    for student in (occlusion_map, occlusion_map_one_by_one, occlusion_map_masks):
        ch12.occlusion_map(student, hidden=hidden)
    for student in (saliency_map, saliency_map_eye, saliency_map_per_image):
        ch12.saliency_map(student, hidden=hidden)
    for student in (guided_backprop, guided_backprop_closures, guided_backprop_torch):
        assert float(ch12.guided_backprop(student, hidden=hidden)) == 3
    for gram, style in ((gram_matrix, style_loss), (gram_matrix_einsum, style_loss_chain_rule),
                        (gram_matrix_loops, style_loss_torch)):
        assert float(ch12.gram_and_style_loss(gram, style, hidden=hidden)) == 4
    for one, many in ((fgsm, iterative_fgsm), (fgsm_where, iterative_fgsm_delta), (fgsm, iterative_fgsm_minmax)):
        assert float(ch12.fgsm(one, many, hidden=hidden)) == 3
    for student in (fooling_rate, fooling_rate_counts, fooling_rate_per_image):
        ch12.fooling_rate(student, fgsm, hidden=hidden)
    assert "\u2713" in capsys.readouterr().out


# -- typical wrong answers fail, each with its own hint -------------------------------------------


def test_wrong_occlusion_maps_fail():
    _fails(ch12.occlusion_map, lambda *a, **k: -np.asarray(occlusion_map(*a, **k)), fragments=("sign is flipped",))

    def no_copy(probabilities, image, target, patch_size=2, stride=1, fill=0.0):
        image = np.array(image, dtype=float)                                  # one copy for all patches
        base = probabilities(image[None])[0, target]
        _, H, W = image.shape
        rows, cols = range(0, H - patch_size + 1, stride), range(0, W - patch_size + 1, stride)
        D = np.zeros((len(rows), len(cols)))
        for u, r in enumerate(rows):
            for v, c in enumerate(cols):
                image[:, r:r + patch_size, c:c + patch_size] = fill          # never restored
                D[u, v] = base - probabilities(image[None])[0, target]
        return D

    _fails(ch12.occlusion_map, no_copy, fragments=("copy the image before you gray out",))

    def runs_past_the_edge(probabilities, image, target, patch_size=2, stride=1, fill=0.0):
        _, H, W = image.shape
        D = np.zeros((-(-H // stride), -(-W // stride)))
        for u in range(D.shape[0]):
            for v in range(D.shape[1]):
                x = image.copy()
                x[:, u * stride:u * stride + patch_size, v * stride:v * stride + patch_size] = fill
                D[u, v] = probabilities(image[None])[0, target] - probabilities(x[None])[0, target]
        return D

    _fails(ch12.occlusion_map, runs_past_the_edge, fragments=("patches that would run past the edge are left out",))


def test_wrong_saliency_maps_fail():
    def signed(input_gradient, x, target):
        g = np.zeros((len(x), 10))
        g[np.arange(len(x)), target] = 1.0
        return input_gradient(x, g).max(axis=1)

    _fails(ch12.saliency_map, signed, fragments=("take the absolute value",))
    _fails(ch12.saliency_map, lambda ig, x, t: saliency_map(ig, x, t)[:, None],
           fragments=("maximum over the channel axis",))

    def all_scores(input_gradient, x, target):
        return np.abs(input_gradient(x, np.ones((len(x), 10)))).max(axis=1)

    _fails(ch12.saliency_map, all_scores, fragments=("one-hot vector of the target class",))


def test_wrong_guided_backprops_fail_the_guided_part(capsys):
    plain_only = lambda layers, x, target, guided=True: guided_backprop(layers, x, target, False)  # noqa: E731
    assert float(ch12.guided_backprop(plain_only)) == 1
    assert "that is the plain gradient" in capsys.readouterr().out

    def clips_the_end(layers, x, target, guided=True):
        grad = guided_backprop(layers, x, target, False)
        return np.maximum(grad, 0) if guided else grad

    assert float(ch12.guided_backprop(clips_the_end)) == 1
    assert "clipping only the final input gradient" in capsys.readouterr().out

    def deconvnet(layers, x, target, guided=True):
        # forgets the forward mask: only [grad > 0] at each ReLU
        return _backprop_through(layers, x, target, guided,
                                 lambda grad, mask, guided: grad * (grad > 0) if guided else grad * mask)

    assert float(ch12.guided_backprop(deconvnet)) == 1
    assert "AND the gradient from above is positive" in capsys.readouterr().out


def test_a_guided_backprop_without_the_forward_masks_fails_both_parts():
    def no_masks(layers, x, target, guided=True):
        return guided_backprop([layer for layer in layers if layer[0] != "relu"], x, target, guided)

    _fails(ch12.guided_backprop, no_masks, fragments=("each ReLU's mask z > 0",))


def test_wrong_style_losses_fail_their_parts(capsys):
    def unnormalised(features):
        return gram_matrix(features) * np.prod(features.shape[1:])

    assert float(ch12.gram_and_style_loss(unnormalised, style_loss)) == 3
    assert "divide F F^T by the number of activations" in capsys.readouterr().out

    def half_gradient(features, target_gram):
        loss, grad = style_loss(features, target_gram)
        return loss, grad / 2

    assert float(ch12.gram_and_style_loss(gram_matrix, half_gradient)) == 2
    assert "half the gradient" in capsys.readouterr().out

    def mean_loss(features, target_gram):
        loss, grad = style_loss(features, target_gram)
        return loss / target_gram.size, grad

    assert float(ch12.gram_and_style_loss(gram_matrix, mean_loss)) == 3
    assert "a sum, not a mean" in capsys.readouterr().out
    _fails(ch12.gram_and_style_loss, lambda f: np.einsum("nchw,ncij->nhwij", f, f), _stub,
           fragments=("not F^T F",))


def test_wrong_attacks_fail_their_parts(capsys):
    down = lambda lg, x, y, e: np.clip(x - e * np.sign(lg(x, y)), 0, 1)  # noqa: E731
    assert float(ch12.fgsm(down, iterative_fgsm)) == 2
    assert "that step lowers the loss" in capsys.readouterr().out
    unclipped = lambda lg, x, y, e: x + e * np.sign(lg(x, y))  # noqa: E731
    assert float(ch12.fgsm(unclipped, iterative_fgsm)) == 2
    assert "clip x_adv to the pixel range" in capsys.readouterr().out
    raw = lambda lg, x, y, e: np.clip(x + e * lg(x, y), 0, 1)  # noqa: E731
    assert float(ch12.fgsm(raw, iterative_fgsm)) == 2
    assert "sign of the gradient" in capsys.readouterr().out

    def leaves_the_ball(lg, x, y, epsilon, alpha, steps):
        x_adv = x.copy()
        for _ in range(steps):
            x_adv = np.clip(x_adv + alpha * np.sign(lg(x_adv, y)), 0, 1)
        return x_adv

    assert float(ch12.fgsm(fgsm, leaves_the_ball)) == 1
    assert "leaves the epsilon-ball" in capsys.readouterr().out

    def gradient_of_the_start(lg, x, y, epsilon, alpha, steps):
        direction = np.sign(lg(x, y))
        x_adv = x.copy()
        for _ in range(steps):
            x_adv = np.clip(np.clip(x_adv + alpha * direction, x - epsilon, x + epsilon), 0, 1)
        return x_adv

    assert float(ch12.fgsm(fgsm, gradient_of_the_start)) == 1
    assert "at the CURRENT x_adv" in capsys.readouterr().out


def test_wrong_fooling_rates_fail():
    def over_everything(probabilities, loss_gradient, x, y, epsilons):
        return np.array([np.mean(probabilities(fgsm(loss_gradient, x, y, e)).argmax(axis=1) != y) for e in epsilons])

    _fails(ch12.fooling_rate, over_everything, fragments=("also the images the network already got wrong",))
    _fails(ch12.fooling_rate, lambda *a: 1 - fooling_rate(*a), fragments=("accuracy after the attack",))
    _fails(ch12.fooling_rate, lambda *a: fooling_rate(*a).mean(), fragments=("one rate per epsilon",))


def test_a_fooling_rate_failing_because_of_fgsm_says_so():
    def down(lg, x, y, e):
        return np.clip(x - e * np.sign(lg(x, y)), 0, 1)

    def built_on_down(probabilities, loss_gradient, x, y, epsilons):
        right = probabilities(x).argmax(axis=1) == y
        return np.array([np.mean(probabilities(down(loss_gradient, x[right], y[right], e)).argmax(axis=1)
                                 != y[right]) for e in epsilons])

    _fails(ch12.fooling_rate, built_on_down, down, fragments=("the cause may be exercise 5",))
    message = _fails(ch12.fooling_rate, lambda *a: 1 - fooling_rate(*a), fgsm)
    assert "exercise 5" not in message


# -- stubs and the library's own code fail ---------------------------------------------------------


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("check, n", [
    (ch12.occlusion_map, 1), (ch12.saliency_map, 1), (ch12.guided_backprop, 1), (ch12.gram_and_style_loss, 2),
    (ch12.fgsm, 2), (ch12.fooling_rate, 1), (ch12.fooling_rate, 2),
])
def test_stub_fails(check, n, hidden):
    _fails(check, *[_stub] * n, fragments=("not implemented yet",), hidden=hidden)


def test_calling_the_library_fails():
    model = load_digits_cnn()
    _fails(ch12.occlusion_map, lambda p, image, t, ps=2, s=1, fill=0.0: inspect.occlusion_map(model, image, t, ps, s, fill),
           fragments=("reference implementation",))
    _fails(ch12.saliency_map, lambda g, x, t: inspect.saliency_map(model, x, t), fragments=("reference implementation",))
    _fails(ch12.guided_backprop, lambda layers, x, t, guided=True: inspect.guided_backprop(model, x, t),
           fragments=("reference implementation",))
    _fails(ch12.gram_and_style_loss, inspect.gram_matrix, inspect.style_loss, fragments=("reference implementation",))
    _fails(ch12.fgsm, lambda lg, x, y, e: inspect.fgsm(model, x, y, e),
           lambda lg, x, y, e, a, s: inspect.iterative_fgsm(model, x, y, e, a, s), fragments=("reference implementation",))


def test_changing_the_callers_array_fails_and_names_it(capsys):
    def clips_in_place(loss_gradient, x, y, epsilon):
        g = loss_gradient(x, y)
        x += epsilon * np.sign(g)
        np.clip(x, 0, 1, out=x)
        return x

    assert float(ch12.fgsm(clips_in_place, iterative_fgsm)) == 2
    assert "changed its argument `x` in place" in capsys.readouterr().out

    def grays_the_caller(probabilities, image, target, patch_size=2, stride=1, fill=0.0):
        result = occlusion_map(probabilities, image, target, patch_size, stride, fill)
        image[:, :patch_size, :patch_size] = fill
        return result

    _fails(ch12.occlusion_map, grays_the_caller, fragments=("changed its argument `image` in place",))


# -- hidden cases: well-posed for every seed, never shipped, judged by the grader -------------------


@pytest.mark.parametrize("seed", range(6))
def test_the_hidden_cases_of_every_seed_are_well_posed(seed, capsys):
    with core.hidden_source(HIDDEN, seed):
        ch12.occlusion_map(occlusion_map, hidden=True)
        ch12.saliency_map(saliency_map, hidden=True)
        assert float(ch12.guided_backprop(guided_backprop, hidden=True)) == 3
        assert float(ch12.gram_and_style_loss(gram_matrix, style_loss, hidden=True)) == 4
        assert float(ch12.fgsm(fgsm, iterative_fgsm, hidden=True)) == 3
        ch12.fooling_rate(fooling_rate, fgsm, hidden=True)
        data = core.hidden("fooling_rate")
        assert len(data["x"]) == 80 and data["epsilons"][0] == 0.0
        assert 0 < np.mean(digits_cnn_probabilities(data["x"]).argmax(axis=1) == data["y"])


def test_each_seed_has_its_own_hidden_cases_and_keeps_them():
    def images(seed):
        with core.hidden_source(HIDDEN, seed):
            return core.hidden("fooling_rate")["x"]

    assert np.array_equal(images(1), images(1))
    assert not np.array_equal(images(1), images(2))


def test_no_hidden_case_reaches_a_student():
    assert_no_hidden_case_ships(ROOT, "ch12-inside-cnn", HIDDEN)


def test_the_grader_recomputes_the_fooling_rate_on_its_own_images():
    source = ("from dlcourse.checks import ch12\n"
              "ch12.fooling_rate(fooling_rate, fgsm, hidden=True)")

    def right_on_visible_only(probabilities, loss_gradient, x, y, epsilons):
        if len(x) in (40, 20):
            return fooling_rate(probabilities, loss_gradient, x, y, epsilons)
        return np.zeros(len(epsilons))

    key = {"fooling_rate": fooling_rate, "fgsm": fgsm}
    verdict = judged_outside(source, {"fooling_rate": right_on_visible_only, "fgsm": fgsm}, answers_from=key,
                             hidden_path=HIDDEN, seed=5, points=2)
    assert verdict.points == 0 and "grader's own choice" in verdict.message
    honest = judged_outside(source, {"fooling_rate": fooling_rate_counts, "fgsm": fgsm_where}, answers_from=key,
                            hidden_path=HIDDEN, seed=5, points=2)
    assert honest.points == 2, honest.message


def test_partial_credit_survives_the_grader():
    source = "from dlcourse.checks import ch12\nch12.gram_and_style_loss(gram_matrix, style_loss, hidden=True)"
    verdict = judged_outside(source, {"gram_matrix": _stub, "style_loss": style_loss},
                             answers_from={"gram_matrix": gram_matrix, "style_loss": style_loss},
                             hidden_path=HIDDEN, seed=2, points=4)
    assert verdict.points == 3, verdict.message


def test_a_failure_is_a_check_failure_with_the_case():
    with pytest.raises(CheckFailure, match="2x2 patches, stride 1"):
        ch12.occlusion_map(lambda *a, **k: np.zeros((7, 7)))


@pytest.mark.slow
def test_the_grading_box_finds_the_shipped_weights(tmp_path):
    import json
    import sys

    from dlcourse.grading import sandbox

    if not sandbox.isolation_available():
        pytest.skip("bubblewrap cannot make a box here (no binary or no namespaces)")
    work = tmp_path / "work"
    (work / ".runtime").mkdir(parents=True)
    code = ("import json\nfrom dlcourse.datasets import load_digits_split\n"
            "from dlcourse.pretrained import load_digits_cnn, WEIGHTS\nfrom dlcourse.models import accuracy\n"
            "_, X, _, y = load_digits_split(seed=0)\n"
            "print(json.dumps({'accuracy': accuracy(load_digits_cnn(), X, y), 'path': str(WEIGHTS)}))")
    done = sandbox.run_in_box(["--exec", sys.executable, "-c", code], work, 2048,
                              expose=sandbox.runtime_folders(), writable=[work / ".runtime"])
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    assert done.returncode == 0 and lines, done.stderr
    assert json.loads(lines[-1])["accuracy"] == pytest.approx(digits_cnn_test_accuracy(), abs=1e-12)
