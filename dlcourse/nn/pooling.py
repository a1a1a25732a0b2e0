"""Pooling layers, as ``torch.nn.MaxPool2d``, ``AvgPool2d`` and ``AdaptiveAvgPool2d``.

Chapter "Convolutional Neural Network": pooling shrinks every feature map on
its own, keeping the largest value (max) or the mean (average) of each F×F
window; it has no parameters. ``AdaptiveAvgPool2d(1)`` averages each whole map
to one number (global average pooling, GoogLeNet's last layer). The formulas
and shapes are in ``dlcourse.functional.pooling``.
"""

from dlcourse.functional import pooling as P
from dlcourse.functional.conv import _pair
from dlcourse.nn.module import Module


class MaxPool2d(Module):
    """y = the maximum of each window; the gradient flows back to that maximum only."""

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__()
        if return_indices:
            raise NotImplementedError("MaxPool2d: return_indices=True is not supported")
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.dilation = dilation
        self.ceil_mode = ceil_mode
        _pair(self.kernel_size, "kernel_size")  # a malformed size fails here, not at forward
        _pair(self.stride, "stride")

    def forward(self, x):
        y, cache = P.max_pool2d_forward(x, self.kernel_size, self.stride, self.padding,
                                        self.dilation, self.ceil_mode)
        self._save_for_backward(cache)
        return y

    def backward(self, grad_output):
        (cache,) = self._saved()
        return P.max_pool2d_backward(grad_output, cache)

    def extra_repr(self):
        return (f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}, "
                f"dilation={self.dilation}, ceil_mode={self.ceil_mode}")


class AvgPool2d(Module):
    """y = the mean of each window; the gradient is shared equally by the window."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__()
        self.kernel_size = kernel_size
        self.stride = kernel_size if stride is None else stride
        self.padding = padding
        self.ceil_mode = ceil_mode
        self.count_include_pad = count_include_pad
        self.divisor_override = divisor_override
        _pair(self.kernel_size, "kernel_size")  # a malformed size fails here, not at forward
        _pair(self.stride, "stride")

    def forward(self, x):
        y, cache = P.avg_pool2d_forward(x, self.kernel_size, self.stride, self.padding,
                                        self.ceil_mode, self.count_include_pad,
                                        self.divisor_override)
        self._save_for_backward(cache)
        return y

    def backward(self, grad_output):
        (cache,) = self._saved()
        return P.avg_pool2d_backward(grad_output, cache)

    def extra_repr(self):
        return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"


class AdaptiveAvgPool2d(Module):
    """Average pooling to a fixed output size; ``AdaptiveAvgPool2d(1)`` is global average pooling."""

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, x):
        y, cache = P.adaptive_avg_pool2d_forward(x, self.output_size)
        self._save_for_backward(cache)
        return y

    def backward(self, grad_output):
        (cache,) = self._saved()
        return P.adaptive_avg_pool2d_backward(grad_output, cache)

    def extra_repr(self):
        return f"output_size={self.output_size}"
