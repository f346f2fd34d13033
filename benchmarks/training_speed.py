"""Time one training epoch of the 784-100-10 network every way this project can train it (notebook
12).

The same data (the 48,000 training images), model (784-100-10 ReLU, He-style initial weights), seed,
optimiser (SGD, learning rate 0.1) and batch size (32), trained by:

- Keras on TensorFlow: plain `fit` with op determinism on (as the books write it); the fast path
  (`steps_per_execution` = one epoch per call) with op determinism on, then off (the path
  `utils.setup` chooses on a CPU); the fast path with XLA (`jit_compile=True`, which needs op
  determinism off); and the last two again with a Dropout(0.3) layer, where XLA's random
  numbers cost;
- Keras on JAX (when installed): plain `fit`, and the fast path;
- NumPy: notebook 02's `TwoLayerNet` trained by `utils.scratch.train_sgd`, and a loop written for
  speed (float32, products written into preallocated arrays, one BLAS thread: at these sizes,
  splitting a product between threads costs more than it saves);
- the arithmetic floor: only the five matrix products of each training step, at their real sizes
  (32x784 by 784x100 and so on), for an epoch's worth of steps.

Each Keras backend runs in a fresh process of its own, as a learner's notebook would. Each path is
timed for one epoch after an untimed warm-up, `--repeats` times from the same initial weights: the
table shows the median, the range, the ratios to plain `fit` and to the fast NumPy loop, and the
validation accuracy after the epoch. A benchmark, not a test: the numbers depend on the machine.

    .venv/bin/python -m benchmarks.training_speed [--repeats 5] [--images 48000]
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np

BATCH_SIZE = 32
LEARNING_RATE = 0.1
HIDDEN = 100
SEED = 42
ROOT = Path(__file__).resolve().parent.parent
BACKENDS = ("tensorflow", "jax")  # Keras backends measured when installed
RESULT_MARK = "RESULT "
T = TypeVar("T")


def _data(n_images: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    from utils import load_splits

    (x_train, y_train), (x_val, y_val), _ = load_splits()
    return x_train[:n_images], y_train[:n_images], x_val, y_val


def _row(path: str, timings: list[float], accuracy: float) -> dict:
    return {
        "path": path,
        "median": float(np.median(timings)),
        "low": float(min(timings)),
        "high": float(max(timings)),
        "repeats": len(timings),
        "val_accuracy": float(accuracy),
    }


def keras_rows(n_images: int, repeats: int) -> list[dict]:
    """Time this process's Keras backend every way it trains (TensorFlow: 6 paths; JAX: 2)."""
    import keras

    from utils.models import dense_model, timed_fit

    backend = keras.backend.backend()
    x, y, x_val, y_val = _data(n_images)
    steps = len(x) // BATCH_SIZE
    if backend == "tensorflow":
        import tensorflow as tf
        from tensorflow.python.framework import config as tf_config  # has the switch back off, too

        tf.get_logger().setLevel("ERROR")
        ways: list[
            tuple[str, bool | None, int, bool, float]
        ] = [  # label, op determinism, steps per call, XLA, dropout
            ("TensorFlow: plain fit, op determinism on", True, 1, False, 0.0),
            (
                f"TensorFlow: fast path (steps_per_execution={steps}), op determinism on",
                True,
                steps,
                False,
                0.0,
            ),
            (
                "TensorFlow: fast path, op determinism off (the notebooks' path)",
                False,
                steps,
                False,
                0.0,
            ),
            ("TensorFlow: fast path + XLA, op determinism off", False, steps, True, 0.0),
            ("TensorFlow, Dropout(0.3): fast path, op determinism off", False, steps, False, 0.3),
            (
                "TensorFlow, Dropout(0.3): fast path + XLA, op determinism off",
                False,
                steps,
                True,
                0.3,
            ),
        ]
    else:
        name = "JAX" if backend == "jax" else backend
        ways = [
            (f"{name}: plain fit", None, 1, True, 0.0),
            (f"{name}: fast path (steps_per_execution={steps})", None, steps, True, 0.0),
        ]
    rows = []
    for label, determinism, steps_per_execution, jit_compile, dropout in ways:
        if determinism:
            tf_config.enable_op_determinism()
        elif determinism is False:
            tf_config.disable_op_determinism()
        keras.utils.set_random_seed(SEED)
        model = dense_model(HIDDEN, dropout=dropout)
        model.compile(
            optimizer=keras.optimizers.SGD(LEARNING_RATE),
            loss="sparse_categorical_crossentropy",
            metrics=["accuracy"],
            steps_per_execution=steps_per_execution,
            jit_compile=jit_compile,
        )
        timings: list[float] = []
        timed_fit(model, x, y, batch_size=BATCH_SIZE, repeats=repeats, timings=timings)
        rows.append(_row(label, timings, model.evaluate(x_val, y_val, verbose=0)[1]))
    return rows


def _timings(fn: Callable[[], T], repeats: int) -> tuple[list[float], T]:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = fn()
        timings.append(time.perf_counter() - started)
    return timings, result


def he_weights(seed: int = SEED) -> list[np.ndarray]:
    """Return float32 [W1, b1, W2, b2] for 784-100-10, drawn with He scaling from `seed`."""
    rng = np.random.default_rng(seed)
    w1 = (rng.standard_normal((784, HIDDEN)) * np.sqrt(2 / 784)).astype(np.float32)
    w2 = (rng.standard_normal((HIDDEN, 10)) * np.sqrt(2 / HIDDEN)).astype(np.float32)
    return [w1, np.zeros(HIDDEN, np.float32), w2, np.zeros(10, np.float32)]


def numpy_fast_epoch(
    x: np.ndarray,
    y: np.ndarray,
    weights: list[np.ndarray],
    seed: int = SEED,
    learning_rate: float = LEARNING_RATE,
) -> list[np.ndarray]:
    """Train one epoch of SGD in place on `weights` ([W1, b1, W2, b2], float32) and return them.

    The batches are a shuffled pass over the data, as `fit` draws them; every product is written
    into an array made once, so the loop allocates almost nothing per step.
    """
    w1, b1, w2, b2 = weights
    order = np.random.default_rng(seed).permutation(len(x))
    xs, ys = x[order], y[order]  # one shuffled copy: each batch is then a view, not a gather
    rows = np.arange(BATCH_SIZE)
    hidden, scores = (
        np.empty((BATCH_SIZE, HIDDEN), np.float32),
        np.empty((BATCH_SIZE, 10), np.float32),
    )
    d_hidden, d_w1, d_w2 = np.empty_like(hidden), np.empty_like(w1), np.empty_like(w2)
    step = np.float32(learning_rate / BATCH_SIZE)
    for start in range(0, len(x) - BATCH_SIZE + 1, BATCH_SIZE):
        xb, yb = xs[start : start + BATCH_SIZE], ys[start : start + BATCH_SIZE]
        np.matmul(xb, w1, out=hidden)
        hidden += b1
        np.maximum(hidden, 0, out=hidden)
        np.matmul(hidden, w2, out=scores)
        scores += b2
        scores -= scores.max(axis=1, keepdims=True)
        np.exp(scores, out=scores)
        scores /= scores.sum(axis=1, keepdims=True)
        scores[rows, yb] -= 1  # softmax minus one-hot: the gradient of the summed cross-entropy
        np.matmul(hidden.T, scores, out=d_w2)
        np.matmul(scores, w2.T, out=d_hidden)
        d_hidden *= hidden > 0
        np.matmul(xb.T, d_hidden, out=d_w1)
        w2 -= step * d_w2
        b2 -= step * scores.sum(axis=0)
        w1 -= step * d_w1
        b1 -= step * d_hidden.sum(axis=0)
    return weights


def numpy_accuracy(weights: list[np.ndarray], x: np.ndarray, y: np.ndarray) -> float:
    """Return the accuracy of the 784-100-10 ReLU network with these weights."""
    w1, b1, w2, b2 = weights
    return float(np.mean((np.maximum(x @ w1 + b1, 0) @ w2 + b2).argmax(axis=1) == y))


def arithmetic_floor(n_images: int, repeats: int) -> list[float]:
    """Return the seconds of only the matrix products of an epoch's training steps, `repeats` times.

    Each step multiplies 32x784 by 784x100 and 32x100 by 100x10 (forward), then 100x32 by 32x10,
    32x10 by 10x100 and 784x32 by 32x100 (backward): the sizes batch-32 training really uses.
    """
    rng = np.random.default_rng(0)
    x, w1, w2 = (
        rng.random(shape, dtype=np.float32)
        for shape in [(BATCH_SIZE, 784), (784, HIDDEN), (HIDDEN, 10)]
    )
    hidden, scores = x @ w1, (x @ w1) @ w2
    out = [np.empty_like(a) for a in (hidden, scores, w2, hidden, w1)]
    steps = n_images // BATCH_SIZE

    def epoch() -> None:
        for _ in range(steps):
            np.matmul(x, w1, out=out[0])
            np.matmul(hidden, w2, out=out[1])
            np.matmul(hidden.T, scores, out=out[2])
            np.matmul(scores, w2.T, out=out[3])
            np.matmul(x.T, hidden, out=out[4])

    epoch()  # warm-up
    return _timings(epoch, repeats)[0]


def numpy_rows(n_images: int, repeats: int) -> list[dict]:
    """Time notebook 02's NumPy network, the fast NumPy loop and the arithmetic floor."""
    from utils.scratch import TwoLayerNet, train_sgd

    x, y, x_val, y_val = _data(n_images)
    x, x_val = x.reshape(len(x), -1), x_val.reshape(len(x_val), -1)

    def project_epoch() -> TwoLayerNet:
        net = TwoLayerNet(
            784, HIDDEN, 10, weight_init_std="he", activation="relu", seed=SEED, dtype=np.float32
        )
        train_sgd(
            net,
            x,
            y,
            iterations=len(x) // BATCH_SIZE,
            batch_size=BATCH_SIZE,
            learning_rate=LEARNING_RATE,
            seed=SEED,
        )
        return net

    from threadpoolctl import threadpool_limits

    project_timings, net = _timings(project_epoch, repeats)
    with threadpool_limits(limits=1, user_api="blas"):
        numpy_fast_epoch(x[:3_200], y[:3_200], he_weights())  # warm-up, as for the others
        fast_timings, weights = _timings(lambda: numpy_fast_epoch(x, y, he_weights()), repeats)
        floor = arithmetic_floor(len(x), repeats)
    return [
        _row(
            "NumPy: notebook 02's TwoLayerNet and train_sgd",
            project_timings,
            net.accuracy(x_val, y_val),
        ),
        _row(
            "NumPy: a loop written for speed (float32, in place, 1 thread)",
            fast_timings,
            numpy_accuracy(weights, x_val, y_val),
        ),
        _row("arithmetic floor: the matrix products alone", floor, float("nan")),
    ]


def _version(name: str) -> str:
    from importlib import metadata

    for distribution in (name, f"{name}-cpu"):  # TensorFlow may be installed as tensorflow-cpu
        try:
            return metadata.version(distribution)
        except metadata.PackageNotFoundError:
            pass
    return "?"


def installed_backends() -> list[str]:
    """Return the Keras backends importable here, of those this benchmark knows."""
    return [name for name in BACKENDS if importlib.util.find_spec(name) is not None]


def measure(
    n_images: int = 48_000, repeats: int = 5, backends: list[str] | None = None
) -> list[dict]:
    """Return one row per path: {path, median, low, high, repeats, val_accuracy}, seconds per epoch.

    Each Keras backend is timed in a fresh Python process of its own (`KERAS_BACKEND` set there);
    the NumPy paths run in this one.
    """
    if n_images < 3_200 or repeats < 1:
        raise ValueError(
            f"need at least 3,200 images (the warm-up) and 1 repeat, not {n_images} and {repeats}"
        )
    rows = []
    for backend in installed_backends() if backends is None else backends:
        command = [
            sys.executable,
            "-m",
            "benchmarks.training_speed",
            "--worker",
            backend,
            "--images",
            str(n_images),
            "--repeats",
            str(repeats),
        ]
        env = {**os.environ, "KERAS_BACKEND": backend, "TF_CPP_MIN_LOG_LEVEL": "2"}
        done = subprocess.run(
            command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=1_800, check=False
        )
        lines = [line for line in done.stdout.splitlines() if line.startswith(RESULT_MARK)]
        if done.returncode != 0 or not lines:
            raise RuntimeError(f"timing Keras on {backend} failed:\n{done.stderr[-2000:]}")
        rows.extend(json.loads(lines[-1][len(RESULT_MARK) :]))
    return rows + numpy_rows(n_images, repeats)


def table(rows: list[dict]) -> str:
    """Return the rows as a fixed-width table with ratios to plain `fit` and to the fast NumPy loop.
    """
    plain = next(r["median"] for r in rows if "plain fit" in r["path"])
    numpy_fast = next(r["median"] for r in rows if "written for speed" in r["path"])
    width = max(len(r["path"]) for r in rows)
    lines = [
        f"{'path':<{width}}  {'s/epoch':>7}  {'range':>11}  {'vs plain fit':>12}  {'vs NumPy':>8}  "
        f"val acc",
        "-" * (width + 60),
    ]
    for r in rows:
        accuracy = "" if np.isnan(r["val_accuracy"]) else f"{r['val_accuracy']:.4f}"
        lines.append(
            f"{r['path']:<{width}}  {r['median']:>7.2f}  {r['low']:>5.2f}-{r['high']:<5.2f}  "
            f"{plain / r['median']:>11.1f}x  {r['median'] / numpy_fast:>7.2f}x  {accuracy}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=5, help="timed epochs per path (default 5)")
    parser.add_argument(
        "--images", type=int, default=48_000, help="training images per epoch (default 48,000)"
    )
    # one backend, in its own process
    parser.add_argument("--worker", choices=BACKENDS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.repeats < 1 or args.images < 3_200:
        parser.error("--repeats must be at least 1 and --images at least 3,200 (the warm-up)")
    if args.worker:
        print(RESULT_MARK + json.dumps(keras_rows(args.images, args.repeats)))
        return 0
    rows = measure(args.images, args.repeats)
    versions = " · ".join(
        f"{name} {_version(name)}" for name in ("keras", *installed_backends(), "numpy")
    )
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} CPU cores, {platform.system()} · Python "
        f"{platform.python_version()} · {versions}"
    )
    # The five products of a step (arithmetic_floor), 2 FLOP per weight and image: layer 1 forward
    # and its weight gradient, layer 2 forward, its weight gradient and its input gradient.
    flop_per_image = 2 * (2 * 784 * HIDDEN + 3 * HIDDEN * 10)
    print(
        f"784-100-10 ReLU, SGD {LEARNING_RATE}, batch {BATCH_SIZE}: one epoch of {args.images:,} "
        f"images ({args.images // BATCH_SIZE:,} steps, "
        f"{flop_per_image * args.images / 1e9:.1f} GFLOP), "
        f"median and range of {args.repeats} epochs"
    )
    print(table(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
