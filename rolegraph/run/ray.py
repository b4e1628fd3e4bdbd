"""The Ray executor: the same plan, its samples run by Ray actors; the run store stays here.

`rolegraph run SCENARIO --executor ray [--ray-address ADDR]` (extra `ray`). The driver (this
process) keeps everything the local executor does: the run store, the JSONL files, the
manifest, progress, the failure brake and the cost budget. Only where a sample's `Outcome`
is produced changes: `ray_runner` gives the runner an object with the `SampleRunner`
surface (`run(plan)`, `forget(sample_id)`) whose work happens on Ray actors.

- **Workers.** One actor per cluster CPU, at most `--concurrency`; each runs an asyncio loop
  with its share of the samples in flight. Each builds its own models from the model configs
  (plain data, never model objects) with `build_models(configs, seed)`, its own `RunContext`
  and its own `SampleRunner`. Workers read API keys from their own environment (keys are
  never shipped); rolegraph, and any custom role module, must be installed on every node.
  Models passed as objects (`RunOptions.models`) cannot travel, so they are refused. A
  worker that dies (a lost node) is not restarted: its samples in flight start over on the
  others, and when none is left the run stops and `--resume` continues it.
- **Results** stream back as each sample finishes: the driver awaits each sample's object
  reference, records it and only then tells the worker to drop the sample's checkpoints.
- **Checkpoints.** Worker `i` keeps its LangGraph checkpoints in
  `RUN_DIR/checkpoints-ray-<i>.sqlite`, at the run directory's absolute path as seen on the
  worker's node. When the driver and the workers share a filesystem (one machine, or a
  shared mount), a resumed run sends each interrupted sample back to the worker holding its
  checkpoints and it continues from its last completed turn. Otherwise it starts over. Either
  way every sample is recorded exactly once, since the run store on the driver decides.
- **Ray itself.** With `--ray-address` (or `RAY_ADDRESS`), the run joins that cluster; if
  Ray is already initialised in this process it is used as it is; otherwise a local Ray is
  started for the run (no dashboard, usage stats off unless `RAY_USAGE_STATS_ENABLED` says
  otherwise) and shut down at the end.
- **Human review.** Samples paused for a person (`critic.review_band`) would wait in a
  worker's checkpoint file, out of `rolegraph review`'s reach: such scenarios are refused.
- **Stopping.** On Ctrl-C, an early stop or any error, the actors are killed; samples in
  flight are not recorded and run again on `--resume`.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rolegraph.curate.plan import SamplePlan
from rolegraph.errors import RolegraphError, UsageError, missing_extra
from rolegraph.run.sample import Outcome, durability
from rolegraph.run.workers import SampleWorker, failed_outcome, pick_worker, refuse_for_workers
from rolegraph.scenario.schema import Scenario
from rolegraph.scenario.sections import ModelConfig

if TYPE_CHECKING:
    from rolegraph.run.options import RunOptions

CHECKPOINTS = "checkpoints-ray-{}.sqlite"
STOP_TIMEOUT = 10.0  # seconds a worker gets to close its models and checkpoints


def import_ray() -> Any:
    """The `ray` module, or the usage error that names the extra to install."""
    try:
        import ray
    except ImportError:
        raise missing_extra("ray", "ray") from None
    return ray


def check_options(scenario: Scenario, options: RunOptions) -> None:
    """Refuse, before anything is written, what the Ray executor cannot do."""
    import_ray()
    refuse_for_workers(scenario, options, "the Ray executor")


class RayRunner:
    """The `SampleRunner` surface on the driver; the samples run on Ray actors."""

    def __init__(self, ray: Any, actors: list[Any], held: dict[str, Any]) -> None:
        self.ray = ray
        self.actors = actors
        self.load = dict.fromkeys(range(len(actors)), 0)  # samples in flight per actor
        self.held = held  # sample id -> the actor holding its checkpoints
        self.owner: dict[str, Any] = {}  # sample id -> the actor that produced its outcome

    async def run(self, plan: SamplePlan) -> Outcome:
        """Run `plan` on the least busy actor (or the one holding its checkpoints)."""
        last: BaseException | None = None
        while (i := pick_worker(plan.sample_id, self.held, self.load)) is not None:
            self.load[i] += 1
            try:
                outcome = await self.actors[i].run.remote(plan.model_dump_json())
            except self.ray.exceptions.RayActorError as exc:  # the worker died: try another
                self.load.pop(i, None)
                last = exc
                continue
            except self.ray.exceptions.RayTaskError as exc:  # a bug outside the sample's guard
                return failed_outcome(plan, exc)
            finally:
                if i in self.load:
                    self.load[i] -= 1
            self.owner[plan.sample_id] = self.actors[i]
            return outcome
        raise RolegraphError(
            f"every Ray worker died (last: {last}); continue the run with --resume"
        )

    async def forget(self, sample_id: str) -> None:
        actor = self.owner.pop(sample_id, None)
        if actor is not None:
            # a dead worker's leftover checkpoint is harmless: a recorded sample never runs again
            with suppress(self.ray.exceptions.RayActorError):
                await actor.forget.remote(sample_id)


def _connect(ray: Any, address: str | None) -> bool:
    """Initialise Ray for this process; True when this run started it (and must shut it down)."""
    if ray.is_initialized():
        return False
    address = address or os.environ.get("RAY_ADDRESS") or None
    if address:
        try:
            ray.init(address=address, logging_level=logging.WARNING)
        except (ConnectionError, ValueError) as exc:
            raise UsageError(f"cannot connect to the Ray cluster at {address}: {exc}") from None
    else:
        os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")  # a throwaway local cluster
        ray.init(include_dashboard=False, logging_level=logging.WARNING)
    return True


@asynccontextmanager
async def ray_runner(
    scenario: Scenario,
    options: RunOptions,
    configs: dict[str, ModelConfig],
    seed: int,
    out_dir: Path,
    concurrency: int,
    trace: dict[str, str] | None = None,
) -> AsyncIterator[RayRunner]:
    """Start the Ray workers for a run; yields the runner that hands them samples."""
    check_options(scenario, options)
    ray = import_ray()
    started = _connect(ray, options.ray_address)
    actors: list[Any] = []
    ok = False
    try:
        cpus = int(ray.cluster_resources().get("CPU", 1))
        n = max(1, min(concurrency, cpus))
        per_actor = math.ceil(concurrency / n)
        worker = ray.remote(SampleWorker).options(
            num_cpus=1,
            max_concurrency=per_actor + 2,  # + start/forget/stop calls
            max_restarts=0,  # a dead worker's samples go to the others (RayRunner.run)
        )
        payload = {role: c.model_dump(mode="json") for role, c in configs.items()}
        run_dir = out_dir.resolve()
        policy = durability(options.checkpoint)  # LangGraph durability, as for local runs
        actors = [
            worker.remote(
                scenario, payload, seed, str(run_dir / CHECKPOINTS.format(i)), policy, trace, n
            )
            for i in range(n)
        ]
        held: dict[str, int] = {}
        try:
            ready = await asyncio.gather(*(a.start.remote(scenario.digest()) for a in actors))
        except ray.exceptions.RayTaskError as exc:
            cause = exc.cause if isinstance(exc.cause, RolegraphError) else None
            raise (cause or exc) from None
        for i, ids in enumerate(ready):
            held.update(dict.fromkeys(ids, i))
        yield RayRunner(ray, actors, held)
        ok = True
    finally:
        if ok and actors:  # a clean end: let the workers close their clients and checkpoints
            stops = asyncio.gather(*(a.stop.remote() for a in actors), return_exceptions=True)
            # past the timeout they are killed below, losing at most their last batch of
            # checkpoints (25 ms): those samples resume from an earlier step
            with suppress(TimeoutError):
                await asyncio.wait_for(stops, STOP_TIMEOUT)
        await _kill(ray, actors)
        if started:
            ray.shutdown()


async def _kill(ray: Any, actors: list[Any]) -> None:
    """Kill the workers and wait until they are gone.

    A worker still running a sample after the run ended would go on writing its checkpoints,
    under the feet of a resumed run's worker that opens the same file.
    """
    for actor in actors:
        ray.kill(actor, no_restart=True)
    deadline = asyncio.get_running_loop().time() + STOP_TIMEOUT
    for actor in actors:
        while asyncio.get_running_loop().time() < deadline:
            try:
                await asyncio.wait_for(actor.__ray_ready__.remote(), 1.0)
            except ray.exceptions.RayActorError:
                break  # dead
            except TimeoutError:
                pass
            await asyncio.sleep(0.05)


__all__ = ["RayRunner", "check_options", "import_ray", "ray_runner"]
