"""The machinery shared by every exercise check: tasks, verdicts, cases and safe calls.

A task's checker is a function `checker(answer) -> None` that returns quietly when the
learner's answer is right and otherwise raises one of four signals:

    NotDone        the learner has not started (NotImplementedError, or `...` left in place)
    Wrong          the answer is wrong; carries a short `detail` and a specific `hint`
    LearnerRaised  the learner's own code raised; `evaluate` turns it into a hint
    Delegated      the answer calls bplib's own implementation of the task

Most checkers are `OnCases(check_case, cases)`: one per-case check run on every case. The
same per-case checks run on a task's hidden cases (`HiddenCheck`), drawn from a seed.

Every call of the learner's function goes through `call`, whoever asks: `check()` in a
notebook calls the function in its own process; the grader hands `call` a stand-in that
runs it in a sandbox and brings its results back as plain data (bplib.grade). Either way
the checker sees the same values, warnings and errors, so each task is defined once.

`evaluate(task, answer)` runs a task's checker and turns the outcome into a `Verdict`.
Nothing here prints; `bplib.checks.check` does.

Checkers never put the expected answer into a detail or a hint: they describe
the mistake (a missing factor, a wrong shape, a sign) and let the learner fix it.
"""

from __future__ import annotations

import builtins
import contextlib
import contextvars
import copy
import functools
import importlib
import math
import numbers
import sys
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import numpy as np

from bplib.graph import Value

STATUSES = ("passed", "not implemented", "wrong")


@dataclass(frozen=True)
class HiddenCheck:
    """One hidden check of a task: its per-case check on cases drawn from a random generator.

    Attributes:
        name: short, shown to learners in feedback, e.g. "other shapes".
        what: one line for learners on what it probes, e.g. "a batch of one example and D != H"; never values.
        check_case: check_case(answer, case) -> None; raises NotDone, Wrong or LearnerRaised.
        make_cases: make_cases(rng) -> list of cases; every value comes from `rng`, so the cases
            of a grading run are new, and the same again for the same seed.
    Chapter: every exercise.
    """

    name: str
    what: str
    check_case: Callable[[object, object], None] = field(repr=False)
    make_cases: Callable[[np.random.Generator], list] = field(repr=False)

    def checker(self, rng: np.random.Generator) -> Callable[[object], None]:
        """This check as a task checker on the cases `rng` draws."""
        return OnCases(self.check_case, functools.partial(self.make_cases, rng))


@dataclass(frozen=True)
class Task:
    """One checked exercise task. Chapter 01.

    Attributes:
        id: the task number as a string, e.g. "1.2" (chapter 1, task 2).
        title: what the learner writes, e.g. "sigmoid_prime", shown in every verdict.
        points: how many points the task is worth when graded.
        chapter: the two-digit chapter (and exercise notebook) number, e.g. "01".
        checker: checker(answer) -> None, the public check; raises NotDone, Wrong or LearnerRaised.
        signature: how the learner's function is called, e.g. "numerical_derivative(f, x, eps=1e-5)".
        try_it: a call the learner can run to see a full traceback, e.g. "sigmoid_prime(np.array([0.5, 2.0]))".
        wants_function: True when the answer is a function (False for an answer given as numbers).
        hidden: the hidden checks, run by the grader and by check() after the public one passes.
        implemented_by: dotted names of the bplib functions that compute this task's answer; an
            answer that calls them delegates the task (see `Delegated`). Each module-level
            function's plain twin (the `_name` that computes what `name` returns after `name`
            has checked its input) is added: calling the twin delegates just as well.
        builds_on: ids of earlier tasks whose functions this one usually calls; when it fails
            and one of them does too, the verdict says to fix that one first.
    """

    id: str
    title: str
    points: int
    chapter: str
    checker: Callable[[object], None] = field(repr=False)
    signature: str = ""
    try_it: str = ""
    wants_function: bool = True
    hidden: tuple[HiddenCheck, ...] = ()
    implemented_by: tuple[str, ...] = ()
    builds_on: tuple[str, ...] = ()

    def __post_init__(self):
        object.__setattr__(self, "implemented_by", with_plain_twins(self.implemented_by))


def with_plain_twins(dotted_names: tuple[str, ...]) -> tuple[str, ...]:
    """The names, each module-level function's plain twin `module._name` after it where the module has one."""
    found = []
    for dotted in dotted_names:
        found.append(dotted)
        module_name, _, name = dotted.rpartition(".")
        try:
            module = importlib.import_module(module_name)
        except ImportError:  # a class's method ("bplib.network.Network.backward"): no twin
            continue
        if callable(getattr(module, f"_{name}", None)):
            found.append(f"{module_name}._{name}")
    return tuple(dict.fromkeys(found))


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


class Delegated(Exception):
    """Signal: the answer ran bplib's own implementation of the task (`uses`, dotted names)."""

    def __init__(self, uses: list[str]) -> None:
        # a public function runs its plain twin: name the public one only (m.f, not m.f and m._f)
        named = [u for u in uses if not _is_twin_of_one_of(u, uses)]
        super().__init__(", ".join(named))
        self.uses = named


def _is_twin_of_one_of(dotted: str, others: list[str]) -> bool:
    module, _, name = dotted.rpartition(".")
    return name.startswith("_") and f"{module}.{name[1:]}" in others


# ---- calling the learner's code --------------------------------------------------

# How a bplib function withheld while grading says so (bplib.grade.withheld writes it into the sandbox).
WITHHELD = "BplibWithheld:"

# The task whose checker is running (set by evaluate): call() watches for its implementations.
_CURRENT_TASK: contextvars.ContextVar[Task | None] = contextvars.ContextVar("bplib_check_task", default=None)
# Whether an answer may run bplib's implementation of its own task (the grader's --allow-bplib).
_ALLOW_BPLIB: contextvars.ContextVar[bool] = contextvars.ContextVar("bplib_allow_bplib", default=False)


@contextlib.contextmanager
def allow_bplib(allowed: bool = True):
    """Within this block, answers that call bplib's own implementation of their task are not flagged."""
    token = _ALLOW_BPLIB.set(allowed)
    try:
        yield
    finally:
        _ALLOW_BPLIB.reset(token)


@dataclass
class RawCall:
    """What one call of the learner's function did, before any judgement.

    Attributes:
        status: "returned", "raised" or "not implemented" (it raised NotImplementedError).
        value: what it returned (status "returned").
        error: the exception it raised (status "raised").
        warnings: the messages of the warnings it issued (numpy's overflow, ...).
        changed: per argument, whether the function changed it in place.
        args_after: the arguments as the function left them.
        uses: dotted names of watched bplib functions that ran during the call.
        aliases: where the returned value hands back an argument itself (or a view of one of its arrays),
            e.g. ["value[0]", "value[0]['W']"]: the caller's data would change with it.
    """

    status: str
    value: object = None
    error: BaseException | None = None
    warnings: list[str] = field(default_factory=list)
    changed: list[bool] = field(default_factory=list)
    args_after: tuple = ()
    uses: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)


@dataclass
class Outcome:
    """What one call of the learner's function produced: its return value, its warnings, and the
    arguments as it left them (all equal to what was passed unless check_in_place=False)."""

    value: object
    warnings: list[str]
    args_after: tuple = ()
    aliases: list[str] = field(default_factory=list)


def _parts(value, path: str, depth: int):
    """(path, part) for `value` and its items and values, `depth` levels down."""
    yield path, value
    if depth == 0:
        return
    if isinstance(value, Mapping):
        items = ((f"{path}[{key!r}]", item) for key, item in value.items())
    elif isinstance(value, (list, tuple)):
        items = ((f"{path}[{i}]", item) for i, item in enumerate(value))
    else:
        return
    for sub_path, item in items:
        yield from _parts(item, sub_path, depth - 1)


def aliases_of(value, args: tuple) -> list[str]:
    """The paths of `value` (two levels down) that are an argument, an item of one, or share its memory."""
    mutable = [part for arg in args for _, part in _parts(arg, "", 1) if isinstance(part, (np.ndarray, list, dict))]
    found = []
    for path, part in _parts(value, "value", 2):
        if not isinstance(part, (np.ndarray, list, dict)):
            continue
        for other in mutable:
            if part is other or (
                isinstance(part, np.ndarray)
                and isinstance(other, np.ndarray)
                and part.size
                and np.shares_memory(part, other)
            ):
                found.append(path)
                break
    return found


def same(a, b) -> bool:
    """Whether two argument values are equal all the way down (arrays entry by entry, NaN equal to NaN)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        if not (isinstance(a, np.ndarray) and isinstance(b, np.ndarray)) or a.shape != b.shape or a.dtype != b.dtype:
            return False
        return bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, Mapping):
        return isinstance(b, Mapping) and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and isinstance(b, float) and math.isnan(a) and math.isnan(b):
        return True
    if a is None or isinstance(a, (numbers.Number, str, bytes, np.generic)):
        return type(a) is type(b) and bool(a == b)
    return True  # not data (a function handed to the learner, ...): nothing to compare


def _code_of(function) -> object | None:
    """The code object a callable runs (functions, methods, partials, callable objects), or None."""
    seen = 0
    while seen < 5:
        seen += 1
        if isinstance(function, functools.partial):
            function = function.func
        elif hasattr(function, "__code__"):
            return function.__code__
        elif hasattr(function, "__func__"):
            function = function.__func__
        elif callable(function) and not isinstance(function, type):
            function = type(function).__call__  # an object with a __call__ method
        else:
            return None
    return None


def _resolve_watched(names) -> dict:
    """code object -> dotted name, for the watched bplib functions that exist."""
    codes = {}
    for dotted in names:
        module_name, _, attribute = dotted.rpartition(".")
        try:
            target = importlib.import_module(module_name)
            target = getattr(target, attribute)
        except (ImportError, AttributeError):  # a class method: "bplib.graph.Value.sigmoid"
            try:
                owner_module, _, owner = module_name.rpartition(".")
                target = getattr(getattr(importlib.import_module(owner_module), owner), attribute)
            except (ImportError, AttributeError, ValueError):
                continue
        code = _code_of(target)
        if code is not None:
            codes[code] = dotted
    return codes


@contextlib.contextmanager
def _watching(names, given_callables) -> list[str]:
    """Record which watched functions run while the block runs (a profile hook on this thread).

    Calls made from inside a callable the checker handed the learner (an f to differentiate, a
    step_backward to use) are not the learner's and are not recorded."""
    used: list[str] = []
    watched = _resolve_watched(names) if names else {}
    if not watched:
        yield used
        return
    given = {code for code in map(_code_of, given_callables) if code is not None}
    inside_given: list = []  # frames of given callables now running

    def profile(frame, event, arg):
        if event == "call":
            code = frame.f_code
            if inside_given:
                return
            if code in given:
                inside_given.append(frame)
            elif code in watched and watched[code] not in used:
                used.append(watched[code])
        elif event == "return" and inside_given and inside_given[-1] is frame:
            inside_given.pop()

    previous = sys.getprofile()
    sys.setprofile(profile)
    try:
        yield used
    finally:
        sys.setprofile(previous)


def invoke(fn: Callable, args: tuple, kwargs: dict | None = None, watch=()) -> RawCall:
    """Call the learner's fn(*args, **kwargs) in this process and record what happened.

    The function gets deep copies of the arguments, so it cannot spoil the caller's; numpy's
    floating-point problems become warnings that are recorded, not raised. `watch` lists dotted
    names of bplib functions to look out for (RawCall.uses). Never raises for the learner's errors.
    """
    kwargs = kwargs or {}
    passed = copy.deepcopy(tuple(args))
    given = [a for a in (*args, *kwargs.values()) if callable(a)]
    with (
        warnings.catch_warnings(record=True) as caught,
        np.errstate(over="warn", invalid="warn", divide="warn", under="ignore"),
    ):
        warnings.simplefilter("always")
        with _watching(watch, given) as used:
            try:
                value = fn(*passed, **kwargs)
            except NotImplementedError:
                raw = RawCall("not implemented")
            except Exception as error:  # the learner's bug: recorded, never re-raised
                raw = RawCall("raised", error=error)
            else:
                raw = RawCall("returned", value=value)
    raw.warnings = [str(w.message) for w in caught]
    raw.changed = [not same(original, after) for original, after in zip(args, passed, strict=True)]
    raw.args_after = passed
    raw.uses = list(used)
    if raw.status == "returned":
        raw.aliases = aliases_of(raw.value, passed)
    return raw


def is_shape_error(error: BaseException) -> bool:
    """Whether numpy raised `error` because two arrays' shapes do not fit (a product or broadcasting)."""
    message = str(error)
    return isinstance(error, ValueError) and any(
        part in message
        for part in (
            "mismatch in its core dimension",
            "not aligned",
            "could not be broadcast",
            "array dimensions",
            "same number of dimensions",
        )  # the last two: concatenation
    )


def shapes_of(names: tuple[str, ...], args: tuple) -> str:
    """ "x (4, 3), W (3, 2)": how a detail names the inputs of a case, by their shapes."""
    return ", ".join(f"{name} {np.shape(arg)}" for name, arg in zip(names, args, strict=False))


def call(
    fn,
    *args,
    names: tuple[str, ...] = (),
    shape_hint: str | None = None,
    where: str = "",
    check_in_place: bool = True,
    **kwargs,
) -> Outcome:
    """Call the learner's `fn(*args, **kwargs)` safely and return its value and warnings.

    `fn` is the learner's function, or a stand-in with an `invoke(args, kwargs, watch)` method
    that runs it elsewhere (the grader's sandbox) and returns a RawCall. Array arguments are
    copied, so a function that writes into its input cannot spoil the checker's own data.

    Inputs:
        names: the arguments' names, for messages.
        shape_hint: when given, a numpy shape error inside fn becomes Wrong with this hint, the
            detail naming the inputs by `where` (or their shapes).
        check_in_place: raise Wrong when fn changed an argument in place; False hands the
            changed arguments back in Outcome.args_after for the checker to judge.
    Raises:
        NotDone when fn raises NotImplementedError; LearnerRaised for any other exception;
        Wrong as above; Delegated when fn ran bplib's implementation of the task being checked.
    """
    task = _CURRENT_TASK.get()
    watch = () if task is None or _ALLOW_BPLIB.get() else task.implemented_by
    if hasattr(fn, "invoke") and not isinstance(fn, type):
        raw = fn.invoke(args, kwargs, watch)
    else:
        raw = invoke(fn, args, kwargs, watch)
    if raw.uses and watch:
        raise Delegated(raw.uses)
    if raw.status == "raised" and str(raw.error).startswith(WITHHELD):  # see bplib.grade.withheld
        raise Delegated([(str(raw.error)[len(WITHHELD) :].split() or ["bplib"])[0]])
    if raw.status == "not implemented":
        raise NotDone()
    if raw.status == "raised":
        if shape_hint is not None and is_shape_error(raw.error):
            place = where or "for " + shapes_of(names, args)
            raise Wrong(f"your function raised {describe_error(raw.error)} ({place})", shape_hint) from None
        raise LearnerRaised(raw.error)
    if check_in_place:
        for i, changed in enumerate(raw.changed):
            if changed:
                name = names[i] if i < len(names) else f"argument {i + 1}"
                raise Wrong(
                    f"your function changed its input {name} in place",
                    f"Leave {name} as it is: compute into a new array (e.g. s = ...) "
                    f"instead of writing {name} -= ..., {name} *= ... or {name}[...] = ...",
                )
    return Outcome(raw.value, raw.warnings, tuple(raw.args_after), list(raw.aliases))


def rebuilt_exception(type_name: str, message: str) -> Exception:
    """An exception of the builtin type `type_name` (or a stand-in class of that name) whose str() is
    `message`: how an error raised in the sandbox is seen by the checkers (exception_hint, is_shape_error)."""
    cls = getattr(builtins, type_name, None)
    if not (isinstance(cls, type) and issubclass(cls, Exception)):
        cls = Exception
    name = type_name if type_name.isidentifier() else "Error"
    rebuilt = type(name, (cls,), {"__str__": lambda self: message, "__module__": "builtins"})
    try:
        return rebuilt(message)
    except Exception:  # a constructor that wants other arguments
        return type(name, (Exception,), {"__str__": lambda self: message})(message)


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
    if isinstance(error, TypeError) and ("positional argument" in message or "unexpected keyword" in message):
        return f"Check your def line: the function is called as {task.signature}."
    return f"Run {task.try_it} in a new cell to see the full error."


def describe_error(error: Exception) -> str:
    """ "TypeError: <first line of the message>", shortened to fit one line."""
    lines = str(error).strip().splitlines()
    message = lines[0] if lines else ""
    if len(message) > 150:
        message = message[:147] + "..."
    return type(error).__name__ + (f": {message}" if message else "")


def builds_on_hint(task: Task, failing: list[Task]) -> str:
    """What to say first when `task` fails and tasks it builds on (`failing`) do too."""
    names = " and ".join(f"task {t.id} ({t.title})" for t in failing)
    return f"This task builds on {names}, which is not right yet: if your {task.title} uses it, fix that first."


def delegation_hint(uses: list[str]) -> str:
    """What to tell a learner whose answer ran bplib's own implementation of the task."""
    names = ", ".join(name.rsplit(".", 1)[-1] for name in uses)
    return (
        f"This task asks you to write it yourself: replace the call to bplib's {names} by your own "
        "numpy code (bplib's version is there to check yours against, not to be called)."
    )


def evaluate(task: Task, answer, checker: Callable[[object], None] | None = None) -> Verdict:
    """Run task.checker (or `checker`, e.g. a hidden check) on `answer` and return the Verdict.

    Never prints. Errors inside the learner's code become "wrong" verdicts; errors inside the
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
    token = _CURRENT_TASK.set(task)
    try:
        (checker or task.checker)(answer)
    except NotDone as signal:
        return verdict("not implemented", signal.hint)
    except Wrong as signal:
        return verdict("wrong", signal.hint, signal.detail)
    except Delegated as signal:
        return verdict("wrong", delegation_hint(signal.uses), f"your answer calls bplib's own {', '.join(signal.uses)}")
    except LearnerRaised as signal:
        return verdict(
            "wrong",
            exception_hint(signal.error, task),
            "your function raised " + describe_error(signal.error),
        )
    finally:
        _CURRENT_TASK.reset(token)
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


def require_array(value, given, where: str, hint: str) -> None:
    """Wrong unless the learner returned a numpy array for an array input (a list, say from .tolist(),
    has none of an array's arithmetic, so the next piece of a network would go wrong with it)."""
    if isinstance(given, np.ndarray) and given.ndim > 0 and isinstance(value, (list, tuple)):
        raise Wrong(f"for {where} your function returned {a_type(value)}, not a numpy array", hint)


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


class Given:
    """A function the checks hand to the learner's (an f, a loss, a step), defined in bplib.checks.given.

    Calls function(*args, **kwargs, **self.kwargs). `source()` is its code and its helpers' (plain numpy),
    which the grader sends into the sandbox (bplib.grade.codec) instead of a reference to bplib.
    """

    def __init__(self, function: Callable, helpers: tuple = (), **kwargs):
        self.function = function
        self.helpers = tuple(helpers)
        self.kwargs = kwargs

    def __call__(self, *args, **kwargs):
        return self.function(*args, **kwargs, **self.kwargs)

    def source(self) -> str:
        import inspect
        import textwrap

        return "\n\n".join(textwrap.dedent(inspect.getsource(f)) for f in (*self.helpers, self.function))

    def __repr__(self) -> str:
        extra = "".join(f", {key}={value!r}" for key, value in self.kwargs.items())
        return f"{self.function.__name__}(...{extra})"


@dataclass(frozen=True)
class OnCases:
    """A checker that runs a per-case check on every case of a generator. Chapter: every exercise.

    Attributes:
        check_case: check_case(answer, case) -> None; raises NotDone, Wrong or LearnerRaised.
        make_cases: () -> list of cases, made afresh for every answer, so no answer can spoil them.
    """

    check_case: Callable[[object, object], None]
    make_cases: Callable[[], list]

    def __call__(self, answer) -> None:
        for case in self.make_cases():
            self.check_case(answer, case)


def arrays_by_key(value, keys: tuple[str, ...], hint: str, name: str = "grads") -> dict[str, np.ndarray]:
    """The learner's dict of arrays (e.g. grads with a key per parameter), or Wrong saying what is missing."""
    if not isinstance(value, Mapping):
        raise Wrong(f"your {name} is {a_type(value)}, not a dict", hint)
    missing = [key for key in keys if key not in value]
    if missing:
        raise Wrong(f"your {name} has no key {', '.join(repr(k) for k in missing[:3])}", hint)
    return {key: as_numbers(value[key], f"your {name}[{key!r}]") for key in keys}


def seed_from(rng: np.random.Generator) -> int:
    """A seed for a case builder, drawn from a hidden check's generator."""
    return int(rng.integers(2**32))


def unpack(value, names: tuple[str, ...], hint: str, what: str = "your function") -> tuple:
    """The learner's several results, e.g. (dx, dy), or Wrong saying what came instead."""
    expected = f"{len(names)} values ({', '.join(names)})"
    if isinstance(value, np.ndarray) and value.ndim == 1 and len(value) == len(names) and value.dtype.kind in "biuf":
        value = tuple(value)  # (dx, dy) as an array of two numbers
    if not isinstance(value, (tuple, list)):
        if isinstance(value, (numbers.Real, np.ndarray)) and np.ndim(value) == 0:
            raise Wrong(f"{what} returned one number, expected {expected}", hint)
        raise Wrong(f"{what} returned {a_type(value)}, expected {expected}", hint)
    if len(value) != len(names):
        count = f"{len(value)} value{'' if len(value) == 1 else 's'}"
        raise Wrong(f"{what} returned {count}, expected {expected}", hint)
    return tuple(value)
