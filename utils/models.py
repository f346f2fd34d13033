"""The dense network that notebooks 06-08 and 12 train again and again, built in one place, and a
fair epoch timer.

Notebook 05 builds the network layer by layer and explains it; later notebooks vary how it is
trained (optimiser, dropout, callbacks, speed), not what it is. `timed_fit` times `fit` without
counting its one-off warm-up (notebook 12, `benchmarks/training_speed`). Keras is imported when a
function is called.
"""

from __future__ import annotations

from typing import Any


def dense_model(
    hidden_units: int = 100,
    activation: str = "relu",
    dropout: float = 0.0,
    name: str = "mlp",
    l2: float = 0.0,
) -> Any:
    """Return an uncompiled keras.Sequential: 28x28 image -> Flatten -> Dense(hidden) -> [Dropout]
    -> Dense(10, softmax).

    Layers are named `flatten`, `hidden`, `dropout` (only when `dropout` > 0) and `output`. `l2` > 0
    puts an L2 penalty, `l2 * sum(w ** 2)`, on both Dense kernels (`kernel_regularizer`); Keras adds
    it to the loss it trains on and reports.
    """
    import keras

    if hidden_units < 1:
        raise ValueError(f"hidden_units must be at least 1, not {hidden_units}")
    if not 0.0 <= dropout < 1.0:
        raise ValueError(f"dropout is the fraction of units dropped, in [0, 1), not {dropout}")
    if l2 < 0:
        raise ValueError(f"l2 is a penalty factor, 0 or more, not {l2}")
    regularizer = keras.regularizers.L2(l2) if l2 > 0 else None
    layers = [
        keras.Input(shape=(28, 28)),
        keras.layers.Flatten(name="flatten"),
        keras.layers.Dense(
            hidden_units, activation=activation, kernel_regularizer=regularizer, name="hidden"
        ),
    ]
    if dropout > 0:
        layers.append(keras.layers.Dropout(dropout, name="dropout"))
    layers.append(
        keras.layers.Dense(10, activation="softmax", kernel_regularizer=regularizer, name="output")
    )
    return keras.Sequential(layers, name=name)


def timed_fit(
    model: Any,
    x: Any,
    y: Any,
    *,
    batch_size: int = 32,
    epochs: int = 1,
    repeats: int = 1,
    warmup: int = 3_200,
    timings: list[float] | None = None,
    **fit_kwargs: Any,
) -> tuple[float, Any]:
    """Return (median seconds per epoch, History of the last run) of a fairly timed `model.fit`.

    The model must be compiled. An untimed warm-up fit on `warmup` images first traces and compiles
    the training step (a one-off cost that would otherwise land in the first epoch); then the
    weights and the optimiser's state go back to where they were, so each of the `repeats` timed
    runs starts from the model's initial state and the History shows what `epochs` epochs of
    training from it give. `x` is an array (then `y` holds the labels) or a `tf.data.Dataset` of
    batches (then `y` is None and `batch_size` only sizes the warm-up). If `timings` is a list,
    every repeat's seconds per epoch are appended to it (for a range beside the median).
    """
    import contextlib
    import time

    if epochs < 1 or repeats < 1 or warmup < 1:
        raise ValueError(
            f"epochs, repeats and warmup must be at least 1, not {epochs}, {repeats}, {warmup}"
        )
    if getattr(model, "optimizer", None) is None:
        raise ValueError("compile the model before timing it")
    strategy = getattr(model, "distribute_strategy", None)  # set under a tf.distribute strategy
    with strategy.scope() if strategy is not None else contextlib.nullcontext():
        model.optimizer.build(model.trainable_variables)  # create its state now, to save it
    weights = model.get_weights()
    optimizer_state = [v.numpy() for v in model.optimizer.variables]
    if y is None:  # a tf.data.Dataset of (images, labels) batches, already batched and shuffled:
        # fit must not do either again (nor warn about shuffle=True)
        fit_kwargs.update(batch_size=None, shuffle=False)
        model.fit(x.take(max(1, warmup // batch_size)), epochs=1, verbose=0, shuffle=False)
    else:
        fit_kwargs["batch_size"] = batch_size
        model.fit(x[:warmup], y[:warmup], batch_size=batch_size, epochs=1, verbose=0)
    seconds, history = [], None
    for _ in range(repeats):
        model.set_weights(weights)
        for variable, value in zip(model.optimizer.variables, optimizer_state):
            variable.assign(value)
        started = time.perf_counter()
        history = model.fit(x, y, epochs=epochs, verbose=0, **fit_kwargs)
        seconds.append((time.perf_counter() - started) / epochs)
    if timings is not None:
        timings.extend(seconds)
    return sorted(seconds)[len(seconds) // 2], history
