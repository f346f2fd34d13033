"""Train the notebooks' dense network as one worker of a `MultiWorkerMirroredStrategy` cluster.

Usage: python multi_worker_train.py OUT_FOLDER --epochs N --per-replica-batch B
       --learning-rate R --seed S [--train-images N]

Every worker runs this same script; the environment variable `TF_CONFIG`, set by whoever starts the
workers (notebook 12 does it with `utils.cluster`), lists the cluster and says which worker this is.
Without `TF_CONFIG` the script trains alone, as a cluster of one. Worker 0, the chief, writes the
trained model (`model.keras`) and its history (`history.json`) to OUT_FOLDER; the others write
nothing.

We could not make Keras' `fit` run under `MultiWorkerMirroredStrategy` in Keras 3 (see
keras-team/keras#20585), so the training loop is written out with `strategy.run`, as in notebook
09's custom loop. The script has no fault tolerance: if a worker fails, every worker stops and the
training starts over. (`keras.callbacks.BackupAndRestore` serves `fit` only; a custom loop would
save a `tf.train.Checkpoint` through a `tf.train.CheckpointManager` every epoch and restore it at
the start.)
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # keep TensorFlow's C++ log lines quiet
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the project's `utils`

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from utils import load_splits  # noqa: E402
from utils.models import dense_model  # noqa: E402


def batches(x: np.ndarray, y: np.ndarray, global_batch: int, seed: int) -> tf.data.Dataset:
    """The training images in global batches, shuffled the same way on every worker from `seed`."""
    dataset = tf.data.Dataset.from_tensor_slices((x, y)).shuffle(
        len(x), seed=seed, reshuffle_each_iteration=True
    )
    options = tf.data.Options()
    # Each worker keeps its share of every global batch: worker i takes the i-th slice.
    options.experimental_distribute.auto_shard_policy = tf.data.experimental.AutoShardPolicy.DATA
    return dataset.batch(global_batch, drop_remainder=True).with_options(options)


def train(
    strategy: tf.distribute.Strategy,
    data: tuple,
    *,
    epochs: int,
    per_replica_batch: int,
    learning_rate: float,
    seed: int,
) -> tuple[keras.Model, dict[str, list[float]]]:
    """Train with Adam under `strategy`; return the model and its history (per epoch: loss,
    validation accuracy and seconds).
    """
    (x_train, y_train), (x_val, y_val) = data
    global_batch = per_replica_batch * strategy.num_replicas_in_sync  # one step, all replicas
    keras.utils.set_random_seed(seed)  # the same initial weights on every worker
    with strategy.scope():  # variables created here are mirrored on every replica of every worker
        model = dense_model()
        optimizer = keras.optimizers.Adam(learning_rate=learning_rate)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(reduction=None)  # one loss per image

    def replica_step(images, labels):
        with tf.GradientTape() as tape:
            per_image = loss_fn(labels, model(images, training=True))
            # Divide by the global batch: the optimizer adds up the replicas' gradients.
            loss = tf.nn.compute_average_loss(per_image, global_batch_size=global_batch)
        optimizer.apply(tape.gradient(loss, model.trainable_variables), model.trainable_variables)
        return loss

    @tf.function
    def train_step(batch):
        losses = strategy.run(replica_step, args=batch)
        return strategy.reduce("SUM", losses, axis=None)

    dataset = strategy.experimental_distribute_dataset(
        batches(x_train, y_train, global_batch, seed)
    )
    history = {"loss": [], "val_accuracy": [], "seconds": []}
    for _ in range(epochs):
        start, total, steps = time.perf_counter(), 0.0, 0
        for batch in dataset:
            total += float(train_step(batch))
            steps += 1
        history["seconds"].append(time.perf_counter() - start)
        history["loss"].append(total / steps)
        # Every worker holds the same weights: score them here.
        predicted = np.argmax(model(x_val, training=False).numpy(), axis=1)
        history["val_accuracy"].append(float(np.mean(predicted == y_val)))
    return model, history


def main() -> None:
    """Join the cluster that TF_CONFIG describes, train, and have the chief save the result."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--epochs", type=int, required=True)
    parser.add_argument("--per-replica-batch", type=int, required=True)
    parser.add_argument("--learning-rate", type=float, required=True)
    parser.add_argument("--seed", type=int, required=True)
    parser.add_argument("--train-images", type=int, default=None)
    args = parser.parse_args()

    strategy = tf.distribute.MultiWorkerMirroredStrategy()  # reads TF_CONFIG; waits for all
    task = json.loads(os.environ.get("TF_CONFIG", "{}")).get("task", {"type": "worker", "index": 0})
    (x_train, y_train), (x_val, y_val), _ = load_splits()
    x_train, y_train = x_train[: args.train_images], y_train[: args.train_images]
    model, history = train(
        strategy,
        ((x_train, y_train), (x_val, y_val)),
        epochs=args.epochs,
        per_replica_batch=args.per_replica_batch,
        learning_rate=args.learning_rate,
        seed=args.seed,
    )
    print(
        f"worker {task['index']} (pid {os.getpid()}): {strategy.num_replicas_in_sync} replicas, "
        f"validation accuracy {history['val_accuracy'][-1]:.4f}",
        flush=True,
    )
    # Only the chief saves. TensorFlow's guide has every worker save (the others to a temporary
    # folder) because saving a SavedModel or checkpoint may run collective operations that every
    # worker must join; a Keras `.keras` file only reads the weights, which every worker holds
    # the same after the last all-reduce, so one copy from the chief is enough.
    if task["index"] == 0:
        args.out.mkdir(parents=True, exist_ok=True)
        model.save(args.out / "model.keras")
        (args.out / "history.json").write_text(json.dumps(history))


if __name__ == "__main__":
    main()
