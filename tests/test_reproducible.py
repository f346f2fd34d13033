"""Same seed, same machine, same weights: the training path `utils.setup` chooses is
bit-reproducible.

Each run is a separate Python process (a fresh TensorFlow or JAX, as a learner re-running a notebook
gets), training the notebooks' network with initial weights, shuffling, dropout and Adam. A planted
source of nondeterminism (an unseeded shuffle) must make the comparison fail, so the test can fail.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys

import numpy as np
import pytest

from tools.nbmeta import ROOT

BACKENDS = [
    pytest.param(
        name,
        marks=pytest.mark.skipif(
            importlib.util.find_spec(name) is None, reason=f"{name} is not installed"
        ),
    )
    for name in ("tensorflow", "jax")
]


def train_in_new_process(backend: str, out, *extra: str) -> list[np.ndarray]:
    env = {**os.environ, "KERAS_BACKEND": backend}
    done = subprocess.run(
        [sys.executable, "-m", "tools.fingerprint", "--out", str(out), *extra],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    with np.load(out) as saved:
        return [saved[f"arr_{i}"] for i in range(len(saved.files))]


def bit_identical(a: list[np.ndarray], b: list[np.ndarray]) -> bool:
    return len(a) == len(b) and all(
        x.dtype == y.dtype and np.array_equal(x, y) for x, y in zip(a, b)
    )


@pytest.mark.parametrize("backend", BACKENDS)
def test_two_processes_train_bit_identical_weights_and_a_planted_bug_is_caught(backend, tmp_path):
    first = train_in_new_process(backend, tmp_path / "first.npz")
    second = train_in_new_process(backend, tmp_path / "second.npz")
    differences = [float(np.max(np.abs(x - y))) for x, y in zip(first, second)]
    assert bit_identical(first, second), (
        f"{backend}: two runs differ, largest differences per array {differences}"
    )

    planted = train_in_new_process(backend, tmp_path / "planted.npz", "--plant-nondeterminism")
    assert not bit_identical(first, planted), (
        "an unseeded shuffle must change the weights: the check is blind"
    )


@pytest.mark.parametrize("backend", BACKENDS[:1])
def test_a_plain_compile_is_reproducible_too(backend, tmp_path):
    """Notebook 04's plain compile and 09's own loop train without XLA, and op determinism is off on
    a CPU.
    """
    first = train_in_new_process(backend, tmp_path / "first.npz", "--plain")
    second = train_in_new_process(backend, tmp_path / "second.npz", "--plain")
    assert bit_identical(first, second), f"{backend}: two plain runs differ"


def test_fingerprint_tells_weights_apart():
    from tools.fingerprint import fingerprint

    weights = [np.arange(6, dtype=np.float32).reshape(2, 3), np.zeros(3, dtype=np.float32)]
    nudged = [weights[0].copy(), weights[1].copy()]
    nudged[0][1, 2] = np.nextafter(nudged[0][1, 2], np.float32(9))  # one bit in one weight
    assert fingerprint(weights) == fingerprint([w.copy() for w in weights])
    assert fingerprint(weights) != fingerprint(nudged)
    # same bytes, other shape
    assert fingerprint(weights) != fingerprint([weights[0].reshape(3, 2), weights[1]])
