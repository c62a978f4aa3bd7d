"""Tests for bplib.network: the whole network's gradients, batching, predictions, fit and bad input."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest

from bplib import data
from bplib.gradcheck import check_gradient_params
from bplib.layers import ACTIVATIONS, Activation, Dense
from bplib.network import History, Network
from bplib.optim import SGD, Rprop

TOL = 1e-7
D_IN = 3
N_SMALL = 5
HIDDEN = {1: [4], 2: [4, 5], 3: [4, 5, 3]}  # depth -> hidden sizes
OUTPUT_CASES = [("softmax_ce", 2), ("softmax_ce", 3)]  # (output, C)
KINK_MARGIN = 1e-3  # |z| of every hidden relu input; a nudge of h = 1e-5 moves z by far less


@pytest.fixture(autouse=True)
def _warnings_are_errors():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        yield


def make_net(sizes, activation="tanh", output="softmax_ce", seed=0, **kwargs) -> Network:
    return Network(sizes, activation, output, np.random.default_rng(seed), **kwargs)


def small_case(activation: str, output: str, C: int, depth: int, seed: int = 0):
    """A small network with random (non-zero) biases, a batch x: (5, 3) and labels y: (5,)."""
    rng = np.random.default_rng(seed)
    net = Network([D_IN, *HIDDEN[depth], C], activation, output, rng)
    for name, p in net.params.items():
        if name.startswith("b"):
            p[...] = rng.normal(0.0, 0.5, size=p.shape)  # in place: the network sees it
    x = rng.normal(size=(N_SMALL, D_IN))
    y = rng.integers(0, max(C, 2), size=N_SMALL)
    return net, x, y


def hidden_pre_activations(net: Network) -> list[np.ndarray]:
    """The z fed to each relu-like Activation layer in the last forward."""
    return [layer.cache.z for layer in net.layers if isinstance(layer, Activation) and hasattr(layer.cache, "z")]


def kink_distance(net: Network, x) -> float:
    """The smallest |z| over all hidden relu inputs for the batch x (inf when there are none)."""
    net.forward(x)
    return min((float(np.min(np.abs(z))) for z in hidden_pre_activations(net)), default=math.inf)


def small_case_away_from_kink(activation: str, output: str, C: int, depth: int, seed: int):
    """small_case from the first seed (counting up from `seed`) whose hidden pre-activations avoid the kink."""
    for candidate in range(seed, seed + 50):
        net, x, y = small_case(activation, output, C, depth, seed=candidate)
        if kink_distance(net, x) > KINK_MARGIN:
            return net, x, y
    raise AssertionError("no seed keeps the pre-activations away from the kink")


def assert_passes(result):
    assert result.passed, str(result)
    assert result.max_rel_error < TOL, str(result)


# ---- gradients of the whole network ---------------------------------------------------------


@pytest.mark.parametrize("depth", sorted(HIDDEN))
@pytest.mark.parametrize(("output", "C"), OUTPUT_CASES)
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_network_gradients_match_centered_differences(activation, output, C, depth):
    # a nudge must not carry a relu input across the kink, where the slope jumps
    net, x, y = small_case_away_from_kink(activation, output, C, depth, seed=depth)
    loss, grads = net.loss_and_grads(x, y)
    analytic = {name: g.copy() for name, g in grads.items()}
    assert math.isfinite(loss)
    assert_passes(check_gradient_params(lambda: net.loss(x, y), net.params, analytic))
    # a check that compares zeros with zeros would pass anything: every layer must have a real gradient
    for name in net.params:
        if name.startswith("W"):
            assert np.max(np.abs(analytic[name])) > 1e-6, name


def test_backward_after_loss_equals_loss_and_grads():
    net, x, y = small_case("tanh", "softmax_ce", 3, 2)
    loss_1, grads_1 = net.loss_and_grads(x, y)
    grads_1 = {name: g.copy() for name, g in grads_1.items()}
    loss_2 = net.loss(x, y)
    grads_2 = net.backward()
    assert loss_2 == loss_1
    for name in grads_1:
        assert np.array_equal(grads_2[name], grads_1[name])


def test_backward_needs_a_loss_and_a_new_forward_makes_it_stale():
    net, x, y = small_case("tanh", "softmax_ce", 3, 1)
    with pytest.raises(RuntimeError, match="call loss"):
        net.backward()
    net.loss(x, y)
    net.forward(x[:2])  # the layer caches now belong to another batch
    with pytest.raises(RuntimeError, match="call loss"):
        net.backward()


# ---- parameters -------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", sorted(HIDDEN))
def test_params_and_grads_share_names_and_shapes(depth):
    net, x, y = small_case("sigmoid", "softmax_ce", 3, depth)
    _, grads = net.loss_and_grads(x, y)
    sizes = [D_IN, *HIDDEN[depth], 3]
    expected = {}
    for k in range(1, len(sizes)):
        expected[f"W{k}"] = (sizes[k - 1], sizes[k])
        expected[f"b{k}"] = (sizes[k],)
    assert list(net.params) == list(expected)
    assert list(grads) == list(expected)
    for name, shape in expected.items():
        assert net.params[name].shape == shape
        assert grads[name].shape == shape
        assert net.params[name].dtype == np.float64


def test_params_are_the_layers_own_arrays_so_nudging_them_changes_the_output():
    net, x, _ = small_case("tanh", "softmax_ce", 3, 2)
    dense = [layer for layer in net.layers if isinstance(layer, Dense)]
    assert len(dense) == 3
    for k, layer in enumerate(dense, start=1):
        assert net.params[f"W{k}"] is layer.params["W"]
        assert net.params[f"b{k}"] is layer.params["b"]
    z_before = net.forward(x)
    net.params["W2"][0, 0] += 0.1
    z_nudged = net.forward(x)
    assert not np.allclose(z_nudged, z_before)
    net.params["W2"][0, 0] -= 0.1
    assert np.allclose(net.forward(x), z_before, rtol=0, atol=1e-12)


def test_params_view_cannot_be_assigned_to():
    net = make_net([2, 3, 2])
    with pytest.raises(TypeError):
        net.params["W1"] = np.zeros((2, 3))


def test_layers_alternate_dense_and_activation_and_end_with_dense_logits():
    net = make_net([2, 4, 5, 3], activation="relu")
    kinds = [type(layer).__name__ for layer in net.layers]
    assert kinds == ["Dense", "Activation", "Dense", "Activation", "Dense"]
    assert all(layer.name == "relu" for layer in net.layers if isinstance(layer, Activation))
    assert net.layers[-1].params["W"].shape == (5, 3)


def test_init_and_scale_set_the_weight_spread():
    wide = make_net([400, 300, 2], init="he", scale=0.5, seed=3)
    std = wide.params["W1"].std()
    assert std == pytest.approx(0.5 * math.sqrt(2.0 / 400), rel=0.02)
    assert np.all(wide.params["b1"] == 0.0)


def test_same_rng_seed_gives_the_same_network():
    a, b = make_net([3, 4, 2], seed=7), make_net([3, 4, 2], seed=7)
    for name in a.params:
        assert np.array_equal(a.params[name], b.params[name])
    assert not np.array_equal(a.params["W1"], make_net([3, 4, 2], seed=8).params["W1"])


# ---- batches: no loop over examples ----------------------------------------------------------


@pytest.mark.parametrize(("output", "C"), OUTPUT_CASES)
def test_batch_forward_equals_stacked_single_rows(output, C):
    net, x, _ = small_case("sigmoid", output, C, 2)
    z_batch = net.forward(x)
    z_rows = np.vstack([net.forward(x[n : n + 1]) for n in range(x.shape[0])])
    assert z_batch.shape == (N_SMALL, C)
    assert np.allclose(z_batch, z_rows, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(("output", "C"), OUTPUT_CASES)
def test_batch_gradient_is_the_mean_of_single_example_gradients(output, C):
    net, x, y = small_case("tanh", output, C, 2)
    _, grads = net.loss_and_grads(x, y)
    grads = {name: g.copy() for name, g in grads.items()}
    singles = [net.loss_and_grads(x[n : n + 1], y[n : n + 1])[1] for n in range(N_SMALL)]
    for name in grads:
        mean = np.mean([single[name] for single in singles], axis=0)
        assert np.allclose(grads[name], mean, rtol=1e-10, atol=1e-12), name


# ---- predictions --------------------------------------------------------------------------------


def test_softmax_probabilities_rows_sum_to_one_and_predict_takes_the_argmax():
    net, x, y = small_case("tanh", "softmax_ce", 3, 1)
    proba = net.predict_proba(x)
    assert proba.shape == (N_SMALL, 3)
    assert np.allclose(proba.sum(axis=1), 1.0)
    z = net.forward(x)
    assert np.allclose(proba, np.exp(z) / np.exp(z).sum(axis=1, keepdims=True))
    labels = net.predict(x)
    assert labels.dtype == np.int64
    assert np.array_equal(labels, np.argmax(proba, axis=1))
    assert net.accuracy(x, y) == pytest.approx(np.mean(labels == y))


def test_accuracy_counts_matching_labels():
    net = make_net([2, 2], output="softmax_ce")
    net.params["W1"][...] = np.eye(2)  # z = x: the larger coordinate wins
    x = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, 0.0], [0.0, 3.0]])
    assert np.array_equal(net.predict(x), [0, 1, 0, 1])
    assert net.accuracy(x, [0, 1, 1, 1]) == 0.75


def test_gradient_norms_are_the_norms_of_each_dW():
    net, x, y = small_case("tanh", "softmax_ce", 3, 3)
    _, grads = net.loss_and_grads(x, y)
    norms = net.gradient_norms(grads)
    assert list(norms) == ["W1", "W2", "W3", "W4"]
    for name, value in norms.items():
        assert isinstance(value, float)
        assert value == pytest.approx(math.sqrt(np.sum(grads[name] ** 2)), rel=1e-12)


# ---- training ------------------------------------------------------------------------------------


def test_fit_learns_xor():
    x, y = data.xor()
    net = make_net([2, 4, 2], activation="tanh", seed=0)
    history = net.fit(x, y, SGD(lr=0.5), epochs=300, batch_size=4, rng=np.random.default_rng(1))
    assert history.status == "finished"
    assert history.epochs == 300
    assert history.accuracy[-1] == 1.0
    assert net.accuracy(x, y) == 1.0
    assert history.loss[-1] < 0.25 * history.loss[0]


def test_fit_separates_three_spirals():
    x, y = data.spirals(n_per_class=100, classes=3, seed=0)
    x_train, x_test, y_train, y_test = data.train_test_split(x, y, test_fraction=0.25, seed=0)
    net = make_net([2, 100, 3], activation="relu", output="softmax_ce", seed=0, init="he")
    history = net.fit(
        x_train, y_train, SGD(lr=0.5), epochs=60, batch_size=10, rng=np.random.default_rng(0),
        x_val=x_test, y_val=y_test,
    )  # fmt: skip
    assert history.status == "finished"
    assert history.accuracy[-1] > 0.9
    assert history.val_accuracy[-1] > 0.9


def test_history_has_one_entry_per_epoch_in_every_list():
    x, y = data.blobs(n=60, centers=3, seed=0)
    x_val, y_val = data.blobs(n=30, centers=3, seed=1)
    net = make_net([2, 5, 3], activation="tanh")
    rng = np.random.default_rng(0)
    history = net.fit(x, y, SGD(lr=0.1), epochs=4, batch_size=16, rng=rng, x_val=x_val, y_val=y_val)
    assert isinstance(history, History)
    for values in (history.loss, history.accuracy, history.val_loss, history.val_accuracy, history.lr):
        assert len(values) == 4
    assert history.lr == [0.1] * 4
    assert [list(norms) for norms in history.grad_norms] == [["W1", "W2"]] * 4
    # the recorded numbers are those of the trained network on the whole sets
    assert history.loss[-1] == pytest.approx(net.loss(x, y), rel=1e-12)
    assert history.accuracy[-1] == net.accuracy(x, y)
    assert history.val_loss[-1] == pytest.approx(net.loss(x_val, y_val), rel=1e-12)
    _, grads = net.loss_and_grads(x, y)
    assert history.grad_norms[-1] == pytest.approx(net.gradient_norms(grads), rel=1e-12)


def test_history_without_validation_data_keeps_the_validation_lists_empty():
    x, y = data.xor()
    history = make_net([2, 3, 2]).fit(x, y, SGD(lr=0.1), epochs=2, batch_size=2, rng=np.random.default_rng(0))
    assert history.val_loss == [] and history.val_accuracy == []
    assert len(history.loss) == 2


def test_fit_with_the_same_seeds_gives_the_same_history_and_weights():
    x, y = data.moons(n=80, seed=0)

    def run(shuffle_seed):
        net = make_net([2, 6, 2], activation="tanh", seed=3)
        history = net.fit(x, y, SGD(lr=0.3), epochs=5, batch_size=7, rng=np.random.default_rng(shuffle_seed))
        return history, net

    (h1, net1), (h2, net2), (h3, _) = run(0), run(0), run(1)
    assert h1.loss == h2.loss and h1.accuracy == h2.accuracy and h1.grad_norms == h2.grad_norms
    for name in net1.params:
        assert np.array_equal(net1.params[name], net2.params[name])
    assert h3.loss != h1.loss  # the shuffle really comes from rng


def test_every_example_is_used_once_per_epoch_and_the_last_partial_batch_is_kept():
    x, y = data.blobs(n=10, centers=2, seed=0)
    net = make_net([2, 3, 2])
    seen = []
    original_step = net._train_step  # fit checked x once; each batch goes straight to the step

    def spy(x_batch, y_batch, optimizer):
        seen.append(np.asarray(x_batch).copy())
        return original_step(x_batch, y_batch, optimizer)

    net._train_step = spy
    net.fit(x, y, SGD(lr=0.1), epochs=2, batch_size=4, rng=np.random.default_rng(0))
    assert [len(batch) for batch in seen] == [4, 4, 2, 4, 4, 2]
    for epoch in range(2):
        rows = np.vstack(seen[3 * epoch : 3 * epoch + 3])
        assert sorted(map(tuple, rows)) == sorted(map(tuple, x))
    assert not np.array_equal(np.vstack(seen[:3]), x)  # shuffled, not in stored order


def test_a_batch_size_above_n_is_full_batch_descent():
    x, y = data.xor()
    net_big, net_full = make_net([2, 3, 2], seed=1), make_net([2, 3, 2], seed=1)
    net_big.fit(x, y, SGD(lr=0.5), epochs=3, batch_size=100, rng=np.random.default_rng(0))
    optimizer = SGD(lr=0.5)
    for _ in range(3):
        net_full.train_step(x, y, optimizer)
    for name in net_big.params:
        assert np.allclose(net_big.params[name], net_full.params[name], rtol=0, atol=1e-12)


def test_train_step_returns_the_loss_before_the_step_and_lowers_it():
    x, y = data.xor()
    net = make_net([2, 4, 2], seed=0)
    before = net.loss(x, y)
    returned = net.train_step(x, y, SGD(lr=0.1))
    assert returned == before
    assert net.loss(x, y) < before


def test_train_step_is_one_sgd_step_on_the_batch_gradient():
    x, y = data.xor()
    net = make_net([2, 4, 2], seed=0)
    _, grads = net.loss_and_grads(x, y)
    expected = {name: p - 0.1 * grads[name] for name, p in net.params.items()}
    net.train_step(x, y, SGD(lr=0.1))
    for name, p in net.params.items():
        assert np.allclose(p, expected[name], rtol=0, atol=1e-15)


def test_an_optimizer_without_a_learning_rate_records_nan():
    x, y = data.xor()
    history = make_net([2, 3, 2]).fit(x, y, Rprop(), epochs=2, batch_size=4, rng=np.random.default_rng(0))
    assert history.status == "finished"
    assert all(math.isnan(lr) for lr in history.lr)


def test_callback_sees_every_epoch_and_returning_true_stops():
    x, y = data.xor()
    calls = []

    def stop_after_third(epoch, history):
        calls.append((epoch, history.epochs))
        return epoch == 2

    history = make_net([2, 3, 2]).fit(
        x, y, SGD(lr=0.1), epochs=50, batch_size=4, rng=np.random.default_rng(0), callback=stop_after_third
    )
    assert calls == [(0, 1), (1, 2), (2, 3)]
    assert history.status == "stopped"
    assert history.epochs == 3


def test_a_callback_returning_none_lets_training_finish():
    x, y = data.xor()
    calls = []
    history = make_net([2, 3, 2]).fit(
        x, y, SGD(lr=0.1), epochs=4, batch_size=4, rng=np.random.default_rng(0),
        callback=lambda epoch, history: calls.append(epoch),
    )  # fmt: skip
    assert calls == [0, 1, 2, 3]
    assert history.status == "finished"


def test_a_huge_learning_rate_diverges_cleanly_without_warnings():
    x, y = data.spirals(n_per_class=30, classes=3, seed=0)
    # softmax cross-entropy of tanh or sigmoid layers stays finite; relu layers let the logits overflow
    net = make_net([2, 32, 32, 32, 3], activation="relu", seed=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        history = net.fit(x, y, SGD(lr=1e6), epochs=50, batch_size=16, rng=np.random.default_rng(0))
        assert history.status == "diverged"
        assert history.epochs < 50
        assert math.isnan(history.loss[-1]) and math.isnan(history.accuracy[-1])
        assert all(math.isfinite(loss) for loss in history.loss[:-1])
        assert len(history.grad_norms) == len(history.lr) == history.epochs
        # stepping a diverged network reports nan instead of raising
        assert math.isnan(net.train_step(x, y, SGD(lr=1e6)))


# ---- bad input -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"activation": "softplus"}, r"activation: expected one of \['sigmoid', 'tanh', 'relu'\]"),
        ({"output": "hinge"}, r"output: expected 'softmax_ce' \(softmax cross-entropy on the logits\), got 'hinge'"),
        ({"init": "glorot"}, r"init: expected one of"),
        ({"rng": 0}, r"rng: expected a numpy Generator"),
        ({"rng": None}, r"rng: expected a numpy Generator"),
        ({"layer_sizes": [3]}, r"layer_sizes: expected a list \[D, H1, \.\.\., C\]"),
        ({"layer_sizes": [3, 0, 2]}, r"layer_sizes: expected positive whole numbers"),
        ({"layer_sizes": [3, 2.5, 2]}, r"layer_sizes: expected positive whole numbers"),
        ({"layer_sizes": [3, 4, 1]}, r"softmax_ce needs at least 2 outputs"),
    ],
)
def test_constructor_rejects_bad_settings(kwargs, fragment):
    settings = {
        "layer_sizes": [3, 4, 2],
        "activation": "tanh",
        "output": "softmax_ce",
        "rng": np.random.default_rng(0),
        **kwargs,
    }
    with pytest.raises(ValueError, match=fragment):
        Network(**settings)


@pytest.mark.parametrize(
    ("x", "fragment"),
    [
        (np.zeros(3), r"expected a batch of shape \(N, D\) = \(N, 3\).*got shape \(3,\).*reshape\(1, -1\)"),
        (np.zeros((4, 2)), r"expected a batch of shape \(N, D\) = \(N, 3\).*got shape \(4, 2\)"),
        (np.zeros((0, 3)), r"N >= 1"),
        (np.full((2, 3), np.nan), r"x: expected finite numbers"),
        ("abc", r"x: expected a real number"),
    ],
)
def test_forward_rejects_x_of_the_wrong_shape_or_content(x, fragment):
    net = make_net([3, 4, 2])
    with pytest.raises(ValueError, match=fragment):
        net.forward(x)


@pytest.mark.parametrize(
    ("sizes", "output", "y", "fragment"),
    [
        ([3, 4, 2], "softmax_ce", [0, 1, 2], r"labels in \[0, 2\).*got labels from 0 to 2"),
        ([3, 4, 2], "softmax_ce", [0, -1, 1], r"labels in \[0, 2\).*got labels from -1 to 1"),
        ([3, 4, 3], "softmax_ce", [0, 1, 3], r"labels in \[0, 3\) for a network with 3 outputs"),
        ([3, 4, 2], "softmax_ce", [0, 1], r"y: expected 3 labels of shape \(3,\).*got shape \(2,\)"),
        ([3, 4, 2], "softmax_ce", [[0], [1], [1]], r"got shape \(3, 1\); pass y.ravel\(\)"),
        ([3, 4, 2], "softmax_ce", [0.0, 0.5, 1.0], r"not whole numbers"),
        ([3, 4, 2], "softmax_ce", ["a", "b", "c"], r"y: expected integer class labels"),
        ([3, 4, 2], "softmax_ce", None, r"y: expected integer class labels"),
    ],
)
def test_loss_rejects_bad_labels(sizes, output, y, fragment):
    net = make_net(sizes, output=output)
    x = np.zeros((3, 3))
    with pytest.raises(ValueError, match=fragment):
        net.loss(x, y)
    with pytest.raises(ValueError, match=fragment):
        net.accuracy(x, y)


def test_whole_number_float_labels_are_accepted():
    net = make_net([3, 4, 2])
    x = np.ones((3, 3))
    assert net.loss(x, np.array([0.0, 1.0, 1.0])) == net.loss(x, np.array([0, 1, 1]))


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({"epochs": 0}, r"epochs: expected a positive whole number"),
        ({"batch_size": 2.0}, r"batch_size: expected a positive whole number"),
        ({"rng": 0}, r"rng: expected a numpy Generator"),
        ({"optimizer": "sgd"}, r"optimizer: expected an object with step\(params, grads\)"),
        ({"x_val": np.zeros((2, 2))}, r"x_val, y_val: expected both"),
        ({"x_val": np.zeros((2, 3)), "y_val": [0, 1, 1]}, r"y_val: expected 2 labels"),
        ({"x_val": np.zeros((2, 5)), "y_val": [0, 1]}, r"x_val: expected a batch of shape"),
        ({"callback": "stop"}, r"callback: expected a function"),
        ({"y": [0, 1, 5, 0]}, r"y: expected class labels in \[0, 2\)"),
    ],
)
def test_fit_rejects_bad_arguments(kwargs, fragment):
    net = make_net([3, 4, 2])
    arguments = {
        "x": np.zeros((4, 3)),
        "y": [0, 1, 1, 0],
        "optimizer": SGD(lr=0.1),
        "epochs": 2,
        "batch_size": 2,
        "rng": np.random.default_rng(0),
        **kwargs,
    }
    with pytest.raises(ValueError, match=fragment):
        net.fit(**arguments)


def test_train_step_checks_its_batch():
    net = make_net([3, 4, 2])
    with pytest.raises(ValueError, match=r"x_batch: expected a batch of shape"):
        net.train_step(np.zeros((2, 4)), [0, 1], SGD(lr=0.1))
    with pytest.raises(ValueError, match=r"y_batch: expected 2 labels"):
        net.train_step(np.zeros((2, 3)), [0, 1, 1], SGD(lr=0.1))


def test_gradient_norms_want_every_weight_gradient():
    net = make_net([3, 4, 2])
    with pytest.raises(ValueError, match=r"missing 'W2'"):
        net.gradient_norms({"W1": np.zeros((3, 4))})


def test_repr():
    assert repr(make_net([2, 8, 3])) == "Network([2, 8, 3], activation='tanh', output='softmax_ce', init='xavier')"
