"""Conv2d and the functional convolution, checked against PyTorch, the notes and numerical gradients."""

import numpy as np
import pytest
import torch

import dlcourse.functional as F
from dlcourse.gradcheck import numerical_gradient
from dlcourse.nn import Conv2d

# (N, C_in, H, W, C_out, kernel, stride, padding, dilation)
CASES = [
    (2, 3, 8, 8, 4, 3, 1, 1, 1),
    (1, 1, 7, 9, 2, 3, 2, 0, 1),          # batch 1, odd sizes
    (3, 2, 9, 7, 5, (3, 2), (2, 1), (1, 2), (1, 2)),
    (2, 5, 11, 10, 3, 5, 3, 2, 1),
    (2, 4, 10, 10, 6, 3, 1, 0, 3),        # dilation 3
    (1, 3, 6, 5, 2, (1, 4), (3, 1), (0, 1), (2, 1)),
    (4, 2, 5, 5, 3, 5, 1, 0, 1),          # kernel as large as the input
    (2, 3, 6, 6, 7, 1, 1, 0, 1),          # 1x1
]


def _layer_and_torch(case, dtype=np.float64, bias=True, seed=0):
    n, c, h, w, o, k, s, p, d = case
    layer = Conv2d(c, o, k, stride=s, padding=p, dilation=d, bias=bias, rng=seed, dtype=dtype)
    ref = torch.nn.Conv2d(c, o, k, stride=s, padding=p, dilation=d, bias=bias,
                          dtype=torch.float64 if dtype == np.float64 else torch.float32)
    with torch.no_grad():
        ref.weight.copy_(torch.from_numpy(layer.weight.data))
        if bias:
            ref.bias.copy_(torch.from_numpy(layer.bias.data))
    x = np.random.default_rng(seed + 1).normal(size=(n, c, h, w)).astype(dtype)
    return layer, ref, x


@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("case", CASES)
def test_conv2d_matches_torch_forward_and_backward(case, bias):
    layer, ref, x = _layer_and_torch(case, bias=bias)
    x_before = x.copy()
    y = layer(x)
    xt = torch.tensor(x, requires_grad=True)
    yt = ref(xt)
    assert y.shape == tuple(yt.shape)
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=0, atol=1e-10)

    grad = np.random.default_rng(7).normal(size=y.shape)
    grad_before = grad.copy()
    dx = layer.backward(grad)
    yt.backward(torch.from_numpy(grad))
    np.testing.assert_array_equal(grad, grad_before)  # backward leaves its input alone
    np.testing.assert_array_equal(x, x_before)
    assert dx.shape == x.shape
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=0, atol=1e-10)
    np.testing.assert_allclose(layer.weight.grad, ref.weight.grad.numpy(), rtol=0, atol=1e-10)
    if bias:
        np.testing.assert_allclose(layer.bias.grad, ref.bias.grad.numpy(), rtol=0, atol=1e-10)
    else:
        assert layer.bias is None and len(list(layer.parameters())) == 1


@pytest.mark.parametrize("case", CASES)
def test_naive_and_fast_convolution_agree(case):
    layer, _, x = _layer_and_torch(case)
    n, c, h, w, o, k, s, p, d = case
    fast = F.conv2d(x, layer.weight.data, layer.bias.data, s, p, d)
    naive = F.conv2d_naive(x, layer.weight.data, layer.bias.data, s, p, d)
    np.testing.assert_allclose(naive, fast, rtol=0, atol=1e-12)
    np.testing.assert_allclose(F.conv2d_forward(x, layer.weight.data, None, s, p, d)[0],
                               F.conv2d_naive(x, layer.weight.data, None, s, p, d), rtol=0, atol=1e-12)


def test_functional_conv2d_matches_torch_functional():
    rng = np.random.default_rng(3)
    x, w, b = rng.normal(size=(2, 3, 9, 8)), rng.normal(size=(4, 3, 3, 3)), rng.normal(size=4)
    y = F.conv2d(x, w, b, stride=2, padding=(1, 0), dilation=(1, 2))
    expected = torch.nn.functional.conv2d(torch.from_numpy(x), torch.from_numpy(w), torch.from_numpy(b),
                                          stride=2, padding=(1, 0), dilation=(1, 2))
    np.testing.assert_allclose(y, expected.numpy(), rtol=0, atol=1e-12)


@pytest.mark.parametrize("case", [(2, 2, 5, 4, 3, 3, 2, 1, 1), (1, 3, 6, 6, 2, (2, 3), 1, (0, 1), 2)])
def test_conv2d_passes_numerical_gradient_check(case):
    layer, _, x = _layer_and_torch(case, seed=4)
    g = np.random.default_rng(5).normal(size=layer(x).shape)

    def loss():
        return float(np.sum(layer.forward(x) * g))

    layer.zero_grad()
    layer(x)
    dx = layer.backward(g)
    np.testing.assert_allclose(dx, numerical_gradient(lambda _: loss(), x), rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(layer.weight.grad, numerical_gradient(lambda _: loss(), layer.weight.data),
                               rtol=1e-6, atol=1e-8)
    np.testing.assert_allclose(layer.bias.grad, numerical_gradient(lambda _: loss(), layer.bias.data),
                               rtol=1e-6, atol=1e-8)


def test_float32_stays_float32_and_matches_torch():
    layer, ref, x = _layer_and_torch((2, 3, 8, 8, 4, 3, 2, 1, 1), dtype=np.float32)
    y = layer(x)
    dx = layer.backward(np.ones_like(y))
    assert y.dtype == dx.dtype == layer.weight.grad.dtype == layer.bias.grad.dtype == np.float32
    xt = torch.tensor(x, requires_grad=True)
    yt = ref(xt)
    yt.sum().backward()
    np.testing.assert_allclose(y, yt.detach().numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(dx, xt.grad.numpy(), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(layer.weight.grad, ref.weight.grad.numpy(), rtol=1e-5, atol=1e-4)
    naive = F.conv2d_naive(x, layer.weight.data, layer.bias.data, 2, 1)
    assert naive.dtype == np.float32


def test_one_by_one_convolution_mixes_channels_pixel_by_pixel():
    layer, ref, x = _layer_and_torch((2, 6, 5, 4, 3, 1, 1, 0, 1))
    y = layer(x)
    # y[n, o, h, w] = b[o] + sum_c w[o, c] x[n, c, h, w]: a Linear layer applied to every pixel
    expected = np.einsum("oc,nchw->nohw", layer.weight.data[:, :, 0, 0], x) + layer.bias.data[:, None, None]
    np.testing.assert_allclose(y, expected, rtol=0, atol=1e-12)
    np.testing.assert_allclose(y, ref(torch.from_numpy(x)).detach().numpy(), rtol=0, atol=1e-12)
    assert y.shape[2:] == x.shape[2:] and layer.weight.data.size == 3 * 6


def test_gradients_accumulate_and_zero_grad_clears_them():
    layer, _, x = _layer_and_torch((2, 3, 6, 6, 2, 3, 1, 1, 1))
    g = np.ones(layer(x).shape)
    layer.backward(g)
    first = layer.weight.grad.copy()
    layer(x)
    layer.backward(g)
    np.testing.assert_allclose(layer.weight.grad, 2 * first)
    layer.zero_grad()
    assert layer.weight.grad is None and layer.bias.grad is None


def test_backward_before_forward_is_a_clear_error():
    with pytest.raises(RuntimeError, match="before forward"):
        Conv2d(1, 1, 3).backward(np.zeros((1, 1, 2, 2)))


def test_default_initialisation_follows_torch_bound():
    layer = Conv2d(8, 64, 3, rng=np.random.default_rng(0))
    bound = 1 / np.sqrt(8 * 3 * 3)
    assert layer.weight.data.shape == (64, 8, 3, 3) and layer.bias.data.shape == (64,)
    assert np.abs(layer.weight.data).max() <= bound and np.abs(layer.bias.data).max() <= bound
    assert np.abs(layer.weight.data).max() > 0.95 * bound          # uniform over the whole range
    assert abs(layer.weight.data.std() - bound / np.sqrt(3)) < 0.05 * bound
    np.testing.assert_array_equal(Conv2d(8, 64, 3, rng=1).weight.data, Conv2d(8, 64, 3, rng=1).weight.data)
    assert Conv2d(2, 2, 3, dtype=np.float32).weight.data.dtype == np.float32


def test_notes_layer_sizes():
    # 6 filters of 5x5 on a 32x32 image: 28x28x6 neurons, 150 weights (+ 6 biases)
    first = Conv2d(1, 6, 5, rng=0)
    assert first(np.zeros((1, 1, 32, 32))).shape == (1, 6, 28, 28)
    assert first.weight.data.size == 150 and first.bias.data.size == 6
    # 16 filters of 5x5x6 on 14x14x6: 10x10x16 = 1600 neurons, 2400 weights (+ 16 biases)
    second = Conv2d(6, 16, 5, rng=0)
    y = second(np.zeros((1, 6, 14, 14)))
    assert y.shape == (1, 16, 10, 10) and y[0].size == 1600
    assert second.weight.data.size == 2400 and second.bias.data.size == 16


def test_conv_output_shape_follows_the_notes_formula():
    assert F.conv_output_shape(32, 5) == 28
    assert F.conv_output_shape(14, 5) == 10
    assert F.conv_output_shape(28, 2, S=2) == 14
    assert F.conv_output_shape(32, 3, P=1) == 32
    assert F.conv_output_shape(7, 3, S=2) == 3
    assert F.conv_output_shape(10, 3, dilation=2) == 6
    with pytest.raises(ValueError, match=r"\(8 - 3 \+ 2\*0\)/3 \+ 1 = 2.66667.*padding P=2 makes it fit"):
        F.conv_output_shape(8, 3, S=3)
    with pytest.raises(ValueError, match=r"= 3.5 is not an integer.*no padding makes it fit with stride 2"):
        F.conv_output_shape(8, 3, S=2)
    assert F.conv_output_shape(8, 3, S=2, strict=False) == 3      # PyTorch rounds down
    with pytest.raises(ValueError, match="larger than the padded input"):
        F.conv_output_shape(4, 7, P=1)
    with pytest.raises(ValueError, match="S must be an integer >= 1"):
        F.conv_output_shape(8, 3, S=0)


def test_conv_output_shape_agrees_with_the_layer():
    for h, k, p, s, d in [(9, 3, 1, 2, 1), (11, 5, 2, 3, 1), (10, 3, 0, 1, 3), (8, 2, 0, 2, 1)]:
        y = F.conv2d(np.zeros((1, 1, h, h)), np.zeros((1, 1, k, k)), stride=s, padding=p, dilation=d)
        assert y.shape[2] == F.conv_output_shape(h, k, p, s, d, strict=False)


def test_wrong_channel_count_is_named():
    layer = Conv2d(3, 4, 3)
    message = "Conv2d expected input with 3 channels (in_channels), got 4 in shape (2, 4, 8, 8)"
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        layer(np.zeros((2, 4, 8, 8)))
    with pytest.raises(ValueError, match="expected input with 3 channels"):
        F.conv2d(np.zeros((2, 4, 8, 8)), np.zeros((4, 3, 3, 3)))


def test_non_4d_input_is_refused():
    with pytest.raises(ValueError, match=r"4-D input.*\(3, 8, 8\).*x\[None\]"):
        Conv2d(3, 4, 3)(np.zeros((3, 8, 8)))
    with pytest.raises(ValueError, match="4-D input"):
        F.conv2d(np.zeros((8, 8)), np.zeros((1, 1, 3, 3)))


def test_kernel_larger_than_padded_input_is_refused():
    with pytest.raises(ValueError, match=r"kernel 5x5.*larger than the padded input 4x4"):
        Conv2d(1, 1, 5, padding=1)(np.zeros((1, 1, 2, 2)))
    assert Conv2d(1, 1, 5, padding=1)(np.zeros((1, 1, 3, 3))).shape == (1, 1, 1, 1)  # fits exactly
    with pytest.raises(ValueError, match="larger than the padded input"):
        Conv2d(1, 1, 3, dilation=3)(np.zeros((1, 1, 6, 6)))


def test_bad_arguments_are_refused():
    with pytest.raises(TypeError, match="dtype float32 and weight dtype float64"):
        Conv2d(1, 1, 3)(np.zeros((1, 1, 5, 5), dtype=np.float32))
    with pytest.raises(ValueError, match="stride must be >= 1"):
        F.conv2d(np.zeros((1, 1, 5, 5)), np.zeros((1, 1, 3, 3)), stride=0)
    with pytest.raises(TypeError, match="padding must be an int or a pair"):
        F.conv2d(np.zeros((1, 1, 5, 5)), np.zeros((1, 1, 3, 3)), padding=1.5)
    with pytest.raises(ValueError, match=r"bias of shape \(2,\)"):
        F.conv2d(np.zeros((1, 1, 5, 5)), np.zeros((2, 1, 3, 3)), bias=np.zeros(3))
    with pytest.raises(ValueError, match="in_channels must be a positive integer"):
        Conv2d(0, 1, 3)
    with pytest.raises(ValueError, match=r"grad_out has shape \(1, 1, 2, 2\), expected \(1, 1, 3, 3\)"):
        layer = Conv2d(1, 1, 3)
        layer(np.zeros((1, 1, 5, 5)))
        layer.backward(np.zeros((1, 1, 2, 2)))


@pytest.mark.parametrize("padding, kernel, dilation", [("same", 3, 1), ("same", (5, 1), (1, 3)), ("same", 2, 2),
                                                       ("valid", 3, 1)])
def test_string_paddings_match_torch(padding, kernel, dilation):
    layer = Conv2d(2, 3, kernel, padding=padding, dilation=dilation, rng=0)
    ref = torch.nn.Conv2d(2, 3, kernel, padding=padding, dilation=dilation, dtype=torch.float64)
    with torch.no_grad():
        ref.weight.copy_(torch.from_numpy(layer.weight.data))
        ref.bias.copy_(torch.from_numpy(layer.bias.data))
    x = np.random.default_rng(1).normal(size=(2, 2, 7, 8))
    y = layer(x)
    np.testing.assert_allclose(y, ref(torch.from_numpy(x)).detach().numpy(), rtol=0, atol=1e-12)
    if padding == "same":
        assert y.shape[2:] == x.shape[2:]


def test_same_padding_limits_are_explained():
    with pytest.raises(ValueError, match="needs stride 1"):
        Conv2d(1, 1, 3, stride=2, padding="same")
    with pytest.raises(ValueError, match="use an odd kernel"):
        Conv2d(1, 1, 4, padding="same")
    with pytest.raises(ValueError, match="'valid' or 'same', got 'full'"):
        F.conv2d(np.zeros((1, 1, 4, 4)), np.zeros((1, 1, 3, 3)), padding="full")


def test_large_batches_are_convolved_in_chunks_with_the_same_result(monkeypatch):
    import dlcourse.functional.conv as conv_module

    layer, ref, x = _layer_and_torch((7, 3, 9, 8, 4, 3, 2, 1, 1))
    y_whole = layer(x)
    grads_whole = layer.backward(np.ones_like(y_whole)), layer.weight.grad.copy(), layer.bias.grad.copy()
    layer.zero_grad()
    monkeypatch.setattr(conv_module, "COLUMNS_BYTES", 3 * 27 * 20 * 8)   # three images per chunk
    assert len(conv_module._chunks(7, 27 * 20 * 8)) == 3
    y_chunks = layer(x)
    grads_chunks = layer.backward(np.ones_like(y_chunks)), layer.weight.grad, layer.bias.grad
    np.testing.assert_allclose(y_chunks, y_whole, rtol=0, atol=1e-12)
    for chunked, whole in zip(grads_chunks, grads_whole):
        np.testing.assert_allclose(chunked, whole, rtol=0, atol=1e-12)


def test_notes_four_by_four_example_sparse_connectivity_and_weight_sharing():
    # the notes: a 4x4 image with pixels 1..16 and a 2x2 kernel [[1, 2], [3, 4]]
    image = np.arange(1, 17, dtype=float).reshape(1, 1, 4, 4)
    kernel = np.array([[1.0, 2.0], [3.0, 4.0]]).reshape(1, 1, 2, 2)
    y = F.conv2d_naive(image, kernel)
    assert y.shape == (1, 1, 3, 3)
    assert y[0, 0, 0, 0] == 1 * 1 + 2 * 2 + 5 * 3 + 6 * 4          # only pixels 1, 2, 5 and 6
    np.testing.assert_array_equal(F.conv2d(image, kernel), y)
    # sparse connectivity: the first output neuron's gradient reaches those four pixels only
    _, cache = F.conv2d_forward(image, kernel)
    one_neuron = np.zeros((1, 1, 3, 3))
    one_neuron[0, 0, 0, 0] = 1
    dx, _, _ = F.conv2d_backward(one_neuron, cache)
    connected = np.flatnonzero(dx[0, 0]) + 1
    np.testing.assert_array_equal(connected, [1, 2, 5, 6])
    # weight sharing: every output neuron uses the same 4 weights, so their gradients add up
    _, dw_all, _ = F.conv2d_backward(np.ones((1, 1, 3, 3)), cache)
    windows_sum = sum(image[0, 0, i:i + 2, j:j + 2] for i in range(3) for j in range(3))
    np.testing.assert_array_equal(dw_all[0, 0], windows_sum)


def test_conv_backward_without_the_input_gradient():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(2, 3, 7, 6))
    conv = Conv2d(3, 4, 3, stride=2, padding=1, rng=0)
    g = rng.normal(size=conv(x).shape)
    dx = conv.backward(g)
    dw, db = conv.weight.grad.copy(), conv.bias.grad.copy()
    conv.zero_grad()
    conv(x)
    assert dx.shape == x.shape and conv.backward(g, needs_input_grad=False) is None
    np.testing.assert_array_equal(conv.weight.grad, dw)
    np.testing.assert_array_equal(conv.bias.grad, db)


# stride-1 shapes, which take the row-major path (the padded image read row after row)
STRIDE_ONE = [
    (3, 16, 14, 14, 32, 3, 1, 1, 1),      # a CNN's second layer
    (5, 6, 14, 14, 16, 5, 1, 0, 1),       # LeNet-5's second layer, no padding
    (2, 3, 9, 7, 4, (3, 2), 1, (2, 0), (2, 3)),   # uneven kernel, padding and dilation
    (1, 2, 4, 4, 3, 3, 1, 1, 1),          # LeNet's 4x4 maps
    (3, 5, 8, 9, 6, (2, 3), 1, (0, 2), (3, 2)),   # wide kernel, dilated both ways, padding on one axis
    (4, 4, 5, 6, 3, (1, 2), 1, (1, 3), 1),        # padding wider than the kernel: rows as long as W_out
]


@pytest.mark.parametrize("input_grad_path", ["col2im", "kernel-rows"])
@pytest.mark.parametrize("columns_bytes", [1, 2**30], ids=["one-image-chunks", "one-chunk-kept-columns"])
@pytest.mark.parametrize("dtype, tolerance", [(np.float64, 1e-10), (np.float32, 2e-4)])
@pytest.mark.parametrize("case", STRIDE_ONE)
def test_stride_one_path_matches_torch_in_both_dtypes(case, dtype, tolerance, columns_bytes, input_grad_path,
                                                      monkeypatch):
    import dlcourse.functional.conv as conv_module

    # 1 byte: one image per chunk, every chunk boundary, backward rebuilds the columns;
    # 1 GB: the whole batch is one chunk, backward reuses the forward pass's columns
    monkeypatch.setattr(conv_module, "COLUMNS_BYTES", columns_bytes)
    # the input gradient by col2im of every tap, or by kernel rows, whatever the channel count
    monkeypatch.setattr(conv_module, "KERNEL_ROWS_MIN", 10**9 if input_grad_path == "col2im" else 0)
    layer, ref, x = _layer_and_torch(case, dtype=dtype, seed=2)
    y = layer(x)
    cache = layer._saved()[0]
    assert cache[0] == "rows"
    assert (cache[2] is not None) == (columns_bytes > 1 or len(x) == 1)
    grad = np.random.default_rng(3).normal(size=y.shape).astype(dtype)
    dx = layer.backward(grad)
    xt = torch.tensor(x, requires_grad=True)
    yt = ref(xt)
    yt.backward(torch.from_numpy(grad))
    assert y.dtype == dx.dtype == layer.weight.grad.dtype == layer.bias.grad.dtype == dtype
    for ours, theirs in ((y, yt), (dx, xt.grad), (layer.weight.grad, ref.weight.grad), (layer.bias.grad, ref.bias.grad)):
        theirs = theirs.detach().numpy()
        np.testing.assert_allclose(ours, theirs, rtol=tolerance, atol=tolerance * np.abs(theirs).max())


def test_stride_one_chunks_give_the_same_numbers_as_one_chunk(monkeypatch):
    import dlcourse.functional.conv as conv_module

    rng = np.random.default_rng(4)
    x, w, b = rng.normal(size=(7, 4, 6, 5)), rng.normal(size=(3, 4, 3, 3)), rng.normal(size=3)
    g = rng.normal(size=(7, 3, 6, 5))
    y_one, cache = F.conv2d_forward(x, w, b, padding=1)
    whole = F.conv2d_backward(g, cache)
    monkeypatch.setattr(conv_module, "COLUMNS_BYTES", 3 * 36 * 6 * 7 * 8)  # three images, a last chunk of one
    assert [part.stop - part.start for part in conv_module._chunks(7, 36 * 6 * 7 * 8)] == [3, 3, 1]
    y_chunks, cache = F.conv2d_forward(x, w, b, padding=1)
    np.testing.assert_allclose(y_chunks, y_one, rtol=0, atol=1e-12)
    for chunked, one in zip(F.conv2d_backward(g, cache), whole):
        np.testing.assert_allclose(chunked, one, rtol=0, atol=1e-12)
    np.testing.assert_allclose(y_one, F.conv2d_naive(x, w, b, padding=1), rtol=0, atol=1e-12)


@pytest.mark.parametrize("case", STRIDE_ONE)
def test_input_gradient_by_kernel_rows_equals_col2im_of_every_tap(case, monkeypatch):
    import dlcourse.functional.conv as conv_module

    monkeypatch.setattr(conv_module, "COLUMNS_BYTES", 2 * 8 * 60 * 9 * 3)   # chunks of a few images
    layer, _, x = _layer_and_torch(case, seed=6)
    grad = np.random.default_rng(7).normal(size=layer(x).shape)
    _, cache = F.conv2d_forward(x, layer.weight.data, layer.bias.data, layer.stride, layer.padding, layer.dilation)
    monkeypatch.setattr(conv_module, "KERNEL_ROWS_MIN", 10**9)
    by_taps = F.conv2d_backward(grad, cache)[0]
    monkeypatch.setattr(conv_module, "KERNEL_ROWS_MIN", 0)
    by_rows = F.conv2d_backward(grad, cache)[0]
    np.testing.assert_allclose(by_rows, by_taps, rtol=1e-12, atol=1e-12 * np.abs(by_taps).max())
    assert not np.shares_memory(by_rows, by_taps)


def test_kept_columns_of_one_chunk_are_not_changed_by_a_later_forward_pass():
    # the backward pass of the first batch must use the first batch's columns
    rng = np.random.default_rng(5)
    w, b = rng.normal(size=(3, 2, 3, 3)), rng.normal(size=3)
    x_first, x_second = rng.normal(size=(2, 2, 5, 5)), rng.normal(size=(2, 2, 5, 5))
    g = rng.normal(size=(2, 3, 5, 5))
    _, first = F.conv2d_forward(x_first, w, b, padding=1)
    expected = F.conv2d_backward(g, first)
    assert first[2] is not None                       # one chunk: the columns are kept
    _, second = F.conv2d_forward(x_second, w, b, padding=1)
    for later, before in zip(F.conv2d_backward(g, first), expected):
        np.testing.assert_array_equal(later, before)
    reference = torch.tensor(x_first, requires_grad=True)
    w_t = torch.tensor(w, requires_grad=True)
    torch.nn.functional.conv2d(reference, w_t, torch.tensor(b), padding=1).backward(torch.tensor(g))
    np.testing.assert_allclose(expected[0], reference.grad.numpy(), rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(expected[1], w_t.grad.numpy(), rtol=1e-10, atol=1e-12)
