"""Fully connected layer, as ``torch.nn.Linear`` (chapter on multilayer networks).

    y = x Wᵀ + b        x: (..., in_features), W: (out_features, in_features),
                        b: (out_features,), y: (..., out_features)

Backward, with g = dL/dy and every axis but the last flattened to N rows:

    dL/dx = g W,   dL/dW = gᵀ x,   dL/db = Σ_n g_n

Initialisation as PyTorch's default: W and b uniform in ±1/√in_features
(``kaiming_uniform_`` with a = √5 gives exactly this bound for W).
"""

import math

import numpy as np

from dlcourse.nn.module import Module
from dlcourse.nn.parameter import Parameter


class Linear(Module):
    """Affine map y = x Wᵀ + b over the last axis of ``x``."""

    def __init__(self, in_features, out_features, bias=True, rng=None, dtype=np.float64):
        super().__init__()
        for name, value in (("in_features", in_features), ("out_features", out_features)):
            if not isinstance(value, (int, np.integer)) or value < 0:
                raise ValueError(f"Linear {name} must be a non-negative integer, got {value!r}")
        self.in_features = int(in_features)
        self.out_features = int(out_features)
        rng = np.random.default_rng(rng)
        bound = 1 / math.sqrt(in_features) if in_features > 0 else 0.0
        shape = (self.out_features, self.in_features)
        self.weight = Parameter(rng.uniform(-bound, bound, size=shape).astype(dtype))
        if bias:
            self.bias = Parameter(rng.uniform(-bound, bound, size=out_features).astype(dtype))
        else:
            self.bias = None

    def forward(self, x):
        x = np.asarray(x)
        if x.ndim == 0 or x.shape[-1] != self.in_features:
            raise ValueError(
                f"Linear expected input with last dimension {self.in_features} (in_features), "
                f"got shape {_shape_text(x.shape)}"
            )
        y = x @ self.weight.data.T
        if self.bias is not None:
            y = y + self.bias.data
        self._save_for_backward(x)
        return y

    def backward(self, grad_output, needs_input_grad=True):
        """dW = gᵀx, db = Σ g over the rows, and dL/dx = g W (None with needs_input_grad=False)."""
        (x,) = self._saved()
        g = np.asarray(grad_output)
        rows_g = g.reshape(-1, self.out_features)
        rows_x = x.reshape(-1, self.in_features)
        self.weight.accumulate_grad(rows_g.T @ rows_x)
        if self.bias is not None:
            self.bias.accumulate_grad(rows_g.sum(axis=0))
        return g @ self.weight.data if needs_input_grad else None

    def extra_repr(self):
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}"
        )


def _shape_text(shape):
    """(N, 5) style text: the batch size stands for any number of rows."""
    if len(shape) == 2:
        return f"(N, {shape[1]}) with N={shape[0]}"
    return str(tuple(shape))
