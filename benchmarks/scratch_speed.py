"""Benchmark the from-scratch NumPy code on this machine (notebooks 02 and 03).

Prints, for the 784-50-10 `TwoLayerNet` of notebook 02, the seconds of one training iteration (batch
100) with numerical gradients and with backpropagation, and their ratio; and, for the 784-50-100-10
network of notebook 03, images per second of the forward pass one image at a time and in batches of
100, and their ratio. A benchmark, not a test: the numbers depend on the machine.

    .venv/bin/python -m benchmarks.scratch_speed [--repeats 3]
"""

from __future__ import annotations

import argparse
import os
import platform

import numpy as np

from utils import load_fashion_mnist, median_seconds
from utils.scratch import MLP, TwoLayerNet


def iteration_seconds(
    net: TwoLayerNet, numerical: bool, x: np.ndarray, t: np.ndarray, repeats: int
) -> float:
    """Return the median seconds of one SGD iteration (gradient + update, rate 0.1) on (x, t).
    """
    gradient = net.numerical_gradient if numerical else net.gradient

    def step() -> None:
        for name, grad in gradient(x, t).items():
            net.params[name] -= 0.1 * grad

    return median_seconds(step, repeats=repeats)


def images_per_second(net: MLP, x: np.ndarray, batch_size: int, repeats: int) -> float:
    """Return how many images per second `net.predict` classifies when fed batches of `batch_size`.
    """

    def classify() -> None:
        for i in range(0, len(x), batch_size):
            net.predict(x[i : i + batch_size]).argmax(axis=1)

    return len(x) / median_seconds(classify, repeats=repeats)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--repeats", type=int, default=3, help="median of this many runs (default 3)"
    )
    args = parser.parse_args(argv)

    (x_train, t_train), (x_test, _) = load_fashion_mnist()
    x_batch, t_batch = x_train[:100].reshape(-1, 784) / 255.0, t_train[:100]
    x_test = x_test.reshape(-1, 784) / 255.0
    print(
        f"Machine: {platform.machine()}, {os.cpu_count()} CPU cores, {platform.system()} · "
        f"Python {platform.python_version()} · NumPy {np.__version__}"
    )

    net = TwoLayerNet(784, 50, 10, seed=0)
    backprop = iteration_seconds(net, False, x_batch, t_batch, repeats=max(args.repeats, 20))
    numerical = iteration_seconds(net, True, x_batch, t_batch, repeats=args.repeats)
    print(
        f"TwoLayerNet 784-50-10, one iteration of batch 100: backprop {backprop * 1e3:.2f} ms, "
        f"numerical {numerical:.1f} s, ratio {numerical / backprop:,.0f}x"
    )
    print(
        f"  10,000 iterations: backprop {10_000 * backprop:.0f} s, numerical "
        f"{10_000 * numerical / 3600:.0f} h"
    )

    # speed does not depend on training
    mlp = MLP([784, 50, 100, 10], weight_init_std="lecun", seed=0)
    one = images_per_second(mlp, x_test, 1, args.repeats)
    hundred = images_per_second(mlp, x_test, 100, args.repeats)
    print(
        f"MLP 784-50-100-10 forward pass: batch 1 {one:,.0f} images/s, batch 100 {hundred:,.0f} "
        f"images/s, "
        f"ratio {hundred / one:.1f}x"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
