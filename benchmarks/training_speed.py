"""Benchmark one training epoch of the 784-100-10 network three ways on this machine (notebook 12).

The same data (the 48,000 training images), model (`utils.models.dense_model()`, ReLU), seed, optimiser
(SGD, learning rate 0.1) and batch size (32): plain `model.fit` as the books write it, the project's
fast path (`steps_per_execution`: many batches per call into TensorFlow), and the NumPy network of
notebook 02 trained by `utils.scratch.train_sgd`. Each is timed for one epoch after an untimed
warm-up (median of `--repeats` runs from the same initial weights); op determinism is on, as in the
notebooks, unless `--nondeterministic` is given. Prints seconds per epoch, the ratios, and each
model's validation accuracy after its epoch. A benchmark, not a test: the numbers depend on the machine.

    .venv/bin/python -m benchmarks.training_speed [--repeats 3] [--steps-per-execution 1500] [--nondeterministic]
"""

from __future__ import annotations

import argparse
import os
import platform
import time

import numpy as np

from utils import load_splits
from utils.scratch import TwoLayerNet, train_sgd

BATCH_SIZE = 32
LEARNING_RATE = 0.1


def keras_epoch(x, y, x_val, y_val, steps_per_execution: int, repeats: int) -> tuple[float, float]:
    """Return (seconds per epoch, validation accuracy after one epoch) of `fit` with this `steps_per_execution`."""
    import keras

    from utils.models import dense_model, timed_fit

    keras.utils.set_random_seed(42)
    model = dense_model()
    model.compile(optimizer=keras.optimizers.SGD(LEARNING_RATE), loss="sparse_categorical_crossentropy",
                  metrics=["accuracy"], steps_per_execution=steps_per_execution)
    seconds, _ = timed_fit(model, x, y, batch_size=BATCH_SIZE, repeats=repeats)
    return seconds, float(model.evaluate(x_val, y_val, verbose=0)[1])


def numpy_epoch(x, y, x_val, y_val, repeats: int) -> tuple[float, float]:
    """Return (seconds per epoch, validation accuracy after one epoch) of notebook 02's NumPy network."""
    x, x_val = x.reshape(len(x), -1), x_val.reshape(len(x_val), -1)
    iterations = len(x) // BATCH_SIZE
    train_sgd(TwoLayerNet(784, 100, 10, "he", "relu"), x[:3_200], y[:3_200], iterations=10, batch_size=BATCH_SIZE)
    seconds = []
    for _ in range(repeats):
        net = TwoLayerNet(784, 100, 10, weight_init_std="he", activation="relu", seed=42, dtype=np.float32)
        started = time.perf_counter()
        train_sgd(net, x, y, iterations=iterations, batch_size=BATCH_SIZE, learning_rate=LEARNING_RATE, seed=42)
        seconds.append(time.perf_counter() - started)
    return float(np.median(seconds)), net.accuracy(x_val, y_val)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3, help="median of this many timed epochs (default 3)")
    parser.add_argument("--steps-per-execution", type=int, default=1500,
                        help="batches per call into TensorFlow on the fast path (default 1500: one epoch)")
    parser.add_argument("--nondeterministic", action="store_true",
                        help="leave TensorFlow's op determinism off (the notebooks turn it on)")
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.steps_per_execution < 1:
        parser.error("--repeats and --steps-per-execution must be at least 1")

    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # fewer C++ log lines from TensorFlow
    import keras
    import tensorflow as tf

    if not args.nondeterministic:
        tf.config.experimental.enable_op_determinism()
    (x_train, y_train), (x_val, y_val), _ = load_splits()
    print(f"Machine: {platform.machine()}, {os.cpu_count()} CPU cores, {platform.system()} · "
          f"Python {platform.python_version()} · TensorFlow {tf.__version__} · Keras {keras.__version__} · "
          f"NumPy {np.__version__}")
    print(f"784-100-10 ReLU network, SGD {LEARNING_RATE}, batch {BATCH_SIZE}: one epoch of {len(x_train):,} images "
          f"({len(x_train) // BATCH_SIZE:,} steps), median of {args.repeats}, "
          f"op determinism {'off' if args.nondeterministic else 'on'}")
    runs = {"plain fit": keras_epoch(x_train, y_train, x_val, y_val, 1, args.repeats),
            f"fast path (steps_per_execution={args.steps_per_execution})":
                keras_epoch(x_train, y_train, x_val, y_val, args.steps_per_execution, args.repeats),
            "NumPy from scratch": numpy_epoch(x_train, y_train, x_val, y_val, args.repeats)}
    plain = runs["plain fit"][0]
    for label, (seconds, accuracy) in runs.items():
        ratio = "" if label == "plain fit" else f"   {plain / seconds:.1f}x faster than plain fit"
        print(f"  {label:<38} {seconds:6.2f} s per epoch   validation accuracy {accuracy:.4f}{ratio}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
