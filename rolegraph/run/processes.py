"""The process executor: the plan's samples run in worker processes on this machine.

`rolegraph run SCENARIO --executor processes [--workers N]`. One process can only use one
core, and with many samples in flight the CPU of the graphs, not the endpoint, becomes the
limit (bench/RESULTS.md). This executor spreads samples over N worker processes (default:
one per core) without a cluster framework: each worker is a spawned Python process with its
own event loop, models, `RunContext` and `SampleRunner` (the same `SampleWorker` body the
Ray executor uses, from rolegraph.run.workers), fed plans and returning outcomes over a pipe. The driver (this process)
keeps everything the local executor does: the run store, the files, progress, the brakes.

- **Checkpoints.** Worker `i` keeps its checkpoints in `RUN_DIR/checkpoints-worker-<i>.sqlite`;
  a resumed run sends each interrupted sample back to the worker that holds its checkpoints,
  where it continues from its last completed step.
- **Failures.** A worker that dies is not restarted: its samples in flight start over on the
  others, and when none is left the run stops (`--resume` continues it). Workers ignore
  Ctrl-C; the driver stops them, and they exit on their own if the driver disappears.
- **Limits.** Ready-made model objects cannot travel to workers, and samples paused for
  human review (`critic.review_band`) would sit in a worker's checkpoint file where
  `rolegraph review` cannot reach them: both are refused before anything is written.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rolegraph.curate.plan import SamplePlan
from rolegraph.errors import RolegraphError, UsageError
from rolegraph.run.sample import Outcome, durability
from rolegraph.run.workers import SampleWorker, failed_outcome, pick_worker, refuse_for_workers
from rolegraph.scenario.schema import Scenario
from rolegraph.scenario.sections import ModelConfig

if TYPE_CHECKING:
    from rolegraph.run.options import RunOptions

CHECKPOINTS = "checkpoints-worker-{}.sqlite"
STOP_TIMEOUT = 10.0  # seconds a worker gets to close its models and checkpoints
START_TIMEOUT = 120.0  # seconds a worker gets to import rolegraph and open its checkpoints


class WorkerDied(RolegraphError):
    """A worker process ended while samples were in flight on it."""


def check_options(scenario: Scenario, options: RunOptions) -> None:
    """Refuse, before anything is written, what the process executor cannot do."""
    refuse_for_workers(scenario, options, "the process executor")
    if options.workers is not None and options.workers < 1:
        raise UsageError(f"--workers must be at least 1 (got {options.workers})")


def default_workers(concurrency: int) -> int:
    """One worker per core (measured: more only adds contention for the same cores), but
    none with fewer than 8 samples in flight, where a worker no longer pays its start-up."""
    return max(1, min(os.cpu_count() or 1, concurrency // 8))


# -- the worker process -------------------------------------------------------------------


def _worker_main(conn: Connection, args: dict[str, Any]) -> None:
    """Entry point of a worker process: serve the driver until told to stop or it goes away."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the driver's to handle
    asyncio.run(_serve(conn, args))


async def _serve(conn: Connection, args: dict[str, Any]) -> None:
    worker = SampleWorker(
        args["scenario"],
        args["configs"],
        args["seed"],
        args["checkpoints"],
        args["durability"],
        args.get("trace"),
        args.get("sharers", 1),
    )
    loop = asyncio.get_running_loop()
    inbox: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()

    def receive() -> None:
        try:
            inbox.put_nowait(conn.recv())
        except (EOFError, OSError):  # the driver is gone: stop
            loop.remove_reader(conn.fileno())
            inbox.put_nowait(("stop", False))

    loop.add_reader(conn.fileno(), receive)
    running: set[asyncio.Task[None]] = set()

    async def run(sample_id: str, plan: str) -> None:
        try:
            outcome: Any = await worker.run(plan)
        except Exception as exc:  # outside the sample's own guard: report, don't die
            outcome = f"{type(exc).__name__}: {exc}"
        with suppress(OSError):
            conn.send(("outcome", sample_id, outcome))

    try:
        while True:
            message = await inbox.get()
            kind = message[0]
            if kind == "start":
                try:
                    held = await worker.start(message[1])
                except Exception as exc:
                    conn.send(("refused", exc if isinstance(exc, RolegraphError) else repr(exc)))
                    return
                conn.send(("ready", held))
            elif kind == "run":
                task = asyncio.create_task(run(message[1], message[2]))
                running.add(task)
                task.add_done_callback(running.discard)
            elif kind == "forget":
                await worker.forget(message[1])
            elif kind == "stop":
                for task in running:
                    task.cancel()
                await asyncio.gather(*running, return_exceptions=True)
                await worker.stop()
                if message[1]:
                    conn.send(("stopped",))
                return
    finally:
        with suppress(ValueError, OSError):
            loop.remove_reader(conn.fileno())


# -- the driver side ----------------------------------------------------------------------


class _Worker:
    """The driver's handle on one worker process."""

    def __init__(self, index: int, process: Any, conn: Connection) -> None:
        self.index = index
        self.process = process
        self.conn = conn
        self.alive = True
        self.waiting: dict[str, asyncio.Future[Any]] = {}  # sample id -> its outcome
        self.control: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()  # ready / stopped

    def send(self, *message: Any) -> None:
        try:
            self.conn.send(message)
        except OSError:  # a dead worker: its reader reports it
            self.alive = False

    def on_readable(self) -> None:
        try:
            message = self.conn.recv()
        except (EOFError, OSError):
            self._died()
            return
        if message[0] == "outcome":
            future = self.waiting.pop(message[1], None)
            if future is not None and not future.done():
                future.set_result(message[2])
        else:
            self.control.put_nowait(message)

    def _died(self) -> None:
        self.alive = False
        with suppress(ValueError, OSError):
            asyncio.get_running_loop().remove_reader(self.conn.fileno())
        error = WorkerDied(f"worker {self.index} (pid {self.process.pid}) ended")
        for future in self.waiting.values():
            if not future.done():
                future.set_exception(error)
        self.waiting.clear()
        self.control.put_nowait(("died",))


class ProcessRunner:
    """The `SampleRunner` surface on the driver; the samples run in the worker processes."""

    def __init__(self, workers: list[_Worker], held: dict[str, int]) -> None:
        self.workers = workers
        self.held = held  # sample id -> the worker holding its checkpoints
        self.owner: dict[str, _Worker] = {}  # sample id -> the worker that produced it

    def _pick(self, sample_id: str) -> _Worker | None:
        load = {w.index: len(w.waiting) for w in self.workers if w.alive}
        index = pick_worker(sample_id, self.held, load)
        return None if index is None else self.workers[index]

    async def run(self, plan: SamplePlan) -> Outcome:
        """Run `plan` on the least busy worker (or the one holding its checkpoints)."""
        last: BaseException | None = None
        while (worker := self._pick(plan.sample_id)) is not None:
            future = asyncio.get_running_loop().create_future()
            worker.waiting[plan.sample_id] = future
            worker.send("run", plan.sample_id, plan.model_dump_json())
            try:
                outcome = await future
            except WorkerDied as exc:
                last = exc
                continue
            finally:
                worker.waiting.pop(plan.sample_id, None)
            if isinstance(outcome, str):  # an error outside the sample's guard
                return failed_outcome(plan, RolegraphError(outcome))
            self.owner[plan.sample_id] = worker
            return outcome  # type: ignore[no-any-return]
        raise RolegraphError(
            f"every worker process died (last: {last}); continue the run with --resume"
        )

    async def forget(self, sample_id: str) -> None:
        worker = self.owner.pop(sample_id, None)
        if worker is not None and worker.alive:
            worker.send("forget", sample_id)


@asynccontextmanager
async def process_runner(
    scenario: Scenario,
    options: RunOptions,
    configs: dict[str, ModelConfig],
    seed: int,
    out_dir: Path,
    concurrency: int,
    trace: dict[str, str] | None = None,
) -> AsyncIterator[ProcessRunner]:
    """Start the worker processes for a run; yields the runner that hands them samples."""
    check_options(scenario, options)
    n = options.workers or default_workers(concurrency)
    context = multiprocessing.get_context("spawn")  # never fork a process with threads
    loop = asyncio.get_running_loop()
    payload = {role: c.model_dump(mode="json") for role, c in configs.items()}
    run_dir = out_dir.resolve()
    workers: list[_Worker] = []
    ok = False
    try:
        for i in range(n):
            ours, theirs = context.Pipe()
            process = context.Process(
                target=_worker_main,
                args=(
                    theirs,
                    {
                        "scenario": scenario,
                        "configs": payload,
                        "seed": seed,
                        "checkpoints": str(run_dir / CHECKPOINTS.format(i)),
                        "durability": durability(options.checkpoint),
                        "trace": trace,
                        "sharers": n,
                    },
                ),
                name=f"rolegraph-worker-{i}",
                daemon=True,
            )
            process.start()
            theirs.close()
            worker = _Worker(i, process, ours)
            loop.add_reader(ours.fileno(), worker.on_readable)
            workers.append(worker)
        held: dict[str, int] = {}
        for worker in workers:
            worker.send("start", scenario.digest())
        for worker in workers:
            answer = await asyncio.wait_for(worker.control.get(), START_TIMEOUT)
            if answer[0] == "refused":
                raise (
                    answer[1]
                    if isinstance(answer[1], RolegraphError)
                    else RolegraphError(f"worker {worker.index} could not start: {answer[1]}")
                )
            if answer[0] != "ready":
                raise RolegraphError(f"worker {worker.index} ended while starting")
            held.update(dict.fromkeys(answer[1], worker.index))
        yield ProcessRunner(workers, held)
        ok = True
    finally:
        await _stop(workers, graceful=ok)


async def _stop(workers: list[_Worker], graceful: bool) -> None:
    """Stop the workers: let them close their clients and checkpoints, then make sure."""
    for worker in workers:
        if worker.alive:
            worker.send("stop", True)

    async def stopped(worker: _Worker) -> None:
        while worker.alive:
            if (await worker.control.get())[0] in ("stopped", "died"):
                return

    with suppress(TimeoutError):
        await asyncio.wait_for(
            asyncio.gather(*(stopped(w) for w in workers)), STOP_TIMEOUT if graceful else 2.0
        )
    for worker in workers:
        with suppress(ValueError, OSError):
            asyncio.get_running_loop().remove_reader(worker.conn.fileno())
        worker.process.join(timeout=1.0)
        if worker.process.is_alive():
            worker.process.terminate()
            worker.process.join(timeout=5.0)
        worker.conn.close()


__all__ = ["ProcessRunner", "check_options", "process_runner"]
