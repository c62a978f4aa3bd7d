"""Tests for bplib.data: the generated toy sets, the shipped digits, splitting and standardizing."""

from __future__ import annotations

import hashlib
import warnings
from importlib import resources

import numpy as np
import pytest

from bplib.data import blobs, load_digits, moons, spirals, standardize, train_test_split, xor, xor_blobs


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


# name -> (loader taking keyword arguments, default size N, number of classes)
GENERATORS = {
    "xor_blobs": (xor_blobs, 200, 2),
    "spirals": (spirals, 300, 3),
    "moons": (moons, 200, 2),
    "blobs": (blobs, 300, 3),
}


@pytest.fixture(params=sorted(GENERATORS))
def generator(request):
    return GENERATORS[request.param]


# ---- toy sets ---------------------------------------------------------------------------------


def test_xor_is_the_four_labelled_corners():
    x, y = xor()
    assert x.dtype == np.float64 and y.dtype == np.int64
    assert np.array_equal(x, [[0, 0], [0, 1], [1, 0], [1, 1]])
    assert np.array_equal(y, [0, 1, 1, 0])
    x[0, 0] = 5.0  # the caller owns its copy
    assert xor()[0][0, 0] == 0.0


def test_generators_give_float_points_and_int_labels_of_the_documented_shapes(generator):
    make, n, classes = generator
    x, y = make()
    assert x.shape == (n, 2) and x.dtype == np.float64
    assert y.shape == (n,) and y.dtype == np.int64
    assert np.all(np.isfinite(x))
    assert set(np.unique(y)) == set(range(classes))


def test_generators_are_balanced(generator):
    make, n, classes = generator
    _, y = make()
    assert np.array_equal(np.bincount(y), np.full(classes, n // classes))


def test_same_seed_same_data_and_different_seed_different_data(generator):
    make, _, _ = generator
    x0, y0 = make(seed=3)
    x1, y1 = make(seed=3)
    x2, y2 = make(seed=4)
    assert np.array_equal(x0, x1) and np.array_equal(y0, y1)
    assert not np.array_equal(x0, x2)
    assert np.array_equal(np.bincount(y0), np.bincount(y2))  # only the noise and the order change


def test_the_default_seed_is_zero(generator):
    make, _, _ = generator
    assert np.array_equal(make()[0], make(seed=0)[0])


def test_rows_come_shuffled_not_sorted_by_class(generator):
    make, _, _ = generator
    _, y = make()
    assert np.count_nonzero(np.diff(y)) > len(y) // 4  # sorted data would change label only classes - 1 times


def test_noise_free_points_lie_exactly_on_each_shape():
    x, y = xor_blobs(n=10, noise=0.0)
    assert np.array_equal(y, np.logical_xor(x[:, 0], x[:, 1]).astype(int))
    assert set(map(tuple, x)) == {(0.0, 0.0), (0.0, 1.0), (1.0, 0.0), (1.0, 1.0)}

    x, y = moons(n=41, noise=0.0)
    upper, lower = x[y == 0], x[y == 1]
    assert len(upper) == 21 and len(lower) == 20
    assert np.allclose(np.hypot(upper[:, 0], upper[:, 1]), 1.0) and np.all(upper[:, 1] >= 0)
    assert np.allclose(np.hypot(lower[:, 0] - 1.0, lower[:, 1] - 0.5), 1.0) and np.all(lower[:, 1] <= 0.5)

    x, y = blobs(n=12, centers=4, std=0.0)
    assert np.allclose(x[y == 1], [0.0, 2.0])  # centre k at 2 (cos, sin)(2 pi k / 4)
    assert np.allclose(x[y == 2], [-2.0, 0.0])

    x, y = spirals(n_per_class=50, classes=2, noise=0.0)
    radius = np.hypot(x[:, 0], x[:, 1])
    assert radius.min() == pytest.approx(0.05) and radius.max() == pytest.approx(1.0)
    assert np.allclose(x[(y == 1) & (radius == radius.max())], [[-1.0, 0.0]])  # arm 1 ends half a turn on


def test_the_noise_level_sets_the_spread_around_the_noise_free_points():
    clean, labels = blobs(n=3000, centers=3, std=0.0)
    noisy, noisy_labels = blobs(n=3000, centers=3, std=0.4)
    for k in range(3):
        spread = noisy[noisy_labels == k] - clean[labels == k][0]
        assert spread.std(axis=0) == pytest.approx([0.4, 0.4], rel=0.1)


def test_sizes_that_do_not_divide_evenly_differ_by_at_most_one():
    assert np.array_equal(np.bincount(blobs(n=11, centers=3)[1]), [4, 4, 3])
    # corners (0,0), (0,1), (1,0) get 2 points each and (1,1) gets 1: class 0 has 2 + 1, class 1 has 2 + 2
    assert np.array_equal(np.bincount(xor_blobs(n=7)[1]), [3, 4])
    x, y = spirals(n_per_class=7, classes=5)
    assert x.shape == (35, 2) and np.array_equal(np.bincount(y), np.full(5, 7))


@pytest.mark.parametrize(
    ("call", "fragments"),
    [
        (lambda: xor_blobs(n=3), ("n:", ">= 4", "3")),
        (lambda: moons(n=2.5), ("n:", "2.5")),
        (lambda: moons(n=True), ("n:", "True")),
        (lambda: spirals(classes=1), ("classes:", ">= 2")),
        (lambda: spirals(n_per_class=0), ("n_per_class:",)),
        (lambda: blobs(n=2, centers=3), ("n:", ">= 3", "2")),
        (lambda: blobs(std=-1.0), ("std:", ">= 0", "-1.0")),
        (lambda: moons(noise=float("nan")), ("noise:", "nan")),
        (lambda: spirals(noise="0.1"), ("noise:", "'0.1'")),
        (lambda: moons(seed=None), ("seed:", "None")),
        (lambda: blobs(seed=-1), ("seed:", "-1")),
        (lambda: xor_blobs(seed=1.0), ("seed:", "1.0")),
    ],
)
def test_generators_reject_bad_arguments(call, fragments):
    with pytest.raises(ValueError) as info:
        call()
    for fragment in fragments:
        assert fragment in str(info.value)


# ---- digits -----------------------------------------------------------------------------------

# sha256 of x as little-endian float64 then y as little-endian int64, computed once from the shipped file
DIGITS_SHA256 = "f6d9e39f37dc45d327f6db33428ee58970ccceabb2535a5c179de35886b70443"
DIGITS_FILE_SHA256 = "09f66e6debdee2cd2b5ae59e0d6abbb73fc2b0e0185d2e1957e9ebb51e23aa22"  # as in DIGITS_LICENSE.md
# per-digit counts of the UCI test part, as its documentation lists them
DIGITS_CLASS_COUNTS = [178, 182, 177, 183, 181, 182, 181, 179, 174, 180]


@pytest.fixture(scope="module")
def digits():
    return load_digits()


def test_digits_shapes_dtypes_and_values(digits):
    x, y = digits
    assert x.shape == (1797, 64) and x.dtype == np.float64
    assert y.shape == (1797,) and y.dtype == np.int64
    assert x.min() == 0.0 and x.max() == 16.0
    assert np.array_equal(x, np.round(x))  # counts of ink pixels in a 4x4 block
    assert np.array_equal(np.bincount(y), DIGITS_CLASS_COUNTS)


def test_digits_arrays_match_the_recorded_checksum(digits):
    x, y = digits
    h = hashlib.sha256()
    h.update(np.ascontiguousarray(x, dtype="<f8").tobytes())
    h.update(np.ascontiguousarray(y, dtype="<i8").tobytes())
    assert h.hexdigest() == DIGITS_SHA256


def test_digits_file_is_a_small_package_resource_with_its_licence():
    folder = resources.files("bplib.data")
    data = folder.joinpath("digits.csv.gz").read_bytes()
    assert len(data) < 300_000
    assert hashlib.sha256(data).hexdigest() == DIGITS_FILE_SHA256
    licence = folder.joinpath("DIGITS_LICENSE.md").read_text(encoding="utf-8")
    licence_link = "creativecommons.org/licenses/by/4.0"
    for fragment in ("Alpaydin", "Kaynak", "1998", "CC BY 4.0", licence_link, DIGITS_FILE_SHA256):
        assert fragment in licence


def test_digits_are_new_arrays_on_every_call():
    x, y = load_digits()
    x[0, 0] = 99.0
    y[0] = 99
    x_again, y_again = load_digits()
    assert x_again[0, 0] == 0.0 and y_again[0] == 0


def test_a_digit_image_looks_like_its_label(digits):
    # The mean 0 has an empty middle; the mean 1 is ink down the middle columns.
    x, y = digits
    zero = x[y == 0].mean(axis=0).reshape(8, 8)
    one = x[y == 1].mean(axis=0).reshape(8, 8)
    assert zero[3:5, 3:5].mean() < zero[3:5, 1:3].mean()
    assert one[2:6, 3:5].mean() > one[2:6, 0:2].mean()


# ---- train_test_split -------------------------------------------------------------------------------


def labelled_rows(counts):
    """x whose first column is the row number (to track rows), and labels with the given class counts."""
    y = np.repeat(np.arange(len(counts)), counts)
    x = np.column_stack([np.arange(len(y)), y * 10.0]).astype(float)
    return x, y


def test_split_keeps_every_class_proportion_and_never_overlaps():
    x, y = labelled_rows([50, 30, 21, 9])
    x_train, x_test, y_train, y_test = train_test_split(x, y, test_fraction=0.2, seed=0)
    # round(0.2 * n_c): 10, 6, 4 (4.2), 2 (1.8)
    assert np.array_equal(np.bincount(y_test), [10, 6, 4, 2])
    assert np.array_equal(np.bincount(y_train), [40, 24, 17, 7])
    train_rows, test_rows = x_train[:, 0].astype(int), x_test[:, 0].astype(int)
    assert not set(train_rows) & set(test_rows)
    assert sorted(np.concatenate([train_rows, test_rows])) == list(range(len(y)))
    assert np.array_equal(y_train, y[train_rows]) and np.array_equal(y_test, y[test_rows])  # rows stay paired
    assert np.array_equal(x_train, x[train_rows])


def test_split_on_the_digits_matches_their_class_shares(digits):
    x, y = digits
    _, x_test, _, y_test = train_test_split(x, y, test_fraction=0.25, seed=1)
    shares = np.bincount(y_test) / len(y_test)
    assert np.allclose(shares, np.bincount(y) / len(y), atol=0.005)
    assert x_test.shape == (len(y_test), 64)


def test_split_is_deterministic_in_the_seed_and_shuffles_each_part():
    x, y = labelled_rows([40, 40])
    first = train_test_split(x, y, 0.25, seed=5)
    again = train_test_split(x, y, 0.25, seed=5)
    other = train_test_split(x, y, 0.25, seed=6)
    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not np.array_equal(first[1], other[1])
    assert np.count_nonzero(np.diff(first[2])) > 5  # training labels interleaved, not in class blocks


def test_split_accepts_float_labels_that_are_whole_numbers():
    x, y = labelled_rows([4, 4])
    *_, y_train, y_test = train_test_split(x, y.astype(float), 0.5)
    assert y_train.dtype == np.int64 and np.array_equal(np.bincount(y_test), [2, 2])


@pytest.mark.parametrize(
    ("args", "fragments"),
    [
        ((np.ones(4), np.zeros(4)), ("x:", "(N, D)", "(4,)")),
        ((np.ones((4, 2)), np.zeros(3)), ("y:", "(4,)", "(3,)")),
        ((np.ones((4, 2)), np.array([0, 1, 0.5, 1])), ("y:", "integer")),
        ((np.ones((4, 2)), np.array(["a", "b", "a", "b"])), ("y:", "integer", "<U1")),
        ((np.ones((4, 2)), np.zeros(4), 0.0), ("test_fraction:", "between 0 and 1", "0.0")),
        ((np.ones((4, 2)), np.zeros(4), 1.0), ("test_fraction:", "1.0")),
        ((np.ones((4, 2)), np.zeros(4), 0.1), ("test_fraction:", "0 for testing")),
        ((np.ones((4, 2)), np.zeros(4), 0.5, -3), ("seed:", "-3")),
    ],
)
def test_split_rejects_bad_input(args, fragments):
    with pytest.raises(ValueError) as info:
        train_test_split(*args)
    for fragment in fragments:
        assert fragment in str(info.value)


# ---- standardize ----------------------------------------------------------------------------------


def test_standardize_gives_the_training_part_mean_zero_and_unit_spread():
    rng = np.random.default_rng(0)
    x_train = rng.normal(loc=[5.0, -3.0], scale=[2.0, 0.1], size=(100, 2))
    x_test = rng.normal(loc=[5.0, -3.0], scale=[2.0, 0.1], size=(30, 2))
    train_std, test_std = standardize(x_train, x_test)
    assert train_std.mean(axis=0) == pytest.approx([0.0, 0.0], abs=1e-14)
    assert train_std.std(axis=0) == pytest.approx([1.0, 1.0], rel=1e-14)
    expected = (x_test - x_train.mean(axis=0)) / x_train.std(axis=0)
    assert np.allclose(test_std, expected, rtol=1e-14, atol=0)


def test_standardize_uses_training_statistics_only():
    x_train = np.array([[0.0], [2.0]])  # mean 1, std 1
    shifted_test = np.array([[101.0], [103.0], [105.0]])  # its own mean and std would map it to mean 0
    train_std, test_std = standardize(x_train, shifted_test)
    assert np.array_equal(train_std, [[-1.0], [1.0]])
    assert np.array_equal(test_std, [[100.0], [102.0], [104.0]])
    # the test part cannot influence the result for the training part
    assert np.array_equal(standardize(x_train, np.zeros((1, 1)))[0], train_std)


def test_standardize_leaves_constant_features_finite(digits):
    x, _ = digits
    constant = np.flatnonzero(x.std(axis=0) == 0)
    assert len(constant) > 0  # the digits' blank corner pixel, for one
    train_std, test_std = standardize(x[:1000], x[1000:])
    assert np.all(np.isfinite(train_std)) and np.all(np.isfinite(test_std))
    assert np.array_equal(train_std[:, constant], np.zeros((1000, len(constant))))


def test_standardize_does_not_modify_its_inputs():
    x_train, x_test = np.array([[1.0, 2.0], [3.0, 5.0]]), np.array([[0.0, 0.0]])
    before = x_train.copy(), x_test.copy()
    standardize(x_train, x_test)
    assert np.array_equal(x_train, before[0]) and np.array_equal(x_test, before[1])


@pytest.mark.parametrize(
    ("x_train", "x_test", "fragments"),
    [
        (np.ones((3, 2)), np.ones((2, 3)), ("x_test:", "2 features", "(2, 3)")),
        (np.ones(3), np.ones((2, 3)), ("x_train:", "(N, D)", "(3,)")),
        (np.ones((3, 2)), np.array([[np.nan, 1.0]]), ("x_test:", "finite")),
    ],
)
def test_standardize_rejects_bad_input(x_train, x_test, fragments):
    with pytest.raises(ValueError) as info:
        standardize(x_train, x_test)
    for fragment in fragments:
        assert fragment in str(info.value)


def test_the_recorded_lstm_steps_are_what_the_lstm_step_makes():
    from bplib.data import lstm_example_steps
    from bplib.data.lstm_steps import _record
    from bplib.lstm import lstm_step_forward

    params, caches = lstm_example_steps()
    recorded = _record()
    assert len(caches) == 5
    for t, cache in enumerate(caches):
        for key in ("x", "h_prev", "c_prev", "f", "i", "g", "o", "c"):
            assert np.allclose(cache[key], recorded[f"step{t}_{key}"], rtol=1e-12, atol=1e-15), (t, key)
        h, c, _ = lstm_step_forward(cache["x"], cache["h_prev"], cache["c_prev"], cache["params"])
        assert np.allclose(c, cache["c"], rtol=1e-12, atol=0.0)
        if t + 1 < len(caches):
            assert np.allclose(caches[t + 1]["h_prev"], h, rtol=1e-12, atol=0.0)
            assert np.allclose(caches[t + 1]["c_prev"], c, rtol=1e-12, atol=0.0)
    assert all(cache["params"] is params for cache in caches)
