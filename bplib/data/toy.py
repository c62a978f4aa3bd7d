"""Generated two-dimensional toy data sets for classification (introduced in chapter 05).

Each returns (x, y): x float64 (N, 2), y int64 (N,) class labels, in a random order
fixed by `seed`, so that any slice of the rows is a fair mini-batch. Noise is
Gaussian, added to both coordinates, with standard deviation `noise` (or `std`).
"""

from __future__ import annotations

import numpy as np

from bplib.data._checks import check_count, check_seed, check_spread

__all__ = ["xor", "xor_blobs", "spirals", "moons", "blobs"]

XOR_CORNERS = np.array([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [1.0, 1.0]])  # (4, 2)
XOR_LABELS = np.array([0, 1, 1, 0])  # label = first coordinate XOR second
SPIRAL_TURNS = 1.0  # each arm winds once around the centre
SPIRAL_INNER_RADIUS = 0.05  # arms start just off the centre, where they would all meet
BLOB_RADIUS = 2.0  # the centres sit evenly on a circle of this radius


def _split_evenly(n: int, parts: int) -> np.ndarray:
    """(parts,) counts summing to n that differ by at most one, the larger ones first."""
    return np.array([n // parts + (i < n % parts) for i in range(parts)])


def _shuffled(x: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    order = rng.permutation(len(y))
    return x[order], y[order].astype(np.int64)


def xor() -> tuple[np.ndarray, np.ndarray]:
    """The four XOR points: label 1 when exactly one coordinate is 1. Chapter 05.

    Returns:
        x: (4, 2) the corners (0, 0), (0, 1), (1, 0), (1, 1) in that order.
        y: (4,) labels 0, 1, 1, 0.
    """
    return XOR_CORNERS.copy(), XOR_LABELS.astype(np.int64)


def xor_blobs(n: int = 200, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Noisy clusters around the four XOR corners, labelled as in xor(). Chapter 05.

    Inputs:
        n: total number of points, >= 4, spread over the corners as evenly as possible.
        noise: standard deviation of the Gaussian noise around each corner (corners are 1 apart).
        seed: whole number >= 0.
    Returns:
        x: (n, 2); y: (n,) labels 0 and 1.
    """
    n = check_count(n, "n", 4)
    noise = check_spread(noise, "noise")
    rng = np.random.default_rng(check_seed(seed))
    corner = np.repeat(np.arange(4), _split_evenly(n, 4))  # (n,) which corner each point belongs to
    x = XOR_CORNERS[corner] + noise * rng.standard_normal((n, 2))  # (n, 2)
    return _shuffled(x, XOR_LABELS[corner], rng)


def spirals(n_per_class: int = 100, classes: int = 3, noise: float = 0.05, seed: int = 0):
    """Interleaved spiral arms, one per class, winding out from the centre. Chapter 05.

    Arm k starts at angle 2 pi k / classes; along it the radius grows from
    SPIRAL_INNER_RADIUS to 1 while the angle turns SPIRAL_TURNS times. No straight
    line separates the classes: the classic test of a hidden layer.

    Inputs:
        n_per_class: points per arm, >= 2.
        classes: number of arms, >= 2.
        noise: standard deviation of the Gaussian noise (the arms are about 1 / classes apart).
        seed: whole number >= 0.
    Returns:
        x: (n_per_class * classes, 2); y: (n_per_class * classes,) labels 0 .. classes - 1.
    """
    n_per_class = check_count(n_per_class, "n_per_class", 2)
    classes = check_count(classes, "classes", 2)
    noise = check_spread(noise, "noise")
    rng = np.random.default_rng(check_seed(seed))
    radius = np.linspace(SPIRAL_INNER_RADIUS, 1.0, n_per_class)  # (n_per_class,)
    label = np.repeat(np.arange(classes), n_per_class)  # (n,)
    r = np.tile(radius, classes)  # (n,)
    angle = 2.0 * np.pi * (label / classes + SPIRAL_TURNS * r)  # (n,)
    x = r[:, None] * np.column_stack([np.cos(angle), np.sin(angle)])  # (n, 2)
    x += noise * rng.standard_normal(x.shape)
    return _shuffled(x, label, rng)


def moons(n: int = 200, noise: float = 0.1, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Two interleaving half circles of radius 1. Chapter 05.

    Class 0 is the upper half circle (cos t, sin t), class 1 the lower one shifted,
    (1 - cos t, 0.5 - sin t), for t evenly spaced in [0, pi].

    Inputs:
        n: total number of points, >= 2 (class 0 gets the extra one when n is odd).
        noise: standard deviation of the Gaussian noise.
        seed: whole number >= 0.
    Returns:
        x: (n, 2); y: (n,) labels 0 and 1.
    """
    n = check_count(n, "n", 2)
    noise = check_spread(noise, "noise")
    rng = np.random.default_rng(check_seed(seed))
    n_upper, n_lower = _split_evenly(n, 2)
    t_upper = np.linspace(0.0, np.pi, n_upper)
    t_lower = np.linspace(0.0, np.pi, n_lower)
    upper = np.column_stack([np.cos(t_upper), np.sin(t_upper)])  # (n_upper, 2)
    lower = np.column_stack([1.0 - np.cos(t_lower), 0.5 - np.sin(t_lower)])  # (n_lower, 2)
    x = np.vstack([upper, lower]) + noise * rng.standard_normal((n, 2))  # (n, 2)
    y = np.repeat([0, 1], [n_upper, n_lower])
    return _shuffled(x, y, rng)


def blobs(n: int = 300, centers: int = 3, std: float = 0.5, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian clusters, one per class, centred evenly on a circle of radius 2. Chapter 05.

    Centre k is at BLOB_RADIUS * (cos(2 pi k / centers), sin(2 pi k / centers)).

    Inputs:
        n: total number of points, >= centers, spread over the classes as evenly as possible.
        centers: number of clusters (classes), >= 2.
        std: standard deviation of each cluster.
        seed: whole number >= 0.
    Returns:
        x: (n, 2); y: (n,) labels 0 .. centers - 1.
    """
    centers = check_count(centers, "centers", 2)
    n = check_count(n, "n", centers)
    std = check_spread(std, "std")
    rng = np.random.default_rng(check_seed(seed))
    angle = 2.0 * np.pi * np.arange(centers) / centers  # (centers,)
    middle = BLOB_RADIUS * np.column_stack([np.cos(angle), np.sin(angle)])  # (centers, 2)
    y = np.repeat(np.arange(centers), _split_evenly(n, centers))  # (n,)
    x = middle[y] + std * rng.standard_normal((n, 2))  # (n, 2)
    return _shuffled(x, y, rng)
