"""Tests for bplib.layers: dense and activation layers, the object API, initialisation, the bias trick."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from bplib import activations as act
from bplib import layers
from bplib.gradcheck import check_gradient, check_gradient_params
from bplib.layers import (
    ACTIVATIONS,
    Activation,
    Dense,
    DenseCache,
    add_bias_column,
    dense_backward,
    dense_forward,
    init_std,
)

TOL = 1e-7
NS = [1, 3, 8]
DS = [1, 4]
HS = [1, 5]


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def assert_passes(result):
    """A gradient check passed, judged both by the checker's verdict and by its reported error."""
    assert result.passed, str(result)
    assert result.max_rel_error < TOL, str(result)


def dense_case(N: int, D: int, H: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(N, D))
    W = rng.normal(size=(D, H))
    b = rng.normal(size=H)
    dout = rng.normal(size=(N, H))  # a random upstream gradient: checks the full vector-Jacobian product
    return x, W, b, dout


def away_from_kink(shape, rng) -> np.ndarray:
    """Entries in [-3, -1e-3] or [1e-3, 3]: centered differences with h = 1e-5 never straddle relu's kink."""
    return rng.choice([-1.0, 1.0], size=shape) * rng.uniform(1e-3, 3.0, size=shape)


def is_named_tuple(obj) -> bool:
    return isinstance(obj, tuple) and hasattr(type(obj), "_fields")


# ---- dense layer: values, shapes, gradients ------------------------------------------------


@pytest.mark.parametrize("H", HS)
@pytest.mark.parametrize("D", DS)
@pytest.mark.parametrize("N", NS)
def test_dense_forward_is_x_times_W_plus_b_row_by_row(N, D, H):
    x, W, b, _ = dense_case(N, D, H)
    z, _ = dense_forward(x, W, b)
    assert z.shape == (N, H)
    # written out entry by entry so the check does not reuse the matrix product under test
    expected = np.array([[sum(x[n, d] * W[d, h] for d in range(D)) + b[h] for h in range(H)] for n in range(N)])
    assert np.allclose(z, expected, rtol=1e-13, atol=1e-13)


@pytest.mark.parametrize("H", HS)
@pytest.mark.parametrize("D", DS)
@pytest.mark.parametrize("N", NS)
def test_dense_backward_matches_centered_differences_for_x_W_and_b(N, D, H):
    x, W, b, dout = dense_case(N, D, H, seed=100 * N + 10 * D + H)
    _, cache = dense_forward(x, W, b)
    dx, dW, db = dense_backward(dout, cache)

    # each gradient separately, of the scalar sum(z * dout)
    assert_passes(check_gradient(lambda x_: np.sum(dense_forward(x_, W, b)[0] * dout), x, dx))
    assert_passes(check_gradient(lambda W_: np.sum(dense_forward(x, W_, b)[0] * dout), W, dW))
    assert_passes(check_gradient(lambda b_: np.sum(dense_forward(x, W, b_)[0] * dout), b, db))


def test_dense_backward_returns_dx_dW_db_in_the_order_of_forward_inputs():
    N, D, H = 3, 4, 5  # all different, so a swapped gradient shows up as a wrong shape
    x, W, b, dout = dense_case(N, D, H)
    _, cache = dense_forward(x, W, b)
    grads = dense_backward(dout, cache)
    assert isinstance(grads, tuple) and len(grads) == 3
    assert [g.shape for g in grads] == [x.shape, W.shape, b.shape]
    dx, dW, db = grads
    assert np.allclose(dx, dout @ W.T, rtol=1e-14, atol=0)
    assert np.allclose(dW, x.T @ dout, rtol=1e-14, atol=0)
    assert np.allclose(db, dout.sum(axis=0), rtol=1e-14, atol=0)


def test_dense_cache_is_a_named_tuple_of_x_and_W():
    x, W, b, _ = dense_case(3, 4, 5)
    _, cache = dense_forward(x, W, b)
    assert isinstance(cache, DenseCache) and is_named_tuple(cache)
    assert DenseCache._fields == ("x", "W")
    assert np.array_equal(cache.x, x) and np.array_equal(cache.W, W)


def test_dense_accepts_lists_and_ints_and_returns_float64():
    z, _ = dense_forward([[1, 2]], [[1, 0, 2], [0, 1, 3]], [0, 0, 1])
    assert z.dtype == np.float64
    assert np.array_equal(z, [[1.0, 2.0, 9.0]])


def test_dense_leaves_its_inputs_unchanged():
    x, W, b, dout = dense_case(3, 4, 5)
    copies = [a.copy() for a in (x, W, b, dout)]
    _, cache = dense_forward(x, W, b)
    dense_backward(dout, cache)
    for before, after in zip(copies, (x, W, b, dout), strict=True):
        assert np.array_equal(before, after)


# ---- dense layer: bad input ------------------------------------------------------------------


def test_dense_forward_wants_a_2d_batch_and_suggests_reshape_for_one_example():
    W, b = np.ones((4, 5)), np.zeros(5)
    with pytest.raises(ValueError) as info:
        dense_forward(np.ones(4), W, b)
    message = str(info.value)
    assert message.startswith("x:") and "(N, D)" in message and "(4,)" in message
    assert "x.reshape(1, -1)" in message
    with pytest.raises(ValueError, match=r"x:.*\(2, 3, 4\)"):
        dense_forward(np.ones((2, 3, 4)), W, b)


def test_dense_forward_blames_x_when_it_does_not_match_the_weights():
    with pytest.raises(ValueError) as info:
        dense_forward(np.ones((3, 4)), np.ones((5, 2)), np.zeros(2))  # W says D = 5
    assert str(info.value) == "x: expected shape (N, D) = (N, 5) with N >= 1, got shape (3, 4)"
    with pytest.raises(ValueError, match=r"W:.*2-d.*\(4,\)"):
        dense_forward(np.ones((3, 4)), np.ones(4), np.zeros(1))


def test_dense_forward_names_expected_and_actual_shapes_of_b():
    with pytest.raises(ValueError) as info:
        dense_forward(np.ones((3, 4)), np.ones((4, 2)), np.zeros(3))
    message = str(info.value)
    assert message.startswith("b:") and "(2,)" in message and "(3,)" in message
    with pytest.raises(ValueError, match=r"b:.*\(2,\).*\(1, 2\)"):
        dense_forward(np.ones((3, 4)), np.ones((4, 2)), np.zeros((1, 2)))


@pytest.mark.parametrize(
    ("argument", "value", "fragment"),
    [
        ("x", "abc", "str"),
        ("x", np.array([[1.0, np.nan]]), "NaN"),
        ("W", np.array([["a", "b"], ["c", "d"]]), "<U1"),
        ("W", np.array([[1.0, np.inf], [0.0, 1.0]]), "infinite"),
        ("b", [np.nan, 0.0], "NaN"),
        ("b", np.array([True, False]), "bool"),
    ],
)
def test_dense_forward_rejects_non_numbers_and_nan(argument, value, fragment):
    args = {"x": np.ones((1, 2)), "W": np.ones((2, 2)), "b": np.zeros(2)}
    args[argument] = value
    with pytest.raises(ValueError) as info:
        dense_forward(**args)
    assert str(info.value).startswith(f"{argument}:") and fragment in str(info.value)


def test_dense_backward_checks_dout_shape_and_cache():
    x, W, b, _ = dense_case(3, 4, 5)
    _, cache = dense_forward(x, W, b)
    with pytest.raises(ValueError) as info:
        dense_backward(np.ones((5, 3)), cache)
    assert str(info.value).startswith("dout") and "(3, 5)" in str(info.value) and "(5, 3)" in str(info.value)
    with pytest.raises(ValueError, match="dout.*NaN"):
        dense_backward(np.full((3, 5), np.nan), cache)
    with pytest.raises(ValueError, match="cache: expected the DenseCache"):
        dense_backward(cache, np.ones((3, 5)))  # arguments swapped
    with pytest.raises(ValueError, match="cache: expected the DenseCache"):
        dense_backward(np.ones((3, 5)), (x, W))  # a plain tuple is not a cache


# ---- bias trick --------------------------------------------------------------------------------


@pytest.mark.parametrize("H", HS)
@pytest.mark.parametrize("D", DS)
@pytest.mark.parametrize("N", NS)
def test_bias_trick_equals_the_dense_layer(N, D, H):
    x, W, b, _ = dense_case(N, D, H, seed=7)
    x_aug = add_bias_column(x)
    assert x_aug.shape == (N, D + 1)
    assert np.array_equal(x_aug[:, :D], x) and np.array_equal(x_aug[:, D], np.ones(N))
    W_aug = np.vstack([W, b])  # (D + 1, H)
    z, _ = dense_forward(x, W, b)
    assert np.allclose(x_aug @ W_aug, z, rtol=1e-13, atol=1e-13)


def test_add_bias_column_rejects_a_1d_input():
    with pytest.raises(ValueError, match=r"x:.*\(N, D\).*\(3,\)"):
        add_bias_column(np.ones(3))


# ---- activation layers -----------------------------------------------------------------------

# id -> (forward, backward, the matching bplib.activations function): the public, checking pairs and
# the plain pairs of ACTIVATIONS (what Activation and Network run), every one against differences
ACTIVATION_LAYERS = {
    "sigmoid": (layers.sigmoid_forward, layers.sigmoid_backward, act.sigmoid),
    "relu": (layers.relu_forward, layers.relu_backward, act.relu),
    "plain sigmoid": (*ACTIVATIONS["sigmoid"], act.sigmoid),
    "plain tanh": (*ACTIVATIONS["tanh"], act.tanh),
    "plain relu": (*ACTIVATIONS["relu"], act.relu),
}
CHECKED = {"sigmoid": ACTIVATION_LAYERS["sigmoid"][:2], "relu": ACTIVATION_LAYERS["relu"][:2]}
CACHE_FIELDS = {"sigmoid": ("SigmoidCache", ("a",)), "tanh": ("TanhCache", ("a",)), "relu": ("ReluCache", ("z",))}


@pytest.mark.parametrize("H", HS)
@pytest.mark.parametrize("N", NS)
@pytest.mark.parametrize("name", ACTIVATION_LAYERS)
def test_activation_backward_matches_centered_differences(name, N, H):
    forward, backward, _ = ACTIVATION_LAYERS[name]
    rng = np.random.default_rng(N * 10 + H)
    z = away_from_kink((N, H), rng)
    dout = rng.normal(size=(N, H))
    a, cache = forward(z)
    dz = backward(dout, cache)
    assert_passes(check_gradient(lambda z_: forward(z_)[0], z, dz, dout=dout))


@pytest.mark.parametrize("name", ACTIVATION_LAYERS)
def test_activation_forward_values_and_a_single_gradient_of_the_input_shape(name):
    forward, backward, function = ACTIVATION_LAYERS[name]
    z = away_from_kink((3, 5), np.random.default_rng(1))
    a, cache = forward(z)
    assert isinstance(a, np.ndarray) and a.shape == (3, 5)
    assert np.array_equal(a, function(z))
    dz = backward(np.ones((3, 5)), cache)
    assert isinstance(dz, np.ndarray) and dz.shape == (3, 5)  # one input, so one gradient, not a tuple


@pytest.mark.parametrize("name", ACTIVATIONS)
def test_activation_caches_are_named_tuples_with_the_documented_fields(name):
    forward, _ = ACTIVATIONS[name]
    cache_name, fields = CACHE_FIELDS[name]
    _, cache = forward(np.array([[0.5, -0.5]]))
    assert type(cache).__name__ == cache_name and is_named_tuple(cache)
    assert cache._fields == fields
    if name in CHECKED:  # the checking forward returns the same cache
        assert type(CHECKED[name][0](np.array([[0.5, -0.5]]))[1]) is type(cache)


def test_activation_backward_formulas():
    z = np.array([[-2.0, -0.5, 0.0, 0.5, 2.0]])
    dout = np.array([[1.0, 2.0, 3.0, 4.0, 5.0]])
    a, cache = layers.sigmoid_forward(z)
    assert np.allclose(layers.sigmoid_backward(dout, cache), dout * a * (1 - a), rtol=1e-15, atol=0)
    forward, backward = ACTIVATIONS["tanh"]
    a, cache = forward(z)
    assert np.allclose(backward(dout, cache), dout * (1 - a**2), rtol=1e-15, atol=0)
    _, cache = layers.relu_forward(z)
    assert np.array_equal(layers.relu_backward(dout, cache), [[0.0, 0.0, 0.0, 4.0, 5.0]])  # 0 at z == 0


def test_activation_layers_work_on_any_shape():
    z = np.random.default_rng(2).normal(size=(2, 3, 4))
    for name, (forward, backward) in ACTIVATIONS.items():
        a, cache = forward(z)
        assert a.shape == z.shape, name
        assert backward(np.ones_like(z), cache).shape == z.shape, name


@pytest.mark.parametrize("name", ACTIVATION_LAYERS)
def test_activation_layers_are_stable_at_extreme_inputs(name):
    forward, backward, _ = ACTIVATION_LAYERS[name]
    z = np.array([[1e4, -1e4, 1e300, -1e300]])
    a, cache = forward(z)  # warnings are errors in this module
    dz = backward(np.ones_like(z), cache)
    assert np.all(np.isfinite(a)) and np.all(np.isfinite(dz))


def test_activations_registry_has_the_hidden_activations_of_a_network():
    assert list(ACTIVATIONS) == ["sigmoid", "tanh", "relu"]
    # the public pairs check their input, then run the plain pair of the registry
    for name, (forward, backward) in CHECKED.items():
        plain_forward, plain_backward = ACTIVATIONS[name]
        z, dout = np.array([[0.3, -2.0]]), np.array([[1.5, -0.5]])
        (a, cache), (a_plain, cache_plain) = forward(z), plain_forward(z)
        assert np.array_equal(a, a_plain)
        assert np.array_equal(backward(dout, cache), plain_backward(dout, cache_plain))


@pytest.mark.parametrize("name", CHECKED)
def test_activation_layers_reject_bad_input(name):
    forward, backward = CHECKED[name]
    with pytest.raises(ValueError, match=r"^z:.*str"):
        forward("abc")
    with pytest.raises(ValueError, match=r"^z:.*NaN"):
        forward(np.array([[np.nan]]))
    _, cache = forward(np.ones((2, 3)))
    with pytest.raises(ValueError) as info:
        backward(np.ones((3, 2)), cache)
    assert str(info.value).startswith("dout") and "(2, 3)" in str(info.value) and "(3, 2)" in str(info.value)
    with pytest.raises(ValueError, match=f"cache: expected the {type(cache).__name__} that {name}_forward returned"):
        backward(np.ones((2, 3)), DenseCache(np.ones((2, 3)), np.ones((3, 3))))


# ---- object API ------------------------------------------------------------------------------


def test_dense_object_matches_the_function_api():
    N, D, H = 3, 4, 5
    layer = Dense(D, H, np.random.default_rng(0))
    rng = np.random.default_rng(1)
    layer.params["b"][:] = rng.normal(size=H)  # a nonzero bias, so db and b both matter
    x, dout = rng.normal(size=(N, D)), rng.normal(size=(N, H))

    z = layer.forward(x)
    z_fn, cache = dense_forward(x, layer.params["W"], layer.params["b"])
    assert np.array_equal(z, z_fn)
    assert isinstance(layer.cache, DenseCache)

    dx = layer.backward(dout)
    dx_fn, dW_fn, db_fn = dense_backward(dout, cache)
    assert np.array_equal(dx, dx_fn)
    assert set(layer.grads) == {"W", "b"}
    assert np.array_equal(layer.grads["W"], dW_fn) and np.array_equal(layer.grads["b"], db_fn)


def test_dense_object_gradients_match_centered_differences_of_its_params():
    N, D, H = 8, 4, 5
    layer = Dense(D, H, np.random.default_rng(3), init="he")
    rng = np.random.default_rng(4)
    layer.params["b"][:] = rng.normal(size=H)
    x, dout = rng.normal(size=(N, D)), rng.normal(size=(N, H))
    layer.forward(x)
    dx = layer.backward(dout)
    # the check nudges layer.params in place: forward must read them at call time
    assert_passes(check_gradient_params(lambda: np.sum(layer.forward(x) * dout), layer.params, layer.grads))
    assert_passes(check_gradient(lambda x_: np.sum(layer.forward(x_) * dout), x, dx))


def test_dense_object_params_grads_and_repr():
    layer = Dense(4, 5, np.random.default_rng(0), init="he")
    assert set(layer.params) == {"W", "b"}
    assert layer.params["W"].shape == (4, 5) and layer.params["b"].shape == (5,)
    assert np.array_equal(layer.params["b"], np.zeros(5))
    assert {name: g.shape for name, g in layer.grads.items()} == {"W": (4, 5), "b": (5,)}
    assert repr(layer) == "Dense(D=4, H=5, init='he')"


@pytest.mark.parametrize("name", ["sigmoid", "tanh", "relu"])
def test_activation_object_matches_the_function_api(name):
    forward, backward = ACTIVATIONS[name]
    rng = np.random.default_rng(5)
    z, dout = away_from_kink((3, 5), rng), rng.normal(size=(3, 5))
    layer = Activation(name)
    a_fn, cache = forward(z)
    assert np.array_equal(layer.forward(z), a_fn)
    assert np.array_equal(layer.backward(dout), backward(dout, cache))
    assert layer.params == {} and layer.grads == {}
    assert repr(layer) == f"Activation({name!r})"


def test_objects_need_forward_before_backward():
    with pytest.raises(RuntimeError, match="forward first"):
        Dense(2, 3, np.random.default_rng(0)).backward(np.ones((1, 3)))
    with pytest.raises(RuntimeError, match="forward first"):
        Activation("tanh").backward(np.ones((1, 3)))


def test_activation_object_rejects_unknown_names():
    with pytest.raises(ValueError) as info:
        Activation("softplus")
    assert "'softplus'" in str(info.value) and "relu" in str(info.value)


def test_a_first_layer_can_skip_dx_and_keeps_the_same_parameter_gradients():
    layer = Dense(4, 5, np.random.default_rng(0))
    x, dout = np.random.default_rng(1).normal(size=(3, 4)), np.random.default_rng(2).normal(size=(3, 5))
    layer.forward(x)
    dx = layer.backward(dout)
    grads = dict(layer.grads)
    assert layer.backward(dout, need_dx=False) is None
    assert all(np.array_equal(layer.grads[name], grads[name]) for name in grads)
    assert np.array_equal(dx, dout @ layer.params["W"].T)


# ---- initialisation ----------------------------------------------------------------------------


def test_init_std_formulas():
    assert init_std(300, 100, "xavier") == pytest.approx(np.sqrt(2 / 400), rel=1e-15)
    assert init_std(300, 100, "he") == pytest.approx(np.sqrt(2 / 300), rel=1e-15)
    assert init_std(300, 100, "normal") == 1.0
    assert init_std(300, 100, "normal", scale=0.01) == 0.01
    assert init_std(300, 100, "he", scale=0.5) == pytest.approx(0.5 * np.sqrt(2 / 300), rel=1e-15)


@pytest.mark.parametrize(
    ("init", "scale", "expected_std"),
    [
        ("xavier", 1.0, np.sqrt(2 / (1000 + 500))),
        ("he", 1.0, np.sqrt(2 / 1000)),
        ("normal", 0.01, 0.01),
        ("xavier", 3.0, 3.0 * np.sqrt(2 / (1000 + 500))),
    ],
    ids=["xavier", "he", "normal_0.01", "xavier_scale_3"],
)
def test_dense_initial_weights_have_the_documented_std(init, scale, expected_std):
    layer = Dense(1000, 500, np.random.default_rng(11), init=init, scale=scale)
    W = layer.params["W"]  # 500 000 draws: the sample std is within ~0.1% of the true one
    assert abs(W.std() / expected_std - 1) < 0.02
    assert abs(W.mean()) < 0.01 * expected_std
    assert np.array_equal(layer.params["b"], np.zeros(500))


def test_he_is_wider_than_xavier_by_sqrt_of_fan_sum_over_fan_in():
    D, H = 1000, 500
    he = Dense(D, H, np.random.default_rng(12), init="he").params["W"].std()
    xavier = Dense(D, H, np.random.default_rng(13), init="xavier").params["W"].std()
    assert he > xavier
    assert he / xavier == pytest.approx(np.sqrt((D + H) / D), rel=0.02)


def test_initialisation_is_reproducible_from_the_generator():
    W1 = Dense(4, 5, np.random.default_rng(42)).params["W"]
    W2 = Dense(4, 5, np.random.default_rng(42)).params["W"]
    W3 = Dense(4, 5, np.random.default_rng(43)).params["W"]
    assert np.array_equal(W1, W2)
    assert not np.array_equal(W1, W3)


@pytest.mark.parametrize("rng", [0, None, np.random.RandomState(0)], ids=["int", "None", "RandomState"])
def test_dense_requires_a_numpy_generator(rng):
    with pytest.raises(ValueError) as info:
        Dense(2, 3, rng)
    assert str(info.value).startswith("rng:") and "default_rng" in str(info.value)


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"D": 0, "H": 3}, "D: expected a positive whole number"),
        ({"D": 2.0, "H": 3}, "D: expected a positive whole number"),
        ({"D": 2, "H": True}, "H: expected a positive whole number"),
        ({"D": 2, "H": 3, "init": "glorot"}, "init: expected one of"),
        ({"D": 2, "H": 3, "scale": 0.0}, "scale: expected a finite number > 0"),
        ({"D": 2, "H": 3, "scale": float("nan")}, "scale: expected a finite number > 0"),
        ({"D": 2, "H": 3, "scale": "1"}, "scale: expected a finite number > 0"),
    ],
)
def test_dense_rejects_bad_sizes_init_and_scale(kwargs, fragment):
    with pytest.raises(ValueError, match=fragment):
        Dense(rng=np.random.default_rng(0), **kwargs)
