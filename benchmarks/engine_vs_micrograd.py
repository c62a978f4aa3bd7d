"""Time bplib's scalar autograd engine against micrograd's on the same graph (chapter 02).

    python benchmarks/engine_vs_micrograd.py [--repeats 21] [--batch 8] [--hidden 16] [--gc]

Builds one graph in both engines, in one process, from the same numbers: a 2-H-H-1 MLP
(relu on the hidden layers and a linear output, as micrograd's own nn.MLP; micrograd 0.1.0
has no tanh) over a batch of N inputs, with the mean squared error as the loss. At the
defaults (H = 16, N = 8) the graph has 5,506 nodes: 362 leaves (337 parameters, 16 inputs,
8 targets, 1/N) and 5,144 made by operations. Only operations both engines have are used
(+, *, relu, **2), written so that both make the same nodes: `pred + (-y)`, not
`pred - y`, which micrograd makes from three.

First checks that both engines give the same loss and the same gradient for every parameter
(relative difference <= 1e-9: micrograd visits a node's parents in set order, so it may add
a gradient's terms in another order). Then times forward + backward (build the graph from
the parameters, `loss.backward()`) for --repeats rounds, the engines taking turns to go
first, and prints each engine's median time and the ratio bplib / micrograd (target: at
most 1.0). As timeit does, the garbage collector is off while a round is timed and runs
between rounds (--gc leaves it on: micrograd's nodes hold reference cycles through their
closures, bplib's do not, so the collector then costs micrograd more).

A benchmark, not a test: it always exits 0. Timings depend on the machine and its load; run
it a few times.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from micrograd.engine import Value as MicroValue  # noqa: E402

from bplib.graph import Value  # noqa: E402

TARGET = 1.0
TOLERANCE = 1e-9


def make_numbers(hidden: int, batch: int, seed: int = 0):
    """Weights, biases, inputs and targets as plain floats, the same for both engines.

    Returns (layers, xs, ys): layers[k] is a list of (weights, bias) per neuron; xs is
    batch x 2, ys is batch.
    """
    rng = random.Random(seed)
    sizes = [2, hidden, hidden, 1]
    layers = [[([rng.uniform(-1, 1) for _ in range(n_in)], rng.uniform(-0.1, 0.1)) for _ in range(n_out)]
              for n_in, n_out in zip(sizes[:-1], sizes[1:], strict=True)]
    xs = [[rng.uniform(-2, 2), rng.uniform(-2, 2)] for _ in range(batch)]
    ys = [rng.uniform(-1, 1) for _ in range(batch)]
    return layers, xs, ys


def as_parameters(engine, layers):
    """The numbers of `layers` as leaves of `engine` (a Value class), same structure."""
    return [[([engine(w) for w in weights], engine(b)) for weights, b in layer] for layer in layers]


def mlp_loss(engine, params, xs, ys):
    """Forward pass: mean over the batch of (mlp(x) - y)**2, built from `engine`'s Values."""
    total = None
    for x, y in zip(xs, ys, strict=True):
        h = [engine(v) for v in x]
        for k, layer in enumerate(params):
            out = []
            for weights, b in layer:
                act = b
                for w, hi in zip(weights, h, strict=True):
                    act = act + w * hi
                out.append(act.relu() if k < len(params) - 1 else act)
            h = out
        err = (h[0] + (-y)) ** 2
        total = err if total is None else total + err
    return total * (1.0 / len(xs))


def count_nodes(root, parents_of) -> int:
    seen, stack = {id(root)}, [root]
    while stack:
        for p in parents_of(stack.pop()):
            if id(p) not in seen:
                seen.add(id(p))
                stack.append(p)
    return len(seen)


def flat(params):
    return [p for layer in params for weights, b in layer for p in (*weights, b)]


def rel(a: float, b: float) -> float:
    return abs(a - b) / max(abs(a), abs(b), 1e-300)


def check_same(layers, xs, ys) -> tuple[int, int]:
    """Build both graphs once and compare loss and gradients. Returns the two node counts."""
    ours, theirs = as_parameters(Value, layers), as_parameters(MicroValue, layers)
    loss_ours, loss_theirs = mlp_loss(Value, ours, xs, ys), mlp_loss(MicroValue, theirs, xs, ys)
    loss_ours.backward()
    loss_theirs.backward()
    loss_diff = rel(loss_ours.data, loss_theirs.data)
    worst = max(rel(p.grad, q.grad) for p, q in zip(flat(ours), flat(theirs), strict=True))
    same = "same" if max(loss_diff, worst) <= TOLERANCE else "DIFFERENT (the timings compare different graphs)"
    print(f"loss {loss_ours.data:.12g} and {loss_theirs.data:.12g}, worst relative difference of a "
          f"gradient {worst:.1e}: {same}")
    return (count_nodes(loss_ours, lambda v: v.parents), count_nodes(loss_theirs, lambda v: v._prev))


def time_once(engine, params, xs, ys, collector: bool) -> float:
    """Seconds for one forward + backward, from zeroed parameter gradients."""
    for p in flat(params):
        p.grad = 0.0
    gc.collect()
    if not collector:
        gc.disable()
    try:
        start = time.perf_counter()
        mlp_loss(engine, params, xs, ys).backward()
        return time.perf_counter() - start
    finally:
        gc.enable()


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=21, help="timed rounds per engine")
    parser.add_argument("--batch", type=int, default=8, help="inputs in the batch (N)")
    parser.add_argument("--hidden", type=int, default=16, help="width of the two hidden layers (H)")
    parser.add_argument("--gc", action="store_true", help="leave the garbage collector on while timing")
    args = parser.parse_args(argv)

    layers, xs, ys = make_numbers(args.hidden, args.batch)
    n_ours, n_theirs = check_same(layers, xs, ys)
    print(f"graph: 2-{args.hidden}-{args.hidden}-1 relu MLP, batch {args.batch}, mean squared error; "
          f"{n_ours} nodes in bplib, {n_theirs} in micrograd")
    ours, theirs = as_parameters(Value, layers), as_parameters(MicroValue, layers)
    times = {Value: [], MicroValue: []}
    for k in range(args.repeats):
        turn = [(Value, ours), (MicroValue, theirs)]
        for engine, params in turn if k % 2 == 0 else turn[::-1]:  # each engine goes first in turn
            times[engine].append(time_once(engine, params, xs, ys, args.gc))
    t_ours, t_theirs = statistics.median(times[Value]), statistics.median(times[MicroValue])
    ratio = t_ours / t_theirs
    print(f"forward + backward, median of {args.repeats} (garbage collector {'on' if args.gc else 'off'}):")
    print(f"  bplib.graph      {t_ours * 1e3:8.2f} ms")
    print(f"  micrograd 0.1.0  {t_theirs * 1e3:8.2f} ms")
    verdict = "within" if ratio <= TARGET else "MISSES"
    print(f"  ratio bplib / micrograd: {ratio:.2f} ({verdict} the target <= {TARGET:.1f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
