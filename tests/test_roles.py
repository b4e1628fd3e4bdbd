"""The Role API: definitions checked at load, roles found by dotted path and by entry point,
and the built-in extra roles (fact_checker, safety_filter) on their own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import pytest
from pydantic import BaseModel

from agents import base
from agents.base import Role, RoleDefinitionError, all_roles, resolve_role
from agents.context import RunContext
from agents.fact_checker import FactChecker
from agents.safety import SafetyFilter
from rolegraph.run.runner import RunOptions
from tests.conftest import ROOT, run_wired, scripted_models
from tests.test_engine import BASE, GOOD_TURNS, read, turn_number, verdict

EXAMPLE = ROOT / "examples" / "rolegraph-example-roles"


class NoShouting(Role):
    """A role defined in a test module, used through its dotted path `tests.test_roles:NoShouting`."""

    name: ClassVar[str] = "no_shouting"
    description: ClassVar[str] = "Flags turns written in capitals."

    async def __call__(self, state: Any, ctx: RunContext) -> dict[str, Any]:
        return {
            "findings": [
                self.finding(
                    state, check="shouting", message="the turn shouts", turn=i, criterion="quality"
                )
                for i, t in enumerate(state.get("turns") or [])
                if t["text"].isupper()
            ]
        }


def context(**kw: Any) -> RunContext:
    base_kw: dict[str, Any] = {
        "task": "A clinic call.",
        "facts": ["The appointment is on March 3 at 10:30 am.", "The consultation costs $40."],
        "rubric": [],
        "models": scripted_models(),
        "assistant": "receptionist",
    }
    return RunContext(**{**base_kw, **kw})


def state(*texts: str) -> dict[str, Any]:
    speakers = ["patient", "receptionist"]
    return {
        "speakers": speakers,
        "personas": {"patient": {"name": "Ana Ruiz"}, "receptionist": {"name": "Ben Cole"}},
        "turns": [{"speaker": speakers[i % 2], "text": t} for i, t in enumerate(texts)],
        "revisions": 0,
        "max_turns": 4,
    }


# --- definitions are checked when the class is created -------------------------------------


def _define(**attrs: Any) -> type[Role]:
    async def call(self, state, ctx):
        return {}

    namespace = {"name": "good_name", "description": "Does a thing.", "__call__": call, **attrs}
    return type("Custom", (Role,), namespace)


@pytest.mark.parametrize(
    ("attrs", "problem"),
    [
        ({"name": None}, "must set a non-empty string class attribute 'name'"),
        ({"description": ""}, "must set a non-empty string class attribute 'description'"),
        ({"name": "Fact Checker"}, "name must be lower_snake_case"),
        ({"__call__": lambda self, s, c: {}}, "must define 'async def __call__"),
        ({"output_model": dict}, "'output_model' must be a pydantic BaseModel subclass"),
        ({"Options": "fast"}, "'Options' must be a pydantic BaseModel subclass"),
        ({"prompt": "Check {facts"}, "prompt template is malformed"),
        ({"places": ("review", "anywhere")}, "'places' must be a tuple drawn from"),
    ],
)
def test_broken_definition_fails_at_class_creation(attrs, problem):
    with pytest.raises(RoleDefinitionError) as info:
        _define(**attrs)
    assert problem in str(info.value)
    assert "Custom" in str(info.value)  # names the class, hence where to look


def test_options_are_validated_against_the_options_model():
    class Opts(BaseModel):
        limit: int = 3

    cls = _define(Options=Opts)
    assert cls(limit=5).options.limit == 5
    with pytest.raises(RoleDefinitionError, match="role 'good_name': bad options: limit"):
        cls(limit="many")
    with pytest.raises(RoleDefinitionError, match="role 'good_name' takes no options"):
        _define()(limit=1)


async def test_prompt_template_and_typed_output():
    class Answer(BaseModel):
        label: str
        score: int

    cls = _define(prompt="Rate: {text}", output_model=Answer, name="rater")
    role = cls()
    assert role.render(text="hi") == "Rate: hi"
    with pytest.raises(RoleDefinitionError, match="needs a value for 'text'"):
        role.render()
    seen: list[str] = []

    def rater(r, messages):
        seen.append(str(messages[-1].content))
        return {"label": "ok", "score": 4}

    answer = await role.ask(context(models=scripted_models(rater=rater)), role.render(text="x"))
    assert answer == Answer(label="ok", score=4) and seen == ["Rate: x"]


def test_dotted_path_problems_name_the_role(tmp_path, monkeypatch):
    (tmp_path / "broken_roles.py").write_text("raise RuntimeError('no config file')\n")
    (tmp_path / "not_roles.py").write_text("class Thing:\n    pass\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(RoleDefinitionError, match="broken_roles:X': importing module"):
        resolve_role("broken_roles:X")
    with pytest.raises(RoleDefinitionError, match="'not_roles:Thing' is not a subclass"):
        resolve_role("not_roles:Thing")
    with pytest.raises(RoleDefinitionError, match="module 'not_roles' has no 'Nope'"):
        resolve_role("not_roles:Nope")
    with pytest.raises(RoleDefinitionError, match="cannot import module 'no_such_mod'"):
        resolve_role("no_such_mod:Role")


async def test_role_from_a_test_module_by_dotted_path(make_scenario, tmp_path):
    text = BASE.replace("samples: 3", "samples: 1").replace("max_revisions: 2", "max_revisions: 1")
    text += "graph:\n  review: ['tests.test_roles:NoShouting', critic]\n"
    scenario = make_scenario(text)

    def speaker(role, messages):
        return (
            GOOD_TURNS[turn_number(messages)].upper()
            if turn_number(messages) == 1
            else (GOOD_TURNS[turn_number(messages)])
        )

    out = tmp_path / "run"
    await run_wired(
        scenario,
        RunOptions(
            out=out,
            quiet=True,
            models=scripted_models(
                speaker=speaker,
                critic=lambda r, m: verdict(5),
                reviser=lambda r, m: "It is on March 3 at 10:30 am.",
            ),
        ),
    )
    (record,) = read(out / "accepted.jsonl")
    draft = record["attempts"][0]["verdict"]
    # the finding reached the critic, blocked acceptance and flagged the turn for the reviser
    assert [(c["check"], c["source"], c["turn"]) for c in draft["checks"]] == [
        ("shouting", "no_shouting", 1)
    ]
    assert draft["decision"] == "revise" and draft["flagged_turns"] == [1]
    assert record["revisions"] == 1 and record["messages"][2]["content"].startswith("It is on")
    assert [(f["source"], f["revision"]) for f in record["findings"]] == [("no_shouting", 0)]


# --- the example package, found through its entry point -----------------------------------


@pytest.fixture(scope="session")
def example_package(tmp_path_factory) -> Iterator[Path]:
    """Make the example package importable with its entry points, as `pip install` would.

    A dist-info written from the package's own pyproject.toml declares the entry points;
    the venv is left untouched (other runs share it), and no build backend is needed.
    """
    project = tomllib.loads((EXAMPLE / "pyproject.toml").read_text())["project"]
    site = tmp_path_factory.mktemp("site")
    info = site / f"{project['name'].replace('-', '_')}-{project['version']}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {project['name']}\nVersion: {project['version']}\n"
    )
    lines = []
    for group, eps in project["entry-points"].items():
        lines += [f"[{group}]", *(f"{k} = {v}" for k, v in eps.items()), ""]
    (info / "entry_points.txt").write_text("\n".join(lines))
    sys.path[:0] = [str(site), str(EXAMPLE)]
    yield site
    sys.path.remove(str(site))
    sys.path.remove(str(EXAMPLE))
    base._REGISTRY.pop("jargon_checker", None)


def test_example_role_is_found_by_entry_point(example_package):
    cls = resolve_role("jargon_checker")
    assert cls.__module__ == "rolegraph_example_roles.jargon"
    assert "jargon_checker" in all_roles()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(example_package), str(EXAMPLE)])}
    listed = subprocess.run(
        [sys.executable, "-m", "rolegraph", "roles"],
        capture_output=True,
        text=True,
        env=env,
        cwd=ROOT,
        timeout=120,
    )
    assert "jargon_checker" in listed.stdout and listed.returncode == 0


async def test_example_role_runs_through_its_entry_point(example_package, make_scenario, tmp_path):
    text = BASE.replace("samples: 3", "samples: 1").replace("max_revisions: 2", "max_revisions: 0")
    text += (
        "graph:\n  review:\n    - {role: jargon_checker, options: {terms: [consultation]}}\n"
        "    - critic\n"
    )
    scenario = make_scenario(text)
    out = tmp_path / "run"
    await run_wired(
        scenario,
        RunOptions(
            out=out,
            quiet=True,
            models=scripted_models(
                speaker=lambda r, m: GOOD_TURNS[turn_number(m)], critic=lambda r, m: verdict(5)
            ),
        ),
    )
    (record,) = read(out / "rejected.jsonl")
    assert record["reasons"] == [
        "'consultation' is used without an explanation"
    ]  # GOOD_TURNS[3], the receptionist's; the patient's turns are not checked
    assert record["verdict"]["checks"][0]["source"] == "jargon_checker"


def test_entry_point_name_must_match_the_role_name(example_package, tmp_path, monkeypatch):
    info = tmp_path / "misnamed-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: misnamed\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text(
        "[rolegraph.roles]\njargon = rolegraph_example_roles.jargon:JargonChecker\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(RoleDefinitionError, match="name the entry point 'jargon_checker'"):
        resolve_role("jargon")


# --- built-in extra roles on their own -----------------------------------------------------


async def test_fact_checker_checks_claim_by_claim_with_evidence():
    s = state(
        "When is it, and how much?",
        "It is on March 3 at 10:30 am. It costs $55.",
        "Does the consultation last long?",
        "Bring your insurance card. The appointment is at 10:30 am.",
    )
    update = await FactChecker()(s, context())
    results = [(f["turn"], f["status"], f["severity"], f["evidence"]) for f in update["findings"]]
    assert results == [
        (1, "supported", "info", "The appointment is on March 3 at 10:30 am."),
        (1, "contradicted", "error", "The consultation costs $40."),
        (3, "supported", "info", "The appointment is on March 3 at 10:30 am."),
    ]
    assert update["findings"][1]["claim"] == "It costs $55."


async def test_fact_checker_can_ask_its_model():
    def checker(role, messages):
        return {
            "claims": [
                {"turn": 1, "claim": "It is free.", "status": "contradicted", "fact": 2},
                {"turn": 9, "claim": "noise", "status": "supported", "fact": 1},
            ]
        }

    ctx = context(models=scripted_models(fact_checker=checker))
    update = await FactChecker(use_model=True)(state("Cost?", "It is free."), ctx)
    (finding,) = update["findings"]
    assert finding["status"] == "contradicted"
    assert finding["evidence"] == "The consultation costs $40."


async def test_safety_filter_rules_and_model():
    role = SafetyFilter(blocked=["lottery"])
    clean = await role(state("Hello.", "It is on March 3."), context())
    assert clean == {"findings": []}
    update = await role(
        state("Hi.", "My card is 4111 1111 1111 1111.", "You won a lottery"), context()
    )
    assert update["status"] == "rejected" and update["rejected_by"] == "safety_filter"
    assert [(f["check"], f["turn"]) for f in update["findings"]] == [
        ("unsafe_personal_data", 1),
        ("unsafe_blocked", 2),
    ]
    asked = SafetyFilter(use_model=True)
    ctx = context(
        models=scripted_models(
            safety_filter=lambda r, m: {"reason": "threat", "safe": False, "category": "violence"}
        )
    )
    update = await asked(state("Hi.", "Fine."), ctx)
    assert update["findings"][0]["check"] == "unsafe_model" and "violence" in json.dumps(update)
    with pytest.raises(RoleDefinitionError, match="role 'safety_filter': bad options"):
        SafetyFilter(categories=["spelling"])
