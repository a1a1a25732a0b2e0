"""The optimizer base class, as ``torch.optim.Optimizer``.

An optimizer holds ``param_groups``, a list of dicts, each with its own
``"params"`` (a list of :class:`~dlcourse.nn.Parameter`) and its own
hyperparameters (``"lr"``, ``"momentum"``, ...), plus ``state``, one dict per
parameter (momentum buffers, moment estimates, step counts).

Every subclass names one *update rule*: a pure function

    rule(param, grad, state, **hyperparameters) -> (new_param, new_state)

living beside the class (``sgd_step``, ``adam_step``, ...). ``step()`` feeds
each parameter that has a gradient through the rule with its group's
hyperparameters. So the same code runs whether a notebook calls the rule by
hand, one step at a time, or an optimizer object runs it in a training loop.
The hyperparameters a rule takes are exactly the keys of ``defaults``.
"""

import copy
import math

import numpy as np

from dlcourse.nn.parameter import Parameter


class Optimizer:
    """Base class: parameter groups, per-parameter state, ``step``, ``zero_grad``.

    Parameters
    ----------
    params : list of Parameter, or list of dict
        Either the parameters to optimize, or parameter groups
        ``{"params": [...], "lr": ..., ...}``; a hyperparameter missing from a
        group takes its value from ``defaults``.
    defaults : dict
        Default hyperparameters; its keys are the keyword arguments of the
        update rule.
    """

    #: the pure update function; set by each subclass
    rule = None
    #: optional in-place twin of ``rule`` (same arithmetic, updates the parameter
    #: and the state's buffers where they are, so a training loop does not
    #: allocate new arrays every step); ``step()`` uses it when present
    inplace_rule = None

    def __init__(self, params, defaults):
        if isinstance(params, (Parameter, np.ndarray, dict)):
            raise TypeError(
                "params must be a list of Parameters or a list of dicts, "
                f"got a single {type(params).__name__}; wrap it in a list"
            )
        self.defaults = dict(defaults)
        self.state = {}
        self.param_groups = []
        params = list(params)
        if len(params) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(params[0], dict):
            params = [{"params": params}]
        for group in params:
            self.add_param_group(group)

    # -- parameter groups ---------------------------------------------------

    def add_param_group(self, param_group):
        """Add a group ``{"params": [...], <hyperparameter>: value, ...}``."""
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError("a parameter group needs a 'params' entry")
        group = dict(param_group)
        params = group["params"]
        if isinstance(params, Parameter):
            params = [params]
        elif isinstance(params, set):
            raise TypeError("parameters must be in an ordered collection (a list), not a set")
        params = list(params)
        for p in params:
            if not isinstance(p, Parameter):
                raise TypeError(
                    "optimizer can only optimize Parameters, but one of the params is "
                    f"{type(p).__module__}.{type(p).__name__}"
                )
        if len(params) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if len({id(p) for p in params}) != len(params):
            raise ValueError("a parameter group contains the same parameter twice")
        group["params"] = params
        for name, value in self.defaults.items():
            group.setdefault(name, value)
        self._check_hyperparameters(group)
        seen = {id(p) for g in self.param_groups for p in g["params"]}
        if any(id(p) in seen for p in params):
            raise ValueError("some parameters appear in more than one parameter group")
        self.param_groups.append(group)

    def _check_hyperparameters(self, group):
        """Raise ``ValueError`` for an invalid hyperparameter (subclasses extend)."""
        check_lr(group["lr"])

    # -- the update ---------------------------------------------------------

    def hyperparameters(self, group):
        """The rule's keyword arguments taken from ``group``."""
        return {name: group[name] for name in self.defaults}

    def step(self, closure=None):
        """Update every parameter that has a gradient; return ``closure()``'s loss.

        ``closure``, if given, re-evaluates the model and returns the loss; it
        is called once before the update. Parameters whose ``grad`` is
        ``None`` are skipped (their state is left as it is), as in PyTorch.
        """
        loss = closure() if closure is not None else None
        rule, inplace = type(self).rule, type(self).inplace_rule
        for group in self.param_groups:
            hyper = self.hyperparameters(group)
            for p in group["params"]:
                if p.grad is None:
                    continue
                grad = self._checked_grad(p)
                if inplace is not None:
                    inplace(p.data, grad, self.state.setdefault(p, {}), **hyper)
                else:
                    new_data, self.state[p] = rule(p.data, grad, self.state.get(p, {}), **hyper)
                    p.data[...] = new_data
        return loss

    @staticmethod
    def _checked_grad(p):
        """``p.grad`` as an array, after checking that its shape is ``p``'s."""
        grad = np.asarray(p.grad)
        if grad.shape != p.data.shape:
            raise ValueError(
                f"gradient of shape {grad.shape} does not match parameter of shape {p.data.shape}"
            )
        return grad

    def zero_grad(self, set_to_none=True):
        """Reset every parameter's gradient (to ``None``, or to zeros)."""
        for group in self.param_groups:
            for p in group["params"]:
                p.zero_grad(set_to_none=set_to_none)

    # -- saving and resuming ------------------------------------------------

    def state_dict(self):
        """A snapshot ``{"state": {index: {...}}, "param_groups": [...]}``.

        Parameters are replaced by their position (0, 1, ... across all
        groups), so the snapshot can be loaded into a fresh optimizer built
        over fresh parameters in the same order. Arrays are copied.
        """
        index = {}
        groups = []
        for group in self.param_groups:
            packed = {k: copy.deepcopy(v) for k, v in group.items() if k != "params"}
            for p in group["params"]:
                index.setdefault(id(p), len(index))
            packed["params"] = [index[id(p)] for p in group["params"]]
            groups.append(packed)
        state = {
            index[id(p)]: copy.deepcopy(s)
            for group in self.param_groups
            for p in group["params"]
            if (s := self.state.get(p)) is not None
        }
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Restore hyperparameters and state saved by :meth:`state_dict`."""
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(
                f"loaded state dict has {len(saved_groups)} parameter groups, "
                f"this optimizer has {len(self.param_groups)}"
            )
        for saved, group in zip(saved_groups, self.param_groups):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(
                    f"loaded state dict has a parameter group of {len(saved['params'])} "
                    f"parameters where this optimizer's has {len(group['params'])}"
                )
        by_index = {}
        new_groups = []
        for saved, group in zip(saved_groups, self.param_groups):
            by_index.update(zip(saved["params"], group["params"]))
            new_group = {k: copy.deepcopy(v) for k, v in saved.items() if k != "params"}
            new_group["params"] = group["params"]
            new_groups.append(new_group)
        state = {}
        for key, value in state_dict["state"].items():
            if key not in by_index:
                raise ValueError(f"loaded state refers to parameter {key}, which no group holds")
            p = by_index[key]
            for name, v in value.items():
                if isinstance(v, np.ndarray) and v.ndim > 0 and v.shape != p.data.shape:
                    raise ValueError(
                        f"loaded state {name!r} of parameter {key} has shape {v.shape}, "
                        f"but the parameter has shape {p.data.shape}"
                    )
            state[p] = {
                name: _cast_like(v, p.data) for name, v in copy.deepcopy(value).items()
            }
        self.param_groups = new_groups
        self.state = state

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)


def _cast_like(value, data):
    """State arrays take the parameter's dtype; counters and flags stay as they are."""
    if isinstance(value, np.ndarray) and value.shape == data.shape:
        return value.astype(data.dtype, copy=False)
    return value


# -- hyperparameter checks shared by the rules -------------------------------


def _is_bad(value):
    return not isinstance(value, (int, float, np.floating, np.integer)) or math.isnan(value)


def check_lr(lr):
    if _is_bad(lr) or not lr >= 0.0:
        raise ValueError(f"Invalid learning rate: {lr}")


def check_nonnegative(name, value):
    if _is_bad(value) or not value >= 0.0:
        raise ValueError(f"Invalid {name} value: {value} (must be >= 0)")


def check_unit_interval(name, value):
    """``0 <= value < 1``."""
    if _is_bad(value) or not 0.0 <= value < 1.0:
        raise ValueError(f"Invalid {name} value: {value} (must be in [0, 1))")


def check_betas(betas):
    try:
        beta1, beta2 = betas
    except (TypeError, ValueError):
        raise ValueError(f"betas must be a pair (beta1, beta2), got {betas!r}") from None
    for i, beta in enumerate((beta1, beta2)):
        if _is_bad(beta) or not 0.0 <= beta < 1.0:
            raise ValueError(f"Invalid beta parameter at index {i}: {beta} (must be in [0, 1))")
