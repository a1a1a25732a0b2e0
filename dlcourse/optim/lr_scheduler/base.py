"""The scheduler base class, as ``torch.optim.lr_scheduler.LRScheduler``.

A scheduler owns a counter ``last_epoch`` (how many times ``step()`` has
been called since construction; the constructor itself takes step 0) and
writes the learning rate for the next optimizer steps into each parameter
group's ``"lr"``. On construction it stores the starting rate of each group
as ``group["initial_lr"]`` (read back as ``base_lrs``), so a scheduler built
with ``last_epoch=k`` can resume a run whose optimizer state was reloaded.

As in PyTorch, most schedulers update the rate *recursively* from the
current ``group["lr"]`` (so two schedulers stepping the same optimizer
compose, and manual changes of ``"lr"`` are respected); each also has a
closed form of the rate at step t (:mod:`.closed_form`), which is what the
recursion equals when it runs alone.
"""

import copy

from dlcourse.optim.optimizer import Optimizer


def format_param(name, optimizer, value):
    """One value per parameter group: a scalar is repeated, a list is checked."""
    if isinstance(value, (list, tuple)):
        if len(value) != len(optimizer.param_groups):
            raise ValueError(
                f"{name} must have one value per parameter group: got {len(value)} values "
                f"for {len(optimizer.param_groups)} groups"
            )
        return list(value)
    return [value] * len(optimizer.param_groups)


def check_optimizer(optimizer):
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{type(optimizer).__name__} is not an Optimizer")


class LRScheduler:
    """Base class: ``step()``, ``get_last_lr()``, ``state_dict()``, ``load_state_dict()``.

    Subclasses implement ``get_lr()``, the rates for the current
    ``last_epoch``, and optionally ``closed_form_lr()``.
    """

    def __init__(self, optimizer, last_epoch=-1):
        check_optimizer(optimizer)
        self.optimizer = optimizer
        if last_epoch == -1:
            for group in optimizer.param_groups:
                group.setdefault("initial_lr", group["lr"])
        else:
            for i, group in enumerate(optimizer.param_groups):
                if "initial_lr" not in group:
                    raise KeyError(
                        f"param 'initial_lr' is not specified in param_groups[{i}] when "
                        f"resuming a scheduler with last_epoch={last_epoch}: load the "
                        "optimizer's state_dict first (or use last_epoch=-1 for a fresh run)"
                    )
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self._initial_step()

    def _initial_step(self):
        self._step_count = 0
        self._is_initial = True
        try:
            self.step()
        finally:
            self._is_initial = False

    def get_lr(self):
        """The rates for step ``last_epoch`` (one per parameter group)."""
        raise NotImplementedError

    def step(self):
        """Advance one step and write the new rates into the optimizer."""
        self._step_count += 1
        self._update_lr()

    def _update_lr(self, epoch=None):
        if epoch is None:
            self.last_epoch += 1
            values = self.get_lr()
        else:
            self.last_epoch = epoch
            closed = getattr(self, "closed_form_lr", None)
            values = closed() if closed is not None else self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, values):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        """The rates last written into the optimizer (one per parameter group)."""
        return list(self._last_lr)

    def _group_lrs(self):
        return [group["lr"] for group in self.optimizer.param_groups]

    def state_dict(self):
        """Everything but the optimizer, copied."""
        return self._state_without()

    def _state_without(self, *names):
        return {k: copy.deepcopy(v) for k, v in self.__dict__.items()
                if k != "optimizer" and k not in names}

    def load_state_dict(self, state_dict):
        self.__dict__.update(copy.deepcopy(state_dict))

    def __repr__(self):
        return f"{type(self).__name__}(last_epoch={self.last_epoch}, last_lr={self.get_last_lr()})"
