"""CPU per graph step of each checkpointer, side by side in one process.

    python -m bench.checkpoints [--samples 300] [--concurrency 64] [--steps 8] [--repeat 3]
                                [--latency-ms 50]

Each sample is an 8-step dialogue whose state grows by one turn (a speaker and ~40 words)
a step, driven the way rolegraph's SampleRunner drives it: read the state, run the graph,
read the final state, delete the thread. The nodes do nothing else, so the CPU measured
(all threads, SQLite's included) is LangGraph's plus the checkpointer's.

Twice: with instant nodes, where a whole sample fits between two flushes of the batched
saver (so most of its rows never reach the disk), and with nodes that wait `--latency-ms`
like a model call, where every step of a sample is flushed before its next one.
"""

from __future__ import annotations

import argparse
import asyncio
import operator
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from pathlib import Path
from typing import Annotated, Any, TypedDict

from langgraph.checkpoint.base import BaseCheckpointSaver
from langgraph.checkpoint.memory import InMemorySaver
from langgraph.checkpoint.sqlite.aio import AsyncSqliteSaver
from langgraph.graph import END, START, StateGraph

from rolegraph.run.checkpoints import BatchedSqliteSaver

TEXT = " ".join(
    ("the customer asks again whether the outage will be fixed tonight " * 4).split()[:40]
)


class Dialogue(TypedDict):
    turns: Annotated[list[dict[str, str]], operator.add]
    n: int


def build(saver: BaseCheckpointSaver | None, steps: int, latency: float) -> Any:
    async def speak(state: Dialogue) -> dict[str, Any]:
        if latency:
            await asyncio.sleep(latency)
        n = state["n"]
        turn = {"speaker": ("agent", "customer")[n % 2], "text": f"{n}: {TEXT}"}
        return {"turns": [turn], "n": n + 1}

    builder = StateGraph(Dialogue)
    builder.add_node("speak", speak)
    builder.add_edge(START, "speak")
    builder.add_conditional_edges("speak", lambda s: "speak" if s["n"] < steps else END)
    return builder.compile(checkpointer=saver)


Saver = Callable[[Path], AbstractAsyncContextManager[BaseCheckpointSaver | None]]


@asynccontextmanager
async def no_saver(path: Path) -> AsyncIterator[None]:
    yield None


@asynccontextmanager
async def memory(path: Path) -> AsyncIterator[BaseCheckpointSaver]:
    yield InMemorySaver()


def sqlite(path: Path) -> AbstractAsyncContextManager[BaseCheckpointSaver]:
    return AsyncSqliteSaver.from_conn_string(str(path))


def batched(path: Path) -> AbstractAsyncContextManager[BaseCheckpointSaver]:
    return BatchedSqliteSaver.from_conn_string(str(path))


SAVERS: dict[str, Saver] = {
    "none": no_saver,
    "InMemorySaver": memory,
    "AsyncSqliteSaver": sqlite,
    "BatchedSqliteSaver": batched,
}


async def measure(
    saver_of: Saver,
    path: Path,
    durability: str,
    samples: int,
    concurrency: int,
    steps: int,
    latency: float,
) -> tuple[float, float, int | None]:
    """(CPU ms per step, wall s, flushes) for `samples` samples, close included."""
    gate = asyncio.Semaphore(concurrency)
    cpu, wall = time.process_time(), time.monotonic()
    async with saver_of(path) as saver:
        graph = build(saver, steps, latency)

        async def one(i: int) -> None:
            config: Any = {"configurable": {"thread_id": f"{i:06d}"}}
            async with gate:
                if saver is None:
                    await graph.ainvoke({"turns": [], "n": 0}, config)
                    return
                await graph.aget_state(config)
                await graph.ainvoke({"turns": [], "n": 0}, config, durability=durability)
                assert (await graph.aget_state(config)).values["n"] == steps
                await saver.adelete_thread(config["configurable"]["thread_id"])

        await asyncio.gather(*(one(i) for i in range(samples)))
    cpu_ms = 1000 * (time.process_time() - cpu) / (samples * steps)
    flushes = saver.flushes if isinstance(saver, BatchedSqliteSaver) else None
    return cpu_ms, time.monotonic() - wall, flushes


async def run(samples: int, concurrency: int, steps: int, repeat: int, latency_ms: float) -> None:
    print(
        f"{samples} samples of {steps} steps, {concurrency} at a time; CPU of the whole process"
        f" (SQLite's thread included), the least of {repeat} rounds (other load only adds)\n"
    )
    cases = [
        (latency, name, durability)
        for latency in (0.0, latency_ms / 1000)
        for name in SAVERS
        for durability in (("async",) if name == "none" else ("async", "exit"))
    ]
    runs: dict[tuple[float, str, str], list[tuple[float, float, int | None]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        await measure(batched, Path(tmp) / "warmup.sqlite", "async", 64, concurrency, steps, 0)
        for r in range(repeat):  # round by round, so that load from elsewhere hits every case
            for latency, name, durability in cases:
                path = Path(tmp) / f"{name}-{durability}-{latency}-{r}.sqlite"
                result = await measure(
                    SAVERS[name], path, durability, samples, concurrency, steps, latency
                )
                runs.setdefault((latency, name, durability), []).append(result)
    print(f"{'node':<6} {'checkpointer':<19} {'durability':<10} {'CPU ms/step':>11}", end="")
    print(f" {'+ vs none':>9} {'wall s':>7} {'flushes':>8}")
    baseline = 0.0
    for (latency, name, durability), results in runs.items():
        best = min(results)
        if name == "none":
            baseline = best[0]
        flushes = "" if best[2] is None else str(best[2])
        print(
            f"{f'{latency * 1000:g} ms':<6} {name:<19} {'-' if name == 'none' else durability:<10}"
            f" {best[0]:>11.3f} {best[0] - baseline:>+9.3f} {best[1]:>7.2f} {flushes:>8}"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--samples", type=int, default=300)
    parser.add_argument("--concurrency", type=int, default=64)
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--latency-ms", type=float, default=50, help="of the slow nodes")
    args = parser.parse_args(argv)
    asyncio.run(run(args.samples, args.concurrency, args.steps, args.repeat, args.latency_ms))


if __name__ == "__main__":
    main()
