"""utils.models: the dense network of notebooks 06-08 and the fair epoch timer."""

from __future__ import annotations

import numpy as np
import pytest

from utils.models import dense_model, timed_fit


def test_dense_model_layers_shapes_and_parameters():
    model = dense_model()
    assert [layer.name for layer in model.layers] == ["flatten", "hidden", "output"]
    assert model.count_params() == 784 * 100 + 100 + 100 * 10 + 10
    probabilities = np.asarray(model(np.zeros((3, 28, 28), dtype="float32")))
    assert probabilities.shape == (3, 10)
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-6)


def test_dense_model_with_dropout_and_other_settings():
    model = dense_model(hidden_units=32, activation="sigmoid", dropout=0.3, name="small")
    assert model.name == "small"
    assert [layer.name for layer in model.layers] == ["flatten", "hidden", "dropout", "output"]
    assert model.get_layer("dropout").rate == 0.3
    assert model.get_layer("hidden").get_config()["activation"] == "sigmoid"
    assert model.count_params() == 784 * 32 + 32 + 32 * 10 + 10  # dropout adds no weights


def test_dense_model_l2_penalises_both_kernels():
    model = dense_model(hidden_units=4, l2=0.01)
    assert model.get_layer("hidden").kernel_regularizer.get_config()["l2"] == pytest.approx(0.01)
    model(np.zeros((1, 28, 28), dtype="float32"))
    penalties = [float(np.asarray(loss)) for loss in model.losses]
    kernels = [model.get_layer(name).kernel for name in ("hidden", "output")]
    expected = [0.01 * float(np.sum(np.asarray(k) ** 2)) for k in kernels]
    assert sorted(penalties) == pytest.approx(sorted(expected), rel=1e-5)
    assert dense_model(hidden_units=4).losses == []  # no penalty by default


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"hidden_units": 0}, "at least 1"),
        ({"dropout": 1.0}, "in \\[0, 1\\)"),
        ({"dropout": -0.1}, "in \\[0, 1\\)"),
        ({"l2": -1e-4}, "0 or more"),
    ],
)
def test_dense_model_rejects_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        dense_model(**kwargs)


def _compiled(optimizer: str, steps_per_execution: int = 1):
    import keras

    keras.utils.set_random_seed(0)
    model = dense_model(hidden_units=8)
    model.compile(
        optimizer=optimizer,
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        steps_per_execution=steps_per_execution,
    )
    return model


@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_timed_fit_undoes_the_warmup_so_training_starts_from_the_initial_state(optimizer):
    rng = np.random.default_rng(0)
    x, y = rng.random((256, 28, 28), dtype=np.float32), rng.integers(0, 10, 256)
    reference = _compiled(optimizer)
    expected = reference.fit(x, y, batch_size=32, epochs=2, shuffle=False, verbose=0)

    model = _compiled(optimizer, steps_per_execution=4)
    seconds, history = timed_fit(
        model, x, y, batch_size=32, epochs=2, repeats=3, warmup=64, shuffle=False
    )
    assert seconds > 0
    assert len(history.history["loss"]) == 2
    np.testing.assert_allclose(history.history["loss"], expected.history["loss"], rtol=1e-5)
    for got, want in zip(model.get_weights(), reference.get_weights()):
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_timed_fit_rejects_bad_arguments():
    x, y = np.zeros((64, 28, 28), dtype=np.float32), np.zeros(64, dtype=int)
    with pytest.raises(ValueError, match="compile the model"):
        timed_fit(dense_model(hidden_units=4), x, y)
    with pytest.raises(ValueError, match="at least 1"):
        timed_fit(_compiled("sgd"), x, y, repeats=0)


def test_timed_fit_takes_a_batched_dataset():
    import tensorflow as tf

    rng = np.random.default_rng(0)
    x, y = rng.random((256, 28, 28), dtype=np.float32), rng.integers(0, 10, 256)
    reference = _compiled("adam")
    expected = reference.fit(x, y, batch_size=32, epochs=1, shuffle=False, verbose=0)
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).batch(32)
    seconds, history = timed_fit(_compiled("adam"), dataset, None, batch_size=32, warmup=64)
    assert seconds > 0
    np.testing.assert_allclose(history.history["loss"], expected.history["loss"], rtol=1e-5)
