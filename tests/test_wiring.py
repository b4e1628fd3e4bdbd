"""The scenario's `graph` section: invalid wiring refused, valid wiring built and run."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from graphs import GraphSpec, NodeSpec, WiringError, build_sample_graph, recursion_limit
from rolegraph.errors import ScenarioError
from rolegraph.run.runner import RunOptions
from rolegraph.scenario.schema import Scenario
from rolegraph.scenario.wiring import graph_spec_from
from tests.conftest import ROOT, run_wired, scripted_models
from tests.test_engine import BASE, GOOD_TURNS, read, transcript_of, turn_number, verdict

# (graph section, field path of the problem, a substring of the message)
INVALID = [
    ("  review: [fact_chekcer, critic]\n", "graph.review.0.role", "unknown role 'fact_chekcer'"),
    ("  review: ['nowhere.mod:Role', critic]\n", "graph.review.0.role", "cannot import module"),
    ("  turns: fact_checker\n", "graph.turns", "cannot be placed as the turn router"),
    ("  turns: [patient, nurse]\n", "graph.turns.1", "'nurse' is not a speaker"),
    ("  review: [fact_checker]\n", "graph.review", "must hold 'critic' exactly once"),
    ("  review: [critic, critic]\n", "graph.review", "must hold 'critic' exactly once"),
    ("  review: [reviser, critic]\n", "graph.review.0", "'reviser' has a fixed place"),
    ("  review: [fact_checker, fact_checker, critic]\n", "graph.review.1", "used twice"),
    ("  review: [director, critic]\n", "graph.review.0.role", "cannot be placed as a review node"),
    (
        "  review: [{role: safety_filter, options: {categories: [spelling]}}, critic]\n",
        "graph.review.0.role",
        "bad options",
    ),
    (
        "  review: [critic]\n  nodes: {a: {role: fact_checker, next: critic}}\n",
        "graph.review",
        "not both",
    ),
    (
        "  nodes: {facts: {role: fact_checker, next: critc}}\n  entry: facts\n",
        "graph.nodes.facts.next",
        "next 'critc' is not a node",
    ),
    (
        "  nodes:\n    a: {role: fact_checker, next: b}\n    b: {role: safety_filter, next: a}\n"
        "  entry: a\n",
        "graph.nodes.a",
        "loop with no exit: a -> b -> a",
    ),
    (
        "  nodes: {facts: {role: fact_checker, next: critic}}\n",
        "graph.nodes.facts",
        "unreachable",
    ),
    ("  entry: accept\n", "graph.entry", "every dialogue must be judged by the critic"),
    (
        "  nodes: {facts: {role: fact_checker, next: accept}}\n  entry: facts\n",
        "graph.entry",
        "leads to 'accept' (via facts)",
    ),
    (
        "  nodes: {safety: {role: safety_filter, next: critic}}\n  on_accept: safety\n",
        "graph.on_accept",
        "back to the critic it would loop",
    ),
    ("  after_revision: reject\n", "graph.after_revision", "a revised dialogue must go back"),
    (
        "  nodes: {critic: {role: fact_checker, next: accept}}\n",
        "graph.nodes.critic",
        "is a built-in node",
    ),
]


@pytest.mark.parametrize(("section", "where", "message"), INVALID, ids=[i[2] for i in INVALID])
def test_invalid_wiring_is_refused(make_scenario, section, where, message):
    with pytest.raises(ScenarioError) as info:
        make_scenario(BASE + "graph:\n" + section)
    assert any(f": {where}: " in p and message in p for p in info.value.problems), (
        info.value.problems
    )


def test_rolegraph_validate_refuses_a_loop_with_file_and_line(tmp_path):
    path = tmp_path / "loop.yaml"
    path.write_text(
        BASE + "pipeline:\n  nodes:\n    a: {role: fact_checker, next: b}\n"
        "    b: {role: fact_checker, next: a}\n  entry: a\n"
    )
    result = subprocess.run(
        [sys.executable, "-m", "rolegraph", "validate", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert result.returncode == 2 and "Traceback" not in result.stderr
    (line,) = result.stderr.splitlines()
    assert re.match(rf"^{re.escape(str(path))}:17: pipeline\.nodes\.a: loop with no exit", line)


def test_opener_must_start_the_turn_order(make_scenario):
    with pytest.raises(ScenarioError, match="the turn order starts with 'receptionist'"):
        make_scenario(
            BASE.replace("dialogue: {", "dialogue: {opener: patient, ")
            + "graph:\n  turns: [receptionist, patient]\n"
        )


def test_build_sample_graph_refuses_an_unsound_spec():
    spec = GraphSpec(nodes=(NodeSpec("a", "fact_checker", "a"),), entry="a")
    with pytest.raises(WiringError, match="loop with no exit"):
        build_sample_graph(spec)


def test_no_section_keeps_the_default_graph(outage):
    spec = graph_spec_from(outage)
    assert spec == GraphSpec(retry=spec.retry)
    default = build_sample_graph().compile().get_graph()
    wired = build_sample_graph(spec).compile().get_graph()
    assert set(default.nodes) == set(wired.nodes)
    assert {(e.source, e.target) for e in default.edges} == {
        (e.source, e.target) for e in wired.edges
    }


def test_review_list_places_checkers_before_and_gates_after_the_critic(make_scenario):
    scenario = make_scenario(
        BASE + "graph:\n  turns: [patient, receptionist]\n"
        "  review: [fact_checker, critic, safety_filter]\n"
    )
    spec = graph_spec_from(scenario)
    edges = {(e.source, e.target) for e in build_sample_graph(spec).compile().get_graph().edges}
    assert {
        ("speaker", "turn_rule"),
        ("turn_rule", "speaker"),
        ("speaker", "fact_checker"),
        ("fact_checker", "critic"),
        ("fact_checker", "reject"),
        ("critic", "safety_filter"),
        ("safety_filter", "accept"),
        ("safety_filter", "reject"),
        ("reviser", "fact_checker"),
    } <= edges
    assert ("speaker", "critic") not in edges and ("critic", "accept") not in edges
    assert recursion_limit(4, 2, spec) > recursion_limit(4, 2)


async def test_findings_reach_the_critic_and_the_record(make_scenario, tmp_path):
    scenario = make_scenario(
        BASE.replace("samples: 3", "samples: 1") + "graph:\n  review: [fact_checker, critic]\n"
    )
    prompts: list[str] = []

    def critic(role, messages):
        prompts.append(transcript_of(messages))
        return verdict(5)

    out = tmp_path / "run"
    await run_wired(
        scenario,
        RunOptions(
            out=out,
            quiet=True,
            models=scripted_models(speaker=lambda r, m: GOOD_TURNS[turn_number(m)], critic=critic),
        ),
    )
    (record,) = read(out / "accepted.jsonl")
    assert "Findings of other reviewers:" in prompts[0]
    assert "fact_checker, turn [1], supported:" in prompts[0]
    assert {(f["turn"], f["status"]) for f in record["findings"]} == {
        (1, "supported"),
        (3, "supported"),
    }
    assert record["verdict"]["checks"] == []  # info findings inform; they do not cap scores


async def test_a_gate_rejects_with_its_reason(make_scenario, tmp_path):
    scenario = make_scenario(
        BASE.replace("samples: 3", "samples: 1")
        + "graph:\n  review: [critic, {role: safety_filter, options: {blocked: ['$40']}}]\n"
    )
    out = tmp_path / "run"
    summary = await run_wired(
        scenario,
        RunOptions(
            out=out,
            quiet=True,
            models=scripted_models(
                speaker=lambda r, m: GOOD_TURNS[turn_number(m)], critic=lambda r, m: verdict(5)
            ),
        ),
    )
    assert summary.counts["rejected"] == 1
    (record,) = read(out / "rejected.jsonl")
    v = record["verdict"]
    assert v["model_decision"] == "accept" and v["decision"] == "reject"
    assert v["rejected_by"] == "safety_filter"
    assert record["reasons"] == ["unsafe content (blocked) in turn 3"]
    assert record["attempts"][-1]["verdict"]["decision"] == "accept"  # what the critic said


def test_pipeline_is_an_alias_of_graph(make_scenario):
    scenario = make_scenario(BASE + "pipeline:\n  turns: director\n")
    assert graph_spec_from(scenario).turns == "director"
    assert isinstance(scenario, Scenario)
