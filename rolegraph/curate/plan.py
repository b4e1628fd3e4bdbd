"""Planning: which personas, condition values and exemplars each sample gets, fixed by the seed."""

from __future__ import annotations

import random
from typing import Any

from pydantic import BaseModel

from agents.state import SampleState
from personas import Persona, derive_seed, sample_conditions, sample_persona
from rolegraph.scenario.schema import Scenario


class SamplePlan(BaseModel):
    """Everything decided about one sample before any model speaks."""

    sample_id: str
    index: int
    seed: int
    personas: dict[str, Persona]
    conditions: dict[str, Any]
    exemplars: list[int]


def plan_sample(scenario: Scenario, index: int, run_seed: int, variant: int = 0) -> SamplePlan:
    """The plan of sample `index`; depends only on the scenario, the index and the run seed.

    `variant` > 0 draws an alternative plan for the same sample (the coverage planner
    chooses among several); variant 0 is the independent plan.
    """
    seed = derive_seed(run_seed, index) if variant == 0 else derive_seed(run_seed, index, variant)
    rng = random.Random(seed)
    conditions = sample_conditions(
        {
            k: dict(zip(c.values, c.weights, strict=True)) if c.weights else c.values
            for k, c in scenario.conditions.items()
        },
        rng,
    )
    personas: dict[str, Persona] = {}
    for speaker in scenario.speakers:
        if speaker.persona is not None:
            personas[speaker.name] = speaker.persona
            continue
        library = scenario.library_for(speaker)
        assert library is not None, "Scenario.from_file resolves every library"
        if speaker.pick:
            personas[speaker.name] = library.get(speaker.pick)  # type: ignore[assignment]
        else:
            taken = {p.name for p in personas.values()}
            pool = library.with_role(speaker.role) if speaker.role else library.personas
            personas[speaker.name] = sample_persona(pool, rng, exclude=taken)
    return SamplePlan(
        sample_id=f"{index:06d}",
        index=index,
        seed=seed,
        personas=personas,
        conditions=conditions,
        exemplars=_pick_exemplars(scenario, conditions, rng),
    )


def _pick_exemplars(
    scenario: Scenario, conditions: dict[str, Any], rng: random.Random
) -> list[int]:
    k = min(scenario.dialogue.exemplars_per_sample, len(scenario.exemplars))
    if k == 0:
        return []
    ranked = sorted(
        range(len(scenario.exemplars)),
        key=lambda i: (
            -sum(
                conditions.get(key) == value
                for key, value in scenario.exemplars[i].conditions.items()
            ),
            rng.random(),
        ),
    )
    return sorted(ranked[:k])


def initial_state(scenario: Scenario, plan: SamplePlan) -> SampleState:
    """The state a sample graph starts from."""
    return SampleState(
        sample_id=plan.sample_id,
        seed=plan.seed,
        speakers=scenario.speaker_names,
        personas={name: p.model_dump(mode="json") for name, p in plan.personas.items()},
        conditions=plan.conditions,
        exemplars=[
            [{"speaker": t.speaker, "text": t.text} for t in scenario.exemplars[i].turns]
            for i in plan.exemplars
        ],
        turns=[],
        next_speaker=scenario.opener,
        min_turns=scenario.dialogue.min_turns,
        max_turns=scenario.dialogue.max_turns,
        max_revisions=scenario.critic.max_revisions,
        revisions=0,
        attempts=[],
        findings=[],
        goals={s.name: s.goal.model_dump(mode="json") for s in scenario.speakers if s.goal},
        usage={},
    )
