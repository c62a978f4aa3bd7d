"""The 8x8 handwritten digits, shipped with bplib (introduced in chapter 05).

1797 grey-scale images of the digits 0-9 written by 13 people: the test part of
the UCI "Optical Recognition of Handwritten Digits" data (E. Alpaydin and
C. Kaynak, 1998; licence CC BY 4.0, see DIGITS_LICENSE.md beside this file).
Each image is 8x8 blocks, each counting the ink pixels in a 4x4 patch of a 32x32
bitmap, so every value is a whole number from 0 to 16.

The file is read with importlib.resources, so it works from an installed package
and from an editable checkout alike, with no download.
"""

from __future__ import annotations

import gzip
from importlib import resources

import numpy as np

__all__ = ["load_digits", "DIGITS_FILE"]

DIGITS_FILE = "digits.csv.gz"  # 1797 rows of 65 comma-separated integers: 64 pixels, then the label
_N_PIXELS = 64


def load_digits() -> tuple[np.ndarray, np.ndarray]:
    """The 1797 8x8 digit images, flattened row by row, and their labels. Chapter 05.

    Returns:
        x: (1797, 64) float64, whole numbers in [0, 16]; x[i].reshape(8, 8) is image i.
        y: (1797,) int64, the digit 0-9 each image shows (each digit 174-183 times).
        Both are new arrays on every call.
    """
    with resources.files("bplib.data").joinpath(DIGITS_FILE).open("rb") as raw, gzip.open(raw, "rt") as text:
        table = np.loadtxt(text, delimiter=",", dtype=np.int64)  # (1797, 65)
    return table[:, :_N_PIXELS].astype(np.float64), table[:, _N_PIXELS].copy()
