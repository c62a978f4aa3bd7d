"""Five recorded LSTM steps, for exercise 08 to try its backward functions on (chapter 08).

    example_params, example_caches = lstm_example_steps()

The steps were run once by bplib.lstm.lstm_step_forward (`_record`, which tests/test_data.py runs
again to check the file) and stored as plain arrays in lstm_steps.npz, so that the exercise can
hand out a sequence of caches without handing out the step that makes them (task 8.1).
"""

from __future__ import annotations

from importlib import resources

import numpy as np

__all__ = ["lstm_example_steps"]

N, D, H, T = 3, 4, 2, 5  # sequences, inputs, hidden units, steps
CACHE_KEYS = ("x", "h_prev", "c_prev", "f", "i", "g", "o", "c")


def lstm_example_steps() -> tuple[dict[str, np.ndarray], list[dict]]:
    """The recorded example. Chapter 08.

    Returns:
        params: W_<gate> (D, H) = (4, 2), U_<gate> (2, 2), b_<gate> (2,) for gate in f, i, g, o;
        caches: T = 5 dicts, one per step, with x (N, D) = (3, 4), h_prev, c_prev, f, i, g, o, c (N, H)
            and params: the format of exercise 08's task 8.1.
    """
    with resources.files("bplib.data").joinpath("lstm_steps.npz").open("rb") as file, np.load(file) as data:
        arrays = {key: data[key].copy() for key in data.files}
    params = {key[len("param_"):]: value for key, value in arrays.items() if key.startswith("param_")}
    caches = [{**{key: arrays[f"step{t}_{key}"] for key in CACHE_KEYS}, "params": params} for t in range(T)]
    return params, caches


def _record(seed: int = 808) -> dict[str, np.ndarray]:
    """Run the steps and return what lstm_steps.npz holds (param_<name>, step<t>_<key>)."""
    from bplib.lstm import init_lstm_params, lstm_step_forward

    rng = np.random.default_rng(seed)
    params = init_lstm_params(D, H, rng, forget_bias=1.0)
    arrays = {f"param_{name}": value for name, value in params.items()}
    h, c = np.zeros((N, H)), np.zeros((N, H))
    for t in range(T):
        h, c, step = lstm_step_forward(rng.normal(size=(N, D)), h, c, params)
        arrays.update({f"step{t}_{key}": getattr(step, key) for key in CACHE_KEYS})
    return arrays
