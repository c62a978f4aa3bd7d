"""The machinery shared by every exercise check: tasks, verdicts, and safe calls.

A checker is a function `checker(answer) -> None` that returns quietly when the
learner's answer is right and otherwise raises one of three signals:

    NotDone        the learner has not started (NotImplementedError, or `...` left in place)
    Wrong          the answer is wrong; carries a short `detail` and a specific `hint`
    LearnerRaised  the learner's own code raised; `evaluate` turns it into a hint

`evaluate(task, answer)` runs a task's checker and turns the outcome into a
`Verdict`. Nothing here prints; `bplib.checks.check` does.

Checkers never put the expected answer into a detail or a hint: they describe
the mistake (a missing factor, a wrong shape, a sign) and let the learner fix it.
"""

from __future__ import annotations

import copy
import math
import numbers
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from bplib.graph import Value

STATUSES = ("passed", "not implemented", "wrong")


@dataclass(frozen=True)
class Task:
    """One checked exercise task. Chapter 01.

    Attributes:
        id: the task number as a string, e.g. "1.2" (chapter 1, task 2).
        title: what the learner writes, e.g. "sigmoid_prime", shown in every verdict.
        points: how many points the task is worth when graded.
        chapter: the two-digit chapter (and exercise notebook) number, e.g. "01".
        checker: checker(answer) -> None; raises NotDone, Wrong or LearnerRaised.
        signature: how the learner's function is called, e.g. "numerical_derivative(f, x, h=1e-5)".
        try_it: a call the learner can run to see a full traceback, e.g. "sigmoid_prime(np.ones(3))".
        wants_function: True when the answer is a function (False for an answer given as numbers).
    """

    id: str
    title: str
    points: int
    chapter: str
    checker: Callable[[object], None] = field(repr=False)
    signature: str = ""
    try_it: str = ""
    wants_function: bool = True


@dataclass
class Verdict:
    """The outcome of checking one task. Chapter 01.

    Attributes:
        task: the task id, e.g. "1.1".
        title: the task's title, e.g. "sigmoid_prime".
        status: "passed", "not implemented" or "wrong".
        hint: what to look at next ("" when passed).
        points: the points earned: the task's points when passed, else 0.
        max_points: the task's points.
        detail: for "wrong", what the check saw (never the expected answer).
    """

    task: str
    title: str
    status: str
    hint: str = ""
    points: int = 0
    max_points: int = 0
    detail: str = ""
    # the IPython execution count of the cell in which check() printed this verdict
    _printed_in: int | None = field(default=None, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status: expected one of {STATUSES}, got {self.status!r}")

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def __str__(self) -> str:
        head = f"Exercise {self.task} ({self.title}): "
        if self.status == "passed":
            return head + "passed"
        if self.status == "not implemented":
            line = head + "not implemented yet"
        else:
            line = head + "wrong" + (f": {self.detail}" if self.detail else "")
        return line + (f"\n    Hint: {self.hint}" if self.hint else "")

    def _ipython_display_(self) -> None:
        # check() has already printed this verdict when it is the value of the
        # cell that called check(); showing it again would print it twice.
        if self._printed_in is not None and self._printed_in == _execution_count():
            return
        print(self)


def _execution_count() -> int | None:
    """The running IPython cell's execution count, or None outside IPython."""
    try:
        from IPython import get_ipython
    except ImportError:  # plain Python without IPython installed
        return None
    shell = get_ipython()
    return None if shell is None else shell.execution_count


class NotDone(Exception):
    """Signal: the learner has not implemented the task yet."""

    def __init__(self, hint: str = "") -> None:
        super().__init__(hint)
        self.hint = hint


class Wrong(Exception):
    """Signal: the answer is wrong. `detail` says what was seen, `hint` what to look at."""

    def __init__(self, detail: str, hint: str) -> None:
        super().__init__(detail)
        self.detail = detail
        self.hint = hint


class LearnerRaised(Exception):
    """Signal: the learner's function raised `error` (not NotImplementedError)."""

    def __init__(self, error: Exception) -> None:
        super().__init__(repr(error))
        self.error = error


# ---- calling the learner's code --------------------------------------------------


@dataclass
class Outcome:
    """What one call of the learner's function produced: its return value and its warnings."""

    value: object
    warnings: list[str]


def call(fn: Callable, *args, names: tuple[str, ...] = (), **kwargs) -> Outcome:
    """Call the learner's `fn(*args, **kwargs)` safely and return its value and warnings.

    Array arguments are copied, so a function that writes into its input cannot
    spoil the checker's own data; writing into an input is reported as Wrong.
    `names` are the arguments' names, for that message.

    Raises:
        NotDone when fn raises NotImplementedError; LearnerRaised for any other
        exception; Wrong when fn changed an array argument in place.
    """
    passed_args = [copy.deepcopy(a) for a in args]
    with warnings.catch_warnings(record=True) as caught, np.errstate(
        over="warn", invalid="warn", divide="warn", under="ignore"
    ):
        warnings.simplefilter("always")
        try:
            value = fn(*passed_args, **kwargs)
        except NotImplementedError:
            raise NotDone() from None
        except Exception as error:  # the learner's bug: reported, never re-raised
            raise LearnerRaised(error) from None
    for i, (original, given) in enumerate(zip(args, passed_args, strict=True)):
        if isinstance(original, np.ndarray) and not np.array_equal(original, given):
            name = names[i] if i < len(names) else f"argument {i + 1}"
            raise Wrong(
                f"your function changed its input {name} in place",
                f"Leave {name} as it is: compute into a new array (e.g. s = ...) "
                f"instead of writing {name} -= ..., {name} *= ... or {name}[...] = ...",
            )
    return Outcome(value, [str(w.message) for w in caught])


def a_type(value) -> str:
    """ "a float", "an int", "None": how a message names the type of `value`."""
    if value is None:
        return "None"
    name = type(value).__name__
    return ("an " if name[0].lower() in "aeiou" else "a ") + name


def exception_hint(error: Exception, task: Task) -> str:
    """A hint for an exception the learner's code raised, by the kind of error."""
    message = str(error)
    if isinstance(error, NameError):
        return (
            "A name is not defined: run the setup cell at the top (the imports) and the "
            "cells above this one, then run this check again."
        )
    if "converted to Python scalars" in message:
        return (
            "math.exp, math.tanh, ... take a single number; use np.exp, np.tanh, ..., "
            "which work entry by entry on whole arrays."
        )
    if "truth value of an array" in message:
        return (
            "`if` asks about one number but z is an array: choose entry by entry with "
            "np.where(condition, a, b) or a boolean mask."
        )
    if isinstance(error, OverflowError):
        return "exp of a large positive number overflows: only ever exponentiate -|z|, which is <= 0."
    if isinstance(error, TypeError) and (
        "positional argument" in message or "unexpected keyword" in message
    ):
        return f"Check your def line: the function is called as {task.signature}."
    return f"Run {task.try_it} in a new cell to see the full error."


def describe_error(error: Exception) -> str:
    """ "TypeError: <first line of the message>", shortened to fit one line."""
    lines = str(error).strip().splitlines()
    message = lines[0] if lines else ""
    if len(message) > 150:
        message = message[:147] + "..."
    return type(error).__name__ + (f": {message}" if message else "")


def evaluate(task: Task, answer) -> Verdict:
    """Run task.checker on `answer` and return the Verdict. Never prints.

    Errors inside the learner's code become "wrong" verdicts; errors inside the
    checker itself (bugs in bplib) propagate.
    """

    def verdict(status: str, hint: str = "", detail: str = "") -> Verdict:
        points = task.points if status == "passed" else 0
        return Verdict(task.id, task.title, status, hint, points, task.points, detail)

    if task.wants_function and not callable(answer):
        return verdict(
            "wrong",
            f"Pass the function itself, without calling it: check({task.id!r}, {task.title}).",
            f"expected your function {task.title}, got {a_type(answer)}",
        )
    try:
        task.checker(answer)
    except NotDone as signal:
        return verdict("not implemented", signal.hint)
    except Wrong as signal:
        return verdict("wrong", signal.hint, signal.detail)
    except LearnerRaised as signal:
        return verdict(
            "wrong",
            exception_hint(signal.error, task),
            "your function raised " + describe_error(signal.error),
        )
    return verdict("passed")


# ---- turning answers into numbers --------------------------------------------------


def as_numbers(value, what: str = "your function") -> np.ndarray:
    """The learner's result as a float64 array, or Wrong saying what came instead."""
    if value is None:
        raise Wrong(
            f"{what} returned None",
            "A function without a return statement returns None: end it with return ...",
        )
    if isinstance(value, Value):
        raise Wrong(
            f"{what} returned a Value, not a number",
            "Return plain numbers: take .data of a Value, or compute with floats.",
        )
    try:
        # inside the try: np.iscomplexobj itself fails on ragged lists like [[1.0], [2.0, 3.0]]
        if isinstance(value, (str, bytes, dict, set)) or np.iscomplexobj(value):
            raise TypeError("not real numbers")
        return np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise Wrong(
            f"{what} returned {a_type(value)}, not numbers",
            "Return a number or a numpy array of numbers.",
        ) from None


def as_number(value, what: str) -> float:
    """One real number from the learner (int, float, numpy scalar, 0-d array), or Wrong."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value[()]
    if isinstance(value, Value):
        raise Wrong(f"{what} is a Value, not a number", "Use plain numbers: take .data of a Value.")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise Wrong(f"{what} is {a_type(value)}, not a number", f"Make {what} a plain number.")
    number = float(value)
    if not math.isfinite(number):
        raise Wrong(f"{what} is {number}", f"Make {what} a finite number.")
    return number


def require_shape(got: np.ndarray, expected_shape: tuple, input_shape: tuple, hint: str) -> None:
    """Wrong unless the learner's array has the expected shape."""
    if got.shape != tuple(expected_shape):
        shape = "a scalar z" if input_shape == () else f"z of shape {input_shape}"
        raise Wrong(f"for {shape} your function returned shape {got.shape}", hint)


def all_close(got, expected, rtol: float = 1e-9, atol: float = 1e-12) -> bool:
    """True when every entry of got is within rtol/atol of expected (shapes must match)."""
    got = np.asarray(got, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    return (
        got.shape == expected.shape
        and bool(np.all(np.isfinite(got)))
        and np.allclose(got, expected, rtol=rtol, atol=atol)
    )


@dataclass(frozen=True)
class Variant:
    """A known wrong answer: what it computes, and what to tell a learner whose answer matches it.

    Attributes:
        compute: maps the case's inputs to the wrong answer's output.
        detail: what the check saw, e.g. "your values equal sigma(z)".
        hint: how to fix it.
    """

    compute: Callable
    detail: str
    hint: str


def diagnose(got, inputs: tuple, variants: list[Variant], rtol: float = 1e-7) -> Variant | None:
    """The first variant whose output matches `got` on these inputs, or None."""
    for variant in variants:
        with np.errstate(all="ignore"):
            try:
                wrong = variant.compute(*inputs)
            except (ArithmeticError, ValueError):
                continue
        if np.shape(wrong) == np.shape(got) and all_close(got, wrong, rtol=rtol, atol=1e-12):
            return variant
    return None
