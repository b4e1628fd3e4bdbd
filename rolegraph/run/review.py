"""Human review of borderline samples: `rolegraph review RUN_DIR`.

A scenario with `critic.review_band: [low, high]` sends every verdict whose overall score
falls in the band to the graph's `human_review` node, which calls LangGraph's `interrupt()`.
The run records such a sample with status `review` (not final: manifest counts show how
many wait, and the manifest status is `awaiting_review`) and keeps its checkpoints. This
command resumes each paused thread with `Command(resume=decision)` on the same checkpointer,
so a waiting sample is just a paused graph: after the decision it runs on (through any gates
after the critic) to `accept` or `reject`, the filters see an accepted one, and the result is
committed to the run store and appended to `accepted.jsonl` / `rejected.jsonl` with a
`review` field (decision, the model's decision, edits with old and new text, note), so
exports carry the person's decision.

A decision is `{"action": "accept" | "reject", "edits": {turn: text}, "note": str}`; in the
terminal: `a` accept, `r` reject, `e` edit a turn (then decide), `s` skip (keeps waiting),
`q` quit. A person's accept overrides the critic, deterministic checks included.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from langchain_core.language_models import BaseChatModel
from rich.console import Console
from rich.panel import Panel
from rich.prompt import IntPrompt, Prompt
from rich.table import Table
from rich.text import Text

from rolegraph.curate.filters import Filters
from rolegraph.errors import UsageError
from rolegraph.models.specs import CORE_ROLES, build_models, close_models, role_configs
from rolegraph.run.lock import lock_run_dir
from rolegraph.run.options import CHECKPOINTS, build_context, model_name
from rolegraph.run.sample import Trace, sample_runner
from rolegraph.run.store import STATUS_FILES, RunStore, reconcile_files
from rolegraph.scenario.schema import Scenario
from rolegraph.scenario.wiring import graph_spec_from

Decision = dict[str, Any]
Decide = Callable[[dict[str, Any]], Decision | Awaitable[Decision | None] | None]


class Quit(Exception):
    """The reviewer stops; samples not decided yet keep waiting."""


def show(payload: dict[str, Any], console: Console, position: str = "") -> None:
    """The dialogue, the verdict and its evidence, as a reviewer needs them."""
    personas = payload.get("personas") or {}
    conditions = ", ".join(f"{k}: {v}" for k, v in (payload.get("conditions") or {}).items())
    title = f"sample {payload.get('sample_id')} {position}".strip()
    lines = Text()
    for i, turn in enumerate(payload.get("turns") or []):
        who = personas.get(turn["speaker"], {}).get("name", turn["speaker"])
        lines.append(f"[{i}] {turn['speaker']} ({who}): ", style="bold")
        lines.append(f"{turn['text']}\n")
    # everything here is model output or user data: Text, never rich markup
    console.print(
        Panel(lines, title=Text(title), subtitle=Text(conditions) if conditions else None)
    )
    verdict = payload.get("verdict") or {}
    table = Table(show_header=False, box=None)

    def row(label: str, value: str) -> None:
        table.add_row(label, Text(value))

    row("overall", f"{verdict.get('overall')} (model decision: {verdict.get('decision')})")
    row("scores", ", ".join(f"{k} {v}" for k, v in (verdict.get("scores") or {}).items()))
    row("rationale", str(verdict.get("rationale", "")))
    for quote in verdict.get("evidence") or []:
        row("evidence", f"“{quote}”")
    for check in verdict.get("checks") or []:
        row("check", f"turn {check.get('turn')}: {check.get('message')}")
    if verdict.get("flagged_turns"):
        row("flagged turns", ", ".join(str(t) for t in verdict["flagged_turns"]))
    console.print(table)


def terminal_decider(console: Console | None = None) -> Decide:
    """Ask a person in the terminal (rich prompts; reads stdin, so it can be piped)."""
    console = console or Console(highlight=False)
    count = {"n": 0}

    def decide(payload: dict[str, Any]) -> Decision | None:
        count["n"] += 1
        show(payload, console, f"({count['n']})")
        turns = [dict(t) for t in payload.get("turns") or []]
        edits: dict[int, str] = {}
        while True:
            choice = Prompt.ask(
                "[a]ccept, [r]eject, [e]dit a turn, [s]kip, [q]uit",
                choices=["a", "r", "e", "s", "q"],
                console=console,
            )
            if choice == "q":
                raise Quit
            if choice == "s":
                return None
            if choice == "e":
                index = IntPrompt.ask("turn", console=console)
                if not 0 <= index < len(turns):
                    console.print(f"[red]no turn {index}[/] (0-{len(turns) - 1})")
                    continue
                console.print(f"now: {turns[index]['text']}", markup=False)
                edits[index] = Prompt.ask("new text", console=console)
                turns[index]["text"] = edits[index]
                continue
            note = Prompt.ask("note (optional)", default="", console=console)
            return {"action": "accept" if choice == "a" else "reject", "edits": edits, "note": note}

    return decide


async def review_run(
    run_dir: Path,
    decide: Decide,
    *,
    scenario: Scenario | None = None,
    models: dict[str, BaseChatModel] | None = None,
    model: str | None = None,
    base_url: str | None = None,
    force: bool = False,
) -> Counter[str]:
    """Resume every sample of `run_dir` waiting for review with `decide(payload)`'s decision.

    Returns how many samples were accepted, rejected, failed or skipped.
    """
    if not (run_dir / RunStore.FILE).exists():
        raise UsageError(f"{run_dir}: not a rolegraph run directory (no {RunStore.FILE})")
    with lock_run_dir(run_dir, "rolegraph review"):  # one writer: never next to a running run
        return await _review(run_dir, decide, scenario, models, model, base_url, force)


async def _review(
    run_dir: Path,
    decide: Decide,
    scenario: Scenario | None,
    models: dict[str, BaseChatModel] | None,
    model: str | None,
    base_url: str | None,
    force: bool,
) -> Counter[str]:
    store = RunStore(run_dir)
    try:
        if scenario is None:
            scenario = _scenario_of(run_dir)
        if store.meta("scenario_hash") != scenario.digest() and not force:
            raise UsageError(
                f"the scenario changed since {run_dir} was run; reviewing would resume its samples "
                "in a different graph (add --force to review anyway)"
            )
        waiting = store.waiting_for_review()
        done: Counter[str] = Counter()
        if not waiting:
            return done
        spec = graph_spec_from(scenario)
        extra = [r for r in (*(n.role for n in spec.nodes), spec.turns) if r and ":" not in r]
        configs = role_configs(
            scenario, list(dict.fromkeys([*CORE_ROLES, *extra])), model, base_url
        )
        # models are only called again by gates after the critic; build them only if there are any
        own = models is None and bool(spec.nodes)
        built = (
            models
            if models is not None
            else (build_models(configs, scenario.run.seed) if own else {})
        )
        filters = Filters(scenario)
        filters.rebuild(store.finished_records("accepted"))
        try:
            ctx = build_context(scenario, built)
            trace = Trace(scenario.name, str(run_dir), store.meta("run_id") or "")
            async with sample_runner(
                scenario, ctx, spec, run_dir / CHECKPOINTS, trace=trace
            ) as runner:
                for sample_id in waiting:
                    payload = await runner.waiting(sample_id)
                    if payload is None:  # checkpoints lost: it cannot be resumed, only redone
                        raise UsageError(
                            f"sample {sample_id} waits for review but its checkpoint is missing "
                            f"from {run_dir / CHECKPOINTS}"
                        )
                    try:
                        decision = decide(payload)
                        if isinstance(decision, Awaitable):
                            decision = await decision
                    except Quit:
                        break
                    if decision is None:
                        done["skipped"] += 1
                        continue
                    check_decision(payload, decision)  # before resuming: a resume is kept
                    decision = {**decision, "decided_at": _now()}
                    outcome = await runner.resume(sample_id, decision)
                    status, record = filters.apply(sample_id, outcome.status, outcome.record)
                    rows = [
                        (
                            role,
                            model_name(config, built.get(role), models is not None),
                            u,
                            config.cost(u),
                        )
                        for role, u in outcome.usage.items()
                        for config in [configs.get(role, configs["default"])]
                    ]
                    store.finish(sample_id, status, record, rows)
                    reconcile_files(store)  # appends the newly decided sample to its file
                    if status != "review":
                        await runner.forget(sample_id)
                    done[status] += 1
        finally:
            if own:
                await close_models(built)
        _update_manifest(run_dir, store)
        return done
    finally:
        store.close()


def check_decision(payload: dict[str, Any], decision: Decision) -> None:
    """Refuse a decision the graph would refuse (LangGraph keeps a resume value once sent)."""
    if decision.get("action") not in ("accept", "reject"):
        raise UsageError(
            f"a review decision is 'accept' or 'reject', not {decision.get('action')!r}"
        )
    count = len(payload.get("turns") or [])
    for key in decision.get("edits") or {}:
        if not 0 <= int(key) < count:
            raise UsageError(
                f"sample {payload.get('sample_id')}: no turn {key} to edit (turns 0-{count - 1})"
            )


def _scenario_of(run_dir: Path) -> Scenario:
    manifest = run_dir / "manifest.json"
    try:
        source = json.loads(manifest.read_text(encoding="utf-8")).get("scenario_file")
    except (OSError, json.JSONDecodeError):
        source = None
    if not source or not Path(source).exists():
        raise UsageError(f"cannot find the scenario of {run_dir}; give it with --scenario FILE")
    return Scenario.from_file(source)


def _update_manifest(run_dir: Path, store: RunStore) -> None:
    file = run_dir / "manifest.json"
    body = json.loads(file.read_text(encoding="utf-8")) if file.exists() else {}
    counts = store.counts()
    finished = sum(counts[k] for k in STATUS_FILES)
    body["counts"] = counts
    totals = store.totals()
    body.update(
        revisions=totals["revisions"],
        usage=totals["usage"],
        usage_by_model=totals["usage_by_model"],
        cost_usd=totals["cost_usd"],
        updated_at=_now(),
    )
    if body.get("status") in ("awaiting_review", "complete", None):
        body["status"] = "complete" if finished == counts["planned"] else "awaiting_review"
    tmp = run_dir / "manifest.json.tmp"
    tmp.write_text(json.dumps(body, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    tmp.replace(file)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")
