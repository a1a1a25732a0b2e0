"""Inverted dropout, as ``torch.nn.Dropout`` (chapter on regularisation).

In training each unit is kept with probability 1 − p and the kept units are
divided by the keep probability, so the expected output equals the input and
nothing has to change at test time:

    y = x ⊙ m / (1 − p),   m_i ~ Bernoulli(1 − p),      dL/dx = dL/dy ⊙ m / (1 − p)

In evaluation mode (``.eval()``) the layer is the identity.
"""

import numpy as np

from dlcourse.nn.module import Module


class Dropout(Module):
    """Zero each element with probability ``p`` in training, scale the rest by 1/(1 − p)."""

    def __init__(self, p=0.5, inplace=False, rng=None):
        super().__init__()
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")
        self.p = float(p)
        self.rng = np.random.default_rng(rng)

    def forward(self, x):
        x = np.asarray(x)
        if not self.training or self.p == 0.0:
            self._save_for_backward(None)
            return x.copy()
        if self.p == 1.0:
            scale = np.zeros(x.shape, dtype=x.dtype)
        else:
            keep = self.rng.random(x.shape) >= self.p
            scale = keep.astype(x.dtype) * (1 / (1 - self.p))
        self._save_for_backward(scale)
        return x * scale

    def backward(self, grad_output):
        (scale,) = self._saved()
        if scale is None:
            return np.array(grad_output, copy=True)
        return grad_output * scale

    def extra_repr(self):
        return f"p={self.p}, inplace=False"
