"""utils.progress: a live line in a Jupyter kernel, replaced by a summary; nothing outside one."""

from __future__ import annotations

import copy
import types

import pytest

from utils import live_progress as progress_module
from utils.live_progress import clock, epoch_progress, progress


class FakeHandle:
    def __init__(self, shown: list[str]) -> None:
        self.shown = shown

    def update(self, data: dict, raw: bool = False) -> None:
        self.shown.append(data["text/plain"])


@pytest.fixture
def kernel(monkeypatch):
    """A stand-in Jupyter kernel: records what the progress line shows and the cell-end hook."""
    shown: list[str] = []
    hooks: list = []
    shell = types.SimpleNamespace(
        kernel=object(),
        events=types.SimpleNamespace(register=lambda event, fn: hooks.append((event, fn))),
    )
    display = types.ModuleType("IPython.display")
    display.display = lambda data, raw=False, display_id=False: (  # type: ignore[attr-defined]
        shown.append(data["text/plain"]) or FakeHandle(shown)
    )
    monkeypatch.setattr(progress_module, "_kernel", lambda: shell)
    monkeypatch.setattr(progress_module, "_hooked", False)
    monkeypatch.setattr(progress_module, "REFRESH_S", 0.0)
    monkeypatch.setitem(__import__("sys").modules, "IPython.display", display)
    yield types.SimpleNamespace(shown=shown, hooks=hooks)
    progress_module._levels.clear()
    progress_module._live = None


def test_outside_a_kernel_items_pass_through_and_nothing_shows():
    assert list(progress(["a", "b"], "setting")) == ["a", "b"]
    assert progress_module._live is None


def test_clock_reads_like_a_clock():
    assert (clock(5), clock(83), clock(3725)) == ("0:05", "1:23", "1:02:05")


def test_the_line_counts_nested_levels_and_ends_as_a_summary(kernel):
    for _name in progress(["SGD", "Adam"], "optimizer"):
        for _seed in progress([1, 2, 3], "seed"):
            pass
    lines = kernel.shown
    assert lines[0].startswith("optimizer 1 of 2: SGD · ") and "elapsed" in lines[0]
    assert any(line.startswith("optimizer 2 of 2: Adam · seed 3 of 3 · ") for line in lines)
    assert any("left" in line for line in lines)
    assert lines[-1].startswith("Done in ") and lines[-1].endswith(": 2 optimizers")
    assert progress_module._live is None and progress_module._levels == []


def test_a_loop_stopped_by_an_error_says_where_it_stopped(kernel):
    with pytest.raises(RuntimeError):
        for seed in progress([1, 2, 3], "seed"):
            if seed == 2:
                raise RuntimeError("diverged")
    ((event, at_cell_end),) = kernel.hooks
    assert event == "post_run_cell"
    at_cell_end()
    last = kernel.shown[-1]
    assert last.startswith("Stopped after ") and last.endswith("seed 2 of 3")
    assert progress_module._live is None


def test_epoch_callback_shows_epochs_and_counts_runs(kernel):
    original = epoch_progress(runs=2, label="trial")
    for _run in range(2):
        callback = copy.deepcopy(original)  # as KerasTuner trains each trial with a copy
        callback.set_params({"epochs": 3})
        callback.on_train_begin()
        for epoch in range(3):
            callback.on_epoch_end(epoch)
        callback.on_train_end()
    assert any(line.startswith("trial 2 of 2 · epoch 2/3 · ") for line in kernel.shown)
    assert kernel.shown[-1].startswith("Done in ") and kernel.shown[-1].endswith(": 2 trials")
    assert progress_module._live is None


def test_a_resumed_count_starts_after_the_runs_already_done(kernel):
    callback = epoch_progress(runs=3, label="trial", done=1)
    callback.set_params({"epochs": 1})
    callback.on_train_begin()
    assert kernel.shown[-1].startswith("trial 2 of 3 · epoch 0/1 · ")
