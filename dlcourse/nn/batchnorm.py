"""Batch normalisation, as ``torch.nn.BatchNorm1d`` / ``BatchNorm2d`` (chapter 3.5).

For each channel c (axis 1), over the m values of the mini-batch B (every
other axis: the batch, and the length or the height × width):

    μ = (1/m) Σ x,   σ² = (1/m) Σ (x − μ)²,   x̂ = (x − μ) / √(σ² + ε),   y = γ x̂ + β

In training the batch statistics are used and the running estimates move
towards them, with the *unbiased* variance m/(m − 1) σ² (PyTorch's rule):

    running_mean ← (1 − momentum) running_mean + momentum μ
    running_var  ← (1 − momentum) running_var  + momentum σ² m/(m − 1)

(``momentum=None``: a cumulative average, momentum = 1/num_batches_tracked).
In evaluation the running estimates replace μ and σ² (the notes' "dataset
statistics"). Backward in training, with ĝ = dL/dx̂ = γ dL/dy:

    dL/dx = (1 / (m √(σ² + ε))) (m ĝ − Σ ĝ − x̂ Σ ĝ x̂),
    dL/dγ = Σ dL/dy ⊙ x̂,   dL/dβ = Σ dL/dy
"""

import numpy as np

from dlcourse.nn.module import Module
from dlcourse.nn.parameter import Parameter


class _BatchNorm(Module):
    """The shared implementation; subclasses only say which input ranks they accept."""

    accepted_ndims = ()

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, dtype=np.float64):
        super().__init__()
        if not isinstance(num_features, (int, np.integer)) or num_features < 1:
            raise ValueError(
                f"{type(self).__name__} num_features must be a positive integer, got {num_features!r}"
            )
        self.num_features = int(num_features)
        self.eps = eps
        self.momentum = momentum
        self.affine = affine
        self.track_running_stats = track_running_stats
        if affine:
            self.weight = Parameter(np.ones(num_features, dtype=dtype))
            self.bias = Parameter(np.zeros(num_features, dtype=dtype))
        else:
            self.weight = None
            self.bias = None
        if track_running_stats:
            self.register_buffer("running_mean", np.zeros(num_features, dtype=dtype))
            self.register_buffer("running_var", np.ones(num_features, dtype=dtype))
            self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))
        else:
            self.running_mean = None
            self.running_var = None
            self.num_batches_tracked = None

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean[...] = 0
            self.running_var[...] = 1
            self.num_batches_tracked[...] = 0

    def _check_input(self, x):
        if x.ndim not in self.accepted_ndims:
            wanted = " or ".join(f"{n}D" for n in self.accepted_ndims)
            raise ValueError(
                f"{type(self).__name__} expected {wanted} input, got {x.ndim}D input of shape {x.shape}"
            )
        if x.shape[1] != self.num_features:
            raise ValueError(
                f"{type(self).__name__} expected {self.num_features} channels (num_features) "
                f"along axis 1, got input of shape {x.shape}"
            )

    def _broadcast(self, per_channel, ndim):
        return per_channel.reshape((1, -1) + (1,) * (ndim - 2))

    def forward(self, x):
        x = np.asarray(x)
        self._check_input(x)
        axes = (0,) + tuple(range(2, x.ndim))
        m = x.size // self.num_features
        use_batch_stats = self.training or not self.track_running_stats
        if use_batch_stats:
            if self.training and m == 1:
                raise ValueError(
                    f"{type(self).__name__} expected more than 1 value per channel when training, "
                    f"got input of shape {x.shape}"
                )
            mean = x.mean(axis=axes)
            var = x.var(axis=axes)
            if self.training and self.track_running_stats:
                self._update_running_stats(mean, var, m)
        else:
            mean, var = self.running_mean, self.running_var
        inv_std = 1 / np.sqrt(var + self.eps)
        x_hat = (x - self._broadcast(mean, x.ndim)) * self._broadcast(inv_std, x.ndim)
        y = x_hat
        if self.affine:
            y = x_hat * self._broadcast(self.weight.data, x.ndim) + self._broadcast(self.bias.data, x.ndim)
        self._save_for_backward(x_hat, inv_std, axes, m, use_batch_stats)
        return y.astype(x.dtype, copy=False) if np.issubdtype(x.dtype, np.floating) else y

    def _update_running_stats(self, mean, var, m):
        # in place: the buffers stay the same arrays that state_dict() reports
        self.num_batches_tracked[...] += 1
        factor = 1 / float(self.num_batches_tracked) if self.momentum is None else self.momentum
        unbiased = var * (m / (m - 1))
        self.running_mean[...] = (1 - factor) * self.running_mean + factor * mean
        self.running_var[...] = (1 - factor) * self.running_var + factor * unbiased

    def backward(self, grad_output):
        x_hat, inv_std, axes, m, use_batch_stats = self._saved()
        g = np.asarray(grad_output)
        ndim = g.ndim
        if self.affine:
            self.weight.accumulate_grad((g * x_hat).sum(axis=axes))
            self.bias.accumulate_grad(g.sum(axis=axes))
            g_hat = g * self._broadcast(self.weight.data, ndim)
        else:
            g_hat = g
        if not use_batch_stats:  # μ and σ² are constants in evaluation
            grad = g_hat * self._broadcast(inv_std, ndim)
            return grad.astype(g.dtype, copy=False) if np.issubdtype(g.dtype, np.floating) else grad
        sum_g = g_hat.sum(axis=axes)
        sum_gx = (g_hat * x_hat).sum(axis=axes)
        b = self._broadcast
        grad = b(inv_std / m, ndim) * (m * g_hat - b(sum_g, ndim) - x_hat * b(sum_gx, ndim))
        return grad.astype(g.dtype, copy=False) if np.issubdtype(g.dtype, np.floating) else grad

    def extra_repr(self):
        return (
            f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
            f"affine={self.affine}, track_running_stats={self.track_running_stats}"
        )


class BatchNorm1d(_BatchNorm):
    """Batch norm over (N, C) or (N, C, L) inputs: statistics per channel C."""

    accepted_ndims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch norm over (N, C, H, W) images: statistics per channel C over N, H and W."""

    accepted_ndims = (4,)
