"""Predict with an exported SavedModel in a Python process of its own, as a server would.

Usage: python serve_savedmodel.py EXPORTED_FOLDER IMAGES.npy PROBABILITIES.npy

`model.export(folder)` (notebook 08) writes a TensorFlow SavedModel: the model's forward pass and
its weights, with no Python code of ours. This script needs TensorFlow and NumPy only, not Keras and
not this project: it loads the folder, calls its `serve` endpoint on the images and saves what comes
out.
"""

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # keep TensorFlow's C++ log lines quiet

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402


def main(folder: str, images_file: str, out_file: str) -> None:
    """Load the SavedModel in `folder`, predict the images in `images_file`, save to `out_file`."""
    served = tf.saved_model.load(folder)
    images = np.load(images_file)
    probabilities = served.serve(tf.constant(images)).numpy()
    np.save(out_file, probabilities)
    print(
        f"TensorFlow {tf.__version__} in process {os.getpid()}: serve{tuple(images.shape)} -> "
        f"{probabilities.shape}"
    )


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(*sys.argv[1:])
