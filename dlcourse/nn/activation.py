"""Activation layers, one per function in ``dlcourse.functional``, named as in ``torch.nn``.

An elementwise activation y = f(x) has the one-to-one backward pass

    dL/dx = dL/dy ⊙ f'(x)

(the notes' table: sigmoid g ⊙ z(1 − z), tanh g ⊙ (1 − z²), ReLU g ⊙ I(x > 0)).
``BinaryStep``, ``Arctan`` and ``Maxout`` are the notes' units that PyTorch lacks.
"""

import numpy as np

from dlcourse import functional as F
from dlcourse.nn.module import Module
from dlcourse.nn.parameter import Parameter


class _Elementwise(Module):
    """y = f(x, **options) elementwise; backward multiplies by f'(x, **options)."""

    function = None
    derivative = None

    def _options(self):
        return {}

    def forward(self, x):
        x = np.asarray(x)
        self._save_for_backward(x)
        return type(self).function(x, **self._options())

    def backward(self, grad_output):
        (x,) = self._saved()
        return grad_output * type(self).derivative(x, **self._options())

    def extra_repr(self):
        return ", ".join(f"{k}={v}" for k, v in self._options().items())


class Identity(_Elementwise):
    """y = x."""

    function, derivative = F.identity, F.identity_grad

    def __init__(self, *args, **kwargs):  # torch accepts and ignores any arguments
        super().__init__()


class BinaryStep(_Elementwise):
    """y = 1 if x >= 0 else 0; its gradient is 0."""

    function, derivative = F.binary_step, F.binary_step_grad

    def __init__(self):
        super().__init__()


class Sigmoid(_Elementwise):
    """y = σ(x) = 1 / (1 + e^{-x})."""

    function, derivative = F.sigmoid, F.sigmoid_grad

    def __init__(self):
        super().__init__()


class Tanh(_Elementwise):
    """y = tanh(x)."""

    function, derivative = F.tanh, F.tanh_grad

    def __init__(self):
        super().__init__()


class Arctan(_Elementwise):
    """y = tan⁻¹(x)."""

    function, derivative = F.arctan, F.arctan_grad

    def __init__(self):
        super().__init__()


class Softsign(_Elementwise):
    """y = x / (1 + |x|)."""

    function, derivative = F.softsign, F.softsign_grad

    def __init__(self):
        super().__init__()


class ReLU(_Elementwise):
    """y = max(0, x)."""

    function, derivative = F.relu, F.relu_grad

    def __init__(self, inplace=False):  # ``inplace`` kept for torch's signature; never in place
        super().__init__()


class LeakyReLU(_Elementwise):
    """y = x if x >= 0 else negative_slope · x."""

    function, derivative = F.leaky_relu, F.leaky_relu_grad

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope = negative_slope

    def _options(self):
        return {"negative_slope": self.negative_slope}


class ELU(_Elementwise):
    """y = x if x > 0 else α (e^x − 1)."""

    function, derivative = F.elu, F.elu_grad

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha = alpha

    def _options(self):
        return {"alpha": self.alpha}


class SELU(_Elementwise):
    """y = λ elu(x, α) with the self-normalising constants λ ≈ 1.0507, α ≈ 1.6733."""

    function, derivative = F.selu, F.selu_grad

    def __init__(self, inplace=False):
        super().__init__()


class Softplus(_Elementwise):
    """y = log(1 + e^{βx}) / β, linear where βx > threshold."""

    function, derivative = F.softplus, F.softplus_grad

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta = beta
        self.threshold = threshold

    def _options(self):
        return {"beta": self.beta, "threshold": self.threshold}


class GELU(_Elementwise):
    """y = x Φ(x) (``approximate='tanh'``: the tanh approximation)."""

    function, derivative = F.gelu, F.gelu_grad

    def __init__(self, approximate="none"):
        super().__init__()
        F.activations._check_approximate(approximate)
        self.approximate = approximate

    def _options(self):
        return {"approximate": self.approximate}

    def extra_repr(self):
        return f"approximate={self.approximate!r}"


class SiLU(_Elementwise):
    """y = x σ(x) (swish)."""

    function, derivative = F.silu, F.silu_grad

    def __init__(self, inplace=False):
        super().__init__()


class Hardtanh(_Elementwise):
    """y = clip(x, min_val, max_val)."""

    function, derivative = F.hardtanh, F.hardtanh_grad

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        super().__init__()
        F.activations._check_range(min_val, max_val)
        self.min_val = min_val
        self.max_val = max_val

    def _options(self):
        return {"min_val": self.min_val, "max_val": self.max_val}


class PReLU(Module):
    """y = x if x >= 0 else a · x with learnable slopes a, as ``torch.nn.PReLU``.

    ``num_parameters`` is 1 (one slope shared by every unit) or the number of
    channels C (axis 1 of the input); every slope starts at ``init``.
    dL/da_c = Σ over the units using a_c of dL/dy · min(x, 0) (x where x <= 0).
    """

    def __init__(self, num_parameters=1, init=0.25, dtype=np.float64):
        super().__init__()
        if not isinstance(num_parameters, (int, np.integer)) or num_parameters < 1:
            raise ValueError(f"PReLU num_parameters must be a positive integer, got {num_parameters!r}")
        self.num_parameters = int(num_parameters)
        self.weight = Parameter(np.full(self.num_parameters, init, dtype=dtype))

    def forward(self, x):
        x = np.asarray(x)
        self._save_for_backward(x)
        return F.prelu(x, self.weight.data)

    def backward(self, grad_output):
        (x,) = self._saved()
        grad_x, grad_w = F.prelu_backward(grad_output, x, self.weight.data)
        self.weight.accumulate_grad(grad_w)
        return grad_x

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"


class Maxout(Module):
    """Maxout over groups of ``num_pieces`` consecutive units along ``dim``:
    (…, k·m, …) -> (…, m, …). Put a ``Linear(in, k·m)`` before it to get the
    notes' max{w_1·x + b_1, …, w_k·x + b_k}; only the winning piece gets a gradient."""

    def __init__(self, num_pieces, dim=-1):
        super().__init__()
        if not isinstance(num_pieces, (int, np.integer)) or num_pieces < 1:
            raise ValueError(f"Maxout num_pieces must be a positive integer, got {num_pieces!r}")
        self.num_pieces = int(num_pieces)
        self.dim = dim

    def forward(self, x):
        x = np.asarray(x)
        self._save_for_backward(x)
        return F.maxout(x, self.num_pieces, self.dim)

    def backward(self, grad_output):
        (x,) = self._saved()
        return F.maxout_backward(grad_output, x, self.num_pieces, self.dim)

    def extra_repr(self):
        return f"num_pieces={self.num_pieces}, dim={self.dim}"


class Softmax(Module):
    """y = softmax(x) along ``dim``; dL/dx = y ⊙ (g − Σ g y)."""

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim

    def forward(self, x):
        y = F.softmax(x, self.dim)
        self._save_for_backward(y)
        return y

    def backward(self, grad_output):
        (y,) = self._saved()
        return F.softmax_backward(grad_output, y, self.dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class LogSoftmax(Softmax):
    """y = log_softmax(x) along ``dim``; dL/dx = g − softmax(x) Σ g."""

    def forward(self, x):
        y = F.log_softmax(x, self.dim)
        self._save_for_backward(y)
        return y

    def backward(self, grad_output):
        (y,) = self._saved()
        return F.log_softmax_backward(grad_output, y, self.dim)
