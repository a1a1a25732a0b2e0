"""Learning-rate schedules, as ``torch.optim.lr_scheduler``, plus the notes' own.

Each scheduler is stepped after the optimizer (once per epoch, or once per
batch for ``CyclicLR`` and ``OneCycleLR``) and writes the new rate into every
parameter group's ``"lr"``. :mod:`.closed_form` gives each rate as a plain
function of the step t; :func:`plot_lr_schedule` draws any schedule.
"""

from dlcourse.optim.lr_scheduler.base import LRScheduler
from dlcourse.optim.lr_scheduler.decay import (
    ExponentialLR,
    LambdaLR,
    LinearLR,
    MultiStepLR,
    StepLR,
)
from dlcourse.optim.lr_scheduler.cosine import CosineAnnealingLR, CosineAnnealingWarmRestarts
from dlcourse.optim.lr_scheduler.cyclic import CyclicLR, OneCycleLR
from dlcourse.optim.lr_scheduler.plateau import ReduceLROnPlateau
from dlcourse.optim.lr_scheduler.sequential import SequentialLR
from dlcourse.optim.lr_scheduler.multiplicative import (
    ChainedScheduler,
    ConstantLR,
    MultiplicativeLR,
    PolynomialLR,
)
from dlcourse.optim.lr_scheduler.notes import (
    ExponentialDecayLR,
    InverseSqrtLR,
    InverseTimeLR,
    MomentumSchedule,
)
from dlcourse.optim.lr_scheduler.closed_form import (
    constant_lr,
    cosine_annealing_lr,
    cosine_warm_restarts_lr,
    cyclic_lr,
    cyclic_momentum,
    diminishing_lr,
    exponential_decay_lr,
    exponential_lr,
    inverse_sqrt_lr,
    inverse_time_lr,
    linear_lr,
    momentum_schedule,
    multistep_lr,
    one_cycle_lr,
    polynomial_lr,
    step_lr,
)
from dlcourse.optim.lr_scheduler.plot import lr_schedule, plot_lr_schedule

__all__ = [
    "LRScheduler",
    "LambdaLR",
    "StepLR",
    "MultiStepLR",
    "ExponentialLR",
    "LinearLR",
    "CosineAnnealingLR",
    "CosineAnnealingWarmRestarts",
    "CyclicLR",
    "OneCycleLR",
    "ReduceLROnPlateau",
    "SequentialLR",
    "ConstantLR",
    "PolynomialLR",
    "MultiplicativeLR",
    "ChainedScheduler",
    "ExponentialDecayLR",
    "InverseTimeLR",
    "InverseSqrtLR",
    "MomentumSchedule",
    "step_lr",
    "multistep_lr",
    "exponential_lr",
    "linear_lr",
    "constant_lr",
    "polynomial_lr",
    "cosine_annealing_lr",
    "cosine_warm_restarts_lr",
    "cyclic_lr",
    "cyclic_momentum",
    "one_cycle_lr",
    "exponential_decay_lr",
    "inverse_time_lr",
    "diminishing_lr",
    "inverse_sqrt_lr",
    "momentum_schedule",
    "lr_schedule",
    "plot_lr_schedule",
]
