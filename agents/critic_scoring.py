"""The critic model's judgment: one call for the whole rubric or one per criterion, and its scores.

Two ways to read a score (`critic.scoring`):
- `stated` (default): the whole number the model wrote.
- `geval`: the probability-weighted mean over 1-5 of the score token (G-Eval, Liu et al.
  2023), from the log-probabilities the server returns (`logprobs`/`top_logprobs` in OpenAI
  chat completions; the embedded model reads them from llama.cpp's logits). A score the
  reply carries no probabilities for keeps its stated value.

This module asks the model only; the deterministic checks and the final decision are the
critic's (`agents.critic.combine`).
"""

from __future__ import annotations

import asyncio
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from agents.context import Criterion, RunContext
from agents.critic_prompt import (
    DECISIONS,
    SCORES,
    call_rng,
    criterion_messages,
    criterion_schema,
    critic_messages,
    report_schema,
    shuffled,
)
from agents.state import CheckFinding, Decision, SampleState
from agents.structured import ask_structured_reply

MODES = ("single", "per_criterion")
SCORINGS = ("stated", "geval")
TOP_LOGPROBS = 20  # the most OpenAI accepts; enough for the five digits to appear
_DIGIT = re.compile(r"^(\D*?)([1-5])(?!\d)")
_KEY_BEFORE = re.compile(r'(?<!\\)"([A-Za-z_][A-Za-z0-9_]*)"\s*:\s*$')


class ModelReport(BaseModel):
    """What the critic model said about one dialogue, before any check is applied."""

    model_config = ConfigDict(extra="forbid")

    rationale: str
    scores: dict[str, int | float] = Field(description="Per criterion: stated, or G-Eval mean.")
    evidence: list[str] = Field(default_factory=list)
    flagged_turns: list[int] = Field(default_factory=list)
    overall: float = Field(ge=1, le=5)
    decision: Decision
    scoring: str = Field(default="stated", description="'stated', or 'geval' when it applied.")


def geval_mean(probs: Mapping[int, float]) -> float | None:
    """The probability-weighted mean score over 1-5, renormalised; None without any mass."""
    mass = sum(p for s, p in probs.items() if s in SCORES)
    if mass <= 0:
        return None
    return round(sum(s * p for s, p in probs.items() if s in SCORES) / mass, 3)


def score_distributions(logprobs: Any) -> dict[str, dict[int, float]]:
    """Per JSON key, the probabilities of 1-5 at the token where its value was written.

    `logprobs` is a chat completion choice's `logprobs` (`{"content": [{token, logprob,
    top_logprobs: [{token, logprob}]}]}`). A key's value starts at the first token after
    `"key":` that begins with a digit; its alternatives that are the same digit-shaped token
    with another digit give the distribution. The last occurrence of a key wins.
    """
    content = (logprobs or {}).get("content") if isinstance(logprobs, Mapping) else None
    out: dict[str, dict[int, float]] = {}
    text = ""
    for item in content or []:
        token = str(item.get("token", ""))
        match = _DIGIT.match(token)
        if match:
            key = _KEY_BEFORE.search(text + match.group(1))
            if key:
                probs: dict[int, float] = {}
                alternatives = item.get("top_logprobs") or [item]
                for alt in alternatives:
                    m = _DIGIT.match(str(alt.get("token", "")))
                    if m and m.group(1).strip() == match.group(1).strip():
                        digit = int(m.group(2))
                        probs[digit] = probs.get(digit, 0.0) + math.exp(float(alt["logprob"]))
                if probs:
                    out[key.group(1)] = probs
        text += token
    return out


def reply_distributions(raw: Any) -> dict[str, dict[int, float]]:
    """The score distributions a reply carries: precomputed by the model, or from its logprobs."""
    meta = getattr(raw, "response_metadata", None) or {}
    given = meta.get("score_distributions")
    if given:
        return {k: {int(d): float(p) for d, p in v.items()} for k, v in given.items()}
    return score_distributions(meta.get("logprobs"))


def _request(scoring: str) -> dict[str, Any]:
    return {"logprobs": True, "top_logprobs": TOP_LOGPROBS} if scoring == "geval" else {}


def _weighted(stated: int, dist: Mapping[int, float] | None) -> int | float:
    mean = geval_mean(dist) if dist else None
    return stated if mean is None else mean


async def _single(
    state: SampleState, ctx: RunContext, scoring: str, role: str, checks: Sequence[CheckFinding]
) -> ModelReport:
    rng = call_rng(state)
    order = shuffled(SCORES, rng)
    decisions = shuffled(DECISIONS, rng)
    schema = report_schema(
        tuple(c.name for c in ctx.rubric), len(state.get("turns") or []), order, decisions
    )
    report, raw = await ask_structured_reply(
        ctx.model_for(role),
        schema,
        critic_messages(state, ctx, rng=rng, decisions=decisions, checks=checks),
        retries=ctx.structured_retries,
        request=_request(scoring),
    )
    dists = reply_distributions(raw) if scoring == "geval" else {}
    scores = {
        c.name: _weighted(int(getattr(report.scores, c.name)), dists.get(c.name))
        for c in ctx.rubric
    }
    return ModelReport(
        rationale=report.rationale,
        scores=scores,
        evidence=list(report.evidence),
        flagged_turns=list(report.flagged_turns),
        overall=float(_weighted(int(report.overall), dists.get("overall"))),
        decision=report.decision,
        scoring="geval" if any(c.name in dists for c in ctx.rubric) else "stated",
    )


async def _one_criterion(
    state: SampleState,
    ctx: RunContext,
    criterion: Criterion,
    scoring: str,
    role: str,
    checks: Sequence[CheckFinding],
) -> tuple[BaseModel, dict[int, float] | None]:
    rng = call_rng(state, criterion.name)
    schema = criterion_schema(len(state.get("turns") or []), shuffled(SCORES, rng))
    report, raw = await ask_structured_reply(
        ctx.model_for(role),
        schema,
        criterion_messages(state, ctx, criterion, rng=rng, checks=checks),
        retries=ctx.structured_retries,
        request=_request(scoring),
    )
    return report, (reply_distributions(raw).get("score") if scoring == "geval" else None)


async def _per_criterion(
    state: SampleState, ctx: RunContext, scoring: str, role: str, checks: Sequence[CheckFinding]
) -> ModelReport:
    replies = await asyncio.gather(
        *(_one_criterion(state, ctx, c, scoring, role, checks) for c in ctx.rubric)
    )
    scores = {
        c.name: _weighted(int(r.score), dist)  # type: ignore[attr-defined]
        for c, (r, dist) in zip(ctx.rubric, replies, strict=True)
    }
    total = sum(c.weight for c in ctx.rubric)
    overall = round(sum(scores[c.name] * c.weight for c in ctx.rubric) / total, 3)
    return ModelReport(
        rationale="\n".join(
            f"{c.name}: {r.rationale}"  # type: ignore[attr-defined]
            for c, (r, _) in zip(ctx.rubric, replies, strict=True)
        ),
        scores=scores,
        evidence=[q for r, _ in replies for q in r.evidence],  # type: ignore[attr-defined]
        flagged_turns=sorted({t for r, _ in replies for t in r.flagged_turns}),  # type: ignore[attr-defined]
        overall=overall,
        # asked per criterion, the model states no decision: its scores against the bar are one
        decision="accept" if overall >= ctx.threshold else "revise",
        scoring="geval" if any(d for _, d in replies) else "stated",
    )


async def model_report(
    state: SampleState,
    ctx: RunContext,
    role: str = "critic",
    checks: Sequence[CheckFinding] = (),
) -> ModelReport:
    """Ask `role`'s model about the dialogue in `state`, as `ctx.critic_mode` and scoring say.

    `checks` (the deterministic findings) are shown to the model as evidence; the canary
    check passes none, so that it measures the model alone.
    """
    if ctx.critic_mode == "per_criterion":
        return await _per_criterion(state, ctx, ctx.critic_scoring, role, checks)
    return await _single(state, ctx, ctx.critic_scoring, role, checks)
