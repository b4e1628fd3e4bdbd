"""What every executor with workers shares: the worker's body, placement and refusals.

The Ray executor (actors) and the process executor (spawned processes) differ only in how
a worker is started and how plans and outcomes travel; the worker itself, the choice of
worker for a sample and what cannot run in a worker are the same and live here.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from contextlib import AsyncExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rolegraph.curate.plan import SamplePlan
from rolegraph.errors import UsageError
from rolegraph.models.limits import share_endpoints
from rolegraph.outputs.records import failed_record
from rolegraph.run.lock import lock_worker_file
from rolegraph.run.sample import Outcome, SampleRunner, Trace, sample_runner
from rolegraph.scenario.schema import Scenario
from rolegraph.scenario.sections import ModelConfig

if TYPE_CHECKING:
    from rolegraph.run.options import RunOptions


def refuse_for_workers(scenario: Scenario, options: RunOptions, executor: str) -> None:
    """What no executor with workers elsewhere can do: ship model objects, reach paused samples."""
    if options.models is not None:
        raise UsageError(
            f"{executor} builds each worker's models from the model specs; "
            "ready-made model objects (RunOptions.models) cannot be sent to workers"
        )
    if scenario.critic.review_band is not None:
        raise UsageError(
            "samples paused for human review (critic.review_band) must stay reachable by "
            "'rolegraph review': run this scenario with the local executor"
        )


def pick_worker(sample_id: str, held: dict[str, int], load: Mapping[int, int]) -> int | None:
    """The worker for a sample: the one holding its checkpoints if alive, else the least busy.

    `held` maps sample ids to workers (an entry is used once); `load` maps each live worker
    to its samples in flight. None when no worker is alive.
    """
    index = held.pop(sample_id, None)
    if index is not None and index in load:
        return index
    return min(load, key=lambda i: (load[i], i)) if load else None


class SampleWorker:
    """A Ray actor's body: its own models, context and checkpoint file; many samples at once."""

    def __init__(
        self,
        scenario: Scenario,
        configs: dict[str, dict[str, Any]],
        seed: int,
        checkpoints: str,
        durability: str = "async",
        trace: dict[str, str] | None = None,
        sharers: int = 1,
    ) -> None:
        share_endpoints(sharers)  # one of `sharers` processes on the same endpoints
        self.trace = Trace(**(trace or {"scenario": scenario.name}))
        self.scenario = scenario
        self.configs = {role: ModelConfig.model_validate(c) for role, c in configs.items()}
        self.seed = seed
        self.checkpoints = Path(checkpoints)
        self.durability = durability  # LangGraph's, as the local executor sets it
        self.runner: SampleRunner | None = None
        self.models: dict[str, Any] = {}
        self.stack = AsyncExitStack()
        self.lock = asyncio.Lock()

    async def _runner(self) -> SampleRunner:
        """Build models and the sample runner, once."""
        async with self.lock:
            if self.runner is None:
                from rolegraph.models.specs import build_models
                from rolegraph.run.options import build_context
                from rolegraph.scenario.wiring import graph_spec_from

                # one writer per checkpoint file: a worker of a dead driver may still be
                # closing it; wait for it rather than write next to it
                self.stack.callback(lock_worker_file(self.checkpoints).release)
                self.models = build_models(self.configs, self.seed)
                ctx = build_context(self.scenario, self.models)
                self.runner = await self.stack.enter_async_context(
                    sample_runner(
                        self.scenario,
                        ctx,
                        graph_spec_from(self.scenario),
                        self.checkpoints,
                        self.durability,
                        self.trace,
                    )
                )
            return self.runner

    async def start(self, digest: str) -> list[str]:
        """Get ready; returns the sample ids this worker holds checkpoints for."""
        if self.scenario.digest() != digest:  # the scenario must arrive exactly as planned
            raise UsageError("the scenario changed on its way to a Ray worker")
        runner = await self._runner()
        held = set()
        async for checkpoint in runner.saver.alist(None):
            held.add(self.trace.sample_id(checkpoint.config["configurable"]["thread_id"]))
        return sorted(held)

    async def run(self, plan: str) -> Outcome:
        return await (await self._runner()).run(SamplePlan.model_validate_json(plan))

    async def forget(self, sample_id: str) -> None:
        await (await self._runner()).forget(sample_id)

    async def stop(self) -> None:
        """Close what this worker holds: HTTP pools, the checkpoint database."""
        from rolegraph.models.specs import close_models

        await close_models(self.models)
        await self.stack.aclose()
        self.runner = None


def failed_outcome(plan: SamplePlan, exc: BaseException) -> Outcome:
    """A failed sample for an error outside the sample's own guard (a worker's bug or crash)."""
    error = f"{type(exc).__name__}: {str(exc).strip().splitlines()[-1]}"
    context = {
        "personas": {n: p.model_dump() for n, p in plan.personas.items()},
        "conditions": plan.conditions,
        "turns": [],
    }
    return Outcome(
        plan.sample_id, "failed", failed_record(plan.sample_id, context, error, {}), {}, error
    )


__all__ = ["SampleWorker", "failed_outcome", "pick_worker", "refuse_for_workers"]
