"""Optimizers that update parameter dicts in place, and learning-rate schedules (chapters 05-06).

Every optimizer has the same interface:
    opt.step(params, grads)
where params maps names to float64 arrays (updated in place) and grads maps the
same names to gradients of the same shapes. Per-parameter state (a velocity, a
step size) is kept inside the optimizer under the parameter's name, so one
optimizer serves one model; call reset() to start over.

    SGD       p <- p - lr * g
    Momentum  v <- beta * v - lr * g;  p <- p + v      (classical momentum, v starts at 0)
    Rprop     per-weight steps grown / shrunk by the sign of g (iRprop-); no learning rate

A schedule is a callable epoch -> learning rate, composable with any optimizer that has
a learning rate: set `opt.lr = schedule(epoch)` at the start of each epoch.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping

import numpy as np

from bplib._validate import as_float_array

__all__ = [
    "Optimizer",
    "SGD",
    "Momentum",
    "Rprop",
    "Adam",
    "StepDecay",
    "ExponentialDecay",
    "InverseTimeDecay",
]


# ---- hyperparameter checks -----------------------------------------------------------


def _real(value, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name}: expected a finite real number, got {value!r}")
    return float(value)


def _positive(value, name: str) -> float:
    value_f = _real(value, name)
    if value_f <= 0:
        raise ValueError(f"{name}: expected a number > 0, got {value!r}")
    return value_f


def _in_range(value, name: str, low: float, high: float, *, low_open: bool, high_open: bool) -> float:
    value_f = _real(value, name)
    too_low = value_f <= low if low_open else value_f < low
    too_high = value_f >= high if high_open else value_f > high
    if too_low or too_high:
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise ValueError(f"{name}: expected a number in {interval}, got {value!r}")
    return value_f


def _whole(value, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < minimum:
        raise ValueError(f"{name}: expected a whole number >= {minimum}, got {value!r}")
    return int(value)


# ---- optimizers ------------------------------------------------------------------------


class Optimizer:
    """The shared step(): checks that params and grads match, then updates each parameter. Chapter 05.

    Subclasses implement _update(name, p, g), which writes into p in place.
    """

    def step(self, params: Mapping[str, np.ndarray], grads: Mapping[str, np.ndarray]) -> None:
        """Update every parameter in place from its gradient. Chapter 05.

        Inputs:
            params: name -> float64 array of any shape, e.g. {"W1": (D, H), "b1": (H,)}; modified in place.
            grads: name -> gradient, the same names and shapes as params, finite.
        Returns:
            None.
        """
        checked = _check_params_and_grads(params, grads)
        for name, (p, g) in checked.items():
            self._update(name, p, g)

    def reset(self) -> None:
        """Forget all per-parameter state, as if the optimizer had just been made. Chapter 05."""

    def _update(self, name: str, p: np.ndarray, g: np.ndarray) -> None:
        raise NotImplementedError


def _check_params_and_grads(params, grads) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """Return name -> (param, float64 grad), or raise one ValueError listing every mismatch."""
    if not isinstance(params, Mapping) or not isinstance(grads, Mapping):
        raise ValueError(
            f"params, grads: expected two dicts name -> array, got {type(params).__name__} and {type(grads).__name__}"
        )
    problems = []
    missing = [name for name in params if name not in grads]
    extra = [name for name in grads if name not in params]
    if missing:
        problems.append(f"grads is missing {missing}")
    if extra:
        problems.append(f"grads has extra keys {extra} that are not in params")
    checked = {}
    for name, p in params.items():
        if not isinstance(p, np.ndarray) or p.dtype != np.float64:
            got = f"an array of dtype {p.dtype}" if isinstance(p, np.ndarray) else f"a {type(p).__name__}"
            problems.append(f"params[{name!r}] must be a float64 numpy array (it is updated in place), got {got}")
            continue
        if name not in grads:
            continue
        g = as_float_array(grads[name], f"grads[{name!r}]")
        if g.shape != p.shape:
            problems.append(f"grads[{name!r}] has shape {g.shape}, expected {p.shape} like params[{name!r}]")
            continue
        checked[name] = (p, g)
    if problems:
        raise ValueError("params and grads do not match: " + "; ".join(problems))
    return checked


def _state_for(state: dict, name: str, p: np.ndarray, initial: float) -> np.ndarray:
    """The state array kept for parameter `name`, created full of `initial` on first use."""
    if name not in state:
        state[name] = np.full_like(p, initial)
    elif state[name].shape != p.shape:
        raise ValueError(
            f"params[{name!r}]: expected shape {state[name].shape} as in earlier steps, got {p.shape} "
            "(call reset() before optimizing a different model)"
        )
    return state[name]


class SGD(Optimizer):
    """Plain gradient descent: p <- p - lr * g. Chapter 05.

    Inputs:
        lr: the learning rate, a finite number > 0; settable later (opt.lr = ...), e.g. from a schedule.
    """

    def __init__(self, lr: float):
        self.lr = lr

    @property
    def lr(self) -> float:
        """The learning rate; setting it checks that it is a finite number > 0. Chapter 05."""
        return self._lr

    @lr.setter
    def lr(self, value) -> None:
        self._lr = _positive(value, "lr")

    def _update(self, name: str, p: np.ndarray, g: np.ndarray) -> None:
        p -= self.lr * g

    def __repr__(self) -> str:
        return f"SGD(lr={self.lr!r})"


class Momentum(SGD):
    """Gradient descent with classical (heavy-ball) momentum. Chapter 06.

    Convention: the velocity v holds the step itself, learning rate included, and starts at 0:
        v <- beta * v - lr * g
        p <- p + v
    So the first step equals SGD's, and on a constant gradient the step grows towards
    lr * g / (1 - beta), ten times SGD's for beta = 0.9. (Some texts keep v <- beta * v + g
    and step p <- p - lr * v; with a fixed lr the two give identical parameters.)

    Inputs:
        lr: the learning rate, a finite number > 0; settable.
        beta: the momentum coefficient, 0 <= beta < 1 (0 gives SGD).
    State:
        velocity: name -> array of the parameter's shape.
    """

    def __init__(self, lr: float, beta: float = 0.9):
        super().__init__(lr)
        self.beta = _in_range(beta, "beta", 0.0, 1.0, low_open=False, high_open=True)
        self.velocity: dict[str, np.ndarray] = {}

    def reset(self) -> None:
        self.velocity.clear()

    def _update(self, name: str, p: np.ndarray, g: np.ndarray) -> None:
        v = _state_for(self.velocity, name, p, 0.0)
        v *= self.beta
        v -= self.lr * g
        p += v

    def __repr__(self) -> str:
        return f"Momentum(lr={self.lr!r}, beta={self.beta!r})"


class Adam(SGD):
    """Adam: momentum on the gradient plus a per-weight scale from its recent size. Chapter 08.

    With g the gradient and t the number of steps taken so far for this parameter (from 1):
        m <- beta1 * m + (1 - beta1) * g          running mean of g
        v <- beta2 * v + (1 - beta2) * g**2       running mean of g**2
        m_hat = m / (1 - beta1**t),  v_hat = v / (1 - beta2**t)   (undo the bias towards the zero start)
        p <- p - lr * m_hat / (sqrt(v_hat) + eps)
    Each weight's step is about lr whatever its gradient's scale, which is what lets a
    recurrent net learn when its gradients span orders of magnitude (chapter 08).

    Inputs:
        lr: the learning rate, a finite number > 0; settable.
        beta1, beta2: decay rates of the two running means, each in [0, 1).
        eps: added to the denominator, > 0.
    State:
        first, second: name -> array of the parameter's shape; steps: name -> int.
    """

    def __init__(self, lr: float = 0.001, beta1: float = 0.9, beta2: float = 0.999, eps: float = 1e-8):
        super().__init__(lr)
        self.beta1 = _in_range(beta1, "beta1", 0.0, 1.0, low_open=False, high_open=True)
        self.beta2 = _in_range(beta2, "beta2", 0.0, 1.0, low_open=False, high_open=True)
        self.eps = _positive(eps, "eps")
        self.first: dict[str, np.ndarray] = {}
        self.second: dict[str, np.ndarray] = {}
        self.steps: dict[str, int] = {}

    def reset(self) -> None:
        self.first.clear()
        self.second.clear()
        self.steps.clear()

    def _update(self, name: str, p: np.ndarray, g: np.ndarray) -> None:
        m = _state_for(self.first, name, p, 0.0)
        v = _state_for(self.second, name, p, 0.0)
        t = self.steps[name] = self.steps.get(name, 0) + 1
        m *= self.beta1
        m += (1.0 - self.beta1) * g
        v *= self.beta2
        v += (1.0 - self.beta2) * g * g
        m_hat = m / (1.0 - self.beta1**t)
        v_hat = v / (1.0 - self.beta2**t)
        p -= self.lr * m_hat / (np.sqrt(v_hat) + self.eps)

    def __repr__(self) -> str:
        return f"Adam(lr={self.lr!r}, beta1={self.beta1!r}, beta2={self.beta2!r}, eps={self.eps!r})"


class Rprop(Optimizer):
    """Resilient backpropagation, the iRprop- variant. Chapter 06.

    Rprop ignores the size of the gradient and uses only its sign. Every weight has its
    own step size, which starts at step_init and, comparing this gradient with the last:
        same sign:     step <- min(step * eta_plus, step_max);   p <- p - sign(g) * step
        sign change:   step <- max(step * eta_minus, step_min);  g is stored as 0, p stays
        either is 0:   step unchanged;                           p <- p - sign(g) * step
    Storing 0 after a sign change makes the next step count as "either is 0", so a step
    is not shrunk twice for one overshoot. Rprop is meant for full-batch gradients: the
    sign of a mini-batch gradient is too noisy for it. It has no learning rate, so
    schedules do not apply.

    Inputs:
        eta_plus: growth factor, > 1 (1.2).
        eta_minus: shrink factor, in (0, 1) (0.5).
        step_init: every weight's first step size (0.1, a common choice that suits inputs of order one).
        step_min, step_max: the step size stays in [step_min, step_max] (1e-6, 50).
    State:
        step_sizes: name -> array of the parameter's shape.
        previous_grads: name -> the gradient stored at the last step (0 after a sign change).
    """

    def __init__(
        self,
        eta_plus: float = 1.2,
        eta_minus: float = 0.5,
        step_init: float = 0.1,
        step_min: float = 1e-6,
        step_max: float = 50.0,
    ):
        self.eta_plus = _positive(eta_plus, "eta_plus")
        if self.eta_plus <= 1:
            raise ValueError(f"eta_plus: expected a growth factor > 1, got {eta_plus!r}")
        self.eta_minus = _in_range(eta_minus, "eta_minus", 0.0, 1.0, low_open=True, high_open=True)
        self.step_min = _positive(step_min, "step_min")
        self.step_max = _positive(step_max, "step_max")
        self.step_init = _positive(step_init, "step_init")
        if not self.step_min <= self.step_init <= self.step_max:
            raise ValueError(
                f"step_init: expected step_min <= step_init <= step_max, got {step_min!r} <= {step_init!r} "
                f"<= {step_max!r}"
            )
        self.step_sizes: dict[str, np.ndarray] = {}
        self.previous_grads: dict[str, np.ndarray] = {}

    def reset(self) -> None:
        self.step_sizes.clear()
        self.previous_grads.clear()

    def _update(self, name: str, p: np.ndarray, g: np.ndarray) -> None:
        step = _state_for(self.step_sizes, name, p, self.step_init)
        previous = _state_for(self.previous_grads, name, p, 0.0)
        agreement = np.sign(previous) * np.sign(g)  # +1 same sign, -1 sign change, 0 either is zero
        step[agreement > 0] = np.minimum(step[agreement > 0] * self.eta_plus, self.step_max)
        step[agreement < 0] = np.maximum(step[agreement < 0] * self.eta_minus, self.step_min)
        g = np.where(agreement < 0, 0.0, g)  # iRprop-: forget the gradient that overshot
        p -= np.sign(g) * step
        previous[...] = g

    def __repr__(self) -> str:
        return (
            f"Rprop(eta_plus={self.eta_plus!r}, eta_minus={self.eta_minus!r}, step_init={self.step_init!r}, "
            f"step_min={self.step_min!r}, step_max={self.step_max!r})"
        )


# ---- learning-rate schedules ------------------------------------------------------------


class _Schedule:
    """A callable epoch -> learning rate; epochs count from 0, where every schedule gives lr0."""

    def __call__(self, epoch) -> float:
        return self._lr_at(_whole(epoch, "epoch", 0))

    def _lr_at(self, epoch: int) -> float:
        raise NotImplementedError


class StepDecay(_Schedule):
    """Multiply the learning rate by `drop` every `every` epochs: lr0 * drop**(epoch // every). Chapter 05.

    Inputs:
        lr0: the starting learning rate, > 0.
        drop: the factor, in (0, 1].
        every: the number of epochs between drops, a whole number >= 1.
    Call with: epoch, a whole number >= 0. Returns the learning rate, a float.
    """

    def __init__(self, lr0: float, drop: float = 0.5, every: int = 10):
        self.lr0 = _positive(lr0, "lr0")
        self.drop = _in_range(drop, "drop", 0.0, 1.0, low_open=True, high_open=False)
        self.every = _whole(every, "every", 1)

    def _lr_at(self, epoch: int) -> float:
        return self.lr0 * self.drop ** (epoch // self.every)

    def __repr__(self) -> str:
        return f"StepDecay(lr0={self.lr0!r}, drop={self.drop!r}, every={self.every!r})"


class ExponentialDecay(_Schedule):
    """Shrink the learning rate by a constant factor each epoch: lr0 * gamma**epoch. Chapter 05.

    Inputs:
        lr0: the starting learning rate, > 0.
        gamma: the factor per epoch, in (0, 1].
    Call with: epoch, a whole number >= 0. Returns the learning rate, a float.
    """

    def __init__(self, lr0: float, gamma: float = 0.95):
        self.lr0 = _positive(lr0, "lr0")
        self.gamma = _in_range(gamma, "gamma", 0.0, 1.0, low_open=True, high_open=False)

    def _lr_at(self, epoch: int) -> float:
        return self.lr0 * self.gamma**epoch

    def __repr__(self) -> str:
        return f"ExponentialDecay(lr0={self.lr0!r}, gamma={self.gamma!r})"


class InverseTimeDecay(_Schedule):
    """Decay like 1/t: lr0 / (1 + k * epoch). Chapter 05.

    Inputs:
        lr0: the starting learning rate, > 0.
        k: the decay rate, >= 0 (0 keeps lr0); the rate halves at epoch 1 / k.
    Call with: epoch, a whole number >= 0. Returns the learning rate, a float.
    """

    def __init__(self, lr0: float, k: float = 0.1):
        self.lr0 = _positive(lr0, "lr0")
        self.k = _real(k, "k")
        if self.k < 0:
            raise ValueError(f"k: expected a decay rate >= 0, got {k!r}")

    def _lr_at(self, epoch: int) -> float:
        return self.lr0 / (1.0 + self.k * epoch)

    def __repr__(self) -> str:
        return f"InverseTimeDecay(lr0={self.lr0!r}, k={self.k!r})"
