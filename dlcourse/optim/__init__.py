"""Optimizers and learning-rate schedules, as ``torch.optim``.

Each rule is a pure function ``<rule>_step(param, grad, state, **hyper) ->
(new_param, new_state)`` (collected in :mod:`dlcourse.optim.functional`) and a
thin :class:`Optimizer` subclass that applies it to a list of
:class:`~dlcourse.nn.Parameter`. Names, arguments, defaults and numerics
follow PyTorch; the notes' own variants sit beside them.
"""

from dlcourse.optim.optimizer import Optimizer
from dlcourse.optim.sgd import SGD
from dlcourse.optim.adagrad import Adagrad
from dlcourse.optim.rmsprop import RMSprop
from dlcourse.optim.adadelta import Adadelta
from dlcourse.optim.adam import Adam, AdamW
from dlcourse.optim.adamax import Adamax
from dlcourse.optim.nadam import NAdam
from dlcourse.optim.radam import RAdam
from dlcourse.optim.momentum_ema import MomentumEMA
from dlcourse.optim.nesterov import NesterovMomentum
from dlcourse.optim.maxprop import MaxProp
from dlcourse.optim.delta_bar_delta import DeltaBarDelta
from dlcourse.optim.line_search import LineSearch, line_search_step
from dlcourse.optim import lr_scheduler
from dlcourse.optim import functional

__all__ = [
    "Optimizer",
    "SGD",
    "Adagrad",
    "RMSprop",
    "Adadelta",
    "Adam",
    "AdamW",
    "Adamax",
    "NAdam",
    "RAdam",
    "MomentumEMA",
    "NesterovMomentum",
    "MaxProp",
    "DeltaBarDelta",
    "LineSearch",
    "line_search_step",
    "functional",
    "lr_scheduler",
]
