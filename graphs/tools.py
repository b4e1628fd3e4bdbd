"""The tool node and its routers: a speaker's tool calls run here, one call per graph step.

When the acting speaker's model asks for tools, the speaker node leaves the calls pending
in `state["tool_step"]`; `route_after_speaker` sends the sample here, `tool_node` runs the
first pending call against the sample's environment (`RunContext.tools`) and stores the
result and the new environment, and `route_after_tools` loops here while calls are
pending, then back to the same speaker, who continues its turn with the results. Every
call is its own step, so the checkpointer saves each result: a sample killed after an
`update` call resumes without running it again.
"""

from __future__ import annotations

from typing import Any, Literal

from langgraph.runtime import Runtime

from agents.context import RunContext, record_of
from agents.state import SampleState
from graphs.routers import route_turn

TOOL_NODE = "tools"


def pending_calls(state: SampleState) -> list[dict[str, Any]]:
    """The calls of the turn in progress that have not run yet."""
    step = state.get("tool_step") or {}
    return [c for c in step.get("calls") or [] if c.get("status") == "pending"]


def route_after_speaker(state: SampleState) -> Literal["tools", "speaker", "critic"]:
    """After the speaker node: run pending tool calls, else as after any turn."""
    if pending_calls(state):
        return "tools"
    return route_turn(state)


def route_after_tools(state: SampleState) -> Literal["tools", "speaker"]:
    """After one call: the next pending call, else back to the speaker to continue its turn."""
    return "tools" if pending_calls(state) else "speaker"


async def tool_node(state: SampleState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Run the first pending call of the turn in progress (see agents.tools.ToolBox.run)."""
    box = runtime.context.tools
    step = dict(state.get("tool_step") or {})
    calls = [dict(c) for c in step.get("calls") or []]
    index = next(i for i, c in enumerate(calls) if c.get("status") == "pending")
    env = state.get("env")
    if box is None:  # a graph with a tool node but no tools in the context
        calls[index].update(status="refused", error="no tools are declared", result=None)
        return {"tool_step": {**step, "calls": calls}}
    env = env or box.new_environment(record_of(state))
    calls[index], env = await box.run(calls[index], step["speaker"], env, runtime.context)
    return {"tool_step": {**step, "calls": calls}, "env": env}


tool_node.__doc__ = (
    "Tool node: runs the speaker's pending tool calls one per step against the sample's "
    "environment; errors go back to the model as results."
)
