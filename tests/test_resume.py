"""Nothing lost, nothing paid twice: resume after cancellation, SIGKILL and Ctrl-C; early stops."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from langchain_core.messages import BaseMessage

from agents.speaker import is_cue
from bench.mock_server import MockConfig, serve_in_thread
from rolegraph.errors import UsageError
from rolegraph.run.runner import RunOptions, run_scenario
from rolegraph.scenario.schema import Scenario
from tests.conftest import SCENARIOS, scripted_models
from tests.test_openai_endpoint import responder

OUTAGE = SCENARIOS / "support_outage.yaml"


def turns_in(messages: Sequence[BaseMessage]) -> int:
    return sum(1 for m in messages if m.type in ("ai", "human") and not is_cue(m))


def lines(path: Path) -> list[str]:
    return path.read_text().splitlines() if path.exists() else []


def all_ids(out: Path) -> list[str]:
    return [
        json.loads(x)["sample_id"]
        for name in ("accepted", "rejected", "failed")
        for x in lines(out / f"{name}.jsonl")
    ]


async def test_an_interrupted_sample_continues_from_its_last_completed_turn(tmp_path: Path):
    scenario = Scenario.from_file(OUTAGE)
    out = tmp_path / "run"
    reached = asyncio.Event()
    loop = asyncio.get_running_loop()
    first_turn_seen: list[int] = []

    def speaker_that_stalls(role, messages):
        if turns_in(messages) == 3:  # writing turn 4 when the process is stopped
            loop.call_soon_threadsafe(reached.set)
            time.sleep(0.3)
        from rolegraph.models.scripted import default_script

        return default_script(role, messages)

    task = asyncio.create_task(
        run_scenario(
            scenario,
            RunOptions(
                out=out, samples=1, quiet=True, models=scripted_models(speaker=speaker_that_stalls)
            ),
        )
    )
    await reached.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert lines(out / "accepted.jsonl") == []
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "interrupted" and manifest["counts"]["accepted"] == 0

    def speaker_after_restart(role, messages):
        first_turn_seen.append(turns_in(messages))
        from rolegraph.models.scripted import default_script

        return default_script(role, messages)

    summary = await run_scenario(
        scenario,
        RunOptions(
            out=out, resume=True, quiet=True, models=scripted_models(speaker=speaker_after_restart)
        ),
    )
    assert summary.counts["accepted"] == 1
    assert first_turn_seen[0] == 3, "the resumed sample asked only for turn 4 onwards"
    assert len(first_turn_seen) == 3  # turns 4, 5 and 6
    record = json.loads(lines(out / "accepted.jsonl")[0])
    assert record["turns"] == 6 and record["usage"]["speaker"]["calls"] == 6


async def test_resume_refuses_a_changed_scenario_unless_forced(tmp_path: Path):
    out = tmp_path / "run"
    await run_scenario(
        Scenario.from_file(OUTAGE), RunOptions(out=out, samples=2, model="scripted", quiet=True)
    )
    changed = Scenario.from_text(OUTAGE.read_text().replace("3:00 pm", "4:00 pm"), OUTAGE)
    with pytest.raises(UsageError, match="scenario changed"):
        await run_scenario(changed, RunOptions(out=out, resume=True, model="scripted", quiet=True))
    summary = await run_scenario(
        changed, RunOptions(out=out, resume=True, force=True, model="scripted", quiet=True)
    )
    assert summary.counts["accepted"] == 2 and len(all_ids(out)) == 2
    with pytest.raises(UsageError, match="already holds a run"):
        await run_scenario(changed, RunOptions(out=out, model="scripted", quiet=True))


async def test_wholesale_failure_stops_early_and_resume_finishes(tmp_path: Path):
    scenario = Scenario.from_file(OUTAGE)
    out = tmp_path / "run"

    def broken(role, messages):
        raise PermissionError("401: invalid API key")

    summary = await run_scenario(
        scenario,
        RunOptions(
            out=out,
            samples=40,
            concurrency=2,
            max_failures=5,
            quiet=True,
            models=scripted_models(speaker=broken),
        ),
    )
    assert summary.stopped and "5 samples in a row failed" in summary.stopped
    assert 5 <= summary.counts["failed"] <= 6  # the ones already in flight still finish
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "stopped" and manifest["counts"]["planned"] == 40
    summary = await run_scenario(
        scenario, RunOptions(out=out, resume=True, model="scripted", quiet=True)
    )
    counts = json.loads((out / "manifest.json").read_text())["counts"]
    assert counts["planned"] == 40 == counts["accepted"] + counts["failed"]
    assert sorted(all_ids(out)) == [f"{i:06d}" for i in range(40)]


async def test_cost_budget_stops_new_samples(tmp_path: Path):
    text = OUTAGE.read_text().replace(
        "default: local", "default: {spec: scripted, price_input: 1000, price_output: 1000}"
    )
    scenario = Scenario.from_text(text, OUTAGE)
    out = tmp_path / "run"
    summary = await run_scenario(
        scenario, RunOptions(out=out, samples=30, concurrency=1, max_cost=10.0, quiet=True)
    )
    per_sample = summary.cost / summary.done
    assert summary.stopped and "cost budget" in summary.stopped
    assert summary.cost <= 10.0 < summary.cost + 2 * per_sample
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["cost_usd"] == pytest.approx(summary.cost, rel=1e-6)
    assert manifest["usage_by_model"]["scripted"]["cost_usd"] == pytest.approx(
        summary.cost, rel=1e-6
    )


def _start(scenario: Path, out: Path, url: str, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "rolegraph",
            "run",
            str(scenario),
            "--model",
            "openai:m",
            "--base-url",
            url,
            "--out",
            str(out),
            "-q",
            "--concurrency",
            "4",
            "--no-critic-check",  # its calls and its warning are not what these tests are about
            *extra,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(out.parent)},
    )


def _finish(proc: subprocess.Popen, timeout: float = 120) -> int:
    """Wait for the process, reading its pipes (unread pipes leak); print stderr on failure."""
    _, stderr = proc.communicate(timeout=timeout)
    if proc.returncode not in (0, -signal.SIGKILL):
        print(stderr)
    return proc.returncode


def _wait_for_lines(out: Path, n: int, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        if len(lines(out / "accepted.jsonl")) >= n:
            return
        time.sleep(0.02)
    raise AssertionError(f"the run did not reach {n} samples (exit {proc.poll()})")


@pytest.mark.parametrize("kill_after", [0, 3, 9])
def test_sigkill_at_any_point_then_resume_gives_the_uninterrupted_result(
    tmp_path: Path, kill_after: int
):
    with serve_in_thread(MockConfig(responder=responder, latency_ms=15)) as server:
        reference = tmp_path / "reference"
        assert _finish(_start(OUTAGE, reference, server.base_url, "-n", "12")) == 0
        out = tmp_path / "run"
        proc = _start(OUTAGE, out, server.base_url, "-n", "12")
        if kill_after:
            _wait_for_lines(out, kill_after, proc)
        else:  # as soon as the store exists: while planning, or before any sample finished
            while not (out / "run.sqlite").exists() and proc.poll() is None:
                time.sleep(0.005)
        proc.send_signal(signal.SIGKILL)
        _finish(proc)
        before = (out / "accepted.jsonl").read_text() if (out / "accepted.jsonl").exists() else ""
        assert _finish(_start(OUTAGE, out, server.base_url, "--resume", "-n", "12")) == 0
    after = (out / "accepted.jsonl").read_text()
    assert after.startswith(before.rsplit("\n", 1)[0] if not before.endswith("\n") else before)
    ids = all_ids(out)
    assert len(ids) == len(set(ids)) == 12
    ours = json.loads((out / "manifest.json").read_text())["counts"]
    theirs = json.loads((reference / "manifest.json").read_text())["counts"]
    assert ours == theirs == {"planned": 12, "accepted": 12, "rejected": 0, "failed": 0}
    reference_by_id = {
        json.loads(x)["sample_id"]: json.loads(x)["messages"]
        for x in lines(reference / "accepted.jsonl")
    }
    resumed_by_id = {
        json.loads(x)["sample_id"]: json.loads(x)["messages"] for x in lines(out / "accepted.jsonl")
    }
    assert resumed_by_id == reference_by_id  # the same data, whatever the interruption


def test_ctrl_c_stops_cleanly_and_says_how_to_resume(tmp_path: Path):
    with serve_in_thread(MockConfig(responder=responder, latency_ms=30)) as server:
        out = tmp_path / "run"
        proc = _start(OUTAGE, out, server.base_url, "-n", "40")
        _wait_for_lines(out, 2, proc)
        proc.send_signal(signal.SIGINT)
        _, stderr = proc.communicate(timeout=30)
        assert proc.returncode == 130
        assert "--resume" in stderr and "Traceback" not in stderr
        manifest = json.loads((out / "manifest.json").read_text())
        assert manifest["status"] == "interrupted"
        finished = len(all_ids(out))
        assert manifest["counts"]["accepted"] == finished >= 2
        assert all(json.loads(x) for x in lines(out / "accepted.jsonl"))  # no torn lines
        assert _finish(_start(OUTAGE, out, server.base_url, "--resume")) == 0
    assert sorted(all_ids(out)) == [f"{i:06d}" for i in range(40)]


@pytest.mark.parametrize(("policy", "on_disk"), [("step", True), ("sample", False)])
async def test_checkpoint_policy_decides_what_a_hard_kill_keeps(
    tmp_path: Path, policy: str, on_disk: bool
):
    """'step' has the running sample's steps on disk (a SIGKILL resumes mid-dialogue); 'sample' does not."""
    import sqlite3

    from rolegraph.models.scripted import ScriptedChatModel

    scenario = Scenario.from_file(OUTAGE)
    out = tmp_path / "run"
    reached, release = asyncio.Event(), asyncio.Event()
    rows: list[int] = []

    class Stalling(ScriptedChatModel):
        """Waits, mid-dialogue, until the test has looked at the checkpoint file."""

        async def _agenerate(self, messages, stop=None, run_manager=None, **kwargs):
            if turns_in(messages) == 3:
                reached.set()
                await release.wait()
            return await super()._agenerate(messages, stop, run_manager, **kwargs)

    models = {**scripted_models(), "speaker": Stalling(role="speaker")}
    task = asyncio.create_task(
        run_scenario(
            scenario,
            RunOptions(out=out, samples=1, quiet=True, checkpoint=policy, models=models),
        )
    )
    await reached.wait()
    await asyncio.sleep(0.2)  # let the previous steps' checkpoints land (batched every 25 ms)
    with sqlite3.connect(out / "checkpoints.sqlite") as db:
        rows.append(
            db.execute(
                "SELECT COUNT(*) FROM checkpoints WHERE thread_id LIKE '%-000000'"
            ).fetchone()[0]
        )
    release.set()
    summary = await task
    assert summary.counts["accepted"] == 1
    assert (rows[0] > 0) is on_disk


async def test_retry_failed_runs_failures_again_and_keeps_them_in_history(tmp_path: Path):
    from rolegraph.cli import main
    from rolegraph.run.store import RunStore

    scenario = Scenario.from_file(OUTAGE)
    out = tmp_path / "run"

    def broken(role, messages):
        raise PermissionError("401: invalid API key [type=auth]")

    first = await run_scenario(
        scenario,
        RunOptions(
            out=out,
            samples=12,
            concurrency=2,
            max_failures=4,
            quiet=True,
            models=scripted_models(critic=broken),  # the speaker's tokens are spent, then it fails
        ),
    )
    assert first.stopped and "--resume --retry-failed" in first.stopped
    failed = {json.loads(x)["sample_id"] for x in lines(out / "failed.jsonl")}
    assert 4 <= len(failed) <= 5
    store = RunStore(out)
    spent_before = store.totals()["usage"]["speaker"]["calls"]
    store.close()
    # a plain resume leaves them failed (their failure is their result) ...
    await run_scenario(scenario, RunOptions(out=out, resume=True, model="scripted", quiet=True))
    assert {json.loads(x)["sample_id"] for x in lines(out / "failed.jsonl")} == failed
    # ... --retry-failed (from the command line, without --resume: it is implied) runs them again
    code = await asyncio.to_thread(
        main, ["run", str(OUTAGE), "--out", str(out), "--model", "scripted", "-q", "--retry-failed"]
    )
    assert code == 0
    assert lines(out / "failed.jsonl") == []  # no sample is failed now, so none is listed there
    accepted = [json.loads(x) for x in lines(out / "accepted.jsonl")]
    assert sorted(r["sample_id"] for r in accepted) == [f"{i:06d}" for i in range(12)]
    retried = {r["sample_id"]: r for r in accepted if "history" in r}
    assert set(retried) == failed
    for record in retried.values():
        (earlier,) = record["history"]
        assert earlier["status"] == "failed"
        assert earlier["error"] == "PermissionError: 401: invalid API key [type=auth]"
        assert earlier["finished_at"]
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["counts"] == {"planned": 12, "accepted": 12, "rejected": 0, "failed": 0}
    assert manifest["retried"] == len(failed) and manifest["status"] == "complete"
    store = RunStore(out)
    try:
        assert [h["status"] for h in store.history(sorted(failed)[0])] == ["failed"]
        # what the failed attempts spent still counts
        assert store.totals()["usage"]["speaker"]["calls"] > spent_before
        assert manifest["usage"]["speaker"]["calls"] == store.totals()["usage"]["speaker"]["calls"]
    finally:
        store.close()


def test_a_status_file_holds_only_current_statuses(tmp_path: Path):
    """A crash between retrying in the store and rewriting failed.jsonl is mended on open."""
    from rolegraph.run.store import RunStore, reconcile_files

    out = tmp_path / "run"
    out.mkdir()
    store = RunStore(out)
    store.add_plan([("a", 0, 0, {}), ("b", 1, 0, {})], planned="2")
    store.finish("a", "failed", {"sample_id": "a", "error": "boom"}, [])
    store.finish("b", "accepted", {"sample_id": "b"}, [])
    reconcile_files(store)
    (out / "accepted.jsonl").write_text('{"sample_id": "b"}\n{"sample_id": "b"}\n')  # twice
    store.retry_failed()
    store.finish("a", "accepted", {"sample_id": "a"}, [])
    assert reconcile_files(store) == 3  # a dropped from failed, b's repeat dropped, a appended
    assert lines(out / "failed.jsonl") == []
    assert [json.loads(x)["sample_id"] for x in lines(out / "accepted.jsonl")] == ["b", "a"]
    assert store.history("a")[0]["error"] == "boom"
    store.close()
