"""Three or more speakers: turn order by round robin, a rule or the director; hidden goals;
the shipped three-speaker scenario end to end (scripted and embedded model)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from agents.director import Director, rule_choice
from agents.user_simulator import UserSimulator
from rolegraph.run.runner import RunOptions
from rolegraph.scenario.schema import Scenario
from tests.conftest import SCENARIOS, run_wired, scripted_models
from tests.test_engine import read, transcript_of, turn_number, verdict

DOCTOR = SCENARIOS / "family_doctor_visit.yaml"

TRIO = """
name: trio
task: A doctor explains a new dose to a patient and his daughter.
facts:
  - The new dose is 20 mg once daily.
  - The next visit is on June 12 at 9:00 am.
speakers:
  - name: doctor
    persona: {name: Lena Park, role: doctor}
  - name: patient
    persona: {name: Harold Berg, role: patient}
  - name: daughter
    persona: {name: Nina Berg, role: daughter}
dialogue: {assistant: doctor, min_turns: 2, max_turns: 6, stop_phrases: [goodbye]}
critic: {max_revisions: 0}
run: {samples: 1, seed: 3}
"""

TURNS = [  # every turn says something new, so no repetition check ends a dialogue early
    "The new dose is 20 mg once daily.",
    "Twenty milligrams, fine.",
    "And the next visit is June 12 at 9:00 am?",
    "Yes, on June 12 at 9:00 am.",
    "I will put the pills in his box.",
    "We will write his readings down.",
]


def speaker_of(messages) -> str:
    """Which persona a speaker prompt is for, from its 'You are NAME' line."""
    system = str(messages[0].content)
    return next(
        s
        for s, n in [("doctor", "Lena"), ("patient", "Harold"), ("daughter", "Nina")]
        if f"You are {n}" in system
    )


def by_persona(role, messages):
    speaker_of(messages)  # every prompt is for one of the three personas
    return TURNS[turn_number(messages) % len(TURNS)]


async def run_trio(make_scenario, tmp_path, graph: str = "", **scripts) -> dict:
    scenario = make_scenario(TRIO + graph)
    out = tmp_path / "run"
    await run_wired(
        scenario,
        RunOptions(
            out=out,
            quiet=True,
            models=scripted_models(
                **{"speaker": by_persona, "critic": lambda r, m: verdict(5), **scripts}
            ),
        ),
    )
    (record,) = read(out / "accepted.jsonl") + read(out / "rejected.jsonl")
    return record


def order(record: dict) -> list[str]:
    return [m["name"] for m in record["messages"][1:]]


async def test_round_robin_by_default(make_scenario, tmp_path):
    record = await run_trio(make_scenario, tmp_path)
    assert order(record) == ["doctor", "patient", "daughter"] * 2


async def test_turn_rule_from_the_scenario(make_scenario, tmp_path):
    record = await run_trio(
        make_scenario, tmp_path, "graph:\n  turns: [doctor, daughter, doctor, patient]\n"
    )
    assert order(record) == ["doctor", "daughter", "doctor", "patient", "doctor", "daughter"]


async def test_director_picks_from_the_dialogue(make_scenario, tmp_path):
    asked: list[str] = []

    def director(role, messages):
        asked.append(transcript_of(messages))
        # always asks for the daughter after the doctor, and the doctor after anyone else
        return (
            "Nina should."
            if transcript_of(messages)
            .rstrip()
            .endswith(
                "Choose one of: patient, daughter. Reply with only the name of the next speaker."
            )
            else "doctor"
        )

    record = await run_trio(
        make_scenario, tmp_path, "graph:\n  turns: director\n", director=director
    )
    assert order(record) == ["doctor", "daughter", "doctor", "daughter", "doctor", "daughter"]
    assert len(asked) == 5  # after every turn but the last
    assert "Dialogue so far:\n[0] doctor (Lena Park): The new dose" in asked[0]
    assert record["usage"]["director"]["calls"] == 5


async def test_director_falls_back_to_its_rule_when_the_reply_names_nobody(make_scenario, tmp_path):
    record = await run_trio(
        make_scenario, tmp_path, "graph:\n  turns: director\n", director=lambda r, m: "Hmm."
    )
    assert order(record) == ["doctor", "patient", "daughter"] * 2  # longest silent goes next


def test_director_rule_prefers_the_addressed_speaker():
    state = {
        "speakers": ["doctor", "patient", "daughter"],
        "personas": {
            "doctor": {"name": "Dr. Lena Park"},
            "patient": {"name": "Harold Berg"},
            "daughter": {"name": "Nina Berg"},
        },
    }
    turns = [{"speaker": "doctor", "text": "Nina, do you fill the pill box?"}]
    assert rule_choice(["patient", "daughter"], turns, state) == "daughter"
    assert Director.places == ("turns",)


async def test_stop_phrase_ends_a_three_party_dialogue(make_scenario, tmp_path):
    def speaker(role, messages):
        return "Goodbye then." if speaker_of(messages) == "daughter" else by_persona(role, messages)

    record = await run_trio(make_scenario, tmp_path, speaker=speaker)
    assert record["turns"] == 3 and record["stop_reason"] == "stop_phrase"


async def test_hidden_goal_is_pursued_and_checked(make_scenario, tmp_path):
    seen: dict[str, str] = {}

    def speaker(role, messages):
        seen[speaker_of(messages)] = str(messages[0].content)
        return by_persona(role, messages)

    goal = (
        "    goal: {description: Learn the date of the next visit., success_when: [June 12],"
        " required: true}\n"
    )
    text = TRIO.replace(
        "    persona: {name: Nina Berg, role: daughter}\n",
        "    persona: {name: Nina Berg, role: daughter}\n" + goal,
    )
    scenario = make_scenario(text)
    out = tmp_path / "run"
    await run_wired(
        scenario,
        RunOptions(
            out=out,
            quiet=True,
            models=scripted_models(speaker=speaker, critic=lambda r, m: verdict(5)),
        ),
    )
    (record,) = read(out / "accepted.jsonl")
    assert "Your hidden goal: Learn the date" in seen["daughter"]
    assert "hidden goal" not in seen["doctor"] + seen["patient"]
    (finding,) = [f for f in record["findings"] if f["source"] == "user_simulator"]
    assert finding["check"] == "goal_met" and finding["evidence"] == "found: June 12"
    assert record["usage"]["user_simulator"]["calls"] == 2  # the daughter's two turns


async def test_required_goal_not_met_blocks_acceptance():
    role = UserSimulator()
    state = {
        "speakers": ["doctor", "daughter"],
        "personas": {"doctor": {"name": "Lena"}, "daughter": {"name": "Nina"}},
        "turns": [{"speaker": "doctor", "text": "Take 20 mg."}],
        "goals": {
            "daughter": {
                "description": "Learn the date.",
                "success_when": ["June 12"],
                "required": True,
            }
        },
        "stop_reason": "max_turns",
        "max_turns": 1,
        "revisions": 0,
    }
    (finding,) = (await role(state, None))["findings"]  # type: ignore[arg-type]
    assert finding["check"] == "goal_not_met" and finding["severity"] == "error"
    assert finding["evidence"] == "missing: June 12"


async def test_shipped_three_speaker_scenario_runs_with_the_scripted_model(tmp_path):
    scenario = Scenario.from_file(DOCTOR)
    assert len(scenario.speakers) == 3 and scenario.graph is not None
    out = tmp_path / "run"
    summary = await run_wired(
        scenario, RunOptions(out=out, samples=3, model="scripted", quiet=True)
    )
    assert summary.counts["accepted"] >= 2, summary.counts
    for record in read(out / "accepted.jsonl"):
        roles = [(m["role"], m.get("name")) for m in record["messages"][1:]]
        assert {r for r, _ in roles} == {"user", "assistant"}
        assert all((r == "assistant") == (n == "doctor") for r, n in roles)
        assert {n for _, n in roles} == {"doctor", "patient", "daughter"}
        sources = {f["source"] for f in record["findings"]}
        assert sources == {"fact_checker", "user_simulator"}  # the safety gate found nothing
        assert "director" in record["usage"]


@pytest.mark.embedded
async def test_shipped_three_speaker_scenario_runs_on_the_embedded_model(tmp_path: Path):
    text = DOCTOR.read_text().replace("max_turns: 6", "max_turns: 4")
    text = text.replace("max_revisions: 1", "max_revisions: 0")
    scenario = Scenario.from_text(text, DOCTOR)
    out = tmp_path / "run"
    summary = await run_wired(scenario, RunOptions(out=out, samples=1, quiet=True))
    assert summary.counts["failed"] == 0, (out / "failed.jsonl").read_text()
    (record,) = read(out / "accepted.jsonl") + read(out / "rejected.jsonl")
    turns = record["messages"][1:]
    assert len(turns) == 4 and turns[0]["name"] == "doctor"
    assert all(m["role"] == ("assistant" if m["name"] == "doctor" else "user") for m in turns)
    assert record["usage"]["director"]["calls"] == 3
    assert record["usage"]["speaker"]["output_tokens"] > 0
    json.dumps(record)  # JSON-safe all the way
