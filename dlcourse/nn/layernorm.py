"""Layer normalisation, as ``torch.nn.LayerNorm`` (chapter 8).

Batch normalisation averages each feature over the mini-batch; layer
normalisation averages each *sample* over its last dimensions (the
``normalized_shape``), so it behaves the same in training and evaluation and
needs no running statistics. Over the H values of one sample:

    μ = (1/H) Σ x,   σ² = (1/H) Σ (x − μ)²,   x̂ = (x − μ) / √(σ² + ε),   y = γ ⊙ x̂ + β

with γ, β of shape ``normalized_shape``. Backward, with ĝ = γ ⊙ dL/dy and the
sums over the same H values:

    dL/dx = (1 / (H √(σ² + ε))) (H ĝ − Σ ĝ − x̂ Σ ĝ x̂),
    dL/dγ = Σ_samples dL/dy ⊙ x̂,   dL/dβ = Σ_samples dL/dy
"""

import numpy as np

from dlcourse.nn.module import Module
from dlcourse.nn.parameter import Parameter


class LayerNorm(Module):
    """Normalise over the last ``len(normalized_shape)`` axes of the input."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True, dtype=np.float64):
        super().__init__()
        if isinstance(normalized_shape, (int, np.integer)):
            normalized_shape = (normalized_shape,)
        normalized_shape = tuple(normalized_shape)
        if not normalized_shape or not all(isinstance(n, (int, np.integer)) and n >= 1 for n in normalized_shape):
            raise ValueError(f"LayerNorm normalized_shape must be positive integers, got {normalized_shape!r}")
        self.normalized_shape = tuple(int(n) for n in normalized_shape)
        self.eps = eps
        self.elementwise_affine = elementwise_affine
        self.weight = Parameter(np.ones(self.normalized_shape, dtype=dtype)) if elementwise_affine else None
        self.bias = Parameter(np.zeros(self.normalized_shape, dtype=dtype)) if elementwise_affine and bias else None

    def _axes(self, x):
        k = len(self.normalized_shape)
        if x.ndim < k or x.shape[x.ndim - k:] != self.normalized_shape:
            raise ValueError(
                f"LayerNorm expected an input whose last dimensions are {self.normalized_shape} "
                f"(normalized_shape), got shape {x.shape}"
            )
        return tuple(range(x.ndim - k, x.ndim))

    def forward(self, x):
        x = np.asarray(x)
        axes = self._axes(x)
        mean = x.mean(axis=axes, keepdims=True)
        inv_std = 1 / np.sqrt(x.var(axis=axes, keepdims=True) + self.eps)
        x_hat = (x - mean) * inv_std
        y = x_hat
        if self.weight is not None:
            y = y * self.weight.data
        if self.bias is not None:
            y = y + self.bias.data
        self._save_for_backward(x_hat, inv_std, axes)
        return y.astype(x.dtype, copy=False) if np.issubdtype(x.dtype, np.floating) else y

    def backward(self, grad_output):
        x_hat, inv_std, axes = self._saved()
        g = np.asarray(grad_output)
        batch_axes = tuple(range(g.ndim - len(axes)))
        if self.weight is not None:
            self.weight.accumulate_grad((g * x_hat).sum(axis=batch_axes))
            g_hat = g * self.weight.data
        else:
            g_hat = g
        if self.bias is not None:
            self.bias.accumulate_grad(g.sum(axis=batch_axes))
        h = int(np.prod(self.normalized_shape))
        sum_g = g_hat.sum(axis=axes, keepdims=True)
        sum_gx = (g_hat * x_hat).sum(axis=axes, keepdims=True)
        grad = inv_std / h * (h * g_hat - sum_g - x_hat * sum_gx)
        return grad.astype(g.dtype, copy=False) if np.issubdtype(g.dtype, np.floating) else grad

    def extra_repr(self):
        return f"{self.normalized_shape}, eps={self.eps}, elementwise_affine={self.elementwise_affine}"
