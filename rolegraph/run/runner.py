"""The main loop: scenario → plan → one sample graph per sample → run store → files.

Samples run concurrently with a bounded number in flight. Every finished sample is
committed to the run store (SQLite) and then appended to its JSONL file; every graph step
is checkpointed (LangGraph SQLite saver), so a run killed at any moment resumes where it
stopped (`--resume`) without redoing or duplicating a sample. A sample that fails after
its retries is recorded as failed with the error; the run goes on.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
import time
import uuid
from dataclasses import asdict, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel

from agents.state import add_usage
from graphs import GraphSpec
from rolegraph.curate.filters import Filters
from rolegraph.curate.plan import SamplePlan, plan_sample
from rolegraph.curate.planner import CoveragePlanner, initial_plans
from rolegraph.errors import UsageError
from rolegraph.models.specs import (
    CORE_ROLES,
    build_models,
    close_models,
    describe,
    preflight,
    role_configs,
)
from rolegraph.outputs.rundir import LOCK_FILE
from rolegraph.run.canary import check_before_run
from rolegraph.run.checkpoints import CheckpointWriteError
from rolegraph.run.diskfaults import disk_problem
from rolegraph.run.lock import lock_run_dir
from rolegraph.run.options import (
    CHECKPOINTS,
    RunOptions,
    RunSummary,
    build_context,
    default_out_dir,
    model_name,
)
from rolegraph.run.progress import Progress
from rolegraph.run.sample import Trace, durability, sample_runner
from rolegraph.run.store import STATUS_FILES, RunStore, reconcile_files
from rolegraph.scenario.schema import Scenario
from rolegraph.scenario.sections import ModelConfig
from rolegraph.scenario.wiring import graph_spec_from
from rolegraph.version import __version__


def _open_store(
    scenario: Scenario, options: RunOptions, out_dir: Path
) -> tuple[RunStore, int, int]:
    """Open (resume) or create the run store; returns it with the planned count and seed."""
    existing = (out_dir / RunStore.FILE).exists() and _has_plan(out_dir)
    if existing and not options.resume:
        raise UsageError(
            f"{out_dir} already holds a run; add --resume to continue it, or choose another --out"
        )
    if not existing and options.resume and not (out_dir / RunStore.FILE).exists():
        raise UsageError(f"{out_dir} holds no run to resume (no {RunStore.FILE})")
    # a store without a committed plan: the run died while planning, so it starts afresh
    leftovers = {p.name for p in out_dir.iterdir()} - _STORE_FILES if out_dir.exists() else set()
    if not existing and leftovers:
        raise UsageError(f"{out_dir} already holds other files; choose another --out")
    out_dir.mkdir(parents=True, exist_ok=True)
    store = RunStore(out_dir)
    if existing:
        digest = store.meta("scenario_hash")
        if digest != scenario.digest() and not options.force:
            store.close()
            raise UsageError(
                f"the scenario changed since {out_dir} was started; resuming would mix two scenarios "
                "(add --force to resume anyway)"
            )
        planned, seed = int(store.meta("planned") or 0), int(store.meta("seed") or 0)
        if options.samples is not None and options.samples != planned:
            store.close()
            raise UsageError(f"{out_dir} was planned with {planned} samples; resume it without -n")
        _check_seed_capacity(scenario, planned, store)
        return store, planned, seed
    planned = options.samples or scenario.default_samples()
    seed = scenario.run.seed if options.seed is None else options.seed
    _check_seed_capacity(scenario, planned, store)
    store.add_plan(
        initial_plans(scenario, planned, seed),  # coverage planning: rows now, plans when started
        scenario=scenario.name,
        scenario_hash=scenario.digest(),
        seed=str(seed),
        planned=str(planned),
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        run_id=uuid.uuid4().hex[:12],  # prefixes graph thread ids: traces of runs never merge
        **({"lazy_plan": "1"} if scenario.seed is not None else {}),  # rows added as planned
    )
    return store, planned, seed


def _check_seed_capacity(scenario: Scenario, planned: int, store: RunStore) -> None:
    """Refuse more samples than the seed's rows × per_row (unless drawing with replacement)."""
    data = scenario.seed_data()
    if data is None or scenario.seed is None or scenario.seed.sampling == "with_replacement":
        return
    if planned > data.capacity:
        store.close()
        raise UsageError(
            f"{planned} samples, but the seed {scenario.seed.path} gives {len(data)} rows × "
            f"per_row {scenario.seed.per_row} = {data.capacity} (use a smaller -n, a larger "
            "per_row, or sampling: with_replacement)"
        )


# what a run killed before its plan was committed may leave behind; planning starts afresh
_STORE_FILES = {
    RunStore.FILE,
    f"{RunStore.FILE}-wal",
    f"{RunStore.FILE}-shm",
    "checkpoints.sqlite",
    LOCK_FILE,
}


def _leave_no_trace(out_dir: Path) -> None:
    """Remove the lock file (and the folder, if empty) of a run refused before it began."""
    (out_dir / LOCK_FILE).unlink(missing_ok=True)
    if not any(out_dir.iterdir()):
        out_dir.rmdir()


def _has_plan(out_dir: Path) -> bool:
    store = RunStore(out_dir)
    try:
        return store.has_plan()
    finally:
        store.close()


class Plans:
    """Where workers get each sample's plan, and where its result is reported back."""

    def __init__(self, scenario: Scenario, store: RunStore, run_seed: int) -> None:
        self.store = store
        self.scenario, self.run_seed = scenario, run_seed
        spec = scenario.run.planner
        self.planner = (
            CoveragePlanner(scenario, run_seed, spec)
            if spec is not None and spec.strategy == "coverage"
            else None
        )
        if self.planner is not None:  # rebuild the counts from what the run store holds
            for plan_json, status in store.db.execute(
                "SELECT plan, status FROM samples WHERE plan != 'null'"
            ):
                plan = SamplePlan.model_validate_json(plan_json)
                if status in ("accepted", "rejected", "failed"):
                    self.planner.finished(plan, status, was_pending=False)
                else:  # started before an interruption, or waiting for review
                    self.planner.started(plan)

    def take(self, index: int) -> SamplePlan:
        """The sample's plan: the stored one, or (coverage) one chosen now and stored at once."""
        row = self.store.db.execute(
            "SELECT sample_id, plan FROM samples WHERE idx = ?", (index,)
        ).fetchone()
        if row is None:  # a lazy plan (a seed): planned from its record now, stored at once
            plan = (
                self.planner.choose(index)
                if self.planner
                else plan_sample(self.scenario, index, self.run_seed)
            )
            self.store.add_row(plan.sample_id, index, plan.seed, plan.model_dump(mode="json"))
            if self.planner is not None:
                self.planner.started(plan)
            return plan
        if row[1] != "null" or self.planner is None:
            return SamplePlan.model_validate_json(row[1])
        plan = self.planner.choose(index)
        self.store.set_plan(row[0], plan.seed, plan.model_dump(mode="json"))
        self.planner.started(plan)
        return plan

    def done(self, plan: SamplePlan, status: str) -> None:
        if self.planner is not None and status != "review":
            self.planner.finished(plan, status)


async def run_scenario(scenario: Scenario, options: RunOptions | None = None) -> RunSummary:
    """Generate the scenario's samples (or the rest of them, when resuming) into the run directory."""
    options = options or RunOptions()
    if options.retry_failed:  # failed samples are run again: that continues an existing run
        options = replace(options, resume=True)
    out_dir = options.out or default_out_dir(scenario)
    if options.resume and not (out_dir / RunStore.FILE).exists():
        raise UsageError(f"{out_dir} holds no run to resume (no {RunStore.FILE})")
    spec = graph_spec_from(scenario)
    extra_roles = [r for r in (*(n.role for n in spec.nodes), spec.turns) if r and ":" not in r]
    extra_roles += ["tools"] if scenario.tools and "tools" in scenario.models else []  # simulated
    configs = role_configs(
        scenario,
        list(dict.fromkeys([*CORE_ROLES, *extra_roles])),
        options.model,
        options.base_url,
        options.api_key_env,
    )
    if options.executor == "ray":  # executor: a missing `ray` extra is reported before anything
        from rolegraph.run.ray import check_options

        check_options(scenario, options)
    if options.executor == "processes":
        from rolegraph.run.processes import check_options as check_processes

        check_processes(scenario, options)
    # models first: a missing key or package is reported before anything is written
    models = options.models or build_models(
        configs, scenario.run.seed if options.seed is None else options.seed
    )
    resume = f"rolegraph run {scenario.source or 'SCENARIO'} --out {out_dir} --resume"
    fresh = not out_dir.exists() or not (out_dir / LOCK_FILE).exists()
    try:
        await preflight(models)  # a dead endpoint fails the run now, in seconds, not per sample
        lock = lock_run_dir(out_dir, "rolegraph run")  # before anything is read or written
        try:
            try:
                store, planned, seed = _open_store(scenario, options, out_dir)
            except UsageError:
                if fresh and not (out_dir / RunStore.FILE).exists():
                    _leave_no_trace(out_dir)  # refused a folder that is not a run: as it was
                raise
            try:
                if options.retry_failed:
                    store.retry_failed()  # their failures stay in the store's history
                reconcile_files(store)  # failed.jsonl then holds only what is failed now
                return await _run(
                    scenario, options, out_dir, store, planned, seed, configs, models, spec
                )
            finally:
                store.close()
        finally:
            lock.release()
    except (OSError, sqlite3.DatabaseError, CheckpointWriteError) as exc:
        problem = disk_problem(exc, out_dir, resume)
        if problem is None:
            raise
        raise problem from None
    finally:
        if options.models is None:  # close only what this run built
            await close_models(models)


async def _run(
    scenario: Scenario,
    options: RunOptions,
    out_dir: Path,
    store: RunStore,
    planned: int,
    seed: int,
    configs: dict[str, ModelConfig],
    models: dict[str, BaseChatModel],
    spec: GraphSpec,
) -> RunSummary:
    ctx = build_context(scenario, models)
    # -- critic sanity check: can the critic model tell canaries apart? (rolegraph/run/canary.py)
    critic_check = await check_before_run(
        scenario,
        models,
        options.critic_check,
        seed=seed,
        model_label=model_name(configs["critic"], models.get("critic"), options.models is not None),
    )
    if critic_check.warns or not options.quiet:
        print(critic_check.line(), file=sys.stderr, flush=True)
    # -- end critic check --
    concurrency = options.concurrency or scenario.run.concurrency
    summary = RunSummary(out_dir=out_dir, planned=planned)
    totals = store.totals()
    summary.counts.update({k: v for k, v in store.counts().items() if k != "planned"})
    summary.usage, summary.revisions, summary.cost = (
        totals["usage"],
        totals["revisions"],
        totals["cost_usd"],
    )
    model_names = {
        role: model_name(c, models.get(role), options.models is not None)
        for role, c in configs.items()
    }
    manifest = {
        "rolegraph_version": __version__,
        "scenario": scenario.name,
        "scenario_file": str(scenario.source) if scenario.source else None,
        "scenario_hash": store.meta("scenario_hash"),
        "seed": seed,
        "models": describe(configs, models if options.models is not None else None),
        "started_at": store.meta("started_at"),
        "store": RunStore.FILE,
        "critic_check": critic_check.as_manifest(),
    }
    trace = Trace(scenario=scenario.name, run_dir=str(out_dir), run_id=store.meta("run_id") or "")
    pending = store.pending()  # a generator: a lazy plan of a million samples is never a list
    n_pending = store.pending_count()
    filters = Filters(scenario)  # near-duplicates are judged against everything accepted so far
    filters.rebuild(store.finished_records("accepted"))
    plans = Plans(scenario, store, seed)  # stored plans, or coverage-steered ones chosen on pickup
    in_flight = {"n": 0}
    progress = Progress(
        planned,
        quiet=options.quiet,
        stream=sys.stderr,
        already=summary.done,
        in_flight=lambda: in_flight["n"],
        activity=options.executor == "local",  # workers' counters live in their processes
        summary=summary,
    )
    handles = {
        status: (out_dir / name).open("a", encoding="utf-8")
        for status, name in STATUS_FILES.items()
    }
    started = time.monotonic()
    retried = store.with_history()  # samples run again: their records carry the earlier failures
    streak = {"failed": 0}

    def write_manifest(status: str) -> None:
        totals = store.totals()
        body = {
            **manifest,
            "status": status,
            "updated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "seconds": round(time.monotonic() - started, 2),  # this session's; see updated_at
            **(
                {"finished_at": datetime.now(UTC).isoformat(timespec="seconds")}
                if status == "complete"
                else {}
            ),
            "counts": store.counts(),
            "revisions": totals["revisions"],
            "usage": totals["usage"],
            "usage_by_model": totals["usage_by_model"],
            "cost_usd": totals["cost_usd"],
            **({"stopped": summary.stopped} if summary.stopped else {}),
            **({"retried": len(retried)} if retried else {}),  # samples run again, ever
        }
        tmp = out_dir / "manifest.json.tmp"
        tmp.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        tmp.replace(out_dir / "manifest.json")
        written["at"] = time.monotonic()

    written = {"at": 0.0}

    def record(sample_id: str, status: str, rec: dict[str, Any], usage: dict[str, Any]) -> None:
        rows = [
            (role, model_names.get(role, "?"), u, configs.get(role, configs["default"]).cost(u))
            for role, u in usage.items()
        ]
        if sample_id in retried:
            rec = {**rec, "history": store.history(sample_id)}
        store.finish(sample_id, status, rec, rows)  # commit first: the store is the source of truth
        if status in handles:  # a sample waiting for review reaches its file once decided
            handles[status].write(json.dumps(rec, ensure_ascii=False) + "\n")
            handles[status].flush()
        summary.counts[status] += 1
        summary.usage = add_usage(summary.usage, usage)
        summary.revisions += rec.get("revisions", 0)
        summary.cost += sum(r[3] for r in rows)
        if (rec.get("verdict") or {}).get("overall") is not None:
            summary.score_sum += rec["verdict"]["overall"]
            summary.scored += 1

    # -- executor: where outcomes are produced; the bookkeeping below is the same for both --
    if options.executor == "ray":
        from rolegraph.run.ray import ray_runner

        model_seed = scenario.run.seed if options.seed is None else options.seed  # as above
        executor = ray_runner(
            scenario, options, configs, model_seed, out_dir, concurrency, asdict(trace)
        )
    elif options.executor == "processes":
        from rolegraph.run.processes import process_runner

        model_seed = scenario.run.seed if options.seed is None else options.seed  # as above
        executor = process_runner(
            scenario, options, configs, model_seed, out_dir, concurrency, asdict(trace)
        )
    elif options.executor == "local":
        executor = sample_runner(
            scenario, ctx, spec, out_dir / CHECKPOINTS, durability(options.checkpoint), trace
        )
    else:
        raise UsageError(f"unknown executor '{options.executor}' (known: local, processes, ray)")
    # -- end executor --
    async with executor as runner:

        async def one(plan: SamplePlan) -> None:
            outcome = await runner.run(plan)
            # filters at acceptance time; no await between check and record keeps the index exact
            status, rec = filters.apply(outcome.sample_id, outcome.status, outcome.record)
            record(outcome.sample_id, status, rec, outcome.usage)
            streak["failed"] = streak["failed"] + 1 if status == "failed" else 0
            progress.update(summary, outcome.sample_id, status, outcome.detail)
            plans.done(plan, status)
            if time.monotonic() - written["at"] >= 1.0:  # readers see progress, at most 1/s
                write_manifest("running")
            if status != "review":  # a paused sample's checkpoints are its place in the queue
                await runner.forget(outcome.sample_id)

        def should_stop() -> str | None:
            if options.max_failures and streak["failed"] >= options.max_failures:
                return (
                    f"{streak['failed']} samples in a row failed (last error in failed.jsonl); "
                    "stopping early. Fix the cause and continue with --resume --retry-failed"
                )
            if options.max_cost is not None and summary.done:
                per_sample = summary.cost / max(1, summary.done)
                if summary.cost + per_sample * (in_flight["n"] + 1) > options.max_cost:
                    return f"the cost budget of ${options.max_cost:.2f} would be passed; stopping (continue with --resume)"
            return None

        async def worker() -> None:
            while True:
                if reason := should_stop():
                    summary.stopped = summary.stopped or reason
                    return
                index = next(pending, None)
                if index is None:
                    return
                plan = plans.take(index)  # planned now when the planner steers by results
                in_flight["n"] += 1
                try:
                    await one(plan)
                finally:
                    in_flight["n"] -= 1

        write_manifest("running")
        try:
            with progress:
                await asyncio.gather(
                    *(worker() for _ in range(max(1, min(concurrency, n_pending))))
                )
        finally:
            summary.seconds = time.monotonic() - started
            for handle in handles.values():
                handle.close()
            counts = store.counts()
            finished = sum(counts[k] for k in STATUS_FILES)
            review = counts.get("review", 0)
            waiting = review > 0 and counts["planned"] == finished + review  # only people left
            write_manifest(
                "complete"
                if counts["planned"] == finished
                else "awaiting_review"
                if waiting
                else "stopped"
                if summary.stopped
                else "interrupted"
            )
    return summary
