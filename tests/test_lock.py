"""One writer per run directory: real processes racing for it, a killed holder, readers meanwhile."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from bench.mock_server import MockConfig, serve_in_thread
from rolegraph.outputs.rundir import LOCK_FILE, open_run, writer
from rolegraph.run.lock import FileLock, RunDirBusy, lock_run_dir, lock_worker_file
from tests.test_openai_endpoint import responder
from tests.test_resume import OUTAGE, _finish, _start, _wait_for_lines, all_ids, lines

ROOT = Path(__file__).resolve().parent.parent


def _cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rolegraph", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=timeout,
    )


def _refused(stderr: str, out: Path) -> None:
    """One line, naming the directory and the holder; no traceback."""
    assert "Traceback" not in stderr
    assert len(stderr.strip().splitlines()) == 1, stderr
    assert f"{out} is in use by another rolegraph process (pid " in stderr
    assert "rolegraph run since" in stderr


def test_two_fresh_runs_started_together_one_writes_one_is_refused(tmp_path: Path):
    # 150 ms a call keeps the first run going for seconds, so the two usually overlap.
    with serve_in_thread(MockConfig(responder=responder, latency_ms=150)) as server:
        out = tmp_path / "run"
        procs = [_start(OUTAGE, out, server.base_url, "-n", "12") for _ in range(2)]
        results = [(p.wait(timeout=120), p.stderr.read()) for p in procs]  # type: ignore[union-attr]
        for p in procs:
            p.stderr.close()  # type: ignore[union-attr]
    codes = sorted(code for code, _ in results)
    assert codes == [0, 2], results
    refusal = next(err for code, err in results if code == 2)
    if "already holds a run" in refusal:
        # On a loaded machine the second process can start only after the first has
        # finished: then it meets a finished run, not a held lock. Still one line, exit 2.
        assert "Traceback" not in refusal and len(refusal.strip().splitlines()) == 1, refusal
        assert "add --resume to continue it" in refusal
    else:
        _refused(refusal, out)
    ids = all_ids(out)
    assert sorted(ids) == [f"{i:06d}" for i in range(12)]  # each once, none lost


def test_a_resume_during_a_run_is_refused_and_the_run_is_untouched(tmp_path: Path):
    with serve_in_thread(MockConfig(responder=responder, latency_ms=40)) as server:
        out = tmp_path / "run"
        first = _start(OUTAGE, out, server.base_url, "-n", "400")  # long enough to race
        _wait_for_lines(out, 2, first)
        second = _start(OUTAGE, out, server.base_url, "-n", "400", "--resume")
        _, stderr = second.communicate(timeout=60)
        assert second.returncode == 2
        _refused(stderr, out)
        # a review is a writer too
        review = _cli("review", str(out), "--scenario", str(OUTAGE))
        assert review.returncode == 2 and "is in use by another rolegraph process" in review.stderr
        assert first.poll() is None, "the run ended before the race was tried"
        first.send_signal(signal.SIGINT)
        assert _finish(first) == 130
    ids = all_ids(out)
    assert len(ids) == len(set(ids)) >= 2  # nothing written twice
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"]["accepted"] == len(ids) and manifest["status"] == "interrupted"


def test_a_sigkilled_holder_never_blocks_the_resume(tmp_path: Path):
    with serve_in_thread(MockConfig(responder=responder, latency_ms=20)) as server:
        out = tmp_path / "run"
        proc = _start(OUTAGE, out, server.base_url, "-n", "20")
        _wait_for_lines(out, 3, proc)
        assert writer(out) is not None and writer(out)["pid"] == proc.pid  # type: ignore[index]
        proc.send_signal(signal.SIGKILL)
        _finish(proc)
        assert writer(out) is None  # the lock file names a dead process: nobody writes
        assert open_run(out).manifest["status"] == "interrupted"  # not "running"
        resumed = _start(OUTAGE, out, server.base_url, "-n", "20", "--resume")
        assert _finish(resumed) == 0
    assert sorted(all_ids(out)) == [f"{i:06d}" for i in range(20)]


def test_readers_work_while_a_run_holds_the_lock_and_count_from_the_store(tmp_path: Path):
    with serve_in_thread(MockConfig(responder=responder, latency_ms=40)) as server:
        out = tmp_path / "run"
        proc = _start(OUTAGE, out, server.base_url, "-n", "400")
        _wait_for_lines(out, 3, proc)
        time.sleep(1.2)  # the manifest is rewritten at most once a second as samples finish
        ev = _cli("eval", str(out), "--json")
        assert ev.returncode == 0, ev.stderr
        report = json.loads(ev.stdout)
        done_now = len(lines(out / "accepted.jsonl"))
        assert report["samples"]["planned"] == 400
        assert 3 <= report["samples"]["accepted"] <= done_now  # the store's count, not 0
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["status"] == "running" and manifest["counts"]["accepted"] >= 3
        rep = _cli("report", str(out), "-o", str(tmp_path / "r.html"))
        assert rep.returncode == 0, rep.stderr
        assert "<td>status</td><td>running</td>" in (tmp_path / "r.html").read_text()
        exp = _cli("export", str(out), "--format", "openai", "-o", str(tmp_path / "x.jsonl"))
        assert exp.returncode == 0, exp.stderr
        assert len(lines(tmp_path / "x.jsonl")) >= 3
        assert proc.poll() is None  # still running: the readers did not wait for it
        proc.send_signal(signal.SIGINT)
        assert _finish(proc) == 130
    assert json.loads((out / "manifest.json").read_text())["status"] == "interrupted"


def test_the_lock_is_per_directory_and_released_on_exit(tmp_path: Path):
    a, b = tmp_path / "a", tmp_path / "b"
    with lock_run_dir(a, "rolegraph run"):
        with pytest.raises(RunDirBusy, match=r"a is in use by another rolegraph process \(pid"):
            lock_run_dir(a, "rolegraph run")
        lock_run_dir(b, "rolegraph run").release()  # another directory: free
    lock_run_dir(a, "rolegraph review").release()  # released: free again
    assert (a / LOCK_FILE).read_text() == ""  # no holder recorded


def test_a_workers_checkpoint_file_waits_for_the_previous_holder(tmp_path: Path):
    file = tmp_path / "checkpoints-worker-0.sqlite"
    held = lock_worker_file(file)
    with pytest.raises(RunDirBusy, match="still in use"):
        lock_worker_file(file, wait=0.2)
    threading.Timer(0.3, held.release).start()  # a dead driver's worker, exiting
    started = time.monotonic()
    lock_worker_file(file, wait=5).release()
    assert 0.2 < time.monotonic() - started < 3


def test_filelock_reports_who_holds_it(tmp_path: Path):
    path = tmp_path / "x.lock"
    with (
        FileLock(path, "rolegraph run"),
        pytest.raises(RunDirBusy, match=r"held by pid \d+, rolegraph run since"),
    ):
        FileLock(path, "other", busy="held by {holder}").acquire()


async def test_a_refused_folder_is_left_as_it_was(tmp_path: Path):
    from rolegraph.errors import UsageError
    from rolegraph.run.runner import RunOptions, run_scenario
    from rolegraph.scenario.schema import Scenario

    folder = tmp_path / "mine"
    folder.mkdir()
    (folder / "notes.txt").write_text("not a run")
    with pytest.raises(UsageError, match="already holds other files"):
        await run_scenario(
            Scenario.from_file(OUTAGE), RunOptions(out=folder, model="scripted", quiet=True)
        )
    assert sorted(p.name for p in folder.iterdir()) == ["notes.txt"]  # no run.lock left
