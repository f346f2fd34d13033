"""utils.cluster: processes started together, and never left behind."""

import sys
import textwrap
import time

import pytest

from utils.cluster import ClusterError, free_ports, group_exists, is_running, run_together


def _python(code: str) -> list[str]:
    return [sys.executable, "-c", textwrap.dedent(code)]


def test_free_ports_are_different_and_can_be_bound():
    import socket

    ports = free_ports(3)
    assert len(set(ports)) == 3
    for port in ports:
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))
    with pytest.raises(ValueError):
        free_ports(0)


def test_processes_get_their_own_environment_and_their_output_is_returned(tmp_path):
    commands = {
        name: _python("import os; print(os.environ['ROLE'], flush=True)") for name in ("a", "b")
    }
    finished = run_together(
        commands,
        envs={"a": {"ROLE": "chief"}, "b": {"ROLE": "worker"}},
        log_dir=tmp_path,
        timeout=60,
    )
    assert {name: f.output.strip() for name, f in finished.items()} == {"a": "chief", "b": "worker"}
    assert all(f.returncode == 0 and not is_running(f.pid) for f in finished.values())


def _pids_written(folder) -> list[int]:
    return [int(p.read_text()) for p in sorted(folder.glob("*.pid"))]


def _sleeper(folder, name: str, spawn_child: bool = False) -> list[str]:
    """A process that writes its pid (and its child's) and sleeps, as a worker waiting for a peer
    would.
    """
    return _python(f"""
        import os, subprocess, sys, time
        open({str(folder / (name + ".pid"))!r}, 'w').write(str(os.getpid()))
        if {spawn_child}:
            child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])
            open({str(folder / (name + "-child.pid"))!r}, 'w').write(str(child.pid))
        time.sleep(600)
    """)


def test_a_timeout_stops_every_process_and_what_they_started(tmp_path):
    commands = {"a": _sleeper(tmp_path, "a", spawn_child=True), "b": _sleeper(tmp_path, "b")}
    start = time.monotonic()
    with pytest.raises(ClusterError, match="still running after 3 s: a, b"):
        run_together(commands, envs={"a": {}, "b": {}}, log_dir=tmp_path / "logs", timeout=3)
    assert time.monotonic() - start < 30
    pids = _pids_written(tmp_path)
    assert len(pids) == 3  # a, its child, b
    assert not any(is_running(pid) for pid in pids)


def test_a_failing_process_stops_the_others_and_says_why(tmp_path):
    commands = {
        "chief": _sleeper(tmp_path, "chief"),
        "worker": _python("import sys; sys.exit('worker: no data here')"),
    }
    with pytest.raises(ClusterError, match=r"(?s)worker exited with status 1.*no data here"):
        run_together(
            commands, envs={"chief": {}, "worker": {}}, log_dir=tmp_path / "logs", timeout=120
        )
    assert _all_end(_pids_written(tmp_path))


def _all_end(pids, within: float = 10.0) -> bool:
    """Return whether every process ends within `within` seconds: a SIGKILL is delivered
    asynchronously, and on a loaded machine a killed process can take a moment to go.
    """
    deadline = time.monotonic() + within
    while any(is_running(pid) for pid in pids):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def test_an_interrupt_stops_every_process(tmp_path, monkeypatch):
    import utils.cluster as cluster

    real_sleep, interrupted = time.sleep, []

    def interrupted_sleep(
        seconds,
    ):  # a learner presses "interrupt the kernel" once both processes are up
        if len(_pids_written(tmp_path)) == 2 and not interrupted:
            interrupted.append(True)  # once: the clean-up that follows sleeps too
            raise KeyboardInterrupt
        real_sleep(seconds)

    monkeypatch.setattr(cluster.time, "sleep", interrupted_sleep)
    with pytest.raises(KeyboardInterrupt):
        run_together(
            {"a": _sleeper(tmp_path, "a", spawn_child=True)},
            envs={"a": {}},
            log_dir=tmp_path / "logs",
            timeout=120,
        )
    assert len(_pids_written(tmp_path)) == 2
    monkeypatch.setattr(cluster.time, "sleep", real_sleep)
    assert _all_end(_pids_written(tmp_path))


def test_bad_arguments_are_refused(tmp_path):
    with pytest.raises(ValueError, match="same processes"):
        run_together({"a": ["true"]}, envs={}, log_dir=tmp_path, timeout=5)
    with pytest.raises(ValueError, match="positive"):
        run_together({"a": ["true"]}, envs={"a": {}}, log_dir=tmp_path, timeout=0)


def test_is_running_is_false_for_an_ended_process():
    import subprocess

    process = subprocess.Popen(["true"])
    process.wait()
    assert not is_running(process.pid)
    assert is_running(__import__("os").getpid())


def test_a_child_left_behind_by_a_finished_process_is_stopped(tmp_path):
    """A process that exits 0 but leaves a child running: the group is stopped and checked gone."""
    code = f"""
        import subprocess, sys
        child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)'])
        open({str(tmp_path / "child.pid")!r}, 'w').write(str(child.pid))
    """
    finished = run_together(
        {"a": _python(code)}, envs={"a": {}}, log_dir=tmp_path / "logs", timeout=60
    )
    assert finished["a"].returncode == 0
    assert not group_exists(finished["a"].pid)
    assert _all_end(_pids_written(tmp_path))


def test_group_exists_sees_a_live_group_and_not_an_ended_one():
    import subprocess

    process = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(600)"], start_new_session=True
    )
    try:
        assert group_exists(process.pid)
    finally:
        process.kill()
        process.wait()
    assert not group_exists(process.pid)


def test_a_group_already_gone_is_not_signalled(tmp_path, monkeypatch):
    import utils.cluster as cluster

    signalled = []
    real_killpg = cluster.os.killpg

    def recording_killpg(pgid, sig):
        if sig != 0:
            signalled.append((pgid, sig))
        real_killpg(pgid, sig)

    monkeypatch.setattr(cluster.os, "killpg", recording_killpg)
    run_together({"a": _python("pass")}, envs={"a": {}}, log_dir=tmp_path / "logs", timeout=60)
    assert signalled == []  # it ended and was reaped: its number may belong to another group now


def test_a_group_that_will_not_end_is_reported(tmp_path, monkeypatch):
    import utils.cluster as cluster

    monkeypatch.setattr(cluster, "group_exists", lambda pgid: True)  # as if a member survived
    monkeypatch.setattr(cluster, "_signal_group", lambda pgid, sig: None)
    monkeypatch.setattr(cluster, "GROUP_END_SECONDS", 0.5)
    with pytest.raises(ClusterError, match="still have running processes"):
        run_together({"a": _python("pass")}, envs={"a": {}}, log_dir=tmp_path / "logs", timeout=60)
