"""Inverted dropout as a function, as ``torch.nn.functional.dropout`` (chapter on regularisation).

In training each element is kept with probability 1 − p and the kept ones are divided
by the keep probability, so that the expected output equals the input:

    y = x ⊙ m / (1 − p),   m_i ~ Bernoulli(1 − p),      dL/dx = dL/dy ⊙ m / (1 − p)

Out of training (``training=False``) it is the identity. The mask comes from a
``numpy.random.Generator`` (``rng``: a generator, a seed, or None for a fresh one);
:class:`dlcourse.nn.Dropout` draws it here too, so the same generator gives the same
mask in both.
"""

import numpy as np

__all__ = ["dropout", "dropout_forward", "dropout_backward"]


def _check_p(p):
    if isinstance(p, (bool, np.bool_)) or not isinstance(p, (int, float, np.integer, np.floating)) \
            or not 0.0 <= p <= 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p!r}")
    return float(p)


def dropout_forward(input, p=0.5, training=True, rng=None):
    """``(y, scale)``: the output and the factor m / (1 − p) it multiplied ``input`` by
    (None when nothing was dropped: out of training, or p = 0). ``input`` is not changed."""
    p = _check_p(p)
    x = np.asarray(input)
    if not training or p == 0.0:
        return x.copy(), None
    dtype = x.dtype if np.issubdtype(x.dtype, np.floating) else np.dtype(np.float64)
    if p == 1.0:
        scale = np.zeros(x.shape, dtype=dtype)
    else:
        keep = np.random.default_rng(rng).random(x.shape) >= p
        scale = keep.astype(dtype) * dtype.type(1 / (1 - p))
    return x * scale, scale


def dropout_backward(grad_output, scale):
    """dL/dx = dL/dy ⊙ scale, with ``scale`` from :func:`dropout_forward` (None: the identity)."""
    if scale is None:
        return np.array(grad_output, copy=True)
    return np.asarray(grad_output) * scale


def dropout(input, p=0.5, training=True, inplace=False, rng=None):
    """Zero each element of ``input`` with probability ``p`` and scale the rest by 1/(1 − p)
    when ``training``; the identity otherwise. ``inplace=True`` writes the result into
    ``input`` (a writable floating-point array) and returns it."""
    out, scale = dropout_forward(input, p, training, rng)
    if not inplace:
        return out
    if not isinstance(input, np.ndarray) or not np.issubdtype(input.dtype, np.floating) \
            or not input.flags.writeable:
        raise TypeError("dropout(inplace=True) needs a writable floating-point NumPy array, got "
                        f"{type(input).__name__}" + (f" of dtype {input.dtype}" if isinstance(input, np.ndarray) else ""))
    if scale is not None:
        np.multiply(input, scale, out=input)
    return input
