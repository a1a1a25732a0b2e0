"""2-D convolution layer, as ``torch.nn.Conv2d`` (chapter "Convolutional Neural Network").

    y[n, o] = b[o] + sum_c  w[o, c] ⋆ x[n, c]        (⋆: cross-correlation, see
                                                      ``dlcourse.functional.conv``)

x: (N, C_in, H, W), weight: (C_out, C_in, kh, kw), bias: (C_out,),
y: (N, C_out, H_out, W_out) with H_out = floor((H + 2P - d(kh - 1) - 1)/S) + 1.

Every output pixel is a neuron connected only to its receptive field (sparse
connectivity), and all neurons of one output channel share the same weights
(weight sharing): a layer of K filters of size F×F×C has K·F²·C weights and K
biases, however large the image (the notes: 6 filters of 5×5 give 150 weights).
A 1×1 convolution (``kernel_size=1``) mixes channels pixel by pixel; it is how
an inception block reduces the depth before its larger filters.

Initialisation as PyTorch's default: weight and bias uniform in ±1/√fan_in with
fan_in = C_in·kh·kw (``kaiming_uniform_`` with a = √5 gives this bound).
``padding`` is an int, a pair, ``'valid'`` (0) or ``'same'`` (stride 1, odd kernel:
the output keeps H x W). Only ``groups=1`` is supported.
"""

import math

import numpy as np

from dlcourse.functional.conv import _conv_padding, _pair, conv2d_backward, conv2d_forward
from dlcourse.nn.module import Module
from dlcourse.nn.parameter import Parameter


class Conv2d(Module):
    """Learned filters slid over the image; see the module docstring for the formula."""

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 bias=True, rng=None, dtype=np.float64):
        super().__init__()
        for name, value in (("in_channels", in_channels), ("out_channels", out_channels)):
            if not isinstance(value, (int, np.integer)) or isinstance(value, bool) or value < 1:
                raise ValueError(f"Conv2d {name} must be a positive integer, got {value!r}")
        self.in_channels = int(in_channels)
        self.out_channels = int(out_channels)
        self.kernel_size = _pair(kernel_size, "kernel_size")
        self.stride = _pair(stride, "stride")
        self.dilation = _pair(dilation, "dilation")
        if min(self.kernel_size) < 1 or min(self.stride) < 1 or min(self.dilation) < 1:
            raise ValueError(
                f"Conv2d kernel_size, stride and dilation must be >= 1, got kernel_size="
                f"{self.kernel_size}, stride={self.stride}, dilation={self.dilation}"
            )
        # 'valid' and 'same' become numbers here, so the layer shows the padding it uses
        self.padding = _conv_padding(padding, self.kernel_size, self.stride, self.dilation)
        rng = np.random.default_rng(rng)
        fan_in = self.in_channels * self.kernel_size[0] * self.kernel_size[1]
        bound = 1 / math.sqrt(fan_in)
        shape = (self.out_channels, self.in_channels, *self.kernel_size)
        self.weight = Parameter(rng.uniform(-bound, bound, size=shape).astype(dtype))
        if bias:
            self.bias = Parameter(rng.uniform(-bound, bound, size=self.out_channels).astype(dtype))
        else:
            self.bias = None

    def forward(self, x):
        x = np.asarray(x)
        if x.ndim != 4:
            raise ValueError(
                f"Conv2d expects a 4-D input of shape (N, C, H, W), got shape {x.shape} ({x.ndim}-D)"
                + (" (for a single image use x[None])" if x.ndim == 3 else "")
            )
        if x.shape[1] != self.in_channels:
            raise ValueError(
                f"Conv2d expected input with {self.in_channels} channels (in_channels), "
                f"got {x.shape[1]} in shape {x.shape}"
            )
        bias = None if self.bias is None else self.bias.data
        y, cache = conv2d_forward(x, self.weight.data, bias, self.stride, self.padding, self.dilation)
        self._save_for_backward(cache)
        return y

    def backward(self, grad_output, needs_input_grad=True):
        (cache,) = self._saved()
        dx, dw, db = conv2d_backward(grad_output, cache, input_grad=needs_input_grad)
        self.weight.accumulate_grad(dw)
        if self.bias is not None:
            self.bias.accumulate_grad(db)
        return dx

    def extra_repr(self):
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}"
        )
        if self.padding != (0, 0):
            text += f", padding={self.padding}"
        if self.dilation != (1, 1):
            text += f", dilation={self.dilation}"
        if self.bias is None:
            text += ", bias=False"
        return text
