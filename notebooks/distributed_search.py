"""One process of a KerasTuner search spread over several processes: the chief's oracle, or a
worker.

Usage: python distributed_search.py FOLDER --trials N --epochs E --seed S [--train-images N]

KerasTuner reads three environment variables (notebook 12 sets them with `utils.cluster`):
`KERASTUNER_TUNER_ID` is "chief" for the process that holds the oracle (it proposes every trial and
records every result, and trains nothing) and "tuner0", "tuner1", ... for the workers, which ask the
chief for a trial, train it and report back; `KERASTUNER_ORACLE_IP` and `KERASTUNER_ORACLE_PORT` say
where the chief listens. Every process runs this same script on a shared FOLDER; each worker prints
a line per trial it runs.
"""

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # keep TensorFlow's C++ log lines quiet
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project's `utils`

import keras  # noqa: E402
import keras_tuner  # noqa: E402

from utils import load_splits  # noqa: E402
from utils.models import dense_model  # noqa: E402


def build_model(hp: keras_tuner.HyperParameters) -> keras.Model:
    """A dense network with a searched width, dropout and learning rate."""
    model = dense_model(
        hidden_units=hp.Choice("units", [64, 128, 256, 512]),
        dropout=hp.Choice("dropout", [0.0, 0.2]),
    )
    learning_rate = hp.Float("learning_rate", 1e-4, 1e-2, sampling="log")
    model.compile(
        optimizer=keras.optimizers.Adam(learning_rate),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


class ReportingSearch(keras_tuner.RandomSearch):
    """RandomSearch that prints which process runs which trial."""

    def run_trial(self, trial, *args, **kwargs):
        print(
            f"{os.environ.get('KERASTUNER_TUNER_ID', 'alone')} runs trial {trial.trial_id}",
            flush=True,
        )
        return super().run_trial(trial, *args, **kwargs)


def main() -> None:
    """Join the search as the chief or as a worker, as KERASTUNER_TUNER_ID says."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--trials", type=int, required=True)
    parser.add_argument("--epochs", type=int, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--train-images", type=int, default=None)
    args = parser.parse_args()

    tuner = ReportingSearch(
        build_model,
        objective="val_accuracy",
        max_trials=args.trials,
        seed=args.seed,
        directory=args.folder,
        project_name="search",
    )
    (x_train, y_train), (x_val, y_val), _ = load_splits()
    keras.utils.set_random_seed(args.seed)
    # On the chief, search() serves the oracle until the workers are done; a worker runs trials.
    tuner.search(
        x_train[: args.train_images],
        y_train[: args.train_images],
        epochs=args.epochs,
        validation_data=(x_val, y_val),
        batch_size=128,
        verbose=0,
    )


if __name__ == "__main__":
    main()
