"""Tools: each implementation kind, refusals, the per-sample environment, checks and calling."""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import AIMessage, ToolMessage

from agents.context import RunContext
from agents.environment import Table
from agents.tool_checks import tool_findings
from agents.tool_speaker import JSON_PROTOCOL, parse_json_calls
from agents.tools import Tool, ToolBox
from rolegraph.models.scripted import ScriptedChatModel, default_script
from rolegraph.run.options import build_context
from rolegraph.run.runner import RunOptions, run_scenario
from rolegraph.scenario.schema import Scenario
from tests.conftest import SCENARIOS, scripted_models

AIRLINE = SCENARIOS / "airline_rebooking.yaml"


def airline(**replace: str) -> Scenario:
    """The shipped airline scenario, with text replaced (old=new pairs as keyword values)."""
    text = AIRLINE.read_text()
    for old, new in replace.values():
        assert old in text, old
        text = text.replace(old, new)
    return Scenario.from_text(text, AIRLINE)


def records(out: Path) -> list[dict[str, Any]]:
    return [
        json.loads(line)
        for name in ("accepted", "rejected")
        for line in (out / f"{name}.jsonl").read_text().splitlines()
    ]


def agent_plan(plan: list[tuple[list[dict[str, Any]], str]]):
    """A speaker script: the agent's k-th turn makes plan[k]'s calls, then says its text.

    Every other speaker (the passenger) gets the default faithful script.
    """

    def script(role: str, messages: list[Any]) -> Any:
        if "You are Noah" not in str(messages[0].content):
            return default_script(role, messages)
        spoken = sum(1 for m in messages if isinstance(m, AIMessage) and not m.tool_calls)
        closing = ["Is there anything else?", "Happy to help further.", "Safe travels today."]
        calls, text = plan[spoken] if spoken < len(plan) else ([], closing[spoken % 3])
        if calls and not isinstance(messages[-1], ToolMessage):
            return AIMessage(
                content="",
                tool_calls=[
                    {"id": f"c{spoken}_{i}", "name": c["name"], "args": c["args"]}
                    for i, c in enumerate(calls)
                ],
            )
        return text

    return script


async def run_airline(tmp_path: Path, scenario: Scenario | None = None, **scripts: Any):
    out = tmp_path / "run"
    summary = await run_scenario(
        scenario or airline(),
        RunOptions(out=out, samples=1, quiet=True, models=scripted_models(**scripts)),
    )
    return summary, records(out)


def box_and_env(scenario: Scenario | None = None) -> tuple[ToolBox, dict[str, Any]]:
    box = (scenario or airline()).toolbox()
    return box, box.new_environment()


# --- each implementation kind -------------------------------------------------------------


async def test_table_tool_lookup_search_update_keep_changes_per_sample():
    box, env = box_and_env()
    found, env = await box.run(
        {"id": "1", "name": "find_reservation", "arguments": {"reservation_id": "R123"}},
        "agent",
        env,
    )
    assert found["status"] == "ok" and found["result"]["flight"] == "LX316"
    search, env = await box.run(
        {
            "id": "2",
            "name": "search_flights",
            "arguments": {"origin": "ZRH", "destination": "LHR", "date": "2026-12-14"},
        },
        "agent",
        env,
    )
    assert [r["flight"] for r in search["result"]] == ["LX318", "LX324"]  # not the cancelled one
    moved, env = await box.run(
        {"id": "3", "name": "rebook", "arguments": {"reservation_id": "R123", "flight": "LX318"}},
        "agent",
        env,
    )
    assert moved["result"]["flight"] == "LX318"
    assert env["tables"]["reservation"]["R123"]["flight"] == "LX318"
    assert env["calls"] == 3
    other = box.new_environment()  # another sample: the base table is untouched
    again, _ = await box.run(
        {"id": "4", "name": "find_reservation", "arguments": {"reservation_id": "R123"}},
        "agent",
        other,
    )
    assert again["result"]["flight"] == "LX316"
    missing, after = await box.run(
        {"id": "5", "name": "find_reservation", "arguments": {"reservation_id": "R999"}},
        "agent",
        env,
    )
    assert missing["status"] == "error" and "no reservation" in missing["error"]
    assert missing["result"] == {"error": missing["error"]}
    assert after["tables"] == env["tables"] and after["calls"] == 4


async def test_table_from_the_sample_record_and_insert():
    table = Table("orders", "order_id", source="record.orders")
    tools = {
        "get_order": Tool(
            "get_order",
            "Get an order.",
            {"type": "object", "properties": {"order_id": {"type": "string"}}},
            "table",
            ("agent",),
            table="orders",
        ),
        "add_order": Tool(
            "add_order",
            "Add an order.",
            {"type": "object", "properties": {"order_id": {"type": "string"}}},
            "table",
            ("agent",),
            table="orders",
            op="insert",
        ),
    }
    box = ToolBox(tools, {"orders": table})
    env = box.new_environment({"customer": "Ada", "orders": [{"order_id": "A1", "total": 12}]})
    assert env["record"]["customer"] == "Ada"
    got, env = await box.run(
        {"id": "1", "name": "get_order", "arguments": {"order_id": "A1"}}, "agent", env
    )
    assert got["result"] == {"order_id": "A1", "total": 12}
    added, env = await box.run(
        {"id": "2", "name": "add_order", "arguments": {"order_id": "B2"}}, "agent", env
    )
    assert added["status"] == "ok" and set(env["tables"]["orders"]) == {"A1", "B2"}
    dup, _ = await box.run(
        {"id": "3", "name": "add_order", "arguments": {"order_id": "A1"}}, "agent", env
    )
    assert dup["status"] == "error" and "already has" in dup["error"]
    assert box.new_environment()["tables"] == {"orders": {}}  # no record: an empty table


def _python_box(function: Any, timeout: float = 5.0) -> ToolBox:
    params = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}
    table = Table("counter", "id", {"c": {"id": "c", "value": 0}})
    tool = Tool("bump", "Add n to the counter.", params, "python", ("agent",), function=function)
    return ToolBox({"bump": tool}, {"counter": table}, timeout=timeout)


def bump_sync(n: int, env: Any) -> dict[str, Any]:
    row = env.get("counter", "c")
    return env.update("counter", "c", value=row["value"] + n)


async def bump_async(n: int, env: Any) -> dict[str, Any]:
    await asyncio.sleep(0)
    return bump_sync(n, env)


def bump_without_env(n: int) -> int:
    return n * 2


def bump_and_fail(n: int, env: Any) -> None:
    env.update("counter", "c", value=999)
    raise RuntimeError("the booking system is down")


def bump_slowly(n: int) -> int:
    time.sleep(0.5)
    return n


@pytest.mark.parametrize("function", [bump_sync, bump_async], ids=["sync", "async"])
async def test_python_tool_gets_arguments_and_the_environment(function):
    box = _python_box(function)
    env = box.new_environment()
    for n in (2, 3):
        call, env = await box.run(
            {"id": str(n), "name": "bump", "arguments": {"n": n}}, "agent", env
        )
        assert call["status"] == "ok"
    assert call["result"]["value"] == 5 and env["tables"]["counter"]["c"]["value"] == 5


async def test_python_tool_without_env_failing_and_timing_out():
    call, _ = await _python_box(bump_without_env).run(
        {"id": "1", "name": "bump", "arguments": {"n": 21}}, "agent", None
    )
    assert call["result"] == 42
    box = _python_box(bump_and_fail)
    env = box.new_environment()
    failed, after = await box.run({"id": "2", "name": "bump", "arguments": {"n": 1}}, "agent", env)
    assert failed["status"] == "error"
    assert failed["error"] == "RuntimeError: the booking system is down"
    assert after["tables"] == {}, "a call that raises changes nothing"
    slow, _ = await _python_box(bump_slowly, timeout=0.05).run(
        {"id": "3", "name": "bump", "arguments": {"n": 1}}, "agent", None
    )
    assert slow["status"] == "error" and slow["error"] == "bump timed out after 0.05 s"


async def test_simulated_tool_answers_from_a_model_cached_per_sample():
    asked: list[str] = []

    def weather(role: str, messages: list[Any]) -> dict[str, Any]:
        asked.append(str(messages[-1].content))
        assert "Storm over Zurich until noon." in str(messages[0].content)
        assert "only the tool's result" in str(messages[0].content)
        return {"airport": "ZRH", "wind_kmh": 80 + len(asked)}

    params = {"type": "object", "properties": {"airport": {"type": "string"}}}
    tool = Tool(
        "weather",
        "Weather at an airport.",
        params,
        "simulated",
        ("agent",),
        instructions="Be terse.",
    )
    box = ToolBox({"weather": tool})
    ctx = RunContext(
        task="t",
        facts=["Storm over Zurich until noon."],
        rubric=[],
        models={"default": ScriptedChatModel(script=weather)},
        tools=box,
    )
    env = box.new_environment()
    first, env = await box.run(
        {"id": "1", "name": "weather", "arguments": {"airport": "ZRH"}}, "agent", env, ctx
    )
    again, env = await box.run(
        {"id": "2", "name": "weather", "arguments": {"airport": "ZRH"}}, "agent", env, ctx
    )
    assert first["result"] == again["result"] == {"airport": "ZRH", "wind_kmh": 81}
    assert asked == ['weather({"airport": "ZRH"})']  # the repeat came from the cache
    other, _ = await box.run(
        {"id": "3", "name": "weather", "arguments": {"airport": "ZRH"}},
        "agent",
        box.new_environment(),
        ctx,
    )
    assert other["result"]["wind_kmh"] == 82  # another sample asks the model itself


# --- refusals, bounds, the JSON fallback ----------------------------------------------------


async def test_schema_violations_and_unknown_tools_are_refused_and_recorded(tmp_path: Path):
    plan = [
        (
            [
                {"name": "find_reservation", "args": {"reservation_id": "123"}},
                {"name": "cancel_everything", "args": {}},
            ],
            "I could not find that booking.",
        )
    ]
    summary, (record,) = await run_airline(tmp_path, speaker=agent_plan(plan))
    assert summary.counts["accepted"] == 0
    first, second = record["tool_calls"][:2]
    assert first["status"] == second["status"] == "refused"
    assert "does not match '^R[0-9]{3}$'" in first["error"]
    assert second["error"].startswith("unknown tool 'cancel_everything'")
    results = [m for m in record["messages"] if m["role"] == "tool"][:2]
    assert [json.loads(m["content"])["error"] for m in results] == [first["error"], second["error"]]
    fired = {c["check"] for c in record["verdict"]["checks"]}
    assert {"invalid_tool_arguments", "unknown_tool", "goal_outcome_not_met"} <= fired
    assert record["environment"]["tables"] == {}
    from rolegraph.outputs.evaluate import evaluate
    from rolegraph.outputs.rundir import open_run

    tools = evaluate(open_run(tmp_path / "run"))["tools"]
    assert (tools["calls"], tools["valid_call_share"], tools["goal_success_rate"]) == (2, 0.0, 0.0)
    assert tools["statuses"] == {"refused": 2}


async def test_calls_past_the_turn_budget_are_refused_and_the_speaker_answers(tmp_path: Path):
    scenario = airline(b=("max_calls_per_turn: 3", "max_calls_per_turn: 1"))
    find = {"name": "find_reservation", "args": {"reservation_id": "R123"}}
    plan = [([find, find, find], "Your flight LX316 was cancelled.")]
    _, (record,) = await run_airline(tmp_path, scenario, speaker=agent_plan(plan))
    statuses = [c["status"] for c in record["tool_calls"] if c["turn"] == 1]
    assert statuses == ["ok", "refused", "refused"]
    assert record["environment"]["calls"] == 1  # refused calls never ran
    first_draft = record["attempts"][0]["turns"]  # the goal is not met: later drafts differ
    assert first_draft[1]["text"] == "Your flight LX316 was cancelled."
    assert [c["status"] for c in first_draft[1]["calls"]] == ["ok", "refused", "refused"]
    assert "tool_budget" in {c["check"] for c in record["verdict"]["checks"]}


def test_json_calls_are_parsed_from_text():
    assert parse_json_calls(
        '```json\n{"tool_calls": [{"name": "a", "arguments": "{\\"x\\": 1}"}]}\n```'
    ) == [{"name": "a", "arguments": {"x": 1}}]
    assert parse_json_calls('{"name": "b", "arguments": {}}') == [{"name": "b", "arguments": {}}]
    assert parse_json_calls("Your flight is LX318.") == []
    assert parse_json_calls('{"answer": 1}') == []


async def test_json_fallback_for_models_without_tool_calling(tmp_path: Path):
    prompts: list[str] = []

    def agent(role: str, messages: list[Any]) -> str:
        if "You are Noah" not in str(messages[0].content):
            return default_script(role, messages)
        prompts.append(str(messages[0].content))
        last = str(messages[-1].content)
        if last.startswith("Tool results:"):
            assert '"flight": "LX316"' in last
            return "Your flight LX316 was cancelled; I will find another."
        if any('"tool_calls"' in str(m.content) for m in messages if isinstance(m, AIMessage)):
            return "Anything else I can do?"
        return json.dumps(
            {"tool_calls": [{"name": "find_reservation", "arguments": {"reservation_id": "R123"}}]}
        )

    models = scripted_models(speaker=agent)
    models["speaker"] = ScriptedChatModel(role="speaker", script=agent, native_tools=False)
    out = tmp_path / "run"
    await run_scenario(airline(), RunOptions(out=out, samples=1, quiet=True, models=models))
    (record,) = records(out)
    assert JSON_PROTOCOL in prompts[0] and '"pattern": "^R[0-9]{3}$"' in prompts[0]
    assert [(c["name"], c["status"]) for c in record["tool_calls"]] == [("find_reservation", "ok")]
    assert (
        record["messages"][4]["content"] == "Your flight LX316 was cancelled; I will find another."
    )


# --- the environment across turns, the checks ------------------------------------------------


async def test_the_environment_persists_across_turns(tmp_path: Path):
    plan = [
        ([{"name": "rebook", "args": {"reservation_id": "R123", "flight": "LX324"}}], "Done."),
        ([{"name": "find_reservation", "args": {"reservation_id": "R123"}}], "Checked."),
    ]
    _, (record,) = await run_airline(tmp_path, speaker=agent_plan(plan))
    lookup = next(c for c in record["tool_calls"] if c["name"] == "find_reservation")
    assert lookup["turn"] == 3 and lookup["result"]["flight"] == "LX324"


async def test_outcome_check_fails_when_the_final_state_is_not_the_goal(tmp_path: Path):
    plan = [
        ([{"name": "find_reservation", "args": {"reservation_id": "R123"}}], "I see your booking."),
        (
            [{"name": "rebook", "args": {"reservation_id": "R123", "flight": "LX324"}}],
            "You are on LX324.",
        ),
    ]
    summary, (record,) = await run_airline(tmp_path, speaker=agent_plan(plan))
    assert record["status"] == "rejected" and summary.counts["rejected"] == 1
    assert record["revisions"] == 0, "a rewrite of the text cannot change the final state"
    outcome = next(c for c in record["verdict"]["checks"] if c["check"] == "goal_outcome_not_met")
    assert outcome["severity"] == "error"
    assert "reservation.R123.flight is 'LX324', expected 'LX318'" in outcome["message"]
    assert "reservation.R123.voucher: missing" in outcome["message"]
    goal = next(f for f in record["findings"] if f["source"] == "user_simulator")
    assert goal["check"] == "goal_not_met"


async def test_outcome_check_passes_when_the_final_state_is_the_goal(tmp_path: Path):
    plan = [
        ([{"name": "find_reservation", "args": {"reservation_id": "R123"}}], "I see your booking."),
        (
            [
                {
                    "name": "search_flights",
                    "args": {"origin": "ZRH", "destination": "LHR", "date": "2026-12-14"},
                },
                {"name": "rebook", "args": {"reservation_id": "R123", "flight": "LX318"}},
                {
                    "name": "issue_voucher",
                    "args": {"reservation_id": "R123", "reason": "cancellation"},
                },
            ],
            "You are on LX318 and your voucher is V-R123-150.",
        ),
    ]
    summary, (record,) = await run_airline(tmp_path, speaker=agent_plan(plan))
    assert summary.counts["accepted"] == 1, record["verdict"]["checks"]
    assert record["environment"]["tables"]["reservation"]["R123"]["voucher"] == "V-R123-150"
    assert (
        next(f for f in record["findings"] if f["source"] == "user_simulator")["check"]
        == "goal_met"
    )


def _state_after(calls: list[dict[str, Any]], text: str, box: ToolBox) -> dict[str, Any]:
    return {
        "turns": [
            {"speaker": "passenger", "text": "Hello, my booking is R123."},
            {"speaker": "agent", "text": text, "calls": calls},
        ],
        "personas": {"passenger": {"name": "Mara Lind"}, "agent": {"name": "Noah"}},
        "goals": {},
        "env": box.new_environment(),
    }


async def test_a_turn_contradicting_a_tool_result_is_caught():
    scenario = airline()
    box, env = box_and_env(scenario)
    ctx = build_context(scenario, scripted_models())
    search, env = await box.run(
        {
            "id": "1",
            "name": "search_flights",
            "arguments": {"origin": "ZRH", "destination": "LHR", "date": "2026-12-14"},
        },
        "agent",
        env,
    )
    wrong = tool_findings(_state_after([search], "LX318 leaves at 14:05 today.", box), ctx)
    (finding,) = [f for f in wrong if f.check == "contradicts_tool_result"]
    assert finding.turn == 1 and finding.evidence == "14:05" and "12:25" in finding.message
    right = tool_findings(_state_after([search], "LX318 leaves at 12:25 today.", box), ctx)
    assert [f for f in right if f.check == "contradicts_tool_result"] == []


async def test_invented_ids_are_caught_and_grounded_ones_pass():
    scenario = airline()
    box, env = box_and_env(scenario)
    ctx = build_context(scenario, scripted_models())
    call, _ = await box.run(
        {"id": "1", "name": "rebook", "arguments": {"reservation_id": "R215", "flight": "LX999"}},
        "agent",
        env,
    )
    found = tool_findings(_state_after([call], "Done.", box), ctx)
    assert [(f.check, f.evidence) for f in found] == [
        ("invented_tool_argument", "reservation_id=R215"),
        ("invented_tool_argument", "flight=LX999"),
    ]
    env = box.new_environment()
    found_it, env = await box.run(
        {"id": "2", "name": "find_reservation", "arguments": {"reservation_id": "R123"}},
        "agent",
        env,
    )
    search, env = await box.run(
        {
            "id": "3",
            "name": "search_flights",
            "arguments": {"origin": "ZRH", "destination": "LHR", "date": "2026-12-14"},
        },
        "agent",
        env,
    )
    rebook = {**call, "id": "4", "arguments": {"reservation_id": "R123", "flight": "LX324"}}
    state = _state_after([found_it, search, rebook], "Done.", box)
    assert tool_findings(state, ctx) == []  # every value came from the dialogue or a result


def test_python_tool_by_entry_point(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    from importlib.metadata import EntryPoint

    import rolegraph.scenario.tools as tool_schema

    point = EntryPoint("doubler", "tests.test_tools:bump_without_env", "rolegraph.tools")
    monkeypatch.setattr(
        "importlib.metadata.entry_points",
        lambda group=None: [point] if group == tool_schema.TOOL_ENTRY_POINTS else [],
    )
    found = tool_schema.load_function("doubler", tmp_path)
    assert callable(found) and found.__name__ == "bump_without_env" and found(n=4) == 8
    missing = tool_schema.load_function("halver", tmp_path)
    assert isinstance(missing, str) and "no tool entry point 'halver'" in missing
    assert "installed: doubler" in missing


async def test_the_critic_model_sees_the_calls_and_results(tmp_path: Path):
    prompts: list[str] = []

    def critic(role: str, messages: list[Any]) -> Any:
        prompts.append("\n".join(str(m.content) for m in messages))
        return default_script(role, messages)

    await run_airline(tmp_path, critic=critic)
    dialogue = prompts[0].split("Dialogue:\n", 1)[1]
    call = dialogue.index('tool call find_reservation({"reservation_id": "R123"}) -> {')
    assert dialogue.index("[0] passenger") < call < dialogue.index("[1] agent")
    assert '"flight": "LX316"' in dialogue and "tool call issue_voucher(" in dialogue


def test_tool_routers_as_plain_functions():
    from graphs.tools import route_after_speaker, route_after_tools

    turn = {"speaker": "agent", "text": "x"}
    pending = {
        "speaker": "agent",
        "calls": [{"id": "1", "status": "ok"}, {"id": "2", "status": "pending"}],
    }
    done = {"speaker": "agent", "calls": [{"id": "1", "status": "ok"}]}
    base = {"turns": [turn], "max_turns": 4, "stop_reason": None}
    assert route_after_speaker({**base, "tool_step": pending}) == "tools"
    assert route_after_speaker({**base, "tool_step": None}) == "speaker"
    assert route_after_speaker({**base, "turns": [turn] * 4, "tool_step": None}) == "critic"
    assert route_after_tools({**base, "tool_step": pending}) == "tools"
    assert route_after_tools({**base, "tool_step": done}) == "speaker"
