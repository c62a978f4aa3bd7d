"""Plain data across the sandbox wall: values as JSON, arrays as raw bytes, never pickle.

The grader sends a learner's function its inputs, and gets back what it returned, in this
encoding. Decoding builds only plain values: None, bool, int, float, complex, str, list, tuple,
dict, numpy arrays and scalars of numeric dtypes, Ellipsis, bplib.graph.Value (its number only),
and bplib's own NamedTuple caches. Anything else a learner returns arrives as an `Opaque`
stand-in that names its type, so a check can say "your function returned a set". Callables the
grader passes travel, towards the sandbox only, as references to numpy or bplib functions, or (the
checks' own, bplib.checks.given) as their source, which the sandbox side compiles.

Every decode is bounded (depth, number of values, bytes), so a hostile reply cannot make the
grader run out of memory or recurse without end; a malformed one raises CodecError.
Chapter: every exercise (grading).
"""

from __future__ import annotations

import base64
import functools
import importlib
import math
import numbers

import numpy as np

__all__ = ["CodecError", "Opaque", "decode", "encode", "reference"]

MAX_DEPTH = 40
MAX_ITEMS = 200_000
MAX_BYTES = 64 * 2**20
MAX_STR = 2**20
_REF_MODULES = ("bplib", "numpy")  # where a callable reference may point


class CodecError(ValueError):
    """A value that cannot be encoded, or data that is not a valid encoding."""


class Opaque:
    """Stands for a value of a type that does not cross the wall; `type_name` says which."""

    type_name = "object"

    def __repr__(self) -> str:
        return f"<{self.type_name}>"


@functools.cache
def _opaque_class(type_name: str) -> type:
    short = type_name.rsplit(".", 1)[-1] or "object"
    # a class named like the original, so messages read "your function returned a set"
    return type(short if short.isidentifier() else "object", (Opaque,), {"type_name": type_name})


def reference(target, *args) -> dict:
    """An encoded reference to a function or class in bplib or numpy, optionally with arguments:
    the sandbox calls target(*args) for a class, or binds them (functools.partial) for a function."""
    module, name = getattr(target, "__module__", None) or "", getattr(target, "__qualname__", "")
    if isinstance(target, np.ufunc):
        module, name = "numpy", target.__name__
    if module.split(".")[0] not in _REF_MODULES or not name or "<" in name:
        raise CodecError(f"cannot send {target!r}: only module-level functions and classes of bplib or numpy")
    return {"t": "ref", "target": f"{module}:{name}", "args": [encode(a) for a in args]}


def _as_reference(value) -> dict | None:
    """A callable as a reference (see `reference`), or None when it is not one of bplib's or numpy's.

    An object rebuilds itself from its `__reference__()`, which returns (class, args)."""
    rebuild = getattr(value, "__reference__", None)
    try:
        if callable(rebuild) and not isinstance(value, type):
            target, args = rebuild()
            return reference(target, *args)
        return reference(value)
    except CodecError:
        return None


class _Budget:
    def __init__(self):
        self.items = 0
        self.bytes = 0

    def spend(self, items: int = 1, size: int = 0) -> None:
        self.items += items
        self.bytes += size
        if self.items > MAX_ITEMS or self.bytes > MAX_BYTES:
            raise CodecError(f"the value is too large (more than {MAX_ITEMS} items or {MAX_BYTES // 2**20} MB)")


def encode(value, _depth: int = 0, _budget: _Budget | None = None):
    """`value` as JSON-ready data (see the module docstring). Types that do not cross become opaque."""
    budget = _budget or _Budget()
    budget.spend()
    if _depth > MAX_DEPTH:
        raise CodecError(f"the value is nested more than {MAX_DEPTH} levels deep")
    if value is None or isinstance(value, (bool, str)):
        if isinstance(value, str) and len(value) > MAX_STR:
            raise CodecError("a string is longer than 1 MB")
        return value
    if value is Ellipsis:
        return {"t": "ellipsis"}
    if isinstance(value, np.ndarray):
        return _encode_array(value, budget, scalar=False)
    if isinstance(value, np.generic):
        return _encode_array(np.asarray(value), budget, scalar=True)
    if isinstance(value, int):
        return value if abs(value) < 2**53 else {"t": "int", "v": str(value)}
    if isinstance(value, float):
        return value if math.isfinite(value) else {"t": "float", "v": repr(value)}
    if isinstance(value, complex):
        return {"t": "complex", "v": [encode(value.real), encode(value.imag)]}
    if isinstance(value, tuple) and hasattr(value, "_fields"):
        cls = type(value)
        if cls.__module__.split(".")[0] == "bplib":
            return {"t": "namedtuple", "cls": f"{cls.__module__}:{cls.__qualname__}",
                    "v": [[name, encode(getattr(value, name), _depth + 1, budget)] for name in value._fields]}
    if isinstance(value, (list, tuple)):
        kind = "list" if isinstance(value, list) else "tuple"
        return {"t": kind, "v": [encode(item, _depth + 1, budget) for item in value]}
    if isinstance(value, dict):
        return {"t": "dict", "v": [[encode(k, _depth + 1, budget), encode(v, _depth + 1, budget)]
                                   for k, v in value.items()]}
    if type(value).__module__ == "bplib.graph" and type(value).__name__ == "Value":
        return {"t": "value", "v": encode(getattr(value, "data", None), _depth + 1, budget)}
    if isinstance(value, numbers.Real):  # other real number types (fractions, ...)
        return encode(float(value), _depth, budget)
    if type(value).__name__ == "Given" and type(value).__module__ == "bplib.checks._core":
        return {"t": "given", "code": value.source(), "name": value.function.__name__,
                "kwargs": encode(dict(value.kwargs), _depth + 1, budget)}
    if callable(value):
        ref = _as_reference(value)
        if ref is not None:
            return ref
    cls = type(value)
    return {"t": "opaque", "type": f"{cls.__module__}.{cls.__qualname__}"[:200]}


def _encode_array(array: np.ndarray, budget: _Budget, scalar: bool) -> dict:
    if array.dtype.kind not in "biufc":
        cls = type(array)
        return {"t": "opaque", "type": f"numpy.ndarray of {array.dtype}"[:200] if not scalar else
                f"{cls.__module__}.{cls.__qualname__}"}
    data = np.ascontiguousarray(array).tobytes()
    budget.spend(size=len(data))
    return {"t": "np" if scalar else "nd", "dtype": array.dtype.str, "shape": list(array.shape),
            "data": base64.b64encode(data).decode("ascii")}


def decode(data, *, refs: bool = False, _depth: int = 0, _budget: _Budget | None = None):
    """The value `data` encodes. refs=True resolves callable references (the sandbox side only)."""
    budget = _budget or _Budget()
    budget.spend()
    if _depth > MAX_DEPTH:
        raise CodecError(f"the data is nested more than {MAX_DEPTH} levels deep")
    if data is None or isinstance(data, (bool, int, float)):
        return data
    if isinstance(data, str):
        if len(data) > MAX_STR:
            raise CodecError("a string is longer than 1 MB")
        return data
    if not isinstance(data, dict) or not isinstance(data.get("t"), str):
        raise CodecError(f"not an encoded value: {type(data).__name__}")
    kind = data["t"]

    def inner(item):
        return decode(item, refs=refs, _depth=_depth + 1, _budget=budget)

    if kind in ("list", "tuple"):
        items = [inner(item) for item in _list(data.get("v"))]
        return items if kind == "list" else tuple(items)
    if kind == "dict":
        pairs = [_pair(item) for item in _list(data.get("v"))]
        try:
            return {inner(k): inner(v) for k, v in pairs}
        except TypeError:
            raise CodecError("a dict key that cannot be a key") from None
    if kind in ("nd", "np"):
        return _decode_array(data, budget, scalar=kind == "np")
    if kind == "ellipsis":
        return Ellipsis
    if kind == "float":
        text = data.get("v")
        if text not in ("nan", "inf", "-inf"):
            raise CodecError(f"not a special float: {text!r}")
        return float(text)
    if kind == "int":
        text = str(data.get("v", ""))
        if not (text.lstrip("-").isdigit() and len(text) < 5000):
            raise CodecError("not an integer")
        return int(text)
    if kind == "complex":
        real, imag = (_number(inner(v)) for v in _list(data.get("v"), 2))
        return complex(real, imag)
    if kind == "value":
        from bplib.graph import Value

        number = inner(data.get("v"))
        try:
            return Value(number)
        except (TypeError, ValueError):
            return _opaque_class("bplib.graph.Value")()
    if kind == "namedtuple":
        cls = _resolve(str(data.get("cls", "")))
        if not (isinstance(cls, type) and issubclass(cls, tuple) and hasattr(cls, "_fields")):
            raise CodecError("not a NamedTuple class")
        fields = {str(name): inner(value) for name, value in map(_pair, _list(data.get("v")))}
        try:
            return cls(**fields)
        except TypeError as error:
            raise CodecError(f"bad fields for {cls.__name__}: {error}") from None
    if kind == "ref":
        if not refs:
            return _opaque_class("function")()
        target = _resolve(str(data.get("target", "")))
        args = [inner(a) for a in _list(data.get("args"))]
        if not args:
            return target
        return target(*args) if isinstance(target, type) else functools.partial(target, *args)
    if kind == "given":
        if not refs:
            return _opaque_class("function")()
        namespace = {"np": np, "numpy": np, "math": math}
        exec(compile(str(data.get("code", "")), "<bplib.checks.given>", "exec"), namespace)  # the grader's own code
        function = namespace.get(str(data.get("name")))
        if not callable(function):
            raise CodecError("a given function without its definition")
        kwargs = inner(data.get("kwargs"))
        return functools.partial(function, **kwargs) if kwargs else function
    if kind == "opaque":
        return _opaque_class(str(data.get("type", "object"))[:200])()
    raise CodecError(f"unknown kind of value {kind!r}")


def _list(value, length: int | None = None) -> list:
    if not isinstance(value, list) or (length is not None and len(value) != length):
        raise CodecError("malformed encoded value")
    return value


def _pair(item) -> list:
    return _list(item, 2)


def _number(value) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise CodecError("malformed complex number")
    return float(value)


def _decode_array(data: dict, budget: _Budget, scalar: bool):
    try:
        dtype = np.dtype(str(data.get("dtype")))
    except TypeError:
        raise CodecError(f"unknown dtype {data.get('dtype')!r}") from None
    if dtype.kind not in "biufc" or dtype.hasobject or dtype.itemsize > 16:
        raise CodecError(f"arrays of dtype {dtype} do not cross")
    shape = _list(data.get("shape"))
    if len(shape) > 32 or not all(isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape):
        raise CodecError("malformed array shape")
    size = math.prod(shape) * dtype.itemsize
    budget.spend(size=size)
    raw = data.get("data")
    if not isinstance(raw, str) or len(raw) > 4 * (size // 3 + 2):
        raise CodecError("malformed array data")
    try:
        buffer = base64.b64decode(raw, validate=True)
    except ValueError:
        raise CodecError("malformed array data") from None
    if len(buffer) != size:
        raise CodecError("array data does not match its shape")
    array = np.frombuffer(buffer, dtype=dtype).reshape(shape).copy()  # writable, owns its memory
    if scalar:
        if shape:
            raise CodecError("a numpy scalar with a shape")
        return array[()]
    return array


def _resolve(path: str):
    """The object at "module:qualname", for modules of bplib and numpy only."""
    module_name, _, qualname = path.partition(":")
    if module_name.split(".")[0] not in _REF_MODULES or not qualname:
        raise CodecError(f"cannot resolve {path!r}")
    try:
        target = importlib.import_module(module_name)
        for part in qualname.split("."):
            target = getattr(target, part)
    except (ImportError, AttributeError):
        raise CodecError(f"cannot resolve {path!r}") from None
    if not callable(target):
        raise CodecError(f"{path!r} is not callable")
    return target
