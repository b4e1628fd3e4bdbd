"""G-Eval on the embedded model: llama.cpp's logits give each score a distribution over 1-5."""

from __future__ import annotations

import pytest

from agents.critic_prompt import SCORES, call_rng, critic_messages, report_schema, shuffled
from agents.critic_scoring import TOP_LOGPROBS, geval_mean
from agents.structured import ask_structured_reply
from rolegraph.curate.plan import initial_state, plan_sample
from rolegraph.models.specs import build_models, role_configs
from rolegraph.run.options import build_context
from rolegraph.scenario.schema import Scenario

pytestmark = pytest.mark.embedded


async def test_the_embedded_critic_gives_a_distribution_for_every_score(outage: Scenario):
    models = build_models(role_configs(outage, ["critic"]), 7)
    ctx = build_context(outage, models)
    state = initial_state(outage, plan_sample(outage, 0, 7))
    state["turns"] = [
        {"speaker": "customer", "text": "Is my internet down?"},
        {"speaker": "agent", "text": "Yes. Repair crews expect service back by 3:00 pm."},
    ]
    rng = call_rng(state)
    names = tuple(c.name for c in outage.critic.rubric)
    schema = report_schema(names, 2, shuffled(SCORES, rng))
    report, raw = await ask_structured_reply(
        models["critic"],
        schema,
        critic_messages(state, ctx, rng=rng),
        request={"logprobs": True, "top_logprobs": TOP_LOGPROBS},
    )
    found = raw.response_metadata["score_distributions"]
    for name in (*names, "overall"):
        dist = found[name]
        assert set(dist) == set(SCORES) and sum(dist.values()) == pytest.approx(1.0)
        stated = getattr(report.scores, name) if name != "overall" else report.overall
        # at temperature 0.1 the written digit is the most probable one
        assert max(dist, key=dist.get) == stated, (name, dist, stated)
        assert 1 <= geval_mean(dist) <= 5
