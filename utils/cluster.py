"""Start a small cluster of Python processes on this machine, wait for them, and always clean up.

Notebook 12 uses it for TensorFlow's multi-worker training and for KerasTuner's distributed search:
every process gets its own environment (`TF_CONFIG`, `KERASTUNER_*`), addresses on 127.0.0.1 and
ports that were free a moment before. Each process runs in a process group of its own, so that
killing it also kills anything it started; the processes are killed on a timeout, when one of them
fails (the others would wait for it forever), and when the caller is interrupted.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from utils.live_progress import progress, refresh

__all__ = [
    "Finished",
    "ClusterError",
    "free_ports",
    "group_exists",
    "is_running",
    "run_together",
]


@dataclass(frozen=True)
class Finished:
    """A process that ended: its name, process id, exit status, standard output and log file."""

    name: str
    pid: int
    returncode: int
    output: str
    log: Path


class ClusterError(RuntimeError):
    """A process of the cluster failed or ran past the timeout; every process has been stopped."""


def free_ports(n: int, host: str = "127.0.0.1") -> list[int]:
    """Return `n` different TCP ports that were free on `host` when asked (the OS picks them)."""
    if n < 1:
        raise ValueError(f"n must be at least 1, got {n}")
    sockets = []
    try:
        for _ in range(
            n
        ):  # hold each socket until all are chosen, so that the OS gives n different ports
            s = socket.socket()
            s.bind((host, 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def is_running(pid: int) -> bool:
    """Return whether a process with this id exists and has not ended (a zombie counts as ended)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # on Linux, an ended but unreaped process still answers signal 0: read its state
        return Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def group_exists(pgid: int) -> bool:
    """Return whether a process group still has a live member (ended, unreaped ones do not count).

    `run_together` starts each process as the leader of a group of its own (its pgid is its pid),
    so this says whether the process, or anything it started, is still running.
    """
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    proc = Path("/proc")
    if not proc.is_dir():  # not Linux: a member answered signal 0
        return True
    # On Linux an ended but unreaped member (a zombie) still answers: look for a live one.
    for stat in proc.glob("[0-9]*/stat"):
        try:
            state, _ppid, group = stat.read_text().rsplit(")", 1)[1].split()[:3]
        except (OSError, IndexError, ValueError):
            continue  # the process ended while we looked
        if int(group) == pgid and state != "Z":
            return True
    return False


def _signal_group(pgid: int, sig: int) -> None:
    try:
        os.killpg(pgid, sig)
    except ProcessLookupError:  # nothing left in the group
        pass


def _stop(process: subprocess.Popen, grace: float = 3.0) -> None:
    """Stop a process and its whole process group: SIGTERM, SIGKILL after `grace` seconds, then reap
    it. A group that is already gone is not signalled: its number may belong to another by now.
    """
    if process.poll() is None:
        _signal_group(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            pass
    if group_exists(process.pid):  # whatever is left: the process, or children it left behind
        _signal_group(process.pid, signal.SIGKILL)
    process.wait()


GROUP_END_SECONDS = 10.0  # how long `run_together` waits for every process group to end


def _wait_groups_gone(pgids: Sequence[int], within: float | None = None) -> list[int]:
    """Wait up to `within` seconds for every group to end (a SIGKILL is delivered asynchronously);
    return those still alive.
    """
    deadline = time.monotonic() + (GROUP_END_SECONDS if within is None else within)
    alive = [pgid for pgid in pgids if group_exists(pgid)]
    while alive and time.monotonic() < deadline:
        time.sleep(0.1)
        alive = [pgid for pgid in alive if group_exists(pgid)]
    return alive


def _tail(path: Path, lines: int = 15) -> str:
    text = path.read_text(errors="replace").strip().splitlines() if path.exists() else []
    return "\n".join(text[-lines:]) or "(nothing)"


def _wait(
    processes: dict[str, subprocess.Popen], deadline: float, timeout: float, log_dir: Path
) -> None:
    """Wait until every process has exited; raise ClusterError at a failure or past the deadline."""
    while None in [p.poll() for p in processes.values()]:  # poll every one: it updates returncode
        failed = [name for name, p in processes.items() if p.returncode not in (None, 0)]
        if failed:
            name = failed[0]
            raise ClusterError(
                f"{name} exited with status {processes[name].returncode}; stopped the others. "
                f"Last lines of "
                f"{log_dir / (name + '.log')}:\n{_tail(log_dir / (name + '.log'))}"
            )
        if time.monotonic() > deadline:
            running = [name for name, p in processes.items() if p.poll() is None]
            raise ClusterError(
                f"still running after {timeout:.0f} s: {', '.join(running)}; stopped them all. "
                f"Last lines of "
                f"{log_dir / (running[0] + '.log')}:\n{_tail(log_dir / (running[0] + '.log'))}"
            )
        time.sleep(0.2)
        refresh()


def run_together(
    commands: Mapping[str, Sequence[str]],
    *,
    envs: Mapping[str, Mapping[str, str]],
    log_dir: str | os.PathLike,
    timeout: float,
    cwd: str | os.PathLike | None = None,
) -> dict[str, Finished]:
    """Run the named commands at the same time, each with os.environ plus its `envs` entry; return
    them ended.

    Standard output is returned; standard error goes to `log_dir/<name>.log`. Raises `ClusterError`
    (after stopping every process) if one exits with an error or they are not all done in `timeout`
    seconds, and, once all have ended well, if a process group (a process and whatever it started)
    still has a live member 10 seconds after the stop. On every path it waits up to those 10
    seconds for the groups to end, so that nothing it started outlives the call.
    """
    if set(envs) != set(commands):
        raise ValueError(
            f"envs must name the same processes as commands: {sorted(envs)} vs {sorted(commands)}"
        )
    if timeout <= 0:
        raise ValueError(f"timeout must be positive, got {timeout}")
    log_dir = Path(log_dir)
    log_dir.mkdir(parents=True, exist_ok=True)
    processes: dict[str, subprocess.Popen] = {}
    files = []
    try:
        for name, command in commands.items():
            out = open(log_dir / f"{name}.out", "w")
            err = open(log_dir / f"{name}.log", "w")
            files += [out, err]
            processes[name] = subprocess.Popen(
                list(command),
                env={**os.environ, **envs[name]},
                cwd=cwd,
                stdout=out,
                stderr=err,
                stdin=subprocess.DEVNULL,
                start_new_session=True,
            )  # a process group of its own
        deadline = time.monotonic() + timeout
        # In Jupyter a live line shows what runs and for how long: "processes 1 of 1: chief,
        # worker running · 0:35 elapsed", then "Done in 0:42: 2 processes (chief, worker)".
        names = ", ".join(processes)
        summary = f"{len(processes)} processes ({names})"
        for _ in progress([names], "processes", describe=lambda n: f"{n} running", summary=summary):
            _wait(processes, deadline, timeout, log_dir)
        failed = [name for name, p in processes.items() if p.returncode != 0]
        if failed:
            name = failed[0]
            raise ClusterError(
                f"{name} exited with status {processes[name].returncode}. "
                f"Last lines of {log_dir / (name + '.log')}:\n{_tail(log_dir / (name + '.log'))}"
            )
    finally:  # on success, failure, timeout or KeyboardInterrupt alike: nothing is left running
        for process in processes.values():
            _stop(process)
        for f in files:
            f.close()
        # Check, not trust: wait, on every path, until every process group is gone, children the
        # processes started included (a signal is delivered asynchronously).
        left = _wait_groups_gone([p.pid for p in processes.values()])
    if left:
        raise ClusterError(f"process groups {left} still have running processes after the stop")
    return {
        name: Finished(
            name,
            p.pid,
            p.returncode,
            (log_dir / f"{name}.out").read_text(),
            log_dir / f"{name}.log",
        )
        for name, p in processes.items()
    }
