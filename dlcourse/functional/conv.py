"""2-D convolution (cross-correlation, as in every deep-learning library), forward and backward.

Chapter "Convolutional Neural Network". For an input ``x`` of shape (N, C, H, W)
and filters ``w`` of shape (O, C, kh, kw), output channel ``o`` at position (i, j) is

    y[n, o, i, j] = b[o] + sum_c sum_a sum_b  xp[n, c, i*s + a*d, j*s + b*d] * w[o, c, a, b]

where ``xp`` is ``x`` with ``P`` zeros added on each border, ``s`` the stride and
``d`` the dilation. The output has spatial size (notes: W2 = (W1 - F + 2P)/S + 1)

    H_out = floor((H + 2P - d*(kh - 1) - 1) / s) + 1      (same for W_out).

The notes write the sum with I[i - a, j - b], a *flipped* kernel (the textbook
convolution); deep-learning layers, PyTorch's included, do not flip the kernel.
Since the filters are learned, the two are the same model; we follow PyTorch.

Two implementations of one formula, and a shortcut:

* :func:`conv2d_naive` - loops you can read next to the formula (slow; for teaching).
* :func:`conv2d_forward` / :func:`conv2d_backward` - the fast functional pair
  (CS231n style): *im2col* (every receptive field laid out as a column, a strided
  view copied once) followed by one matrix product; the backward pass is two
  matrix products and a *col2im* that adds the columns back, one kernel offset
  at a time (kh*kw vectorised additions, e.g. 9 for a 3x3 kernel).
  With stride 1 (every layer of the course's CNNs) the columns are built from
  the padded image read row after row (see "stride 1" below): each kernel tap
  is then one contiguous block, and im2col and col2im become kh*kw block copies
  and additions. With enough channels the input gradient puts the kernel's
  columns into its matrix product (kw shifted copies of the output gradient)
  and adds kh blocks instead of kh*kw. The batch is processed a few images at a time
  (``COLUMNS_BYTES``), so that the columns stay in the processor's cache
  between their copy and their matrix product; when the whole batch fits in
  one chunk (small images), the forward pass's columns are kept for the
  backward pass instead of being built again.
* :func:`conv2d` - the fast forward pass alone, for when no gradient is needed.

Only ``groups=1`` is supported. The dtype of ``x`` is kept (float32 stays float32);
``weight`` and ``bias`` must have the same floating dtype, as in PyTorch.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

__all__ = ["conv_output_shape", "conv2d_naive", "conv2d_forward", "conv2d_backward", "conv2d"]


# -- argument handling ------------------------------------------------------

def _pair(value, name):
    """Turn an int or a pair of ints into a tuple (rows, columns)."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        pair = (int(value), int(value))
    elif (
        isinstance(value, (tuple, list))
        and len(value) == 2
        and all(isinstance(v, (int, np.integer)) and not isinstance(v, bool) for v in value)
    ):
        pair = (int(value[0]), int(value[1]))
    else:
        raise TypeError(f"{name} must be an int or a pair of ints (rows, columns), got {value!r}")
    return pair


def _check_positive(pair, name):
    if min(pair) < 1:
        raise ValueError(f"{name} must be >= 1, got {pair}")
    return pair


def _check_nonnegative(pair, name):
    if min(pair) < 0:
        raise ValueError(f"{name} must be >= 0, got {pair}")
    return pair


def _check_4d(x, name):
    """The input as an array of shape (N, C, H, W), or a clear error."""
    x = np.asarray(x)
    if x.ndim != 4:
        hint = " (for a single image use x[None])" if x.ndim == 3 else ""
        raise ValueError(
            f"{name} expects a 4-D input of shape (N, C, H, W), got shape {x.shape} "
            f"({x.ndim}-D){hint}"
        )
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    return x


# -- output size --------------------------------------------------------------

def conv_output_shape(W, F, P=0, S=1, dilation=1, strict=True):
    """Spatial output size of a convolution or pooling window: (W - F + 2P)/S + 1.

    Parameters
    ----------
    W : int  input width (or height).
    F : int  filter (kernel) width.
    P : int  zeros added on *each* border (padding).
    S : int  stride, the step between two placements of the filter.
    dilation : int  spacing between kernel taps; the filter then spans
        ``d*(F - 1) + 1`` pixels and that span replaces F in the formula.
    strict : bool
        ``True`` (default, the notes' rule): the filter must tile the padded
        input exactly, i.e. (W - F + 2P) divisible by S, else a ``ValueError``
        says which numbers do not fit and suggests a padding.
        ``False`` (PyTorch's rule): round down, the last incomplete placement
        is dropped.

    Examples from the notes: ``conv_output_shape(32, 5) == 28`` and
    ``conv_output_shape(14, 5) == 10``.
    """
    for name, value, low in (("W", W, 1), ("F", F, 1), ("P", P, 0), ("S", S, 1), ("dilation", dilation, 1)):
        if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < low:
            raise ValueError(f"{name} must be an integer >= {low}, got {value!r}")
    span = dilation * (F - 1) + 1
    padded = W + 2 * P
    if span > padded:
        what = f"F={F}" if dilation == 1 else f"F={F} with dilation {dilation} spans {span}"
        raise ValueError(
            f"the filter is larger than the padded input: {what} > W + 2P = {W} + 2*{P} = {padded}; "
            f"use a smaller filter or a padding of at least {-(-(span - W) // 2)}"
        )
    steps, remainder = divmod(padded - span, S)
    if strict and remainder:
        fits = [p for p in range(P, P + S) if (W + 2 * p - span) % S == 0]
        if fits:
            advice = f"padding P={fits[0]} makes it fit"
        else:
            advice = (
                f"no padding makes it fit with stride {S} (W - F = {W - span} is odd); "
                "change the stride or the filter size"
            )
        raise ValueError(
            f"(W - F + 2P)/S + 1 = ({W} - {span} + 2*{P})/{S} + 1 = {(padded - span) / S + 1:g} "
            f"is not an integer: the filter does not tile the input; {advice} "
            "(or pass strict=False to drop the last incomplete placement, as PyTorch does)"
        )
    return steps + 1


def _output_hw(name, x_shape, kernel, stride, padding, dilation):
    """(H_out, W_out) of a sliding window, with errors that name the sizes."""
    H, W = x_shape[2], x_shape[3]
    out = []
    for size, k, s, p, d in zip((H, W), kernel, stride, padding, dilation):
        span = d * (k - 1) + 1
        if span > size + 2 * p:
            raise ValueError(
                f"{name}: kernel {kernel[0]}x{kernel[1]} (dilation {dilation}) spans "
                f"{span} pixels, larger than the padded input {H + 2 * padding[0]}x{W + 2 * padding[1]} "
                f"(input {H}x{W} in shape {tuple(x_shape)}, padding {padding})"
            )
        out.append((size + 2 * p - span) // s + 1)
    return tuple(out)


def _pad(x, padding, value=0.0):
    """x with ``padding`` rows/columns of ``value`` on each border, same dtype."""
    ph, pw = padding
    if ph == 0 and pw == 0:
        return x
    n, c, h, w = x.shape
    padded = np.full((n, c, h + 2 * ph, w + 2 * pw), value, dtype=x.dtype)
    padded[:, :, ph:ph + h, pw:pw + w] = x
    return padded


def _windows(xp, kernel, stride, dilation, out_hw):
    """Read-only view of every receptive field, shape (N, C, kh, kw, H_out, W_out).

    ``view[n, c, a, b, i, j] == xp[n, c, i*s_h + a*d_h, j*s_w + b*d_w]``; no data is copied.
    """
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel, stride, dilation, out_hw
    span = (dh * (kh - 1) + 1, dw * (kw - 1) + 1)
    view = sliding_window_view(xp, span, axis=(2, 3))  # (N, C, Hp-span+1, Wp-span+1, span_h, span_w)
    view = view[:, :, : sh * (ho - 1) + 1 : sh, : sw * (wo - 1) + 1 : sw, ::dh, ::dw]
    return view.transpose(0, 1, 4, 5, 2, 3)


def _offset_slices(kernel, stride, dilation, out_hw):
    """For each kernel offset (a, b): the rows and columns of the padded input it touches.

    ``xp[:, :, rows, cols]`` has shape (N, C, H_out, W_out) and is the value under
    kernel tap (a, b) for every window, so a loop over the kh*kw offsets visits
    all windows at once (a handful of vectorised steps, never a loop over pixels).
    """
    (kh, kw), (sh, sw), (dh, dw), (ho, wo) = kernel, stride, dilation, out_hw
    for a in range(kh):
        rows = slice(a * dh, a * dh + sh * (ho - 1) + 1, sh)
        for b in range(kw):
            cols = slice(b * dw, b * dw + sw * (wo - 1) + 1, sw)
            yield a, b, rows, cols


def _add_windows(dxp, dwin, kernel, stride, dilation, out_hw):
    """The adjoint of :func:`_windows`: add each window's values back into ``dxp`` (in place).

    ``dwin`` has shape (N, C, kh, kw, H_out, W_out). Overlapping windows add up,
    as the chain rule requires.
    """
    for a, b, rows, cols in _offset_slices(kernel, stride, dilation, out_hw):
        dxp[:, :, rows, cols] += dwin[:, :, a, b]
    return dxp


def _unpad(xp, padding):
    ph, pw = padding
    if ph == 0 and pw == 0:
        return xp
    return xp[:, :, ph:xp.shape[2] - ph, pw:xp.shape[3] - pw]


def _conv_padding(padding, kernel, stride, dilation):
    """Padding as (rows, columns); also PyTorch's strings 'valid' (none) and 'same'.

    'same' keeps H and W: it needs stride 1 and pads d*(k - 1)/2 on each side,
    so d*(k - 1) must be even (an odd kernel, or an even dilation).
    """
    if isinstance(padding, str):
        if padding == "valid":
            return (0, 0)
        if padding != "same":
            raise ValueError(f"padding must be an int, a pair, 'valid' or 'same', got {padding!r}")
        if stride != (1, 1):
            raise ValueError(f"padding='same' needs stride 1, got stride {stride}")
        totals = [d * (k - 1) for k, d in zip(kernel, dilation)]
        if any(total % 2 for total in totals):
            raise ValueError(
                f"padding='same' with kernel {tuple(kernel)} and dilation {dilation} would need "
                "more padding on one side than the other, which is not supported; use an odd kernel"
            )
        return (totals[0] // 2, totals[1] // 2)
    return _check_nonnegative(_pair(padding, "padding"), "padding")


def _check_conv(x, weight, bias, stride, padding, dilation):
    x = _check_4d(x, "conv2d")
    weight = np.asarray(weight)
    if weight.ndim != 4:
        raise ValueError(
            f"conv2d expects weight of shape (out_channels, in_channels, kh, kw), got shape {weight.shape}"
        )
    if x.shape[1] != weight.shape[1]:
        raise ValueError(
            f"conv2d expected input with {weight.shape[1]} channels (in_channels of weight "
            f"{weight.shape}), got {x.shape[1]} in shape {x.shape}"
        )
    if weight.dtype != x.dtype:
        raise TypeError(
            f"conv2d: input dtype {x.dtype} and weight dtype {weight.dtype} differ; "
            f"convert one of them, e.g. x.astype(np.{weight.dtype})"
        )
    if bias is not None:
        bias = np.asarray(bias)
        if bias.shape != (weight.shape[0],):
            raise ValueError(
                f"conv2d expects bias of shape ({weight.shape[0]},) (one per output channel), "
                f"got {bias.shape}"
            )
        if bias.dtype != x.dtype:
            raise TypeError(f"conv2d: input dtype {x.dtype} and bias dtype {bias.dtype} differ")
    stride = _check_positive(_pair(stride, "stride"), "stride")
    dilation = _check_positive(_pair(dilation, "dilation"), "dilation")
    kernel = weight.shape[2:]
    padding = _conv_padding(padding, kernel, stride, dilation)
    out_hw = _output_hw("conv2d", x.shape, kernel, stride, padding, dilation)
    return x, weight, bias, kernel, stride, padding, dilation, out_hw


# -- the teaching version -------------------------------------------------------

def conv2d_naive(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """The convolution formula written as loops; slow, meant to be read.

    Inputs: x (N, C, H, W); weight (O, C, kh, kw); bias (O,) or None.
    Returns: y (N, O, H_out, W_out). Same result as :func:`conv2d`.
    """
    x, weight, bias, (kh, kw), (sh, sw), padding, (dh, dw), (ho, wo) = _check_conv(
        x, weight, bias, stride, padding, dilation
    )
    xp = _pad(x, padding)
    n_images, n_filters = x.shape[0], weight.shape[0]
    y = np.zeros((n_images, n_filters, ho, wo), dtype=x.dtype)
    for n in range(n_images):                 # every image
        for o in range(n_filters):            # every filter gives one output channel
            for i in range(ho):               # every placement of the filter ...
                for j in range(wo):
                    total = 0.0 if bias is None else bias[o]
                    for a in range(kh):       # ... sums input * weight over its receptive field
                        for b in range(kw):
                            pixel = xp[n, :, i * sh + a * dh, j * sw + b * dw]  # all C channels
                            total = total + np.dot(pixel, weight[o, :, a, b])
                    y[n, o, i, j] = total
    return y


# -- the fast version ---------------------------------------------------------------

# Largest columns matrix built at once. The batch is convolved a chunk of images
# at a time: memory stays bounded (the columns are kh*kw times the size of the
# input), and a chunk's columns are still in the cache (L2, then L3) when the
# matrix product reads them right after the copy that builds them. Measured on
# the chapters' float32 layers (one thread, forward + backward): 2 MB chunks
# beat 0.5 MB ones by 8-20% (fewer, larger matrix products), and beat one
# product over the whole batch (6-8 MB of columns) by up to 2x for the
# 3x3 layers on 14x14 and 32x32 images.
COLUMNS_BYTES = 2**21


def _im2col(xp, kernel, stride, dilation, out_hw, ones_row=False):
    """Every receptive field of the padded input as a column: (N, C*kh*kw, H_out*W_out).

    ``cols[n, (c, a, b), (i, j)] == xp[n, c, i*s_h + a*d_h, j*s_w + b*d_w]``,
    one copy of the strided view of :func:`_windows`. With ``ones_row`` a last
    row of ones is appended (shape (N, C*kh*kw + 1, H_out*W_out)): the constant
    input x0 = 1 whose weight is the bias, as the perceptron's w0.
    """
    n, c = xp.shape[:2]
    k = c * kernel[0] * kernel[1]
    cols = np.empty((n, k + ones_row, out_hw[0] * out_hw[1]), dtype=xp.dtype)
    cols[:, :k].reshape(n, c, *kernel, *out_hw)[...] = _windows(xp, kernel, stride, dilation, out_hw)
    if ones_row:
        cols[:, k] = 1
    return cols


def _chunks(n_images, bytes_per_image):
    """Slices of the batch whose columns matrices fit in ``COLUMNS_BYTES``."""
    step = max(1, COLUMNS_BYTES // max(bytes_per_image, 1))
    return [slice(start, min(start + step, n_images)) for start in range(0, n_images, step)]


def conv2d_forward(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """Fast convolution: im2col + one matrix product.

    Inputs
    ------
    x : (N, C, H, W)
    weight : (O, C, kh, kw)
    bias : (O,) or None
    stride, dilation : int or (rows, columns)
    padding : int, (rows, columns), 'valid' (0) or 'same' (output size = input size, stride 1)

    Returns
    -------
    y : (N, O, H_out, W_out), dtype of x
    cache : what :func:`conv2d_backward` needs

    The columns matrix ``cols`` has shape (N, C*kh*kw, H_out*W_out): column
    (i, j) of image n holds its receptive field. Then, for all images at once,
    y = W_2d @ cols with W_2d = weight.reshape(O, C*kh*kw) (a batched product).
    The bias rides along in the same product: W_2d gets the bias as one more
    column and ``cols`` a row of ones (y = W x + b = [W b] [x; 1]).
    """
    x, weight, bias, kernel, stride, padding, dilation, out_hw = _check_conv(
        x, weight, bias, stride, padding, dilation
    )
    if stride == (1, 1):
        return _forward_stride1(x, weight, bias, kernel, padding, dilation, out_hw)
    n, c = x.shape[:2]
    o = weight.shape[0]
    xp = _pad(x, padding)
    w2d = weight.reshape(o, -1)
    if bias is not None:
        w2d = np.concatenate([w2d, bias[:, None]], axis=1)   # (O, C*kh*kw + 1)
    y = np.empty((n, o, out_hw[0] * out_hw[1]), dtype=x.dtype)
    chunks = _chunks(n, w2d.shape[1] * y.shape[2] * x.itemsize)
    for part in chunks:
        cols = _im2col(xp[part], kernel, stride, dilation, out_hw, ones_row=bias is not None)
        np.matmul(w2d, cols, out=y[part])
    # one chunk: keep its columns for backward; several: backward rebuilds them from xp
    saved_cols = cols if len(chunks) == 1 else None
    cache = ("windows", xp, saved_cols, x.shape, weight, bias is not None, kernel, stride, padding, dilation,
             out_hw)
    return y.reshape(n, o, *out_hw), cache


def conv2d(x, weight, bias=None, stride=1, padding=0, dilation=1):
    """y = conv2d(x, weight, bias): the forward pass alone (see :func:`conv2d_forward`).

    Same signature and result as ``torch.nn.functional.conv2d`` with ``groups=1``.
    """
    return conv2d_forward(x, weight, bias, stride, padding, dilation)[0]


def conv2d_backward(grad_out, cache, input_grad=True):
    """Gradients of the convolution.

    Inputs: grad_out = dL/dy (N, O, H_out, W_out); cache from :func:`conv2d_forward`;
    ``input_grad=False`` skips dx (returned as None), as for a network's input.
    Returns (dx, dw, db):

    * dw = sum over n of dL/dy_2d[n] @ cols[n]^T, reshaped              (O, C, kh, kw)
    * db[o] = sum over n, i, j of dL/dy[n, o, i, j]                     (O,) or None
      (the same product: the bias's input is the row of ones in ``cols``)
    * dx = col2im(W_2d^T @ dL/dy_2d): each column's gradient added back
      where that receptive field came from, padding removed             (N, C, H, W)

    With stride 1 the same three products run on the row-major columns of
    :func:`_forward_stride1` (see :func:`_backward_stride1`).
    """
    if cache[0] == "rows":
        return _backward_stride1(grad_out, cache, input_grad)
    _, xp, saved_cols, x_shape, weight, has_bias, kernel, stride, padding, dilation, out_hw = cache
    n, c, h, w = x_shape
    o = weight.shape[0]
    g = _checked_grad(grad_out, (n, o, *out_hw), xp.dtype).reshape(n, o, -1)
    w2d = weight.reshape(o, -1)
    k = w2d.shape[1]
    dwb = np.zeros((o, k + has_bias), dtype=xp.dtype)                  # [dw db]
    dxp = np.zeros(xp.shape, dtype=xp.dtype) if input_grad else None
    for part in _chunks(n, (k + has_bias) * g.shape[2] * xp.itemsize):
        cols = saved_cols
        if cols is None:
            cols = _im2col(xp[part], kernel, stride, dilation, out_hw, ones_row=has_bias)
        dwb += np.matmul(cols, g[part].transpose(0, 2, 1)).sum(axis=0).T  # (N, K, O) summed over N
        if input_grad:
            dcols = np.matmul(w2d.T, g[part])                            # (N, C*kh*kw, H_out*W_out)
            _add_windows(dxp[part], dcols.reshape(-1, c, *kernel, *out_hw), kernel, stride, dilation,
                         out_hw)
    db = dwb[:, k].copy() if has_bias else None
    dx = _unpad(dxp, padding) if input_grad else None
    return dx, dwb[:, :k].reshape(weight.shape), db


def _checked_grad(grad_out, expected, dtype):
    """grad_out as an array of the forward's dtype, or an error naming both shapes."""
    grad_out = np.asarray(grad_out)
    if grad_out.shape != expected:
        raise ValueError(f"conv2d_backward: grad_out has shape {grad_out.shape}, expected {expected}")
    return grad_out.astype(dtype, copy=False)


# -- stride 1: the padded image read row after row -------------------------------------
#
# With stride 1, output (i, j) reads xp[c, i + a*d_h, j + b*d_w] under tap (a, b).
# Write each padded channel as one row of length Hp*Wp (row after row): the
# pixel (r, s) sits at r*Wp + s, so tap (a, b) of output (i, j) sits at
#
#     (i*Wp + j) + (a*d_h*Wp + b*d_w)        = output position + the tap's offset.
#
# Computed on the grid H_out x Wp instead of H_out x W_out (the last Wp - W_out
# columns of each row are thrown away), the values under one tap for all
# outputs are one contiguous stretch of that row: im2col is kh*kw block copies
# and col2im kh*kw block additions, instead of strided copies of W_out numbers.
# The columns of a chunk of images are laid out (C, kh, kw, images, H_out*Wp),
# so each product covers the whole chunk at once.
#
# The right border of a row and the left border of the next are both zeros, so
# they can be the same numbers: each row is stored as [P_w zeros, W pixels] and
# its right border is read from the next row's left one. The row length is then
# Wr = W + P_w instead of W + 2*P_w (at least W_out, for a padding wider than
# the kernel), and a 3x3 kernel with padding 1 throws away one column per row
# instead of two: fewer numbers to copy and to multiply (on 14x14 images, a
# 14 x 15 grid instead of 14 x 16).

def _row_length(w, pw, w_out):
    """Wr, the length of a stored row: W pixels after the P_w zeros shared with the row before."""
    return max(w + pw, w_out)


def _tap_offsets(kernel, dilation, row_length):
    """Offset of each tap (a, b), in row-major order, in the flattened padded image."""
    (kh, kw), (dh, dw) = kernel, dilation
    return [a * dh * row_length + b * dw for a in range(kh) for b in range(kw)]


def _tap_columns(flat, offsets, grid, out):
    """The columns of the images ``flat`` (n, C, length): shape (C*kh*kw, n*grid).

    ``out`` is a buffer of at least that size; row (c, a, b), column (image, p)
    holds ``flat[image, c, p + offset(a, b)]``.
    """
    n, c = flat.shape[:2]
    cols = out[: c * len(offsets) * n * grid].reshape(c, len(offsets), n, grid)
    by_channel = flat.transpose(1, 0, 2)                       # (C, n, length), a view
    for tap, offset in enumerate(offsets):
        cols[:, tap] = by_channel[:, :, offset:offset + grid]
    return cols.reshape(c * len(offsets), n * grid)


def _add_tap_columns(dflat, dcols, offsets, grid):
    """The adjoint of :func:`_tap_columns`: add each tap's block back into ``dflat`` (in place)."""
    n, c = dflat.shape[:2]
    blocks = dcols.reshape(c, len(offsets), n, grid)
    by_channel = dflat.transpose(1, 0, 2)
    for tap, offset in enumerate(offsets):
        target = by_channel[:, :, offset:offset + grid]
        np.add(target, blocks[:, tap], out=target)


def _flat_padded(x, padding, kernel, dilation, row_length):
    """x with its zero borders, each channel one row: (N, C, Hp*Wr + (kw - 1)*d_w).

    Row r of the padded image starts at r*Wr (see :func:`_row_length`); the extra
    zeros at the end let the last tap read a full H_out x Wr grid.
    """
    n, c, h, w = x.shape
    (ph, pw), hp = padding, h + 2 * padding[0]
    flat = np.zeros((n, c, hp * row_length + (kernel[1] - 1) * dilation[1]), dtype=x.dtype)
    flat[:, :, :hp * row_length].reshape(n, c, hp, row_length)[:, :, ph:ph + h, pw:pw + w] = x
    return flat


def _forward_stride1(x, weight, bias, kernel, padding, dilation, out_hw):
    """conv2d_forward for stride 1: y = W_2d @ columns, chunk by chunk, on the H_out x Wr grid."""
    n, c, h, w = x.shape
    o, k = weight.shape[0], weight[0].size
    (ho, wo) = out_hw
    wp = _row_length(w, padding[1], wo)
    grid = ho * wp
    flat = _flat_padded(x, padding, kernel, dilation, wp)
    offsets = _tap_offsets(kernel, dilation, wp)
    w2d = weight.reshape(o, k)
    y = np.empty((n, o, ho, wo), dtype=x.dtype)
    chunks = _chunks(n, k * grid * x.itemsize)
    buffer = np.empty(k * (chunks[0].stop - chunks[0].start) * grid, dtype=x.dtype)
    for part in chunks:
        images = part.stop - part.start
        cols = _tap_columns(flat[part], offsets, grid, buffer)
        y_grid = np.matmul(w2d, cols)                                               # (O, images*grid)
        kept = y_grid.reshape(o, images, ho, wp)[..., :wo].transpose(1, 0, 2, 3)
        if bias is None:
            y[part] = kept
        else:
            np.add(kept, bias[:, None, None], out=y[part])
    # one chunk: its columns are the whole batch's, backward reuses them; several: it rebuilds each
    saved_cols = cols if len(chunks) == 1 else None
    cache = ("rows", flat, saved_cols, x.shape, weight, bias is not None, kernel, padding, dilation, out_hw)
    return y, cache


# The input gradient by kernel rows makes a matrix product with C*kh rows; with
# fewer than this many (e.g. 3 channels and a 3x3 kernel: 9), OpenBLAS runs it
# slowly enough that the kh*kw block additions of col2im cost less (measured:
# one thread, float32, the chapters' layers: 6-13% faster from 30 rows on, 8%
# slower with 9 rows).
KERNEL_ROWS_MIN = 16


def _backward_stride1(grad_out, cache, input_grad):
    """conv2d_backward for stride 1, chunk by chunk (the columns are rebuilt, they are cheap,
    unless the forward pass kept them: a batch of one chunk):

    dW_2d^T += columns @ G^T, with G the output gradient on the H_out x Wr grid,
    zero on the thrown-away columns (they touched nothing). The input gradient:
    dcolumns = W_2d^T @ G and their col2im (kh*kw block additions), or, with at
    least ``KERNEL_ROWS_MIN`` rows (c, a), :func:`_input_grad_by_kernel_rows`
    (kh block additions).
    """
    _, flat, saved_cols, x_shape, weight, has_bias, kernel, padding, dilation, out_hw = cache
    n, c, h, w = x_shape
    o, k = weight.shape[0], weight[0].size
    (ho, wo) = out_hw
    wp = _row_length(w, padding[1], wo)
    grid = ho * wp
    g = _checked_grad(grad_out, (n, o, ho, wo), flat.dtype)
    offsets = _tap_offsets(kernel, dilation, wp)
    dw_t = np.zeros((k, o), dtype=flat.dtype)
    dflat = np.zeros(flat.shape, dtype=flat.dtype) if input_grad else None
    chunks = [slice(0, n)] if saved_cols is not None else _chunks(n, k * grid * flat.itemsize)
    most = chunks[0].stop - chunks[0].start
    buffer = np.empty(k * most * grid, dtype=flat.dtype) if saved_cols is None else None
    # G of a chunk, after `lead` zeros: the kernel columns' shifted copies of G read them
    lead = (kernel[1] - 1) * dilation[1]
    g_rows = np.zeros((o, lead + most * grid), dtype=flat.dtype)
    by_kernel_rows = input_grad and c * kernel[0] >= KERNEL_ROWS_MIN
    if by_kernel_rows:
        # w_rows[(c, a), (b, o)] = weight[o, c, a, b]
        w_rows = weight.transpose(1, 2, 3, 0).reshape(c * kernel[0], kernel[1] * o)
        shifted = np.empty(kernel[1] * o * most * grid, dtype=flat.dtype)
    for part in chunks:
        images = part.stop - part.start
        cols = saved_cols if saved_cols is not None else _tap_columns(flat[part], offsets, grid, buffer)
        g_2d = g_rows[:, lead:lead + images * grid]             # (O, images*grid)
        g_2d.reshape(o, images, ho, wp)[..., :wo] = g[part].transpose(1, 0, 2, 3)
        dw_t += cols @ g_2d.T
        if by_kernel_rows:
            _input_grad_by_kernel_rows(dflat[part], g_rows, lead, images * grid, w_rows, kernel, dilation,
                                       wp, shifted)
        elif input_grad:
            _add_tap_columns(dflat[part], weight.reshape(o, k).T @ g_2d, offsets, grid)
    dx = None
    if input_grad:
        hp = h + 2 * padding[0]
        ph, pw = padding
        dx = dflat[:, :, :hp * wp].reshape(n, c, hp, wp)[:, :, ph:ph + h, pw:pw + w]
    db = g.sum(axis=(0, 2, 3)) if has_bias else None
    return dx, np.ascontiguousarray(dw_t.T).reshape(weight.shape), db


def _input_grad_by_kernel_rows(dflat, g_rows, lead, length, w_rows, kernel, dilation, row_length, out):
    """Add the input gradient of a chunk of images into ``dflat`` (n, C, length of a flat image).

    Tap (a, b) sends output position p's gradient to input position p + a*d_h*Wr + b*d_w:

        dx[c, p + a*d_h*Wr + b*d_w] += sum_o w[o, c, a, b] G[o, p].

    Done as col2im of W_2d^T @ G, that is kh*kw block additions into dx. Here the
    kernel's columns b go into the matrix product instead: with the kw shifted
    copies S[(b, o), q] = G[o, q - b*d_w] (block copies of G),

        R = w_rows @ S,   R[(c, a), q] = sum_{b, o} w[o, c, a, b] G[o, q - b*d_w],

    and dx[c, q + a*d_h*Wr] += R[(c, a), q]: kh block additions. The chunk's images
    are one row of grids, so a q of one image's grid can take a term from the
    image before it (q - b*d_w in that image's last output row); such a term, and
    a q pushed past the end of the chunk, are gradients of the shared right/left
    border, never of a pixel, and the border is thrown away. ``g_rows`` starts
    with ``lead`` zeros for the first image's shifts.
    """
    (kh, kw), (dh, dw) = kernel, dilation
    o = g_rows.shape[0]
    s = out[: kw * o * length].reshape(kw, o, length)
    for b in range(kw):
        s[b] = g_rows[:, lead - b * dw:lead - b * dw + length]
    n, c = dflat.shape[:2]
    r = (w_rows @ s.reshape(kw * o, length)).reshape(c, kh, n, length // n)
    by_channel = dflat.transpose(1, 0, 2)
    for a in range(kh):
        target = by_channel[:, :, a * dh * row_length:a * dh * row_length + length // n]
        np.add(target, r[:, a], out=target)
