"""The Ray executor: the same accepted data as the local one, resume, Ctrl-C and the CLI.

One local Ray (2 CPUs) serves the module; the CLI test starts and stops its own.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rolegraph.errors import UsageError
from rolegraph.run.runner import RunOptions, run_scenario
from rolegraph.scenario.schema import Scenario
from tests.conftest import SCENARIOS, scripted_models

ray = pytest.importorskip("ray", reason='the Ray executor needs "rolegraph[ray]"')

OUTAGE = SCENARIOS / "support_outage.yaml"
DOCTOR = SCENARIOS / "family_doctor_visit.yaml"


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def by_id(out: Path, status: str = "accepted") -> dict[str, Any]:
    return {
        json.loads(x)["sample_id"]: json.loads(x)["messages"]
        for x in lines(out / f"{status}.jsonl")
    }


def all_ids(out: Path) -> list[str]:
    return [
        json.loads(x)["sample_id"]
        for name in ("accepted", "rejected", "failed")
        for x in lines(out / f"{name}.jsonl")
    ]


def ray_env(**extra: str) -> dict[str, str]:
    """A clean environment for a CLI run: no inherited RAY_ADDRESS, no usage reporting."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", "/root"),  # Ray keeps its auth token there
        "RAY_USAGE_STATS_ENABLED": "0",
        **extra,
    }


@pytest.fixture(scope="module")
def cluster() -> Iterator[None]:
    """A local Ray with 2 CPUs for the module, which the runs below find already started."""
    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("RAY_ADDRESS", raising=False)
        mp.setenv("RAY_USAGE_STATS_ENABLED", "0")
        ray.init(num_cpus=2, include_dashboard=False)
        try:
            yield
        finally:
            ray.shutdown()


def options(out: Path, **kw: Any) -> RunOptions:
    return RunOptions(out=out, model="scripted", quiet=True, **kw)


@pytest.mark.parametrize("path", [OUTAGE, DOCTOR], ids=["two_speakers", "director_and_gates"])
async def test_ray_gives_the_local_executors_data(cluster: None, tmp_path: Path, path: Path):
    scenario = Scenario.from_file(path)
    local = await run_scenario(scenario, options(tmp_path / "local", samples=10, seed=5))
    remote = await run_scenario(
        scenario, options(tmp_path / "ray", samples=10, seed=5, executor="ray", concurrency=4)
    )
    assert remote.counts == local.counts and remote.counts["accepted"] == 10
    assert by_id(tmp_path / "ray") == by_id(tmp_path / "local")  # same ids, same messages
    assert remote.usage == local.usage and remote.revisions == local.revisions
    ours, theirs = (
        json.loads((tmp_path / d / "manifest.json").read_text()) for d in ("ray", "local")
    )
    assert ours["status"] == theirs["status"] == "complete"
    assert ours["counts"] == theirs["counts"] and ours["usage"] == theirs["usage"]
    # two CPUs: two workers, each with its own checkpoint file, emptied as samples are recorded
    assert sorted(p.name for p in (tmp_path / "ray").glob("checkpoints-ray-*.sqlite")) == [
        "checkpoints-ray-0.sqlite",
        "checkpoints-ray-1.sqlite",
    ]


async def test_a_cancelled_ray_run_resumes_with_each_sample_once(cluster: None, tmp_path: Path):
    scenario = Scenario.from_file(OUTAGE)
    reference = tmp_path / "reference"
    await run_scenario(scenario, options(reference, samples=16))
    out = tmp_path / "run"
    task = asyncio.create_task(
        run_scenario(scenario, options(out, samples=16, executor="ray", concurrency=4))
    )
    while len(lines(out / "accepted.jsonl")) < 3 and not task.done():
        await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "interrupted" and 3 <= manifest["counts"]["accepted"] < 16
    summary = await run_scenario(scenario, options(out, resume=True, executor="ray"))
    assert summary.counts["accepted"] == 16, (summary.counts, lines(out / "rejected.jsonl")[:1])
    ids = all_ids(out)
    assert len(ids) == len(set(ids)) == 16
    assert by_id(out) == by_id(reference)


async def test_ready_made_models_cannot_travel_to_workers(tmp_path: Path):
    with pytest.raises(UsageError, match="cannot be sent to workers"):
        await run_scenario(
            Scenario.from_file(OUTAGE),
            RunOptions(out=tmp_path / "run", executor="ray", models=scripted_models()),
        )
    assert not (tmp_path / "run").exists()  # refused before anything was written


async def test_samples_waiting_for_review_would_be_out_of_reach_so_refused(tmp_path: Path):
    text = OUTAGE.read_text().replace("critic:\n", "critic:\n  review_band: [2.5, 3.5]\n", 1)
    with pytest.raises(UsageError, match="rolegraph review"):
        await run_scenario(
            Scenario.from_text(text, OUTAGE), options(tmp_path / "run", executor="ray")
        )
    assert not (tmp_path / "run").exists()


def test_missing_ray_names_the_extra(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # makes `import ray` fail
    from rolegraph.cli import main

    with pytest.raises(UsageError) as info:
        asyncio.run(
            run_scenario(Scenario.from_file(OUTAGE), options(tmp_path / "run", executor="ray"))
        )
    assert 'pip install "rolegraph[ray]"' in str(info.value) and "\n" not in str(info.value)
    argv = ["run", str(OUTAGE), "--model", "scripted", "--executor", "ray", "-q"]
    assert main([*argv, "--out", str(tmp_path / "cli")]) == 2
    assert not (tmp_path / "run").exists() and not (tmp_path / "cli").exists()


def _cli(out: Path, *extra: str, env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "rolegraph", "run", str(OUTAGE), "--model", "scripted"),
            *("--out", str(out), "-q", "--executor", "ray", *extra),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def _processes_under(path: str) -> list[str]:
    """Command lines of live processes that mention `path` (Ray's session directory)."""
    found = []
    for proc in Path("/proc").glob("[0-9]*"):
        try:
            cmd = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if path in cmd:
            found.append(cmd)
    return found


def test_cli_on_its_own_ray_stops_on_ctrl_c_and_leaves_no_process(cluster: None, tmp_path: Path):
    out = tmp_path / "run"
    ray_tmp = tempfile.mkdtemp(prefix="rg-ray-", dir="/tmp")  # short: Ray's socket paths
    try:
        proc = _cli(out, "-n", "60", "--concurrency", "2", env=ray_env(RAY_TMPDIR=ray_tmp))
        deadline = time.monotonic() + 90
        while len(lines(out / "accepted.jsonl")) < 2 and proc.poll() is None:
            assert time.monotonic() < deadline, "no sample finished"
            time.sleep(0.02)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=60)
        assert proc.returncode == 130, stderr
        assert "--resume" in stderr and "Traceback" not in stderr
        deadline = time.monotonic() + 10
        while _processes_under(ray_tmp) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert _processes_under(ray_tmp) == []  # the Ray it started is gone with it
    finally:
        shutil.rmtree(ray_tmp, ignore_errors=True)
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "interrupted"
    assert 2 <= manifest["counts"]["accepted"] == len(lines(out / "accepted.jsonl")) < 60
    summary = await_run(Scenario.from_file(OUTAGE), options(out, resume=True, executor="ray"))
    assert summary.counts["accepted"] == 60
    assert sorted(all_ids(out)) == [f"{i:06d}" for i in range(60)]


def await_run(scenario: Scenario, run: RunOptions) -> Any:
    return asyncio.run(run_scenario(scenario, run))
