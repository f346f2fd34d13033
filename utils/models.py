"""The dense network that notebooks 06-08 train again and again, built in one place.

Notebook 05 builds it layer by layer and explains it; later notebooks vary how it is trained
(optimiser, dropout, callbacks), not what it is. Keras is imported when the function is called.
"""

from __future__ import annotations

from typing import Any


def dense_model(hidden_units: int = 100, activation: str = "relu", dropout: float = 0.0,
                name: str = "mlp") -> Any:
    """Return an uncompiled keras.Sequential: 28x28 image -> Flatten -> Dense(hidden) -> [Dropout] -> Dense(10, softmax).

    Layers are named `flatten`, `hidden`, `dropout` (only when `dropout` > 0) and `output`.
    """
    import keras

    if hidden_units < 1:
        raise ValueError(f"hidden_units must be at least 1, not {hidden_units}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout is the fraction of units dropped, in [0, 1), not {dropout}")
    layers = [keras.Input(shape=(28, 28)), keras.layers.Flatten(name="flatten"),
              keras.layers.Dense(hidden_units, activation=activation, name="hidden")]
    if dropout > 0:
        layers.append(keras.layers.Dropout(dropout, name="dropout"))
    layers.append(keras.layers.Dense(10, activation="softmax", name="output"))
    return keras.Sequential(layers, name=name)
