"""Building blocks of modern CNNs: the inception block (GoogLeNet) and the residual block (ResNet).

Chapter "Convolutional Neural Network", architectures.

**Inception block.** Instead of choosing one filter size per layer, apply
several in parallel and concatenate their feature maps along the channels:

    y = concat_channels( b1(x), b2(x), b3(x), b4(x) )
    b1 = 1x1 conv                     b2 = 1x1 conv -> 3x3 conv (padding 1)
    b3 = 1x1 conv -> 5x5 conv (pad 2)  b4 = 3x3 max pool (stride 1, pad 1) -> 1x1 conv

each convolution followed by a ReLU. The 1x1 convolutions first reduce the depth
D to a few channels, so the 3x3 and 5x5 filters (F·F·D weights each) stay cheap;
the paddings keep every branch at the input's H x W so the maps can be stacked.
Backward: the gradient is split along the channels into the four branches'
parts, each branch back-propagates its own part, and the four dL/dx add up
(x fed all four branches).

**Residual block.** A skip connection adds the block's input to its output, so
a deeper network can always fall back on the identity:

    y = ReLU( BN(conv3x3(ReLU(BN(conv3x3(x))))) + shortcut(x) )

shortcut(x) = x, or a 1x1 convolution + BN (a *projection*) when the stride or
the number of channels changes the shape. Backward: g = dL/dy ⊙ [y > 0] goes to
both paths, and dL/dx = (main path)ᵀ g + (shortcut)ᵀ g. This is torchvision's
``BasicBlock``; its convolutions have no bias, the batch norm's β plays that role.
"""

import numpy as np

from dlcourse.nn.activation import ReLU
from dlcourse.nn.batchnorm import BatchNorm2d
from dlcourse.nn.container import Sequential
from dlcourse.nn.conv import Conv2d
from dlcourse.nn.module import Module
from dlcourse.nn.pooling import MaxPool2d


class InceptionBlock(Module):
    """GoogLeNet's inception module: 1x1, 3x3, 5x5 and pooling branches side by side.

    Input (N, in_channels, H, W); output (N, ch1x1 + ch3x3 + ch5x5 + pool_proj, H, W).
    ``ch3x3red`` and ``ch5x5red`` are the depths the 1x1 reductions shrink to;
    ``pool_proj`` the depth of the 1x1 convolution after the pooling.
    """

    def __init__(self, in_channels, ch1x1, ch3x3red, ch3x3, ch5x5red, ch5x5, pool_proj,
                 rng=None, dtype=np.float64):
        super().__init__()
        rng = np.random.default_rng(rng)

        def conv(c_in, c_out, size):
            return Conv2d(c_in, c_out, size, padding=size // 2, rng=rng, dtype=dtype)

        self.branch1 = Sequential(conv(in_channels, ch1x1, 1), ReLU())
        self.branch2 = Sequential(conv(in_channels, ch3x3red, 1), ReLU(), conv(ch3x3red, ch3x3, 3), ReLU())
        self.branch3 = Sequential(conv(in_channels, ch5x5red, 1), ReLU(), conv(ch5x5red, ch5x5, 5), ReLU())
        self.branch4 = Sequential(MaxPool2d(3, stride=1, padding=1), conv(in_channels, pool_proj, 1), ReLU())
        self.in_channels = in_channels
        self.out_channels = ch1x1 + ch3x3 + ch5x5 + pool_proj

    def _branches(self):
        return (self.branch1, self.branch2, self.branch3, self.branch4)

    def forward(self, x):
        x = np.asarray(x)
        if x.ndim != 4 or x.shape[1] != self.in_channels:
            raise ValueError(
                f"InceptionBlock expected input of shape (N, {self.in_channels}, H, W), got {x.shape}"
            )
        outputs = [branch(x) for branch in self._branches()]
        self._save_for_backward([out.shape[1] for out in outputs])
        return np.concatenate(outputs, axis=1)

    def backward(self, grad_output):
        (widths,) = self._saved()
        parts = np.split(np.asarray(grad_output), np.cumsum(widths)[:-1], axis=1)
        grad_input = None
        for branch, part in zip(self._branches(), parts):
            grad = branch.backward(part)
            grad_input = grad if grad_input is None else grad_input + grad
        return grad_input

    def extra_repr(self):
        return f"in_channels={self.in_channels}, out_channels={self.out_channels}"


class ResidualBlock(Module):
    """ResNet's basic block: two 3x3 conv-BN layers plus a skip connection, ReLU after the sum.

    Input (N, in_channels, H, W); output (N, out_channels, H_out, W_out) with
    H_out = floor((H - 1) / stride) + 1. ``shortcut`` is ``None`` (identity) when the
    shape is kept, else a 1x1 convolution with the same stride followed by BN.
    """

    def __init__(self, in_channels, out_channels, stride=1, rng=None, dtype=np.float64):
        super().__init__()
        rng = np.random.default_rng(rng)
        self.conv1 = Conv2d(in_channels, out_channels, 3, stride=stride, padding=1, bias=False,
                            rng=rng, dtype=dtype)
        self.bn1 = BatchNorm2d(out_channels, dtype=dtype)
        self.relu1 = ReLU()
        self.conv2 = Conv2d(out_channels, out_channels, 3, padding=1, bias=False, rng=rng, dtype=dtype)
        self.bn2 = BatchNorm2d(out_channels, dtype=dtype)
        if stride != 1 or in_channels != out_channels:
            self.shortcut = Sequential(
                Conv2d(in_channels, out_channels, 1, stride=stride, bias=False, rng=rng, dtype=dtype),
                BatchNorm2d(out_channels, dtype=dtype),
            )
        else:
            self.shortcut = None
        self.relu_out = ReLU()

    def _main_path(self):
        return (self.conv1, self.bn1, self.relu1, self.conv2, self.bn2)

    def forward(self, x):
        x = np.asarray(x)
        out = x
        for layer in self._main_path():
            out = layer(out)
        skip = x if self.shortcut is None else self.shortcut(x)
        self._save_for_backward(True)
        return self.relu_out(out + skip)

    def backward(self, grad_output):
        self._saved()
        g = self.relu_out.backward(grad_output)       # dL/d(main + skip), shared by both paths
        grad_main = g
        for layer in reversed(self._main_path()):
            grad_main = layer.backward(grad_main)
        grad_skip = g if self.shortcut is None else self.shortcut.backward(g)
        return grad_main + grad_skip
