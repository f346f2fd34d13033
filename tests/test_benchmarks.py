"""benchmarks/training_speed: the NumPy loop learns correctly, every path is timed, the table reads
right.
"""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks import training_speed
from utils.scratch import TwoLayerNet


def test_numpy_fast_loop_takes_the_same_step_as_backpropagation():
    rng = np.random.default_rng(1)
    x, y = rng.random((32, 784), dtype=np.float32), rng.integers(0, 10, 32)
    weights = training_speed.he_weights(seed=3)
    net = TwoLayerNet(784, 100, 10, weight_init_std="he", activation="relu", dtype=np.float32)
    net.params.update({name: w.copy() for name, w in zip(["W1", "b1", "W2", "b2"], weights)})

    # one batch of 32: one step
    training_speed.numpy_fast_epoch(x, y, weights, seed=0, learning_rate=0.1)
    # the loop's batch order (a batch is a set: same sums)
    order = np.random.default_rng(0).permutation(32)
    grads = net.gradient(x[order], y[order])
    for name, w in zip(["W1", "b1", "W2", "b2"], weights):
        np.testing.assert_allclose(w, net.params[name] - 0.1 * grads[name], rtol=1e-4, atol=1e-6)


def test_numpy_fast_loop_learns():
    from utils import load_splits

    (x, y), (x_val, y_val), _ = load_splits()
    x, x_val = x[:6_400].reshape(6_400, -1), x_val[:2_000].reshape(2_000, -1)
    weights = training_speed.he_weights()
    before = training_speed.numpy_accuracy(weights, x_val, y_val[:2_000])
    training_speed.numpy_fast_epoch(x, y[:6_400], weights)
    after = training_speed.numpy_accuracy(weights, x_val, y_val[:2_000])
    assert before < 0.3 and after > 0.7, (
        f"accuracy {before:.3f} before one epoch, {after:.3f} after"
    )


def test_arithmetic_floor_times_each_repeat():
    timings = training_speed.arithmetic_floor(n_images=3_200, repeats=3)
    assert len(timings) == 3 and all(t > 0 for t in timings)


def test_measure_rejects_too_little_work():
    with pytest.raises(ValueError, match="at least 3,200 images"):
        training_speed.measure(n_images=320)
    with pytest.raises(ValueError, match="1 repeat"):
        training_speed.measure(repeats=0)


def test_every_tensorflow_path_learns_the_same_and_the_table_shows_ratios():
    rows = training_speed.keras_rows(n_images=3_200, repeats=2)  # this process: TensorFlow
    assert [r["path"].split(",")[0] for r in rows] == [
        "TensorFlow: plain fit",
        "TensorFlow: fast path (steps_per_execution=100)",
        "TensorFlow: fast path",
        "TensorFlow: fast path + XLA",
        "TensorFlow",
        "TensorFlow",
    ]
    assert [r["path"].split(": ")[1].split(",")[0] for r in rows[4:]] == [
        "fast path",
        "fast path + XLA",
    ]
    assert all(r["repeats"] == 2 and r["low"] <= r["median"] <= r["high"] for r in rows)
    accuracies = [r["val_accuracy"] for r in rows]
    assert accuracies[0] == accuracies[1] == accuracies[2], (
        "steps per call and op determinism change no result"
    )
    assert abs(accuracies[3] - accuracies[0]) < 0.01, "XLA rounds differently, nothing more"
    assert min(accuracies[4:]) > 0.5  # with dropout, XLA draws other masks: close, not equal
    rows += [
        {
            "path": "NumPy: a loop written for speed",
            "median": rows[0]["median"] / 2,
            "low": 0,
            "high": 0,
            "repeats": 2,
            "val_accuracy": 0.5,
        },
        {
            "path": "arithmetic floor",
            "median": 0.01,
            "low": 0,
            "high": 0,
            "repeats": 2,
            "val_accuracy": np.nan,
        },
    ]
    lines = training_speed.table(rows).splitlines()
    # plain fit: ratios 1 and 2
    assert lines[2].split()[-3:] == ["1.0x", "2.00x", f"{accuracies[0]:.4f}"]
    assert lines[-1].rstrip().endswith("x")  # no accuracy for the floor
