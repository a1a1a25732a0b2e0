"""Functional forms, as ``torch.nn.functional``: plain functions on arrays, no state.

Each activation ``f`` has ``f_grad(x)`` (df/dx at the input x); each layer or
loss with a non-elementwise gradient has a ``*_backward`` partner.
"""

from dlcourse.functional.activations import *  # noqa: F401,F403
from dlcourse.functional.activations import __all__ as _activations_all
from dlcourse.functional.softmax import *  # noqa: F401,F403
from dlcourse.functional.softmax import __all__ as _softmax_all
from dlcourse.functional.losses import *  # noqa: F401,F403
from dlcourse.functional.losses import __all__ as _losses_all

__all__ = [*_activations_all, *_softmax_all, *_losses_all]

# further functional modules are imported below, one line each
from dlcourse.functional.conv import *  # noqa: F401,F403,E402
from dlcourse.functional.conv import __all__ as _conv_all  # noqa: E402
from dlcourse.functional.pooling import *  # noqa: F401,F403,E402
from dlcourse.functional.pooling import __all__ as _pooling_all  # noqa: E402
from dlcourse.functional.inverted_dropout import *  # noqa: F401,F403,E402
from dlcourse.functional.inverted_dropout import __all__ as _dropout_all  # noqa: E402

__all__ += [*_conv_all, *_pooling_all, *_dropout_all]
