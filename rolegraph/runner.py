"""The main loop: scenario → plan → one sample graph per sample → files in the run directory.

Samples run concurrently with a bounded number in flight. A sample that fails after its
retries is written to failed.jsonl with the error; the run goes on.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

from langchain_core.language_models import BaseChatModel

from agents.context import RunContext
from agents.state import add_usage
from agents.usage import instrument
from graphs import build_sample_graph, recursion_limit
from rolegraph import __version__
from rolegraph.errors import UsageError
from rolegraph.models import CORE_ROLES, build_models, close_models, describe, role_configs
from rolegraph.plan import SamplePlan, initial_state, plan_sample
from rolegraph.progress import Progress
from rolegraph.records import failed_record, sample_record
from rolegraph.scenario import Scenario


@dataclass
class RunOptions:
    """What the command line can change about a run."""

    out: Path | None = None
    samples: int | None = None
    seed: int | None = None
    concurrency: int | None = None
    model: str | None = None
    base_url: str | None = None
    quiet: bool = False
    models: dict[str, BaseChatModel] | None = None  # ready-made models (tests, embedding apps)


@dataclass
class RunSummary:
    """What a run produced."""

    out_dir: Path
    planned: int
    counts: Counter = field(default_factory=Counter)
    usage: dict[str, Any] = field(default_factory=dict)
    revisions: int = 0
    seconds: float = 0.0

    @property
    def done(self) -> int:
        return sum(self.counts.values())


def build_context(scenario: Scenario, models: dict[str, BaseChatModel]) -> RunContext:
    """The run-wide context the roles see, translated from the scenario."""
    task = scenario.task.description
    for model in {id(m): m for m in models.values()}.values():
        instrument(model)
    return RunContext(
        task=task,
        output_format=scenario.task.format,
        facts=scenario.all_facts(),
        rubric=list(scenario.critic.rubric),
        models=models,
        threshold=scenario.critic.threshold,
        stop_phrases=list(scenario.dialogue.stop_phrases),
        max_words=scenario.dialogue.max_words,
        assistant=scenario.assistant,
        structured_retries=scenario.critic.retries,
        private_facts={s.name: list(s.facts) for s in scenario.speakers if s.facts},
    )


def default_out_dir(scenario: Scenario) -> Path:
    return Path("runs") / f"{scenario.name}-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}"


class RunFiles:
    """The run directory's files, appended to and flushed as each sample finishes."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        out_dir.mkdir(parents=True, exist_ok=True)
        self._files: dict[str, TextIO] = {}

    def append(self, name: str, record: dict[str, Any]) -> None:
        if name not in self._files:
            self._files[name] = (self.out_dir / name).open("a", encoding="utf-8")
        handle = self._files[name]
        handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        handle.flush()

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        tmp = self.out_dir / "manifest.json.tmp"
        tmp.write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        tmp.replace(self.out_dir / "manifest.json")

    def close(self) -> None:
        for handle in self._files.values():
            handle.close()


async def run_scenario(scenario: Scenario, options: RunOptions | None = None) -> RunSummary:
    """Generate the scenario's samples and write them to the run directory."""
    options = options or RunOptions()
    n = options.samples or scenario.run.samples
    seed = scenario.run.seed if options.seed is None else options.seed
    concurrency = options.concurrency or scenario.run.concurrency
    out_dir = options.out or default_out_dir(scenario)
    if out_dir.exists() and any(out_dir.iterdir()):
        raise UsageError(f"{out_dir} already holds files; choose another --out or remove it")
    configs = role_configs(scenario, CORE_ROLES, options.model, options.base_url)
    models = options.models or build_models(configs, seed)
    ctx = build_context(scenario, models)
    graph = build_sample_graph().compile()
    files = RunFiles(out_dir)
    summary = RunSummary(out_dir=out_dir, planned=n)
    started = time.monotonic()
    manifest = {
        "rolegraph_version": __version__,
        "scenario": scenario.name,
        "scenario_file": str(scenario.source) if scenario.source else None,
        "scenario_hash": scenario.digest(),
        "seed": seed,
        "models": describe(configs)
        if options.models is None
        else {r: type(m).__name__ for r, m in models.items()},
        "started_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "status": "running",
    }
    files.write_manifest({**manifest, "counts": {"planned": n}})
    limit = recursion_limit(scenario.dialogue.max_turns, scenario.critic.max_revisions)
    progress = Progress(n, quiet=options.quiet, stream=sys.stderr)

    async def one(plan: SamplePlan) -> None:
        state = initial_state(scenario, plan)
        try:
            final = await graph.ainvoke(state, config={"recursion_limit": limit}, context=ctx)
        except Exception as exc:  # one bad sample never stops the run; it is recorded instead
            error = f"{type(exc).__name__}: {exc}"
            files.append(
                "failed.jsonl",
                failed_record(
                    plan.sample_id,
                    {"personas": state["personas"], "conditions": plan.conditions},
                    error,
                ),
            )
            summary.counts["failed"] += 1
            progress.update(summary, plan.sample_id, "failed", error)
            return
        status = final.get("status", "failed")
        record = sample_record(final, ctx)
        files.append("accepted.jsonl" if status == "accepted" else "rejected.jsonl", record)
        summary.counts[status] += 1
        summary.revisions += final.get("revisions", 0)
        summary.usage = add_usage(summary.usage, final.get("usage"))
        progress.update(
            summary, plan.sample_id, status, (final.get("verdict") or {}).get("overall")
        )

    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in range(n):
        queue.put_nowait(index)

    async def worker() -> None:
        while not queue.empty():
            index = queue.get_nowait()
            await one(plan_sample(scenario, index, seed))

    try:
        with progress:
            await asyncio.gather(*(worker() for _ in range(min(concurrency, n))))
    finally:
        summary.seconds = time.monotonic() - started
        files.write_manifest(
            {
                **manifest,
                "status": "complete" if summary.done == n else "interrupted",
                "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
                "seconds": round(summary.seconds, 2),
                "counts": {
                    "planned": n,
                    **{k: summary.counts.get(k, 0) for k in ("accepted", "rejected", "failed")},
                },
                "revisions": summary.revisions,
                "usage": summary.usage,
                "files": sorted(p.name for p in out_dir.glob("*.jsonl")),
            }
        )
        files.close()
        if options.models is None:  # close only what this run built
            await close_models(models)
    return summary
