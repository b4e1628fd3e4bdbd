"""`rolegraph judge`: the gate over existing dialogues, its run directory and its figures."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from rolegraph.cli import main
from rolegraph.run.judge import JudgeOptions, judge_file
from tests.conftest import scripted_models

SCENARIO = """
name: mini
task: A patient asks a clinic receptionist about an appointment.
facts:
  - The appointment is on March 3 at 10:30 am.
  - The consultation costs $40.
  - Walk-in visits are not accepted.
speakers:
  - name: patient
    persona: {name: Ana Ruiz, role: patient}
  - name: receptionist
    persona: {name: Ben Cole, role: receptionist}
dialogue: {assistant: receptionist}
critic: {threshold: 3.5, max_revisions: 2}
run: {concurrency: 2}
"""


def turns(*texts: str) -> list[dict[str, str]]:
    return [{"speaker": ("patient", "receptionist")[i % 2], "text": t} for i, t in enumerate(texts)]


ROWS = [
    {
        "id": "ok-1",
        "label": "faithful",
        "kind": "times",
        "turns": turns("When is it?", "On March 3 at half past ten in the morning."),
    },
    {
        "id": "ok-2",
        "label": "accept",
        "kind": "money",
        "turns": turns("What does it cost?", "The consultation is forty dollars."),
    },
    {
        "id": "bad-money",
        "label": "unfaithful",
        "kind": "money",
        "turns": turns("What does it cost?", "The consultation costs $45."),
    },
    {
        "id": "bad-negation",
        "label": "reject",
        "kind": "negation",
        "turns": turns(
            "Can I just drop in?",
            "Sure, walk-in visits are accepted.",
        ),
    },
    {
        "id": "missed",
        "label": "unfaithful",
        "kind": "persona",  # no check catches this one
        "turns": turns("Who are you?", "I'm the one who answers the phone, and I like cats."),
    },
]


def write_rows(path: Path, rows: list[dict]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def scenario_file(tmp_path: Path) -> Path:
    path = tmp_path / "mini.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    return path


def read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text().splitlines()] if path.exists() else []


def test_judge_measures_labelled_rows_and_writes_a_run_directory(tmp_path, scenario_file, capsys):
    data = write_rows(tmp_path / "rows.jsonl", ROWS)
    out = tmp_path / "judged"
    code = main(
        [
            "judge",
            str(data),
            "--scenario",
            str(scenario_file),
            "--model",
            "scripted",
            "--out",
            str(out),
            "--json",
        ]
    )
    assert code == 0
    body = json.loads(capsys.readouterr().out)
    assert (body["rows"], body["accepted"], body["rejected"], body["failed"]) == (5, 3, 2, 0)
    metrics = body["metrics"]
    assert metrics["confusion"] == {"tp": 2, "fp": 0, "tn": 2, "fn": 1}
    assert metrics["tpr"] == pytest.approx(2 / 3, abs=1e-4)
    assert metrics["fpr"] == 0.0
    assert metrics["balanced_accuracy"] == pytest.approx((2 / 3 + 1) / 2, abs=1e-4)
    assert metrics["per_kind"]["money"] == {
        "tp": 1,
        "fp": 0,
        "tn": 1,
        "fn": 0,
        "tpr": 1.0,
        "fpr": 0.0,
    }
    (wrong,) = metrics["wrong"]
    assert (wrong["id"], wrong["line"], wrong["decision"]) == ("missed", 5, "accepted")
    assert wrong["reason"].startswith("accepted at 4.0")
    assert json.loads((out / "judge.json").read_text())["metrics"] == metrics
    rejected = {r["id"]: r for r in read(out / "rejected.jsonl")}
    assert set(rejected) == {"bad-money", "bad-negation"}
    checks = {c["check"] for c in rejected["bad-money"]["verdict"]["checks"]}
    assert checks == {"contradicted_money"}
    assert rejected["bad-negation"]["verdict"]["checks"][0]["check"] == "contradicted_polarity"
    accepted = read(out / "accepted.jsonl")
    assert [r["line"] for r in sorted(accepted, key=lambda r: r["line"])] == [1, 2, 5]
    assert accepted[0]["messages"][-1]["role"] == "assistant"  # the receptionist's turn
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["command"] == "judge" and manifest["status"] == "complete"
    assert manifest["counts"] == {"planned": 5, "accepted": 3, "rejected": 2, "failed": 0}


def test_judge_prints_a_confusion_matrix(tmp_path, scenario_file, capsys):
    data = write_rows(tmp_path / "rows.jsonl", ROWS)
    assert (
        main(
            [
                "judge",
                str(data),
                "--scenario",
                str(scenario_file),
                "--model",
                "scripted",
                "--out",
                str(tmp_path / "o"),
            ]
        )
        == 0
    )
    text = capsys.readouterr().out
    assert "judged 5 rows: 3 accepted, 2 rejected, 0 failed" in text
    assert "  unfaithful           2         1" in text
    assert "TPR 0.67  FPR 0.00  balanced accuracy 0.83" in text
    assert "line 5 (missed, persona): missed defect" in text


async def test_messages_rows_and_per_row_facts(tmp_path, make_scenario):
    scenario = make_scenario(SCENARIO)
    rows = [
        {
            "messages": [
                {"role": "system", "content": "You are Ben."},
                {"role": "user", "content": "What does it cost?"},
                {"role": "assistant", "content": "The consultation costs $45."},
            ],
            "facts": ["The consultation costs $45."],
            "label": "faithful",
        },
        {
            "messages": [
                {"role": "user", "name": "patient", "content": "What does it cost?"},
                {"role": "assistant", "name": "receptionist", "content": "It costs $45."},
            ],
            "label": "unfaithful",
        },
        {
            "turns": [
                {"speaker": "guest", "text": "Hi, I'm Mrs. Okafor, checking in."},
                {"speaker": "clerk", "text": "Welcome, Mrs. Okafor. Your room is 12."},
            ],
            "personas": {
                "guest": {"name": "Grace Okafor", "role": "guest"},
                "clerk": {"name": "Tim Berg", "role": "hotel clerk"},
            },
            "facts": ["The guest stays 2 nights."],
            "label": "faithful",
        },
    ]
    data = write_rows(tmp_path / "rows.jsonl", rows)
    summary = await judge_file(
        data, scenario, JudgeOptions(out=tmp_path / "o", models=scripted_models())
    )
    assert summary.counts["accepted"] == 2 and summary.counts["rejected"] == 1
    (rejected,) = read(tmp_path / "o" / "rejected.jsonl")
    assert rejected["line"] == 2 and rejected["verdict"]["checks"][0]["evidence"] == "$45"
    hotel = next(r for r in read(tmp_path / "o" / "accepted.jsonl") if r["line"] == 3)
    assert hotel["personas"]["clerk"]["name"] == "Tim Berg"
    assert [m["role"] for m in hotel["messages"]] == ["system", "user", "assistant"]


async def test_a_critic_model_that_scores_low_refuses_and_says_so(tmp_path, make_scenario):
    scenario = make_scenario(SCENARIO)
    low = {
        "rationale": "weak",
        "scores": {"faithfulness": 2, "persona": 2, "quality": 2},
        "evidence": [],
        "flagged_turns": [],
        "overall": 2,
        "decision": "revise",
    }
    data = write_rows(tmp_path / "rows.jsonl", ROWS[:1])
    summary = await judge_file(
        data,
        scenario,
        JudgeOptions(out=tmp_path / "o", models=scripted_models(critic=lambda r, m: low)),
    )
    assert summary.stats is not None and summary.stats.fp == 1
    assert summary.stats.wrong[0].reason == "score 2.0 below the threshold 3.5"
    (record,) = read(tmp_path / "o" / "rejected.jsonl")
    assert record["verdict"]["decision"] == "reject" and record["revisions"] == 0


async def test_extra_review_roles_run_before_the_critic(tmp_path, make_scenario):
    scenario = make_scenario(SCENARIO + "graph:\n  review: [fact_checker, critic]\n")
    data = write_rows(tmp_path / "rows.jsonl", ROWS[2:3])
    await judge_file(data, scenario, JudgeOptions(out=tmp_path / "o", models=scripted_models()))
    (record,) = read(tmp_path / "o" / "rejected.jsonl")
    assert [f["status"] for f in record["findings"]] == ["contradicted"]
    assert {c["source"] for c in record["verdict"]["checks"]} == {"checks", "fact_checker"}


async def test_resume_judges_only_what_is_left(tmp_path, make_scenario):
    scenario = make_scenario(SCENARIO)
    data = write_rows(tmp_path / "rows.jsonl", ROWS)
    out = tmp_path / "o"
    await judge_file(data, scenario, JudgeOptions(out=out, models=scripted_models()))
    # a crash before row 3 was recorded: not in the store, not in the file
    db = sqlite3.connect(out / "run.sqlite")
    db.execute("UPDATE samples SET status = 'planned', record = NULL WHERE idx = 2")
    db.commit()
    db.close()
    lines = [x for x in (out / "rejected.jsonl").read_text().splitlines() if '"bad-money"' not in x]
    (out / "rejected.jsonl").write_text("".join(x + "\n" for x in lines))
    calls = []

    def critic(role, messages):
        calls.append(role)
        return {
            "rationale": "ok",
            "scores": {"faithfulness": 4, "persona": 4, "quality": 4},
            "evidence": [],
            "flagged_turns": [],
            "overall": 4,
            "decision": "accept",
        }

    summary = await judge_file(
        data, scenario, JudgeOptions(out=out, resume=True, models=scripted_models(critic=critic))
    )
    assert calls == ["critic"]  # only the unfinished row
    assert summary.counts == {"planned": 5, "accepted": 3, "rejected": 2, "failed": 0}
    assert sorted(r["id"] for r in read(out / "rejected.jsonl")) == ["bad-money", "bad-negation"]


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("{not json", "rows.jsonl:2: not valid JSON"),
        ('{"turns": [{"speaker": "patient"}]}', "rows.jsonl:2: turns.0.text: Field required"),
        (
            '{"turns": [{"speaker": "nurse", "text": "Hi."}]}',
            "rows.jsonl:2: turns.0.speaker: 'nurse' is neither in the row's personas nor a speaker",
        ),
        (
            '{"turns": [{"speaker": "patient", "text": "Hi."}], "label": "maybe"}',
            "rows.jsonl:2: label: 'maybe' is not one of faithful, unfaithful, accept, reject",
        ),
        ('{"label": "faithful"}', "rows.jsonl:2: give either 'turns' or 'messages'"),
        ("[1, 2]", "rows.jsonl:2: a row is a JSON object, not list"),
    ],
)
def test_bad_rows_are_one_clear_line(tmp_path, scenario_file, capsys, line, expected):
    data = tmp_path / "rows.jsonl"
    data.write_text(json.dumps(ROWS[0]) + "\n" + line + "\n", encoding="utf-8")
    code = main(
        [
            "judge",
            str(data),
            "--scenario",
            str(scenario_file),
            "--model",
            "scripted",
            "--out",
            str(tmp_path / "o"),
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert expected in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "o").exists()  # nothing is written for a bad file


def test_an_existing_run_directory_needs_resume(tmp_path, scenario_file, capsys):
    data = write_rows(tmp_path / "rows.jsonl", ROWS[:2])
    args = [
        "judge",
        str(data),
        "--scenario",
        str(scenario_file),
        "--model",
        "scripted",
        "--out",
        str(tmp_path / "o"),
    ]
    assert main(args) == 0
    assert main(args) == 2
    assert "add --resume" in capsys.readouterr().err
    assert main([*args, "--resume"]) == 0
