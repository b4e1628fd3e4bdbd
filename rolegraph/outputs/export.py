"""`rolegraph export`: a run's accepted samples in the formats trainers read.

| format | file | what a line / row is |
|---|---|---|
| openai | `openai.jsonl` | `{"messages": [...]}` only, as OpenAI chat fine-tuning accepts it |
| sharegpt | `sharegpt.jsonl` | `{"id", "conversations": [{"from": system/human/gpt, "value"}]}` |
| preference | `preference.jsonl` | a DPO pair in TRL's conversational form: `prompt`, `chosen`, `rejected` |
| parquet | `accepted.parquet` | one row per sample: messages, conditions, personas, scores |
| hf | `hf/` | the parquet rows as a `datasets` folder (`load_from_disk`) with a dataset card |

Only accepted samples are exported (rejected ones are in `rejected.jsonl` for audit).
Preference pairs come from accepted samples that were revised: for each draft the critic
refused, the first turn that differs from the accepted version must be an assistant turn
(so both answers follow the same prompt); the prompt is the accepted messages before it,
`chosen` the accepted turn, `rejected` the draft's turn, and `rejected_verdict` the verdict
that refused the draft.

`weights=True` adds a per-sample `weight` for trainers that take sample weights: the
critic's overall score scaled to 0-1, times novelty (1 - the highest word-shingle Jaccard
with an earlier accepted sample, of at most `NOVELTY_REFERENCES` drawn by seed), so the
first of two duplicates keeps its weight and the second gets 0. Weights lie in [0, 1].
OpenAI's format has no per-sample weight, so it refuses one.
"""

from __future__ import annotations

import json
import random
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rolegraph.errors import UsageError, missing_extra
from rolegraph.outputs import metrics
from rolegraph.outputs.rundir import RunDir
from rolegraph.outputs.tool_records import sharegpt_turn, spoken_positions, table_message

FORMATS = ("openai", "sharegpt", "preference", "parquet", "hf")
DEFAULT_NAMES = {
    "openai": "openai.jsonl",
    "sharegpt": "sharegpt.jsonl",
    "preference": "preference.jsonl",
    "parquet": "accepted.parquet",
    "hf": "hf",
}
SHAREGPT_ROLES = {"system": "system", "user": "human", "assistant": "gpt"}
NOVELTY_REFERENCES = 500
TOOL_COLUMNS = """
Tool use: assistant messages carry `tool_calls` (OpenAI format, arguments as JSON text) and
`tool` messages their `tool_call_id`; `tools` (the function schemas) and `environment` (what
the calls changed) are JSON text: `json.loads(row["tools"])` for a chat template's `tools=`."""


@dataclass(frozen=True)
class ExportResult:
    """Where an export went and how many rows it holds."""

    path: Path
    rows: int
    format: str


def export(
    run: RunDir, fmt: str, out: str | Path | None = None, *, weights: bool = False, seed: int = 0
) -> ExportResult:
    """Write the run's accepted samples in `fmt` to `out` (default: RUN_DIR/export/NAME)."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown export format '{fmt}' (known: {', '.join(FORMATS)})")
    if weights and fmt == "openai":
        raise UsageError(
            "the OpenAI fine-tuning format has no per-sample weight (its 'weight' is 0 or 1 "
            "per assistant message); use --format sharegpt, preference, parquet or hf for weights"
        )
    path = Path(out) if out else run.path / "export" / DEFAULT_NAMES[fmt]
    records = list(run.records("accepted"))
    if not records:
        raise UsageError(f"{run.path}: no accepted samples to export")
    weight_of = sample_weights(records, seed=seed) if weights else {}
    if fmt == "openai":
        rows = write_jsonl(
            path,
            (
                {"messages": r["messages"], **({"tools": r["tools"]} if "tools" in r else {})}
                for r in records
            ),
        )
    elif fmt == "sharegpt":
        rows = write_jsonl(path, (_with_weight(sharegpt(r), r, weight_of) for r in records))
    elif fmt == "preference":
        pairs = [_with_weight(p, r, weight_of) for r in records for p in preference_pairs(r)]
        if not pairs:
            raise UsageError(
                f"{run.path}: no preference pairs: no accepted sample has a draft the critic "
                "refused with an assistant turn first to change (critic.max_revisions > 0 helps)"
            )
        rows = write_jsonl(path, iter(pairs))
    else:
        named = any("name" in m for r in records for m in r["messages"])
        table = [_with_weight(table_row(r, named), r, weight_of) for r in records]
        if fmt == "parquet":
            rows = write_parquet(path, table)
        else:
            rows = write_hf(path, table, dataset_card(run, len(table), weights))
    return ExportResult(path=path, rows=rows, format=fmt)


def _with_weight(
    row: dict[str, Any], record: Mapping[str, Any], weight_of: Mapping[str, float]
) -> dict[str, Any]:
    if weight_of:
        row["weight"] = weight_of[record["sample_id"]]
    return row


def write_jsonl(path: Path, rows: Iterator[dict[str, Any]]) -> int:
    """One JSON object per line; returns the number of lines."""
    path.parent.mkdir(parents=True, exist_ok=True)
    n = 0
    with path.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
            n += 1
    return n


def sharegpt(record: Mapping[str, Any]) -> dict[str, Any]:
    """A record as ShareGPT: `conversations` of {from: system|human|gpt, value}.

    With tools: `function_call` and `observation` turns and a `tools` JSON string, the
    convention of LLaMA-Factory and other SFT tools (see outputs.tool_records).
    """
    row: dict[str, Any] = {"id": record["sample_id"], "conversations": []}
    for m in record["messages"]:
        if m.get("tool_calls") or m["role"] == "tool":
            sharegpt_turn(row["conversations"], m)
        else:
            row["conversations"].append({"from": SHAREGPT_ROLES[m["role"]], "value": m["content"]})
    if "tools" in record:
        row["tools"] = json.dumps([t["function"] for t in record["tools"]], ensure_ascii=False)
    return row


def preference_pairs(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """DPO pairs from the drafts the critic refused before this record was accepted."""
    if record.get("status") != "accepted":
        return []
    messages = record["messages"]
    at = spoken_positions(messages)  # turn i is messages[at[i]] (tool messages in between)
    final = [messages[j]["content"] for j in at]
    pairs: list[dict[str, Any]] = []
    seen: set[tuple[int, str]] = set()
    for attempt in record.get("attempts") or []:
        verdict = attempt.get("verdict") or {}
        if verdict.get("decision") == "accept":
            continue
        draft = [t["text"] for t in attempt.get("turns") or []]
        turn = next((i for i, (d, f) in enumerate(zip(draft, final, strict=False)) if d != f), None)
        if turn is None or messages[at[turn]]["role"] != "assistant":
            continue  # same text, or a user turn changed first: no shared prompt
        if (turn, draft[turn]) in seen:
            continue
        seen.add((turn, draft[turn]))
        chosen = dict(messages[at[turn]])
        rejected = {**chosen, "content": draft[turn]}
        pairs.append(
            {
                "sample_id": record["sample_id"],
                "turn": turn,
                "prompt": messages[: at[turn]],  # with the turn's tool calls and results
                "chosen": [chosen],
                "rejected": [rejected],
                "rejected_verdict": verdict,
            }
        )
    return pairs


def table_row(record: Mapping[str, Any], named: bool = False) -> dict[str, Any]:
    """A record as a flat, typed row for Parquet and `datasets` (nested free-form data as JSON).

    `named` gives every message a `name` (the speaker, in dialogues of three or more).
    """
    verdict = record.get("verdict") or {}
    row: dict[str, Any] = {
        "sample_id": record["sample_id"],
        "messages": [
            {
                "role": m["role"],
                "content": m["content"],
                **({"name": m.get("name")} if named else {}),
                **(table_message(m) if "tools" in record else {}),
            }
            for m in record["messages"]
        ],
        "personas": {
            speaker: str(p.get("name", "")) for speaker, p in (record.get("personas") or {}).items()
        },
        "conditions": {k: str(v) for k, v in (record.get("conditions") or {}).items()},
        "scores": {k: int(v) for k, v in (verdict.get("scores") or {}).items()},
        "overall": float(verdict.get("overall") or 0.0),
        "revisions": int(record.get("revisions") or 0),
        "turns": int(record.get("turns") or 0),
        "stop_reason": record.get("stop_reason"),
        "persona_details": json.dumps(record.get("personas") or {}, ensure_ascii=False),
        "verdict": json.dumps(verdict, ensure_ascii=False),
    }
    if "tools" in record:  # JSON text: every tool's parameters differ, a column cannot
        row["tools"] = json.dumps(record["tools"], ensure_ascii=False)
        row["environment"] = json.dumps(record.get("environment") or {}, ensure_ascii=False)
    for key in ("personas", "conditions", "scores"):
        if not row[key]:
            del row[key]  # Parquet cannot store a struct without fields
    return row


def write_parquet(path: Path, rows: Sequence[dict[str, Any]]) -> int:
    """The rows as one Parquet file (needs pyarrow)."""
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise missing_extra("pyarrow", "export") from None
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(list(rows)), path)
    return len(rows)


def write_hf(path: Path, rows: Sequence[dict[str, Any]], card: str) -> int:
    """The rows as a Hugging Face `datasets` folder with a README.md dataset card."""
    try:
        import datasets
    except ImportError:
        raise missing_extra("datasets", "export") from None
    datasets.disable_progress_bars()
    if path.exists() and any(path.iterdir()) and not (path / "state.json").exists():
        raise UsageError(f"{path}: exists and is not a dataset folder; choose another -o PATH")
    datasets.Dataset.from_list(list(rows)).save_to_disk(str(path))
    (path / "README.md").write_text(card, encoding="utf-8")
    return len(rows)


def sample_weights(records: Sequence[Mapping[str, Any]], seed: int = 0) -> dict[str, float]:
    """Per-sample weight in [0, 1] = critic quality (overall 1-5 → 0-1) × novelty."""
    from rolegraph.outputs.evaluate import dialogue_turns

    sets = [metrics.shingles([metrics.tokenize(t) for t in dialogue_turns(r)]) for r in records]
    rng = random.Random(seed)
    raw = []
    for i, record in enumerate(records):
        earlier = range(i)
        if i > NOVELTY_REFERENCES:
            earlier = rng.sample(range(i), NOVELTY_REFERENCES)
        closest = max((metrics.jaccard(sets[i], sets[j]) for j in earlier), default=0.0)
        overall = float((record.get("verdict") or {}).get("overall") or 1.0)
        raw.append(min(max((overall - 1) / 4, 0.0), 1.0) * (1 - closest))
    return {r["sample_id"]: round(w, 4) for r, w in zip(records, raw, strict=True)}


def dataset_card(run: RunDir, rows: int, weights: bool) -> str:
    """A README.md for the Hugging Face folder: scenario, models, counts and metrics."""
    from rolegraph.outputs.evaluate import evaluate, load_scenario

    m = run.manifest
    scenario = load_scenario(run)
    report = evaluate(run)
    f, d, cost = report["faithfulness"], report["diversity"], report["cost"]
    size = "n<1K" if rows < 1000 else "1K<n<10K" if rows < 10_000 else "10K<n<100K"
    models = "\n".join(
        f"- {role}: `{spec.get('spec')}`" for role, spec in (m.get("models") or {}).items()
    )
    counts = report["samples"]
    coverage = "\n".join(
        f"- condition `{k}`: normalized entropy {c['entropy']:.3f}"
        for k, c in report["coverage"]["conditions"].items()
    )
    scores = "\n".join(
        f"- {c}: {s['accepted']:.2f}" for c, s in f["scores"].items() if s["accepted"] is not None
    )
    description = scenario.description if scenario else ""
    task = scenario.task.description if scenario else ""
    return f"""---
pretty_name: {m.get("scenario", "rolegraph run")}
tags: [synthetic, rolegraph, dialogue]
task_categories: [text-generation]
size_categories: [{size}]
---
# {m.get("scenario", "rolegraph run")}

Synthetic multi-turn dialogues generated with rolegraph {m.get("rolegraph_version", "")}: personas
speak turn by turn, a critic scores each dialogue against a rubric and deterministic checks,
and a reviser repairs flagged turns. Only accepted dialogues are included.

{description}

Task: {task}

## Provenance

- scenario: `{m.get("scenario_file", "")}` (sha256 `{m.get("scenario_hash", "")}`)
- seed: {m.get("seed")}
- generated: {m.get("started_at", "")} to {m.get("finished_at", "")}
{models}

## Counts

{rows} rows. Planned {counts["planned"]}: {counts["accepted"]} accepted, {counts["rejected"]} rejected,
{counts["failed"]} failed (acceptance rate {f["acceptance_rate"]:.1%}, revisions per accepted
sample {f["revisions_per_accepted"] or 0:.2f}).

## Metrics (`rolegraph eval`)

Critic scores of the accepted samples (1-5):
{scores}

- distinct-1/2/3: {d["distinct_1"]:.3f} / {d["distinct_2"]:.3f} / {d["distinct_3"]:.3f}
- self-BLEU: {d["self_bleu"]["value"]:.3f}
- mean pairwise Jaccard of word 3-grams: {d["similarity"]["mean"]:.3f}; near-duplicate pairs: {d["similarity"]["near_duplicate_share"]:.1%}
- vocabulary: {d["vocabulary"]} words
{coverage}
- tokens per accepted sample: {cost["tokens_per_accepted"] or 0:,.0f}

## Columns

`messages` (OpenAI chat format: the assistant is the trained speaker), `personas` (speaker →
persona name), `conditions`, `scores` and `overall` (the critic's final verdict), `revisions`,
`turns`, `stop_reason`, `persona_details` and `verdict` (JSON text){", `weight` (sample weight in [0, 1]: critic score × novelty)" if weights else ""}.{TOOL_COLUMNS if any("tools" in r for r in run.records("accepted")) else ""}

```python
from datasets import load_from_disk
ds = load_from_disk("PATH")
```
"""
