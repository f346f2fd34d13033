"""utils.runtime: run mode, setup (seeds, report), and native log lines kept out of notebook
outputs.
"""

from __future__ import annotations

import logging
import random
import uuid

import nbformat
import numpy as np
import pytest
from nbclient import NotebookClient

from tools.nbmeta import NOTEBOOKS_DIR, setup_cell
from utils import runtime
from utils.runtime import (
    artifacts_dir,
    by_mode,
    median_seconds,
    project_root,
    quiet_native_logs,
    run_mode,
    setup,
)


def test_run_mode_defaults_to_full(monkeypatch):
    monkeypatch.delenv("FMNIST_RUN_MODE", raising=False)
    assert run_mode() == "full"
    assert by_mode(full=20, smoke=1) == 20


def test_run_seed_comes_from_the_environment(monkeypatch):
    monkeypatch.delenv("FMNIST_SEED", raising=False)
    assert runtime.run_seed() == 42
    monkeypatch.setenv("FMNIST_SEED", " 7 ")
    assert runtime.run_seed() == 7
    for bad in ("-1", "1.5", "forty-two", str(2**32)):
        monkeypatch.setenv("FMNIST_SEED", bad)
        with pytest.raises(ValueError, match="FMNIST_SEED"):
            runtime.run_seed()


def test_smoke_mode(monkeypatch):
    monkeypatch.setenv("FMNIST_RUN_MODE", "Smoke ")
    assert run_mode() == "smoke"
    assert by_mode(full=20, smoke=1) == 1


def test_unknown_run_mode_is_an_error(monkeypatch):
    monkeypatch.setenv("FMNIST_RUN_MODE", "fast")
    with pytest.raises(ValueError, match="'fast': expected one of full, smoke"):
        run_mode()


def test_artifacts_dir_is_under_the_ignored_folder():
    folder = artifacts_dir("test-runtime")
    assert folder == project_root() / "artifacts" / "test-runtime" and folder.is_dir()
    folder.rmdir()
    assert "artifacts/" in (project_root() / ".gitignore").read_text().splitlines()


def test_quiet_native_logs_leaves_a_plain_process_alone(tmp_path):
    assert quiet_native_logs(tmp_path / "log") is None  # pytest's stderr is descriptor 2 itself
    assert not (tmp_path / "log").exists()


def test_setup_rejects_an_unknown_notebook():
    with pytest.raises(ValueError, match="no notebooks/99_nope.ipynb"):
        setup("99_nope")


def test_current_run_before_setup_is_an_error(monkeypatch):
    monkeypatch.setattr(runtime, "_state", {})
    with pytest.raises(RuntimeError, match="call utils.setup"):
        runtime.current_run()


def test_setup_seeds_everything_and_reports(monkeypatch, capsys):
    import tensorflow as tf

    monkeypatch.setenv("FMNIST_RUN_MODE", "smoke")
    monkeypatch.setenv("FMNIST_SEED", "7")
    draws = []
    for _ in range(2):
        assert setup("00_data_tour") == 7
        draws.append((random.random(), np.random.rand(), float(tf.random.uniform(()))))
    assert draws[0] == draws[1]
    assert setup("00_data_tour", seed=8) == 8  # an explicit seed wins over FMNIST_SEED
    assert (random.random(), np.random.rand(), float(tf.random.uniform(()))) != draws[0]
    setup("00_data_tour", seed=7)
    out = capsys.readouterr().out
    assert (
        "TensorFlow 2." in out
        and "Keras 3." in out
        and "Keras backend: tensorflow · device: " in out
    )
    assert "Training path: TensorFlow on CPU, op determinism off, no XLA" in out
    assert "Run mode: smoke · seed 7" in out
    run = runtime.current_run()
    assert run["notebook"] == "00_data_tour" and run["mode"] == "smoke" and run["seed"] == 7
    assert run["backend"] == "tensorflow" and run["training_path"].startswith("TensorFlow on CPU")
    # no retracing warnings or INFO lines
    assert (tf.get_logger().getEffectiveLevel() == logging.ERROR)


def test_on_a_cpu_tensorflow_trains_with_op_determinism_off_and_no_xla():
    from tensorflow.python.framework import config as tf_config

    tf_config.enable_op_determinism()  # as an earlier setup of this process might have left it
    assert runtime.configure_training(0) == "TensorFlow on CPU, op determinism off, no XLA"
    assert not tf_config.is_op_determinism_enabled()
    assert runtime.fast_path(1500) == {"steps_per_execution": 1500, "jit_compile": False}


def test_fast_path_needs_setup_and_a_positive_step_count(monkeypatch):
    monkeypatch.setattr(runtime, "_state", {})
    with pytest.raises(RuntimeError, match="call utils.setup"):
        runtime.fast_path(10)
    monkeypatch.setattr(runtime, "_state", {"jit_compile": True})
    with pytest.raises(ValueError, match="at least 1"):
        runtime.fast_path(0)


def test_fast_path_compiles_a_model_that_trains_as_without_it():
    import keras

    from utils.models import dense_model

    runtime.configure_training(0)
    x = np.random.default_rng(0).random((320, 28, 28), dtype=np.float32)
    y = np.arange(320) % 10
    losses = []
    for options in ({}, runtime.fast_path(10)):
        keras.utils.set_random_seed(0)
        model = dense_model(hidden_units=16)
        model.compile(optimizer="sgd", loss="sparse_categorical_crossentropy", **options)
        losses.append(
            model.fit(x, y, batch_size=32, epochs=2, shuffle=False, verbose=0).history["loss"]
        )
        assert model.jit_compile is False  # what setup chose for TensorFlow on a CPU
    # the same mathematics, 10 steps per call
    np.testing.assert_allclose(losses[0], losses[1], rtol=1e-6)


def test_require_backend_stops_other_backends_with_one_line():
    runtime.require_backend("tensorflow")  # this process runs TensorFlow: nothing happens
    with pytest.raises(
        runtime.BackendError, match="needs KERAS_BACKEND=jax; Keras runs on tensorflow"
    ) as caught:
        runtime.require_backend("jax")
    # how Jupyter shows it
    assert caught.value._render_traceback_() == [f"BackendError: {caught.value}"]


def test_native_log_lines_stay_out_of_notebook_outputs():
    """In a real kernel: C++ writes to descriptor 2 go to the log file; Python warnings still show.
    """
    token = f"I0000 native-noise-{uuid.uuid4().hex}"
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(setup_cell("00_data_tour")),
            nbformat.v4.new_code_cell(
                "import os, warnings\nimport tensorflow as tf\n"
                f"os.write(2, b'{token}\\n')\n"
                "print(float(tf.reduce_sum(tf.ones(3))))\n"
                "warnings.warn('a Python warning stays visible')"
            ),
        ]
    )
    NotebookClient(
        nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(NOTEBOOKS_DIR)}}
    ).execute()
    outputs = [o for cell in nb.cells for o in cell.outputs]
    text = "".join(o.get("text", "") for o in outputs)
    assert token not in text and "I0000" not in text and "absl" not in text
    assert "3.0" in text
    stderr = "".join(o.text for o in outputs if o.output_type == "stream" and o.name == "stderr")
    assert "a Python warning stays visible" in stderr
    assert token in (project_root() / runtime.NATIVE_LOG).read_text()


def test_versions_are_compared_with_the_pinned_ones(tmp_path):
    requirements = tmp_path / "requirements.txt"
    requirements.write_text(
        "# a comment\ntensorflow-cpu==2.21.0\nKeras == 3.15.1  # why\nml_dtypes==0.6.0\n"
        "-r requirements-run.txt\npytest>=9\n"
    )
    pins = runtime.pinned_versions(requirements)
    assert pins == {"tensorflow": "2.21.0", "keras": "3.15.1", "ml-dtypes": "0.6.0"}
    assert runtime.pinned_versions(tmp_path / "absent.txt") == {}
    same = {"python": "3.11.7", "tensorflow": "2.21.0", "keras": "3.15.1"}
    assert runtime.versions_note(same, pins).startswith(
        "These are the versions the stored outputs were made with"
    )
    colab = {"python": "3.12.1", "tensorflow": "2.19.0", "keras": "3.15.1"}
    assert runtime.versions_note(colab, pins) == (
        "The stored outputs were made with TensorFlow 2.21.0 "
        "(requirements.txt); with other versions your trained "
        "numbers may differ a little."
    )
    assert runtime.versions_note(same, {}).startswith("No requirements.txt")
    # the project's own file
    assert set(runtime.pinned_versions()) >= {"tensorflow", "keras", "numpy"}


def test_median_seconds_is_robust_to_one_slow_call(monkeypatch):
    clock = iter([0.0, 1.0, 10.0, 12.0, 20.0, 120.0])  # three calls taking 1 s, 2 s and 100 s
    monkeypatch.setattr(runtime.time, "perf_counter", lambda: next(clock))
    calls = []
    assert median_seconds(lambda: calls.append(1), repeats=3) == 2.0
    assert len(calls) == 3
    with pytest.raises(ValueError, match="at least 1"):
        median_seconds(lambda: None, repeats=0)
    calls.clear()  # with a label (a progress line in Jupyter; nothing here) it times the same calls
    clock = iter([0.0, 1.0, 10.0, 13.0])
    assert median_seconds(lambda: calls.append(1), repeats=2, label="timed call") == 2.0
    assert len(calls) == 2


def test_a_tensorflow_notebook_on_jax_stops_at_its_first_cell_with_one_line(monkeypatch):
    """In a real kernel with KERAS_BACKEND=jax: setup works, require_backend stops the run, one line
    shown.
    """
    pytest.importorskip("jax")
    from nbclient.exceptions import CellExecutionError

    monkeypatch.setenv("KERAS_BACKEND", "jax")
    nb = nbformat.v4.new_notebook(
        cells=[
            nbformat.v4.new_code_cell(setup_cell("09_autodiff_and_custom_training_loop")),
            nbformat.v4.new_code_cell(
                "import keras\n"
                "keras.Sequential([keras.Input((3,)), "
                "keras.layers.Dense(2)]).summary(print_fn=print)"
            ),
            nbformat.v4.new_code_cell('utils.require_backend("tensorflow")\nprint("not reached")'),
        ]
    )
    with pytest.raises(CellExecutionError):
        NotebookClient(
            nb,
            timeout=300,
            kernel_name="python3",
            resources={"metadata": {"path": str(NOTEBOOKS_DIR)}},
        ).execute()
    setup_text = "".join(o.get("text", "") for o in nb.cells[0].outputs)
    assert "Keras backend: jax" in setup_text and "Training path: JAX" in setup_text
    assert "JAX's C++ log lines go to" in setup_text and "TensorFlow" not in setup_text
    # the versions, compared with the pinned ones
    assert ("requirements.txt" in setup_text.splitlines()[1])
    summary = nb.cells[
        1
    ].outputs  # the summary's text only: no empty HTML output from rich above it
    assert [o.output_type for o in summary] == ["stream"] and "Total params: 8" in summary[0].text
    [error] = nb.cells[2].outputs
    assert error.output_type == "error" and error.ename == "BackendError"
    assert (
        len(error.traceback) == 1
        and "needs KERAS_BACKEND=tensorflow; Keras runs on jax" in error.traceback[0]
    )
