"""Filters at acceptance time: the dataset-level gate after the critic (scenario `filters`).

The critic judges one dialogue; filters judge it against the bounds of the data set and
against what the run has already accepted: turn and length bounds, empty turns, repetition
loops, speakers swapping roles, and near-duplicates (MinHash + LSH, `rolegraph.curate.dedup`).

A sample an accepting critic (or a reviewer) passed but a filter refuses is stored as
**rejected**, so `planned = accepted + rejected + failed` still holds: its record gets a
`filter` field (`{"name": ..., "reason": ...}`, plus `duplicate_of` and `similarity` for a
near-duplicate) and a `"filtered: <reason>"` entry first in `reasons`. The duplicate index
lives in the runner process, holds signatures only, and is rebuilt from the run store's
accepted records when a run resumes.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from agents.checks import first_name
from rolegraph.curate.dedup import DuplicateIndex
from rolegraph.outputs.metrics import jaccard, ngrams, shingles, tokenize
from rolegraph.scenario.schema import Scenario
from rolegraph.scenario.sections import FilterSpec

_SELF_INTRO = re.compile(
    r"(?i:\bmy name is|\bi am|\bi'm|\bi’m|^this is|^hi,? this is|\bcall me)\s+([A-Z][a-z]+)\b",
    re.M,
)
_STAGE = re.compile(r"\([^)]*\)|\*[^*]*\*")


@dataclass(frozen=True)
class Refusal:
    """Why a filter refused a sample."""

    name: str  # the filter: near_duplicate, turns, words, repetition, role_swap, empty_turns
    reason: str
    extra: Mapping[str, Any] | None = None


def dialogue_turns(record: Mapping[str, Any], speakers: list[str], assistant: str) -> list[dict]:
    """The (speaker, text) turns of a stored record, read back from its chat `messages`."""
    others = [s for s in speakers if s != assistant]
    turns = []
    for message in record.get("messages", [])[1:]:
        speaker = message.get("name") or (
            assistant if message["role"] == "assistant" else (others[0] if others else "user")
        )
        turns.append({"speaker": speaker, "text": str(message.get("content") or "")})
    return turns


class Filters:
    """The scenario's filters, with the near-duplicate index of the run's accepted samples."""

    def __init__(self, scenario: Scenario, spec: FilterSpec | None = None) -> None:
        self.spec = spec if spec is not None else scenario.filters or FilterSpec()
        self.speakers = scenario.speaker_names
        self.assistant = scenario.assistant
        nd = self.spec.near_duplicate
        self.index = DuplicateIndex(nd.threshold, nd.num_perm, nd.ngram) if nd else None

    @property
    def active(self) -> bool:
        s = self.spec
        return bool(s.near_duplicate or s.turns or s.words or s.repetition or s.role_swap) or bool(
            s.empty_turns
        )

    def rebuild(self, accepted: Iterable[tuple[str, str]]) -> int:
        """Index the accepted records (sample_id, record JSON) of a resumed run; returns how many."""
        if self.index is None:
            return 0
        for sample_id, text in accepted:
            turns = dialogue_turns(json.loads(text), self.speakers, self.assistant)
            self.index.add(sample_id, self.index.hasher.signature(t["text"] for t in turns))
        return len(self.index)

    def check(self, sample_id: str, record: Mapping[str, Any]) -> Refusal | None:
        """The first filter that refuses the sample; None when it passes (and is now indexed)."""
        turns = dialogue_turns(record, self.speakers, self.assistant)
        for refusal in (
            self._empty(turns),
            self._bounds(turns),
            self._repetition(turns),
            self._role_swap(turns, record.get("personas") or {}),
        ):
            if refusal is not None:
                return refusal
        if self.index is not None:  # last: only samples that pass everything else are indexed
            hit = self.index.check_and_add(sample_id, (t["text"] for t in turns))
            if hit is not None:
                other, score = hit
                return Refusal(
                    "near_duplicate",
                    f"near-duplicate of sample {other} (estimated Jaccard {score:.2f})",
                    {"duplicate_of": other, "similarity": round(score, 3)},
                )
        return None

    def apply(self, sample_id: str, status: str, record: dict[str, Any]) -> tuple[str, dict]:
        """(status, record) after the filters: an accepted sample a filter refuses is rejected."""
        if status != "accepted" or not self.active:
            return status, record
        refusal = self.check(sample_id, record)
        if refusal is None:
            return status, record
        return "rejected", {
            **record,
            "status": "rejected",
            "filter": {"name": refusal.name, "reason": refusal.reason, **(refusal.extra or {})},
            "reasons": [f"filtered: {refusal.reason}", *record.get("reasons", [])],
        }

    # -- the filters ---------------------------------------------------------------------
    def _empty(self, turns: list[dict]) -> Refusal | None:
        if not self.spec.empty_turns:
            return None
        for i, turn in enumerate(turns):
            if not any(ch.isalpha() for ch in _STAGE.sub("", turn["text"])):
                return Refusal("empty_turns", f"turn {i} ({turn['speaker']}) says nothing")
        return None

    def _bounds(self, turns: list[dict]) -> Refusal | None:
        for name, value in (
            ("turns", len(turns)),
            ("words", sum(len(t["text"].split()) for t in turns)),
        ):
            bounds = getattr(self.spec, name)
            if bounds is None:
                continue
            if bounds.min is not None and value < bounds.min:
                return Refusal(name, f"{value} {name}, fewer than the minimum {bounds.min}")
            if bounds.max is not None and value > bounds.max:
                return Refusal(name, f"{value} {name}, more than the maximum {bounds.max}")
        return None

    def _repetition(self, turns: list[dict]) -> Refusal | None:
        spec = self.spec.repetition
        if spec is None:
            return None
        repeated = 0
        seen: list[frozenset[str]] = []
        for i, turn in enumerate(turns):
            tokens = tokenize(turn["text"])
            counts = Counter(ngrams(tokens, spec.ngram))
            if counts:
                gram, n = counts.most_common(1)[0]
                if n > spec.max_ngram_repeats:
                    return Refusal(
                        "repetition", f"turn {i} loops: '{' '.join(gram)}' said {n} times"
                    )
            current = shingles([tokens])
            if len(tokens) >= 2 and any(jaccard(current, s) >= 0.8 for s in seen):
                repeated += 1
                if repeated > spec.max_repeated_turns:
                    return Refusal(
                        "repetition",
                        f"{repeated} turns repeat an earlier one (most allowed: {spec.max_repeated_turns})",
                    )
            if len(tokens) >= 2:
                seen.append(current)
        return None

    def _role_swap(self, turns: list[dict], personas: Mapping[str, Any]) -> Refusal | None:
        if not self.spec.role_swap:
            return None
        names = {s: first_name(str(p.get("name", ""))) for s, p in personas.items()}
        labels = {s.lower(): s for s in personas} | {n.lower(): s for s, n in names.items() if n}
        for i, turn in enumerate(turns):
            me = turn["speaker"]
            for match in _SELF_INTRO.finditer(turn["text"]):
                owner = labels.get(match.group(1).lower())
                if owner is not None and owner != me:
                    return Refusal(
                        "role_swap", f"turn {i}: {me} speaks as {owner} ('{match.group(0)}')"
                    )
            for line in turn["text"].splitlines():
                label = line.split(":", 1)[0].strip().lower() if ":" in line else ""
                owner = labels.get(label)
                if owner is not None and owner != me:
                    return Refusal("role_swap", f"turn {i}: {me} writes a line for {owner}")
        return None
