"""One sample, start to finish: the compiled graph, its checkpoints, and what came out.

`SampleRunner.run(plan)` is everything an executor needs to produce a sample; the local
executor (rolegraph.run.runner) and the Ray executor both call it and differ only in where
it runs and how outcomes travel back to the run store.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from langgraph.types import Command

from agents.context import RunContext
from graphs import GraphSpec, build_sample_graph, recursion_limit
from rolegraph.curate.plan import SamplePlan, initial_state
from rolegraph.models.limits import sample_clock
from rolegraph.outputs.records import failed_record, sample_record
from rolegraph.run.checkpoints import BatchedSqliteSaver
from rolegraph.scenario.schema import Scenario


@dataclass(frozen=True)
class Trace:
    """What names a run in traces (LangSmith and other LangChain tracers).

    The root run of each sample is named after the scenario and tagged with it and the run
    directory; the sample id goes into metadata. `run_id` (kept in the run store) prefixes
    the graph thread id, so threads of different runs never merge.
    """

    scenario: str = ""
    run_dir: str = ""
    run_id: str = ""

    def thread(self, sample_id: str) -> str:
        return f"{self.run_id}-{sample_id}" if self.run_id else sample_id

    def sample_id(self, thread: str) -> str:
        prefix = f"{self.run_id}-"
        return thread[len(prefix) :] if self.run_id and thread.startswith(prefix) else thread


@dataclass(frozen=True)
class Outcome:
    """A finished sample: its status, the record to store, its usage, and a short detail."""

    sample_id: str
    status: str
    record: dict[str, Any]
    usage: dict[str, Any]
    detail: Any = None  # overall score, or the error


class SampleRunner:
    """Runs sample graphs to their end, continuing any sample from its last checkpoint."""

    durability: str = (
        "async"  # LangGraph's: checkpoint every step ("async") or only at the end ("exit")
    )

    def __init__(
        self,
        scenario: Scenario,
        ctx: RunContext,
        spec: GraphSpec,
        saver: BatchedSqliteSaver,
        trace: Trace | None = None,
    ) -> None:
        self.scenario = scenario
        self.trace = trace or Trace(scenario=scenario.name)
        self.ctx = ctx
        self.saver = saver
        self.graph = build_sample_graph(spec).compile(checkpointer=saver)
        self.limit = recursion_limit(
            scenario.dialogue.max_turns, scenario.critic.max_revisions, spec
        )

    def _config(self, sample_id: str) -> Any:
        t = self.trace
        return {
            "configurable": {"thread_id": t.thread(sample_id)},
            "recursion_limit": self.limit,
            "run_name": t.scenario or self.scenario.name,
            "tags": ["rolegraph", f"scenario:{t.scenario or self.scenario.name}"]
            + ([f"run_dir:{t.run_dir}"] if t.run_dir else []),
            "metadata": {
                "sample_id": sample_id,
                "scenario": t.scenario or self.scenario.name,
                **({"run_dir": t.run_dir} if t.run_dir else {}),
                **({"run_id": t.run_id} if t.run_id else {}),
            },
        }

    async def run(self, plan: SamplePlan) -> Outcome:
        """Produce one sample; a failure is an outcome too, never an exception.

        A sample whose verdict falls in the scenario's review band comes back with status
        `review`: its thread is paused at `human_review` and continues with `resume`.
        """
        config = self._config(plan.sample_id)
        snapshot = await self.graph.aget_state(config)
        try:
            if snapshot.interrupts:
                final = snapshot.values  # waiting for a person already
            elif snapshot.values and not snapshot.tasks:  # not `next`: tasks whose writes landed
                final = snapshot.values  # finished in the graph but not recorded before a crash
            else:
                state_in = (
                    None if snapshot.values else initial_state(self.scenario, plan)
                )  # None: continue
                with sample_clock():  # the sample's 429 budget, shared by all its calls
                    final = await self.graph.ainvoke(
                        state_in, config=config, context=self.ctx, durability=self.durability
                    )
        except Exception as exc:  # one bad sample never stops the run; it is recorded instead
            error = f"{type(exc).__name__}: {exc}"
            partial = (await self.graph.aget_state(config)).values
            personas = partial.get("personas") or {
                n: p.model_dump() for n, p in plan.personas.items()
            }
            context = {
                "personas": personas,
                "conditions": plan.conditions,
                "turns": partial.get("turns", []),
            }
            if plan.row is not None:  # which seed record the failed sample was about
                context["seed_record"] = {"row": plan.row, "values": plan.record or {}}
            usage = partial.get("usage") or {}
            return Outcome(
                plan.sample_id,
                "failed",
                failed_record(plan.sample_id, context, error, usage),
                usage,
                error,
            )
        return await self._outcome(plan.sample_id, final)

    async def _outcome(self, sample_id: str, final: dict[str, Any]) -> Outcome:
        status = final.get("status", "failed")
        if (
            status == "running"
            and (await self.graph.aget_state(self._config(sample_id))).interrupts
        ):
            status = "review"
            final = {**final, "status": "review"}
        record = sample_record(final, self.ctx)  # type: ignore[arg-type]
        return Outcome(
            sample_id,
            status,
            record,
            final.get("usage") or {},
            (final.get("verdict") or {}).get("overall"),
        )

    async def waiting(self, sample_id: str) -> dict[str, Any] | None:
        """What a paused sample shows its reviewer (the interrupt's value); None if not paused."""
        snapshot = await self.graph.aget_state(self._config(sample_id))
        return snapshot.interrupts[0].value if snapshot.interrupts else None

    async def resume(self, sample_id: str, decision: dict[str, Any]) -> Outcome:
        """Continue a paused sample with a person's decision (`Command(resume=decision)`)."""
        config = self._config(sample_id)
        with sample_clock():
            final = await self.graph.ainvoke(
                Command(resume=decision), config=config, context=self.ctx
            )
        return await self._outcome(sample_id, final)

    async def forget(self, sample_id: str) -> None:
        """Drop a recorded sample's checkpoints: the run store holds what matters now."""
        await self.saver.adelete_thread(self.trace.thread(sample_id))


def durability(checkpoint: str) -> str:
    """LangGraph durability for a checkpoint policy: every step ("step") or once at the end."""
    return "exit" if checkpoint == "sample" else "async"


@asynccontextmanager
async def sample_runner(
    scenario: Scenario,
    ctx: RunContext,
    spec: GraphSpec,
    checkpoints: Path,
    durability: str = "async",
    trace: Trace | None = None,
) -> AsyncIterator[SampleRunner]:
    """A SampleRunner whose checkpoints live in the SQLite file `checkpoints`.

    Checkpoint writes are batched (rolegraph.run.checkpoints): a hard kill loses at most the
    last few milliseconds of steps, and the runner resumes from the checkpoint before them.
    """
    async with BatchedSqliteSaver.from_conn_string(str(checkpoints)) as saver:
        runner = SampleRunner(scenario, ctx, spec, saver, trace)
        runner.durability = durability
        yield runner


__all__ = ["BaseChatModel", "Outcome", "SampleRunner", "Trace", "sample_runner"]
