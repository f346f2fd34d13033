"""Train the notebooks' network once on the training path `utils.setup` chooses, and save its
weights.

    python -m tools.fingerprint --out artifacts/a.npz              # prints the weights' SHA-256
    KERAS_BACKEND=jax python -m tools.fingerprint --out b.npz      # the same on JAX
    python -m tools.fingerprint --out c.npz --plant-nondeterminism # a planted bug: an unseeded
    shuffle
    python -m tools.fingerprint --out d.npz --plain                # a plain compile, as notebook
    04's

Two runs with the same seed on the same machine must print the same fingerprint: that is what
"reproducible" means here, and `tests/test_reproducible.py` checks it in separate processes. The
model has every source of randomness the notebooks have: initial weights, shuffled batches, dropout
masks and Adam's updates, trained on `fast_path` (many steps per call, XLA where it is
reproducible), or with `--plain` on a plain `compile` (one step per call, no XLA), as notebook 04
and 09 train.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

import numpy as np

from utils.runtime import DEFAULT_SEED, configure_training, fast_path, quiet_native_logs

N_IMAGES = 9_600
BATCH_SIZE = 32


def train(
    seed: int = DEFAULT_SEED,
    epochs: int = 2,
    plant_nondeterminism: bool = False,
    plain: bool = False,
) -> list[np.ndarray]:
    """Return the weights of `dense_model(dropout=0.2)` after `epochs` of Adam on 9,600 images.
    """
    from utils import load_splits
    from utils.models import dense_model

    training_path = configure_training(seed)
    (x_train, y_train), (x_val, y_val), _ = load_splits()
    x, y = x_train[:N_IMAGES], y_train[:N_IMAGES]
    if plant_nondeterminism:  # the bug a forgotten seed makes: a different data order in every run
        order = np.random.default_rng().permutation(len(x))
        x, y = x[order], y[order]
    model = dense_model(dropout=0.2)
    model.compile(
        optimizer="adam",
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
        **({} if plain else fast_path(steps_per_execution=N_IMAGES // BATCH_SIZE)),
    )
    model.fit(
        x,
        y,
        batch_size=BATCH_SIZE,
        epochs=epochs,
        validation_data=(x_val[:2_000], y_val[:2_000]),
        verbose=0,
    )
    print(f"trained on: {'a plain compile' if plain else training_path}")
    return [np.asarray(w) for w in model.get_weights()]


def fingerprint(weights: list[np.ndarray]) -> str:
    """Return the SHA-256 of the weights' exact bytes: equal fingerprints mean bit-identical
    weights.
    """
    digest = hashlib.sha256()
    for w in weights:
        digest.update(str((w.shape, w.dtype)).encode())
        digest.update(np.ascontiguousarray(w).tobytes())
    return digest.hexdigest()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tools.fingerprint", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--out", type=Path, required=True, help="where to save the weights (.npz)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument(
        "--plant-nondeterminism",
        action="store_true",
        help="shuffle the data with an unseeded generator, as a forgotten seed would",
    )
    parser.add_argument(
        "--plain", action="store_true", help="compile plainly instead of with fast_path"
    )
    args = parser.parse_args(argv)
    if args.epochs < 1:
        parser.error("--epochs must be at least 1")
    quiet_native_logs()  # sets TF_CPP_MIN_LOG_LEVEL before TensorFlow is imported
    weights = train(args.seed, args.epochs, args.plant_nondeterminism, args.plain)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    np.savez(args.out, *weights)
    print(f"weights fingerprint: {fingerprint(weights)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
