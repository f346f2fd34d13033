"""Run a training function under several seeds and say what the spread supports.

Training is chaotic: another seed, or another CPU, moves every trained number by about the same
amount. A comparison is a claim only once its difference stands out from that spread, so notebooks
train each setting under `comparison_seeds()` with `over_seeds` and word their conclusion with
`verdict`, which has four endings: "beyond the noise", "not resolved with n seeds", "no consistent
difference", "too few seeds to tell". Plain NumPy and SciPy; nothing is imported from Keras.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

from utils.live_progress import progress
from utils.runtime import by_mode, current_run

OUTCOMES = ("beyond the noise", "not resolved", "no consistent difference", "too few seeds")
MIN_SEEDS = 3  # a verdict on fewer seeds says "too few seeds to tell"


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


def training_seed(notebook: str, run_seed: int, index: int) -> int:
    """Return the seed of the `index`-th training of a comparison in `notebook` run under
    `run_seed`: a hash of all three, below 2**32, so that no other run seed trains the same network.
    """
    key = f"fmnist-comparison|{notebook}|{run_seed}|{index}".encode()
    return int.from_bytes(hashlib.sha256(key).digest()[:4], "big")


def comparison_seeds(n: int = 3) -> list[int]:
    """Return the seeds a comparison trains under: n in full mode, 2 in smoke mode.

    Each is `training_seed(notebook, run seed, i)`: independent of the seeds of every other run
    seed, so the runs under seeds 42, 1, 2 and 3 share no network (a test checks seeds 0-100).
    """
    if n < 2:
        raise ValueError(f"a spread needs at least 2 seeds, not {n}")
    run = current_run()
    first = int(run["seed"])  # type: ignore[call-overload]
    count = by_mode(full=n, smoke=2)
    return [training_seed(str(run["notebook"]), first, i) for i in range(count)]


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


def threshold(n: int) -> float:
    """Return how many standard deviations of the paired differences their mean must clear, over
    n seeds, for "beyond the noise": the two-sided 5% point of Student's t, divided by sqrt(n).
    """
    if n < 2:
        raise ValueError(f"a spread needs at least 2 seeds, not {n}")
    return float(stats.t.ppf(0.975, n - 1) / math.sqrt(n))


def _beyond(differences: np.ndarray) -> np.ndarray:
    """Return, for each row of paired differences (seeds along the last axis), whether the rule
    says "beyond the noise": every seed agrees in sign and |mean| > `threshold(n)` sd.
    """
    n = differences.shape[-1]
    same_sign = (differences > 0).all(axis=-1) | (differences < 0).all(axis=-1)
    mean, std = differences.mean(axis=-1), differences.std(axis=-1, ddof=1)
    return same_sign & (np.abs(mean) > threshold(n) * std)


def _outcome(values: Sequence[float]) -> str:
    if len(values) < MIN_SEEDS:
        return "too few seeds"
    if bool(_beyond(np.asarray(values, dtype=float))):
        return "beyond the noise"
    if all(v > 0 for v in values) or all(v < 0 for v in values):
        return "not resolved"
    # disagreeing signs, or ties: at best "not resolved", as a tie is no sign
    one_way = any(v != 0 for v in values) and (
        all(v >= 0 for v in values) or all(v <= 0 for v in values)
    )
    return "not resolved" if one_way else "no consistent difference"


def outcome(a: Spread, b: Spread) -> str:
    """Return what the paired differences a - b support, one of `OUTCOMES`.

    "too few seeds" below 3 seeds; "no consistent difference" when the seeds disagree in sign (or
    every difference is 0); "beyond the noise" when every seed agrees in sign and a paired t-test
    rejects no difference at 5% (|mean| > `threshold(n)` standard deviations); otherwise "not
    resolved" (every seed agrees, or ties, but n seeds cannot tell the difference from noise: not
    the same as no effect). A tie (a difference of exactly 0, e.g. two callbacks that kept the
    same epoch) is no sign, so a comparison with ties is at best "not resolved".
    """
    return _outcome(difference(a, b).values)


def beyond_noise(a: Spread, b: Spread) -> bool:
    """Return True when `outcome(a, b)` is "beyond the noise"."""
    return _outcome(difference(a, b).values) == "beyond the noise"


def verdict(a: Spread, b: Spread, name_a: str, name_b: str, unit: str = "") -> str:
    """Return one sentence on a vs b: the mean paired difference, the standard deviation of the
    per-seed differences (the "+/-"), the number of seeds, and what they support (`outcome`).
    """
    diff = difference(a, b)
    n = len(diff.values)
    numbers = (
        f"{name_a} - {name_b} = {diff.mean:+.4f}{unit} +/- {diff.std:.4f}{unit} over {n} seeds"
    )
    higher = name_a if diff.mean > 0 else name_b
    found = _outcome(diff.values)
    if found == "beyond the noise":
        return f"{numbers}: {higher} is higher on every seed, beyond the noise"
    if found == "not resolved":
        level = " or level" if 0 in diff.values else ""
        return f"{numbers}: {higher} is higher{level} on every seed, not resolved with {n} seeds"
    if found == "no consistent difference":
        if not any(diff.values):
            return f"{numbers}: level on every seed, no consistent difference"
        return f"{numbers}: no consistent difference"
    return f"{numbers}: too few seeds to tell"


def false_alarm_rate(n: int, draws: int = 100_000, seed: int = 0) -> float:
    """Return the simulated share of comparisons with no true difference (normal noise, n seeds)
    that `verdict` calls "beyond the noise".
    """
    if n < 2:
        raise ValueError(f"a spread needs at least 2 seeds, not {n}")
    if n < MIN_SEEDS:
        return 0.0
    noise = np.random.default_rng(seed).normal(size=(draws, n))
    return float(np.mean(_beyond(noise)))


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
