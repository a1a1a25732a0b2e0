"""Weight initialisation (chapter 3.4), as ``torch.nn.init`` plus the notes' plain formulas.

A weight of shape (out, in, *kernel) has fan_in = in · k and fan_out = out · k,
k the number of kernel elements (1 for ``Linear``). Keeping the variance of
the signal the same from layer to layer gives:

* Xavier / Glorot (tanh, sigmoid):   Var(w) = 2 / (fan_in + fan_out)
  normal N(0, 2/(n_in + n_out))   or   uniform U(±√(6/(n_in + n_out)));
  LeCun's variant uses Var(w) = 1 / fan_in.
* He / Kaiming (ReLU and its variants): Var(w) = 2 / fan_in
  normal N(0, 2/n_in)   or   uniform U(±√(6/n_in)).
  The notes write He's variance as 4 / (n_in + n_out), which is 2 / fan_avg
  with fan_avg = (n_in + n_out)/2: ``mode='fan_avg'`` gives that form.

A uniform U(−b, b) has variance b²/3, which is where the √6 and √3 come from.

Two interfaces:

* in place, torch's names and arguments: ``xavier_uniform_(w, gain=1.0, rng=None)``,
  ``xavier_normal_``, ``kaiming_uniform_(w, a=0, mode='fan_in', nonlinearity='leaky_relu',
  rng=None)``, ``kaiming_normal_``, ``uniform_``, ``normal_``, ``constant_``, ``zeros_``,
  ``ones_``; ``w`` is a ``Parameter`` or a float array, filled and returned;
* plain functions returning a new array for a shape: ``xavier_normal(shape, rng=None)``,
  ``xavier_uniform``, ``lecun_normal``, ``lecun_uniform``, ``he_normal(shape, mode=...)``,
  ``he_uniform``.

``rng`` is a ``numpy.random.Generator`` or a seed (``None``: a fresh, unseeded generator).
"""

import math

import numpy as np

from dlcourse.nn.parameter import Parameter

__all__ = [
    "calculate_gain", "calculate_fan_in_and_fan_out",
    "uniform_", "normal_", "constant_", "zeros_", "ones_",
    "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
    "xavier_normal", "xavier_uniform", "lecun_normal", "lecun_uniform", "he_normal", "he_uniform",
]

_LINEAR_LIKE = ("linear", "identity", "conv1d", "conv2d", "conv3d",
                "conv_transpose1d", "conv_transpose2d", "conv_transpose3d", "sigmoid")


def calculate_gain(nonlinearity, param=None):
    """The gain g that ``std = g / √fan`` needs for each nonlinearity (torch's values):
    1 for linear/conv/sigmoid, 5/3 for tanh, √2 for relu, √(2 / (1 + a²)) for
    leaky_relu with slope a (default 0.01), 3/4 for selu."""
    if nonlinearity in _LINEAR_LIKE:
        return 1
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, (int, float)) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"negative_slope {param} not a valid number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    valid = ", ".join(_LINEAR_LIKE + ("tanh", "relu", "leaky_relu", "selu"))
    raise ValueError(f"Unsupported nonlinearity {nonlinearity!r}; valid names are: {valid}")


def calculate_fan_in_and_fan_out(shape):
    """(fan_in, fan_out) for a weight of shape (out, in, *kernel)."""
    shape = tuple(shape)
    if len(shape) < 2:
        raise ValueError(
            f"Fan in and fan out can not be computed for a weight with fewer than 2 dimensions, "
            f"got shape {shape}"
        )
    receptive = math.prod(shape[2:])
    return shape[1] * receptive, shape[0] * receptive


def _fan(shape, mode):
    fan_in, fan_out = calculate_fan_in_and_fan_out(shape)
    if mode == "fan_in":
        return fan_in
    if mode == "fan_out":
        return fan_out
    if mode == "fan_avg":
        return (fan_in + fan_out) / 2
    raise ValueError(f"mode {mode!r} not supported, please use one of 'fan_in', 'fan_out', 'fan_avg'")


# -- in place, torch.nn.init style ----------------------------------------------
def _fill(tensor, sample):
    """Write ``sample(shape) -> float64 array`` into ``tensor`` (Parameter or array) in place."""
    array = tensor.data if isinstance(tensor, Parameter) else tensor
    if not isinstance(array, np.ndarray) or not np.issubdtype(array.dtype, np.floating):
        raise TypeError(
            f"initialisers fill a Parameter or a floating NumPy array in place, got {type(tensor).__name__}"
            + (f" of dtype {array.dtype}" if isinstance(array, np.ndarray) else "")
        )
    array[...] = sample(array.shape)
    return tensor


def uniform_(tensor, a=0.0, b=1.0, rng=None):
    """Fill with U(a, b)."""
    rng = np.random.default_rng(rng)
    return _fill(tensor, lambda shape: rng.uniform(a, b, size=shape))


def normal_(tensor, mean=0.0, std=1.0, rng=None):
    """Fill with N(mean, std²)."""
    rng = np.random.default_rng(rng)
    return _fill(tensor, lambda shape: rng.normal(mean, std, size=shape))


def constant_(tensor, val):
    return _fill(tensor, lambda shape: np.full(shape, val))


def zeros_(tensor):
    return constant_(tensor, 0.0)


def ones_(tensor):
    return constant_(tensor, 1.0)


def _shape_of(tensor):
    return (tensor.data if isinstance(tensor, Parameter) else np.asarray(tensor)).shape


def xavier_uniform_(tensor, gain=1.0, rng=None):
    """U(−b, b) with b = gain · √(6 / (fan_in + fan_out))."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(_shape_of(tensor))
    bound = gain * math.sqrt(6.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound, rng)


def xavier_normal_(tensor, gain=1.0, rng=None):
    """N(0, σ²) with σ = gain · √(2 / (fan_in + fan_out))."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(_shape_of(tensor))
    std = gain * math.sqrt(2.0 / (fan_in + fan_out))
    return normal_(tensor, 0.0, std, rng)


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
    """U(−b, b) with b = √3 · gain / √fan, gain = calculate_gain(nonlinearity, a).

    With the defaults (leaky_relu, a = 0) the gain is √2: b = √(6 / fan_in).
    """
    fan = _fan(_shape_of(tensor), mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    bound = math.sqrt(3.0) * std
    return uniform_(tensor, -bound, bound, rng)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu", rng=None):
    """N(0, σ²) with σ = gain / √fan (σ² = 2 / fan_in for ReLU)."""
    fan = _fan(_shape_of(tensor), mode)
    std = calculate_gain(nonlinearity, a) / math.sqrt(fan)
    return normal_(tensor, 0.0, std, rng)


# -- plain functions with the notes' formulas -------------------------------------
def _normal(shape, variance, rng, dtype):
    rng = np.random.default_rng(rng)
    return rng.normal(0.0, math.sqrt(variance), size=tuple(shape)).astype(dtype)


def _uniform(shape, variance, rng, dtype):
    bound = math.sqrt(3.0 * variance)  # Var U(−b, b) = b² / 3
    rng = np.random.default_rng(rng)
    return rng.uniform(-bound, bound, size=tuple(shape)).astype(dtype)


def xavier_normal(shape, rng=None, dtype=np.float64):
    """Weights of ``shape`` (out, in, ...) from N(0, 2 / (n_in + n_out))."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(shape)
    return _normal(shape, 2.0 / (fan_in + fan_out), rng, dtype)


def xavier_uniform(shape, rng=None, dtype=np.float64):
    """Weights from U(±√(6 / (n_in + n_out))), variance 2 / (n_in + n_out)."""
    fan_in, fan_out = calculate_fan_in_and_fan_out(shape)
    return _uniform(shape, 2.0 / (fan_in + fan_out), rng, dtype)


def lecun_normal(shape, rng=None, dtype=np.float64):
    """Weights from N(0, 1 / n_in) (the fan-in form of Xavier's rule)."""
    fan_in, _ = calculate_fan_in_and_fan_out(shape)
    return _normal(shape, 1.0 / fan_in, rng, dtype)


def lecun_uniform(shape, rng=None, dtype=np.float64):
    """Weights from U(±√(3 / n_in)), variance 1 / n_in."""
    fan_in, _ = calculate_fan_in_and_fan_out(shape)
    return _uniform(shape, 1.0 / fan_in, rng, dtype)


def he_normal(shape, rng=None, mode="fan_in", dtype=np.float64):
    """Weights from N(0, 2 / fan): 2 / n_in by default; ``mode='fan_avg'`` gives the
    notes' 4 / (n_in + n_out)."""
    return _normal(shape, 2.0 / _fan(shape, mode), rng, dtype)


def he_uniform(shape, rng=None, mode="fan_in", dtype=np.float64):
    """Weights from U(±√(6 / fan)), variance 2 / fan (``'fan_avg'``: U(±√(12/(n_in + n_out))))."""
    return _uniform(shape, 2.0 / _fan(shape, mode), rng, dtype)
