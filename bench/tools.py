"""CPU cost of a tool step, side by side in one process.

    python -m bench.tools [--samples 40] [--concurrency 8] [--repeat 3] [--calls 2000]

Two measurements:
1. **Whole runs.** The shipped `airline_rebooking` scenario with the scripted model, once
   with its tools (each dialogue makes 4 calls: 4 tool-node steps plus 4 speaker
   continuations, checkpointed every step) and once with the tools section removed (the
   same 8-turn dialogues, no calls), alternating A/B `--repeat` times. CPU per tool step
   = (CPU with tools - CPU without) / tool calls; the critic's tool checks are included.
2. **One call.** `ToolBox.run` alone for a table lookup, a table search, a table update
   and a Python tool (argument validation with jsonschema, the environment copy, the
   call), and `tool_findings` over a finished 8-turn dialogue with 4 calls.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from rolegraph.run.runner import RunOptions, run_scenario
from rolegraph.scenario.schema import Scenario

AIRLINE = Path(__file__).resolve().parent.parent / "scenarios" / "airline_rebooking.yaml"


def scenarios() -> tuple[Scenario, Scenario]:
    """(with tools, without): the second drops `tools`, `tool_use` and the goal's expect."""
    text = AIRLINE.read_text()
    plain = re.sub(r"^tools:\n(?:  .*\n|\n)*", "", text, flags=re.M)
    plain = re.sub(r"^tool_use:.*\n", "", plain, flags=re.M)
    plain = re.sub(r"^      expect:.*\n", "", plain, flags=re.M)
    plain = plain.replace("      required: true\n", "      success_when: [booking]\n")
    return Scenario.from_text(text, AIRLINE), Scenario.from_text(plain, AIRLINE)


async def one_run(
    scenario: Scenario, samples: int, concurrency: int
) -> tuple[float, float, int, int]:
    """(CPU seconds, wall seconds, tool calls, model calls) of one run."""
    with tempfile.TemporaryDirectory() as tmp:
        cpu, wall = time.process_time(), time.perf_counter()
        summary = await run_scenario(
            scenario,
            RunOptions(
                out=Path(tmp) / "run",
                samples=samples,
                concurrency=concurrency,
                model="scripted",
                quiet=True,
            ),
        )
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
        calls = 0
        for line in (Path(tmp) / "run" / "accepted.jsonl").read_text().splitlines():
            calls += line.count('"tool_call_id"')
        model_calls = sum(int(u.get("calls", 0)) for u in summary.usage.values())
    return cpu, wall, calls, model_calls


async def whole_runs(samples: int, concurrency: int, repeat: int) -> dict[str, Any]:
    tools, plain = scenarios()
    await one_run(plain, 4, concurrency)  # warm imports and caches
    a: list[tuple[float, float, int, int]] = []
    b: list[tuple[float, float, int, int]] = []
    for _ in range(repeat):
        a.append(await one_run(tools, samples, concurrency))
        b.append(await one_run(plain, samples, concurrency))
    cpu_a = statistics.median(x[0] for x in a)
    cpu_b = statistics.median(x[0] for x in b)
    calls = a[0][2]
    return {
        "samples": samples,
        "tool_calls": calls,
        "model_calls_with_tools": a[0][3],
        "model_calls_without": b[0][3],
        "cpu_s_with_tools": round(cpu_a, 3),
        "cpu_s_without": round(cpu_b, 3),
        "cpu_ms_per_model_call_without": round(1000 * cpu_b / b[0][3], 3),
        "cpu_ms_per_tool_step": round(1000 * (cpu_a - cpu_b) / calls, 3) if calls else None,
        "all_runs_cpu_s": {
            "with": [round(x[0], 3) for x in a],
            "without": [round(x[0], 3) for x in b],
        },
    }


async def single_calls(n: int) -> dict[str, float]:
    from agents.tool_checks import tool_findings
    from rolegraph.run.options import build_context
    from tests.conftest import scripted_models

    scenario, _ = scenarios()
    box = scenario.toolbox()
    env = box.new_environment()
    cases = {
        "lookup": {"name": "find_reservation", "arguments": {"reservation_id": "R123"}},
        "search": {
            "name": "search_flights",
            "arguments": {"origin": "ZRH", "destination": "LHR", "date": "2026-12-14"},
        },
        "update": {"name": "rebook", "arguments": {"reservation_id": "R123", "flight": "LX318"}},
    }
    out: dict[str, float] = {}
    for label, call in cases.items():
        start = time.process_time()
        for i in range(n):
            await box.run({"id": str(i), **call}, "agent", env)
        out[f"us_per_{label}"] = round(1e6 * (time.process_time() - start) / n, 1)
    voucher = {
        "name": "issue_voucher",
        "arguments": {"reservation_id": "R123", "reason": "cancellation"},
    }
    start = time.process_time()
    for i in range(n):
        await box.run({"id": str(i), **voucher}, "agent", env)  # a thread per sync call
    out["us_per_python"] = round(1e6 * (time.process_time() - start) / n, 1)
    state: dict[str, Any] = {"turns": [], "personas": {}, "goals": {}, "env": env}
    for k, call in enumerate([*cases.values(), voucher]):
        done, env = await box.run({"id": str(k), **call}, "agent", env)
        state["turns"] += [
            {"speaker": "passenger", "text": "My booking is R123, please help."},
            {
                "speaker": "agent",
                "text": f"Done, step {k}: LX318 leaves at 12:25.",
                "calls": [done],
            },
        ]
    ctx = build_context(scenario, scripted_models())
    start = time.process_time()
    for _ in range(max(1, n // 10)):
        tool_findings(state, ctx)  # type: ignore[arg-type]
    out["us_per_dialogue_check"] = round(1e6 * (time.process_time() - start) / max(1, n // 10), 1)
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.tools", description=__doc__)
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.add_argument("--samples", type=int, default=40)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--calls", type=int, default=2000)
    args = parser.parse_args(argv)
    for part in (
        whole_runs(args.samples, args.concurrency, args.repeat),
        single_calls(args.calls),
    ):
        for key, value in asyncio.run(part).items():
            print(f"{key}: {value}", flush=True)


if __name__ == "__main__":
    main()
