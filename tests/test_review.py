"""Human review of borderline samples: paused threads (interrupt) resumed by a person's decision."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from rolegraph.errors import UsageError
from rolegraph.outputs.export import export
from rolegraph.outputs.rundir import open_run
from rolegraph.run.review import Quit, review_run
from rolegraph.run.runner import CHECKPOINTS, RunOptions, run_scenario
from rolegraph.run.store import RunStore
from tests.conftest import ROOT, scripted_models
from tests.test_engine import BASE, GOOD_TURNS, good_speaker, read, verdict

BAND = BASE.replace(
    "critic: {threshold: 3.5, max_revisions: 2}",
    "critic: {threshold: 3.5, max_revisions: 2, review_band: [2.5, 3.5]}",
)


def critic_scoring(scores: dict[str, int]):
    """A critic whose score depends on the sample (told apart by the turns' count of calls)."""
    calls = {"n": 0}

    def critic(role, messages):
        score = scores.get(str(calls["n"]), 5)
        calls["n"] += 1
        return verdict(score, "accept" if score >= 4 else "revise", [1])

    return critic


async def run_with_band(make_scenario, tmp_path: Path, critic, samples: int = 3) -> Path:
    scenario = make_scenario(
        BAND.replace("samples: 3", f"samples: {samples}").replace(
            "concurrency: 2", "concurrency: 1"
        )
    )
    out = tmp_path / "run"
    await run_scenario(
        scenario,
        RunOptions(
            out=out, quiet=True, models=scripted_models(speaker=good_speaker, critic=critic)
        ),
    )
    return out


def manifest(out: Path) -> dict:
    return json.loads((out / "manifest.json").read_text())


async def test_borderline_samples_wait_and_are_decided_by_a_person(make_scenario, tmp_path):
    # sample 0 scores 3 (in the band), sample 1 scores 5 (accepted by the model), sample 2 scores 3
    out = await run_with_band(make_scenario, tmp_path, critic_scoring({"0": 3, "2": 3}))
    m = manifest(out)
    assert m["counts"] == {"planned": 3, "accepted": 1, "rejected": 0, "failed": 0, "review": 2}
    assert m["status"] == "awaiting_review"
    assert [r["sample_id"] for r in read(out / "accepted.jsonl")] == ["000001"]
    assert not (out / "rejected.jsonl").read_text()  # waiting samples are in no file yet
    store = RunStore(out)
    assert store.waiting_for_review() == ["000000", "000002"]
    store.close()

    # a resumed run does not redo or re-decide them
    await run_scenario(
        make_scenario(BAND.replace("concurrency: 2", "concurrency: 1")),
        RunOptions(out=out, resume=True, quiet=True, models=scripted_models(critic=_no_calls)),
    )
    assert manifest(out)["counts"]["review"] == 2

    seen = []

    def decide(payload):
        seen.append(payload)
        if payload["sample_id"] == "000000":
            return {
                "action": "accept",
                "edits": {1: "It is on March 3, at 10:30 am."},
                "note": "ok",
            }
        return {"action": "reject", "note": "too stiff"}

    done = await review_run(out, decide, models=scripted_models(critic=_no_calls))
    assert done == {"accepted": 1, "rejected": 1}
    first = seen[0]
    assert first["verdict"]["overall"] == 3.0 and first["verdict"]["decision"] == "revise"
    assert [t["text"] for t in first["turns"]] == GOOD_TURNS

    m = manifest(out)
    assert m["counts"] == {"planned": 3, "accepted": 2, "rejected": 1, "failed": 0}
    assert m["status"] == "complete"
    accepted = {r["sample_id"]: r for r in read(out / "accepted.jsonl")}
    record = accepted["000000"]
    assert record["messages"][2]["content"] == "It is on March 3, at 10:30 am."
    assert record["verdict"]["decision"] == "accept"
    assert record["review"]["decision"] == "accept"
    assert record["review"]["model_decision"] == "revise"
    assert record["review"]["edits"] == [
        {"turn": 1, "before": GOOD_TURNS[1], "after": "It is on March 3, at 10:30 am."}
    ]
    assert record["revisions"] == 0 and record["usage"]["critic"]["calls"] == 1
    rejected = read(out / "rejected.jsonl")
    assert [r["sample_id"] for r in rejected] == ["000002"]
    assert rejected[0]["reasons"] == ["rejected in review: too stiff"]
    # the store holds the decision too, and the checkpoints of decided samples are gone
    store = RunStore(out)
    try:
        row = store.db.execute(
            "SELECT status, record FROM samples WHERE sample_id = '000000'"
        ).fetchone()
        assert row[0] == "accepted" and json.loads(row[1])["review"]["note"] == "ok"
        assert store.waiting_for_review() == []
    finally:
        store.close()
    # exports carry the person's edit
    result = export(open_run(out), "openai")
    lines = [json.loads(x) for x in Path(result.path).read_text().splitlines()]
    assert "It is on March 3, at 10:30 am." in json.dumps(lines)
    # nothing left: a second review is a no-op
    assert await review_run(out, decide, models=scripted_models()) == {}


def _no_calls(role, messages):
    raise AssertionError("a decided or paused sample must not call the critic again")


async def test_scores_outside_the_band_are_decided_by_the_model(make_scenario, tmp_path):
    out = await run_with_band(make_scenario, tmp_path, lambda r, m: verdict(5))
    assert manifest(out)["counts"] == {"planned": 3, "accepted": 3, "rejected": 0, "failed": 0}
    assert manifest(out)["status"] == "complete"
    assert all("review" not in r for r in read(out / "accepted.jsonl"))


async def test_a_revised_draft_can_land_in_the_band(make_scenario, tmp_path):
    # the first draft scores 2 (revise), the revision 3 (in the band): the person decides then
    out = await run_with_band(make_scenario, tmp_path, critic_scoring({"0": 2, "1": 3}), samples=1)
    assert manifest(out)["counts"]["review"] == 1
    done = await review_run(out, lambda p: {"action": "accept"}, models=scripted_models())
    assert done == {"accepted": 1}
    record = read(out / "accepted.jsonl")[0]
    assert record["revisions"] == 1 and len(record["attempts"]) == 2


async def test_skip_and_quit_leave_samples_waiting(make_scenario, tmp_path):
    out = await run_with_band(make_scenario, tmp_path, lambda r, m: verdict(3, "revise", [1]))
    assert manifest(out)["counts"]["review"] == 3
    answers = iter([None, {"action": "reject"}])

    def decide(payload):
        answer = next(answers, "quit")
        if answer == "quit":
            raise Quit
        return answer

    assert await review_run(out, decide, models=scripted_models()) == {"skipped": 1, "rejected": 1}
    m = manifest(out)
    assert m["counts"]["review"] == 2 and m["status"] == "awaiting_review"
    store = RunStore(out)
    try:
        assert store.waiting_for_review() == ["000000", "000002"]
    finally:
        store.close()
    assert (out / CHECKPOINTS).exists()


async def test_a_bad_edit_is_refused_and_the_sample_keeps_waiting(make_scenario, tmp_path):
    out = await run_with_band(make_scenario, tmp_path, lambda r, m: verdict(3, "revise"), samples=1)
    with pytest.raises(UsageError, match="no turn 9 to edit"):
        await review_run(out, lambda p: {"action": "accept", "edits": {9: "x"}})
    assert manifest(out)["counts"]["review"] == 1
    assert await review_run(out, lambda p: {"action": "accept"}) == {"accepted": 1}


def test_review_band_is_checked(make_scenario):
    from rolegraph.errors import ScenarioError

    with pytest.raises(ScenarioError, match="1 <= low <= high <= 5"):
        make_scenario(BAND.replace("[2.5, 3.5]", "[4, 3]"))


async def test_review_in_the_terminal(make_scenario, tmp_path):
    out = await run_with_band(make_scenario, tmp_path, critic_scoring({"0": 3, "2": 3}))
    # sample 0: edit turn 3, then accept with no note; sample 2: reject with a note
    answers = "e\n3\nThe visit costs $40.\na\n\nr\nnot natural\n"
    proc = subprocess.run(
        [sys.executable, "-m", "rolegraph", "review", str(out)],
        input=answers,
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "sample 000000" in proc.stdout and "sample 000002" in proc.stdout
    assert GOOD_TURNS[0] in proc.stdout and "overall" in proc.stdout and "rationale" in proc.stdout
    assert "1 accepted, 1 rejected" in proc.stdout
    accepted = {r["sample_id"]: r for r in read(out / "accepted.jsonl")}
    assert accepted["000000"]["messages"][4]["content"] == "The visit costs $40."
    assert read(out / "rejected.jsonl")[0]["review"]["note"] == "not natural"
    proc = subprocess.run(
        [sys.executable, "-m", "rolegraph", "review", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert proc.returncode == 0 and "no sample waits for review" in proc.stdout
