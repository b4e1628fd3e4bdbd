"""`rolegraph judge`: the gate over dialogues that already exist, measured when labelled.

Each row of a JSONL file is a dialogue: `turns` ([{speaker, text}]) or `messages` (OpenAI
chat format; speakers from `name`, else the scenario's assistant / other speaker), with
optional `facts` (they replace the scenario's for that row), `personas` (speaker → persona;
missing speakers get the scenario's), `conditions`, `label` (faithful / unfaithful, or
accept / reject), `kind` and `id`; other fields are kept in the record as `meta`. Every row
goes through the review part of the scenario's graph (checkers, critic, gates; nothing is
generated or revised) and lands in a run directory like `rolegraph run`'s: `accepted.jsonl`,
`rejected.jsonl`, `failed.jsonl` with verdicts, `manifest.json`, the run store (`--resume`
continues an interrupted judge), and, with labels, `judge.json` with the confusion matrix.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
import uuid
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from agents.state import SampleState, add_usage
from graphs.review import build_review_graph
from personas import Persona
from rolegraph.curate.plan import plan_sample
from rolegraph.errors import UsageError
from rolegraph.models.specs import CORE_ROLES, build_models, close_models, describe, role_configs
from rolegraph.outputs.confusion import GateStats, Judged, gate_stats, label_is_defect
from rolegraph.outputs.records import STATUS_FILES, failed_record, sample_record
from rolegraph.run.options import build_context
from rolegraph.run.store import RunStore, reconcile_files
from rolegraph.scenario.schema import Scenario
from rolegraph.scenario.wiring import graph_spec_from
from rolegraph.version import __version__

if TYPE_CHECKING:
    from langchain_core.language_models import BaseChatModel

JUDGE_FILE = "judge.json"


class TurnIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    speaker: str = Field(min_length=1)
    text: str


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="ignore")  # tool_calls, ids and the like are not judged

    role: Literal["system", "developer", "user", "assistant", "tool"]
    content: str | None = None
    name: str | None = None


class JudgeRow(BaseModel):
    """One dialogue to judge, as read from a line of the input file."""

    model_config = ConfigDict(extra="allow")

    id: str | int | None = None
    turns: list[TurnIn] | None = None
    messages: list[MessageIn] | None = None
    facts: list[str] | None = None
    personas: dict[str, Persona] | None = None
    conditions: dict[str, Any] | None = None
    label: str | None = None
    kind: str | None = None


@dataclass
class Dialogue:
    """A row made ready for the graph: who speaks, what they said, what grounds it."""

    line: int
    row_id: str
    speakers: list[str]
    personas: dict[str, dict[str, Any]]
    turns: list[dict[str, str]]
    facts: list[str] | None
    assistant: str
    conditions: dict[str, Any]
    label: str | None
    kind: str
    meta: dict[str, Any] = field(default_factory=dict)


@dataclass
class JudgeOptions:
    """What the command line can change about a judge run."""

    out: Path | None = None
    concurrency: int | None = None
    model: str | None = None
    base_url: str | None = None
    resume: bool = False
    models: dict[str, BaseChatModel] | None = None  # ready-made models (tests, apps)


@dataclass
class JudgeSummary:
    out_dir: Path
    rows: int
    counts: dict[str, int]
    stats: GateStats | None
    seconds: float
    usage: dict[str, Any]


def read_rows(path: Path, scenario: Scenario) -> list[Dialogue]:
    """Every row of `path`, checked; a bad row raises UsageError naming its line."""
    if not path.is_file():
        raise UsageError(f"{path}: no such file")
    rows = []
    seen_ids: set[str] = set()
    with path.open(encoding="utf-8") as handle:
        for line_no, line in enumerate(handle, 1):
            if not line.strip():
                continue
            try:
                data = json.loads(line)
            except json.JSONDecodeError as exc:
                raise UsageError(f"{path}:{line_no}: not valid JSON ({exc.msg})") from None
            if not isinstance(data, dict):
                raise UsageError(
                    f"{path}:{line_no}: a row is a JSON object, not {type(data).__name__}"
                )
            try:
                row = JudgeRow.model_validate(data)
            except ValidationError as exc:
                err = exc.errors()[0]
                where = ".".join(str(p) for p in err["loc"]) or "row"
                raise UsageError(f"{path}:{line_no}: {where}: {err['msg']}") from None
            dialogue = _dialogue(row, line_no, scenario, len(rows), f"{path}:{line_no}")
            if dialogue.row_id in seen_ids:
                raise UsageError(f"{path}:{line_no}: id: '{dialogue.row_id}' is used twice")
            seen_ids.add(dialogue.row_id)
            rows.append(dialogue)
    if not rows:
        raise UsageError(f"{path}: no rows to judge")
    return rows


def _dialogue(row: JudgeRow, line: int, scenario: Scenario, index: int, where: str) -> Dialogue:
    if (row.turns is None) == (row.messages is None):
        raise UsageError(f"{where}: give either 'turns' or 'messages'")
    assistant = ""
    if row.turns is not None:
        turns = [{"speaker": t.speaker, "text": t.text} for t in row.turns]
    else:
        turns, assistant = _from_messages(row.messages or [], scenario, where, row.personas)
    if not turns:
        raise UsageError(f"{where}: the dialogue has no turns")
    given = row.personas or {}
    speakers = list(dict.fromkeys([*given, *(t["speaker"] for t in turns)]))
    known = set(scenario.speaker_names)
    for i, turn in enumerate(turns):
        if turn["speaker"] not in given and turn["speaker"] not in known:
            raise UsageError(
                f"{where}: turns.{i}.speaker: '{turn['speaker']}' is neither in the row's "
                f"personas nor a speaker of the scenario ({', '.join(scenario.speaker_names)})"
            )
    if len(speakers) < 2:  # a monologue still has a listener: the scenario's other speaker
        speakers += [s for s in scenario.speaker_names if s not in speakers][:1]
    personas = {s: p.model_dump(mode="json") for s, p in given.items()}
    missing = [s for s in speakers if s not in personas]
    if missing:
        planned = plan_sample(scenario, index, scenario.run.seed).personas
        for speaker in missing:
            if speaker not in planned:
                raise UsageError(f"{where}: personas: no persona for speaker '{speaker}'")
            personas[speaker] = planned[speaker].model_dump(mode="json")
    if not assistant:
        assistant = scenario.assistant if scenario.assistant in speakers else speakers[1]
    if row.label is not None and label_is_defect(row.label) is None:
        raise UsageError(
            f"{where}: label: '{row.label}' is not one of faithful, unfaithful, accept, reject"
        )
    meta = dict(row.model_extra or {})
    return Dialogue(
        line=line,
        row_id=str(row.id) if row.id is not None else f"line-{line}",
        speakers=speakers,
        personas=personas,
        turns=turns,
        facts=row.facts,
        assistant=assistant,
        conditions=row.conditions or {},
        label=row.label,
        kind=row.kind or "",
        meta=meta,
    )


def _from_messages(
    messages: list[MessageIn],
    scenario: Scenario,
    where: str,
    personas: dict[str, Persona] | None,
) -> tuple[list[dict[str, str]], str]:
    """OpenAI messages as turns: `name` names the speaker, else the scenario's two sides."""
    names = list(personas or {}) or scenario.speaker_names
    assistant = scenario.assistant if scenario.assistant in names else names[-1]
    others = [s for s in names if s != assistant]
    turns = []
    for i, m in enumerate(messages):
        if m.role in ("system", "developer", "tool"):
            continue  # the system prompt and tool results are context, not turns
        if m.content is None or not m.content.strip():
            continue
        if m.name:
            speaker = m.name
        elif m.role == "assistant":
            speaker = assistant
        elif len(others) == 1:
            speaker = others[0]
        else:
            raise UsageError(
                f"{where}: messages.{i}: a user message needs a 'name' when the scenario has "
                f"{len(others)} speakers besides the assistant"
            )
        turns.append({"speaker": speaker, "text": m.content})
    return turns, assistant


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()[:16]


def initial_judge_state(dialogue: Dialogue, index: int) -> SampleState:
    """The state the review graph starts from: the dialogue as given, nothing generated."""
    return SampleState(
        sample_id=f"{index:06d}",
        seed=0,
        speakers=dialogue.speakers,
        personas=dialogue.personas,
        conditions=dialogue.conditions,
        exemplars=[],
        turns=dialogue.turns,
        next_speaker=dialogue.speakers[0],
        goals={},
        stop_reason="given",
        min_turns=0,
        max_turns=len(dialogue.turns),
        max_revisions=0,
        revisions=0,
        attempts=[],
        findings=[],
        usage={},
    )


def decided_by(record: dict[str, Any], threshold: float) -> str:
    """The finding or score that decided a judged row, in a few words."""
    verdict = record.get("verdict") or {}
    if record.get("status") == "failed":
        return f"failed: {record.get('error', '')}"
    checks = verdict.get("checks") or []
    blocking = [c for c in checks if c.get("severity", "error") == "error"]
    if record.get("status") == "accepted":
        evidence = [c for c in checks if c not in blocking]
        note = "; ".join(f"{c['check']}: {c.get('evidence', '')}" for c in evidence[:3])
        return f"accepted at {verdict.get('overall')} (no contradiction found)" + (
            f"; unsupported: {note}" if note else ""
        )
    if verdict.get("rejected_by"):
        return f"rejected by {verdict['rejected_by']}"
    if blocking:
        return "; ".join(
            f"{c['check']} in turn {c.get('turn')}: {c.get('evidence') or c.get('message')}"
            for c in blocking[:3]
        )
    return f"score {verdict.get('overall')} below the threshold {threshold}"


async def judge_file(path: Path, scenario: Scenario, options: JudgeOptions) -> JudgeSummary:
    """Judge every row of `path` (or the rest of them, resuming) into the run directory."""
    rows = read_rows(path, scenario)
    out_dir = options.out or Path("runs") / (
        f"{scenario.name}-judge-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}"
    )
    spec = graph_spec_from(scenario)
    extra = [n.role for n in spec.nodes if ":" not in n.role]
    configs = role_configs(
        scenario, list(dict.fromkeys([*CORE_ROLES, *extra])), options.model, options.base_url
    )
    graph = build_review_graph(spec).compile()
    models = options.models or build_models(configs, scenario.run.seed)
    try:
        store = _open(out_dir, scenario, path, rows, options)
        try:
            reconcile_files(store)
            return await _judge(rows, scenario, options, out_dir, store, graph, models, configs)
        finally:
            store.close()
    finally:
        if options.models is None:
            await close_models(models)


def _open(
    out_dir: Path, scenario: Scenario, path: Path, rows: list[Dialogue], options: JudgeOptions
) -> RunStore:
    exists = (out_dir / RunStore.FILE).exists()
    if exists and not options.resume:
        raise UsageError(
            f"{out_dir} already holds a run; add --resume to continue it, or choose another --out"
        )
    if not exists and options.resume:
        raise UsageError(f"{out_dir} holds no judge run to resume (no {RunStore.FILE})")
    if not exists and out_dir.exists() and any(out_dir.iterdir()):
        raise UsageError(f"{out_dir} already holds other files; choose another --out")
    out_dir.mkdir(parents=True, exist_ok=True)
    store = RunStore(out_dir)
    if exists:
        if store.meta("judge_input") is None:
            store.close()
            raise UsageError(f"{out_dir} holds a generation run, not a judge run")
        if (
            store.meta("judge_input") != _digest(path)
            or store.meta("scenario_hash") != scenario.digest()
        ):
            store.close()
            raise UsageError(
                f"the input file or the scenario changed since {out_dir} was judged; "
                "judge into another --out"
            )
        return store
    store.add_plan(
        [
            (f"{i:06d}", i, 0, {"line": r.line, "id": r.row_id, "label": r.label, "kind": r.kind})
            for i, r in enumerate(rows)
        ],
        scenario=scenario.name,
        scenario_hash=scenario.digest(),
        judge_input=_digest(path),
        input_file=str(path),
        planned=str(len(rows)),
        seed="0",
        started_at=datetime.now(UTC).isoformat(timespec="seconds"),
        run_id=uuid.uuid4().hex[:12],
    )
    return store


async def _judge(
    rows: list[Dialogue],
    scenario: Scenario,
    options: JudgeOptions,
    out_dir: Path,
    store: RunStore,
    graph: Any,
    models: dict[str, BaseChatModel],
    configs: dict[str, Any],
) -> JudgeSummary:
    base = build_context(scenario, models)
    started = time.monotonic()
    handles = {s: (out_dir / n).open("a", encoding="utf-8") for s, n in STATUS_FILES.items()}
    queue: asyncio.Queue[int] = asyncio.Queue()
    for index in store.pending():
        queue.put_nowait(index)
    usage_total: dict[str, Any] = {}

    async def one(index: int) -> None:
        nonlocal usage_total
        dialogue = rows[index]
        ctx = replace(
            base,
            facts=dialogue.facts if dialogue.facts is not None else base.facts,
            private_facts={} if dialogue.facts is not None else base.private_facts,
            assistant=dialogue.assistant,
        )
        state = initial_judge_state(dialogue, index)
        try:
            final = await graph.ainvoke(state, context=ctx)
            status = final.get("status") or "failed"
            record = sample_record(final, ctx)  # type: ignore[arg-type]
            usage = final.get("usage") or {}
        except Exception as exc:  # one bad row never stops the judge; it is recorded
            status, usage = "failed", {}
            record = failed_record(
                state["sample_id"],
                {"personas": dialogue.personas, "turns": dialogue.turns},
                f"{type(exc).__name__}: {exc}",
            )
        record.update(
            line=dialogue.line,
            id=dialogue.row_id,
            **({"label": dialogue.label} if dialogue.label is not None else {}),
            **({"kind": dialogue.kind} if dialogue.kind else {}),
            **({"meta": dialogue.meta} if dialogue.meta else {}),
        )
        rows_usage = [
            (
                role,
                configs.get(role, configs["default"]).spec,
                u,
                configs.get(role, configs["default"]).cost(u),
            )
            for role, u in usage.items()
        ]
        store.finish(record["sample_id"], status, record, rows_usage)
        handles[status].write(json.dumps(record, ensure_ascii=False) + "\n")
        handles[status].flush()
        usage_total = add_usage(usage_total, usage)

    async def worker() -> None:
        while not queue.empty():
            await one(queue.get_nowait())

    concurrency = options.concurrency or scenario.run.concurrency
    try:
        await asyncio.gather(
            *(worker() for _ in range(max(1, min(concurrency, queue.qsize() or 1))))
        )
    finally:
        for handle in handles.values():
            handle.close()
    seconds = time.monotonic() - started
    counts = store.counts()
    stats = _stats(store, scenario.critic.threshold)
    totals = store.totals()
    manifest = {
        "rolegraph_version": __version__,
        "command": "judge",
        "scenario": scenario.name,
        "scenario_file": str(scenario.source) if scenario.source else None,
        "scenario_hash": store.meta("scenario_hash"),
        "input_file": store.meta("input_file"),
        "input_hash": store.meta("judge_input"),
        "models": describe(configs, models if options.models is not None else None),
        "started_at": store.meta("started_at"),
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "status": "complete"
        if counts["planned"] == sum(counts[k] for k in STATUS_FILES)
        else "interrupted",
        "counts": counts,
        "usage": totals["usage"],
        "cost_usd": totals["cost_usd"],
        "store": RunStore.FILE,
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    body = {"rows": counts["planned"], "counts": counts, "threshold": scenario.critic.threshold}
    body["metrics"] = stats.as_dict() if stats is not None else None
    (out_dir / JUDGE_FILE).write_text(json.dumps(body, indent=2) + "\n", encoding="utf-8")
    return JudgeSummary(out_dir, counts["planned"], counts, stats, seconds, usage_total)


def _stats(store: RunStore, threshold: float) -> GateStats | None:
    """The confusion matrix over every labelled, judged row of the store (failures excluded)."""
    judged = []
    for status in ("accepted", "rejected"):
        for _, text in store.finished_records(status):
            record = json.loads(text)
            defect = label_is_defect(record.get("label") or "")
            if defect is None:
                continue
            judged.append(
                Judged(
                    row_id=str(record.get("id", record["sample_id"])),
                    defect=defect,
                    refused=status != "accepted",
                    kind=record.get("kind", ""),
                    reason=decided_by(record, threshold),
                    line=int(record.get("line", 0)),
                )
            )
    judged.sort(key=lambda j: j.line)
    return gate_stats(judged) if judged else None
