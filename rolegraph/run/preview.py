"""`rolegraph preview`: watch a few samples happen, turn by turn, without a run directory.

For scenario authors iterating on a file: each turn is printed as the speaker says it, then
the critic's verdict with its evidence and the checks that fired, then what the reviser
changed. Nothing is written to disk.
"""

from __future__ import annotations

from typing import Any

from langgraph.checkpoint.memory import InMemorySaver
from rich.console import Console
from rich.text import Text

from graphs import build_sample_graph, recursion_limit
from rolegraph.curate.plan import initial_state, plan_sample
from rolegraph.models.specs import CORE_ROLES, build_models, close_models, role_configs
from rolegraph.run.options import build_context
from rolegraph.scenario.schema import Scenario
from rolegraph.scenario.wiring import graph_spec_from

COLOURS = ["cyan", "magenta", "green", "yellow", "blue", "red"]


async def preview(
    scenario: Scenario,
    *,
    samples: int = 1,
    model: str | None = None,
    base_url: str | None = None,
    seed: int | None = None,
    console: Console | None = None,
    models: dict[str, Any] | None = None,
) -> list[dict[str, Any]]:
    """Run `samples` samples, printing every step as it happens; returns their final states."""
    console = console or Console(highlight=False)
    spec = graph_spec_from(scenario)
    seed = scenario.run.seed if seed is None else seed
    roles = [
        *CORE_ROLES,
        *(r for r in (*(n.role for n in spec.nodes), spec.turns) if r and ":" not in r),
    ]
    built = models or build_models(
        role_configs(scenario, list(dict.fromkeys(roles)), model, base_url), seed
    )
    ctx = build_context(scenario, built)
    graph = build_sample_graph(spec).compile(checkpointer=InMemorySaver())
    colour = {name: COLOURS[i % len(COLOURS)] for i, name in enumerate(scenario.speaker_names)}
    finals = []
    try:
        for index in range(samples):
            plan = plan_sample(scenario, index, seed)
            who = ", ".join(f"{s}: {p.name}" for s, p in plan.personas.items())
            cond = "; ".join(f"{k}={v}" for k, v in plan.conditions.items()) or "no conditions"
            console.rule(Text(f"sample {plan.sample_id} · {who} · {cond}"))  # plain, not markup
            config: Any = {
                "configurable": {"thread_id": plan.sample_id},
                "recursion_limit": recursion_limit(
                    scenario.dialogue.max_turns, scenario.critic.max_revisions, spec
                ),
            }
            printer = _Printer(console, colour, plan)
            stream = graph.astream(
                initial_state(scenario, plan), config=config, context=ctx, stream_mode="updates"
            )
            async for update in stream:
                for node, change in update.items():
                    printer.show(node, change or {})
            final = (await graph.aget_state(config)).values
            finals.append(final)
            style = "green" if final.get("status") == "accepted" else "red"
            console.print(
                Text(
                    f"→ {final.get('status')} after {final.get('revisions', 0)} revision(s)",
                    style=f"bold {style}",
                )
            )
    finally:
        if models is None:
            await close_models(built)
    return finals


class _Printer:
    """Prints graph updates for one sample, remembering the turns to show the reviser's edits."""

    def __init__(self, console: Console, colour: dict[str, str], plan: Any) -> None:
        self.console, self.colour, self.plan = console, colour, plan
        self.turns: list[dict[str, str]] = []

    def line(self, turn: dict[str, str], prefix: str = "") -> Text:
        name = self.plan.personas[turn["speaker"]].name
        text = Text(
            f"{prefix}{name} ({turn['speaker']}): ",
            style=f"bold {self.colour.get(turn['speaker'], 'white')}",
        )
        text.append(turn["text"])
        return text

    def show(self, node: str, change: dict[str, Any]) -> None:
        if node == "speaker" and change.get("turns"):
            for turn in change["turns"][len(self.turns) :]:
                self.console.print(self.line(turn))
            self.turns = list(change["turns"])
        elif node == "critic" and change.get("verdict"):
            v = change["verdict"]
            scores = ", ".join(f"{k} {s}" for k, s in v["scores"].items())
            self.console.print(
                Text(
                    f"critic: {v['decision']} (overall {v['overall']:.2f}; {scores})", style="bold"
                )
            )
            if v.get("rationale"):
                self.console.print(Text(f"  rationale: {v['rationale']}", style="dim"))
            for quote in v.get("evidence") or []:
                self.console.print(Text(f"  evidence: “{quote}”", style="dim"))
            for check in v.get("checks") or []:
                self.console.print(
                    Text(
                        f"  check {check['check']} on turn {check['turn']}: {check['message']}",
                        style="yellow",
                    )
                )
        elif node == "reviser" and change.get("turns") is not None:
            self.console.print(Text(f"reviser (revision {change.get('revisions')}):", style="bold"))
            for i, (old, new) in enumerate(zip(self.turns, change["turns"], strict=False)):
                if old["text"] != new["text"]:
                    self.console.print(Text(f"  turn {i} was: {old['text']}", style="red"))
                    self.console.print(self.line(new, prefix=f"  turn {i} now: "))
            self.turns = list(change["turns"])
        elif node == "tools" and change.get("tool_step"):  # one call ran: show it and its result
            from agents.tools import call_lines

            ran = [c for c in change["tool_step"]["calls"] if c.get("status") != "pending"]
            for line in call_lines({"calls": ran[-1:]}):
                self.console.print(Text(line, style="cyan"))
        elif node not in {"plan", "speaker", "critic", "accept", "reject"}:
            for finding in change.get("findings") or []:
                self.console.print(
                    Text(
                        f"{node}: {finding.get('check')}: {finding.get('message')}", style="yellow"
                    )
                )
