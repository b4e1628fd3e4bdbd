"""The training view in every export, each export checked against its format's rules and read
back by its library; preference pairs for every revised turn; strict alternation.

TRL's dataset rules are checked here as TRL documents them (docs/source/dataset_formats.md and
`trl.data_utils.is_conversational`); `tests/test_tool_runs.py` also runs TRL's own data
utilities on the exports (installed by `make test` without torch).
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import BaseMessage, SystemMessage

from rolegraph.cli import main
from rolegraph.outputs.export import alternating
from rolegraph.run.runner import RunOptions, run_scenario
from rolegraph.scenario.schema import Scenario
from tests.conftest import scripted_models
from tests.test_engine import transcript_of, verdict
from tests.test_seed import SEEDED, write_jsonl
from tests.test_seed_runs import liar

TRAIN = """train:
  system: |-
    You are Sam at Lumen Fiber.
    {{ facts }}
"""
ROLES = {"system", "user", "assistant"}


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


# -- the formats' rules ----------------------------------------------------------------------
def openai_chat_problems(line: dict[str, Any]) -> list[str]:
    """OpenAI chat fine-tuning: only `messages`; roles system/user/assistant; text content; at
    least one assistant message; a system message only first."""
    problems = []
    if set(line) != {"messages"}:
        problems.append(f"keys {sorted(line)}")
    messages = line.get("messages") or []
    for i, m in enumerate(messages):
        if m.get("role") not in ROLES or not isinstance(m.get("content"), str):
            problems.append(f"message {i}: {m}")
        if m.get("role") == "system" and i:
            problems.append(f"system message at {i}")
        if set(m) - {"role", "content", "name", "weight"}:
            problems.append(f"message {i} keys {sorted(m)}")
    if not any(m.get("role") == "assistant" for m in messages):
        problems.append("no assistant message")
    return problems


def openai_preference_problems(line: dict[str, Any]) -> list[str]:
    """OpenAI preference fine-tuning: `input.messages` ending with the user's turn, and
    `preferred_output` / `non_preferred_output` each exactly one assistant message."""
    problems = []
    if set(line) != {"input", "preferred_output", "non_preferred_output"}:
        problems.append(f"keys {sorted(line)}")
    messages = (line.get("input") or {}).get("messages") or []
    if not messages or messages[-1].get("role") != "user":
        problems.append("input does not end with a user message")
    problems += [f"input {i}: {m}" for i, m in enumerate(messages) if m.get("role") not in ROLES]
    for key in ("preferred_output", "non_preferred_output"):
        out = line.get(key)
        if not (
            isinstance(out, list)
            and len(out) == 1
            and out[0].get("role") == "assistant"
            and isinstance(out[0].get("content"), str)
        ):
            problems.append(f"{key}: {out}")
    if line["preferred_output"] == line["non_preferred_output"]:
        problems.append("the two outputs are the same")
    return problems


def trl_is_conversational(example: dict[str, Any]) -> bool:
    """As `trl.data_utils.is_conversational`: a known key holding a list of role/content dicts."""
    keys = [k for k in ("prompt", "chosen", "rejected", "completion", "messages") if k in example]
    if not keys:
        return False
    value = example[keys[0]]
    return isinstance(value, list) and bool(value) and {"role", "content"} <= set(value[0])


def trl_preference_problems(pair: dict[str, Any]) -> list[str]:
    """TRL's conversational preference type: `prompt`, and `chosen` / `rejected` that continue
    it with assistant messages."""
    problems = [] if trl_is_conversational(pair) else ["not conversational"]
    if not {"prompt", "chosen", "rejected"} <= set(pair):
        problems.append(f"keys {sorted(pair)}")
    for key in ("chosen", "rejected"):
        if not all(m["role"] == "assistant" for m in pair[key]):
            problems.append(f"{key} has a non-assistant message")
    if pair["prompt"][-1]["role"] == "assistant":
        problems.append("the prompt ends with the assistant")
    return problems


def alternates(messages: Sequence[dict[str, Any]]) -> bool:
    roles = [m["role"] for m in messages if m["role"] != "system"]
    return all(a != b for a, b in itertools.pairwise(roles))


# -- a seeded run whose drafts are refused once and revised --------------------------------
_FIRST_FACT = re.compile(r"^1\. (.+)$", re.M)


def reviser(role: str, messages: Sequence[BaseMessage]) -> str:
    system = next(str(m.content) for m in messages if isinstance(m, SystemMessage))
    turn = re.search(r"Rewrite turn \[(\d+)\]", transcript_of(messages))
    assert turn, transcript_of(messages)
    return f"REVISED {turn.group(1)}: {_FIRST_FACT.search(system).group(1)}"


def critic(role: str, messages: Sequence[BaseMessage]) -> dict:
    if "REVISED" in transcript_of(messages):
        return verdict(5)
    return verdict(2, "revise", flagged=[1, 3])


@pytest.fixture
async def revised_seed_run(tmp_path: Path) -> Path:
    write_jsonl(tmp_path / "data" / "rows.jsonl")
    text = SEEDED.format(seed="data/rows.jsonl").replace(
        "critic: {max_revisions: 0}", "critic: {max_revisions: 1}"
    )
    (tmp_path / "scenario.yaml").write_text(text + TRAIN)
    scenario = Scenario.from_file(tmp_path / "scenario.yaml")
    out = tmp_path / "run"
    models = scripted_models(speaker=liar(set()), critic=critic, reviser=reviser)
    summary = await run_scenario(scenario, RunOptions(out=out, quiet=True, models=models))
    assert summary.counts["accepted"] == 6, summary.counts
    return out


def test_accepted_records_keep_both_views(revised_seed_run: Path):
    for record in read_jsonl(revised_seed_run / "accepted.jsonl"):
        system = record["messages"][0]["content"]
        facts = "\n".join(f"{i}. {f}" for i, f in enumerate(record["facts"], 1))
        assert system == f"You are Sam at Lumen Fiber.\n{facts}"  # the training view
        prompt = record["generation_prompt"]  # what the speaker was generated with
        assert prompt.startswith("Situation: ") and "Conditions: " in prompt
        assert "Reply with only Sam's next line" in prompt


def test_every_export_uses_the_training_view(revised_seed_run: Path, tmp_path: Path):
    pytest.importorskip("pyarrow")
    datasets = pytest.importorskip("datasets")
    datasets.disable_progress_bars()
    accepted = {r["sample_id"]: r for r in read_jsonl(revised_seed_run / "accepted.jsonl")}
    systems = {sid: r["messages"][0]["content"] for sid, r in accepted.items()}
    formats = ["openai", "sharegpt", "preference", "openai-preference", "parquet", "hf"]
    out = {f: tmp_path / "export" / f for f in formats}
    for fmt in formats:
        assert main(["export", str(revised_seed_run), "--format", fmt, "-o", str(out[fmt])]) == 0
        files = [out[fmt]] if out[fmt].is_file() else sorted(out[fmt].rglob("*.*"))
        for file in files:
            raw = file.read_bytes()
            assert b"Reply with only" not in raw and b"Conditions: " not in raw, (fmt, file)
            assert b"Situation: " not in raw, (fmt, file)

    chat = read_jsonl(out["openai"])
    assert [line["messages"][0]["content"] for line in chat] == list(systems.values())
    assert [p for line in chat for p in openai_chat_problems(line)] == []
    assert all(trl_is_conversational(line) for line in chat)

    share = read_jsonl(out["sharegpt"])
    assert [c["conversations"][0] for c in share] == [
        {"from": "system", "value": s} for s in systems.values()
    ]

    pairs = read_jsonl(out["preference"])
    assert len(pairs) == 12  # two revised assistant turns in each of the six samples
    assert sorted({p["turn"] for p in pairs}) == [1, 3]
    for pair in pairs:
        assert trl_preference_problems(pair) == []
        assert pair["prompt"][0] == {"role": "system", "content": systems[pair["sample_id"]]}
        assert pair["chosen"][0]["content"].startswith(f"REVISED {pair['turn']}: ")
        assert not pair["rejected"][0]["content"].startswith("REVISED")
    ds = datasets.Dataset.from_json(str(out["preference"]), cache_dir=str(tmp_path / "c1"))
    assert ds.num_rows == 12 and {"prompt", "chosen", "rejected"} <= set(ds.column_names)

    openai_pairs = read_jsonl(out["openai-preference"])
    assert len(openai_pairs) == 12
    assert [p for line in openai_pairs for p in openai_preference_problems(line)] == []
    assert openai_pairs[0]["input"]["messages"] == pairs[0]["prompt"]
    assert openai_pairs[0]["preferred_output"] == pairs[0]["chosen"]

    import pyarrow.parquet as pq

    rows = pq.read_table(out["parquet"]).to_pylist()
    assert [r["messages"][0]["content"] for r in rows] == list(systems.values())
    assert (
        rows[0]["seed_values"]["ticket"]
        == accepted[rows[0]["sample_id"]]["seed_record"]["values"]["ticket"]
    )
    assert rows[0]["verdict"]["decision"] == "accept" and rows[0]["revisions"] == 1

    hf = datasets.load_dataset(str(out["hf"]), split="train", cache_dir=str(tmp_path / "c2"))
    assert hf.num_rows == 6
    assert [m[0]["content"] for m in hf["messages"]] == list(systems.values())
    assert hf.features["persona_details"]["customer"]["name"].dtype == "string"  # a struct
    assert sorted(hf["seed_row"]) == list(range(6))
    card = (out["hf"] / "README.md").read_text()
    assert "configs:\n  - config_name: default" in card and "path: data/train-" in card


THREE = """
name: three
task: A customer, an agent and a supervisor sort out a bill.
facts: [The bill is $40.]
speakers:
  - {name: customer, persona: {name: Ana Ruiz, role: customer}}
  - {name: agent, persona: {name: Sam, role: support agent}}
  - {name: supervisor, persona: {name: Lee Park, role: supervisor}}
dialogue: {min_turns: 6, max_turns: 6}
critic: {max_revisions: 0}
run: {samples: 2, seed: 1}
"""


async def test_strict_alternation_merges_the_other_speakers_with_names(make_scenario, tmp_path):
    out = tmp_path / "run"
    await run_scenario(make_scenario(THREE), RunOptions(out=out, quiet=True, model="scripted"))
    record = read_jsonl(out / "accepted.jsonl")[0]
    roles = [m["role"] for m in record["messages"]]
    assert roles == ["system", "user", "assistant", "user", "user", "assistant", "user"]
    assert not alternates(record["messages"])
    path = tmp_path / "alt.jsonl"
    assert main(["export", str(out), "--format", "openai", "--alternate", "-o", str(path)]) == 0
    for line in read_jsonl(path):
        messages = line["messages"]
        assert alternates(messages) and openai_chat_problems(line) == []
        assert [m["role"] for m in messages] == [
            "system",
            "user",
            "assistant",
            "user",
            "assistant",
            "user",
        ]
        assert all("name" not in m for m in messages)
    merged = read_jsonl(path)[0]["messages"][3]["content"].split("\n")
    turns = record["messages"]
    assert merged == [
        f"supervisor: {turns[3]['content']}",
        f"customer: {turns[4]['content']}",
    ]
    assert read_jsonl(path)[0]["messages"][1]["content"] == f"customer: {turns[1]['content']}"


def test_alternating_rules():
    messages = [
        {"role": "system", "content": "s"},
        {"role": "assistant", "content": "a1"},
        {"role": "assistant", "content": "a2"},
        {"role": "user", "content": "u1", "name": "x"},
        {"role": "user", "content": "u2", "name": "y"},
    ]
    assert alternating(messages) == [
        {"role": "system", "content": "s"},
        {"role": "assistant", "content": "a1\na2"},  # the assistant's words are never prefixed
        {"role": "user", "content": "x: u1\ny: u2"},
    ]
