"""The update rules as pure functions, one step at a time.

Every function has the form ``rule(param, grad, state, **hyper) ->
(new_param, new_state)``: it modifies none of its arguments, and ``state`` is
``{}`` before the first step. The optimizer classes call these same functions,
so a notebook can show a single step by hand and get exactly what the class
would do::

    state = {}
    for t in range(3):
        theta, state = adam_step(theta, grad_f(theta), state, lr=0.1)
"""

from dlcourse.optim.sgd import sgd_step
from dlcourse.optim.adagrad import adagrad_step
from dlcourse.optim.rmsprop import rmsprop_step
from dlcourse.optim.adadelta import adadelta_step
from dlcourse.optim.adam import adam_step
from dlcourse.optim.adamax import adamax_step
from dlcourse.optim.nadam import nadam_step
from dlcourse.optim.radam import radam_step
from dlcourse.optim.momentum_ema import momentum_ema_step
from dlcourse.optim.nesterov import nesterov_lookahead, nesterov_step, nesterov_update
from dlcourse.optim.maxprop import maxprop_step
from dlcourse.optim.delta_bar_delta import delta_bar_delta_step

__all__ = [
    "sgd_step",
    "adagrad_step",
    "rmsprop_step",
    "adadelta_step",
    "adam_step",
    "adamax_step",
    "nadam_step",
    "radam_step",
    "momentum_ema_step",
    "nesterov_step",
    "nesterov_lookahead",
    "nesterov_update",
    "maxprop_step",
    "delta_bar_delta_step",
]
