"""Pooling over 2-D windows: max, average and adaptive (global) average, forward and backward.

Chapter "Convolutional Neural Network": a pooling layer slides a window of size
F with stride S over every channel separately and keeps one number per
placement - the largest (max pooling) or the mean (average pooling). It learns
no parameters. The output size follows the same rule as a convolution,
H_out = floor((H + 2P - F) / S) + 1, and the stride defaults to the window size
(non-overlapping windows), as in PyTorch.

GoogLeNet's last layer averages each whole feature map: (N, C, H, W) -> (N, C, 1, 1),
which is ``adaptive_avg_pool2d(x, 1)``.

Each window is visited through its kh*kw kernel offsets, one vectorised step per
offset (see ``conv._offset_slices``); no loop runs over images or pixels.
Arrays keep the dtype of ``x``. ``ceil_mode=True`` is not supported.
"""

import numpy as np

from dlcourse.functional.conv import (
    _check_4d,
    _check_nonnegative,
    _check_positive,
    _offset_slices,
    _output_hw,
    _pad,
    _pair,
    _unpad,
)

__all__ = [
    "max_pool2d", "max_pool2d_forward", "max_pool2d_backward",
    "avg_pool2d", "avg_pool2d_forward", "avg_pool2d_backward",
    "adaptive_avg_pool2d", "adaptive_avg_pool2d_forward", "adaptive_avg_pool2d_backward",
]


def _pool_args(name, x, kernel_size, stride, padding, dilation, ceil_mode):
    x = _check_4d(x, name)
    if ceil_mode:
        raise NotImplementedError(f"{name}: ceil_mode=True is not supported, use ceil_mode=False")
    kernel = _check_positive(_pair(kernel_size, "kernel_size"), "kernel_size")
    stride = kernel if stride is None else _check_positive(_pair(stride, "stride"), "stride")
    padding = _check_nonnegative(_pair(padding, "padding"), "padding")
    dilation = _check_positive(_pair(dilation, "dilation"), "dilation")
    if padding[0] > kernel[0] // 2 or padding[1] > kernel[1] // 2:
        raise ValueError(
            f"{name}: padding {padding} should be at most half of kernel_size {kernel} "
            "(otherwise a window could hold nothing but padding)"
        )
    out_hw = _output_hw(name, x.shape, kernel, stride, padding, dilation)
    return x, kernel, stride, padding, dilation, out_hw


# -- max pooling ------------------------------------------------------------------

def max_pool2d_forward(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    """y[n, c, i, j] = max over the window (a, b) of xp[n, c, i*s + a*d, j*s + b*d].

    Inputs: x (N, C, H, W); padding adds -inf borders (they never win).
    Returns: y (N, C, H_out, W_out) and a cache holding, for every output, the
    kernel offset a*kw + b of its maximum. Ties go to the first maximum in
    row-major window order and a NaN wins, exactly as PyTorch on the CPU.
    """
    x, kernel, stride, padding, dilation, out_hw = _pool_args(
        "max_pool2d", x, kernel_size, stride, padding, dilation, ceil_mode
    )
    xp = _pad(x, padding, value=-np.inf)
    index_type = np.uint8 if kernel[0] * kernel[1] <= 256 else np.intp
    has_nan = np.isnan(x).any()   # one contiguous pass, instead of a strided one per offset
    y = None
    for a, b, rows, cols in _offset_slices(kernel, stride, dilation, out_hw):
        candidate = xp[:, :, rows, cols]
        if y is None:
            y = candidate.copy()
            argmax = np.zeros(y.shape, dtype=index_type)
            better, is_nan = np.empty(y.shape, dtype=bool), np.empty(y.shape, dtype=bool)
            offset = np.empty(y.shape, dtype=index_type)
            continue
        # the buffers are reused at every offset: fresh arrays this size cost more than the comparisons
        np.greater(candidate, y, out=better)       # strictly greater: ties keep the first maximum
        if has_nan:
            better |= np.not_equal(candidate, candidate, out=is_nan)   # NaN wins
        # offsets come in increasing order, so a new winner always has the largest index yet
        np.multiply(better, index_type(a * kernel[1] + b), out=offset)
        np.maximum(argmax, offset, out=argmax)
        np.maximum(y, candidate, out=y)            # NaN propagates, as PyTorch's max
    cache = (argmax, x.shape, kernel, stride, padding, dilation, out_hw)
    return y, cache


def max_pool2d_backward(grad_out, cache):
    """dL/dx: each output's gradient goes to the input that was its maximum.

    Inputs: grad_out (N, C, H_out, W_out); cache from :func:`max_pool2d_forward`.
    Returns: dx (N, C, H, W). Inputs that won in two overlapping windows
    receive both gradients; all other inputs get zero.
    """
    argmax, x_shape, kernel, stride, padding, dilation, out_hw = cache
    grad_out = np.asarray(grad_out)
    if grad_out.shape != argmax.shape:
        raise ValueError(f"max_pool2d_backward: grad_out has shape {grad_out.shape}, expected {argmax.shape}")
    n, c, h, w = x_shape
    dxp = np.zeros((n, c, h + 2 * padding[0], w + 2 * padding[1]), dtype=grad_out.dtype)
    overlapping = any(s < d * (k - 1) + 1 for s, k, d in zip(stride, kernel, dilation))
    finite = np.isfinite(grad_out).all()          # then g * [won] is exact and faster than np.where
    zero = np.zeros((), dtype=grad_out.dtype)
    won = np.empty(argmax.shape, dtype=bool)
    share = np.empty(argmax.shape, dtype=grad_out.dtype)
    for a, b, rows, cols in _offset_slices(kernel, stride, dilation, out_hw):
        np.equal(argmax, a * kernel[1] + b, out=won)
        if finite:
            np.multiply(grad_out, won, out=share)
        else:
            np.copyto(share, np.where(won, grad_out, zero))
        if overlapping:
            dxp[:, :, rows, cols] += share
        else:                                      # each input lies in one window at most
            dxp[:, :, rows, cols] = share
    return _unpad(dxp, padding)


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """Max pooling, the forward pass alone (as ``torch.nn.functional.max_pool2d``)."""
    if return_indices:
        raise NotImplementedError("max_pool2d: return_indices=True is not supported")
    return max_pool2d_forward(x, kernel_size, stride, padding, dilation, ceil_mode)[0]


# -- average pooling ------------------------------------------------------------

def _avg_divisor(x_shape, kernel, stride, padding, out_hw, count_include_pad, divisor_override, dtype):
    """What each window's sum is divided by: a number, or an (H_out, W_out) array."""
    if divisor_override is not None:
        if divisor_override <= 0:
            raise ValueError(f"divisor_override must be positive, got {divisor_override}")
        return dtype.type(divisor_override)
    if count_include_pad or padding == (0, 0):
        return dtype.type(kernel[0] * kernel[1])
    inside = _pad(np.ones((1, 1, *x_shape[2:]), dtype=dtype), padding)
    count = np.zeros(out_hw, dtype=dtype)
    for _, _, rows, cols in _offset_slices(kernel, stride, (1, 1), out_hw):
        count += inside[0, 0, rows, cols]
    return count


def avg_pool2d_forward(x, kernel_size, stride=None, padding=0, ceil_mode=False,
                       count_include_pad=True, divisor_override=None):
    """y[n, c, i, j] = (sum over the window of xp[n, c, i*s + a, j*s + b]) / divisor.

    Inputs: x (N, C, H, W); padding adds zero borders. The divisor is kh*kw
    (``count_include_pad=True``, PyTorch's default), the number of real (not
    padding) inputs in the window (``False``), or ``divisor_override``.
    Returns: y (N, C, H_out, W_out) and a cache for :func:`avg_pool2d_backward`.
    """
    x, kernel, stride, padding, dilation, out_hw = _pool_args(
        "avg_pool2d", x, kernel_size, stride, padding, 1, ceil_mode
    )
    xp = _pad(x, padding)
    total = np.zeros((*x.shape[:2], *out_hw), dtype=x.dtype)
    for _, _, rows, cols in _offset_slices(kernel, stride, dilation, out_hw):
        total += xp[:, :, rows, cols]
    divisor = _avg_divisor(x.shape, kernel, stride, padding, out_hw, count_include_pad,
                           divisor_override, x.dtype)
    cache = (divisor, x.shape, kernel, stride, padding, out_hw)
    return total / divisor, cache


def avg_pool2d_backward(grad_out, cache):
    """dL/dx: each output's gradient, divided by its divisor, goes to every input of its window.

    Inputs: grad_out (N, C, H_out, W_out); cache from :func:`avg_pool2d_forward`.
    Returns: dx (N, C, H, W).
    """
    divisor, x_shape, kernel, stride, padding, out_hw = cache
    grad_out = np.asarray(grad_out)
    expected = (*x_shape[:2], *out_hw)
    if grad_out.shape != expected:
        raise ValueError(f"avg_pool2d_backward: grad_out has shape {grad_out.shape}, expected {expected}")
    n, c, h, w = x_shape
    share = grad_out / divisor
    dxp = np.zeros((n, c, h + 2 * padding[0], w + 2 * padding[1]), dtype=share.dtype)
    for _, _, rows, cols in _offset_slices(kernel, stride, (1, 1), out_hw):
        dxp[:, :, rows, cols] += share
    return _unpad(dxp, padding)


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """Average pooling, the forward pass alone (as ``torch.nn.functional.avg_pool2d``)."""
    return avg_pool2d_forward(x, kernel_size, stride, padding, ceil_mode,
                              count_include_pad, divisor_override)[0]


# -- adaptive average pooling ---------------------------------------------------------

def _adaptive_matrix(size, out_size, dtype):
    """A (out_size, size) averaging matrix: row i averages inputs start_i .. end_i - 1.

    PyTorch's bins: start_i = floor(i*size/out_size), end_i = ceil((i+1)*size/out_size);
    bins may overlap by one when ``size`` is not a multiple of ``out_size``.
    """
    i = np.arange(out_size)
    start = (i * size) // out_size
    end = -((-(i + 1) * size) // out_size)
    pixel = np.arange(size)
    inside = (pixel >= start[:, None]) & (pixel < end[:, None])
    return (inside / (end - start)[:, None]).astype(dtype)


def _adaptive_size(output_size, x_shape):
    if isinstance(output_size, (int, np.integer)) and not isinstance(output_size, bool):
        output_size = (output_size, output_size)
    if not (isinstance(output_size, (tuple, list)) and len(output_size) == 2):
        raise TypeError(f"output_size must be an int or a pair (rows, columns), got {output_size!r}")
    size = tuple(x_shape[2 + k] if s is None else int(s) for k, s in enumerate(output_size))
    if min(size) < 1:
        raise ValueError(f"output_size must be >= 1, got {output_size}")
    return size


def adaptive_avg_pool2d_forward(x, output_size):
    """Average pooling to a fixed output size (H_out, W_out), whatever the input size.

    y = A_h @ x @ A_w^T on every channel, with the averaging matrices of
    :func:`_adaptive_matrix`; ``output_size=1`` is global average pooling,
    y[n, c] = mean over (h, w) of x[n, c, h, w].
    Inputs: x (N, C, H, W); output_size int, pair, or pair with ``None`` (keep that size).
    Returns: y (N, C, H_out, W_out) and a cache.
    """
    x = _check_4d(x, "adaptive_avg_pool2d")
    out_hw = _adaptive_size(output_size, x.shape)
    if out_hw == (1, 1):
        return x.mean(axis=(2, 3), keepdims=True), (None, None, x.shape)
    rows = _adaptive_matrix(x.shape[2], out_hw[0], x.dtype)
    cols = _adaptive_matrix(x.shape[3], out_hw[1], x.dtype)
    y = np.einsum("ih,nchw,jw->ncij", rows, x, cols, optimize=True)
    return y, (rows, cols, x.shape)


def adaptive_avg_pool2d_backward(grad_out, cache):
    """dL/dx = A_h^T @ dL/dy @ A_w: each input gets its share of every bin it belongs to.

    Inputs: grad_out (N, C, H_out, W_out); cache from :func:`adaptive_avg_pool2d_forward`.
    Returns: dx (N, C, H, W).
    """
    rows, cols, x_shape = cache
    grad_out = np.asarray(grad_out)
    out_hw = (1, 1) if rows is None else (rows.shape[0], cols.shape[0])
    expected = (*x_shape[:2], *out_hw)
    if grad_out.shape != expected:
        raise ValueError(
            f"adaptive_avg_pool2d_backward: grad_out has shape {grad_out.shape}, expected {expected}"
        )
    if rows is None:
        share = grad_out / grad_out.dtype.type(x_shape[2] * x_shape[3])
        return np.broadcast_to(share, x_shape).copy()
    return np.einsum("ih,ncij,jw->nchw", rows, grad_out, cols, optimize=True)


def adaptive_avg_pool2d(x, output_size):
    """Adaptive average pooling, forward alone (as ``torch.nn.functional.adaptive_avg_pool2d``)."""
    return adaptive_avg_pool2d_forward(x, output_size)[0]
