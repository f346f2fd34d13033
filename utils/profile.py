"""Read what TensorFlow's profiler wrote (TensorBoard's Profile tab) back into Python: where the
time went.

`keras.callbacks.TensorBoard(log_dir, profile_batch=(first, last))` traces those training steps and
writes an XSpace protocol buffer (`*.xplane.pb`) under `log_dir/train/plugins/profile/<run>/`.
TensorBoard's Profile tab draws it (with the `tensorboard-plugin-profile` package); here we read the
two things a learner needs from it: how long the traced steps took, and how much of that the
TensorFlow kernels (the operations: matrix products, softmax, the optimizer's updates) account for.
Needs TensorFlow, imported when called.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

__all__ = ["StepProfile", "read_profile"]

# A kernel event is named "<scope>/<op name>:<op type>", e.g.
# "StatefulPartitionedCall/mlp/hidden/MatMul:MatMul";
# the executor's own bookkeeping ("ExecutorState::Process") has no single colon and is left out.
_KERNEL = re.compile(r"^[^:]+:(?P<type>[A-Za-z_][A-Za-z0-9_]*)$")


@dataclass(frozen=True)
class StepProfile:
    """Traced steps: how many, their wall time in seconds, and kernel seconds per operation type."""

    steps: int
    seconds: float
    kernel_seconds: dict[str, float]

    @property
    def kernel_share(self) -> float:
        """Kernel time (summed over the threads that ran kernels) as a fraction of the steps' wall
        time.
        """
        return sum(self.kernel_seconds.values()) / self.seconds


def read_profile(log_dir: str | os.PathLike) -> StepProfile:
    """Return the newest profile under `log_dir` as a `StepProfile` (kernel types largest first)."""
    files = sorted(Path(log_dir).rglob("*.xplane.pb"), key=lambda p: p.stat().st_mtime)
    if not files:
        raise FileNotFoundError(
            f"no profile (*.xplane.pb) under {log_dir}: was the TensorBoard callback given "
            "profile_batch, and did training run that many batches?"
        )
    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    space = xplane_pb2.XSpace()
    space.ParseFromString(files[-1].read_bytes())
    steps, step_ps, kernels = 0, 0, Counter()
    for plane in space.planes:
        names = {key: meta.name for key, meta in plane.event_metadata.items()}
        for line in plane.lines:
            for event in line.events:
                name = names.get(event.metadata_id, "")
                if (
                    line.name == "python" and name == "Profiled batch"
                ):  # one per traced step, set by Keras
                    steps += 1
                    step_ps += event.duration_ps
                elif line.name.startswith("tf_Compute") and (kernel := _KERNEL.match(name)):
                    kernels[kernel["type"]] += event.duration_ps
    if steps == 0:
        raise ValueError(f"{files[-1]} holds no traced training step")
    return StepProfile(steps, step_ps / 1e12, {op: ps / 1e12 for op, ps in kernels.most_common()})
