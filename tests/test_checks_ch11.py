"""The chapter 11 checks accept correct answers written in different ways and reject the
usual wrong ones (no padding in the size, a flipped kernel, the stride forgotten, the
padding left on dx, the gradient spread over the whole pooling window, the skip path
forgotten) with a message that says what went wrong; the references agree with PyTorch."""

import numpy as np
import pytest
import torch

from dlcourse.checks import ch11, core
from dlcourse.checks.core import CheckFailure
from tests.check_tools import fails as _fails
from tests.check_tools import assert_no_hidden_case_ships, judged_outside
from tests.check_tools import stub as _stub
from tests.conftest import ROOT

HIDDEN = ROOT / "solutions" / "ch11-cnn" / "hidden_cases.py"


# -- solutions as the notebook writes them, and other correct ways -------------------------------


def conv_output_size(W, F, P=0, S=1):
    for name, value, low in (("W", W, 1), ("F", F, 1), ("P", P, 0), ("S", S, 1)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    if F > W + 2 * P:
        raise ValueError(f"the filter F={F} does not fit in the padded input W + 2P = {W + 2 * P}")
    if (W - F + 2 * P) % S:
        raise ValueError(f"(W - F + 2P) / S = ({W} - {F} + {2 * P}) / {S} is not an integer")
    return (W - F + 2 * P) // S + 1


def conv_output_size_other(W, F, P=0, S=1):
    import numbers

    args = {"W": W, "F": F, "P": P, "S": S}
    if not all(isinstance(v, numbers.Integral) and not isinstance(v, bool) for v in args.values()):
        raise ValueError(f"sizes must be integers: {args}")
    if min(W, F, S) < 1 or P < 0:
        raise ValueError(f"sizes out of range: {args}")
    size = (W - F + 2 * P) / S + 1
    if size < 1 or size != int(size):
        raise ValueError(f"no whole number of placements: {size}")
    return int(size)


def conv2d_loops(x, w, b, stride=1, padding=0):
    N, C, H, W = x.shape
    K, _, FH, FW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    H2 = (H + 2 * padding - FH) // stride + 1
    W2 = (W + 2 * padding - FW) // stride + 1
    out = np.zeros((N, K, H2, W2))
    for n in range(N):
        for k in range(K):
            for i in range(H2):
                for j in range(W2):
                    window = xp[n, :, i * stride:i * stride + FH, j * stride:j * stride + FW]
                    out[n, k, i, j] = np.sum(window * w[k]) + b[k]
    return out


def conv2d_fast(x, w, b, stride=1, padding=0):
    K, C, FH, FW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    H2 = (xp.shape[2] - FH) // stride + 1
    W2 = (xp.shape[3] - FW) // stride + 1
    out = np.zeros((x.shape[0], K, H2, W2))
    for a in range(FH):
        for c in range(FW):
            patch = xp[:, :, a:a + stride * (H2 - 1) + 1:stride, c:c + stride * (W2 - 1) + 1:stride]
            out += np.einsum("nchw,kc->nkhw", patch, w[:, :, a, c])
    return out + b[None, :, None, None]


def conv2d_im2col(x, w, b, stride=1, padding=0):
    # sliding_window_view, then one tensordot
    from numpy.lib.stride_tricks import sliding_window_view

    xp = np.pad(np.asarray(x, float), ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    windows = sliding_window_view(xp, w.shape[2:], axis=(2, 3))[:, :, ::stride, ::stride]
    return np.tensordot(windows, w, axes=([1, 4, 5], [1, 2, 3])).transpose(0, 3, 1, 2) + b.reshape(1, -1, 1, 1)


def conv2d_loops_other(x, w, b, stride=1, padding=0):
    # loops over output positions with the channels in one product, no np.pad
    N, C, H, W = x.shape
    K, _, FH, FW = w.shape
    xp = np.zeros((N, C, H + 2 * padding, W + 2 * padding))
    xp[:, :, padding:padding + H, padding:padding + W] = x
    rows = range(0, xp.shape[2] - FH + 1, stride)
    cols = range(0, xp.shape[3] - FW + 1, stride)
    out = np.empty((N, K, len(rows), len(cols)))
    flat_w = w.reshape(K, -1)
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            out[:, :, i, j] = xp[:, :, r:r + FH, c:c + FW].reshape(N, -1) @ flat_w.T + b
    return out


def conv2d_backward(dout, x, w, stride=1, padding=0):
    K, C, FH, FW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    H2, W2 = dout.shape[2:]
    dxp, dw = np.zeros_like(xp), np.zeros_like(w)
    for a in range(FH):
        for c in range(FW):
            rows = slice(a, a + stride * (H2 - 1) + 1, stride)
            cols = slice(c, c + stride * (W2 - 1) + 1, stride)
            dw[:, :, a, c] = np.einsum("nkhw,nchw->kc", dout, xp[:, :, rows, cols])
            dxp[:, :, rows, cols] += np.einsum("nkhw,kc->nchw", dout, w[:, :, a, c])
    dx = dxp[:, :, padding:padding + x.shape[2], padding:padding + x.shape[3]]
    return dx, dw, dout.sum(axis=(0, 2, 3))


def conv2d_backward_loops(dout, x, w, stride=1, padding=0):
    N, C, H, W = x.shape
    K, _, FH, FW = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    dxp, dw, db = np.zeros_like(xp), np.zeros_like(w), np.zeros(K)
    for n in range(N):
        for k in range(K):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    r, c = i * stride, j * stride
                    g = dout[n, k, i, j]
                    dw[k] += g * xp[n, :, r:r + FH, c:c + FW]
                    dxp[n, :, r:r + FH, c:c + FW] += g * w[k]
                    db[k] += g
    return dxp[:, :, padding:padding + H, padding:padding + W], dw, db


def conv2d_backward_torch_free_full(dout, x, w, stride=1, padding=0):
    # dx as a "full" convolution of the dilated dout with the flipped kernel, dw by im2col
    N, C, H, W = x.shape
    K, _, FH, FW = w.shape
    H2, W2 = dout.shape[2:]
    dil = np.zeros((N, K, stride * (H2 - 1) + 1, stride * (W2 - 1) + 1))
    dil[:, :, ::stride, ::stride] = dout
    full = np.pad(dil, ((0, 0), (0, 0), (FH - 1, FH - 1), (FW - 1, FW - 1)))
    flipped = w[:, :, ::-1, ::-1]
    span_h, span_w = dil.shape[2] + FH - 1, dil.shape[3] + FW - 1
    dxp = np.zeros((N, C, H + 2 * padding, W + 2 * padding))
    for a in range(FH):
        for c in range(FW):
            dxp[:, :, :span_h, :span_w] += np.einsum("nkhw,kc->nchw", full[:, :, a:a + span_h, c:c + span_w],
                                                     flipped[:, :, a, c])
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    dw = np.empty_like(w)
    for a in range(FH):
        for c in range(FW):
            dw[:, :, a, c] = np.tensordot(dout, xp[:, :, a:a + stride * (H2 - 1) + 1:stride,
                                                   c:c + stride * (W2 - 1) + 1:stride], axes=([0, 2, 3], [0, 2, 3]))
    return dxp[:, :, padding:padding + H, padding:padding + W], dw, np.einsum("nkhw->k", dout)


def max_pool_forward(x, size=2, stride=2):
    N, C, H, W = x.shape
    H2, W2 = (H - size) // stride + 1, (W - size) // stride + 1
    out = np.empty((N, C, H2, W2))
    for i in range(H2):
        for j in range(W2):
            out[:, :, i, j] = x[:, :, i * stride:i * stride + size, j * stride:j * stride + size].max(axis=(2, 3))
    return out


def max_pool_backward(dout, x, size=2, stride=2):
    N, C, H, W = x.shape
    dx = np.zeros_like(x)
    for i in range(dout.shape[2]):
        for j in range(dout.shape[3]):
            window = x[:, :, i * stride:i * stride + size, j * stride:j * stride + size]
            mask = window == window.max(axis=(2, 3), keepdims=True)
            dx[:, :, i * stride:i * stride + size, j * stride:j * stride + size] += mask * dout[:, :, i:i + 1, j:j + 1]
    return dx


def max_pool_forward_other(x, size=2, stride=2):
    from numpy.lib.stride_tricks import sliding_window_view

    return sliding_window_view(x, (size, size), axis=(2, 3))[:, :, ::stride, ::stride].max(axis=(4, 5))


def max_pool_backward_other(dout, x, size=2, stride=2):
    # the winner of each window by a flat argmax, scattered with np.add.at
    from numpy.lib.stride_tricks import sliding_window_view

    windows = sliding_window_view(x, (size, size), axis=(2, 3))[:, :, ::stride, ::stride]
    N, C, H2, W2 = windows.shape[:4]
    best = windows.reshape(N, C, H2, W2, -1).argmax(axis=-1)
    rows = np.arange(H2)[:, None] * stride + best // size
    cols = np.arange(W2)[None, :] * stride + best % size
    n, c = np.meshgrid(np.arange(N), np.arange(C), indexing="ij")
    dx = np.zeros_like(x, dtype=float)
    np.add.at(dx, (n[:, :, None, None], c[:, :, None, None], rows, cols), dout)
    return dx


def residual_block_backward(dout, x, w1, b1, w2, b2):
    a1 = conv2d_fast(x, w1, b1, 1, 1)
    h = np.maximum(a1, 0)
    z = conv2d_fast(h, w2, b2, 1, 1) + x
    dz = dout * (z > 0)
    dh, dw2, db2 = conv2d_backward(dz, h, w2, 1, 1)
    dx, dw1, db1 = conv2d_backward(dh * (a1 > 0), x, w1, 1, 1)
    return dx + dz, dw1, db1, dw2, db2


def residual_block_backward_other(dout, x, w1, b1, w2, b2):
    a1 = conv2d_im2col(x, w1, b1, 1, 1)
    h = a1.clip(min=0)
    z = conv2d_loops_other(h, w2, b2, 1, 1) + x
    dz = np.where(z > 0, dout, 0.0)
    dh, dw2, db2 = conv2d_backward_loops(dz, h, w2, 1, 1)
    dskip = dz.copy()
    dx, dw1, db1 = conv2d_backward_torch_free_full(np.where(h > 0, dh, 0.0), x, w1, 1, 1)
    return [dx + dskip, dw1, db1, dw2, db2]


def residual_block_backward_torchstyle(dout, x, w1, b1, w2, b2):
    # a third way: the gradients as lists
    out = residual_block_backward(dout, x, w1, b1, w2, b2)
    return tuple(v.tolist() for v in out)


def train_lenet(X_train, y_train, X_test, seed=0, epochs=8):
    from dlcourse import nn, optim

    rng = np.random.default_rng(seed)
    model = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1, rng=rng), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(16, 32, 3, padding=1, rng=rng), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(128, 64, rng=rng), nn.ReLU(), nn.Linear(64, 10, rng=rng))
    loss_fn = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=3e-3)
    model.train()
    for _ in range(epochs):
        order = rng.permutation(len(X_train))
        for start in range(0, len(X_train), 32):
            batch = order[start:start + 32]
            optimizer.zero_grad()
            loss_fn(model(X_train[batch]), y_train[batch])
            model.backward(loss_fn.backward())
            optimizer.step()
    model.eval()
    return model(X_test).argmax(axis=1)


def train_lenet_float32(X_train, y_train, X_test, seed=0):
    # float32 layers, batches of 64, a larger rate; returns a list
    from dlcourse import nn, optim

    rng = np.random.default_rng(seed)
    f32 = np.float32
    layers = [nn.Conv2d(1, 16, 3, padding=1, rng=rng, dtype=f32), nn.ReLU(), nn.MaxPool2d(2),
              nn.Conv2d(16, 32, 3, padding=1, rng=rng, dtype=f32), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
              nn.Linear(128, 64, rng=rng, dtype=f32), nn.ReLU(), nn.Linear(64, 10, rng=rng, dtype=f32)]
    model = nn.Sequential(*layers)
    criterion = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=5e-3)
    X = X_train.astype(f32)
    for _ in range(10):
        model.train()
        for batch in np.array_split(rng.permutation(len(X)), int(np.ceil(len(X) / 64))):
            optimizer.zero_grad()
            criterion(model(X[batch]), y_train[batch])
            model.backward(criterion.backward())
            optimizer.step()
    model.eval()
    return [int(label) for label in np.argmax(model(X_test.astype(f32)), axis=1)]


def train_lenet_small_and_long(X_train, y_train, X_test, seed=0):
    # half the filters, more epochs, labels as float64 from a softmax
    from dlcourse import nn, optim

    rng = np.random.default_rng(seed)
    model = nn.Sequential(nn.Conv2d(1, 8, 3, padding=1, rng=rng), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Conv2d(8, 16, 3, padding=1, rng=rng), nn.ReLU(), nn.MaxPool2d(2),
                          nn.Flatten(), nn.Linear(64, 64, rng=rng), nn.ReLU(), nn.Linear(64, 10, rng=rng))
    loss_fn = nn.CrossEntropyLoss()
    optimizer = optim.Adam(model.parameters(), lr=3e-3)
    for _ in range(15):
        order = rng.permutation(len(X_train))
        for start in range(0, len(order), 32):
            batch = order[start:start + 32]
            optimizer.zero_grad()
            loss_fn(model(X_train[batch]), y_train[batch])
            model.backward(loss_fn.backward())
            optimizer.step()
    model.eval()
    scores = model(X_test)
    probabilities = np.exp(scores - scores.max(axis=1, keepdims=True))
    return np.argmax(probabilities / probabilities.sum(axis=1, keepdims=True), axis=1).astype(float)


# -- correct answers pass ------------------------------------------------------------------------


@pytest.mark.parametrize("hidden", [False, True])
def test_correct_answers_pass(hidden, capsys):
    for student in (conv_output_size, conv_output_size_other,
                    lambda W, F, P=0, S=1: conv_output_size(W, F, P, S) * 1.0):
        ch11.conv_output_size(student, hidden=hidden)
    for loops, fast in ((conv2d_loops, conv2d_fast), (conv2d_loops_other, conv2d_im2col),
                        (conv2d_loops, lambda *a: conv2d_im2col(*a).tolist())):
        assert float(ch11.conv_forward(loops, fast, hidden=hidden)) == 4
    for student in (conv2d_backward, conv2d_backward_loops, conv2d_backward_torch_free_full):
        assert float(ch11.conv_backward(student, hidden=hidden)) == 4
    for forward, backward in ((max_pool_forward, max_pool_backward),
                              (max_pool_forward_other, max_pool_backward_other),
                              (max_pool_forward_other, max_pool_backward)):
        assert float(ch11.max_pool(forward, backward, hidden=hidden)) == 3
    for student in (residual_block_backward, residual_block_backward_other, residual_block_backward_torchstyle):
        assert float(ch11.residual_block_backward(student, conv2d_backward, hidden=hidden)) == 3
    assert float(ch11.residual_block_backward(residual_block_backward, hidden=hidden)) == 3
    assert "\u2713" in capsys.readouterr().out


@pytest.mark.parametrize("hidden", [False, True])
def test_a_trained_lenet_reaches_the_goal(hidden, capsys):
    ch11.train_lenet(train_lenet, hidden=hidden)
    assert "test accuracy" in capsys.readouterr().out


@pytest.mark.parametrize("student", [train_lenet_float32, train_lenet_small_and_long])
def test_lenets_trained_in_other_ways_reach_the_goal(student, capsys):
    ch11.train_lenet(student)
    assert "test accuracy" in capsys.readouterr().out


# -- the references agree with PyTorch and with the notes -----------------------------------------


def test_conv_references_match_torch():
    rng = np.random.default_rng(5)
    for stride, padding, kernel in ((1, 0, (3, 3)), (2, 1, (3, 2)), (3, 1, (2, 2)), (1, 2, (5, 5))):
        case = ch11.random_conv_case(rng, n=2, c=3, k=4, side=(9, 8), kernel=kernel, stride=stride, padding=padding)
        x, w, b = (torch.tensor(v, requires_grad=True) for v in case.args[:3])
        out = torch.nn.functional.conv2d(x, w, b, stride=stride, padding=padding)
        assert np.allclose(ch11._ref_conv_forward(*case.args), out.detach().numpy(), rtol=1e-12, atol=1e-12)
        dout = rng.normal(size=out.shape)
        out.backward(torch.tensor(dout))
        mine = ch11._ref_conv_backward(dout, case.args[0], case.args[1], stride, padding)
        for got, want in zip(mine, (x.grad, w.grad, b.grad)):
            assert np.allclose(got, want.numpy(), rtol=1e-12, atol=1e-12)


def test_pool_references_match_torch():
    rng = np.random.default_rng(6)
    for size, stride in ((2, 2), (3, 2), (2, 1), (3, 3)):
        dout, x, _, _ = ch11.random_pool_case(rng, size=size, stride=stride).args
        xt = torch.tensor(x, requires_grad=True)
        out = torch.nn.functional.max_pool2d(xt, size, stride)
        assert np.array_equal(ch11._ref_max_pool_forward(x, size, stride), out.detach().numpy())
        out.backward(torch.tensor(dout))
        assert np.allclose(ch11._ref_max_pool_backward(dout, x, size, stride), xt.grad.numpy(), atol=1e-14)


def test_residual_reference_matches_torch_autograd():
    rng = np.random.default_rng(7)
    dout, *params = ch11.random_residual_case(rng, n=2, c=3, side=5).args
    x, w1, b1, w2, b2 = (torch.tensor(v, requires_grad=True) for v in params)
    conv = torch.nn.functional.conv2d
    out = torch.relu(conv(torch.relu(conv(x, w1, b1, padding=1)), w2, b2, padding=1) + x)
    out.backward(torch.tensor(dout))
    for got, want in zip(ch11._ref_residual_block_backward(dout, *params), (x, w1, b1, w2, b2)):
        assert np.allclose(got, want.grad.numpy(), rtol=1e-12, atol=1e-12)


def test_output_size_reference_gives_the_notes_numbers_and_agrees_with_the_library():
    from dlcourse.functional import conv_output_shape

    assert ch11._ref_conv_output_size(32, 5) == 28
    assert ch11._ref_conv_output_size(14, 5) == 10
    assert ch11._ref_conv_output_size(28, 2, 0, 2) == 14
    for args in ((8, 3, 1, 1), (7, 3, 0, 2), (227, 11, 0, 4)):
        assert ch11._ref_conv_output_size(*args) == conv_output_shape(*args)
    for args in ((8, 3, 0, 2), (4, 5, 0, 1), (8.0, 3, 0, 1), (True, 1, 0, 1)):
        with pytest.raises(ValueError):
            ch11._ref_conv_output_size(*args)
        with pytest.raises(ValueError):
            conv_output_shape(*args)


# -- typical wrong answers fail with their own hint -------------------------------------------------


def test_output_size_without_the_padding_twice_fails():
    _fails(ch11.conv_output_size, lambda W, F, P=0, S=1: conv_output_size(W, F, 0, S) + P if P == 0 else
           (W - F + P) // S + 1, fragments=("a 3x3 filter with padding 1", "padding is added on both sides"))


def test_output_size_that_floors_instead_of_refusing_fails():
    def floors(W, F, P=0, S=1):
        if min(W, F, S) < 1 or P < 0 or F > W + 2 * P or not all(isinstance(v, int) for v in (W, F, P, S)):
            raise ValueError("bad size")
        return (W - F + 2 * P) // S + 1

    _fails(ch11.conv_output_size, floors, fragments=("stride 2 does not tile", "returned 3", "needs a ValueError"))


def test_output_size_raising_the_wrong_error_fails():
    def asserts(W, F, P=0, S=1):
        assert (W - F + 2 * P) % S == 0 and F <= W + 2 * P and min(W, F, S) >= 1 and P >= 0
        return conv_output_size(W, F, P, S)

    _fails(ch11.conv_output_size, asserts, fragments=("raised AssertionError", "needs a ValueError"))


def test_output_size_accepting_floats_fails():
    def float_friendly(W, F, P=0, S=1):
        if min(W, F, S) < 1 or P < 0 or F > W + 2 * P or (W - F + 2 * P) / S % 1:
            raise ValueError("bad size")
        return int((W - F + 2 * P) / S + 1)

    _fails(ch11.conv_output_size, float_friendly, fragments=("a float width", "returned 6"))


def test_true_convolution_with_a_flipped_kernel_fails(capsys):
    flipped = lambda x, w, b, stride=1, padding=0: conv2d_fast(x, w[:, :, ::-1, ::-1], b, stride, padding)  # noqa: E731
    score = ch11.conv_forward(conv2d_loops, flipped)
    assert float(score) == 2
    assert "no flipped kernel" in capsys.readouterr().out


def test_forward_ignoring_the_stride_fails(capsys):
    no_stride = lambda x, w, b, stride=1, padding=0: conv2d_loops(x, w, b, 1, padding)  # noqa: E731
    message = _fails(ch11.conv_forward, no_stride, no_stride, fragments=("stride 2", "wrong shape"))
    assert "output side (H + 2P - FH) // S + 1" in message


def test_forward_padding_one_side_only_fails(capsys):
    def one_side(x, w, b, stride=1, padding=0):
        xp = np.pad(x, ((0, 0), (0, 0), (padding, 0), (padding, 0)))
        return conv2d_fast(xp, w, b, stride, 0)

    _fails(ch11.conv_forward, one_side, one_side, fragments=("padding 1", "pad H and W with P zeros on each side"))


def test_forward_without_the_bias_fails(capsys):
    no_bias = lambda x, w, b, stride=1, padding=0: conv2d_fast(x, w, 0 * b, stride, padding)  # noqa: E731
    _fails(ch11.conv_forward, no_bias, no_bias, fragments=("bias 0.5",))


def test_backward_leaving_the_padding_on_dx_fails_that_part(capsys):
    def padded_dx(dout, x, w, stride=1, padding=0):
        dx, dw, db = conv2d_backward(dout, x, w, stride, padding)
        return np.pad(dx, ((0, 0), (0, 0), (padding, padding), (padding, padding))), dw, db

    assert float(ch11.conv_backward(padded_dx)) == 2
    assert "cut the padding off" in capsys.readouterr().out


def test_backward_with_a_mean_bias_gradient_fails_that_part(capsys):
    def mean_db(dout, x, w, stride=1, padding=0):
        dx, dw, _ = conv2d_backward(dout, x, w, stride, padding)
        return dx, dw, dout.mean(axis=(0, 2, 3))

    assert float(ch11.conv_backward(mean_db)) == 3
    assert "db[k] = the sum" in capsys.readouterr().out


def test_backward_assigning_instead_of_adding_fails(capsys):
    def assigns(dout, x, w, stride=1, padding=0):
        dx, dw, db = conv2d_backward(dout, x, w, stride, padding)
        K, C, FH, FW = w.shape
        xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
        dxp = np.zeros_like(xp)
        for n in range(x.shape[0]):
            for i in range(dout.shape[2]):
                for j in range(dout.shape[3]):
                    r, c = i * stride, j * stride
                    dxp[n, :, r:r + FH, c:c + FW] = np.einsum("k,kcab->cab", dout[n, :, i, j], w)
        return dxp[:, :, padding:padding + x.shape[2], padding:padding + x.shape[3]], dw, db

    assert float(ch11.conv_backward(assigns)) == 2
    assert "add with +=" in capsys.readouterr().out


def test_backward_returning_two_values_fails():
    _fails(ch11.conv_backward, lambda dout, x, w, stride=1, padding=0: conv2d_backward(dout, x, w, stride, padding)[:2],
           fragments=("should return 3 arrays",))


def test_pooling_that_averages_fails(capsys):
    def average(x, size=2, stride=2):
        N, C, H, W = x.shape
        H2, W2 = (H - size) // stride + 1, (W - size) // stride + 1
        return np.array([[[[x[n, c, i * stride:i * stride + size, j * stride:j * stride + size].mean()
                            for j in range(W2)] for i in range(H2)] for c in range(C)] for n in range(N)])

    assert float(ch11.max_pool(average, max_pool_backward)) == 2
    assert "the maximum of each size x size window" in capsys.readouterr().out


def test_pooling_gradient_spread_over_the_window_fails(capsys):
    def spread(dout, x, size=2, stride=2):
        dx = np.zeros_like(x)
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                dx[:, :, i * stride:i * stride + size, j * stride:j * stride + size] += \
                    dout[:, :, i:i + 1, j:j + 1] / size**2
        return dx

    assert float(ch11.max_pool(max_pool_forward, spread)) == 1
    assert "to the one pixel that was its maximum" in capsys.readouterr().out


def test_pooling_gradient_that_overwrites_overlaps_fails(capsys):
    def overwrites(dout, x, size=2, stride=2):
        dx = np.zeros_like(x)
        for i in range(dout.shape[2]):
            for j in range(dout.shape[3]):
                rows, cols = slice(i * stride, i * stride + size), slice(j * stride, j * stride + size)
                window = x[:, :, rows, cols]
                mask = window == window.max(axis=(2, 3), keepdims=True)
                dx[:, :, rows, cols] = np.where(mask, dout[:, :, i:i + 1, j:j + 1], dx[:, :, rows, cols])
        return dx

    assert float(ch11.max_pool(max_pool_forward, overwrites)) == 1
    assert "overlapping 3x3 windows" in capsys.readouterr().out


def test_residual_without_the_skip_gradient_fails_that_part(capsys):
    def no_skip(dout, x, w1, b1, w2, b2):
        dx, *rest = residual_block_backward(dout, x, w1, b1, w2, b2)
        z = conv2d_fast(np.maximum(conv2d_fast(x, w1, b1, 1, 1), 0), w2, b2, 1, 1) + x
        return (dx - dout * (z > 0), *rest)

    assert float(ch11.residual_block_backward(no_skip)) == 2
    assert "the skip connection carries straight back" in capsys.readouterr().out


def test_residual_without_the_last_relu_mask_fails(capsys):
    def no_mask(dout, x, w1, b1, w2, b2):
        a1 = conv2d_fast(x, w1, b1, 1, 1)
        h = np.maximum(a1, 0)
        dh, dw2, db2 = conv2d_backward(dout, h, w2, 1, 1)
        dx, dw1, db1 = conv2d_backward(dh * (a1 > 0), x, w1, 1, 1)
        return dx + dout, dw1, db1, dw2, db2

    message = _fails(ch11.residual_block_backward, no_mask, fragments=("dz = dout * (z > 0)",))
    assert "If your conv2d_backward passes its own check" in message


def test_residual_with_the_first_mask_at_the_wrong_place_fails_that_part(capsys):
    def masks_after(dout, x, w1, b1, w2, b2):
        a1 = conv2d_fast(x, w1, b1, 1, 1)
        h = np.maximum(a1, 0)
        z = conv2d_fast(h, w2, b2, 1, 1) + x
        dz = dout * (z > 0)
        dh, dw2, db2 = conv2d_backward(dz, h, w2, 1, 1)
        dx, dw1, db1 = conv2d_backward(dh, x, w1, 1, 1)     # the first ReLU forgotten
        return dx + dz, dw1, db1, dw2, db2

    assert float(ch11.residual_block_backward(masks_after)) == 1
    assert "first ReLU's mask" in capsys.readouterr().out


def _mean_db(dout, x, w, stride=1, padding=0):
    dx, dw, _ = conv2d_backward(dout, x, w, stride, padding)
    return dx, dw, dout.mean(axis=(0, 2, 3))


def test_residual_failing_because_of_conv2d_backward_says_so(capsys):
    def built_on_mean_db(dout, x, w1, b1, w2, b2):
        a1 = conv2d_fast(x, w1, b1, 1, 1)
        h = np.maximum(a1, 0)
        dz = dout * (conv2d_fast(h, w2, b2, 1, 1) + x > 0)
        dh, dw2, db2 = _mean_db(dz, h, w2, 1, 1)
        dx, dw1, db1 = _mean_db(dh * (a1 > 0), x, w1, 1, 1)
        return dx + dz, dw1, db1, dw2, db2

    assert float(ch11.residual_block_backward(built_on_mean_db, _mean_db)) == 1
    assert "the cause is exercise 4: your conv2d_backward" in capsys.readouterr().out


def test_residual_failing_in_the_block_does_not_blame_conv2d_backward(capsys):
    def no_mask(dout, x, w1, b1, w2, b2):
        a1 = conv2d_fast(x, w1, b1, 1, 1)
        dh, dw2, db2 = conv2d_backward(dout, np.maximum(a1, 0), w2, 1, 1)
        dx, dw1, db1 = conv2d_backward(dh * (a1 > 0), x, w1, 1, 1)
        return dx + dout, dw1, db1, dw2, db2

    message = _fails(ch11.residual_block_backward, no_mask, conv2d_backward, fragments=("dz = dout * (z > 0)",))
    assert "the cause is exercise 4" not in message


def test_residual_with_a_broken_conv2d_backward_is_judged_the_same_by_the_grader():
    source = ("from dlcourse.checks import ch11\n"
              "ch11.residual_block_backward(residual_block_backward, conv2d_backward, hidden=True)")
    verdict = judged_outside(source, {"residual_block_backward": residual_block_backward, "conv2d_backward": _mean_db},
                             answers_from={"residual_block_backward": residual_block_backward,
                                           "conv2d_backward": conv2d_backward}, hidden_path=HIDDEN, seed=4, points=3)
    assert verdict.points == 3, verdict.message


def test_an_untrained_or_badly_shaped_lenet_fails():
    _fails(ch11.train_lenet, lambda X, y, Xt, seed=0: np.zeros(len(Xt), dtype=int),
           fragments=("test accuracy of your trained LeNet is 0.1", "below the goal 0.92"))
    _fails(ch11.train_lenet, lambda X, y, Xt, seed=0: np.zeros((len(Xt), 10)),
           fragments=("one label per test image", "not the scores"))
    _fails(ch11.train_lenet, lambda X, y, Xt, seed=0: np.full(len(Xt), 0.5),
           fragments=("class labels 0..9",))
    _fails(ch11.train_lenet, lambda X, y, Xt, seed=0: train_lenet(X, y, Xt, seed, epochs=0),
           fragments=("below the goal",))


# -- stubs and the library's own code fail ---------------------------------------------------------


@pytest.mark.parametrize("hidden", [False, True])
@pytest.mark.parametrize("check, n", [
    (ch11.conv_output_size, 1), (ch11.conv_forward, 2), (ch11.conv_backward, 1), (ch11.max_pool, 2),
    (ch11.residual_block_backward, 1), (ch11.residual_block_backward, 2), (ch11.train_lenet, 1),
])
def test_stub_fails(check, n, hidden):
    _fails(check, *[_stub] * n, fragments=("not implemented yet",), hidden=hidden)


def test_calling_the_library_fails(capsys):
    import dlcourse.functional as F
    from dlcourse import models

    _fails(ch11.conv_output_size, lambda W, F_, P=0, S=1: F.conv_output_shape(W, F_, P, S),
           fragments=("reference implementation",))
    lib = lambda x, w, b, stride=1, padding=0: F.conv2d(x, w, b, stride, padding)  # noqa: E731
    _fails(ch11.conv_forward, lib, lib, fragments=("reference implementation",))

    def lib_backward(dout, x, w, stride=1, padding=0):
        _, cache = F.conv2d_forward(x, w, np.zeros(len(w)), stride, padding)
        return F.conv2d_backward(dout, cache)

    _fails(ch11.conv_backward, lib_backward, fragments=("reference implementation",))
    _fails(ch11.max_pool, lambda x, size=2, stride=2: F.max_pool2d(x, size, stride), _stub,
           fragments=("reference implementation",))

    def with_lenet(X, y, Xt, seed=0):
        return models.LeNet(rng=seed)(Xt).argmax(axis=1)

    _fails(ch11.train_lenet, with_lenet, fragments=("reference implementation",))
    _fails(ch11.residual_block_backward, lambda *a: ch11._ref_residual_block_backward(*a),
           fragments=("reference implementation",))


def test_changing_the_callers_array_fails_and_names_it():
    def pads_in_place(dout, x, w, stride=1, padding=0):
        result = conv2d_backward(dout, x, w, stride, padding)
        dout *= 0
        return result

    _fails(ch11.conv_backward, pads_in_place, fragments=("changed its argument `dout` in place",))


# -- hidden cases: well-posed for every seed, never shipped ---------------------------------------------


@pytest.mark.parametrize("seed", range(12))
def test_the_hidden_cases_of_every_seed_are_well_posed(seed, capsys):
    with core.hidden_source(HIDDEN, seed):
        ch11.conv_output_size(conv_output_size, hidden=True)
        assert float(ch11.conv_forward(conv2d_loops, conv2d_fast, hidden=True)) == 4
        assert float(ch11.conv_backward(conv2d_backward, hidden=True)) == 4
        assert float(ch11.max_pool(max_pool_forward, max_pool_backward_other, hidden=True)) == 3
        assert float(ch11.residual_block_backward(residual_block_backward, conv2d_backward, hidden=True)) == 3
        split = core.hidden("train_lenet")
        assert len(split["X_train"]) + len(split["X_test"]) == 1797
        assert sorted(set(split["y_test"].tolist())) == list(range(10))


@pytest.mark.parametrize("seed", [1, 2])
def test_the_grader_split_of_other_seeds_is_reachable(seed, capsys):
    with core.hidden_source(HIDDEN, seed):
        ch11.train_lenet(train_lenet, hidden=True)


def test_each_seed_has_its_own_hidden_cases_and_keeps_them():
    def inputs(seed):
        with core.hidden_source(HIDDEN, seed):
            return core.hidden("conv_forward")[0].args[0], core.hidden("train_lenet")["X_test"]

    (a1, s1), (a2, s2), (b1, t1) = inputs(1), inputs(1), inputs(2)
    assert np.array_equal(a1, a2) and np.array_equal(s1, s2)
    assert not (a1.shape == b1.shape and np.array_equal(a1, b1))
    assert not np.array_equal(s1, t1)


def test_no_hidden_case_reaches_a_student():
    assert_no_hidden_case_ships(ROOT, "ch11-cnn", HIDDEN)


def test_a_wrong_size_is_judged_wrong_by_the_grader():
    source = "from dlcourse.checks import ch11\nch11.conv_output_size(conv_output_size, hidden=True)"
    floors = lambda W, F, P=0, S=1: (W - F + 2 * P) // S + 1  # noqa: E731
    verdict = judged_outside(source, {"conv_output_size": floors},
                             answers_from={"conv_output_size": conv_output_size}, hidden_path=HIDDEN, seed=3)
    assert verdict.points == 0 and "needs a ValueError" in verdict.message
    honest = judged_outside(source, {"conv_output_size": conv_output_size_other},
                            answers_from={"conv_output_size": conv_output_size}, hidden_path=HIDDEN, seed=3)
    assert honest.points == 1, honest.message


def test_a_failure_is_a_check_failure_with_the_case():
    with pytest.raises(CheckFailure, match="the notes' 4x4 image"):
        ch11.conv_forward(lambda *a: np.zeros((1, 1, 3, 3)), _stub)


# -- partial credit survives the grader's replay --------------------------------------------------


def _averages(x, size=2, stride=2):
    from numpy.lib.stride_tricks import sliding_window_view

    return sliding_window_view(x, (size, size), axis=(2, 3))[:, :, ::stride, ::stride].mean(axis=(4, 5))


def _conv_flipped(x, w, b, stride=1, padding=0):
    return conv2d_fast(x, w[:, :, ::-1, ::-1], b, stride, padding)


@pytest.mark.parametrize("cell, students, right, points", [
    ("ch11.max_pool(max_pool_forward, max_pool_backward, hidden=True)",
     {"max_pool_forward": _averages, "max_pool_backward": max_pool_backward},
     {"max_pool_forward": max_pool_forward, "max_pool_backward": max_pool_backward}, 2),
    ("ch11.conv_forward(conv2d_loops, conv2d_fast, hidden=True)",
     {"conv2d_loops": _conv_flipped, "conv2d_fast": conv2d_fast},
     {"conv2d_loops": conv2d_loops, "conv2d_fast": conv2d_fast}, 2),
], ids=["max_pool: wrong forward, right backward", "conv_forward: wrong loops, right fast"])
def test_a_wrong_first_part_keeps_the_later_parts_points_under_the_grader(cell, students, right, points, capsys):
    # the grader replays the answer key's calls in order: a check that stopped calling the
    # first function at its first wrong case would hand the second one the wrong answers
    source = "from dlcourse.checks import ch11\n" + cell
    verdict = judged_outside(source, students, answers_from=right, hidden_path=HIDDEN, seed=5, points=4)
    assert (verdict.points, verdict.outcome) == (points, "partial"), verdict.message
    assert "did not prepare" not in verdict.message
    with core.hidden_source(HIDDEN, 5):
        in_the_notebook = float(eval(cell, {"ch11": ch11, **students}))  # noqa: S307 (the test's own cell)
    assert in_the_notebook == verdict.points
