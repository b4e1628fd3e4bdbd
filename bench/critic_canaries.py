"""Does a critic model tell the scenario's canaries apart? Prompt variants side by side, one run.

    python -m bench.critic_canaries scenarios/support_outage.yaml --model local
    python -m bench.critic_canaries scenarios/support_outage.yaml --model openai:m --base-url URL

Variants: `legacy` is the critic prompt before the option-order fix (a JSON outline with
`1|2|3|4|5` and `"accept"|"revise"|"reject"` in fixed order); `single` and `per_criterion`
are today's prompt, each with `stated` and `geval` scoring. For each, the canaries of
`rolegraph check-critic` are judged by the model alone; the table gives the weighted model
score per canary, whether the faithful one is clearly above every planted one, and the CPU
and wall time per model call of this process (the embedded model computes in-process, so
its CPU is the model's).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any

from langchain_core.messages import HumanMessage

import agents.critic_scoring as scoring
from agents.canaries import build_canaries
from agents.usage import metered
from rolegraph.curate.plan import initial_state, plan_sample
from rolegraph.models.specs import build_models, close_models, role_configs
from rolegraph.run.canary import judge_outcome
from rolegraph.run.options import build_context
from rolegraph.scenario.schema import Scenario

VARIANTS = [
    ("legacy", "single", "stated"),
    ("today", "single", "stated"),
    ("today", "single", "geval"),
    ("today", "per_criterion", "stated"),
    ("today", "per_criterion", "geval"),
]


def legacy_messages(state: Any, ctx: Any, **_: Any) -> list[Any]:
    """The prompt as it was: today's context, then the old outline with options in fixed order."""
    from agents.critic_prompt import critic_messages

    system, user = critic_messages(state, ctx)
    head = str(user.content).split("Reply with a JSON object", 1)[0]
    n = max(0, len(state.get("turns") or []) - 1)
    scores = ", ".join(f'"{c.name}": 1|2|3|4|5' for c in ctx.rubric)
    outline = (
        '{"rationale": "...", "scores": {' + scores + '}, "evidence": ["..."], '
        f'"flagged_turns": [indexes from 0 to {n}], "overall": 1|2|3|4|5, '
        '"decision": "accept"|"revise"|"reject"}'
    )
    return [system, HumanMessage(content=head + "Reply as JSON: " + outline)]


async def judge_variant(
    scenario: Scenario, models: dict[str, Any], variant: tuple[str, str, str], warm_up: bool = False
):
    prompt, mode, how = variant
    scenario.critic.mode, scenario.critic.scoring = mode, how  # type: ignore[assignment]
    ctx = build_context(scenario, models)
    state = initial_state(scenario, plan_sample(scenario, 0, scenario.run.seed))
    canaries = build_canaries(
        scenario.all_facts(), state["speakers"], state["personas"], scenario.assistant
    )
    originals = (scoring.critic_messages, scoring.shuffled)
    if prompt == "legacy":  # fixed enum order and the old outline
        scoring.critic_messages = legacy_messages  # type: ignore[assignment]
        scoring.shuffled = lambda values, rng: values  # type: ignore[assignment]
    rows: dict[str, float] = {}
    try:
        cpu, wall = time.process_time(), time.monotonic()
        with metered() as usage:
            for canary in canaries[:1] if warm_up else canaries:  # one at a time, as served
                report = await scoring.model_report({**state, "turns": canary.turns}, ctx)
                total = sum(c.weight for c in scenario.critic.rubric)
                rows[canary.kind] = round(
                    sum(float(report.scores[c.name]) * c.weight for c in scenario.critic.rubric)
                    / total,
                    3,
                )
        cpu, wall = time.process_time() - cpu, time.monotonic() - wall
    finally:
        scoring.critic_messages, scoring.shuffled = originals  # type: ignore[assignment]
    calls = max(1, usage.get("calls", 0))
    status, _ = judge_outcome(rows)
    return rows, status, cpu / calls, wall / calls, calls, usage.get("output_tokens", 0) / calls


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.critic_canaries")
    parser.add_argument("scenario")
    parser.add_argument("--model", default="local")
    parser.add_argument("--base-url")
    parser.add_argument("--variants", help="comma-separated indexes into VARIANTS (default all)")
    args = parser.parse_args(argv)
    scenario = Scenario.from_file(args.scenario)
    models = build_models(role_configs(scenario, ["critic"], args.model, args.base_url), 0)
    chosen = [VARIANTS[int(i)] for i in args.variants.split(",")] if args.variants else VARIANTS
    print(f"scenario {scenario.name}, critic model {args.model}")
    print("| prompt | mode | scoring | faithful | contradiction | negation | persona_break "
          "| check | calls | CPU s/call | wall s/call | output tokens/call |")  # fmt: skip
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    try:
        # one untimed call first: loading the model and evaluating the shared prompt prefix
        # would otherwise be charged to the first variant
        await judge_variant(scenario, models, ("today", "single", "stated"), warm_up=True)
        for variant in chosen:
            rows, status, cpu, wall, calls, out = await judge_variant(scenario, models, variant)
            cells = " | ".join(f"{rows.get(k, float('nan')):.3g}" for k in
                               ("faithful", "contradiction", "negation", "persona_break"))  # fmt: skip
            print(f"| {' | '.join(variant)} | {cells} | {status} | {calls} | {cpu:.1f} | "
                  f"{wall:.1f} | {out:.0f} |", flush=True)  # fmt: skip
    finally:
        await close_models(models)


if __name__ == "__main__":
    asyncio.run(main())
