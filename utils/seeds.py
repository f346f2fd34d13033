"""Run a training function under several seeds and say what the spread supports.

Training is chaotic: another seed, or another CPU, moves every trained number by about the same
amount. A comparison is a claim only once its difference stands out from that spread, so notebooks
train each setting under `comparison_seeds()` with `over_seeds` and word their conclusion with
`verdict`. Plain NumPy; nothing is imported from Keras.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from utils.live_progress import progress
from utils.runtime import by_mode, current_run


@dataclass(frozen=True)
class Spread:
    """One metric measured under several seeds: the values, in the order of `seeds`."""

    seeds: tuple[int, ...]
    values: tuple[float, ...]

    def __post_init__(self) -> None:
        if len(self.seeds) != len(self.values) or not self.values:
            raise ValueError(
                f"{len(self.seeds)} seeds but {len(self.values)} values: need one value per seed"
            )

    @property
    def mean(self) -> float:
        """Return the mean over seeds."""
        return float(np.mean(self.values))

    @property
    def std(self) -> float:
        """Return the sample standard deviation over seeds (0.0 for one seed)."""
        return float(np.std(self.values, ddof=1)) if len(self.values) > 1 else 0.0

    @property
    def low(self) -> float:
        """Return the smallest value."""
        return float(min(self.values))

    @property
    def high(self) -> float:
        """Return the largest value."""
        return float(max(self.values))

    def __str__(self) -> str:
        digits = 4 if max(abs(self.low), abs(self.high)) < 10 else 1
        n = len(self.values)
        return (
            f"{self.mean:.{digits}f} +/- {self.std:.{digits}f} "
            f"({self.low:.{digits}f} to {self.high:.{digits}f}, {n} seed{'s' * (n != 1)})"
        )


def comparison_seeds(n: int = 3) -> list[int]:
    """Return the seeds a comparison trains under: n in full mode, 2 in smoke mode, starting at the
    run's seed.
    """
    if n < 2:
        raise ValueError(f"a spread needs at least 2 seeds, not {n}")
    first = int(current_run()["seed"])  # type: ignore[call-overload]
    return [first + i for i in range(by_mode(full=n, smoke=2))]


def over_seeds(
    train: Callable[[int], Mapping[str, float] | float], seeds: Sequence[int]
) -> dict[str, Spread]:
    """Return {metric: Spread} from calling `train(seed)` once per seed.

    `train` seeds and trains a fresh model and returns its metrics as {name: number}, or one number
    (named "value"). Every call must return the same metric names.
    """
    if not seeds:
        raise ValueError("no seeds given")
    runs: list[dict[str, float]] = []
    for seed in progress(seeds, "seed"):  # a live "seed 2 of 3" line in Jupyter
        result = train(seed)
        metrics = dict(result) if isinstance(result, Mapping) else {"value": result}
        if runs and metrics.keys() != runs[0].keys():
            raise ValueError(
                f"seed {seed} returned {sorted(metrics)}, seed {seeds[0]} returned "
                f"{sorted(runs[0])}"
            )
        for name, value in metrics.items():
            if not math.isfinite(float(value)):
                raise ValueError(f"seed {seed}: {name} is {value}")
        runs.append({name: float(value) for name, value in metrics.items()})
    return {name: Spread(tuple(seeds), tuple(run[name] for run in runs)) for name in runs[0]}


def difference(a: Spread, b: Spread) -> Spread:
    """Return a - b seed by seed (both measured under the same seeds): the paired differences."""
    if a.seeds != b.seeds:
        raise ValueError(f"seeds differ: {a.seeds} vs {b.seeds}; pair runs that share their seeds")
    return Spread(a.seeds, tuple(x - y for x, y in zip(a.values, b.values)))


def beyond_noise(a: Spread, b: Spread) -> bool:
    """Return True when a - b has the same sign on every seed and its mean is over 2 standard
    deviations from 0.
    """
    diff = difference(a, b)
    same_sign = all(v > 0 for v in diff.values) or all(v < 0 for v in diff.values)
    return len(diff.values) > 1 and same_sign and abs(diff.mean) > 2 * diff.std


def verdict(a: Spread, b: Spread, name_a: str, name_b: str, unit: str = "") -> str:
    """Return one sentence on a vs b: the mean paired difference, its spread, and whether it beats
    the noise.
    """
    diff = difference(a, b)
    n = len(diff.values)
    numbers = (
        f"{name_a} - {name_b} = {diff.mean:+.4f}{unit} +/- {diff.std:.4f}{unit} over {n} seeds"
    )
    if beyond_noise(a, b):
        higher = name_a if diff.mean > 0 else name_b
        return f"{numbers}: {higher} is higher on every seed, beyond the noise"
    return f"{numbers}: within the noise"


def summary_table(
    spreads: Mapping[str, Spread], label: str = "setting", higher_is_better: bool = True
) -> str:
    """Return a text table, best mean first: setting, mean, std, min, max and every seed's value.

    For a metric where lower is better (a loss), pass `higher_is_better=False` to put the lowest
    mean first.
    """
    if not spreads:
        raise ValueError("nothing to tabulate")
    width = max(len(label), *(len(name) for name in spreads))
    seeds = next(iter(spreads.values())).seeds
    lines = [
        f"{label:<{width}}    mean     std     min     max   "
        + "  ".join(f"seed {s}" for s in seeds)
    ]
    for name, spread in sorted(
        spreads.items(), key=lambda item: -item[1].mean if higher_is_better else item[1].mean
    ):
        per_seed = "  ".join(
            f"{v:>{len(f'seed {s}')}.4f}" for s, v in zip(spread.seeds, spread.values)
        )
        lines.append(
            f"{name:<{width}}  {spread.mean:.4f}  {spread.std:.4f}  {spread.low:.4f}  "
            f"{spread.high:.4f}   {per_seed}"
        )
    return "\n".join(lines)
