"""Planning: which personas, condition values and exemplars each sample gets, fixed by the seed.

With a `seed:` section each sample also gets one record of the user's data (`row`): the
templates of the scenario (facts, task, inline personas, private facts, conditions, the
training system message) are rendered from it here, once, and the plan carries the result,
so every executor and every resumed run sees the same grounding.
"""

from __future__ import annotations

import random
from typing import Any

from pydantic import BaseModel

from agents.state import SampleState
from personas import Persona, derive_seed, sample_conditions, sample_persona
from rolegraph.scenario.schema import Scenario
from rolegraph.scenario.seed import row_for
from rolegraph.scenario.templates import referenced_columns, render, render_facts, render_value
from rolegraph.scenario.trainview import train_system


class SamplePlan(BaseModel):
    """Everything decided about one sample before any model speaks."""

    sample_id: str
    index: int
    seed: int
    personas: dict[str, Persona]
    conditions: dict[str, Any]
    exemplars: list[int]
    # grounding from a seed record (None: the scenario's own, as in plans stored before seeds)
    row: int | None = None  # the record's row in the seed file (0-based)
    record: dict[str, Any] | None = (
        None  # the record's columns the templates read (all, with tools)
    )
    task: str | None = None
    facts: list[str] | None = None
    private_facts: dict[str, list[str]] | None = None
    train_system: str | None = None  # the exported system message (the training view)


def plan_sample(scenario: Scenario, index: int, run_seed: int, variant: int = 0) -> SamplePlan:
    """The plan of sample `index`; depends only on the scenario, the index and the run seed.

    `variant` > 0 draws an alternative plan for the same sample (the coverage planner
    chooses among several); variant 0 is the independent plan.
    """
    seed = derive_seed(run_seed, index) if variant == 0 else derive_seed(run_seed, index, variant)
    rng = random.Random(seed)
    data = scenario.seed_data()
    values: dict[str, Any] = {}
    row = None
    if data is not None:
        assert scenario.seed is not None
        row = row_for(index, len(data), scenario.seed, run_seed)
        values = data.row(row)
    conditions = sample_conditions(
        {
            k: dict(zip(c.values, c.weights, strict=True)) if c.weights else c.values
            for k, c in scenario.conditions.items()
            if c.column is None
        },
        rng,
    )
    if data is not None:
        for key, cond in scenario.conditions.items():
            if cond.column is not None:
                value = values.get(cond.column)
                conditions[key] = (
                    value if isinstance(value, str | int | float | bool) else str(value)
                )
            else:
                conditions[key] = render_value(conditions[key], values)
        conditions = dict(sorted(conditions.items()))
    personas: dict[str, Persona] = {}
    for speaker in scenario.speakers:
        if speaker.persona is not None:
            personas[speaker.name] = (
                Persona.model_validate(render_value(speaker.persona.model_dump(), values))
                if data is not None
                else speaker.persona
            )
            continue
        library = scenario.library_for(speaker)
        assert library is not None, "Scenario.from_file resolves every library"
        if speaker.pick:
            personas[speaker.name] = library.get(speaker.pick)  # type: ignore[assignment]
        else:
            taken = {p.name for p in personas.values()}
            pool = library.with_role(speaker.role) if speaker.role else library.personas
            personas[speaker.name] = sample_persona(pool, rng, exclude=taken)
    plan = SamplePlan(
        sample_id=f"{index:06d}",
        index=index,
        seed=seed,
        personas=personas,
        conditions=conditions,
        exemplars=_pick_exemplars(scenario, conditions, rng),
    )
    task, facts = scenario.task.description, scenario.all_facts()
    if data is not None:
        assert row is not None
        used = referenced_columns(scenario, data.columns)
        task, facts = render(task, values), render_facts(facts, values)
        if scenario.tools:  # tools may read any column of the record (`source: record`)
            used = list(values)
        plan.row, plan.record = data.start + row, {c: values.get(c) for c in used}
        plan.task, plan.facts = task, facts
        plan.private_facts = {
            s.name: render_facts(s.facts, values) for s in scenario.speakers if s.facts
        }
    trained = scenario.assistant
    plan.train_system = train_system(
        scenario.train,
        persona=personas[trained].model_dump(mode="json"),
        speaker=trained,
        task=task,
        facts=facts,
        record=values,
    )
    return plan


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
        **_grounding(plan),
    )


def _grounding(plan: SamplePlan) -> dict[str, Any]:
    """The plan's own grounding and training view, as state keys (absent: the run's)."""
    out: dict[str, Any] = {}
    if plan.row is not None:
        out["seed_record"] = {"row": plan.row, "values": plan.record or {}}
    for key in ("task", "facts", "private_facts", "train_system"):
        if getattr(plan, key) is not None:
            out[key] = getattr(plan, key)
    return out
