"""utils.profile: a real profile of a few training steps, read back."""

import pytest

from utils.profile import read_profile


def test_a_profile_of_real_steps_is_read_back(tmp_path):
    keras = pytest.importorskip("keras")
    if keras.backend.backend() != "tensorflow":
        pytest.skip("the profiler is TensorFlow's")
    import numpy as np

    from utils.models import dense_model

    keras.utils.set_random_seed(0)
    x = np.random.default_rng(0).random((640, 28, 28), dtype=np.float32)
    y = np.arange(640) % 10
    model = dense_model()
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    model.fit(
        x,
        y,
        batch_size=32,
        epochs=1,
        verbose=0,
        callbacks=[keras.callbacks.TensorBoard(tmp_path, profile_batch=(5, 9))],
    )
    profile = read_profile(tmp_path)
    assert profile.steps == 5
    assert 0 < profile.seconds < 60
    assert any("MatMul" in op for op in profile.kernel_seconds), profile.kernel_seconds
    assert list(profile.kernel_seconds.values()) == sorted(
        profile.kernel_seconds.values(), reverse=True
    )
    assert 0 < profile.kernel_share


def test_no_profile_says_what_to_check(tmp_path):
    with pytest.raises(FileNotFoundError, match="profile_batch"):
        read_profile(tmp_path)
