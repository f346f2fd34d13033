"""pytest runs the notebooks in smoke mode unless FMNIST_RUN_MODE says otherwise.

Under a Keras backend other than TensorFlow (`KERAS_BACKEND=jax`, as `make test` runs a second
time), only the notebooks that use Keras alone run; the others are skipped, saying why.
"""

import os

import pytest

os.environ.setdefault("FMNIST_RUN_MODE", "smoke")


def pytest_collection_modifyitems(config, items):
    backend = os.environ.get("KERAS_BACKEND", "").strip() or "tensorflow"
    if backend == "tensorflow":
        return
    from tools.nbmeta import keras_backends

    kinds = {}
    for item in items:
        path = item.path
        if path.suffix != ".ipynb":
            continue
        kind = kinds.setdefault(path, keras_backends(path))
        if kind != "any":
            why = (
                "teaches TensorFlow itself"
                if kind == "tensorflow"
                else "uses no Keras: nothing differs by backend"
            )
            item.add_marker(
                pytest.mark.skip(
                    reason=f"{path.name} {why}; {backend} runs the Keras-only notebooks"
                )
            )
