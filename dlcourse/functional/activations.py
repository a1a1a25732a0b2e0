"""Activation functions and their derivatives (chapters on neurons, backprop and deep nets).

Every activation ``f`` comes with ``f_grad(x)``: the derivative df/dx evaluated
*at the input* ``x``, elementwise, with the same shape and dtype as ``x``.
A layer's backward pass is then ``grad_in = grad_out * f_grad(x)``.

Names, arguments and defaults follow ``torch.nn.functional``; so do the values
chosen at the kinks, where the derivative does not exist:

* ``relu_grad(0) = 0`` (PyTorch), although the notes write g'(0) = 1;
* ``leaky_relu_grad(0) = negative_slope`` and ``prelu_grad(0) = weight``;
* ``elu_grad(0) = alpha``; ``hardtanh_grad`` is 0 at ``min_val`` and ``max_val``;
* ``binary_step_grad`` is 0 everywhere (the step has no useful gradient, which
  is why the perceptron is not trained by backprop).

float32 inputs give float32 outputs; integer inputs are computed in float64.
"""

import math

import numpy as np

__all__ = [
    "identity", "identity_grad",
    "binary_step", "binary_step_grad",
    "sigmoid", "sigmoid_grad",
    "tanh", "tanh_grad",
    "arctan", "arctan_grad",
    "softsign", "softsign_grad",
    "relu", "relu_grad",
    "leaky_relu", "leaky_relu_grad",
    "prelu", "prelu_grad", "prelu_weight_grad", "prelu_backward",
    "elu", "elu_grad",
    "selu", "selu_grad",
    "softplus", "softplus_grad",
    "gelu", "gelu_grad",
    "silu", "silu_grad",
    "hardtanh", "hardtanh_grad",
    "maxout", "maxout_backward",
    "get_activation", "ACTIVATIONS", "SELU_ALPHA", "SELU_SCALE",
]

# SELU's constants (Klambauer et al. 2017), the values PyTorch uses.
SELU_ALPHA = 1.6732632423543772848170429916717
SELU_SCALE = 1.0507009873554804934193349852946

_SQRT_HALF = math.sqrt(0.5)
_INV_SQRT_2PI = 1.0 / math.sqrt(2.0 * math.pi)
_SQRT_2_OVER_PI = math.sqrt(2.0 / math.pi)
_GELU_KAPPA = 0.044715


def _erf(x):
    """The error function, elementwise (SciPy's; imported on first use, as it
    costs a notebook kernel a third of a second to load)."""
    from scipy.special import erf

    return erf(x)


def _as_float(x):
    """``x`` as a floating array, keeping float32/float64 as given."""
    x = np.asarray(x)
    if not np.issubdtype(x.dtype, np.floating):
        x = x.astype(np.float64)
    return x


# -- identity and step -------------------------------------------------------
def identity(x):
    """f(x) = x."""
    return _as_float(x).copy()


def identity_grad(x):
    """f'(x) = 1."""
    return np.ones_like(_as_float(x))


def binary_step(x):
    """Heaviside step: f(x) = 1 if x >= 0 else 0 (the McCulloch-Pitts/perceptron unit)."""
    x = _as_float(x)
    return (x >= 0).astype(x.dtype)


def binary_step_grad(x):
    """f'(x) = 0 wherever it exists (taken as 0 at x = 0 too)."""
    return np.zeros_like(_as_float(x))


# -- saturating functions ----------------------------------------------------
def sigmoid(x):
    """Logistic function σ(x) = 1 / (1 + e^{-x}), in (0, 1).

    Computed without overflow for any |x|: with e = exp(-|x|) <= 1,
    σ(x) = 1 / (1 + e) for x >= 0 and σ(x) = e / (1 + e) for x < 0.
    """
    x = _as_float(x)
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


def sigmoid_grad(x):
    """σ'(x) = σ(x) (1 − σ(x))."""
    s = sigmoid(x)
    return s * (1 - s)


def tanh(x):
    """tanh(x) = (e^x − e^{-x}) / (e^x + e^{-x}) = 2σ(2x) − 1, in (−1, 1)."""
    return np.tanh(_as_float(x))


def tanh_grad(x):
    """tanh'(x) = 1 − tanh²(x)."""
    t = np.tanh(_as_float(x))
    return 1 - t * t


def arctan(x):
    """f(x) = tan⁻¹(x), in (−π/2, π/2)."""
    return np.arctan(_as_float(x))


def arctan_grad(x):
    """f'(x) = 1 / (1 + x²)."""
    x = _as_float(x)
    return 1 / (1 + x * x)


def softsign(x):
    """f(x) = x / (1 + |x|), in (−1, 1)."""
    x = _as_float(x)
    return x / (1 + np.abs(x))


def softsign_grad(x):
    """f'(x) = 1 / (1 + |x|)²."""
    x = _as_float(x)
    d = 1 + np.abs(x)
    return 1 / (d * d)


def hardtanh(x, min_val=-1.0, max_val=1.0):
    """f(x) = min(max(x, min_val), max_val)."""
    _check_range(min_val, max_val)
    return np.clip(_as_float(x), min_val, max_val)


def hardtanh_grad(x, min_val=-1.0, max_val=1.0):
    """f'(x) = 1 if min_val < x < max_val else 0."""
    _check_range(min_val, max_val)
    x = _as_float(x)
    return ((x > min_val) & (x < max_val)).astype(x.dtype)


def _check_range(min_val, max_val):
    if not max_val > min_val:
        raise ValueError(f"hardtanh needs max_val > min_val, got min_val={min_val}, max_val={max_val}")


# -- the ReLU family ---------------------------------------------------------
def relu(x):
    """Rectifier f(x) = max(0, x)."""
    x = _as_float(x)
    return np.maximum(x, 0).astype(x.dtype, copy=False)


def relu_grad(x):
    """f'(x) = 1 if x > 0 else 0 (0 at the kink, as PyTorch)."""
    x = _as_float(x)
    return (x > 0).astype(x.dtype)


def leaky_relu(x, negative_slope=0.01):
    """f(x) = x if x >= 0 else negative_slope · x."""
    x = _as_float(x)
    return np.where(x >= 0, x, negative_slope * x)


def leaky_relu_grad(x, negative_slope=0.01):
    """f'(x) = 1 if x > 0 else negative_slope."""
    x = _as_float(x)
    return np.where(x > 0, 1, negative_slope).astype(x.dtype)


def _prelu_weight_view(x, weight):
    """Reshape ``weight`` (C,) so it broadcasts along the channel axis 1 of ``x``."""
    weight = np.asarray(weight)
    if weight.ndim != 1:
        raise ValueError(f"prelu weight must be 1-D (num_parameters,), got shape {weight.shape}")
    count = weight.shape[0]
    if count == 1:
        return weight.reshape((1,) * x.ndim) if x.ndim else weight[0]
    channel_axis = 1 if x.ndim >= 2 else 0
    if x.ndim == 0 or x.shape[channel_axis] != count:
        raise ValueError(
            f"prelu has {count} parameters, one per channel, but the input of shape {x.shape} "
            f"has {x.shape[channel_axis] if x.ndim else 'no'} channels along axis {channel_axis}"
        )
    shape = [1] * x.ndim
    shape[channel_axis] = count
    return weight.reshape(shape)


def prelu(x, weight):
    """Parametric ReLU: f(x) = x if x >= 0 else a · x, with a learnt slope ``a``.

    ``weight`` has shape (1,) (one slope shared by all units) or (C,) (one per
    channel, channels along axis 1 of ``x``, or axis 0 for a 1-D ``x``), as
    ``torch.nn.functional.prelu``.
    """
    x = _as_float(x)
    a = _prelu_weight_view(x, weight)
    return np.where(x >= 0, x, a * x).astype(x.dtype, copy=False)


def prelu_grad(x, weight):
    """∂f/∂x = 1 if x > 0 else a (elementwise, shape of ``x``)."""
    x = _as_float(x)
    a = _prelu_weight_view(x, weight)
    return np.where(x > 0, np.ones((), dtype=x.dtype), a).astype(x.dtype, copy=False)


def prelu_weight_grad(x, weight):
    """∂f/∂a = 0 if x > 0 else x (elementwise, shape of ``x``, before summing over
    the units that share a slope)."""
    x = _as_float(x)
    _prelu_weight_view(x, weight)
    return np.where(x > 0, np.zeros((), dtype=x.dtype), x)


def prelu_backward(grad_output, x, weight):
    """(dL/dx, dL/dweight) from dL/dy for y = prelu(x, weight).

    dL/da_c is the sum of grad_output · ∂f/∂a over every unit that uses slope a_c.
    """
    x = _as_float(x)
    weight = np.asarray(weight)
    grad_x = grad_output * prelu_grad(x, weight)
    per_unit = grad_output * prelu_weight_grad(x, weight)
    if weight.shape[0] == 1:
        grad_w = np.sum(per_unit).reshape(1)
    else:
        channel_axis = 1 if x.ndim >= 2 else 0
        other_axes = tuple(i for i in range(x.ndim) if i != channel_axis)
        grad_w = per_unit.sum(axis=other_axes)
    return grad_x, grad_w.astype(weight.dtype, copy=False)


def elu(x, alpha=1.0):
    """Exponential linear unit: f(x) = x if x > 0 else α (e^x − 1)."""
    x = _as_float(x)
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0)))


def elu_grad(x, alpha=1.0):
    """f'(x) = 1 if x > 0 else α e^x (= f(x) + α, as the notes point out)."""
    x = _as_float(x)
    return np.where(x > 0, np.ones((), dtype=x.dtype), alpha * np.exp(np.minimum(x, 0)))


def selu(x):
    """Scaled ELU: f(x) = λ · elu(x, α), λ ≈ 1.0507, α ≈ 1.6733 (self-normalising)."""
    return SELU_SCALE * elu(x, SELU_ALPHA)


def selu_grad(x):
    """f'(x) = λ if x > 0 else λ α e^x."""
    return SELU_SCALE * elu_grad(x, SELU_ALPHA)


def softplus(x, beta=1.0, threshold=20.0):
    """Smooth rectifier f(x) = log(1 + e^{βx}) / β, as ``torch.nn.functional.softplus``.

    Where βx > ``threshold`` the function is taken as linear, f(x) = x (the
    difference is below e^{-20}); elsewhere log1p(exp(βx)) cannot overflow.
    """
    x = _as_float(x)
    bx = beta * x
    smooth = np.log1p(np.exp(np.minimum(bx, threshold))) / beta
    return np.where(bx > threshold, x, smooth)


def softplus_grad(x, beta=1.0, threshold=20.0):
    """f'(x) = σ(βx) (the logistic function, as the notes remark); 1 where βx > threshold."""
    x = _as_float(x)
    bx = beta * x
    return np.where(bx > threshold, np.ones((), dtype=x.dtype), sigmoid(bx))


def _check_approximate(approximate):
    if approximate not in ("none", "tanh"):
        raise ValueError(f"gelu approximate must be 'none' or 'tanh', got {approximate!r}")


def gelu(x, approximate="none"):
    """Gaussian error linear unit f(x) = x Φ(x), Φ the standard normal CDF.

    ``approximate='none'``: Φ(x) = (1 + erf(x / √2)) / 2 (exact).
    ``approximate='tanh'``: f(x) ≈ x (1 + tanh(√(2/π) (x + 0.044715 x³))) / 2.
    (The notes' x σ(1.702 x) is a third, coarser approximation.)
    """
    _check_approximate(approximate)
    x = _as_float(x)
    if approximate == "tanh":
        inner = _SQRT_2_OVER_PI * (x + _GELU_KAPPA * x * x * x)
        return 0.5 * x * (1 + np.tanh(inner))
    return 0.5 * x * (1 + _erf(x * _SQRT_HALF))


def gelu_grad(x, approximate="none"):
    """f'(x) = Φ(x) + x φ(x), φ the standard normal density (or the derivative of
    the tanh form when ``approximate='tanh'``)."""
    _check_approximate(approximate)
    x = _as_float(x)
    if approximate == "tanh":
        inner = _SQRT_2_OVER_PI * (x + _GELU_KAPPA * x * x * x)
        t = np.tanh(inner)
        d_inner = _SQRT_2_OVER_PI * (1 + 3 * _GELU_KAPPA * x * x)
        return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * d_inner
    cdf = 0.5 * (1 + _erf(x * _SQRT_HALF))
    pdf = _INV_SQRT_2PI * np.exp(-0.5 * x * x)
    return cdf + x * pdf


def silu(x):
    """Sigmoid-weighted linear unit (swish with β = 1): f(x) = x σ(x)."""
    x = _as_float(x)
    return x * sigmoid(x)


def silu_grad(x):
    """f'(x) = σ(x) (1 + x (1 − σ(x)))."""
    x = _as_float(x)
    s = sigmoid(x)
    return s * (1 + x * (1 - s))


# -- maxout ------------------------------------------------------------------
def _maxout_shape(x, num_pieces, dim):
    if not isinstance(num_pieces, (int, np.integer)) or num_pieces < 1:
        raise ValueError(f"maxout num_pieces must be a positive integer, got {num_pieces!r}")
    axis = dim % x.ndim if x.ndim else None
    if axis is None or x.shape[axis] % num_pieces:
        raise ValueError(
            f"maxout groups {num_pieces} consecutive units along dim {dim}, "
            f"but the input of shape {x.shape} has {x.shape[axis] if axis is not None else 'no'} "
            f"units there (must be a multiple of {num_pieces})"
        )
    grouped = x.shape[:axis] + (x.shape[axis] // num_pieces, num_pieces) + x.shape[axis + 1:]
    return axis, grouped


def maxout(x, num_pieces, dim=-1):
    """Maxout unit: the largest of ``num_pieces`` linear pieces, max{w_1·x + b_1, …, w_k·x + b_k}.

    ``x`` holds the pieces already computed (e.g. by a ``Linear`` layer with
    k·m outputs). Along axis ``dim``, units are split into groups of
    ``num_pieces`` *consecutive* units, and each group is replaced by its
    maximum: shape (…, k·m, …) -> (…, m, …).
    """
    x = _as_float(x)
    axis, grouped = _maxout_shape(x, num_pieces, dim)
    return x.reshape(grouped).max(axis=axis + 1)


def maxout_backward(grad_output, x, num_pieces, dim=-1):
    """dL/dx for y = maxout(x): each group's gradient goes to the piece that won
    the max (the first one on a tie); the other pieces get 0."""
    x = _as_float(x)
    axis, grouped = _maxout_shape(x, num_pieces, dim)
    pieces = x.reshape(grouped)
    winner = np.expand_dims(pieces.argmax(axis=axis + 1), axis + 1)
    grad = np.zeros(grouped, dtype=np.result_type(x.dtype, np.asarray(grad_output).dtype))
    np.put_along_axis(grad, winner, np.expand_dims(grad_output, axis + 1), axis=axis + 1)
    return grad.reshape(x.shape)


# -- lookup by name ----------------------------------------------------------
ACTIVATIONS = {
    "identity": (identity, identity_grad),
    "binary_step": (binary_step, binary_step_grad),
    "sigmoid": (sigmoid, sigmoid_grad),
    "tanh": (tanh, tanh_grad),
    "arctan": (arctan, arctan_grad),
    "softsign": (softsign, softsign_grad),
    "relu": (relu, relu_grad),
    "leaky_relu": (leaky_relu, leaky_relu_grad),
    "elu": (elu, elu_grad),
    "selu": (selu, selu_grad),
    "softplus": (softplus, softplus_grad),
    "gelu": (gelu, gelu_grad),
    "silu": (silu, silu_grad),
    "hardtanh": (hardtanh, hardtanh_grad),
}


def get_activation(name, derivative=False):
    """The elementwise activation called ``name`` (its derivative if ``derivative``).

    Names are the function names above (``"relu"``, ``"leaky_relu"``, ...);
    ``"swish"`` is accepted for ``"silu"`` and ``"logistic"`` for ``"sigmoid"``.
    """
    aliases = {"swish": "silu", "logistic": "sigmoid", "linear": "identity", "step": "binary_step"}
    key = str(name).lower().replace("-", "_")
    key = aliases.get(key, key)
    if key not in ACTIVATIONS:
        valid = ", ".join(sorted(ACTIVATIONS) + sorted(aliases))
        raise ValueError(f"unknown activation {name!r}; valid names are: {valid}")
    return ACTIVATIONS[key][1 if derivative else 0]
