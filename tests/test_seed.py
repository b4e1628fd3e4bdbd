"""Seed data: every format, every sampling strategy, templates checked at validate time."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from rolegraph.curate.plan import initial_state, plan_sample
from rolegraph.errors import ScenarioError
from rolegraph.scenario.schema import Scenario
from rolegraph.scenario.seed import SeedError, SeedSpec, open_seed, permute, row_for

ROWS = [
    {
        "ticket": "T-1",
        "customer": "Ana Ruiz",
        "plan": "Basic",
        "amount": "$40.00",
        "notes": ["a", "b"],
    },
    {
        "ticket": "T-2",
        "customer": "Ben Cole",
        "plan": "Gigabit",
        "amount": "$75.00",
        "notes": ["c"],
    },
    {"ticket": "T-3", "customer": "Cleo Park", "plan": "Basic", "amount": "$12.50", "notes": []},
    {"ticket": "T-4", "customer": "Dan Wu", "plan": "Business", "amount": "$99.00", "notes": ["d"]},
    {"ticket": "T-5", "customer": "Eve Moss", "plan": "Gigabit", "amount": "$5.00", "notes": ["e"]},
    {"ticket": "T-6", "customer": "Finn Hale", "plan": "Basic", "amount": "$61.25", "notes": ["f"]},
]
SCALARS = ["ticket", "customer", "plan", "amount"]

SEEDED = """
name: seeded
seed: {seed}
task: "{{{{ customer }}}} asks about ticket {{{{ ticket }}}}."
facts:
  - "Ticket {{{{ ticket }}}} is about an amount of {{{{ amount }}}}."
  - "{{{{ customer }}}} is on the {{{{ plan }}}} plan."
speakers:
  - name: customer
    persona: {{name: "{{{{ customer }}}}", role: customer}}
  - name: agent
    persona: {{name: Sam, role: support agent}}
    facts: ["The refund limit for {{{{ plan }}}} is $50."]
conditions:
  tier: {{column: plan}}
  mood: [calm, cross]
dialogue: {{min_turns: 2, max_turns: 4}}
critic: {{max_revisions: 0}}
run: {{seed: 3, concurrency: 2}}
"""


def seeded(tmp_path: Path, seed: str, extra: str = "") -> Scenario:
    path = tmp_path / "scenario.yaml"
    path.write_text(SEEDED.format(seed=seed) + extra)
    return Scenario.from_file(path)


def write_jsonl(path: Path, rows: list[dict] = ROWS) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


def write_format(tmp_path: Path, fmt: str) -> Path:
    """The six rows as a file (or folder) of format `fmt`, inside tmp_path/data."""
    data = tmp_path / "data"
    data.mkdir(exist_ok=True)
    if fmt == "jsonl":
        return write_jsonl(data / "rows.jsonl")
    if fmt in ("csv", "tsv"):
        sep = "," if fmt == "csv" else "\t"
        lines = [sep.join(SCALARS)]
        for r in ROWS:
            cells = [r[c] for c in SCALARS]
            if r["ticket"] == "T-2":  # a quoted field with a newline and a quote inside
                cells[1] = '"Ben ""the"" Cole\nsecond line"'
            lines.append(sep.join(cells))
        path = data / f"rows.{fmt}"
        path.write_text("\n".join(lines) + "\n\n")  # a trailing blank line is not a row
        return path
    if fmt == "parquet":
        pa = pytest.importorskip("pyarrow")
        import pyarrow.parquet as pq

        path = data / "rows.parquet"
        pq.write_table(pa.Table.from_pylist(ROWS), path, row_group_size=4)
        return path
    if fmt == "hf":
        datasets = pytest.importorskip("datasets")
        datasets.disable_progress_bars()
        path = data / "saved"
        datasets.Dataset.from_list(ROWS).save_to_disk(str(path))
        return path
    assert fmt == "text"
    folder = data / "docs"
    (folder / "sub").mkdir(parents=True)
    (folder / "b.txt").write_text("Second document.\n")
    (folder / "a.md").write_text("First document.")
    (folder / "sub" / "c.txt").write_text("Third, in a subfolder.")
    (folder / "ignored.bin").write_bytes(b"\x00\x01")
    return folder


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "tsv", "parquet", "hf"])
def test_every_table_format_reads_the_same_rows(tmp_path: Path, fmt: str):
    path = write_format(tmp_path, fmt)
    seed = open_seed(str(path.relative_to(tmp_path)), tmp_path)
    assert len(seed) == 6
    expected_columns = SCALARS if fmt in ("csv", "tsv") else [*SCALARS, "notes"]
    assert seed.columns == expected_columns
    assert [seed.row(i)["ticket"] for i in range(6)] == [f"T-{i}" for i in range(1, 7)]
    assert seed.row(3)["amount"] == "$99.00"
    if fmt in ("csv", "tsv"):
        assert seed.row(1)["customer"] == 'Ben "the" Cole\nsecond line'
    else:
        assert seed.row(0)["notes"] == ["a", "b"]  # a list column stays a list
    seed.close()


def test_a_folder_of_text_files_is_one_document_per_row(tmp_path: Path):
    seed = open_seed("data/docs", tmp_path) if write_format(tmp_path, "text") else None
    assert seed is not None and seed.columns == ["id", "path", "text"]
    assert [seed.row(i)["id"] for i in range(len(seed))] == ["a", "b", "sub/c"]
    assert seed.row(1)["text"] == "Second document."


def test_row_range_and_json_safe_values(tmp_path: Path):
    pa = pytest.importorskip("pyarrow")
    import datetime as dt

    import pyarrow.parquet as pq

    (tmp_path / "d").mkdir()
    pq.write_table(
        pa.table({"day": [dt.date(2026, 3, 1 + i) for i in range(10)], "n": list(range(10))}),
        tmp_path / "d" / "days.parquet",
    )
    seed = open_seed({"path": "d/days.parquet", "rows": "2:5"}, tmp_path)
    assert len(seed) == 3 and seed.start == 2
    assert seed.row(0) == {"day": "2026-03-03", "n": 2}  # dates as ISO text
    with pytest.raises(IndexError):
        seed.row(3)
    seed.close()


def test_paths_outside_the_scenario_folder_are_refused(tmp_path: Path):
    with pytest.raises(SeedError, match="is an absolute path outside the scenario's folder"):
        open_seed(str(tmp_path.parent / "x.jsonl"), tmp_path)
    with pytest.raises(SeedError, match=r"is a path through '\.\.' outside the scenario's folder"):
        open_seed("../x.jsonl", tmp_path)


def test_ordered_walks_rows_and_per_row_repeats_each():
    spec = SeedSpec(path="x", per_row=2)
    assert [row_for(i, 3, spec, 0) for i in range(6)] == [0, 0, 1, 1, 2, 2]
    with pytest.raises(IndexError):
        row_for(6, 3, spec, 0)


@pytest.mark.parametrize("n", [1, 2, 7, 64, 1000, 4097])
def test_shuffle_is_a_seeded_permutation(n: int):
    order = [permute(i, n, 11) for i in range(n)]
    assert sorted(order) == list(range(n))
    assert order == [permute(i, n, 11) for i in range(n)]  # reproducible
    if n >= 64:
        assert order != list(range(n)) and order != [permute(i, n, 12) for i in range(n)]


def test_shuffle_with_per_row_gives_every_row_k_times():
    spec = SeedSpec(path="x", sampling="shuffle", per_row=3)
    rows = [row_for(i, 10, spec, 5) for i in range(30)]
    assert Counter(rows) == dict.fromkeys(range(10), 3)


def test_with_replacement_draws_reproducibly_and_repeats():
    spec = SeedSpec(path="x", sampling="with_replacement")
    rows = [row_for(i, 10, spec, 5) for i in range(200)]
    assert rows == [row_for(i, 10, spec, 5) for i in range(200)]
    assert set(rows) == set(range(10))  # 200 draws of 10 rows reach each
    assert max(Counter(rows).values()) > 1


def test_plan_renders_every_template_from_its_row(tmp_path: Path):
    write_jsonl(tmp_path / "data" / "rows.jsonl")
    scenario = seeded(tmp_path, "data/rows.jsonl")
    assert scenario.default_samples() == 6  # rows × per_row
    plans = [plan_sample(scenario, i, 3) for i in range(6)]
    assert [p.row for p in plans] == list(range(6))
    p = plans[1]
    assert p.task == "Ben Cole asks about ticket T-2."
    assert p.facts == [
        "Ticket T-2 is about an amount of $75.00.",
        "Ben Cole is on the Gigabit plan.",
    ]
    assert p.private_facts == {"agent": ["The refund limit for Gigabit is $50."]}
    assert p.personas["customer"].name == "Ben Cole"
    assert p.conditions["tier"] == "Gigabit" and p.conditions["mood"] in ("calm", "cross")
    assert p.record == {
        "ticket": "T-2",
        "customer": "Ben Cole",
        "plan": "Gigabit",
        "amount": "$75.00",
    }
    assert p.train_system == "You are Sam, the support agent.\nBen Cole asks about ticket T-2."
    state = initial_state(scenario, p)
    assert state["facts"] == p.facts and state["task"] == p.task
    assert state["seed_record"] == {"row": 1, "values": p.record}
    json.dumps(state)  # JSON-safe


def test_a_list_column_gives_one_fact_per_item(tmp_path: Path):
    write_jsonl(tmp_path / "data" / "rows.jsonl")
    text = (SEEDED.format(seed="data/rows.jsonl")).replace(
        '  - "{{ customer }} is on the {{ plan }} plan."', '  - "{{ notes }}"'
    )
    (tmp_path / "s.yaml").write_text(text)
    scenario = Scenario.from_file(tmp_path / "s.yaml")
    assert plan_sample(scenario, 0, 3).facts == [
        "Ticket T-1 is about an amount of $40.00.",
        "a",
        "b",
    ]
    assert plan_sample(scenario, 2, 3).facts == ["Ticket T-3 is about an amount of $12.50."]


def test_the_row_range_and_sampling_decide_the_plan(tmp_path: Path):
    write_jsonl(tmp_path / "data" / "rows.jsonl")
    scenario = seeded(tmp_path, "{path: data/rows.jsonl, rows: [2, 5], sampling: shuffle}")
    assert scenario.default_samples() == 3
    rows = sorted(plan_sample(scenario, i, 3).row for i in range(3))
    assert rows == [2, 3, 4]  # file rows, each once


def validate_problems(tmp_path: Path, seed: str, extra: str = "") -> list[str]:
    with pytest.raises(ScenarioError) as caught:
        seeded(tmp_path, seed, extra)
    return caught.value.problems


def test_templates_naming_missing_columns_are_refused_at_validate(tmp_path: Path):
    write_jsonl(tmp_path / "data" / "rows.jsonl")
    text = SEEDED.format(seed="data/rows.jsonl")
    text = text.replace("{{ amount }}", "{{ amont }}").replace("{column: plan}", "{column: tier}")
    text = text.replace("persona: {name: Sam", "persona: {name: '{{ agent_name }}'")
    (tmp_path / "s.yaml").write_text(text)
    with pytest.raises(ScenarioError) as caught:
        Scenario.from_file(tmp_path / "s.yaml")
    problems = caught.value.problems
    file = tmp_path / "s.yaml"
    assert (
        f"{file}:6: facts.0: 'amont' is not a column of data/rows.jsonl (did you mean 'amount'?)"
        in problems
    )
    assert any(
        p.startswith(f"{file}:12: speakers.1.persona.name: 'agent_name' is not a column")
        and "columns: ticket, customer, plan, amount, notes" in p
        for p in problems
    )
    assert any(
        p.startswith(f"{file}:15: conditions.tier.column: 'tier' is not a column") for p in problems
    )
    assert len(problems) == 3


def test_seed_problems_are_reported_with_their_line(tmp_path: Path):
    missing = validate_problems(tmp_path, "data/none.jsonl")
    assert missing == [
        f"{tmp_path / 'scenario.yaml'}:3: seed.path: file not found: {tmp_path}/data/none.jsonl"
    ]
    (tmp_path / "bad.jsonl").write_text('{"ticket": "T-1"}\nnot json\n')
    assert "row 1 is not JSON" in validate_problems(tmp_path, "bad.jsonl")[0]
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 not really")
    assert "cannot read" in validate_problems(tmp_path, "bad.parquet")[0]
    (tmp_path / "rows.xlsx").write_text("x")
    assert "cannot tell the format of rows.xlsx" in validate_problems(tmp_path, "rows.xlsx")[0]


def test_more_samples_than_rows_is_refused(tmp_path: Path):
    write_jsonl(tmp_path / "ok.jsonl")
    text = SEEDED.format(seed="ok.jsonl").replace("run: {seed: 3,", "run: {samples: 7, seed: 3,")
    (tmp_path / "s.yaml").write_text(text)
    with pytest.raises(ScenarioError, match=r"run.samples: 7 samples, but the seed gives 6 rows"):
        Scenario.from_file(tmp_path / "s.yaml")
    (tmp_path / "s.yaml").write_text(
        text.replace("seed: ok.jsonl", "seed: {path: ok.jsonl, per_row: 2}")
    )
    assert Scenario.from_file(tmp_path / "s.yaml").default_samples() == 7


def test_templates_without_a_seed_are_refused(make_scenario):
    with pytest.raises(
        ScenarioError, match="names 'ticket', but the scenario has no seed: section"
    ):
        make_scenario(
            "name: x\ntask: t\nfacts: ['Ticket {{ ticket }}']\nspeakers:\n"
            "  - {name: a, persona: {name: A, role: a}}\n  - {name: b, persona: {name: B, role: b}}\n"
        )


def test_scenario_pickles_without_its_open_seed(tmp_path: Path):
    import pickle

    write_jsonl(tmp_path / "data" / "rows.jsonl")
    scenario = seeded(tmp_path, "data/rows.jsonl")
    assert scenario.seed_data() is not None
    clone = pickle.loads(pickle.dumps(scenario))
    assert clone.seed_data().row(4)["ticket"] == "T-5"
    assert clone.digest() == scenario.digest()


def test_changed_seed_data_changes_the_digest(tmp_path: Path):
    write_jsonl(tmp_path / "data" / "rows.jsonl")
    before = seeded(tmp_path, "data/rows.jsonl").digest()
    write_jsonl(tmp_path / "data" / "rows.jsonl", [*ROWS[:5], {**ROWS[5], "amount": "$1.00"}])
    assert seeded(tmp_path, "data/rows.jsonl").digest() != before
