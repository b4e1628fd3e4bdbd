"""`rolegraph eval`: faithfulness, diversity, coverage and cost of a run, from its run directory.

The report is a JSON-ready dict built in one streaming pass over the records (the accepted
dialogues' words are kept for the diversity metrics). Diversity and coverage describe the
accepted samples, the data you would train on; faithfulness and cost count every sample,
because rejected and failed samples cost tokens too.

Choices worth knowing:
- Words are lower-cased letter/digit runs; the system prompt is left out (it is a template).
- Self-BLEU uses a fixed-size seeded sample, so runs of different sizes compare fairly.
- Pairwise similarity is the Jaccard of word 3-gram shingles over all pairs, or over a
  seeded random sample of pairs when there are more than `max_pairs`; the report says which.
- Coverage compares against the values the scenario declares when its file is still there
  and unchanged (same hash as in the manifest), else against the values seen in the run.
"""

from __future__ import annotations

import json
import math
import random
import time
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rolegraph.errors import UsageError
from rolegraph.outputs import metrics
from rolegraph.outputs.rundir import RunDir
from rolegraph.outputs.seed_eval import seed_report

if TYPE_CHECKING:
    from rolegraph.scenario.schema import Scenario

FREE_SPECS = {"scripted", "local"}  # in-process models: no per-token price
EMBED_SAMPLE = 100  # dialogues embedded at most (a 6-turn dialogue takes ~0.2 s on one core)
EMBED_NEAR_DUPLICATE = 0.95  # cosine; E5 embeddings sit in a narrow, high range
MAX_LISTED = 100  # missing combinations listed in the report


@dataclass
class _Tally:
    """What one pass over the records collects."""

    statuses: Counter[str] = field(default_factory=Counter)
    revisions: list[int] = field(default_factory=list)
    scores: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    judged_scores: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    model_scores: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    check_findings: Counter[str] = field(default_factory=Counter)
    check_samples: dict[str, set[str]] = field(default_factory=lambda: defaultdict(set))
    usage: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    dialogues: list[list[list[str]]] = field(default_factory=list)  # accepted: turns of tokens
    texts: list[str] = field(default_factory=list)  # accepted: the turns joined
    conditions: list[dict[str, Any]] = field(default_factory=list)  # accepted
    personas: list[dict[str, str]] = field(default_factory=list)  # accepted: speaker -> name
    finished_by_value: Counter[tuple[str, str]] = field(default_factory=Counter)


def dialogue_turns(record: Mapping[str, Any]) -> list[str]:
    """The spoken turns of a record: its messages without the system prompt and tool calls."""
    from rolegraph.outputs.tool_records import is_spoken

    return [str(m.get("content", "")) for m in record.get("messages") or [] if is_spoken(m)]


def _tally(run: RunDir) -> _Tally:
    t = _Tally()
    for record in run.records():
        status = record.get("status", "unknown")
        t.statuses[status] += 1
        for role, counts in (record.get("usage") or {}).items():
            t.usage[role].update({k: int(v) for k, v in counts.items()})
        conditions = record.get("conditions") or {}
        for key, value in conditions.items():
            t.finished_by_value[(key, str(value))] += 1
        if status == "failed":
            continue
        verdict = record.get("verdict") or {}
        for criterion, score in (verdict.get("scores") or {}).items():
            t.judged_scores[criterion].append(score)
        if verdict.get("overall") is not None:
            t.judged_scores["overall"].append(verdict["overall"])
        for criterion, score in (verdict.get("model_scores") or {}).items():
            t.model_scores[criterion].append(score)
        if verdict.get("model_overall") is not None:
            t.model_scores["overall"].append(verdict["model_overall"])
        verdicts = [a.get("verdict") or {} for a in record.get("attempts") or []] or [verdict]
        for v in verdicts:
            for finding in v.get("checks") or []:
                t.check_findings[finding["check"]] += 1
                t.check_samples[finding["check"]].add(str(record.get("sample_id")))
        if status != "accepted":
            continue
        t.revisions.append(int(record.get("revisions") or 0))
        for criterion, score in (verdict.get("scores") or {}).items():
            t.scores[criterion].append(score)
        if verdict.get("overall") is not None:
            t.scores["overall"].append(verdict["overall"])
        turns = dialogue_turns(record)
        t.dialogues.append([metrics.tokenize(turn) for turn in turns])
        t.texts.append("\n".join(turns))
        t.conditions.append({k: str(v) for k, v in conditions.items()})
        t.personas.append(
            {
                speaker: str(p.get("name", ""))
                for speaker, p in (record.get("personas") or {}).items()
            }
        )
    return t


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _faithfulness(t: _Tally, finished: int) -> dict[str, Any]:
    accepted = t.statuses["accepted"]
    criteria = list(dict.fromkeys([*t.judged_scores, *t.model_scores]))
    return {
        "acceptance_rate": accepted / finished if finished else 0.0,
        "first_pass_acceptance_rate": t.revisions.count(0) / finished if finished else 0.0,
        "revisions_per_accepted": _mean(t.revisions),
        "revisions_histogram": {str(k): v for k, v in sorted(Counter(t.revisions).items())},
        "scores": {
            c: {
                "accepted": _mean(t.scores.get(c, [])),
                "judged": _mean(t.judged_scores.get(c, [])),
                "model": _mean(t.model_scores.get(c, [])),
            }
            for c in criteria
        },
        "checks": {
            name: {"findings": n, "samples": len(t.check_samples[name])}
            for name, n in t.check_findings.most_common()
        },
    }


def _diversity(
    t: _Tally, seed: int, max_pairs: int, bleu_sample: int, embed: bool
) -> dict[str, Any]:
    turns = [turn for dialogue in t.dialogues for turn in dialogue]
    flat = [[w for turn in dialogue for w in turn] for dialogue in t.dialogues]
    bleu = metrics.self_bleu(flat, sample=bleu_sample, seed=seed)
    sets = [metrics.shingles(dialogue) for dialogue in t.dialogues]
    report: dict[str, Any] = {
        "distinct_1": metrics.distinct_n(turns, 1),
        "distinct_2": metrics.distinct_n(turns, 2),
        "distinct_3": metrics.distinct_n(turns, 3),
        "self_bleu": {"value": bleu.value, "sample": bleu.sample, "of": bleu.total},
        "similarity": {
            "method": "jaccard of word 3-gram shingles",
            **metrics.jaccard_pair_stats(sets, max_pairs=max_pairs, seed=seed).as_dict(),
        },
        "exact_duplicates": metrics.exact_duplicates(t.texts),
        "vocabulary": len({w for turn in turns for w in turn}),
        "turn_words": metrics.length_stats([len(turn) for turn in turns]),
        "dialogue_turns": metrics.length_stats([len(d) for d in t.dialogues]),
        "dialogue_words": metrics.length_stats([len(words) for words in flat]),
    }
    if embed:
        report["embedding"] = embedding_similarity(t.texts, seed, max_pairs)
    return report


def embedding_similarity(texts: Sequence[str], seed: int, max_pairs: int) -> dict[str, Any]:
    """Embedding cosine similarity (`metrics.embedding_pair_stats`) on a seeded sample of texts."""
    chosen = list(range(len(texts)))
    if len(chosen) > EMBED_SAMPLE:
        chosen = sorted(random.Random(seed).sample(chosen, EMBED_SAMPLE))
    stats = metrics.embedding_pair_stats(
        [texts[i] for i in chosen], EMBED_NEAR_DUPLICATE, max_pairs, seed
    )
    return {
        "model": metrics.EMBEDDING_MODEL,
        "sample": len(chosen),
        "of": len(texts),
        **stats.as_dict(),
    }


@dataclass(frozen=True)
class Space:
    """The values a run could have used: per condition, and persona names per speaker."""

    conditions: dict[str, list[str]]
    weights: dict[str, list[float] | None]
    personas: dict[str, list[str]]
    source: str  # "scenario" or "observed"


def load_scenario(run: RunDir) -> Scenario | None:
    """The run's scenario, if its file can still be found and read."""
    from rolegraph.scenario.schema import Scenario

    name = run.manifest.get("scenario_file")
    if not name:
        return None
    candidates = [Path(name), run.path / name, run.path.parent / name]
    path = next((p for p in candidates if p.is_file()), None)
    if path is None:
        return None
    try:
        scenario = Scenario.from_file(path)
    except UsageError:
        return None
    return scenario


def declared_space(run: RunDir, observed: Space) -> Space | None:
    """The values the scenario declares, plus any the run used that it no longer declares."""
    scenario = load_scenario(run)
    if scenario is None:
        return None
    source = "scenario"
    if run.manifest.get("scenario_hash") not in (None, scenario.digest()):
        source = "scenario (file changed since the run)"
    personas: dict[str, list[str]] = {}
    for speaker in scenario.speakers:
        if speaker.persona is not None:
            personas[speaker.name] = [speaker.persona.name]
        elif speaker.pick:
            personas[speaker.name] = [speaker.pick]
        else:
            library = scenario.library_for(speaker)
            pool = (library.with_role(speaker.role) if speaker.role else library.personas) or []
            personas[speaker.name] = [p.name for p in pool]
    conditions = {k: [str(v) for v in c.values] for k, c in scenario.conditions.items()}
    weights = {k: c.weights for k, c in scenario.conditions.items()}
    for key, values in observed.conditions.items():
        extra = [v for v in values if v not in conditions.get(key, [])]
        if extra:
            conditions[key] = [*conditions.get(key, []), *extra]
            weights[key] = None  # the declared weights no longer describe these values
    for speaker, names in observed.personas.items():
        personas[speaker] = [
            *personas.get(speaker, []),
            *(n for n in names if n not in personas.get(speaker, [])),
        ]
    return Space(conditions=conditions, weights=weights, personas=personas, source=source)


def _observed_space(t: _Tally) -> Space:
    conditions: dict[str, list[str]] = defaultdict(list)
    for key, value in t.finished_by_value:
        conditions[key].append(value)
    personas: dict[str, list[str]] = defaultdict(list)
    for used in t.personas:
        for speaker, name in used.items():
            if name not in personas[speaker]:
                personas[speaker].append(name)
    return Space(
        conditions={k: sorted(v) for k, v in conditions.items()},
        weights={k: None for k in conditions},
        personas=dict(personas),
        source="observed",
    )


def _usage_of(values: Sequence[str], used: Sequence[str], k: int) -> dict[str, Any]:
    counts = Counter(used)
    return {
        "counts": {v: counts[v] for v in values},
        "entropy": metrics.normalized_entropy([counts[v] for v in values], k=k),
        "unused": [v for v in values if counts[v] == 0],
    }


def _coverage(t: _Tally, space: Space) -> dict[str, Any]:
    conditions = {}
    for key, values in space.conditions.items():
        entry = _usage_of(values, [c.get(key, "") for c in t.conditions], len(values))
        weights = space.weights.get(key)
        if weights:
            entry["target_entropy"] = metrics.normalized_entropy(weights, k=len(values))
            entry["target_share"] = {
                v: w / sum(weights) for v, w in zip(values, weights, strict=True)
            }
        entry["acceptance_rate"] = {
            v: (entry["counts"][v] / n if (n := t.finished_by_value[(key, v)]) else None)
            for v in values
        }
        conditions[key] = entry
    personas = {
        speaker: _usage_of(names, [p.get(speaker, "") for p in t.personas], len(names))
        for speaker, names in space.personas.items()
    }
    keys = list(space.conditions)
    possible = math.prod(len(v) for v in space.conditions.values()) if keys else 0
    seen = len({tuple(c.get(k) for k in keys) for c in t.conditions}) if keys else 0
    listable = 0 < possible <= 1_000_000  # listing walks every combination
    missing = metrics.missing_combinations(t.conditions, space.conditions) if listable else []
    return {
        "values_from": space.source,
        "conditions": conditions,
        "personas": personas,
        "combinations": {
            "possible": possible,
            "seen": seen,
            "missing_count": possible - seen,
            "missing": missing[:MAX_LISTED],
        },
    }


def _price(
    spec: str, config: Mapping[str, Any], prices: Mapping[str, tuple[float, float]]
) -> tuple[float, float] | None:
    """USD per million (input, output) tokens: --price, else the scenario's, else free locally."""
    if spec in prices:
        return prices[spec]
    if "price_input" in config or "price_output" in config:
        return (config.get("price_input", 0.0), config.get("price_output", 0.0))
    return (0.0, 0.0) if spec in FREE_SPECS else None


def _cost(
    t: _Tally, manifest: Mapping[str, Any], prices: Mapping[str, tuple[float, float]]
) -> dict[str, Any]:
    accepted = t.statuses["accepted"]
    models = manifest.get("models") or {}
    default_spec = (models.get("default") or {}).get("spec", "local")
    roles: dict[str, Any] = {}
    total_usd: float | None = 0.0
    unpriced: list[str] = []
    for role, counts in sorted(t.usage.items()):
        config = models.get(role) or models.get("default") or {}
        spec = config.get("spec", default_spec)
        entry: dict[str, Any] = {
            "model": spec,
            **{k: counts[k] for k in ("calls", "input_tokens", "output_tokens", "total_tokens")},
            "tokens_per_accepted": counts["total_tokens"] / accepted if accepted else None,
        }
        price = _price(spec, config, prices)
        if price is not None:
            price_in, price_out = price
            entry["usd"] = (
                counts["input_tokens"] * price_in + counts["output_tokens"] * price_out
            ) / 1e6
            if total_usd is not None:
                total_usd += entry["usd"]
        else:
            entry["usd"] = None
            total_usd = None
            unpriced.append(spec)
        roles[role] = entry
    tokens = sum(c["total_tokens"] for c in t.usage.values())
    return {
        "tokens": tokens,
        "tokens_per_accepted": tokens / accepted if accepted else None,
        "usd": total_usd,
        "usd_per_accepted": total_usd / accepted if accepted and total_usd is not None else None,
        "unpriced_models": sorted(set(unpriced)),
        "roles": roles,
    }


def evaluate(
    run: RunDir,
    *,
    seed: int = 0,
    prices: Mapping[str, tuple[float, float]] | None = None,
    max_pairs: int = 100_000,
    bleu_sample: int = 500,
    embed: bool = False,
    downstream: str | None = None,
    test_file: str | None = None,
) -> dict[str, Any]:
    """The whole evaluation report of one run directory, as a JSON-ready dict."""
    started = time.perf_counter()
    t = _tally(run)
    statuses = {s: t.statuses[s] for s in ("accepted", "rejected", "failed")}
    finished = sum(statuses.values())
    if finished == 0:
        raise UsageError(f"{run.path}: the run has no finished samples to evaluate")
    counts = run.manifest.get("counts") or {}
    observed = _observed_space(t)
    report: dict[str, Any] = {
        "run": str(run.path),
        "scenario": run.manifest.get("scenario"),
        "samples": {"planned": counts.get("planned", finished), **statuses},
        "faithfulness": _faithfulness(t, finished),
        "diversity": _diversity(t, seed, max_pairs, bleu_sample, embed),
        "coverage": _coverage(t, declared_space(run, observed) or observed),
        "cost": _cost(t, run.manifest, prices or {}),
    }
    scenario = load_scenario(run)
    data = scenario.seed_data() if scenario is not None and scenario.seed is not None else None
    if (seed := seed_report(run.records(), len(data) if data is not None else None)) is not None:
        report["seed"] = seed  # acceptance and coverage per seed record and column
    from rolegraph.outputs.tool_eval import tool_use

    if (tools := tool_use(run)) is not None:
        report["tools"] = tools
    if downstream is not None:
        report["downstream"] = downstream_accuracy(run, downstream, seed=seed, test_file=test_file)
    elif test_file is not None:
        raise UsageError("--test goes with --downstream CONDITION")
    report["seconds"] = round(time.perf_counter() - started, 3)
    return report


def read_labelled(path: str, condition: str) -> tuple[list[str], list[str]]:
    """A user's labelled JSONL: each line has the dialogue as `text` or OpenAI `messages`
    (system messages are skipped), and the label as `label` or `conditions[CONDITION]`."""
    texts, labels = [], []
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UsageError(f"--test {path}: cannot read: {exc.strerror}") from None
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UsageError(f"{path}:{number}: not a JSON line ({exc.msg})") from None
        text = row.get("text") if isinstance(row, dict) else None
        if text is None and isinstance(row, dict) and isinstance(row.get("messages"), list):
            text = "\n".join(
                str(m.get("content", "")) for m in row["messages"] if m.get("role") != "system"
            )
        label = (
            row.get("label", (row.get("conditions") or {}).get(condition))
            if isinstance(row, dict)
            else None
        )
        if not text or label is None:
            raise UsageError(
                f"{path}:{number}: needs the dialogue ('text' or 'messages') and its label "
                f"('label' or 'conditions.{condition}')"
            )
        texts.append(str(text))
        labels.append(str(label))
    if not texts:
        raise UsageError(f"--test {path}: the file has no examples")
    return texts, labels


def downstream_accuracy(
    run: RunDir, condition: str, *, folds: int = 5, seed: int = 0, test_file: str | None = None
) -> dict[str, Any]:
    """How well the accepted dialogues' words predict `condition` (see
    `metrics.condition_predictability`); the system prompt, which names it, is left out."""
    texts, labels = [], []
    known: set[str] = set()
    for record in run.records("accepted"):
        conditions = record.get("conditions") or {}
        known.update(conditions)
        if condition in conditions:
            texts.append("\n".join(dialogue_turns(record)))
            labels.append(str(conditions[condition]))
    if not texts:
        raise UsageError(
            f"--downstream {condition}: no accepted sample has that condition "
            f"(conditions: {', '.join(sorted(known)) or 'none'})"
        )
    try:
        if test_file is not None:
            test_texts, test_labels = read_labelled(test_file, condition)
            return {
                "condition": condition,
                "test_file": test_file,
                **metrics.transfer_accuracy(texts, labels, test_texts, test_labels),
            }
        return {
            "condition": condition,
            **metrics.condition_predictability(texts, labels, folds, seed),
        }
    except ValueError as exc:
        raise UsageError(f"--downstream {condition}: {exc}") from None


def parse_prices(items: Sequence[str]) -> dict[str, tuple[float, float]]:
    """`SPEC=IN,OUT` (USD per million input / output tokens) into {spec: (in, out)}."""
    prices = {}
    for item in items:
        spec, _, pair = item.rpartition("=")
        parts = pair.split(",")
        try:
            if not spec or len(parts) != 2:
                raise ValueError
            prices[spec] = (float(parts[0]), float(parts[1]))
        except ValueError:
            raise UsageError(
                f"--price {item!r}: expected SPEC=IN,OUT in USD per million tokens, "
                "e.g. openai:gpt-4o-mini=0.15,0.60"
            ) from None
    return prices
