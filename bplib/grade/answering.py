"""Inside the learner's kernel: call one of the notebook's functions on inputs the grader chose.

The sandbox's harness (bplib.grade.harness) runs, as a cell of its own after the notebook's cells,

    serve(request_path, reply_path)

which reads the request (plain data, bplib.grade.codec), looks the function up by name in the
notebook's namespace, calls it with bplib.checks._core.invoke (copied arguments, warnings recorded,
bplib's own implementations of the task watched for) and writes what happened as plain data. No
verdict is formed here: the grader judges the reply in its own process. A notebook that tampers
with this module can only change the reply, that is, what its own function is said to return.
Chapter: every exercise (grading).
"""

from __future__ import annotations

import json
from pathlib import Path

from bplib.checks._core import invoke
from bplib.grade import codec

__all__ = ["answer", "describe", "serve"]

MAX_MESSAGE = 512  # characters of an error message sent back


def _namespace() -> dict:
    from IPython import get_ipython

    shell = get_ipython()
    return shell.user_ns if shell is not None else {}


def describe(names: list[str], namespace: dict) -> dict[str, str]:
    """name -> "function", "missing", or the type of what the notebook bound to that name."""
    found = {}
    for name in names:
        if name not in namespace:
            found[name] = "missing"
        else:
            value = namespace[name]
            found[name] = "function" if callable(value) and not isinstance(value, type) else type(value).__name__
    return found


def _reply(raw) -> dict:
    reply = {"status": raw.status, "warnings": [str(w)[:MAX_MESSAGE] for w in raw.warnings[:20]],
             "changed": list(raw.changed), "uses": list(raw.uses), "aliases": list(raw.aliases)}
    if raw.status == "raised":
        reply["error"] = {"type": type(raw.error).__name__, "message": str(raw.error)[:MAX_MESSAGE]}
    try:
        if raw.status == "returned":
            reply["value"] = codec.encode(raw.value)
        reply["args_after"] = [codec.encode(arg) if changed else None
                               for arg, changed in zip(raw.args_after, raw.changed, strict=True)]
    except (codec.CodecError, RecursionError) as error:
        reply = {"status": "raised", "warnings": [], "changed": [], "uses": list(raw.uses), "aliases": [],
                 "error": {"type": "ValueError", "message": f"what your function returned cannot be checked: {error}"}}
    return reply


def answer(request: dict, namespace: dict) -> dict:
    """The reply to one request (see the module docstring), with the notebook's names in `namespace`."""
    if request.get("op") == "describe":
        return {"names": describe(list(request["names"]), namespace)}
    function = namespace.get(request["name"])
    if function is None or not callable(function):
        return {"status": "missing"}
    args = codec.decode(request["args"], refs=True)
    kwargs = codec.decode(request["kwargs"], refs=True)
    return _reply(invoke(function, tuple(args), dict(kwargs), tuple(request.get("watch", ()))))


def serve(request_path: str, reply_path: str) -> None:
    """Answer the request in `request_path` into `reply_path`, with the notebook's namespace."""
    request = json.loads(Path(request_path).read_text())
    Path(request_path).unlink()
    Path(reply_path).write_text(json.dumps(answer(request, _namespace())))
