"""Seeded planning: the same seed gives the same plan; personas and conditions follow the scenario."""

from __future__ import annotations

from collections import Counter

from personas import builtin_libraries
from rolegraph.curate.plan import initial_state, plan_sample


def plans(scenario, seed: int, n: int = 40):
    return [plan_sample(scenario, i, seed).model_dump() for i in range(n)]


def test_same_seed_same_plan_different_seed_different_plan(outage):
    assert plans(outage, 7) == plans(outage, 7)
    assert plans(outage, 7) != plans(outage, 8)


def test_plan_of_a_sample_does_not_depend_on_how_many_are_planned(outage):
    assert (
        plan_sample(outage, 5, 7).model_dump() == plans(outage, 7, 10)[5] == plans(outage, 7, 30)[5]
    )


def test_library_personas_vary_and_inline_persona_is_fixed(outage):
    drawn = [p for p in plans(outage, 1, 60)]
    customers = Counter(p["personas"]["customer"]["name"] for p in drawn)
    library_names = {p.name for p in builtin_libraries()["customers"].personas}
    assert set(customers) <= library_names and len(customers) >= 6
    assert {p["personas"]["agent"]["name"] for p in drawn} == {"Sam"}


def test_weighted_conditions_follow_their_weights(outage):
    moods = Counter(p["conditions"]["mood"] for p in plans(outage, 3, 2000))
    # weights calm 2, frustrated 2, furious 1 -> 40% / 40% / 20%
    assert abs(moods["furious"] / 2000 - 0.2) < 0.04
    assert abs(moods["calm"] / 2000 - 0.4) < 0.05


def test_exemplars_prefer_matching_conditions(outage):
    for i in range(20):
        plan = plan_sample(outage, i, 9)
        assert plan.exemplars == [
            0
        ]  # the only exemplar, chosen once per sample (exemplars_per_sample: 1)


def test_initial_state_is_json_safe_and_complete(outage):
    import json

    state = initial_state(outage, plan_sample(outage, 0, 7))
    assert json.loads(json.dumps(state)) == state
    assert state["next_speaker"] == "customer" and state["speakers"] == ["customer", "agent"]
    assert state["max_turns"] == 6 and state["max_revisions"] == 1
    assert state["exemplars"][0][0]["speaker"] == "customer"


def test_shipped_libraries_are_many_and_valid():
    libraries = builtin_libraries()
    assert len(libraries) >= 3
    assert sum(len(lib.personas) for lib in libraries.values()) >= 24
    for lib in libraries.values():
        names = [p.name for p in lib.personas]
        assert len(names) == len(set(names)), f"duplicate persona names in {lib.name}"
