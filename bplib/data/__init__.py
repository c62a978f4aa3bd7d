"""Small data sets for the course, all deterministic (introduced in chapter 05).

Every loader returns (x, y): x a float64 array (N, D) and y an int64 array (N,) of class
labels 0 .. C-1. The generated toy sets take an explicit seed (default 0), so the same
call always gives the same arrays.

    xor, xor_blobs, spirals, moons, blobs   generated 2-d toy sets         (toy.py)
    load_digits                             8x8 handwritten digits, shipped (digits.py)
    train_test_split, standardize           stratified split, scaling      (split.py)
    lstm_example_steps                      five recorded LSTM steps       (lstm_steps.py, chapter 08)
    first_symbol_recall, delayed_echo       long-range sequence tasks      (sequences.py, chapters 07-08)
"""

from bplib.data.digits import load_digits
from bplib.data.lstm_steps import lstm_example_steps
from bplib.data.sequences import delayed_echo, first_symbol_recall
from bplib.data.split import standardize, train_test_split
from bplib.data.toy import blobs, moons, spirals, xor, xor_blobs

__all__ = [
    "xor",
    "xor_blobs",
    "spirals",
    "moons",
    "blobs",
    "load_digits",
    "train_test_split",
    "standardize",
    "lstm_example_steps",
    "first_symbol_recall",
    "delayed_echo",
]
