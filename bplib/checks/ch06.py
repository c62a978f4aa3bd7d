"""Checks for exercise 06, vanishing and exploding gradients (chapter 06).

Tasks (row convention: z^(l) = a^(l-1) @ W^(l), W^(l): (H_(l-1), H_l); layer l is index l - 1 of every list):
    6.1 delta_norms(weights, zs, dout, f_prime) -> (M,)    ||delta^(l)|| of every layer, layer 1 first, with
                                                           delta^M = dout * f'(z^M),
                                                           delta^(l) = (delta^(l+1) @ W^(l+1).T) * f'(z^(l))
    6.2 init_std(D, H, init) -> std                        "xavier": sqrt(2 / (D + H)), "he": sqrt(2 / D)
    6.3 momentum_step(w, v, grad, lr, beta) -> (w, v)      v_new = beta v - lr grad, w_new = w + v_new
    6.4 momentum_path(grad, w_start, lr, beta, steps)      (steps + 1, D): every point of a momentum run
                                                           from v = 0, made of momentum_step calls

The expected answers come from bplib.depth and bplib.layers. Cases are chosen so that mistakes
show: layers of different widths make a missing transpose or the wrong weight matrix fail on
shapes, square layers show them by value; D != H separates the fans; a non-zero velocity shows a
forgotten momentum term.
"""

from __future__ import annotations

import numpy as np

from bplib import activations as act
from bplib import depth
from bplib.checks import given
from bplib.checks._core import (
    Given,
    HiddenCheck,
    OnCases,
    Task,
    Variant,
    Wrong,
    a_type,
    all_close,
    as_number,
    as_numbers,
    call,
    diagnose,
    seed_from,
    unpack,
)
from bplib.layers import init_std as library_init_std

# Every hint a checker can give for a recognised mistake, by task and mistake.
# Tests feed each mistake to its checker and look for exactly this text.
HINTS = {
    "6.1": {
        "not_norms": (
            "Return one number per layer, the norm of that layer's whole delta array, not the deltas themselves."
        ),
        "count": (
            "Return one norm per weight matrix, M numbers for delta^1 .. delta^M; the norm of dout itself is not "
            "one of them."
        ),
        "per_example": (
            "Take each layer's norm over the whole batch, the square root of the sum of squares of every entry of "
            "the (N, H) array, not one norm per example or per unit."
        ),
        "shape_error": (
            "A product failed on shapes. delta^(l+1) is (N, H_(l+1)) and W^(l+1), the weights that read a^(l), is "
            "(H_l, H_(l+1)): which of W^(l+1) and its transpose turns delta^(l+1) into an (N, H_l) array? Then "
            "multiply by the slope of the layer you arrive at."
        ),
        "no_slope": (
            "Multiply by the activation's derivative f'(z^(l)) at every layer, as in the task's recursion. "
            "Without it you backpropagate through a linear network."
        ),
        "top_slope": (
            "The top layer needs the slope too: dout is dL/da^M, and delta^M = dL/dz^M is dout times f'(z^M), "
            "entry by entry."
        ),
        "transposed": (
            "Going back through z^(l+1) = a^(l) W^(l+1) multiplies by the transpose of W^(l+1), not by W^(l+1) "
            "itself. With square weights both have the right shape; only the numbers show it."
        ),
        "wrong_weights": (
            "delta^(l) comes back through the weights that read a^(l): W^(l+1), which is weights[k + 1] for "
            "zs[k], not weights[k] (that one led to z^(l) from the layer below)."
        ),
        "slope_layer": (
            "Multiply by the slope of the layer you arrive at: delta^(l) uses f'(z^(l)), not the slope of the "
            "layer above."
        ),
        "reversed": (
            "List the norms from layer 1 (next to the input) to the top, in the order of weights and zs: "
            "you walk the layers backwards, so reverse the list at the end (or fill an array from its end)."
        ),
        "squared": "The norm is the square root of the sum of squares, not the sum of squares itself.",
        "da_norms": (
            "Take the norm of delta^(l) = dL/dz^(l), after multiplying by f'(z^(l)), not of dL/da^(l) before it "
            "(at the top that would be dout itself)."
        ),
        "other": (
            "Work a one-layer network by hand (M = 1): delta^1 is then dout times f'(z^1), and you should get "
            "one number, its norm. Then add a layer: which weights and which slope does the task's recursion use?"
        ),
    },
    "6.2": {
        "not_number": "Return one number, the standard deviation of the weights, not an array or a tuple.",
        "fan": (
            "He uses fan_in, the number of inputs each unit sums: D, the rows of W: (D, H) in z = x @ W. "
            "You used H, the number of outputs."
        ),
        "relu_factor": (
            "He keeps the 2: Var(W) = 2 / D. ReLU zeroes about half of its inputs, so E[a^2] is only half of "
            "Var(z), and twice the weight variance makes up for it."
        ),
        "variance": (
            "Return the standard deviation, the square root of the variance: rng.normal(0, std, size) takes a std."
        ),
        "uniform": (
            "sqrt(6 / (D + H)) is the limit of Xavier's uniform version U(-limit, limit); the normal version's "
            "std is sqrt(2 / (D + H)) (a uniform on (-r, r) has variance r^2 / 3)."
        ),
        "xavier_average": (
            "Xavier averages the two fans: Var(W) = 2 / (D + H), a compromise between 1 / D (keeps the forward "
            "variance) and 1 / H (keeps the backward variance)."
        ),
        "xavier_two": "Xavier's variance is 1 over the average fan, 1 / ((D + H) / 2) = 2 / (D + H): keep the 2.",
        "swapped": (
            "Xavier, Var(W) = 2 / (D + H), is made for tanh and sigmoid; He, Var(W) = 2 / D, is made for ReLU: "
            "you returned one where the other belongs."
        ),
        "other": (
            "Work D = 2, H = 6 by hand: what variances do the task's two formulas give, and what standard "
            "deviations? Compare them with your function's output for both inits."
        ),
    },
    "6.3": {
        "not_pair": "Return both: return w_new, v_new (the caller keeps v_new for the next step).",
        "shape": "w_new and v_new have the shape of w.",
        "swapped": "Return them in the order w_new, v_new.",
        "sign": (
            "The velocity points downhill: v_new subtracts lr times the gradient. With a plus there the weights "
            "climb the loss."
        ),
        "sign_convention": (
            "Here v holds the step itself, as in the task: v_new keeps a share beta of v and subtracts lr times "
            "the gradient, and the weights then add v_new. Keeping v as minus the step flips the sign of the "
            "velocity you return."
        ),
        "other_convention": (
            "In this task v holds the step itself, learning rate included, as in the task's two equations. The "
            "form that adds the raw gradient to v and applies lr only when stepping keeps a different velocity: "
            "compare your v_new with the task's."
        ),
        "no_momentum": "Keep the momentum term: v_new starts from beta times the old v. Without it this is plain SGD.",
        "old_velocity": "Update the velocity first, then step with the new one: w_new adds v_new, not the old v.",
        "stale_velocity": (
            "Return the new velocity v_new, not the v you were given: the next step needs it; that is how momentum "
            "remembers the earlier gradients."
        ),
        "dampened": "This task's momentum has no (1 - beta) factor: the gradient term is lr times grad, nothing more.",
        "no_lr": "Scale the gradient by the learning rate: the velocity's new term is lr times grad, not grad alone.",
        "other": (
            "Work one step by hand from v = 0: the new velocity is then just the gradient step, and w moves by it. "
            "Does your function agree? Then try a nonzero v and compare with the task's two equations."
        ),
    },
    "6.4": {
        "not_path": (
            "Return the whole path as one array of shape (steps + 1, D): row 0 is w_start, row t the weights "
            "after t steps (a list of points can be turned into one array)."
        ),
        "start": "Row 0 of the path is w_start itself, before any step: the path has steps + 1 rows.",
        "keep_velocity": (
            "Start the velocity at zero once, before the loop, and pass the v_new each step gives back into the "
            "next step. A velocity that starts at zero on every step turns momentum into plain SGD."
        ),
        "stale_grad": "Evaluate the gradient at the current weights on every step, grad(w), not once at w_start.",
        "aliasing": (
            "Every row of your path is the same point: you appended one array and then changed it in place. "
            "Append a copy (w.copy()), or make a new array each step (w = w + v)."
        ),
        "other": (
            "Work steps = 1 by hand: the path should have two rows, w_start and the point one momentum step away. "
            "Does yours? Check that task 6.3 passes first: this function builds on it."
        ),
    },
}

_SLOPES = {"sigmoid": act.sigmoid_prime, "tanh": act.tanh_prime, "relu": act.relu_prime}


# ---- shared helpers ---------------------------------------------------------------------------------


# ---- 6.1 per-layer gradient norms ----------------------------------------------------------------------


def delta_cases(
    seed: int = 601, settings: tuple = (((3, 5, 4, 6), 4, "tanh"), ((4, 4, 4, 4, 4), 5, "sigmoid"), ((3, 2), 3, "relu"))
) -> list[tuple[list, list, np.ndarray, str]]:
    """(weights, zs, dout, activation), one per (widths, N, activation) in `settings`. The defaults are
    the public cases: widths 3-5-4-6 (N = 4, tanh), where a missing transpose or the wrong weight matrix
    fails on shapes; square 4-4-4-4-4 layers (N = 5, sigmoid), where only the values show them; one
    layer (N = 3, relu). Chapter 06."""
    rng = np.random.default_rng(seed)
    cases = []
    for widths, N, activation in settings:
        shapes = zip(widths[:-1], widths[1:], strict=True)
        weights = [rng.normal(scale=1.5 / np.sqrt(a), size=(a, b)) for a, b in shapes]  # W^l: (H_(l-1), H_l)
        x = rng.normal(size=(N, widths[0]))  # (N, D)
        zs = depth._deep_forward(x, weights, activation).zs
        dout = rng.normal(size=(N, widths[-1]))  # (N, H_M)
        cases.append((weights, zs, dout, activation))
    return cases


def reference_delta_norms(weights, zs, dout, activation: str) -> np.ndarray:
    """||delta^(l)|| of every layer, layer 1 first, from bplib.depth. Chapter 06.

    Inputs:
        weights: [W^1: (D, H_1), ..., W^M]; zs: [z^1: (N, H_1), ..., z^M]; dout: (N, H_M) = dL/da^M;
        activation: "sigmoid", "tanh" or "relu".
    Returns:
        (M,) the Frobenius norms of delta^1 .. delta^M.
    """
    return depth._delta_norms(weights, zs, dout, activation)


def _delta_variant(*, slopes="all", transpose=True, through="next", slope_of="same", norm="root", what="delta"):
    """A wrong delta_norms. slopes: "all" (right), "none", "not_top"; through: "next" (right) or "same"
    weight matrix; slope_of: "same" (right) or "above" layer; norm: "root" (right) or "squared";
    what: "delta" (right) or "da" (the gradient before the slope)."""

    def compute(weights, zs, dout, activation):
        f_prime = _SLOPES[activation]
        M = len(weights)

        def slope(k):
            if slopes == "none" or (slopes == "not_top" and k == M - 1):
                return 1.0
            return f_prime(zs[k + 1] if slope_of == "above" and k + 1 < M else zs[k])

        da = dout
        delta = da * slope(M - 1)
        sizes = [np.linalg.norm(da if what == "da" else delta)]
        for k in range(M - 2, -1, -1):
            W = weights[k + 1] if through == "next" else weights[k]
            da = delta @ (W.T if transpose else W)
            delta = da * slope(k)
            sizes.append(np.linalg.norm(da if what == "da" else delta))
        sizes = np.array(sizes[::-1])
        return sizes**2 if norm == "squared" else sizes

    return compute


_H61 = HINTS["6.1"]
DELTA_VARIANTS = [
    Variant(_delta_variant(slopes="none"), "your norms leave out the activation's slope", _H61["no_slope"]),
    Variant(_delta_variant(slopes="not_top"), "your top layer's delta is dout itself", _H61["top_slope"]),
    Variant(_delta_variant(transpose=False), "you multiplied by W, not W.T", _H61["transposed"]),
    Variant(
        _delta_variant(through="same"), "each delta came back through the wrong weight matrix", _H61["wrong_weights"]
    ),
    Variant(_delta_variant(slope_of="above"), "each layer used the slope of the layer above", _H61["slope_layer"]),
    Variant(
        lambda *case: reference_delta_norms(*case)[::-1], "your norms are listed from the top down", _H61["reversed"]
    ),
    Variant(_delta_variant(norm="squared"), "your norms are squared", _H61["squared"]),
    Variant(_delta_variant(what="da"), "your norms are those of dL/da, before the slope", _H61["da_norms"]),
]


def _shape_or_none(value) -> tuple | None:
    """np.shape(value), or None for a ragged nesting of lists, which has no shape."""
    try:
        return np.shape(value)
    except ValueError:
        return None


def check_delta_case(fn, case: tuple) -> None:
    """Task 6.1 on one (weights, zs, dout, activation): Wrong, NotDone or LearnerRaised unless fn is right.

    Chapter 06.
    """
    weights, zs, dout, activation = case
    M, N = len(weights), dout.shape[0]
    widths = "-".join(str(W.shape[0]) for W in weights) + f"-{weights[-1].shape[1]}"
    where = f"for widths {widths}, N = {N}, {activation}"
    value = call(
        fn,
        list(weights),
        list(zs),
        dout,
        _SLOPES[activation],
        names=("weights", "zs", "dout", "f_prime"),
        shape_hint=_H61["shape_error"],
        where=where,
    ).value
    if isinstance(value, (list, tuple)) and any(_shape_or_none(item) != () for item in value):
        if {_shape_or_none(item) for item in value} == {(N,)}:
            raise Wrong(f"your function returned {N} numbers per layer ({where})", _H61["per_example"])
        raise Wrong(f"your function returned a list of arrays ({where})", _H61["not_norms"])
    got = as_numbers(value, "your function")
    if got.ndim == 2 and got.shape in ((M, N), (N, M), (M, dout.shape[1])):
        raise Wrong(
            f"your function returned shape {got.shape}, one number per example or unit ({where})", _H61["per_example"]
        )
    if got.ndim > 1:
        raise Wrong(f"your function returned shape {got.shape} ({where})", _H61["not_norms"])
    got = got.reshape(-1)
    if got.shape == (M + 1,):
        raise Wrong(f"your function returned {M + 1} norms for {M} layers ({where})", _H61["count"])
    if got.shape != (M,):
        raise Wrong(f"your function returned {got.size} numbers for {M} layers ({where})", _H61["count"])
    if not all_close(got, reference_delta_norms(*case)):
        found = diagnose(got, case, DELTA_VARIANTS)
        if found is not None:
            raise Wrong(f"{found.detail} ({where})", found.hint)
        raise Wrong(f"wrong norms ({where})", _H61["other"])


# ---- 6.2 the initialisation's std -------------------------------------------------------------------------


def init_cases() -> list[tuple[int, int, str]]:
    """(D, H, init): more inputs than outputs, then fewer, for both schemes (D != H separates the fans). Chapter 06."""
    return [(300, 100, "he"), (300, 100, "xavier"), (20, 80, "xavier"), (20, 80, "he")]


def reference_init_std(D: int, H: int, init: str) -> float:
    """The std of a (D, H) layer's weights: "xavier" sqrt(2 / (D + H)), "he" sqrt(2 / D). Chapter 06.

    Inputs:
        D, H: the layer's input and output sizes; init: "xavier" or "he".
    Returns:
        the standard deviation, from bplib.layers.init_std.
    """
    return library_init_std(D, H, init)


_H62 = HINTS["6.2"]
INIT_VARIANTS = {
    "he": [
        Variant(lambda D, H: np.sqrt(2.0 / H), "your He std uses H", _H62["fan"]),
        Variant(lambda D, H: np.sqrt(1.0 / D), "your He std lacks the factor 2", _H62["relu_factor"]),
        Variant(lambda D, H: 2.0 / D, "your He value is a variance", _H62["variance"]),
        Variant(lambda D, H: np.sqrt(2.0 / (D + H)), "your He std is Xavier's", _H62["swapped"]),
    ],
    "xavier": [
        Variant(lambda D, H: 2.0 / (D + H), "your Xavier value is a variance", _H62["variance"]),
        Variant(lambda D, H: np.sqrt(6.0 / (D + H)), "your Xavier std is the uniform limit", _H62["uniform"]),
        Variant(lambda D, H: np.sqrt(1.0 / D), "your Xavier std uses only D", _H62["xavier_average"]),
        Variant(lambda D, H: np.sqrt(1.0 / H), "your Xavier std uses only H", _H62["xavier_average"]),
        Variant(lambda D, H: np.sqrt(1.0 / (D + H)), "your Xavier std lacks the factor 2", _H62["xavier_two"]),
        Variant(lambda D, H: np.sqrt(2.0 / D), "your Xavier std is He's", _H62["swapped"]),
    ],
}


def check_init_case(fn, case: tuple) -> None:
    """Task 6.2 on one (D, H, init): raises Wrong, NotDone or LearnerRaised unless fn is right. Chapter 06."""
    D, H, init = case
    where = f"for D = {D}, H = {H}, init = {init!r}"
    value = call(fn, D, H, init, names=("D", "H", "init")).value
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.reshape(())
    if isinstance(value, (list, tuple, np.ndarray)):
        raise Wrong(f"your function returned {a_type(value)} ({where})", _H62["not_number"])
    try:
        got = as_number(value, "your std")
    except Wrong as wrong:
        raise Wrong(f"{wrong.detail} ({where})", _H62["not_number"]) from None
    if all_close(got, reference_init_std(D, H, init)):
        return
    found = diagnose(got, (D, H), INIT_VARIANTS[init])
    if found is not None:
        raise Wrong(f"{found.detail} ({where})", found.hint)
    raise Wrong(f"wrong std ({where})", _H62["other"])


# ---- 6.3 one momentum step ----------------------------------------------------------------------------------


def momentum_cases(
    seed: int = 603, settings: tuple = (((3,), 0.1, 0.9), ((2, 3), 0.05, 0.6))
) -> list[tuple[np.ndarray, np.ndarray, np.ndarray, float, float]]:
    """(w, v, grad, lr, beta), one per (shape, lr, beta) in `settings`, with a non-zero velocity. The
    defaults are the public cases: a vector, then a (2, 3) matrix. Chapter 06."""
    rng = np.random.default_rng(seed)
    cases = []
    for shape, lr, beta in settings:
        w, v, grad = rng.normal(size=shape), rng.normal(scale=0.5, size=shape), rng.normal(size=shape)
        cases.append((w, v, grad, lr, beta))
    return cases


def reference_momentum_step(w, v, grad, lr, beta) -> tuple[np.ndarray, np.ndarray]:
    """One heavy-ball step as bplib.optim.Momentum takes it, on new arrays. Chapter 06.

    Inputs:
        w, v, grad: arrays of one shape (the weights, the velocity, the gradient at w); lr > 0; 0 <= beta < 1.
    Returns:
        w_new = w + v_new and v_new = beta * v - lr * grad.
    """
    v_new = beta * v - lr * grad
    return w + v_new, v_new


def _step_variant(kind: str):
    """A wrong momentum_step, its (w_new, v_new) flattened into one vector."""

    def compute(w, v, grad, lr, beta):
        v_right = beta * v - lr * grad
        w_new, v_new = {
            "sign": lambda: (w + beta * v + lr * grad, beta * v + lr * grad),
            "sign_convention": lambda: (w - (beta * v + lr * grad), beta * v + lr * grad),
            "other_convention": lambda: (w - lr * (beta * v + grad), beta * v + grad),
            "no_momentum": lambda: (w - lr * grad, -lr * grad),
            "old_velocity": lambda: (w + v, v_right),
            "stale_velocity": lambda: (w + v_right, v),
            "dampened": lambda: (w + beta * v - (1 - beta) * lr * grad, beta * v - (1 - beta) * lr * grad),
            "no_lr": lambda: (w + beta * v - grad, beta * v - grad),
            "swapped": lambda: (v_right, w + v_right),
        }[kind]()
        return np.concatenate([np.ravel(w_new), np.ravel(v_new)])

    return compute


_H63 = HINTS["6.3"]
STEP_VARIANTS = [
    Variant(_step_variant("swapped"), "you returned the velocity first", _H63["swapped"]),
    Variant(_step_variant("sign"), "your step goes uphill", _H63["sign"]),
    Variant(_step_variant("sign_convention"), "your velocity has the opposite sign", _H63["sign_convention"]),
    Variant(
        _step_variant("other_convention"), "your velocity is the running sum of gradients", _H63["other_convention"]
    ),
    Variant(_step_variant("no_momentum"), "your step ignores the velocity v", _H63["no_momentum"]),
    Variant(_step_variant("old_velocity"), "your weights moved by the old velocity", _H63["old_velocity"]),
    Variant(_step_variant("stale_velocity"), "you returned the velocity you were given", _H63["stale_velocity"]),
    Variant(_step_variant("dampened"), "your gradient term carries a factor (1 - beta)", _H63["dampened"]),
    Variant(_step_variant("no_lr"), "your gradient term lacks the learning rate", _H63["no_lr"]),
]


def check_momentum_case(fn, case: tuple, where: str | None = None) -> None:
    """Task 6.3 on one (w, v, grad, lr, beta): raises Wrong, NotDone or LearnerRaised unless fn is right. Chapter 06.

    `where` names the case in a detail (w's shape, lr and beta when None).
    """
    w, v, grad, lr, beta = case
    where = where or f"for w of shape {w.shape}, lr = {lr}, beta = {beta}"
    value = call(fn, w, v, grad, lr, beta, names=("w", "v", "grad", "lr", "beta")).value
    w_value, v_value = unpack(value, ("w_new", "v_new"), _H63["not_pair"])
    w_new, v_new = as_numbers(w_value, "your w_new"), as_numbers(v_value, "your v_new")
    if w_new.shape != w.shape or v_new.shape != w.shape:
        raise Wrong(f"your w_new and v_new have shapes {w_new.shape} and {v_new.shape} ({where})", _H63["shape"])
    w_right, v_right = reference_momentum_step(w, v, grad, lr, beta)
    if all_close(w_new, w_right) and all_close(v_new, v_right):
        return
    found = diagnose(np.concatenate([w_new.ravel(), v_new.ravel()]), case, STEP_VARIANTS)
    if found is not None:
        raise Wrong(f"{found.detail} ({where})", found.hint)
    raise Wrong(f"wrong {'w_new' if not all_close(w_new, w_right) else 'v_new'} ({where})", _H63["other"])


# ---- 6.4 a momentum run ---------------------------------------------------------------------------------------


def quadratic_bowl(curvature) -> Given:
    """The gradient c * w of 0.5 * sum(c * w**2) for the curvatures c, a callable that shows them when printed.
    Chapter 06."""
    return Given(given.quadratic_grad, curvature=[float(c) for c in curvature])


def path_cases() -> list[tuple[Given, np.ndarray, float, float, int]]:
    """(grad, w_start, lr, beta, steps): a 2-d ill-conditioned bowl, 8 steps; a 3-d one, 5; 0 steps. Chapter 06."""
    return [
        (quadratic_bowl([1.0, 10.0]), np.array([2.0, -1.0]), 0.05, 0.8, 8),
        (quadratic_bowl([0.5, 2.0, 5.0]), np.array([1.0, 1.5, -1.0]), 0.1, 0.6, 5),
        (quadratic_bowl([1.0, 4.0]), np.array([0.5, 0.25]), 0.1, 0.5, 0),
    ]


def reference_momentum_path(grad, w_start, lr, beta, steps) -> np.ndarray:
    """Every point of a momentum run from v = 0: steps calls of reference_momentum_step. Chapter 06.

    Inputs:
        grad: w -> the gradient at w; w_start: (D,); lr > 0; 0 <= beta < 1; steps >= 0.
    Returns:
        (steps + 1, D), row 0 w_start.
    """
    w = np.array(w_start, dtype=np.float64)
    v = np.zeros_like(w)
    path = [w]
    for _ in range(steps):
        w, v = reference_momentum_step(w, v, grad(w), lr, beta)
        path.append(w)
    return np.array(path)


def _path_variant(kind: str):
    def compute(grad, w_start, lr, beta, steps):
        w, v = np.array(w_start, dtype=np.float64), np.zeros(len(w_start))
        g0 = grad(w)
        path = [w]
        for _ in range(steps):
            if kind == "keep_velocity":
                v = np.zeros_like(w)  # forgotten between steps
            w, v = reference_momentum_step(w, v, g0 if kind == "stale_grad" else grad(w), lr, beta)
            path.append(w)
        return np.array(path)

    return compute


_H64 = HINTS["6.4"]
PATH_VARIANTS = [
    Variant(
        _path_variant("keep_velocity"),
        "your path is plain SGD's: the velocity starts at zero every step",
        _H64["keep_velocity"],
    ),
    Variant(_path_variant("stale_grad"), "every step used the gradient at w_start", _H64["stale_grad"]),
]


def check_path_case(fn, case: tuple, where: str | None = None) -> None:
    """Task 6.4 on one (grad, w_start, lr, beta, steps): Wrong, NotDone or LearnerRaised unless fn is right.

    Chapter 06. `where` names the case in a detail (steps, D, lr and beta when None).
    """
    grad, w_start, lr, beta, steps = case
    D = len(w_start)
    where = where or f"for {steps} steps from a start of {D} weights, lr = {lr}, beta = {beta}"
    value = call(fn, grad, w_start, lr, beta, steps, names=("grad", "w_start", "lr", "beta", "steps")).value
    got = as_numbers(value, "your function")
    expected = reference_momentum_path(grad, w_start, lr, beta, steps)
    if got.shape == (steps, D) and steps > 0 and all_close(got, expected[1:]):
        raise Wrong(f"your path has {steps} rows, without w_start ({where})", _H64["start"])
    if got.shape != expected.shape:
        raise Wrong(f"your path has shape {got.shape} ({where})", _H64["not_path"])
    if all_close(got, expected):
        return
    if steps > 1 and np.all(got == got[-1]):
        raise Wrong(f"every row of your path is the same point ({where})", _H64["aliasing"])
    found = diagnose(got, case, PATH_VARIANTS)
    if found is not None:
        raise Wrong(f"{found.detail} ({where})", found.hint)
    raise Wrong(f"wrong path ({where})", _H64["other"])


# ---- hidden cases: drawn from the grading run's generator ---------------------------------


def _delta_hidden(rng: np.random.Generator) -> list[tuple]:
    """6.1: a batch of one through a single top unit, a deeper ReLU network, one square layer."""
    deep = tuple(int(w) for w in rng.integers(2, 8, size=5))
    side = int(rng.integers(3, 6))
    return delta_cases(
        seed_from(rng), (((2, int(rng.integers(4, 8)), 1), 1, "sigmoid"), (deep, 6, "relu"), ((side, side), 2, "tanh"))
    )


def _init_hidden(rng: np.random.Generator) -> list[tuple]:
    """6.2: a single input, a square layer, a wide input layer and a wide output layer."""
    side = int(rng.integers(16, 128))
    wide = int(rng.integers(300, 1000))
    narrow = int(rng.integers(2, 20))
    return [
        (1, narrow, "he"),
        (side, side, "xavier"),
        (side, side, "he"),
        (wide, narrow, "xavier"),
        (narrow, wide, "he"),
    ]


def _momentum_hidden(rng: np.random.Generator) -> list[tuple]:
    """6.3: a single weight, a weight array with three axes, no momentum and momentum close to one."""
    lrs = np.round(rng.uniform(0.01, 0.5, size=3), 3)
    settings = (
        ((1,), float(lrs[0]), 0.0),
        ((4, 2, int(rng.integers(2, 4))), float(lrs[1]), 0.99),
        ((int(rng.integers(5, 8)),), float(lrs[2]), float(np.round(rng.uniform(0.3, 0.8), 2))),
    )
    return momentum_cases(seed_from(rng), settings)


def _momentum_hidden_case(fn, case) -> None:
    check_momentum_case(fn, case, where=f"for w of shape {case[0].shape} and a hidden lr, beta")


def _path_hidden(rng: np.random.Generator) -> list[tuple]:
    """6.4: (grad, w_start, lr, beta, steps): one step in one dimension, 30 steps on a 4-d bowl."""
    curvature = np.round(np.sort(rng.uniform(0.5, 20.0, size=4)), 2)
    lr = float(np.round(rng.uniform(0.2, 0.9) / curvature[-1], 4))  # below 2 / lambda_max: the run stays bounded
    return [
        (
            quadratic_bowl([float(np.round(rng.uniform(1.0, 4.0), 2))]),
            np.round(rng.normal(size=1), 2),
            float(np.round(rng.uniform(0.05, 0.3), 2)),
            float(np.round(rng.uniform(0.2, 0.8), 2)),
            1,
        ),
        (quadratic_bowl(curvature.tolist()), np.round(rng.normal(size=4), 2), lr, 0.9, 30),
    ]


def _path_hidden_case(fn, case) -> None:
    check_path_case(fn, case, where=f"for {case[4]} steps from a start of {len(case[1])} weights and a hidden lr, beta")


TASKS = (
    Task(
        "6.1",
        "delta_norms",
        3,
        "06",
        OnCases(check_delta_case, delta_cases),
        signature="delta_norms(weights, zs, dout, f_prime)",
        try_it="delta_norms(example_weights, example_zs, example_dout, tanh_prime)",
        hidden=(
            HiddenCheck(
                "other depths and widths",
                "a batch of one through a single top unit, a deeper ReLU network, one square layer",
                check_delta_case,
                _delta_hidden,
            ),
        ),
        implemented_by=(
            "bplib.depth.delta_norms",
            "bplib.depth.backprop_deltas",
            "bplib.depth._delta_norms",
            "bplib.depth._backprop_deltas",
            "bplib.checks.ch06.reference_delta_norms",
        ),
    ),
    Task(
        "6.2",
        "init_std",
        1,
        "06",
        OnCases(check_init_case, init_cases),
        signature="init_std(D, H, init)",
        try_it='init_std(300, 100, "he")',
        hidden=(
            HiddenCheck(
                "other sizes",
                "a single input, square layers, a wide input layer and a wide output layer",
                check_init_case,
                _init_hidden,
            ),
        ),
        implemented_by=("bplib.layers.init_std", "bplib.checks.ch06.reference_init_std"),
    ),
    Task(
        "6.3",
        "momentum_step",
        2,
        "06",
        OnCases(check_momentum_case, momentum_cases),
        signature="momentum_step(w, v, grad, lr, beta)",
        try_it="momentum_step(np.ones(3), np.zeros(3), np.ones(3), 0.1, 0.9)",
        hidden=(
            HiddenCheck(
                "other shapes and rates",
                "a single weight, a weight array with three axes, no momentum and momentum close to one",
                _momentum_hidden_case,
                _momentum_hidden,
            ),
        ),
        implemented_by=("bplib.optim.Momentum.step", "bplib.checks.ch06.reference_momentum_step"),
    ),
    Task(
        "6.4",
        "momentum_path",
        2,
        "06",
        OnCases(check_path_case, path_cases),
        signature="momentum_path(grad, w_start, lr, beta, steps)",
        try_it="momentum_path(bowl_grad, np.array([2.0, 1.0]), 0.02, 0.9, 10)",
        hidden=(
            HiddenCheck(
                "other runs",
                "a single step in one dimension, and a long run on a four-dimensional bowl",
                _path_hidden_case,
                _path_hidden,
            ),
        ),
        implemented_by=(
            "bplib.experiments.optimizer_paths.optimizer_path",
            "bplib.checks.ch06.reference_momentum_path",
            "bplib.checks.ch06.reference_momentum_step",
            "bplib.optim.Momentum.step",
        ),
        builds_on=("6.3",),
    ),
)
