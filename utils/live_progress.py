"""Live progress for long cells: what runs, how far it has got, the time spent and an estimate of
what is left.

In Jupyter, JupyterLab and Colab one line is shown under the cell and updated in place (an IPython
display with a `display_id`), for example

    optimizer 3 of 8: Adam · seed 2 of 3 · epoch 12/20 · 1:23 elapsed · about 2:40 left

What the cell prints goes below that line, as usual. When the loop ends the line is replaced by one
summary line ("Done in 4:12: 8 optimizers"), so stored notebooks carry no progress bars, escape
codes or widget state. If the cell stops early (an error, an interrupt), the line says where it
stopped ("Stopped after 2:05, at optimizer 3 of 8: Adam · seed 2 of 3").

    for name in utils.progress(optimizers, "optimizer"):  # one level: the optimizers
        model.fit(..., callbacks=[utils.epoch_progress()])  # the epochs of each run

Levels nest (`over_seeds` opens a "seed" level of its own). Outside a Jupyter kernel (scripts,
tests, tools) nothing is shown and the items pass straight through.
"""

from __future__ import annotations

import sys
import time
import uuid
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, TypeVar

T = TypeVar("T")

REFRESH_S = 0.5  # at most two updates a second: each update is a message to the front end


@dataclass(eq=False)  # levels are told apart by identity
class _Level:
    label: str
    total: int | None
    index: int = 0
    name: str = ""
    summary: str | None = None  # what the closing line says was done, if not "n labels"

    def text(self) -> str:
        of = f" of {self.total}" if self.total else ""
        return f"{self.label} {self.index}{of}" + (f": {self.name}" if self.name else "")


class _Live:
    """The one progress line of the running cell: a display updated in place."""

    def __init__(self) -> None:
        from IPython.display import display

        self.started = time.perf_counter()
        self.epoch: tuple[int, int] | None = None
        self.shown_at = 0.0
        self.handle = display({"text/plain": self.line()}, raw=True, display_id=True)

    def fraction(self) -> float:
        """Return the share of the work done: levels nest, epochs split the innermost run."""
        done = self.epoch[0] / self.epoch[1] if self.epoch and self.epoch[1] else 0.0
        for level in reversed(_levels):
            if not level.total:
                return 0.0
            done = (max(level.index - 1, 0) + done) / level.total
        return min(done, 1.0)

    def line(self) -> str:
        parts = [level.text() for level in _levels]
        if self.epoch:
            parts.append(f"epoch {self.epoch[0]}/{self.epoch[1]}")
        elapsed = time.perf_counter() - self.started
        parts.append(f"{clock(elapsed)} elapsed")
        done = self.fraction()
        if 0.0 < done < 1.0:
            parts.append(f"about {clock(elapsed * (1 - done) / done)} left")
        return " · ".join(parts)

    def refresh(self, force: bool = False) -> None:
        now = time.perf_counter()
        if force or now - self.shown_at >= REFRESH_S:
            self.shown_at = now
            self.handle.update({"text/plain": self.line()}, raw=True)

    def finish(self, completed: bool) -> None:
        """Replace the line by a summary: what was done and how long it took, or where it stopped.
        """
        global _live
        elapsed = clock(time.perf_counter() - self.started)
        if completed:
            top = _levels[0]
            count = top.total or top.index
            what = top.summary or f"{count} {top.label}{'s' * (count != 1)}"
            text = f"Done in {elapsed}: {what}"
        else:
            where = " · ".join(level.text() for level in _levels)
            text = f"Stopped after {elapsed}" + (f", at {where}" if where else "")
        self.handle.update({"text/plain": text}, raw=True)
        _live = None
        _levels.clear()
        _counted.clear()


_levels: list[_Level] = []
_counted: dict[str, _Level] = {}  # the fits `epoch_progress(runs=...)` callbacks have counted
_live: _Live | None = None
_hooked = False


def clock(seconds: float) -> str:
    """Return seconds as "m:ss" (or "h:mm:ss"), the way the progress line shows a time."""
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def _kernel() -> Any:
    """Return the running IPython kernel shell, or None outside one (scripts, tests, tools)."""
    ipython = sys.modules.get("IPython")
    shell = ipython.get_ipython() if ipython is not None else None
    return shell if shell is not None and getattr(shell, "kernel", None) is not None else None


def _abandoned(*_: object) -> None:
    # After every cell: a loop that did not end (an error, an interrupt) leaves its line saying
    # where it stopped, not a line that looks as if it were still running.
    if _live is not None:
        _live.finish(completed=False)


def _open() -> bool:
    """Open the progress line if this is a Jupyter kernel and none is open; return whether one
    shows.
    """
    global _live, _hooked
    if _live is not None:
        return True
    shell = _kernel()
    if shell is None:
        return False
    if not _hooked:
        shell.events.register("post_run_cell", _abandoned)
        _hooked = True
    _live = _Live()
    return True


def refresh() -> None:
    """Update the open progress line's clock (at most twice a second); nothing if none is open."""
    if _live is not None:
        _live.refresh()


def progress(
    items: Iterable[T],
    label: str,
    describe: Callable[[T], str] | None = None,
    summary: str | None = None,
) -> Iterator[T]:
    """Yield `items`, showing "label i of n: item" in the cell's progress line while each one runs.

    `describe(item)` names the item on the line (default: the item itself when it is a string);
    `summary` says what was done in the closing line (default: "3 seeds", from the label).
    Levels nest; the outermost one opens the line and, once its items are done, removes it.
    """
    items = list(items)
    if _live is None and _kernel() is None:
        yield from items
        return
    level = _Level(label, len(items), summary=summary)
    _levels.append(level)
    outermost = len(_levels) == 1
    for index, item in enumerate(items, start=1):
        level.index = index
        level.name = describe(item) if describe else (item if isinstance(item, str) else "")
        if index == 1:
            _open()
        if _live is not None:
            _live.epoch = None
            _live.refresh(force=True)
        yield item
    if _live is None:  # finished early by the cell-end hook
        return
    if outermost:
        _live.finish(completed=True)
    else:
        _levels.remove(level)
        _live.epoch = None


def epoch_progress(runs: int | None = None, label: str = "trial", done: int = 0) -> Any:
    """Return a Keras callback that shows the epoch of each `fit` on the progress line.

    Inside a `progress` loop it adds "epoch e/E" to that loop's line. With `runs` (for example a
    KerasTuner search's trials) it also counts fits: "trial 3 of 8 · epoch 12/30", and removes the
    line after the last one; `done` fits already ran (a resumed search: "trial 4 of 8"). The count
    lives outside the callback, since KerasTuner trains each trial with a deep copy of it.
    """
    import keras

    key = uuid.uuid4().hex if runs else None

    class EpochProgress(keras.callbacks.Callback):
        def on_train_begin(self, logs: dict | None = None) -> None:
            if key is not None and _open():
                level = _counted.setdefault(key, _Level(label, runs, index=done))
                if not any(level is open_level for open_level in _levels):
                    _levels.append(level)
                level.index += 1
                if runs and level.index > runs:
                    level.total = None  # more fits than announced: count on without a total
            if _live is not None:
                _live.epoch = (0, int(self.params.get("epochs") or 0))
                _live.refresh(force=True)

        def on_epoch_end(self, epoch: int, logs: dict | None = None) -> None:
            if _live is not None:
                _live.epoch = (epoch + 1, int(self.params.get("epochs") or 0))
                _live.refresh()

        def on_train_end(self, logs: dict | None = None) -> None:
            level = _counted.get(key) if key is not None else None
            if _live is None or level is None or not runs:
                return
            if level.index >= runs and _levels and _levels[0] is level:
                _counted.pop(key, None)
                _live.finish(completed=True)

    return EpochProgress()
