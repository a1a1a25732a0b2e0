"""Inverted dropout, as ``torch.nn.Dropout`` (chapter on regularisation).

In training each unit is kept with probability 1 − p and the kept units are
divided by the keep probability, so the expected output equals the input and
nothing has to change at test time:

    y = x ⊙ m / (1 − p),   m_i ~ Bernoulli(1 − p),      dL/dx = dL/dy ⊙ m / (1 − p)

In evaluation mode (``.eval()``) the layer is the identity. The mask is drawn by
:func:`dlcourse.functional.dropout_forward` from the layer's generator, so the layer
and ``F.dropout`` give the same mask for the same generator.
"""

import numpy as np

from dlcourse.functional import inverted_dropout as D
from dlcourse.nn.module import Module


class Dropout(Module):
    """Zero each element with probability ``p`` in training, scale the rest by 1/(1 − p)."""

    def __init__(self, p=0.5, inplace=False, rng=None):
        super().__init__()
        self.p = D._check_p(p)
        self.rng = np.random.default_rng(rng)

    def forward(self, x):
        out, scale = D.dropout_forward(x, self.p, self.training, self.rng)
        self._save_for_backward(scale)
        return out

    def backward(self, grad_output):
        (scale,) = self._saved()
        return D.dropout_backward(grad_output, scale)

    def extra_repr(self):
        return f"p={self.p}, inplace=False"
