"""Filters at acceptance time: near-duplicates (MinHash + LSH), bounds, loops, role swaps."""

from __future__ import annotations

import asyncio
import json
import random
import time

import pytest

from rolegraph.curate.dedup import DuplicateIndex, MinHasher, optimal_bands, similarity
from rolegraph.curate.filters import Filters
from rolegraph.outputs.metrics import jaccard, shingles, tokenize
from rolegraph.run.runner import RunOptions, run_scenario
from rolegraph.run.store import RunStore
from rolegraph.scenario.schema import Scenario
from tests.conftest import scripted_models
from tests.test_engine import BASE, GOOD_TURNS, good_speaker, read, turn_number, verdict

WORDS = [
    "the",
    "a",
    "cable",
    "outage",
    "crew",
    "repair",
    "service",
    "back",
    "by",
    "three",
    "pm",
    "evening",
    "customer",
    "agent",
    "sorry",
    "for",
    "trouble",
    "calm",
    "furious",
    "refund",
    "credit",
    "router",
    "light",
    "blinking",
    "area",
    "street",
    "tomorrow",
    "morning",
]


def random_dialogue(rng: random.Random, turns: int = 6, words: int = 14) -> list[str]:
    return [" ".join(rng.choice(WORDS) for _ in range(words)) for _ in range(turns)]


def record_of(turns: list[tuple[str, str]], assistant: str = "receptionist") -> dict:
    return {
        "messages": [{"role": "system", "content": "sys"}]
        + [
            {"role": "assistant" if who == assistant else "user", "content": text}
            for who, text in turns
        ],
        "personas": {
            "patient": {"name": "Ana Ruiz", "role": "patient"},
            "receptionist": {"name": "Ben Cole", "role": "receptionist"},
        },
    }


def test_minhash_estimates_jaccard():
    rng = random.Random(3)
    hasher = MinHasher(num_perm=256)
    errors = []
    for _ in range(30):
        a = random_dialogue(rng)
        b = [*a[:3], *random_dialogue(rng, 3)]  # half the turns shared
        true = jaccard(
            shingles(tokenize(t) for t in a), shingles(tokenize(t) for t in b)
        )  # the exact value
        errors.append(abs(similarity(hasher.signature(a), hasher.signature(b)) - true))
    assert sum(errors) / len(errors) < 0.04


def test_banding_is_chosen_for_the_threshold():
    bands, rows = optimal_bands(0.8, 64)
    assert bands * rows <= 64
    # the S-curve's midpoint (1/b)^(1/r) sits near the threshold
    assert 0.6 < (1 / bands) ** (1 / rows) < 0.85


def test_index_finds_near_duplicates_and_only_them_at_scale():
    rng = random.Random(7)
    index = DuplicateIndex(threshold=0.8)
    corpus = [random_dialogue(rng) for _ in range(1500)]
    for i, dialogue in enumerate(corpus):
        assert index.check_and_add(f"{i:06d}", dialogue) is None  # random ones are all distinct
    assert len(index) == 1500
    found = 0
    for i in range(0, 1500, 15):
        near = [*corpus[i][:-1], corpus[i][-1] + " thanks"]  # one word added
        hit = index.check_and_add(f"dup{i}", near)
        found += hit is not None and hit[0] == f"{i:06d}"
    assert found == 100
    # a query is answered from the buckets, not by scanning: 100 queries well under a second
    started = time.perf_counter()
    for _ in range(100):
        index.query(index.hasher.signature(random_dialogue(rng)))
    assert time.perf_counter() - started < 1.0


def test_bounds_empty_turns_loops_and_role_swaps(make_scenario):
    scenario = make_scenario(
        BASE
        + """filters:
  turns: {min: 3, max: 6}
  words: {max: 60}
  empty_turns: true
  repetition: {max_ngram_repeats: 2, max_repeated_turns: 0}
  role_swap: true
"""
    )
    filters = Filters(scenario)
    p, r = "patient", "receptionist"
    good = record_of(
        [(p, GOOD_TURNS[0]), (r, GOOD_TURNS[1]), (p, GOOD_TURNS[2]), (r, GOOD_TURNS[3])]
    )
    assert filters.check("a", good) is None

    def refused(turns):
        refusal = filters.check("x", record_of(turns))
        return refusal and (refusal.name, refusal.reason)

    assert refused([(p, "Hi."), (r, "Hello.")]) == (
        "turns",
        "2 turns, fewer than the minimum 3",
    )
    assert refused([(p, "word " * 30), (r, "word " * 31), (p, "ok")])[0] == "words"
    assert refused([(p, "Hi there."), (r, "(nods)"), (p, "Well?")]) == (
        "empty_turns",
        "turn 1 (receptionist) says nothing",
    )
    loop = "I am so sorry I am so sorry I am so sorry about that"
    assert refused([(p, "Hello."), (r, loop), (p, "Ok.")])[1].startswith("turn 1 loops")
    assert refused(
        [(p, "When is my slot?"), (r, "It is on March 3."), (p, "When is my slot?")]
    ) == ("repetition", "1 turns repeat an earlier one (most allowed: 0)")
    assert refused([(p, "Hello, I'm Ben and I booked."), (r, "Yes."), (p, "Ok.")]) == (
        "role_swap",
        "turn 0: patient speaks as receptionist ('I'm Ben')",
    )
    assert refused([(p, "Hi."), (r, "Fine.\nPatient: thanks!"), (p, "Ok.")])[0] == "role_swap"


async def test_near_duplicates_are_stored_as_rejected_with_their_reason(make_scenario, tmp_path):
    scenario = make_scenario(
        BASE.replace("samples: 3", "samples: 4") + "filters: {near_duplicate: true}\n"
    )
    out = tmp_path / "run"
    await run_scenario(
        scenario,
        RunOptions(
            out=out,
            quiet=True,
            concurrency=1,
            models=scripted_models(speaker=good_speaker, critic=lambda r, m: verdict(5)),
        ),
    )
    manifest = json.loads((out / "manifest.json").read_text())
    counts = manifest["counts"]
    assert counts == {"planned": 4, "accepted": 1, "rejected": 3, "failed": 0}
    assert counts["planned"] == counts["accepted"] + counts["rejected"] + counts["failed"]
    rejected = read(out / "rejected.jsonl")
    assert [r["sample_id"] for r in rejected] == ["000001", "000002", "000003"]
    first = rejected[0]
    assert first["status"] == "rejected"
    assert first["filter"]["name"] == "near_duplicate"
    assert first["filter"]["duplicate_of"] == "000000" and first["filter"]["similarity"] == 1.0
    assert first["reasons"][0].startswith("filtered: near-duplicate of sample 000000")
    assert first["verdict"]["decision"] == "accept"  # the critic passed it; the filter did not
    store = RunStore(out)
    try:  # the store agrees with the files
        assert store.counts() == counts
        row = store.db.execute("SELECT record FROM samples WHERE sample_id = '000002'").fetchone()
        assert json.loads(row[0])["filter"]["name"] == "near_duplicate"
    finally:
        store.close()


async def test_unfiltered_scenarios_are_unchanged(make_scenario, tmp_path):
    scenario = make_scenario(BASE)
    assert scenario.filters is None
    assert make_scenario(BASE).digest() == scenario.digest()
    out = tmp_path / "run"
    await run_scenario(
        scenario,
        RunOptions(
            out=out,
            quiet=True,
            models=scripted_models(speaker=good_speaker, critic=lambda r, m: verdict(5)),
        ),
    )
    assert json.loads((out / "manifest.json").read_text())["counts"]["accepted"] == 3


async def test_duplicate_index_is_rebuilt_from_the_store_on_resume(make_scenario, tmp_path):
    scenario = make_scenario(
        BASE.replace("samples: 3", "samples: 3").replace("concurrency: 2", "concurrency: 1")
        + "filters: {near_duplicate: {threshold: 0.9}}\n"
    )
    out = tmp_path / "run"
    stalled = asyncio.Event()
    loop = asyncio.get_running_loop()
    calls = {"n": 0}

    def speaker(role, messages):
        calls["n"] += 1
        if calls["n"] == 5:  # the first turn of the second sample: stop the process here
            loop.call_soon_threadsafe(stalled.set)
            time.sleep(0.3)
        return good_speaker(role, messages)

    task = asyncio.create_task(
        run_scenario(
            scenario,
            RunOptions(
                out=out,
                quiet=True,
                models=scripted_models(speaker=speaker, critic=lambda r, m: verdict(5)),
            ),
        )
    )
    await stalled.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert [r["sample_id"] for r in read(out / "accepted.jsonl")] == ["000000"]
    # a fresh process: the index of accepted samples exists only in the store
    await run_scenario(
        scenario,
        RunOptions(
            out=out,
            resume=True,
            quiet=True,
            models=scripted_models(speaker=good_speaker, critic=lambda r, m: verdict(5)),
        ),
    )
    assert [r["sample_id"] for r in read(out / "accepted.jsonl")] == ["000000"]
    assert {r["filter"]["duplicate_of"] for r in read(out / "rejected.jsonl")} == {"000000"}
    assert json.loads((out / "manifest.json").read_text())["counts"]["rejected"] == 2


def test_filters_are_checked_when_the_scenario_loads(make_scenario):
    from rolegraph.errors import ScenarioError

    with pytest.raises(ScenarioError, match=r"filters.turns: min \(5\) is more than max \(2\)"):
        make_scenario(BASE + "filters: {turns: {min: 5, max: 2}}\n")
    with pytest.raises(ScenarioError, match="unknown key 'treshold'"):
        make_scenario(BASE + "filters: {near_duplicate: {treshold: 0.5}}\n")
    assert Scenario.model_fields["filters"].default is None
    assert turn_number([]) == 0
