"""Failures that say what to do: a full disk, a read-only directory, a damaged store, SIGTERM.

Each ends in one line (what, where, how to continue) and exit code 2, and leaves the run
directory consistent: a resume afterwards gives every sample exactly once.
"""

from __future__ import annotations

import ctypes
import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

from bench.mock_server import MockConfig, serve_in_thread
from tests.test_openai_endpoint import responder
from tests.test_resume import OUTAGE, _finish, _start, _wait_for_lines, all_ids

ROOT = Path(__file__).resolve().parent.parent


def _run(
    out: Path, url: str, *extra: str, preexec=None, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "rolegraph",
            "run",
            str(OUTAGE),
            "--model",
            "openai:m",
            "--base-url",
            url,
            "--out",
            str(out),
            "-q",
            "--no-critic-check",  # its calls are not what these tests are about
            *extra,
        ],
        capture_output=True,
        text=True,
        timeout=timeout,
        preexec_fn=preexec,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(out.parent)},
    )


def _one_line(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def _small_disk() -> None:
    """What a full disk looks like to the process: writes past 1 MB fail (EFBIG)."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the error, not the signal that kills
    resource.setrlimit(resource.RLIMIT_FSIZE, (1_000_000, 1_000_000))


def test_a_full_disk_ends_in_one_line_and_the_resume_loses_nothing(tmp_path: Path):
    with serve_in_thread(MockConfig(responder=responder, latency_ms=2)) as server:
        out = tmp_path / "run"
        result = _run(out, server.base_url, "-n", "200", "--concurrency", "4", preexec=_small_disk)
        line = _one_line(result)
        # SQLite says "disk I/O error" for a refused write and "disk is full" for ENOSPC
        assert line.startswith(("error: no space left to write ", "error: a write under "))
        assert "every finished sample is kept" in line
        assert f"continue with: rolegraph run {OUTAGE} --out {out} --resume" in line
        finished = all_ids(out)
        assert len(finished) == len(set(finished)) >= 1  # what was finished is there, once
        resumed = _run(out, server.base_url, "--resume", "--concurrency", "4", timeout=300)
        assert resumed.returncode == 0, resumed.stderr
    assert sorted(all_ids(out)) == [f"{i:06d}" for i in range(200)]


def _no_root_override() -> None:
    """Root ignores file modes; drop that power (CAP_DAC_OVERRIDE, _READ_SEARCH) for the child."""
    if os.geteuid() != 0:
        return
    libc = ctypes.CDLL(None, use_errno=True)
    for cap in (1, 2):
        if libc.prctl(24, cap, 0, 0, 0) != 0:  # PR_CAPBSET_DROP: gone after exec too
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def test_a_read_only_run_directory_ends_in_one_line(tmp_path: Path):
    parent = tmp_path / "ro"
    parent.mkdir(mode=0o555)
    with serve_in_thread(MockConfig(responder=responder)) as server:
        result = _run(parent / "run", server.base_url, "-n", "2", preexec=_no_root_override)
    line = _one_line(result)
    assert "(permission denied): choose another --out" in line and str(parent) in line


def test_a_truncated_or_foreign_store_ends_in_one_line(tmp_path: Path):
    with serve_in_thread(MockConfig(responder=responder)) as server:
        out = tmp_path / "run"
        assert _run(out, server.base_url, "-n", "6").returncode == 0
        store = out / "run.sqlite"
        data = store.read_bytes()
        store.write_bytes(data[: len(data) // 2])  # truncated
        line = _one_line(_run(out, server.base_url, "--resume"))
        assert f"{store} is damaged (" in line and "restore the file from a backup" in line
        store.write_bytes(b"not sqlite at all" * 100)  # overwritten
        line = _one_line(_run(out, server.base_url, "--resume"))
        assert f"{store} is damaged (file is not a database)" in line
    # readers still work from the records
    ev = subprocess.run(
        [sys.executable, "-m", "rolegraph", "eval", str(out), "--json"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert ev.returncode == 0, ev.stderr
    assert json.loads(ev.stdout)["samples"]["accepted"] == 6


def test_sigterm_stops_like_ctrl_c(tmp_path: Path):
    with serve_in_thread(MockConfig(responder=responder, latency_ms=30)) as server:
        out = tmp_path / "run"
        proc = _start(OUTAGE, out, server.base_url, "-n", "200")
        _wait_for_lines(out, 2, proc)
        proc.send_signal(signal.SIGTERM)
        _, stderr = proc.communicate(timeout=30)
        assert proc.returncode == 143
        assert stderr.startswith("terminated: finished samples are kept; continue with: ")
        assert "--resume" in stderr and "Traceback" not in stderr
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["status"] == "interrupted"
        assert manifest["counts"]["accepted"] == len(all_ids(out)) >= 2
        assert _finish(_start(OUTAGE, out, server.base_url, "--resume", "-n", "200")) == 0
    assert sorted(all_ids(out)) == [f"{i:06d}" for i in range(200)]
