"""Learning-rate schedules that follow torch.optim.lr_scheduler step for step.

A scheduler writes each group's ``lr`` in the optimizer. Constructing it records
``initial_lr`` in every group and sets step 0; call ``scheduler.step()`` once
after each ``optimizer.step()``. The formulas are PyTorch's, including the
recursive ones, so a run reproduces PyTorch's learning rates to the last bits.
"""

import math
import numbers

from .optimizer import Optimizer


class LRScheduler:
    """Base class of the learning-rate schedulers, as ``torch.optim.lr_scheduler.LRScheduler``.

    Subclasses compute the lrs for step ``last_epoch`` in ``get_lr()``. Constructing
    a scheduler records ``initial_lr`` in every group (``base_lrs``) and takes step 0.

    Args:
        optimizer: the minin Optimizer whose groups' ``lr`` it sets.

    Example::

        >>> from minin import optim
        >>> class Halve(optim.lr_scheduler.LRScheduler):
        ...     def get_lr(self):
        ...         return [base * 0.5 ** self.last_epoch for base in self.base_lrs]
        >>> opt = optim.SGD([nn.Parameter(mn.ones(1))], lr=1.0)
        >>> sched = Halve(opt)
        >>> for _ in range(3):
        ...     sched.step()
        ...     print(opt.param_groups[0]["lr"])
        0.5
        0.25
        0.125
    """

    def __init__(self, optimizer):
        _check_optimizer(optimizer)
        self.optimizer = optimizer
        for group in optimizer.param_groups:
            group.setdefault("initial_lr", group["lr"])
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = -1
        self.step()

    def get_lr(self):
        """Compute the lrs for step ``last_epoch`` (defined by subclasses).

        Returns:
            A list of learning rates, one per parameter group.
        """
        raise NotImplementedError(f"{type(self).__name__} does not define get_lr()")

    def step(self):
        """Advance one step and write the new lrs into the optimizer's groups;
        call it once after each ``optimizer.step()``."""
        self.last_epoch += 1
        lrs = self.get_lr()
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group["lr"] = lr
        self._last_lr = list(lrs)

    def get_last_lr(self):
        """The learning rates the last step set.

        Returns:
            A list of floats, one per parameter group.
        """
        return list(self._last_lr)

    def state_dict(self):
        """The scheduler's state, for checkpoints.

        Returns:
            A dict of every attribute but the optimizer: plain numbers, strings and
            lists of them (copies).

        Example::

            >>> from minin import optim
            >>> opt = optim.SGD([nn.Parameter(mn.ones(1))], lr=0.1)
            >>> sched = optim.lr_scheduler.StepLR(opt, step_size=2)
            >>> sched.step()
            >>> sd = sched.state_dict()
            >>> sd["last_epoch"], sd["step_size"], sd["base_lrs"]
            (1, 2, [0.1])
        """
        return {key: _copy(value) for key, value in vars(self).items() if key != "optimizer"}

    def load_state_dict(self, state_dict):
        """Restore a ``state_dict()`` taken from a scheduler of the same kind.

        Only the scheduler is restored; the groups' ``lr`` are the optimizer's state.

        Args:
            state_dict: a dict as returned by ``state_dict()``.

        Example::

            >>> from minin import optim
            >>> opt = optim.SGD([nn.Parameter(mn.ones(1))], lr=0.1)
            >>> sched = optim.lr_scheduler.StepLR(opt, step_size=2)
            >>> sched.step()
            >>> new = optim.lr_scheduler.StepLR(opt, step_size=2)
            >>> new.load_state_dict(sched.state_dict())
            >>> new.last_epoch
            1
        """
        own = set(vars(self)) - {"optimizer"}
        missing, unexpected = own - state_dict.keys(), state_dict.keys() - own
        if missing or unexpected:
            raise ValueError(f"load_state_dict: this is not a {type(self).__name__} state dict "
                             f"(missing {sorted(missing)}, unexpected {sorted(unexpected)})")
        groups = len(self.optimizer.param_groups)
        if len(state_dict["base_lrs"]) != groups:
            raise ValueError(f"load_state_dict: the state dict has {len(state_dict['base_lrs'])} "
                             f"base lr(s) but the optimizer has {groups} parameter group(s)")
        self.__dict__.update({key: _copy(value) for key, value in state_dict.items()})


def _check_optimizer(optimizer):
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{type(optimizer).__name__} is not a minin.optim.Optimizer")


def _copy(value):
    if isinstance(value, (list, tuple)):
        return [_copy(v) for v in value]
    if isinstance(value, dict):
        return {k: _copy(v) for k, v in value.items()}
    return value


def _number(scheduler, name, value, positive=False):
    """``value`` as a float, or a clear error naming the argument."""
    if (not isinstance(value, numbers.Real) or isinstance(value, bool) or not math.isfinite(value)
            or (value <= 0 if positive else value < 0)):
        kind = "a positive" if positive else "a non-negative"
        raise ValueError(f"{scheduler}: {name} must be {kind} number, got {value!r}")
    return float(value)


class StepLR(LRScheduler):
    """Decay the lr by ``gamma`` every ``step_size`` steps, as ``torch.optim.lr_scheduler.StepLR``.

    Args:
        optimizer: the Optimizer to schedule.
        step_size: the number of steps between decays (a positive int).
        gamma: the factor applied at each decay; default 0.1.

    Example::

        >>> from minin import optim
        >>> opt = optim.SGD([nn.Parameter(mn.ones(1))], lr=0.1)
        >>> sched = optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
        >>> lrs = []
        >>> for _ in range(5):
        ...     lrs.append(sched.get_last_lr()[0])
        ...     opt.step()
        ...     sched.step()
        >>> lrs
        [0.1, 0.1, 0.05, 0.05, 0.025]
    """

    def __init__(self, optimizer, step_size, gamma=0.1):
        if not isinstance(step_size, numbers.Integral) or step_size < 1:
            raise ValueError(f"StepLR: step_size must be a positive int, got {step_size!r}")
        self.step_size, self.gamma = int(step_size), _number("StepLR", "gamma", gamma)
        super().__init__(optimizer)

    def get_lr(self):
        groups = self.optimizer.param_groups
        if self.last_epoch == 0 or self.last_epoch % self.step_size != 0:
            return [group["lr"] for group in groups]
        return [group["lr"] * self.gamma for group in groups]


class MultiStepLR(LRScheduler):
    """Decay the lr by ``gamma`` at each step in ``milestones``, as
    ``torch.optim.lr_scheduler.MultiStepLR`` (a milestone given twice decays twice).

    Args:
        optimizer: the Optimizer to schedule.
        milestones: the steps (ints, in any order) at which to decay.
        gamma: the factor applied at each milestone; default 0.1.

    Example::

        >>> from minin import optim
        >>> opt = optim.SGD([nn.Parameter(mn.ones(1))], lr=1.0)
        >>> sched = optim.lr_scheduler.MultiStepLR(opt, milestones=[2, 4], gamma=0.5)
        >>> lrs = []
        >>> for _ in range(6):
        ...     lrs.append(sched.get_last_lr()[0])
        ...     sched.step()
        >>> lrs
        [1.0, 1.0, 0.5, 0.5, 0.25, 0.25]
    """

    def __init__(self, optimizer, milestones, gamma=0.1):
        milestones = [milestones] if isinstance(milestones, (numbers.Number, str)) else list(milestones)
        if not all(isinstance(m, numbers.Integral) and not isinstance(m, bool) for m in milestones):
            raise ValueError(f"MultiStepLR: milestones must be ints, got {milestones!r}")
        self.milestones = sorted(int(m) for m in milestones)  # a list, so that checkpoints keep it
        self.gamma = _number("MultiStepLR", "gamma", gamma)
        super().__init__(optimizer)

    def get_lr(self):
        count = self.milestones.count(self.last_epoch)
        return [group["lr"] * self.gamma ** count for group in self.optimizer.param_groups]


class CosineAnnealingLR(LRScheduler):
    """Cosine annealing of the lr, as ``torch.optim.lr_scheduler.CosineAnnealingLR``::

        lr_t = eta_min + (base_lr − eta_min)·(1 + cos(π·t/T_max))/2

    continued past T_max as a cosine that rises again (no restarts). PyTorch
    computes it recursively from the current lr, which lets other changes to the
    lr carry through; the same recursion is used here so the values agree.

    Args:
        optimizer: the Optimizer to schedule.
        T_max: the number of steps from base_lr down to eta_min (a positive number).
        eta_min: the minimum lr; default 0.0.

    Example::

        >>> from minin import optim
        >>> opt = optim.SGD([nn.Parameter(mn.ones(1))], lr=1.0)
        >>> sched = optim.lr_scheduler.CosineAnnealingLR(opt, T_max=4)
        >>> lrs = []
        >>> for _ in range(7):
        ...     lrs.append(round(sched.get_last_lr()[0], 4))
        ...     sched.step()
        >>> lrs
        [1.0, 0.8536, 0.5, 0.1464, 0.0, 0.1464, 0.5]
    """

    def __init__(self, optimizer, T_max, eta_min=0.0):
        _number("CosineAnnealingLR", "T_max", T_max, positive=True)
        self.T_max, self.eta_min = T_max, _number("CosineAnnealingLR", "eta_min", eta_min)
        super().__init__(optimizer)

    def get_lr(self):
        t, T_max, eta_min = self.last_epoch, self.T_max, self.eta_min
        groups = self.optimizer.param_groups
        if t == 0:
            return [group["lr"] for group in groups]
        if (t - 1 - T_max) % (2 * T_max) == 0:
            # One step past a minimum the recursion would divide by 1 + cos(π) = 0.
            return [group["lr"] + (base_lr - eta_min) * (1 - math.cos(math.pi / T_max)) / 2
                    for base_lr, group in zip(self.base_lrs, groups)]
        return [(1 + math.cos(math.pi * t / T_max)) / (1 + math.cos(math.pi * (t - 1) / T_max))
                * (group["lr"] - eta_min) + eta_min
                for group in groups]


class OneCycleLR(LRScheduler):
    """The 1cycle policy, as ``torch.optim.lr_scheduler.OneCycleLR``.

    Warm up from initial_lr = max_lr/div_factor to max_lr over the first
    ``pct_start`` of ``total_steps``, then anneal to initial_lr/final_div_factor
    (with ``three_phase``, first back down to the initial lr symmetrically, then to
    the minimum). The lr given to the optimizer is replaced. Stepping more than
    ``total_steps`` times is an error.

    Unlike PyTorch, ``cycle_momentum`` is off by default: minin optimizers keep the
    momentum (or Adam's beta1) you gave them unless you ask for it to be cycled.
    With ``cycle_momentum=True`` it follows PyTorch, cycling inversely to the lr
    between ``max_momentum`` and ``base_momentum``.

    Args:
        optimizer: the Optimizer to schedule.
        max_lr: the peak lr, a number or a list with one per parameter group.
        total_steps: the length of the cycle; default None, then it is
            ``epochs * steps_per_epoch`` (one of the two ways must be given).
        epochs, steps_per_epoch: positive ints; default None.
        pct_start: the fraction of the cycle spent warming up; default 0.3.
        anneal_strategy: "cos" or "linear"; default "cos".
        div_factor: initial_lr = max_lr/div_factor; default 25.0.
        final_div_factor: the last lr is initial_lr/final_div_factor; default 1e4.
        three_phase: add the symmetric descent back to initial_lr; default False.
        cycle_momentum: cycle the momentum (or beta1); default False.
        base_momentum, max_momentum: the momentum at the peak lr and at the ends;
            a number or a list per group; default 0.85 and 0.95.

    Example::

        >>> from minin import optim
        >>> opt = optim.SGD([nn.Parameter(mn.ones(1))], lr=1.0)
        >>> sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=5, pct_start=0.4)
        >>> lrs = []
        >>> for _ in range(5):
        ...     lrs.append(round(sched.get_last_lr()[0], 4))
        ...     sched.step()
        >>> lrs
        [0.04, 1.0, 0.75, 0.25, 0.0]
    """

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None,
                 pct_start=0.3, anneal_strategy="cos", div_factor=25.0, final_div_factor=1e4,
                 three_phase=False, cycle_momentum=False, base_momentum=0.85, max_momentum=0.95):
        _check_optimizer(optimizer)
        if total_steps is not None:
            if not isinstance(total_steps, numbers.Integral) or total_steps <= 0:
                raise ValueError(f"OneCycleLR: expected a positive int total_steps, got {total_steps!r}")
        elif epochs is not None and steps_per_epoch is not None:
            for name, value in (("epochs", epochs), ("steps_per_epoch", steps_per_epoch)):
                if not isinstance(value, numbers.Integral) or value <= 0:
                    raise ValueError(f"OneCycleLR: expected a positive int {name}, got {value!r}")
            total_steps = epochs * steps_per_epoch
        else:
            raise ValueError("OneCycleLR: give either total_steps or both epochs and steps_per_epoch")
        if not isinstance(pct_start, numbers.Real) or not 0 <= pct_start <= 1:
            raise ValueError(f"OneCycleLR: pct_start must be in [0, 1], got {pct_start!r}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"OneCycleLR: anneal_strategy must be 'cos' or 'linear', "
                             f"got {anneal_strategy!r}")
        self.total_steps = int(total_steps)
        self.anneal_strategy = anneal_strategy
        self.phases = self._phases(float(pct_start * self.total_steps), three_phase)

        div_factor = _number("OneCycleLR", "div_factor", div_factor, positive=True)
        final_div_factor = _number("OneCycleLR", "final_div_factor", final_div_factor, positive=True)
        groups = optimizer.param_groups
        for group, lr in zip(groups, _per_group("OneCycleLR", "max_lr", max_lr, groups)):
            lr = _number("OneCycleLR", "max_lr", lr, positive=True)
            group["initial_lr"] = lr / div_factor
            group["max_lr"] = lr
            group["min_lr"] = group["initial_lr"] / final_div_factor

        self.cycle_momentum = bool(cycle_momentum)
        self.use_beta1 = "betas" in optimizer.defaults
        if self.cycle_momentum:
            if "momentum" not in optimizer.defaults and not self.use_beta1:
                raise ValueError("OneCycleLR: cycle_momentum needs an optimizer with momentum "
                                 "or betas")
            tops = _per_group("OneCycleLR", "max_momentum", max_momentum, groups)
            bottoms = _per_group("OneCycleLR", "base_momentum", base_momentum, groups)
            for group, top, bottom in zip(groups, tops, bottoms):
                self._set_momentum(group, top)
                group["max_momentum"], group["base_momentum"] = top, bottom
        super().__init__(optimizer)

    def _phases(self, warmup_steps, three_phase):
        """[end_step, start key, end key, start momentum key, end momentum key] per phase."""
        last = self.total_steps - 1
        if three_phase:
            return [[warmup_steps - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"],
                    [2 * warmup_steps - 2, "max_lr", "initial_lr", "base_momentum", "max_momentum"],
                    [last, "initial_lr", "min_lr", "max_momentum", "max_momentum"]]
        return [[warmup_steps - 1, "initial_lr", "max_lr", "max_momentum", "base_momentum"],
                [last, "max_lr", "min_lr", "base_momentum", "max_momentum"]]

    def _anneal(self, start, end, pct):
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2.0 * (math.cos(math.pi * pct) + 1)
        return (end - start) * pct + start

    def _set_momentum(self, group, value):
        if self.use_beta1:
            group["betas"] = (value, *group["betas"][1:])
        else:
            group["momentum"] = value

    def get_lr(self):
        t = self.last_epoch
        if t > self.total_steps:
            raise ValueError(f"OneCycleLR: tried to step {t} times; the specified number of "
                             f"total steps is {self.total_steps}")
        lrs = []
        for group in self.optimizer.param_groups:
            start = 0.0
            for i, (end, lr_from, lr_to, m_from, m_to) in enumerate(self.phases):
                if t <= end or i == len(self.phases) - 1:
                    # A phase of zero length is already at its end value.
                    pct = (t - start) / (end - start) if end != start else 1.0
                    lrs.append(self._anneal(group[lr_from], group[lr_to], pct))
                    if self.cycle_momentum:
                        self._set_momentum(group, self._anneal(group[m_from], group[m_to], pct))
                    break
                start = end
        return lrs


def _per_group(scheduler, name, value, groups):
    if isinstance(value, (list, tuple)):
        if len(value) != len(groups):
            raise ValueError(f"{scheduler}: {name} has {len(value)} values but the optimizer has "
                             f"{len(groups)} parameter group(s)")
        return list(value)
    return [value] * len(groups)


class ReduceLROnPlateau(LRScheduler):
    """Cut the lr by ``factor`` once a metric has stopped improving for ``patience`` steps, as
    ``torch.optim.lr_scheduler.ReduceLROnPlateau``. Unlike the others, ``step`` takes the
    metric: ``scheduler.step(val_loss)`` after each evaluation.

    Args:
        optimizer: the Optimizer to schedule.
        mode: "min" (default: lower is better, a loss) or "max" (an accuracy).
        factor: the lr is multiplied by it, a number in (0, 1); default 0.1.
        patience: how many steps without improvement to wait; default 10.
        threshold, threshold_mode: what counts as an improvement: in "rel" mode (default)
            better than best·(1 ∓ threshold), in "abs" mode than best ∓ threshold; default 1e-4.
        cooldown: steps to wait after a cut before counting again; default 0.
        min_lr: the lowest lr, a number or one per group; default 0.
        eps: a cut smaller than this is not made; default 1e-8.

    Example::

        >>> from minin import optim
        >>> opt = optim.SGD([nn.Parameter(mn.ones(1))], lr=1.0)
        >>> sched = optim.lr_scheduler.ReduceLROnPlateau(opt, patience=1)
        >>> for loss in [1.0, 0.5, 0.6, 0.6, 0.4]:
        ...     sched.step(loss)
        ...     print(sched.get_last_lr()[0])
        1.0
        1.0
        1.0
        0.1
        0.1
    """

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode="rel", cooldown=0, min_lr=0, eps=1e-8):
        _check_optimizer(optimizer)
        if mode not in ("min", "max") or threshold_mode not in ("rel", "abs"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max' and threshold_mode "
                             f"'rel' or 'abs', got {mode!r} and {threshold_mode!r}")
        factor = _number("ReduceLROnPlateau", "factor", factor, positive=True)
        if factor >= 1:
            raise ValueError(f"ReduceLROnPlateau: factor must be below 1, got {factor!r}")
        for name, value in (("patience", patience), ("cooldown", cooldown)):
            if not isinstance(value, numbers.Integral) or isinstance(value, bool) or value < 0:
                raise ValueError(f"ReduceLROnPlateau: {name} must be a non-negative int, got {value!r}")
        self.optimizer, self.mode, self.factor = optimizer, mode, factor
        self.patience, self.cooldown = int(patience), int(cooldown)
        self.threshold = _number("ReduceLROnPlateau", "threshold", threshold)
        self.threshold_mode, self.eps = threshold_mode, _number("ReduceLROnPlateau", "eps", eps)
        self.min_lrs = [_number("ReduceLROnPlateau", "min_lr", m)
                        for m in _per_group("ReduceLROnPlateau", "min_lr", min_lr, optimizer.param_groups)]
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = self.cooldown_counter = self.last_epoch = 0
        self.base_lrs = [group["lr"] for group in optimizer.param_groups]
        self._last_lr = list(self.base_lrs)

    def step(self, metrics):
        """Count one more evaluation of the metric; cut the lrs if it has stopped improving.

        Args:
            metrics: the metric's value, a number or a one-element tensor.
        """
        try:
            current = float(metrics)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"ReduceLROnPlateau.step takes the metric, a number or a one-element "
                            f"tensor, got {metrics!r} ({exc})") from None
        self.last_epoch += 1
        if self._improves(current):
            self.best, self.num_bad_epochs = current, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            for group, min_lr in zip(self.optimizer.param_groups, self.min_lrs):
                new_lr = max(group["lr"] * self.factor, min_lr)
                if group["lr"] - new_lr > self.eps:
                    group["lr"] = new_lr
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def _improves(self, value):
        best, t = self.best, self.threshold
        if self.mode == "min":
            return value < (best * (1 - t) if self.threshold_mode == "rel" else best - t)
        return value > (best * (1 + t) if self.threshold_mode == "rel" else best + t)
