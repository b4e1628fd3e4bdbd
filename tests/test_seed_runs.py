"""Runs over a seed: each sample judged against its own record, lazy plans, resume, eval."""

from __future__ import annotations

import json
import math
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path

import pytest
from langchain_core.messages import BaseMessage, SystemMessage

from bench.mock_server import MockConfig, serve_in_thread
from rolegraph.errors import UsageError
from rolegraph.outputs.evaluate import evaluate
from rolegraph.outputs.rundir import open_run
from rolegraph.run.runner import RunOptions, run_scenario
from rolegraph.run.store import RunStore
from rolegraph.scenario.schema import Scenario
from tests.conftest import ROOT, scripted_models
from tests.test_engine import transcript_of, turn_number, verdict
from tests.test_seed import ROWS, SEEDED, write_jsonl

AMOUNT = {r["ticket"]: r["amount"] for r in ROWS}
_TICKET = re.compile(r"ticket (T-\d+)")


def ticket_in(messages: Sequence[BaseMessage]) -> str:
    system = next(str(m.content) for m in messages if isinstance(m, SystemMessage))
    match = _TICKET.search(system)
    assert match, system
    return match.group(1)


def scenario_in(tmp_path: Path, extra: str = "", rows: list[dict] = ROWS) -> Scenario:
    write_jsonl(tmp_path / "data" / "rows.jsonl", rows)
    path = tmp_path / "scenario.yaml"
    path.write_text(SEEDED.format(seed="data/rows.jsonl") + extra)
    return Scenario.from_file(path)


def records(out: Path, name: str = "accepted") -> list[dict]:
    file = out / f"{name}.jsonl"
    return [json.loads(x) for x in file.read_text().splitlines()] if file.exists() else []


def liar(wrong: set[str]):
    """A speaker whose agent states the amount of the *next* ticket for tickets in `wrong`."""
    tickets = list(AMOUNT)

    def speak(role: str, messages: Sequence[BaseMessage]) -> str:
        ticket, n = ticket_in(messages), turn_number(messages)
        if n % 2 == 0:
            return ["Hello, I have a question.", "Thanks, that helps me a lot."][n // 2 % 2]
        other = tickets[(tickets.index(ticket) + 1) % len(tickets)]
        amount = AMOUNT[other] if ticket in wrong else AMOUNT[ticket]
        if n == 1:
            return f"Ticket {ticket} is about an amount of {amount}."
        return "You are welcome, anything else I can do?"

    return speak


async def test_each_sample_is_grounded_in_its_own_record(tmp_path: Path):
    scenario = scenario_in(tmp_path)
    seen: dict[str, list[str]] = {"speaker": [], "critic": []}

    def speaker(role, messages):
        seen["speaker"].append(transcript_of(messages))
        return liar(set())(role, messages)

    def critic(role, messages):
        seen["critic"].append(transcript_of(messages))
        return verdict(5)

    out = tmp_path / "run"
    models = scripted_models(speaker=speaker, critic=critic)
    summary = await run_scenario(scenario, RunOptions(out=out, quiet=True, models=models))
    assert summary.planned == 6 and summary.counts["accepted"] == 6  # rows × per_row
    by_ticket = {r["seed_record"]["values"]["ticket"]: r for r in records(out)}
    assert sorted(by_ticket) == [r["ticket"] for r in ROWS]
    for row in ROWS:
        own = f"Ticket {row['ticket']} is about an amount of {row['amount']}."
        others = [a for t, a in AMOUNT.items() if t != row["ticket"]]
        prompts = [p for p in seen["speaker"] if f"ticket {row['ticket']}." in p]
        assert prompts and all(own in p and not any(a in p for a in others) for p in prompts)
        critic_prompt = next(p for p in seen["critic"] if f"ticket {row['ticket']}." in p)
        assert (
            f"Grounding facts:\n1. {own}\n2. {row['customer']} is on the {row['plan']} plan."
            in critic_prompt
        )
        assert f"Only agent knows: The refund limit for {row['plan']} is $50." in critic_prompt
        record = by_ticket[row["ticket"]]
        assert record["facts"] == [own, f"{row['customer']} is on the {row['plan']} plan."]
        assert record["personas"]["customer"]["name"] == row["customer"]
        assert record["conditions"]["tier"] == row["plan"]
        assert record["seed_record"]["row"] == ROWS.index(row)


async def test_a_value_from_another_row_is_a_contradiction(tmp_path: Path):
    scenario = scenario_in(tmp_path, "graph: {review: [fact_checker, critic]}\n")
    wrong = {"T-2", "T-4", "T-6"}
    out = tmp_path / "run"
    models = scripted_models(speaker=liar(wrong), critic=lambda r, m: verdict(5))
    await run_scenario(scenario, RunOptions(out=out, quiet=True, models=models))
    accepted = {r["seed_record"]["values"]["ticket"] for r in records(out)}
    rejected = {r["seed_record"]["values"]["ticket"]: r for r in records(out, "rejected")}
    assert accepted == {"T-1", "T-3", "T-5"} and set(rejected) == wrong
    for ticket, record in rejected.items():
        checks = record["verdict"]["checks"]
        assert "contradicted_money" in {c["check"] for c in checks}, checks
        contradicted = [f for f in record["findings"] if f["status"] == "contradicted"]
        assert contradicted, record["findings"]  # the fact checker, against this row's facts
        assert all(f"an amount of {AMOUNT[ticket]}" in f["evidence"] for f in contradicted)
    report = evaluate(open_run(out))["seed"]  # acceptance per seed column
    assert report["rows_total"] == 6 and report["rows_used"] == 6 and report["rows_accepted"] == 3
    assert report["columns"]["plan"]["acceptance"] == {
        "Basic": 0.6667,
        "Gigabit": 0.5,
        "Business": 0.0,
    }
    assert report["columns"]["plan"]["accepted"] == {"Basic": 2, "Gigabit": 1, "Business": 0}
    # six distinct tickets are no category: summarised, with the entropy of the 3 accepted
    assert report["columns"]["ticket"] == {
        "distinct": 6,
        "entropy": round(math.log(3) / math.log(6), 4),
    }


async def test_a_seeded_plan_is_stored_as_samples_start(tmp_path: Path):
    scenario = scenario_in(tmp_path)
    out = tmp_path / "run"
    await run_scenario(scenario, RunOptions(out=out, quiet=True, samples=3, model="scripted"))
    store = RunStore(out)
    try:
        assert store.lazy() and store.planned() == 3
        rows = store.db.execute("SELECT idx, plan FROM samples ORDER BY idx").fetchall()
        assert [idx for idx, _ in rows] == [0, 1, 2]
        assert [json.loads(plan)["row"] for _, plan in rows] == [0, 1, 2]  # ordered sampling
    finally:
        store.close()
    with pytest.raises(UsageError, match=r"7 samples, but the seed data/rows.jsonl gives 6 rows"):
        await run_scenario(scenario, RunOptions(out=tmp_path / "x", samples=7, model="scripted"))


async def test_coverage_planner_over_a_seed_keeps_each_sample_on_its_row(tmp_path: Path):
    scenario_in(tmp_path)
    text = (
        (tmp_path / "scenario.yaml")
        .read_text()
        .replace(
            "run: {seed: 3, concurrency: 2}", "run: {seed: 3, concurrency: 1, planner: coverage}"
        )
    )
    (tmp_path / "scenario.yaml").write_text(text)
    scenario = Scenario.from_file(tmp_path / "scenario.yaml")
    out = tmp_path / "run"
    await run_scenario(scenario, RunOptions(out=out, quiet=True, model="scripted"))
    rows = sorted(r["seed_record"]["row"] for r in records(out) + records(out, "rejected"))
    assert rows == list(range(6))
    moods = Counter(r["conditions"]["mood"] for r in records(out))
    assert moods == {"calm": 3, "cross": 3}  # the planner balances the sampled condition


async def test_resume_notices_changed_seed_data(tmp_path: Path):
    scenario = scenario_in(tmp_path)
    out = tmp_path / "run"
    await run_scenario(scenario, RunOptions(out=out, quiet=True, samples=2, model="scripted"))
    changed = scenario_in(tmp_path, rows=[*ROWS[:5], {**ROWS[5], "amount": "$1.00"}])
    with pytest.raises(UsageError, match="the scenario changed"):
        await run_scenario(changed, RunOptions(out=out, quiet=True, resume=True, model="scripted"))
    shrunk = scenario_in(tmp_path, rows=ROWS[:1])
    with pytest.raises(UsageError, match=r"2 samples, but the seed data/rows\.jsonl gives 1 rows"):
        await run_scenario(
            shrunk, RunOptions(out=out, quiet=True, resume=True, force=True, model="scripted")
        )


# -- SIGKILL and resume, through a real OpenAI-compatible server ---------------------------
_FACT = re.compile(r"^\d+\. (.+)$", re.M)


def echo(request: dict) -> dict | str:
    """Speakers repeat the facts of their own prompt; the critic accepts."""
    system = request["messages"][0]["content"]
    if "strict reviewer" in system:
        return verdict(5)
    facts = _FACT.findall(system)
    said = len([m for m in request["messages"][1:] if m["content"] != "Go on."])
    lead = ["", "Just to be clear: ", "Let me repeat the key point: ", "Right, so: "]
    return lead[(said // len(facts)) % len(lead)] + facts[said % len(facts)]


def _start(scenario: Path, out: Path, url: str, *extra: str) -> subprocess.Popen:
    return subprocess.Popen(
        [
            *(sys.executable, "-m", "rolegraph", "run", str(scenario), "--model", "openai:m"),
            *("--base-url", url, "--out", str(out), "-q", "--concurrency", "4", *extra),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
        env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(out.parent)},
    )


def _finish(proc: subprocess.Popen) -> int:
    _, stderr = proc.communicate(timeout=120)
    if proc.returncode not in (0, -signal.SIGKILL):
        print(stderr)
    return proc.returncode


def test_sigkill_then_resume_gives_each_rows_samples_exactly_once(tmp_path: Path):
    rows = [{**ROWS[i % 6], "ticket": f"T-{i + 1}", "amount": f"${i + 10}.00"} for i in range(15)]
    write_jsonl(tmp_path / "data" / "rows.jsonl", rows)
    scenario = tmp_path / "scenario.yaml"
    scenario.write_text(
        SEEDED.format(seed="{path: data/rows.jsonl, sampling: shuffle, per_row: 2}")
    )
    with serve_in_thread(MockConfig(responder=echo, latency_ms=15)) as server:
        reference = tmp_path / "reference"
        assert _finish(_start(scenario, reference, server.base_url)) == 0
        out = tmp_path / "run"
        proc = _start(scenario, out, server.base_url)
        deadline = time.monotonic() + 60
        while len(records(out)) < 6 and proc.poll() is None and time.monotonic() < deadline:
            time.sleep(0.02)
        proc.send_signal(signal.SIGKILL)
        _finish(proc)
        assert 0 < len(records(out)) < 30
        assert _finish(_start(scenario, out, server.base_url, "--resume")) == 0
    done = records(out) + records(out, "rejected") + records(out, "failed")
    assert len(done) == len({r["sample_id"] for r in done}) == 30
    assert Counter(r["seed_record"]["row"] for r in done) == dict.fromkeys(range(15), 2)
    assert Counter(r["status"] for r in done) == {"accepted": 30}
    ref = {r["sample_id"]: (r["seed_record"], r["messages"]) for r in records(reference)}
    assert {r["sample_id"]: (r["seed_record"], r["messages"]) for r in done} == ref
