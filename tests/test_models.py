"""utils.models: the dense network of notebooks 06-08."""

from __future__ import annotations

import numpy as np
import pytest

from utils.models import dense_model


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


@pytest.mark.parametrize("kwargs, message", [({"hidden_units": 0}, "at least 1"), ({"dropout": 1.0}, "in \\[0, 1\\)"),
                                             ({"dropout": -0.1}, "in \\[0, 1\\)")])
def test_dense_model_rejects_bad_settings(kwargs, message):
    with pytest.raises(ValueError, match=message):
        dense_model(**kwargs)
