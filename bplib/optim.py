"""Optimizers that update parameter dicts in place (introduced in chapters 05, 06 and 08).

Every optimizer has the same interface:
    opt.step(params, grads)
where params maps names to float64 arrays (updated in place) and grads maps the
same names to gradients of the same shapes. step checks that the two match, then
hands each (name, p, g) to the optimizer's update rule `_update`. Per-parameter state
(a velocity, a step size) is kept inside the optimizer under the parameter's name, so
one optimizer serves one model; call reset() to start over.

    SGD       p <- p - lr * g
    Momentum  v <- beta * v - lr * g;  p <- p + v      (classical momentum, v starts at 0)
    Adam      a step of about lr per weight, from running means of g and g**2
    Rprop     per-weight steps grown / shrunk by the sign of g (iRprop-); no learning rate

An optimizer with a learning rate lets it be changed between steps: opt.lr = 0.01.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Mapping

import numpy as np

from bplib._validate import as_float_array, positive_real

__all__ = ["SGD", "Momentum", "Adam", "Rprop"]


def _in_range(value, name: str, low: float, high: float, *, low_open: bool, high_open: bool) -> float:
    """value as a float, or a ValueError unless it is a real number in the interval given."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not math.isfinite(value):
        raise ValueError(f"{name}: expected a finite real number, got {value!r}")
    too_low = value <= low if low_open else value < low
    too_high = value >= high if high_open else value > high
    if too_low or too_high:
        interval = f"{'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
        raise ValueError(f"{name}: expected a number in {interval}, got {value!r}")
    return float(value)


def _check_params_and_grads(params, grads) -> list[tuple[str, np.ndarray, np.ndarray]]:
    """[(name, param, float64 grad)], or one ValueError listing every mismatch."""
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
    checked = []
    for name, p in params.items():
        if not isinstance(p, np.ndarray) or p.dtype != np.float64:
            got = f"an array of dtype {p.dtype}" if isinstance(p, np.ndarray) else f"a {type(p).__name__}"
            problems.append(f"params[{name!r}] must be a float64 numpy array (it is updated in place), got {got}")
        elif name in grads:
            g = as_float_array(grads[name], f"grads[{name!r}]")
            if g.shape != p.shape:
                problems.append(f"grads[{name!r}] has shape {g.shape}, expected {p.shape} like params[{name!r}]")
            checked.append((name, p, g))
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


class _Optimizer:
    """What every optimizer shares: step() checks params and grads, then updates each parameter."""

    def step(self, params: Mapping[str, np.ndarray], grads: Mapping[str, np.ndarray]) -> None:
        """Update every parameter in place from its gradient. Chapter 05.

        Inputs:
            params: name -> float64 array of any shape, e.g. {"W1": (D, H), "b1": (H,)}; modified in place.
            grads: name -> gradient, the same names and shapes as params, finite.
        """
        for name, p, g in _check_params_and_grads(params, grads):
            self._update(name, p, g)

    def reset(self) -> None:
        """Forget all per-parameter state, as if the optimizer had just been made. Chapter 05."""

    def _update(self, name: str, p: np.ndarray, g: np.ndarray) -> None:
        raise NotImplementedError


class SGD(_Optimizer):
    """Plain gradient descent: p <- p - lr * g. Chapter 05.

    Inputs:
        lr: the learning rate, a finite number > 0; settable later (opt.lr = ...).
    """

    def __init__(self, lr: float):
        self.lr = lr

    @property
    def lr(self) -> float:
        """The learning rate; setting it checks that it is a finite number > 0. Chapter 05."""
        return self._lr

    @lr.setter
    def lr(self, value) -> None:
        self._lr = positive_real(value, "lr")

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
        self.eps = positive_real(eps, "eps")
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


class Rprop(_Optimizer):
    """Resilient backpropagation, the iRprop- variant. Chapter 06.

    Rprop ignores the size of the gradient and uses only its sign. Every weight has its
    own step size, which starts at step_init and, comparing this gradient with the last:
        same sign:     step <- min(step * eta_plus, step_max);   p <- p - sign(g) * step
        sign change:   step <- max(step * eta_minus, step_min);  g is stored as 0, p stays
        either is 0:   step unchanged;                           p <- p - sign(g) * step
    Storing 0 after a sign change makes the next step count as "either is 0", so a step
    is not shrunk twice for one overshoot. Rprop is meant for full-batch gradients: the
    sign of a mini-batch gradient is too noisy for it. It has no learning rate.

    Inputs:
        eta_plus: growth factor, > 1 (1.2).
        eta_minus: shrink factor, in (0, 1) (0.5).
        step_init: every weight's first step size (0.1, a common choice that suits inputs of order one).
        step_min, step_max: the step size stays in [step_min, step_max] (1e-6, 50).
    State:
        step_sizes: name -> array of the parameter's shape.
        previous_grads: name -> the gradient stored at the last step (0 after a sign change).
    """

    def __init__(self, eta_plus: float = 1.2, eta_minus: float = 0.5, step_init: float = 0.1,
                 step_min: float = 1e-6, step_max: float = 50.0):
        self.eta_plus = positive_real(eta_plus, "eta_plus")
        if self.eta_plus <= 1:
            raise ValueError(f"eta_plus: expected a growth factor > 1, got {eta_plus!r}")
        self.eta_minus = _in_range(eta_minus, "eta_minus", 0.0, 1.0, low_open=True, high_open=True)
        self.step_min = positive_real(step_min, "step_min")
        self.step_max = positive_real(step_max, "step_max")
        self.step_init = positive_real(step_init, "step_init")
        if not self.step_min <= self.step_init <= self.step_max:
            raise ValueError(f"step_init: expected step_min <= step_init <= step_max, "
                             f"got {step_min!r} <= {step_init!r} <= {step_max!r}")
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
        return (f"Rprop(eta_plus={self.eta_plus!r}, eta_minus={self.eta_minus!r}, step_init={self.step_init!r}, "
                f"step_min={self.step_min!r}, step_max={self.step_max!r})")
