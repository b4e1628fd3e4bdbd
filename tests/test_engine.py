"""Every path through the sample graph, end to end with scripted models and real files."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

import pytest
from langchain_core.messages import BaseMessage

from agents.errors import TransportError
from agents.speaker import is_cue
from rolegraph.run.runner import RunOptions, run_scenario
from tests.conftest import scripted_models

BASE = """
name: mini
task: A customer asks a clinic receptionist about an appointment.
facts:
  - The appointment is on March 3 at 10:30 am.
  - The consultation costs $40.
speakers:
  - name: patient
    persona: {name: Ana Ruiz, role: patient}
  - name: receptionist
    persona: {name: Ben Cole, role: receptionist}
dialogue: {min_turns: 2, max_turns: 4, stop_phrases: [goodbye]}
critic: {threshold: 3.5, max_revisions: 2}
run: {samples: 3, seed: 1, concurrency: 2}
"""

GOOD_TURNS = [
    "Hello, when is my appointment?",
    "It is on March 3 at 10:30 am.",
    "And what does it cost?",
    "The consultation costs $40.",
]


def transcript_of(messages: Sequence[BaseMessage]) -> str:
    return "\n".join(str(m.content) for m in messages)


def turn_number(messages: Sequence[BaseMessage]) -> int:
    return sum(1 for m in messages if m.type in ("ai", "human") and not is_cue(m))


def good_speaker(role: str, messages: Sequence[BaseMessage]) -> str:
    return GOOD_TURNS[turn_number(messages) % len(GOOD_TURNS)]


def verdict(score: int, decision: str = "accept", flagged: list[int] | None = None) -> dict:
    return {
        "rationale": "scripted",
        "scores": {"faithfulness": score, "persona": score, "quality": score},
        "evidence": [],
        "flagged_turns": flagged or [],
        "overall": score,
        "decision": decision,
    }


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


async def run(scenario, tmp_path: Path, **scripts) -> tuple[dict, Path]:
    out = tmp_path / "run"
    await run_scenario(scenario, RunOptions(out=out, quiet=True, models=scripted_models(**scripts)))
    return json.loads((out / "manifest.json").read_text()), out


async def test_accept_first_time(make_scenario, tmp_path):
    manifest, out = await run(
        make_scenario(BASE), tmp_path, speaker=good_speaker, critic=lambda r, m: verdict(5)
    )
    assert manifest["counts"] == {"planned": 3, "accepted": 3, "rejected": 0, "failed": 0}
    accepted = read(out / "accepted.jsonl")
    assert sorted(r["sample_id"] for r in accepted) == ["000000", "000001", "000002"]
    first = accepted[0]
    assert first["revisions"] == 0 and first["verdict"]["decision"] == "accept"
    assert first["verdict"]["overall"] == 5.0 and first["verdict"]["checks"] == []
    roles = [m["role"] for m in first["messages"]]
    assert roles == ["system", "user", "assistant", "user", "assistant"]
    assert "You are Ben Cole, the receptionist" in first["messages"][0]["content"]
    assert [m["content"] for m in first["messages"][1:]] == GOOD_TURNS
    assert first["stop_reason"] == "max_turns"
    assert first["usage"]["speaker"]["calls"] == 4 and first["usage"]["critic"]["calls"] == 1
    assert first["usage"]["speaker"]["total_tokens"] > 0
    assert manifest["usage"]["speaker"]["calls"] == 12


async def test_revise_then_accept(make_scenario, tmp_path):
    def critic(role, messages):
        return (
            verdict(5)
            if "REVISED" in transcript_of(messages)
            else verdict(2, "revise", flagged=[1])
        )

    manifest, out = await run(
        make_scenario(BASE),
        tmp_path,
        speaker=good_speaker,
        critic=critic,
        reviser=lambda r, m: "REVISED: it is on March 3 at 10:30 am.",
    )
    assert manifest["counts"]["accepted"] == 3
    record = read(out / "accepted.jsonl")[0]
    assert record["revisions"] == 1
    contents = [m["content"] for m in record["messages"][1:]]
    # only the flagged turn changed; the others are kept word for word
    assert contents == [
        GOOD_TURNS[0],
        "REVISED: it is on March 3 at 10:30 am.",
        GOOD_TURNS[2],
        GOOD_TURNS[3],
    ]
    assert record["usage"]["reviser"]["calls"] == 1 and record["usage"]["critic"]["calls"] == 2


async def test_revise_until_budget_spent_then_reject(make_scenario, tmp_path):
    manifest, out = await run(
        make_scenario(BASE),
        tmp_path,
        speaker=good_speaker,
        critic=lambda r, m: verdict(2, "revise", [0]),
        reviser=lambda r, m: "Hello again.",
    )
    assert manifest["counts"] == {"planned": 3, "accepted": 0, "rejected": 3, "failed": 0}
    record = read(out / "rejected.jsonl")[0]
    assert record["status"] == "rejected" and record["revisions"] == 2
    assert len(record["attempts"]) == 3  # the draft and two revisions, each with its verdict
    assert [a["verdict"]["decision"] for a in record["attempts"]] == ["revise", "revise", "reject"]
    assert record["attempts"][0]["turns"][0]["text"] == GOOD_TURNS[0]
    assert record["attempts"][1]["turns"][0]["text"] == "Hello again."
    assert record["reasons"]


async def test_failing_model_call_is_recorded_and_run_goes_on(make_scenario, tmp_path):
    def speaker(role, messages):
        if "Ana Ruiz" in transcript_of(messages) and turn_number(messages) == 2:
            raise ValueError("boom: the model server said no")
        return good_speaker(role, messages)

    scenario = make_scenario(BASE)
    manifest, out = await run(scenario, tmp_path, speaker=speaker, critic=lambda r, m: verdict(5))
    assert manifest["counts"] == {"planned": 3, "accepted": 0, "rejected": 0, "failed": 3}
    failed = read(out / "failed.jsonl")
    assert {f["sample_id"] for f in failed} == {"000000", "000001", "000002"}
    assert all("ValueError: boom" in f["error"] for f in failed)
    assert failed[0]["personas"]["patient"]["name"] == "Ana Ruiz"


async def test_one_failing_sample_does_not_stop_the_others(make_scenario, tmp_path):
    calls = {"n": 0}

    def speaker(role, messages):
        calls["n"] += 1
        if calls["n"] == 1:
            raise ValueError("first call fails")
        return good_speaker(role, messages)

    scenario = make_scenario(BASE.replace("concurrency: 2", "concurrency: 1"))
    manifest, _ = await run(scenario, tmp_path, speaker=speaker, critic=lambda r, m: verdict(5))
    assert manifest["counts"] == {"planned": 3, "accepted": 2, "rejected": 0, "failed": 1}


async def test_transport_errors_are_retried(make_scenario, tmp_path):
    calls = {"n": 0}

    def speaker(role, messages):
        calls["n"] += 1
        if calls["n"] <= 2:
            raise TransportError("503 from the server")
        return good_speaker(role, messages)

    scenario = make_scenario(BASE.replace("samples: 3", "samples: 1"))
    manifest, _out = await run(scenario, tmp_path, speaker=speaker, critic=lambda r, m: verdict(5))
    assert manifest["counts"]["accepted"] == 1
    assert calls["n"] == 4 + 2  # four turns, two of the first turn's tries failed


async def test_planted_contradiction_is_caught_even_when_the_model_critic_approves(
    make_scenario, tmp_path
):
    def speaker(role, messages):
        turns = [
            "When is it?",
            "It is on March 4 at 10:30 am and costs $55.",
            "Thanks.",
            "You're welcome.",
        ]
        return turns[turn_number(messages) % 4]

    scenario = make_scenario(BASE.replace("max_revisions: 2", "max_revisions: 0"))
    manifest, out = await run(scenario, tmp_path, speaker=speaker, critic=lambda r, m: verdict(5))
    assert manifest["counts"]["rejected"] == 3
    record = read(out / "rejected.jsonl")[0]
    v = record["verdict"]
    assert v["model_scores"]["faithfulness"] == 5 and v["model_decision"] == "accept"
    fired = {(c["check"], c["evidence"]) for c in v["checks"]}
    assert ("contradicted_money", "$55") in fired
    assert ("contradicted_date", "March 4") in fired
    assert v["scores"]["faithfulness"] == 1  # two findings cap the score at 1
    assert v["flagged_turns"] == [1]
    assert v["decision"] == "reject"


async def test_invalid_critic_output_is_fed_back_then_accepted(make_scenario, tmp_path):
    seen: list[str] = []

    def critic(role, messages):
        text = transcript_of(messages)
        seen.append(text)
        if "That reply was invalid" not in text:
            return {**verdict(5), "overall": 9}  # out of range: never a score
        return verdict(5)

    scenario = make_scenario(BASE.replace("samples: 3", "samples: 1"))
    manifest, _out = await run(scenario, tmp_path, speaker=good_speaker, critic=critic)
    assert manifest["counts"]["accepted"] == 1
    assert len(seen) == 2 and "overall" in seen[1].split("That reply was invalid")[1]


async def test_critic_that_never_complies_fails_the_sample(make_scenario, tmp_path):
    scenario = make_scenario(BASE.replace("samples: 3", "samples: 1"))
    calls = {"n": 0}

    def critic(role, messages):
        calls["n"] += 1
        return "I think it is a fine dialogue, 5 stars!"

    manifest, out = await run(scenario, tmp_path, speaker=good_speaker, critic=critic)
    assert manifest["counts"]["failed"] == 1
    assert calls["n"] == 3  # first try + critic.retries (2)
    assert "ModelOutputError" in read(out / "failed.jsonl")[0]["error"]


@pytest.mark.parametrize(
    ("turns", "min_turns", "expected_len", "reason"),
    [
        (["Hi.", "Goodbye then.", "Wait, one more thing.", "Sure."], 1, 2, "stop_phrase"),
        (["Hi.", "Goodbye then.", "Wait, one more thing.", "Sure, goodbye."], 3, 4, "stop_phrase"),
        (["Hi.", "Hello there.", "How are you today?", "Fine, thanks."], 1, 4, "max_turns"),
    ],
)
async def test_stop_conditions(make_scenario, tmp_path, turns, min_turns, expected_len, reason):
    scenario = make_scenario(
        BASE.replace("min_turns: 2", f"min_turns: {min_turns}").replace("samples: 3", "samples: 1")
    )
    _, out = await run(
        scenario,
        tmp_path,
        speaker=lambda r, m: turns[turn_number(m)],
        critic=lambda r, m: verdict(5),
    )
    record = read(out / "accepted.jsonl")[0]
    assert record["turns"] == expected_len and record["stop_reason"] == reason


async def test_repetition_ends_the_dialogue_after_resampling(make_scenario, tmp_path):
    asked = {"n": 0}

    def speaker(role, messages):
        asked["n"] += 1
        return "I would like to know about my appointment please."

    scenario = make_scenario(BASE.replace("samples: 3", "samples: 1"))
    _, out = await run(
        scenario,
        tmp_path,
        speaker=speaker,
        critic=lambda r, m: verdict(5),
        reviser=lambda r, m: "My appointment is on March 3, right?",
    )
    record = read(out / "accepted.jsonl")[0]  # the reviser repaired the repeat
    assert record["stop_reason"] == "repetition"
    assert record["turns"] == 2
    assert asked["n"] == 1 + 3  # the second turn was drawn 3 times before giving up
    assert record["revisions"] == 1
    draft = record["attempts"][0]
    assert draft["verdict"]["decision"] == "revise"
    assert [(c["check"], c["turn"]) for c in draft["verdict"]["checks"]] == [("repeated_turn", 1)]
    assert record["messages"][2]["content"] == "My appointment is on March 3, right?"


def test_run_store_looks_samples_up_by_index_without_scanning(tmp_path):
    """Workers take plans by index once per sample: a table scan would make runs quadratic."""
    from rolegraph.run.store import RunStore

    tmp_path.mkdir(exist_ok=True)
    store = RunStore(tmp_path)
    plan = store.db.execute(
        "EXPLAIN QUERY PLAN SELECT sample_id, plan FROM samples WHERE idx = ?", (7,)
    ).fetchall()
    store.db.close()
    assert any("USING INDEX samples_idx" in row[-1] for row in plan), plan
