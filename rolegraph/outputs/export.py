"""`rolegraph export`: a run's accepted samples in the formats trainers read.

| format | file | what a line / row is |
|---|---|---|
| openai | `openai.jsonl` | `{"messages": [...]}` only, as OpenAI chat fine-tuning accepts it |
| sharegpt | `sharegpt.jsonl` | `{"id", "conversations": [{"from": system/human/gpt, "value"}]}` |
| preference | `preference.jsonl` | a DPO pair in TRL's conversational form: `prompt`, `chosen`, `rejected` |
| openai-preference | `openai_preference.jsonl` | OpenAI preference fine-tuning: `input.messages`, `preferred_output`, `non_preferred_output` |
| parquet | `accepted.parquet` | one row per sample: messages, conditions, personas, scores, verdict (structs) |
| hf | `hf/` | a folder `datasets.load_dataset(FOLDER)` reads: a Parquet shard under `data/` and a dataset card whose `configs:` names it |

Only accepted samples are exported (rejected ones are in `rejected.jsonl` for audit), in
their *training view*: the system message is the sample's training system message, never
the generation prompt (which records keep in `generation_prompt`).

Preference pairs come from accepted samples that were revised: for each draft the critic
refused, every assistant turn the reviser changed gives a pair: the prompt is the accepted
messages before that turn, `chosen` the accepted turn, `rejected` the draft's turn, and
`rejected_verdict` the verdict that refused the draft. Earlier assistant turns may differ in
the draft too (the prompt is the accepted version, the context the trained model should
learn to answer well); once a user turn differs, the answers after it no longer reply to the
same words, so they give no pair.

`alternate=True` makes every dialogue strictly alternate user / assistant after the system
message, as common chat templates demand: consecutive turns of non-trained speakers merge
into one `user` message, each part prefixed with its speaker's name ("Name: text"), and
consecutive assistant turns merge likewise.

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

FORMATS = ("openai", "sharegpt", "preference", "openai-preference", "parquet", "hf")
DEFAULT_NAMES = {
    "openai": "openai.jsonl",
    "sharegpt": "sharegpt.jsonl",
    "preference": "preference.jsonl",
    "openai-preference": "openai_preference.jsonl",
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
    run: RunDir,
    fmt: str,
    out: str | Path | None = None,
    *,
    weights: bool = False,
    seed: int = 0,
    alternate: bool = False,
) -> ExportResult:
    """Write the run's accepted samples in `fmt` to `out` (default: RUN_DIR/export/NAME)."""
    if fmt not in FORMATS:
        raise UsageError(f"unknown export format '{fmt}' (known: {', '.join(FORMATS)})")
    if weights and fmt in ("openai", "openai-preference"):
        raise UsageError(
            "the OpenAI fine-tuning format has no per-sample weight (its 'weight' is 0 or 1 "
            "per assistant message); use --format sharegpt, preference, parquet or hf for weights"
        )
    path = Path(out) if out else run.path / "export" / DEFAULT_NAMES[fmt]
    records = list(run.records("accepted"))
    if not records:
        raise UsageError(f"{run.path}: no accepted samples to export")
    pairs_of = preference_pairs
    if alternate:
        pairs_of = _alternating_pairs
        records = [{**r, "messages": alternating(r["messages"]), "_raw": r} for r in records]
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
    elif fmt in ("preference", "openai-preference"):
        pairs = [_with_weight(p, r, weight_of) for r in records for p in pairs_of(r)]
        if fmt == "openai-preference":  # OpenAI answers a prompt that ends with the user
            pairs = [p for p in pairs if p["prompt"] and p["prompt"][-1]["role"] == "user"]
        if not pairs:
            raise UsageError(
                f"{run.path}: no preference pairs: no accepted sample has a draft the critic "
                "refused with an assistant turn changed in revision (critic.max_revisions > 0 helps)"
            )
        if fmt == "openai-preference":
            pairs = [openai_preference(p) for p in pairs]
        rows = write_jsonl(path, iter(pairs))
    else:
        named = any("name" in m for r in records for m in r["messages"])
        table = [_with_weight(table_row(r, named), r, weight_of) for r in records]
        if fmt == "parquet":
            rows = write_parquet(path, table)
        else:
            rows = write_hf(path, table, dataset_card(run, len(table), weights, alternate))
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


def alternating(messages: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Messages merged so that user and assistant strictly alternate after the system message.

    A run of same-role messages becomes one message, its parts on separate lines. In a
    dialogue with speaker names each user message says who speaks ("Name: text") and no
    message keeps a `name` field; the assistant's words are never prefixed.
    """
    out: list[dict[str, Any]] = []
    for m in messages:
        role = m["role"]
        text = f"{m['name']}: {m['content']}" if m.get("name") and role == "user" else m["content"]
        if out and out[-1]["role"] == role != "system":
            out[-1]["content"] += "\n" + text
        else:
            out.append({"role": role, "content": text})
    return out


def _turn_messages(record: Mapping[str, Any]) -> tuple[list[dict[str, Any]], int]:
    """The record's messages and the index of the first turn (after the system message)."""
    messages = list(record["messages"])
    return messages, 1 if messages and messages[0]["role"] == "system" else 0


def preference_pairs(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """DPO pairs from the drafts the critic refused: one per assistant turn revised in each."""
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
        for turn, (d, f) in enumerate(zip(draft, final, strict=False)):
            if d != f and messages[at[turn]]["role"] != "assistant":
                break  # a user turn changed: later answers no longer reply to the same words
            if d == f or (turn, d) in seen:
                continue
            seen.add((turn, d))
            chosen = dict(messages[at[turn]])
            pairs.append(
                {
                    "sample_id": record["sample_id"],
                    "turn": turn,
                    "prompt": messages[: at[turn]],  # with the turn's tool calls and results
                    "chosen": [chosen],
                    "rejected": [{**chosen, "content": d}],
                    "rejected_verdict": verdict,
                }
            )
    return pairs


def _alternating_pairs(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Pairs of the unmerged record, with alternating prompts (a prompt ending in an assistant
    turn would put two assistant messages in a row, so such a pair is left out)."""
    out = []
    for pair in preference_pairs(record["_raw"]):
        prompt = alternating(pair["prompt"])
        if prompt and prompt[-1]["role"] != "assistant":
            chosen, rejected = pair["chosen"][0], pair["rejected"][0]
            out.append(
                pair
                | {
                    "prompt": prompt,
                    "chosen": [{"role": "assistant", "content": chosen["content"]}],
                    "rejected": [{"role": "assistant", "content": rejected["content"]}],
                }
            )
    return out


def openai_preference(pair: Mapping[str, Any]) -> dict[str, Any]:
    """A preference pair in OpenAI's preference fine-tuning format (one assistant message each)."""

    def plain(m: Mapping[str, Any]) -> dict[str, Any]:
        return {"role": m["role"], "content": m["content"]} | (
            {"name": m["name"]} if m.get("name") else {}
        )

    return {
        "input": {"messages": [plain(m) for m in pair["prompt"]]},
        "preferred_output": [{"role": "assistant", "content": pair["chosen"][0]["content"]}],
        "non_preferred_output": [{"role": "assistant", "content": pair["rejected"][0]["content"]}],
    }


def table_row(record: Mapping[str, Any], named: bool = False) -> dict[str, Any]:
    """A record as a typed row for Parquet and `datasets`: nested fields stay nested (structs).

    `named` gives every message a `name` (the speaker, in dialogues of three or more).
    Free-form values (persona attributes, conditions, seed columns) become text, so one
    column has one type across rows.
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
        "persona_details": {
            speaker: _persona_struct(p) for speaker, p in (record.get("personas") or {}).items()
        },
        "verdict": _verdict_struct(verdict),
    }
    if "tools" in record:  # JSON text: every tool's parameters differ, a column cannot
        row["tools"] = json.dumps(record["tools"], ensure_ascii=False)
        row["environment"] = json.dumps(record.get("environment") or {}, ensure_ascii=False)
    if record.get("seed_record") is not None:
        seed = record["seed_record"]
        row["seed_row"] = int(seed["row"])
        row["seed_values"] = {k: _text(v) for k, v in (seed.get("values") or {}).items()}
        row["facts"] = [str(f) for f in record.get("facts") or []]
    return {k: _no_empty_struct(v) for k, v in row.items()}


def _text(value: Any) -> Any:
    """A free-form value as text, a list of texts staying a list."""
    if isinstance(value, list):
        return [v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for v in value]
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)


def _persona_struct(persona: Mapping[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in persona.items() if k != "attributes"}
    out["attributes"] = {k: _text(v) for k, v in (persona.get("attributes") or {}).items()}
    return out


def _verdict_struct(verdict: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(verdict)
    for key in ("scores", "model_scores"):
        out[key] = {k: int(v) for k, v in (verdict.get(key) or {}).items()}
    for key in ("overall", "model_overall"):
        if key in out:
            out[key] = float(out[key])
    return out


def _no_empty_struct(value: Any) -> Any:
    """Empty mappings as null, recursively: Parquet cannot store a struct without fields."""
    if isinstance(value, dict):
        return {k: _no_empty_struct(v) for k, v in value.items()} or None
    if isinstance(value, list):
        return [_no_empty_struct(v) for v in value]
    return value


def arrow_table(rows: Sequence[dict[str, Any]]) -> Any:
    """The rows as an Arrow table: every column any row has, structs inferred over all rows."""
    try:
        import pyarrow as pa
    except ImportError:
        raise missing_extra("pyarrow", "export") from None
    columns = list(dict.fromkeys(k for row in rows for k in row))
    return pa.table({c: pa.array([row.get(c) for row in rows]) for c in columns})


def write_parquet(path: Path, rows: Sequence[dict[str, Any]]) -> int:
    """The rows as one Parquet file (needs pyarrow)."""
    table = arrow_table(rows)
    import pyarrow.parquet as pq

    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(table, path)
    return len(rows)


HF_SHARD = "data/train-00000-of-00001.parquet"


def write_hf(path: Path, rows: Sequence[dict[str, Any]], card: str) -> int:
    """A Hugging Face dataset folder as the Hub lays one out: a Parquet shard under `data/` and
    a README.md card whose `configs:` names it, so `datasets.load_dataset(FOLDER)` reads it
    (and it can be pushed to the Hub as it is).

    No `save_to_disk` copy sits next to it: `load_dataset` refuses a folder that has one.
    """
    if path.exists() and any(path.iterdir()) and not (path / HF_SHARD).exists():
        raise UsageError(f"{path}: exists and is not a dataset folder; choose another -o PATH")
    write_parquet(path / HF_SHARD, rows)
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


def dataset_card(run: RunDir, rows: int, weights: bool, alternate: bool = False) -> str:
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
configs:
  - config_name: default
    data_files:
      - split: train
        path: {HF_SHARD}
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

`messages` (OpenAI chat format, the training view: the system message is the training system
message, not the generation prompt; the assistant is the trained speaker{"; user and assistant strictly alternate, merged turns named" if alternate else ""}), `personas`
(speaker → persona name), `conditions`, `scores` and `overall` (the critic's final verdict),
`revisions`, `turns`, `stop_reason`, `persona_details` and `verdict` (structs), and for runs
over a seed `seed_row`, `seed_values` (the record's columns the templates read) and `facts`
(the facts the sample was judged against){", `weight` (sample weight in [0, 1]: critic score × novelty)" if weights else ""}.{TOOL_COLUMNS if any("tools" in r for r in run.records("accepted")) else ""}

```python
from datasets import load_dataset
ds = load_dataset("PATH", split="train")   # or load_dataset("parquet", data_files="PATH/data/*.parquet")
```
"""
