"""utils.scratch: the from-scratch NumPy network pieces."""

from __future__ import annotations

import numpy as np
import pytest

from utils.scratch import (
    MLP,
    TwoLayerNet,
    cross_entropy,
    numerical_gradient,
    one_hot,
    relative_error,
    relu,
    sigmoid,
    softmax,
    train_sgd,
)


def test_softmax_of_huge_logits_is_finite_and_sums_to_one():
    with np.errstate(over="raise", invalid="raise", divide="raise"):  # raise, not warn
        probs = softmax(np.array([[1000.0, 1000.0, 990.0], [-1000.0, 0.0, 1000.0]]))
    assert np.isfinite(probs).all()
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    np.testing.assert_allclose(probs[0, :2], 0.5 / (1 + 0.5 * np.exp(-10)))
    assert probs[1].argmax() == 2 and probs[1, 2] == pytest.approx(1.0)


def test_softmax_matches_the_definition_and_handles_one_row():
    logits = np.array([1.0, 2.0, 3.0])
    np.testing.assert_allclose(softmax(logits), np.exp(logits) / np.exp(logits).sum())
    np.testing.assert_allclose(softmax(np.stack([logits, logits + 50])), [softmax(logits)] * 2)


def test_cross_entropy_of_a_confident_correct_prediction_is_near_zero():
    probs = np.array([[0.999999, 0.000001, 0.0], [0.0, 0.0, 1.0]])
    assert cross_entropy(probs, np.array([0, 2])) == pytest.approx(0.0, abs=1e-6)
    assert cross_entropy(probs, np.array([1, 0])) > 10  # confident and wrong: large


def test_cross_entropy_agrees_for_integer_and_one_hot_labels():
    probs = softmax(np.random.default_rng(0).normal(size=(6, 4)))
    labels = np.array([0, 3, 1, 1, 2, 0])
    expected = -np.mean(np.log(probs[np.arange(6), labels]))
    assert cross_entropy(probs, labels) == pytest.approx(expected)
    assert cross_entropy(probs, one_hot(labels, 4)) == pytest.approx(expected)
    assert cross_entropy(probs[0], labels[0]) == pytest.approx(-np.log(probs[0, 0]))  # one example


def test_cross_entropy_rejects_labels_that_do_not_fit():
    probs = np.full((3, 4), 0.25)
    with pytest.raises(ValueError, match="labels must be integers"):
        cross_entropy(probs, np.array([0, 1]))
    with pytest.raises(ValueError, match="labels must be integers"):
        cross_entropy(probs, np.array([0.0, 1.0, 2.0]))


def test_sigmoid_and_relu():
    with np.errstate(over="raise", invalid="raise", divide="raise"):
        values = sigmoid(np.array([-1000.0, -2.0, 0.0, 2.0, 1000.0]))
    np.testing.assert_allclose(values[1:4], 1 / (1 + np.exp(-np.array([-2.0, 0.0, 2.0]))))
    assert values[0] == 0.0 and values[-1] == 1.0
    np.testing.assert_array_equal(relu(np.array([-3.0, 0.0, 2.5])), [0.0, 0.0, 2.5])


@pytest.mark.parametrize("shape", [(), (3,), (2, 3), (2, 2, 2)])
def test_numerical_gradient_of_a_known_function_any_shape(shape):
    x = np.random.default_rng(1).normal(size=shape)
    grad = numerical_gradient(lambda v: float(np.sum(v**3)), x)
    assert grad.shape == x.shape
    np.testing.assert_allclose(grad, 3 * x**2, rtol=1e-6, atol=1e-7)


def test_numerical_gradient_leaves_its_input_exactly_unchanged():
    x = np.array([0.1, 1e8, -3.3, 7e-9])  # values where x + h - h != x in floating point
    assert (x + 1e-4 - 1e-4 != x).any()
    before = x.copy()
    numerical_gradient(lambda v: float(np.sum(np.sin(v))), x)
    np.testing.assert_array_equal(x, before)


def test_numerical_gradient_needs_a_float_array():
    with pytest.raises(TypeError, match="float NumPy array"):
        numerical_gradient(lambda v: 0.0, np.array([1, 2, 3]))
    with pytest.raises(TypeError, match="float NumPy array"):
        numerical_gradient(lambda v: 0.0, [1.0, 2.0])


@pytest.mark.parametrize(
    "sizes, activation, decay",
    [
        ([5, 4, 3], "sigmoid", 0.0),
        ([3, 7, 2], "relu", 0.0),
        ([6, 5, 4, 3], "sigmoid", 0.1),
        ([4, 8, 6, 2], "relu", 1e-3),
    ],
)
def test_backprop_matches_numerical_gradient_on_random_shapes(sizes, activation, decay):
    rng = np.random.default_rng(sum(sizes))
    net = MLP(sizes, weight_init_std=0.5, activation=activation, weight_decay=decay, seed=3)
    for name, param in net.params.items():
        if name.startswith("b"):  # non-zero biases, so their gradient is tested at a general point
            param += rng.normal(scale=0.1, size=param.shape)
    x, t = rng.normal(size=(7, sizes[0])), rng.integers(0, sizes[-1], size=7)
    errors = relative_error(net.numerical_gradient(x, t), net.gradient(x, t))
    assert set(errors) == {f"{kind}{i}" for i in range(1, len(sizes)) for kind in "Wb"}
    assert max(errors.values()) < 1e-7, errors
    assert net.params["b1"].ndim == 1


def test_relative_error_flags_a_wrong_gradient():
    g = {"W": np.array([[1.0, -2.0], [0.5, 3.0]])}
    assert relative_error(g, {"W": g["W"].copy()}) == {"W": 0.0}
    assert relative_error(g, {"W": 4 * g["W"]})["W"] == pytest.approx(0.6)
    assert relative_error({"b": np.zeros(3)}, {"b": np.zeros(3)}) == {"b": 0.0}
    with pytest.raises(ValueError, match="different keys"):
        relative_error(g, {"V": g["W"]})


def test_two_layer_net_shapes_and_probabilities():
    net = TwoLayerNet(784, 50, 10, weight_init_std=0.01, seed=0)
    assert {name: p.shape for name, p in net.params.items()} == {
        "W1": (784, 50),
        "b1": (50,),
        "W2": (50, 10),
        "b2": (10,),
    }
    assert 0.005 < net.params["W1"].std() < 0.015 and not net.params["b1"].any()
    probs = net.predict(np.random.default_rng(0).random((4, 784)))
    assert probs.shape == (4, 10)
    np.testing.assert_allclose(probs.sum(axis=1), 1.0)
    assert net.loss(np.zeros((2, 784)), np.array([0, 1])) == pytest.approx(np.log(10), abs=0.05)
    he = TwoLayerNet(784, 50, 10, weight_init_std="he", activation="relu")
    assert he.params["W1"].std() == pytest.approx(np.sqrt(2 / 784), rel=0.05)
    assert he.params["W2"].std() == pytest.approx(np.sqrt(2 / 50), rel=0.2)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"sizes": [784]}, "at least two positive integers"),
        ({"sizes": [784, 0, 10]}, "at least two positive integers"),
        ({"sizes": [4, 3], "activation": "tanh"}, "expected one of sigmoid, relu"),
        ({"sizes": [4, 3], "weight_init_std": "glorot"}, "a number, 'he' or 'lecun'"),
    ],
)
def test_mlp_rejects_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        MLP(**kwargs)


def test_one_backprop_step_lowers_the_loss():
    rng = np.random.default_rng(0)
    x, t = rng.random((20, 30)), rng.integers(0, 5, size=20)
    for activation in ("sigmoid", "relu"):
        net = TwoLayerNet(30, 16, 5, weight_init_std=0.1, activation=activation, seed=1)
        before = net.loss(x, t)
        for name, grad in net.gradient(x, t).items():
            net.params[name] -= 0.5 * grad
        assert net.loss(x, t) < before


def test_gradient_accepts_one_hot_labels():
    rng = np.random.default_rng(2)
    net = TwoLayerNet(6, 5, 3, weight_init_std=0.3)
    x, t = rng.normal(size=(4, 6)), np.array([0, 2, 1, 2])
    by_label, by_one_hot = net.gradient(x, t), net.gradient(x, one_hot(t, 3))
    assert all(np.array_equal(by_label[name], by_one_hot[name]) for name in by_label)
    assert net.accuracy(x, t) == net.accuracy(x, one_hot(t, 3))


def test_train_sgd_learns_a_separable_problem_and_reports_epochs():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(200, 2))
    t = (x[:, 0] + x[:, 1] > 0).astype(int)
    net = TwoLayerNet(2, 8, 2, weight_init_std=0.5, activation="relu", seed=0)
    epochs = []
    losses = train_sgd(
        net,
        x,
        t,
        iterations=200,
        batch_size=20,
        learning_rate=0.5,
        on_epoch=lambda iteration, loss: epochs.append((iteration, loss)),
    )
    assert len(losses) == 200 and [i for i, _ in epochs] == list(range(10, 201, 10))
    assert epochs[-1][1] < epochs[0][1]
    assert net.accuracy(x, t) > 0.95


def test_train_sgd_rejects_bad_sizes():
    net = TwoLayerNet(2, 3, 2)
    with pytest.raises(ValueError, match="batch_size"):
        train_sgd(net, np.zeros((10, 2)), np.zeros(10, dtype=int), iterations=5, batch_size=11)
