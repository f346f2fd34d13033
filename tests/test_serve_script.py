"""notebooks/serve_savedmodel.py: notebook 08's stand-alone server script, outside the notebook."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

from tools.nbmeta import ROOT

SCRIPT = ROOT / "notebooks" / "serve_savedmodel.py"


def test_usage_without_arguments():
    done = subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, timeout=120, check=False
    )
    assert (
        done.returncode == 1 and "Usage: python serve_savedmodel.py EXPORTED_FOLDER" in done.stderr
    )


def test_predicts_what_the_model_predicts(tmp_path):
    pytest.importorskip("tensorflow")  # model.export writes a TensorFlow SavedModel
    import keras

    from utils.models import dense_model

    keras.utils.set_random_seed(0)
    model = dense_model(hidden_units=8)
    images = np.random.default_rng(0).random((5, 28, 28), dtype=np.float32)
    model.export(tmp_path / "exported", verbose=False)
    np.save(tmp_path / "images.npy", images)
    done = subprocess.run(
        [
            sys.executable,
            str(SCRIPT),
            str(tmp_path / "exported"),
            str(tmp_path / "images.npy"),
            str(tmp_path / "out.npy"),
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "serve(5, 28, 28) -> (5, 10)" in done.stdout
    np.testing.assert_allclose(np.load(tmp_path / "out.npy"), np.asarray(model(images)), atol=1e-6)
