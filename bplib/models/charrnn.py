"""CharRNN: a character-level language model built from bplib.rnn (chapter 07).

    x_t = onehot(character t)                 (N, T, V)
    h_t = tanh(x_t Wx + h_{t-1} Wh + b)       (N, T, H)   bplib.rnn
    y_t = h_t Wy + by                         (N, T, V)   logits for the next character
    loss = softmax cross-entropy of y_t and the next character, averaged over all N * T predictions

Training reads the text in windows of seq_len characters at batch_size places at once, carrying
the state from window to window as a constant (windowed BPTT, chapter 07); with clip, every update
is clipped by the global norm (bplib.rnn.clip_by_norm).
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from bplib import activations as act
from bplib import losses
from bplib._validate import _describe, check_rng, positive_int, positive_real
from bplib.layers import init_std
from bplib.rnn import _clip_by_norm, _global_norm, _rnn_backward, _rnn_forward, _rnn_step_forward, _state

__all__ = ["CharRNN"]


@dataclass
class TrainHistory:
    """What CharRNN.train recorded, one entry per step (the class of train's result). Chapter 07.

    Fields:
        loss: the step's mean cross-entropy in nats per character, before its update.
        grad_norm: the global norm of the step's gradient before clipping.
        clipped: whether clipping scaled the step's gradient down.
        status: "finished", or "diverged" (a parameter, the loss or the gradient stopped being finite;
            that step is recorded, with nan for what could not be computed, and no update is made).
    """

    loss: list[float] = field(default_factory=list)
    grad_norm: list[float] = field(default_factory=list)
    clipped: list[bool] = field(default_factory=list)
    status: str = "running"

    @property
    def steps(self) -> int:
        """The number of steps recorded. Chapter 07."""
        return len(self.loss)


def _indices(values, N: int, T: int, V: int, name: str) -> np.ndarray:
    """Integer character indices of shape (N, T) in [0, V), or a ValueError."""
    if isinstance(values, (str, bytes)) or values is None:
        raise ValueError(f"{name}: expected integer class indices of shape ({N}, {T}), got {_describe(values)}")
    arr = np.asarray(values)
    if arr.dtype == bool or not np.issubdtype(arr.dtype, np.integer):
        raise ValueError(f"{name}: expected integer class indices of an integer dtype, got {_describe(arr)}")
    if arr.shape != (N, T):
        raise ValueError(f"{name}: expected shape (N, T) = ({N}, {T}), got shape {arr.shape}")
    if arr.min() < 0 or arr.max() >= V:
        raise ValueError(f"{name}: expected class indices in [0, {V}), got values from {arr.min()} to {arr.max()}")
    return arr


class CharRNN:
    """A character-level language model: one-hot characters -> vanilla RNN -> softmax over the next. Chapter 07.

    CharRNN(vocab, H, rng):
        vocab: the V distinct characters, a list of 1-character strings or a str, e.g. the chars of
            bplib.text.char_vocab(text); character i is one-hot column i.
        H: the hidden size, a whole number >= 1; rng: a numpy Generator, the initialisation's randomness.
    Attributes:
        params: {"Wx": (V, H), "Wh": (H, H), "b": (H,), "Wy": (H, V), "by": (V,)}, float64 arrays read at
            call time (an optimizer or a gradient check may change them in place).
        chars: the V characters; char_to_index: dict character -> index.
    Initialisation: Wx and Wy normal with Glorot's std (bplib.layers.init_std), Wh normal with std
    0.5 / sqrt(H) (eigenvalues in a disc of radius about 0.5: the early gradients neither explode nor
    vanish at once), biases 0.
    """

    def __init__(self, vocab: Sequence[str] | str, H: int, rng: np.random.Generator):
        vocab = list(vocab) if isinstance(vocab, str) else vocab
        if not isinstance(vocab, Sequence) or not all(isinstance(c, str) and len(c) == 1 for c in vocab):
            raise ValueError(f"vocab: expected a list of 1-character strings (or a str), got {_describe(vocab)}")
        if len(vocab) < 2:
            raise ValueError(f"vocab: expected at least 2 characters, got {len(vocab)}")
        if len(set(vocab)) != len(vocab):
            repeated = sorted({c for c in vocab if vocab.count(c) > 1})
            raise ValueError(f"vocab: expected distinct characters, got repeats of {repeated}")
        H = positive_int(H, "H")
        check_rng(rng)
        self.chars = list(vocab)
        self.char_to_index = {c: i for i, c in enumerate(self.chars)}
        V = len(self.chars)
        self.params = {
            "Wx": rng.normal(0.0, init_std(V, H), size=(V, H)),
            "Wh": rng.normal(0.0, 0.5 / math.sqrt(H), size=(H, H)),
            "b": np.zeros(H),
            "Wy": rng.normal(0.0, init_std(H, V), size=(H, V)),
            "by": np.zeros(V),
        }

    @property
    def V(self) -> int:
        """The vocabulary size. Chapter 07."""
        return len(self.chars)

    @property
    def H(self) -> int:
        """The hidden size. Chapter 07."""
        return self.params["Wh"].shape[0]

    def encode(self, text: str) -> np.ndarray:
        """Inputs: text: a str of vocabulary characters. Returns: (len(text),) int64 indices. Chapter 07."""
        if not isinstance(text, str):
            raise ValueError(f"text: expected a str, got {_describe(text)}")
        unknown = sorted(set(text) - set(self.char_to_index))
        if unknown:
            raise ValueError(f"text: expected only characters of the model's vocabulary, got {unknown[:10]!r}")
        return np.array([self.char_to_index[c] for c in text], dtype=np.int64)

    def _check_batch(self, inputs, targets, h0):
        try:
            shape = None if isinstance(inputs, (str, bytes)) else np.shape(inputs)
        except ValueError:  # ragged nested lists
            shape = None
        if shape is None or len(shape) != 2 or 0 in shape:
            got = _describe(inputs) if shape is None else f"shape {shape}"
            raise ValueError(f"inputs: expected character indices of shape (N, T) with N, T >= 1, got {got}")
        N, T = shape
        h0 = np.zeros((N, self.H)) if h0 is None else _state(h0, N, self.H, "h0")
        return _indices(inputs, N, T, self.V, "inputs"), _indices(targets, N, T, self.V, "targets"), h0

    def _forward(self, inputs, targets, h0):
        """The loss on valid arrays, and what the backward pass needs."""
        p = self.params
        h, rnn_cache = _rnn_forward(np.eye(self.V)[inputs], h0, p["Wx"], p["Wh"], p["b"])  # (N, T, H)
        N, T, H = h.shape
        y = h.reshape(N * T, H) @ p["Wy"] + p["by"]  # (N T, V): every step's prediction is one row
        rows = losses._one_hot(targets.reshape(N * T), self.V)  # (N T, V): the targets, checked already
        loss, loss_cache = losses._softmax_cross_entropy_forward(y, rows)
        return loss, h, rnn_cache, loss_cache

    def _loss_and_grads(self, inputs, targets, h0):
        loss, h, rnn_cache, loss_cache = self._forward(inputs, targets, h0)
        N, T, H = h.shape
        dy = losses._softmax_cross_entropy_backward(1.0, loss_cache)  # (N T, V)
        dh = (dy @ self.params["Wy"].T).reshape(N, T, H)  # what each step's output sends to h_t
        _, _, dWx, dWh, db = _rnn_backward(dh, rnn_cache)
        grads = {"Wx": dWx, "Wh": dWh, "b": db, "Wy": h.reshape(N * T, H).T @ dy, "by": dy.sum(axis=0)}
        return loss, grads, h[:, -1].copy()

    def loss(self, inputs, targets, h0=None) -> float:
        """The mean cross-entropy of predicting targets from inputs, nats per character. Chapter 07.

        Inputs: inputs, targets: (N, T) integer character indices (targets: usually inputs shifted by
            one); h0: (N, H) the initial state, or None for zeros.
        Returns: a float.
        """
        return self._forward(*self._check_batch(inputs, targets, h0))[0]

    def loss_and_grads(self, inputs, targets, h0=None):
        """The loss and the gradient of every parameter, by full BPTT over the batch. Chapter 07.

        Inputs: as loss().
        Returns: loss: a float; grads: a dict with the keys and shapes of params;
            h_last: (N, H) the state after the last step, to start the next window from.
        """
        return self._loss_and_grads(*self._check_batch(inputs, targets, h0))

    def evaluate(self, text: str) -> float:
        """The mean cross-entropy of predicting each character of text from those before it. Chapter 07.

        One pass from a zero state over the whole text, in nats per character (ln V for a model that
        knows nothing; lower is better). Inputs: text: a str of at least 2 vocabulary characters.
        """
        data = self.encode(text)
        if data.size < 2:
            raise ValueError(f"text: expected at least 2 characters to predict one from another, got {data.size}")
        return self.loss(data[None, :-1], data[None, 1:])

    def train(self, text: str, seq_len: int, steps: int, optimizer, *, rng: np.random.Generator,
              clip: float | None = None, batch_size: int = 1) -> TrainHistory:
        """Train on a text by BPTT in windows of seq_len characters. Chapter 07.

        batch_size reading positions start at random places in the text. Each step reads the next
        seq_len characters at every position (targets: the characters one further on), computes
        loss_and_grads from the state the previous window ended in, clips, and updates; the positions
        then move on by seq_len. The state is carried as a constant, so gradients never cross a window
        boundary. A position that would run past the end restarts at a random place with a zero state.

        Inputs:
            text: the training text (vocabulary characters), longer than seq_len.
            seq_len, steps, batch_size: whole numbers >= 1 (characters per window, updates, positions).
            optimizer: an object with step(params, grads), e.g. bplib.optim.Adam(lr=0.01).
            rng: a numpy Generator (keyword), the only randomness: a seed gives the same history.
            clip: the largest global gradient norm (bplib.rnn.clip_by_norm), or None.
        Returns:
            a TrainHistory with one entry per step and status "finished" or "diverged".
        """
        data = self.encode(text)
        seq_len, steps = positive_int(seq_len, "seq_len"), positive_int(steps, "steps")
        batch_size = positive_int(batch_size, "batch_size")
        check_rng(rng)
        if data.size < seq_len + 1:
            raise ValueError(f"text: expected more than seq_len = {seq_len} characters, got {data.size}")
        if not callable(getattr(optimizer, "step", None)):
            raise ValueError(f"optimizer: expected an object with step(params, grads), got {_describe(optimizer)}")
        clip = None if clip is None else positive_real(clip, "clip")
        history = TrainHistory()
        last_start = data.size - seq_len - 1  # the last position whose window and targets fit
        positions = rng.integers(0, last_start + 1, size=batch_size)  # (batch_size,)
        h = np.zeros((batch_size, self.H))
        for _ in range(steps):
            window = positions[:, None] + np.arange(seq_len)  # (batch_size, seq_len) indices into data
            loss, norm = math.nan, math.nan
            if all(np.all(np.isfinite(p)) for p in self.params.values()):  # else an earlier update blew up
                with np.errstate(over="ignore", invalid="ignore"):  # divergence is detected below
                    loss, grads, h = self._loss_and_grads(data[window], data[window + 1], h)
                norm = _global_norm(grads)
            history.loss.append(loss)
            history.grad_norm.append(norm)
            history.clipped.append(clip is not None and norm > clip)
            if not (math.isfinite(loss) and math.isfinite(norm)):
                history.status = "diverged"
                return history
            optimizer.step(self.params, grads if clip is None else _clip_by_norm(grads, clip)[0])
            positions += seq_len
            ended = positions > last_start
            positions[ended] = rng.integers(0, last_start + 1, size=int(ended.sum()))
            h[ended] = 0.0
        history.status = "finished"
        return history

    def sample(self, seed_text: str, n_chars: int, rng: np.random.Generator, temperature: float = 1.0) -> str:
        """Generate text one character at a time, feeding each choice back in. Chapter 07.

        The seed is read from a zero state; then each next character is drawn with rng from
        softmax(y / temperature): below 1 sharpens the distribution (safer, more repetitive), above 1
        flattens it. The same Generator state gives the same text.

        Inputs: seed_text: a non-empty str of vocabulary characters; n_chars: a whole number >= 0;
            rng: a numpy Generator; temperature: a number > 0.
        Returns: the n_chars generated characters (the seed not included), a str.
        """
        seed = self.encode(seed_text)
        if seed.size == 0:
            raise ValueError("seed_text: expected at least one character to start from, got an empty str")
        if isinstance(n_chars, bool) or not isinstance(n_chars, numbers.Integral) or n_chars < 0:
            raise ValueError(f"n_chars: expected a whole number >= 0, got {n_chars!r}")
        check_rng(rng)
        temperature = positive_real(temperature, "temperature")
        p, eye, h, out = self.params, np.eye(self.V), np.zeros((1, self.H)), []
        for index in seed:
            h, _ = _rnn_step_forward(eye[[index]], h, p["Wx"], p["Wh"], p["b"])  # (1, H)
        for _ in range(n_chars):
            probs = act._softmax((h @ p["Wy"] + p["by"])[0] / temperature)  # (V,)
            index = int(rng.choice(self.V, p=probs))
            out.append(self.chars[index])
            h, _ = _rnn_step_forward(eye[[index]], h, p["Wx"], p["Wh"], p["b"])
        return "".join(out)

    def __repr__(self) -> str:
        return f"CharRNN(V={self.V}, H={self.H})"
