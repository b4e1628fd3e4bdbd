"""Testing a role on its own: call it with a state and a context, assert on the update."""

from __future__ import annotations

from rolegraph_example_roles import JargonChecker

from agents import RunContext


def context() -> RunContext:
    return RunContext(task="t", facts=["f"], rubric=[], models={}, assistant="doctor")


def state(*turns: tuple[str, str]) -> dict:
    return {"turns": [{"speaker": s, "text": t} for s, t in turns], "revisions": 0}


async def test_unexplained_term_is_flagged():
    update = await JargonChecker()(state(("doctor", "Your hypertension is worse.")), context())
    (finding,) = update["findings"]
    assert finding["check"] == "unexplained_jargon" and finding["turn"] == 0


async def test_explained_term_and_other_speakers_pass():
    update = await JargonChecker(terms=["renal"])(
        state(("patient", "Renal?"), ("doctor", "Renal, which means about the kidneys.")),
        context(),
    )
    assert update["findings"] == []
