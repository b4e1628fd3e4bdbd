"""`rolegraph validate` on broken scenarios: one `file:line: path: message` per problem, no tracebacks."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rolegraph.errors import ScenarioError
from rolegraph.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parent.parent
BROKEN = ROOT / "tests" / "broken"
SCENARIOS = ROOT / "scenarios"
SHIPPED = sorted(SCENARIOS.glob("*.yaml"))

# (file in tests/broken, line, field path, a substring of the message)
CASES = [
    ("yaml_syntax.yaml", 5, "(root)", "flow sequence that starts on line 4"),
    ("bad_indentation.yaml", 13, "(root)", "YAML syntax error: mapping values are not allowed"),
    ("unclosed_quote.yaml", 3, "(root)", "a quote opened on this line is never closed"),
    ("unknown_key.yaml", 6, "speakrs", "unknown key 'speakrs' (did you mean 'speakers'?)"),
    ("unknown_nested_key.yaml", 13, "dialogue.max_turn", "did you mean 'max_turns'?"),
    ("wrong_type.yaml", 12, "dialogue.max_turns", "valid integer"),
    ("negative_count.yaml", 13, "run.samples", "greater than or equal to 1"),
    ("zero_concurrency.yaml", 13, "run.concurrency", "greater than or equal to 1"),
    (
        "duplicate_key.yaml",
        14,
        "dialogue.max_turns",
        "duplicate key 'max_turns' (first given on line 12)",
    ),
    ("empty.yaml", 1, "(root)", "the scenario file is empty"),
    ("comments_only.yaml", 1, "(root)", "the scenario file is empty"),
    ("not_a_mapping.yaml", 2, "(root)", "a scenario must be a mapping"),
    ("missing_required.yaml", 2, "task", "required key 'task' is missing"),
    ("one_speaker.yaml", 6, "speakers", "at least 2 items, not 1"),
    (
        "speaker_not_mapping.yaml",
        9,
        "speakers.1",
        "should be a mapping of keys, not text ('agent')",
    ),
    ("missing_facts_file.yaml", 4, "facts_file", "file not found"),
    ("facts_file_not_text.yaml", 4, "facts_file", "not UTF-8 text"),
    ("missing_library_file.yaml", 8, "speakers.0.library", "persona library file not found"),
    ("unknown_library.yaml", 8, "speakers.0.library", "unknown persona library 'shoppers'"),
    (
        "unknown_persona_pick.yaml",
        9,
        "speakers.0.pick",
        "no persona 'Nobody' in library 'customers'",
    ),
    ("bad_opener.yaml", 12, "dialogue.opener", "'manager' is not a speaker"),
    (
        "min_over_max_turns.yaml",
        12,
        "dialogue.min_turns",
        "min_turns (9) is more than max_turns (6)",
    ),
    ("threshold_out_of_range.yaml", 12, "critic.threshold", "less than or equal to 5"),
    ("exemplar_unknown_speaker.yaml", 15, "exemplars.0.turns.1.speaker", "'bot' is not a speaker"),
    ("duplicate_speaker.yaml", 9, "speakers.1.name", "speaker name 'customer' is used twice"),
    ("bad_model_role.yaml", 13, "models.narrator", "unknown role 'narrator'"),
    (
        "persona_and_library.yaml",
        9,
        "speakers.1",
        "give exactly one of 'persona' (inline) or 'library'",
    ),
    (
        "bad_condition_weights.yaml",
        12,
        "conditions.mood.furious",
        "the weight should be greater than 0",
    ),
    ("condition_key_typo.yaml", 14, "conditions.mood.weight", "did you mean 'weights'?"),
    ("bad_merge.yaml", 12, "run", "bad merge ('<<')"),
    ("recursive_alias.yaml", 4, "facts.1", "an alias refers to a value that contains it"),
    ("python_tag.yaml", 10, "speakers.1.persona", "unsupported YAML tag"),
    ("seed_missing_file.yaml", 3, "seed.path", "file not found: "),
    ("seed_outside_folder.yaml", 2, "seed.path", "the seed must be inside the scenario's folder"),
    (
        "seed_unknown_column.yaml",
        6,
        "facts.1",
        "'ammount' is not a column of data/tickets.jsonl (did you mean 'amount'?)",
    ),
    ("alias_bomb.yaml", 15, "x-f", "aliases expand this value to more than 200,000 values"),
    ("deep_nesting.yaml", 4, "(root)", "nested more than 50 levels deep (from column 57)"),
    ("control_character.yaml", 3, "(root)", "raw control character U+0007 at column 28"),
    ("not_utf8.yaml", 3, "(root)", "not UTF-8 text: byte 0xe9 at column 40"),
    ("facts_file_outside.yaml", 4, "facts_file", "is a path through '..' outside the scenario's"),
    ("facts_file_absolute.yaml", 4, "facts_file", "'/dev/zero' is an absolute path outside"),
    ("library_outside.yaml", 7, "speakers.0.library", "is a path through '..' outside"),
    ("reserved_node_name.yaml", 12, "graph.nodes.__end__", "a name LangGraph keeps for itself"),
    ("separator_node_name.yaml", 12, "graph.nodes.fact:check", "contains ':', which LangGraph"),
    ("tool_unknown_caller.yaml", 15, "tools.0.callers.1", "'manager' is not a speaker"),
    ("tool_bad_schema.yaml", 14, "tools.0.parameters", "not a valid JSON Schema: 'strnig'"),
    ("tool_unimportable.yaml", 14, "tools.0.python", "cannot import module 'no_such_tool_module'"),
    (
        "tool_table_outside.yaml",
        17,
        "tools.0.table.path",
        "a table file must be inside the scenario's folder",
    ),
    (
        "tool_expect_unknown_table.yaml",
        13,
        "speakers.1.goal.expect.refunds.C1.status",
        "'refunds' is not a table of the tools",
    ),
    ("tool_two_implementations.yaml", 12, "tools.0", "give exactly one implementation"),
]


def validate(*paths: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "rolegraph", "validate", *map(str, paths)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


def test_every_broken_file_has_a_case():
    assert sorted(p.name for p in BROKEN.glob("*.yaml")) == sorted(c[0] for c in CASES)


@pytest.mark.parametrize(("name", "line", "where", "message"), CASES, ids=[c[0] for c in CASES])
def test_broken_file_is_reported(name: str, line: int, where: str, message: str):
    path = BROKEN / name
    result = validate(path)
    assert result.returncode == 2, result.stdout + result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    first = result.stderr.splitlines()[0]
    assert re.match(rf"^{re.escape(str(path))}:{line}: {re.escape(where)}: ", first), first
    assert message in first
    # broken in exactly one way, so exactly one problem
    assert len(result.stderr.splitlines()) == 1, result.stderr


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_scenario_validates(path: Path):
    result = validate(path)
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    assert result.stdout.startswith(f"{path}: ok (")


def test_at_least_one_scenario_ships():
    assert SHIPPED


def test_several_problems_are_all_reported_sorted_by_line(tmp_path: Path):
    path = tmp_path / "many.yaml"
    path.write_text(
        "run:\n"  # 1
        "  samples: -3\n"  # 2
        "dialogue:\n"  # 3
        "  max_turns: many\n"  # 4
        "name: Not A Slug\n"  # 5
        "task: Customers ask about an outage.\n"  # 6
        "facts: [The outage started at 7:40 am.]\n"  # 7
        "speakers:\n"  # 8
        "  - name: customer\n"  # 9
        "    library: customers\n"  # 10
        "  - name: agent\n"  # 11
        "    persona: {name: Sam, role: support agent, mood: calm}\n"  # 12
        "colour: blue\n",  # 13
        encoding="utf-8",
    )
    result = validate(path)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.splitlines()
    found = [re.match(rf"^{re.escape(str(path))}:(\d+): (\S+): ", ln) for ln in lines]
    assert all(found), lines
    assert [(int(m.group(1)), m.group(2)) for m in found if m] == [
        (2, "run.samples"),
        (4, "dialogue.max_turns"),
        (5, "name"),
        (12, "speakers.1.persona.mood"),
        (13, "colour"),
    ]


def test_good_and_bad_files_together(tmp_path: Path):
    good = SCENARIOS / "support_outage.yaml"
    bad = BROKEN / "bad_opener.yaml"
    result = validate(good, bad)
    assert result.returncode == 2
    assert result.stdout.startswith(f"{good}: ok")
    assert result.stderr.startswith(f"{bad}:12: dialogue.opener: ")


def test_missing_file(tmp_path: Path):
    path = tmp_path / "no_such_scenario.yaml"
    result = validate(path)
    assert result.returncode == 2
    assert result.stderr.strip() == f"{path}: file not found"
    assert "Traceback" not in result.stderr


def schema_output() -> str:
    result = subprocess.run(
        [sys.executable, "-m", "rolegraph", "schema"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=True,
    )
    return result.stdout


def test_schema_lists_the_scenario_keys():
    schema = json.loads(schema_output())
    assert set(schema["properties"]) == set(Scenario.model_fields)
    assert {"name", "task", "speakers"} <= set(schema["required"])


def test_committed_schema_is_current():
    committed = (SCENARIOS / "scenario.schema.json").read_text(encoding="utf-8")
    assert committed == schema_output(), "run: rolegraph schema -o scenarios/scenario.schema.json"


# Fast in-process checks of the same machinery.


@pytest.mark.parametrize(("name", "line", "where", "message"), CASES, ids=[c[0] for c in CASES])
def test_from_file_problems(name: str, line: int, where: str, message: str):
    path = BROKEN / name
    with pytest.raises(ScenarioError) as info:
        Scenario.from_file(path)
    assert info.value.problems == [info.value.problems[0]]
    assert info.value.problems[0].startswith(f"{path}:{line}: {where}: ")
    assert message in info.value.problems[0]
    assert "function-after" not in where and "[" not in where


def test_from_file_missing():
    with pytest.raises(ScenarioError) as info:
        Scenario.from_file(BROKEN / "absent.yaml")
    assert info.value.problems == [f"{BROKEN / 'absent.yaml'}: file not found"]


def test_typo_without_close_match_lists_the_keys():
    text = (SCENARIOS / "support_outage.yaml").read_text(encoding="utf-8")
    text = text.replace("run:\n  samples: 3", "run:\n  zzz: 1\n  samples: 3")
    with pytest.raises(ScenarioError) as info:
        Scenario.from_text(text, "s.yaml")
    (problem,) = info.value.problems
    assert re.match(
        r"^s\.yaml:\d+: run\.zzz: unknown key 'zzz' \(expected one of: samples, seed, concurrency, planner\)$",
        problem,
    )


def test_shorthand_weights_load():
    text = (SCENARIOS / "support_outage.yaml").read_text(encoding="utf-8")
    scenario = Scenario.from_text(text, SCENARIOS / "support_outage.yaml")
    mood = scenario.conditions["mood"]
    assert mood.values == ["calm", "frustrated", "furious"]
    assert mood.weights == [2, 2, 1]


def _scenario_with(tmp_path: Path, line: str) -> Path:
    path = tmp_path / "scenario.yaml"
    path.write_text(
        "name: files\ntask: Support chats.\n"
        + line
        + "\nspeakers:\n  - name: customer\n    library: customers\n"
        "  - name: agent\n    persona: {name: Sam, role: agent}\n"
    )
    return path


def test_a_fifo_or_a_device_is_refused_without_hanging(tmp_path: Path):
    fifo = tmp_path / "facts.txt"
    os.mkfifo(fifo)  # nobody ever writes it: reading it would wait forever
    started = time.monotonic()
    result = validate(_scenario_with(tmp_path, "facts_file: facts.txt"))
    assert result.returncode == 2
    assert (
        "facts_file: cannot read" in result.stderr
        and "not a regular file (a pipe)" in result.stderr
    )
    # a device is refused as a path first, and as a device once its folder is allowed
    path = _scenario_with(tmp_path, "facts_file: /dev/zero")
    allowed = subprocess.run(
        [sys.executable, "-m", "rolegraph", "validate", "--allow-path", "/dev", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
    )
    assert allowed.returncode == 2
    assert "cannot read /dev/zero: not a regular file (a device)" in allowed.stderr
    assert time.monotonic() - started < 60


def test_allowed_folders_widen_where_a_scenario_may_read(tmp_path: Path, monkeypatch):
    shared = tmp_path / "shared"
    shared.mkdir()
    (shared / "facts.txt").write_text("The outage started at 7:40 am.\n")
    here = tmp_path / "scenario"
    here.mkdir()
    path = _scenario_with(here, "facts_file: ../shared/facts.txt")
    with pytest.raises(ScenarioError, match=r"path through '\.\.' outside the scenario's folder"):
        Scenario.from_file(path)
    assert Scenario.from_file(path, allow=[shared]).all_facts() == [
        "The outage started at 7:40 am."
    ]
    monkeypatch.setenv("ROLEGRAPH_ALLOW_PATHS", str(shared))
    assert Scenario.from_file(path).all_facts() == ["The outage started at 7:40 am."]
    monkeypatch.delenv("ROLEGRAPH_ALLOW_PATHS")
    # a link inside the folder that points out of it is refused like the path itself
    (here / "link.txt").symlink_to(shared / "facts.txt")
    with pytest.raises(ScenarioError, match="is a link that leads outside the scenario's folder"):
        Scenario.from_file(_scenario_with(here, "facts_file: link.txt"))
    # inside the folder, a '..' that stays inside is fine
    (here / "data").mkdir()
    (here / "data" / "f.txt").write_text("A fact.\n")
    assert Scenario.from_file(
        _scenario_with(here, "facts_file: data/../data/f.txt")
    ).all_facts() == ["A fact."]


def test_a_huge_facts_file_is_refused(tmp_path: Path):
    from rolegraph.scenario import files

    (tmp_path / "facts.txt").write_bytes(b"x" * (files.MAX_FILE_BYTES + 1))
    with pytest.raises(ScenarioError, match=r"facts_file: cannot read .*larger than 16 MB"):
        Scenario.from_file(_scenario_with(tmp_path, "facts_file: facts.txt"))


def test_the_alias_bomb_is_refused_quickly_and_small_aliases_still_work(tmp_path: Path):
    started = time.monotonic()
    with pytest.raises(ScenarioError, match="aliases expand"):
        Scenario.from_file(BROKEN / "alias_bomb.yaml")
    assert time.monotonic() - started < 5
    path = _scenario_with(tmp_path, "facts: &f [The outage started at 7:40 am.]\nx-copy: *f")
    with pytest.raises(ScenarioError, match="unknown key 'x-copy'"):  # aliases themselves are fine
        Scenario.from_file(path)


def test_a_library_with_an_alias_bomb_is_refused(tmp_path: Path):
    bomb = (BROKEN / "alias_bomb.yaml").read_text().split("x-a:", 1)[1]
    (tmp_path / "people.yaml").write_text("name: people\npersonas: []\nx-a:" + bomb)
    path = tmp_path / "scenario.yaml"
    path.write_text(
        "name: lib\ntask: Support chats.\nfacts: [A fact.]\nspeakers:\n"
        "  - name: customer\n    library: people.yaml\n"
        "  - name: agent\n    persona: {name: Sam, role: agent}\n"
    )
    with pytest.raises(ScenarioError, match=r"persona library .*people.yaml:\d+: aliases expand"):
        Scenario.from_file(path)


def test_reserved_node_names_are_what_langgraph_refuses():
    from langgraph.graph import StateGraph
    from typing_extensions import TypedDict

    from rolegraph.scenario.wiring import node_name_problem

    class S(TypedDict):
        x: int

    for name in ("__start__", "__end__", "a:b", "a|b"):
        assert node_name_problem(name) is not None
        with pytest.raises(ValueError):
            StateGraph(S).add_node(name, lambda s: s)
    for name in ("fact_check", "gate-2", "Checker"):
        assert node_name_problem(name) is None
        StateGraph(S).add_node(name, lambda s: s)
