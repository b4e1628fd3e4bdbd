"""`rolegraph export`: every format from real scripted runs, loaded by the library it targets."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from rolegraph.cli import main
from rolegraph.errors import UsageError
from rolegraph.outputs.export import export, preference_pairs, sample_weights
from rolegraph.outputs.rundir import open_run
from rolegraph.run.runner import RunOptions, run_scenario
from tests.conftest import scripted_models
from tests.test_engine import BASE, GOOD_TURNS, good_speaker, transcript_of, verdict


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


@pytest.fixture
async def scripted_run(outage, tmp_path) -> Path:
    """Five accepted samples of the shipped outage scenario, written by the scripted model."""
    out = tmp_path / "run"
    await run_scenario(outage, RunOptions(out=out, samples=5, model="scripted", quiet=True))
    return out


@pytest.fixture
async def revised_run(make_scenario, tmp_path) -> Path:
    """Three samples whose assistant turn 1 the critic refuses once, then accepts revised."""

    def critic(role, messages):
        if "REVISED" in transcript_of(messages):
            return verdict(5)
        return verdict(2, "revise", flagged=[1])

    out = tmp_path / "revised"
    models = scripted_models(
        speaker=good_speaker, critic=critic, reviser=lambda r, m: "REVISED: March 3 at 10:30 am."
    )
    await run_scenario(make_scenario(BASE), RunOptions(out=out, quiet=True, models=models))
    return out


def test_openai_lines_hold_only_messages(scripted_run, capsys):
    assert main(["export", str(scripted_run), "--format", "openai"]) == 0
    path = scripted_run / "export" / "openai.jsonl"
    assert capsys.readouterr().out.strip() == f"5 openai rows written to {path}"
    lines = read_jsonl(path)
    accepted = read_jsonl(scripted_run / "accepted.jsonl")
    assert len(lines) == 5
    assert all(set(line) == {"messages"} for line in lines)
    assert [line["messages"] for line in lines] == [r["messages"] for r in accepted]
    roles = [m["role"] for m in lines[0]["messages"]]
    assert roles[0] == "system" and set(roles[1:]) == {"user", "assistant"}


def test_sharegpt_conversations(scripted_run, tmp_path):
    out = tmp_path / "sharegpt.jsonl"
    assert main(["export", str(scripted_run), "--format", "sharegpt", "-o", str(out)]) == 0
    lines = read_jsonl(out)
    first = read_jsonl(scripted_run / "accepted.jsonl")[0]
    assert lines[0]["id"] == first["sample_id"]
    turns = lines[0]["conversations"]
    assert [t["from"] for t in turns] == ["system", "human", "gpt", "human", "gpt", "human", "gpt"]
    assert [t["value"] for t in turns] == [m["content"] for m in first["messages"]]


def test_parquet_loads_in_pyarrow(scripted_run, tmp_path):
    pq = pytest.importorskip("pyarrow.parquet")
    out = tmp_path / "data.parquet"
    assert main(["export", str(scripted_run), "--format", "parquet", "-o", str(out)]) == 0
    table = pq.read_table(out)
    assert table.num_rows == 5
    rows = table.to_pylist()
    accepted = read_jsonl(scripted_run / "accepted.jsonl")
    assert rows[0]["messages"] == accepted[0]["messages"]
    assert rows[0]["conditions"] == accepted[0]["conditions"]
    assert rows[0]["personas"] == {
        "customer": accepted[0]["personas"]["customer"]["name"],
        "agent": "Sam",
    }
    assert rows[0]["scores"] == accepted[0]["verdict"]["scores"]
    # nested fields are structs, not JSON text
    assert rows[0]["verdict"] == accepted[0]["verdict"]
    assert rows[0]["persona_details"]["agent"]["traits"] == ["patient", "clear", "empathetic"]
    assert str(table.schema.field("verdict").type).startswith("struct<rationale: string")


def test_hf_folder_loads_with_datasets_and_has_a_card(scripted_run, tmp_path):
    datasets = pytest.importorskip("datasets")
    out = tmp_path / "hf"
    assert main(["export", str(scripted_run), "--format", "hf", "-o", str(out), "--weights"]) == 0
    ds = datasets.load_dataset(str(out), split="train", cache_dir=str(tmp_path / "cache"))
    assert ds.num_rows == 5
    assert ds.features["verdict"]["scores"]["faithfulness"].dtype == "int64"  # a struct
    assert {"messages", "conditions", "scores", "weight"} <= set(ds.column_names)
    accepted = read_jsonl(scripted_run / "accepted.jsonl")
    assert ds[2]["messages"] == accepted[2]["messages"]
    assert all(0.0 <= w <= 1.0 for w in ds["weight"])
    card = (out / "README.md").read_text()
    assert card.startswith("---\npretty_name: support-outage")
    assert "Planned 5: 5 accepted, 0 rejected" in card
    assert "`scripted`" in card and "distinct-1/2/3" in card and "mood" in card


def test_preference_pairs_from_a_revised_run(revised_run, tmp_path):
    out = tmp_path / "pairs.jsonl"
    assert main(["export", str(revised_run), "--format", "preference", "-o", str(out)]) == 0
    pairs = read_jsonl(out)
    assert len(pairs) == 3  # one refused draft per sample
    pair = pairs[0]
    assert [m["role"] for m in pair["prompt"]] == ["system", "user"]
    assert pair["prompt"][1]["content"] == GOOD_TURNS[0]
    assert pair["chosen"] == [{"role": "assistant", "content": "REVISED: March 3 at 10:30 am."}]
    assert pair["rejected"] == [{"role": "assistant", "content": GOOD_TURNS[1]}]
    assert pair["rejected_verdict"]["decision"] == "revise" and pair["turn"] == 1
    datasets = pytest.importorskip("datasets")
    ds = datasets.Dataset.from_json(str(out), cache_dir=str(tmp_path / "cache"))
    assert ds.num_rows == 3 and {"prompt", "chosen", "rejected"} <= set(ds.column_names)


def hand_record(final: list[str], attempts: list[tuple[list[str], str]], status="accepted") -> dict:
    roles = ["user", "assistant"]
    return {
        "sample_id": "007",
        "status": status,
        "messages": [{"role": "system", "content": "sys"}]
        + [{"role": roles[i % 2], "content": t} for i, t in enumerate(final)],
        "attempts": [
            {
                "turns": [
                    {"speaker": ["customer", "agent"][i % 2], "text": t}
                    for i, t in enumerate(turns)
                ],
                "verdict": {"decision": decision, "scores": {"faithfulness": 2}},
            }
            for turns, decision in attempts
        ],
    }


def test_preference_pairs_rules_on_hand_written_records():
    final = ["q1", "good answer", "q2", "good answer 2"]
    two_drafts = hand_record(
        final,
        [
            (["q1", "bad answer", "q2", "bad answer 2"], "revise"),
            (["q1", "good answer", "q2", "bad answer 2"], "revise"),
            (final, "accept"),
        ],
    )
    pairs = preference_pairs(two_drafts)
    assert [(p["turn"], p["rejected"][0]["content"], p["chosen"][0]["content"]) for p in pairs] == [
        (1, "bad answer", "good answer"),
        (3, "bad answer 2", "good answer 2"),
    ]
    assert [m["content"] for m in pairs[1]["prompt"]] == ["sys", "q1", "good answer", "q2"]
    # the user turn changed first: the two answers do not share a prompt
    user_first = hand_record(
        final, [(["q0", "bad", "q2", "good answer 2"], "revise"), (final, "accept")]
    )
    assert preference_pairs(user_first) == []
    rejected = hand_record(final, [(final, "revise")], status="rejected")
    assert preference_pairs(rejected) == []
    repeated = hand_record(
        final, [(["q1", "bad", *final[2:]], "revise"), (["q1", "bad", *final[2:]], "revise")]
    )
    assert len(preference_pairs(repeated)) == 1  # the same draft twice gives one pair


def test_weights_favour_novel_well_scored_samples():
    def rec(sid, text, overall):
        return {
            "sample_id": sid,
            "messages": [{"role": "user", "content": text}],
            "verdict": {"overall": overall},
        }

    same = "my internet is down since this morning"
    weights = sample_weights(
        [rec("a", same, 5), rec("b", same, 5), rec("c", "totally different words here", 3)]
    )
    # a: first of its kind, top score; b: duplicate of a; c: novel, score 3 -> (3-1)/4
    assert weights == {"a": 1.0, "b": 0.0, "c": 0.5}


def test_user_mistakes(scripted_run, monkeypatch, capsys):
    run = open_run(scripted_run)
    with pytest.raises(UsageError, match="no per-sample weight"):
        export(run, "openai", weights=True)
    with pytest.raises(UsageError, match="unknown export format"):
        export(run, "csv")
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if not installed
    assert main(["export", str(scripted_run), "--format", "parquet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and 'pip install "rolegraph[export]"' in err
    monkeypatch.setitem(sys.modules, "datasets", None)
    assert main(["export", str(scripted_run), "--format", "hf"]) == 2
    assert 'pip install "rolegraph[export]"' in capsys.readouterr().err
    assert main(["export", str(scripted_run / "missing"), "--format", "openai"]) == 2
    assert "no such run directory" in capsys.readouterr().err
    assert main(["export", str(scripted_run), "--format", "preference"]) == 2  # nothing revised
    assert "no preference pairs" in capsys.readouterr().err


def test_a_run_without_accepted_samples_is_refused(tmp_path, capsys):
    (tmp_path / "manifest.json").write_text("{}")
    (tmp_path / "rejected.jsonl").write_text(json.dumps({"sample_id": "1", "status": "rejected"}))
    assert main(["export", str(tmp_path), "--format", "hf"]) == 2
    assert capsys.readouterr().err == f"error: {tmp_path}: no accepted samples to export\n"
