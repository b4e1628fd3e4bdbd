"""The process executor: the local executor's data from worker processes, resume, lost workers."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from rolegraph.errors import UsageError
from rolegraph.run.runner import RunOptions, run_scenario
from rolegraph.scenario.schema import Scenario
from tests.conftest import SCENARIOS, scripted_models

OUTAGE = SCENARIOS / "support_outage.yaml"
DOCTOR = SCENARIOS / "family_doctor_visit.yaml"


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def by_id(out: Path) -> dict[str, Any]:
    return {
        json.loads(x)["sample_id"]: json.loads(x)["messages"] for x in lines(out / "accepted.jsonl")
    }


def all_ids(out: Path) -> list[str]:
    return [
        json.loads(x)["sample_id"]
        for name in ("accepted", "rejected", "failed")
        for x in lines(out / f"{name}.jsonl")
    ]


def options(out: Path, **kw: Any) -> RunOptions:
    return RunOptions(out=out, model="scripted", quiet=True, **kw)


def children(pid: int) -> list[int]:
    """The worker processes of a run in process `pid` (not multiprocessing's helpers)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid and b"spawn_main" in command:
                found.append(int(entry.name))
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


@pytest.mark.parametrize("path", [OUTAGE, DOCTOR], ids=["two_speakers", "director_and_gates"])
async def test_workers_give_the_local_executors_data(tmp_path: Path, path: Path):
    scenario = Scenario.from_file(path)
    local = await run_scenario(scenario, options(tmp_path / "local", samples=10, seed=5))
    spread = await run_scenario(
        scenario,
        options(tmp_path / "spread", samples=10, seed=5, executor="processes", workers=2),
    )
    assert spread.counts == local.counts and spread.counts["accepted"] == 10
    assert by_id(tmp_path / "spread") == by_id(tmp_path / "local")  # same ids, same messages
    assert spread.usage == local.usage and spread.revisions == local.revisions
    ours, theirs = (
        json.loads((tmp_path / d / "manifest.json").read_text()) for d in ("spread", "local")
    )
    assert ours["status"] == theirs["status"] == "complete"
    assert ours["counts"] == theirs["counts"] and ours["usage"] == theirs["usage"]
    assert sorted(p.name for p in (tmp_path / "spread").glob("checkpoints-worker-*.sqlite")) == [
        "checkpoints-worker-0.sqlite",
        "checkpoints-worker-1.sqlite",
    ]
    assert children(os.getpid()) == []  # the workers are gone


async def test_a_cancelled_run_resumes_with_each_sample_once(tmp_path: Path):
    scenario = Scenario.from_file(OUTAGE)
    reference = tmp_path / "reference"
    await run_scenario(scenario, options(reference, samples=16))
    out = tmp_path / "run"
    task = asyncio.create_task(
        run_scenario(scenario, options(out, samples=16, executor="processes", concurrency=4))
    )
    while len(lines(out / "accepted.jsonl")) < 3 and not task.done():
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "interrupted" and 3 <= manifest["counts"]["accepted"] < 16
    assert children(os.getpid()) == []
    summary = await run_scenario(scenario, options(out, resume=True, executor="processes"))
    assert summary.counts["accepted"] == 16
    ids = all_ids(out)
    assert len(ids) == len(set(ids)) == 16
    assert by_id(out) == by_id(reference)


async def test_a_lost_worker_s_samples_run_on_the_others(tmp_path: Path):
    scenario = Scenario.from_file(OUTAGE)
    out = tmp_path / "run"
    task = asyncio.create_task(
        run_scenario(
            scenario, options(out, samples=40, executor="processes", workers=2, concurrency=8)
        )
    )
    while len(lines(out / "accepted.jsonl")) < 4 and not task.done():
        await asyncio.sleep(0.01)
    workers = children(os.getpid())
    assert len(workers) == 2
    os.kill(workers[0], signal.SIGKILL)
    summary = await task
    assert summary.counts["accepted"] == 40
    assert sorted(all_ids(out)) == [f"{i:06d}" for i in range(40)]


def test_killing_the_driver_ends_its_workers_and_resume_finishes_the_run(tmp_path: Path):
    out = tmp_path / "run"
    command = [sys.executable, "-m", "rolegraph", "run", str(OUTAGE), "--model", "scripted"]
    command += ["--out", str(out), "-n", "60", "--executor", "processes", "--workers", "2", "-q"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 90
        while len(lines(out / "accepted.jsonl")) < 3:
            assert proc.poll() is None and time.monotonic() < deadline, "no sample finished"
            time.sleep(0.02)
        workers = children(proc.pid)
        assert len(workers) == 2
        proc.kill()
        proc.wait()
        deadline = time.monotonic() + 15
        while any(alive(w) for w in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(alive(w) for w in workers)  # they noticed the driver was gone
    finally:
        proc.kill()
        proc.communicate()
    done = len(all_ids(out))
    assert 3 <= done < 60
    resumed = subprocess.run(
        [*command, "--resume"], capture_output=True, text=True, timeout=180, check=False
    )
    assert resumed.returncode == 0, resumed.stderr
    assert sorted(all_ids(out)) == [f"{i:06d}" for i in range(60)]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"] == {"planned": 60, "accepted": 60, "rejected": 0, "failed": 0}


async def test_what_cannot_run_in_workers_is_refused_before_anything_is_written(
    tmp_path: Path, make_scenario
):
    scenario = Scenario.from_file(OUTAGE)
    with pytest.raises(UsageError, match="cannot be sent to workers"):
        await run_scenario(
            scenario,
            RunOptions(out=tmp_path / "a", models=scripted_models(), executor="processes"),
        )
    with pytest.raises(UsageError, match="--workers must be at least 1"):
        await run_scenario(scenario, options(tmp_path / "b", executor="processes", workers=0))
    text = OUTAGE.read_text().replace("critic:\n", "critic:\n  review_band: [2.5, 3.5]\n", 1)
    assert "review_band" in text
    with pytest.raises(UsageError, match="rolegraph review"):
        await run_scenario(
            Scenario.from_text(text, OUTAGE), options(tmp_path / "c", executor="processes")
        )
    assert not any((tmp_path / d).exists() for d in "abc")
