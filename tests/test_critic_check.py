"""The critic model's prompt gives nothing to copy, G-Eval scoring, canaries and the sanity check."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from langchain_core.messages import BaseMessage

from agents.canaries import build_canaries, contradict, negate
from agents.critic_prompt import SCORES, call_rng, critic_messages, report_schema, shuffled
from agents.critic_scoring import geval_mean, model_report, score_distributions
from bench.mock_server import MockConfig, serve_in_thread
from rolegraph.cli import main
from rolegraph.curate.plan import initial_state, plan_sample
from rolegraph.models.openai_compat import OpenAICompatChat
from rolegraph.run.canary import check_critic
from rolegraph.run.options import RunOptions, build_context
from rolegraph.run.runner import run_scenario
from rolegraph.scenario.schema import Scenario
from tests.conftest import SCENARIOS, scripted_models


def _state(scenario: Scenario, seed: int = 7) -> dict[str, Any]:
    state = initial_state(scenario, plan_sample(scenario, 0, seed))
    state["turns"] = [
        {"speaker": "customer", "text": "Is the internet down?"},
        {"speaker": "agent", "text": "Repair crews expect service back by 3:00 pm."},
    ]
    return state  # type: ignore[return-value]


def _prompt(messages: Sequence[BaseMessage]) -> str:
    return "\n".join(str(m.content) for m in messages)


# -- the prompt: nothing to copy ----------------------------------------------------------


def test_the_prompt_shows_no_enumerated_scores_and_no_filled_example(outage: Scenario):
    ctx = build_context(outage, scripted_models())
    text = _prompt(critic_messages(_state(outage), ctx))
    assert "1|2|3|4|5" not in text and "|" not in text
    assert not re.search(r'"\w+"\s*:\s*\d', text), "no JSON example with a filled value"
    assert not re.search(r"\b1\D{0,6}2\D{0,6}3\D{0,6}4\D{0,6}5\b", text), "no 1-5 list"
    # the rationale is asked for before the scores
    assert text.index("- rationale:") < text.index("- scores:") < text.index("- overall:")


def test_scale_anchors_and_enum_orders_are_drawn_per_call_and_reproducible(outage: Scenario):
    ctx = build_context(outage, scripted_models())
    anchors, enums = set(), set()
    for seed in range(60):
        state = {**_state(outage), "seed": seed}
        text = _prompt(critic_messages(state, ctx))
        scale = text.rsplit("five-point scale, where ", 1)[1]
        anchors.add(tuple(re.findall(r"\b([135]) means", scale)))
        order = shuffled(SCORES, call_rng(state))
        assert sorted(order) == list(SCORES)
        enums.add(order)
        again = _prompt(critic_messages(state, ctx))
        assert again == text, "the same sample and draft get the same prompt"
    assert len(anchors) == 6, anchors  # every order of the three anchors occurs
    assert len(enums) == 10  # each rotation of 1-5, read either way
    assert {order[0] for order in enums} == set(SCORES)  # any score can come first
    schema = report_schema(("faithfulness",), 2, (3, 5, 1, 4, 2))
    enum = schema.model_json_schema()["$defs"]["Scores"]["properties"]["faithfulness"]["enum"]
    assert enum == [3, 5, 1, 4, 2]


def test_a_revised_draft_is_asked_with_a_new_order(outage: Scenario):
    state = _state(outage)
    orders = {shuffled(SCORES, call_rng({**state, "revisions": r})) for r in range(8)}
    assert len(orders) > 1


# -- G-Eval ---------------------------------------------------------------------------------


def test_geval_mean_is_the_probability_weighted_mean_renormalised():
    assert geval_mean({1: 0.1, 2: 0.2, 5: 0.7}) == pytest.approx(0.1 + 0.4 + 3.5)
    assert geval_mean({4: 0.3, 2: 0.1}) == pytest.approx((1.2 + 0.2) / 0.4, abs=1e-3)
    assert geval_mean({}) is None


def test_score_distributions_find_the_value_token_of_each_key():
    def tok(t: str, alts: dict[str, float] | None = None) -> dict[str, Any]:
        top = [{"token": k, "logprob": math.log(p)} for k, p in (alts or {t: 1.0}).items()]
        return {"token": t, "logprob": top[0]["logprob"], "top_logprobs": top}

    content = [
        tok('{"'), tok("rationale"), tok('":'), tok(' "'), tok("ok 3 times"), tok('",'),
        tok(' "'), tok("faithfulness"), tok('":'), tok(" 4", {" 4": 0.6, " 2": 0.3, " x": 0.1}),
        tok(","), tok(' "persona":'), tok("5", {"5": 0.5, "1": 0.5}), tok("}"),
    ]  # fmt: skip
    dists = score_distributions({"content": content})
    assert set(dists) == {"faithfulness", "persona"}  # the digit inside the rationale is no score
    assert dists["faithfulness"] == pytest.approx({4: 0.6, 2: 0.3})
    assert geval_mean(dists["persona"]) == pytest.approx(3.0)


@pytest.mark.parametrize("mode", ["single", "per_criterion"])
async def test_geval_scores_come_from_the_logprobs_of_a_real_http_server(
    outage: Scenario, mode: str
):
    digits = {"1": 0.1, "2": 0.2, "5": 0.7}
    expected = sum(int(d) * p for d, p in digits.items()) / sum(digits.values())
    spec = ",".join(f"{d}:{p}" for d, p in digits.items())
    config = MockConfig(logprobs=True, digit_logprobs=spec)
    outage.critic.scoring, outage.critic.mode = "geval", mode  # type: ignore[assignment]
    with serve_in_thread(config) as server:
        model = OpenAICompatChat(model="mock-model", base_url=server.base_url)
        ctx = build_context(outage, {"default": model, "critic": model})
        report = await model_report(_state(outage), ctx)
        await model.aclose()
        asked = list(server.stats.last_requests)
    assert all(r.get("logprobs") is True and r.get("top_logprobs") == 20 for r in asked)
    assert len(asked) == (1 if mode == "single" else len(outage.critic.rubric))
    assert report.scoring == "geval"
    assert report.scores == {
        c.name: pytest.approx(expected, abs=1e-3) for c in outage.critic.rubric
    }


async def test_stated_scoring_asks_for_no_logprobs_and_keeps_whole_numbers(outage: Scenario):
    with serve_in_thread(MockConfig(logprobs=True, digit_logprobs="2:0.5,4:0.5")) as server:
        model = OpenAICompatChat(model="mock-model", base_url=server.base_url)
        report = await model_report(_state(outage), build_context(outage, {"default": model}))
        await model.aclose()
        asked = list(server.stats.last_requests)
    assert all("logprobs" not in r for r in asked)
    assert report.scoring == "stated"
    assert all(isinstance(v, int) for v in report.scores.values())


async def test_geval_without_logprobs_from_the_server_keeps_the_stated_scores(outage: Scenario):
    outage.critic.scoring = "geval"  # type: ignore[assignment]
    with serve_in_thread(MockConfig(logprobs=False)) as server:
        model = OpenAICompatChat(model="mock-model", base_url=server.base_url)
        check = await check_critic(outage, {"default": model}, model_label="openai:mock-model")
        await model.aclose()
    assert not check.geval_applied
    assert "no log-probabilities" in check.message


# -- canaries ---------------------------------------------------------------------------------


def test_canaries_plant_one_defect_each_in_the_scenarios_own_facts(outage: Scenario):
    state = initial_state(outage, plan_sample(outage, 0, 7))
    canaries = {
        c.kind: c
        for c in build_canaries(
            outage.all_facts(), state["speakers"], state["personas"], outage.assistant
        )
    }
    assert list(canaries) == ["faithful", "contradiction", "negation", "persona_break"]
    faithful = " ".join(t["text"] for t in canaries["faithful"].turns)
    used = canaries["faithful"].facts_used
    assert all(fact in faithful for fact in used)
    for kind in ("contradiction", "negation"):
        text = " ".join(t["text"] for t in canaries[kind].turns)
        assert sum(fact not in text for fact in used) == 1, kind  # exactly one fact changed
    old, new = canaries["contradiction"].planted.split(" -> ")
    assert new in " ".join(t["text"] for t in canaries["contradiction"].turns) and old != new
    broken = canaries["persona_break"].turns[1]
    assert broken["speaker"] == outage.assistant and "AI language model" in broken["text"]
    names = {t["speaker"] for c in canaries.values() for t in c.turns}
    assert names == {"customer", "agent"}


@pytest.mark.parametrize(
    ("fact", "changed"),
    [
        ("Service is back by 3:00 pm.", "5:00"),
        ("The fee is $15 a month.", "$30"),
        ("The visit is on Thursday.", "Sunday"),
        ("The clinic is in Northgate.", "Westbrook"),
    ],
)
def test_contradict_changes_one_value(fact: str, changed: str):
    out = contradict(fact)
    assert out is not None and changed in out[0] and out[0] != fact


@pytest.mark.parametrize(
    ("fact", "negated"),
    [
        ("The cause is a cut cable.", "The cause is not a cut cable."),
        ("There is no fee.", "There is a fee."),
        ("Customers can follow updates.", "Customers cannot follow updates."),
        ("Refunds are not possible.", "Refunds are possible."),
    ],
)
def test_negate_asserts_the_opposite(fact: str, negated: str):
    assert negate(fact) == negated


def test_without_facts_only_the_persona_break_is_planted():
    personas = {"a": {"name": "Ann", "role": "client"}, "b": {"name": "Bo", "role": "clerk"}}
    kinds = [c.kind for c in build_canaries([], ["a", "b"], personas, "b")]
    assert kinds == ["faithful", "persona_break"]


# -- the check before a run ---------------------------------------------------------------------


def constant_critic(role: str, messages: Sequence[BaseMessage]) -> dict[str, Any]:
    """A critic that writes 1 for everything, like SmolLM2 copying the first option."""
    names = ("faithfulness", "persona", "quality")
    return {
        "rationale": "fine",
        "scores": dict.fromkeys(names, 1),
        "evidence": [],
        "flagged_turns": [],
        "overall": 1,
        "decision": "accept",
    }


def reading_critic(role: str, messages: Sequence[BaseMessage]) -> dict[str, Any]:
    """A critic that reads: a sentence with a value or a 'not' must be a grounding fact."""
    prompt = _prompt(messages)
    facts = re.findall(r"^\d+\. (.+)$", prompt.split("Grounding facts:\n", 1)[1], re.M)
    dialogue = prompt.split("Dialogue:\n", 1)[1].split("\n\n", 1)[0]
    said = [re.sub(r"^\[\d+\] [^:]+: ", "", line) for line in dialogue.splitlines()]
    sentences = [s for line in said for s in re.split(r"(?<=[.?!])\s+(?=[A-Z])", line)]
    claims = [s for s in sentences if re.search(r"\d|\bnot\b", s)]
    faithful = all(any(s.rstrip(".") in f for f in facts) for s in claims)
    in_role = "AI language model" not in dialogue
    scores = {"faithfulness": 5 if faithful else 2, "persona": 5 if in_role else 1, "quality": 4}
    return {
        "rationale": "read it",
        "scores": scores,
        "evidence": [],
        "flagged_turns": [],
        "overall": min(scores.values()),
        "decision": "accept" if faithful and in_role else "revise",
    }


def _run(scenario: Scenario, tmp_path: Path, script: Any, check: bool | None) -> dict[str, Any]:
    options = RunOptions(
        out=tmp_path / "run",
        samples=1,
        quiet=True,
        models=scripted_models(critic=script),
        critic_check=check,
    )
    import asyncio

    asyncio.run(run_scenario(scenario, options))
    return json.loads((tmp_path / "run" / "manifest.json").read_text())


def test_a_constant_critic_warns_at_the_start_and_is_recorded_in_the_manifest(
    outage: Scenario, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    manifest = _run(outage, tmp_path, constant_critic, True)
    err = capsys.readouterr().err
    warning = [line for line in err.splitlines() if line.startswith("warning: critic check")]
    assert len(warning) == 1 and "only the deterministic checks are gating" in warning[0]
    record = manifest["critic_check"]
    assert record["status"] == "no_signal"
    assert record["scores"] == dict.fromkeys(
        ["faithful", "contradiction", "negation", "persona_break"], 1.0
    )
    assert record["usage"]["calls"] == 4  # one call per canary: cheap
    assert record["planted"]["contradiction"] == "7:40 -> 9:40"


def test_a_discriminating_critic_passes_the_check(
    outage: Scenario, tmp_path: Path, capsys: pytest.CaptureFixture[str]
):
    manifest = _run(outage, tmp_path, reading_critic, True)
    assert "warning" not in capsys.readouterr().err
    record = manifest["critic_check"]
    assert record["status"] == "ok", record
    assert record["scores"]["faithful"] > max(
        v for k, v in record["scores"].items() if k != "faithful"
    )


def test_the_check_is_skipped_for_the_scripted_model_and_on_request(
    outage: Scenario, tmp_path: Path
):
    manifest = _run(outage, tmp_path / "auto", constant_critic, None)
    assert manifest["critic_check"]["status"] == "skipped"
    assert "scripted model" in manifest["critic_check"]["message"]
    manifest = _run(outage, tmp_path / "off", constant_critic, False)
    assert manifest["critic_check"]["status"] == "skipped"
    assert "--no-critic-check" in manifest["critic_check"]["message"]
    assert "usage" not in manifest["critic_check"]  # no call was made


def test_a_critic_that_fails_on_the_canaries_does_not_stop_the_run(
    outage: Scenario, tmp_path: Path
):
    calls = {"n": 0}

    def flaky(role: str, messages: Sequence[BaseMessage]) -> Any:
        calls["n"] += 1
        if "Could you tell me where things stand?" in _prompt(messages):  # a canary
            raise RuntimeError("the critic is down")
        return constant_critic(role, messages)

    manifest = _run(outage, tmp_path, flaky, True)
    assert manifest["critic_check"]["status"] == "failed"
    assert "the critic is down" in manifest["critic_check"]["message"]
    assert manifest["counts"]["planned"] == 1 and manifest["status"] == "complete"


def test_per_criterion_mode_asks_once_per_criterion(outage: Scenario, tmp_path: Path):
    outage.critic.mode = "per_criterion"  # type: ignore[assignment]
    seen: list[str] = []

    def per_criterion(role: str, messages: Sequence[BaseMessage]) -> dict[str, Any]:
        name = re.search(r"Criterion to judge: (\w+):", _prompt(messages))
        assert name is not None
        seen.append(name.group(1))
        return {"rationale": "ok", "evidence": [], "flagged_turns": [], "score": 4}

    manifest = _run(outage, tmp_path, per_criterion, True)
    assert manifest["critic_check"]["usage"]["calls"] == 4 * 3
    record = json.loads((tmp_path / "run" / "accepted.jsonl").read_text().splitlines()[0])
    assert record["verdict"]["model_scores"] == {"faithfulness": 4, "persona": 4, "quality": 4}
    assert set(seen) == {"faithfulness", "persona", "quality"}


# -- the command -----------------------------------------------------------------------------


def test_check_critic_command_against_a_constant_server(capsys: pytest.CaptureFixture[str]):
    constant = {
        "rationale": "fine",
        "scores": {"faithfulness": 3, "persona": 3, "quality": 3},
        "evidence": [],
        "flagged_turns": [],
        "overall": 3,
        "decision": "accept",
    }
    with serve_in_thread(MockConfig(responder=lambda req: constant)) as server:
        code = main(
            [
                "check-critic",
                str(SCENARIOS / "support_outage.yaml"),
                "--model",
                "openai:mock-model",
                "--base-url",
                server.base_url,
                "--json",
            ]
        )
        calls = server.stats.requests_total
    body = json.loads(capsys.readouterr().out)
    assert code == 1 and body["status"] == "no_signal" and calls == 4
    assert body["scores"]["faithful"] == 3.0 and body["model"] == "openai:mock-model"


def test_check_critic_command_skips_the_scripted_model(capsys: pytest.CaptureFixture[str]):
    code = main(["check-critic", str(SCENARIOS / "support_outage.yaml"), "--model", "scripted"])
    assert code == 0
    assert "skipped for the scripted model" in capsys.readouterr().out


# -- the embedded model's score probabilities, on a stand-in for llama.cpp --------------------


class _FakeLlama:
    """Tokens are whole strings; enough of llama.cpp's tokenizer for ScoreProbe."""

    def __init__(self) -> None:
        self.vocab = ['{"', "scores", '":', " {", '"', "faithfulness", " ", "1", "2", "3", "4", "5"]

    def tokenize(self, text: bytes, add_bos: bool = True) -> list[int]:
        return [self.vocab.index(text.decode())]

    def detokenize(self, ids: list[int]) -> bytes:
        return "".join(self.vocab[i] for i in ids).encode()


def test_score_probe_keeps_the_digit_probabilities_after_each_key():
    import numpy as np

    from rolegraph.models.local import ScoreProbe

    llama = _FakeLlama()
    probe = ScoreProbe(llama)
    logits = np.zeros(len(llama.vocab), dtype=np.single)
    digits = [llama.vocab.index(d) for d in "12345"]
    logits[digits] = np.log([0.1, 0.1, 0.2, 0.5, 0.1])
    written = [0, 1, 2, 3, 4, 5, 2, 6]  # {"scores": {"faithfulness": and a space
    for end in range(1, len(written) + 1):
        out = probe(np.array(written[:end]), logits.copy())
        assert (out == logits).all()  # it only looks
    assert set(probe.found) == {"scores", "faithfulness"}
    assert probe.found["faithfulness"] == pytest.approx({1: 0.1, 2: 0.1, 3: 0.2, 4: 0.5, 5: 0.1})
    assert geval_mean(probe.found["faithfulness"]) == pytest.approx(3.4)


def test_critic_settings_at_their_defaults_leave_the_scenario_digest_as_before(
    outage: Scenario,
):
    before = outage.digest()
    outage.critic.scoring = "geval"  # type: ignore[assignment]
    changed = outage.digest()
    outage.critic.scoring = "stated"  # type: ignore[assignment]
    assert changed != before and outage.digest() == before


def test_a_geval_run_records_fractional_scores_that_eval_and_report_read(
    outage: Scenario, tmp_path: Path
):
    from rolegraph.outputs.evaluate import evaluate
    from rolegraph.outputs.report import build_report
    from rolegraph.outputs.rundir import open_run

    outage.critic.scoring = "geval"  # type: ignore[assignment]
    config = MockConfig(logprobs=True, digit_logprobs="3:0.5,4:0.5", varied_text=True)
    with serve_in_thread(config) as server:
        options = RunOptions(
            out=tmp_path / "run", samples=2, quiet=True, model="openai:m", base_url=server.base_url
        )
        import asyncio

        asyncio.run(run_scenario(outage, options))
    records = [
        json.loads(line)
        for name in ("accepted.jsonl", "rejected.jsonl")
        if (tmp_path / "run" / name).exists()
        for line in (tmp_path / "run" / name).read_text().splitlines()
    ]
    assert len(records) == 2
    for record in records:
        assert set(record["verdict"]["model_scores"].values()) == {3.5}
    manifest = json.loads((tmp_path / "run" / "manifest.json").read_text())
    assert manifest["critic_check"]["geval_applied"] is True
    assert manifest["critic_check"]["status"] == "no_signal"  # the same 3.5 for every canary
    report = evaluate(open_run(tmp_path / "run"))
    assert report["faithfulness"]["scores"]["faithfulness"]["model"] == pytest.approx(3.5)
    assert build_report(tmp_path / "run").exists()


@pytest.mark.parametrize("mode", ["single", "per_criterion"])
async def test_the_critic_model_sees_the_checks_findings_as_evidence(outage: Scenario, mode: str):
    from agents.critic import Critic

    outage.critic.mode = mode  # type: ignore[assignment]
    state = _state(outage)
    state["turns"][1]["text"] = "Repair crews expect service back by 5:00 pm."  # fact: 3:00 pm
    with serve_in_thread(MockConfig()) as server:
        model = OpenAICompatChat(model="mock-model", base_url=server.base_url)
        ctx = build_context(outage, {"default": model, "critic": model})
        out = await Critic()(state, ctx)  # type: ignore[arg-type]
        clean = {**state, "turns": _state(outage)["turns"]}
        await Critic()(clean, ctx)  # type: ignore[arg-type]
        await model.aclose()
        asked = [json.dumps(r["messages"]) for r in server.stats.last_requests]
    checks = [c for c in out["verdict"]["checks"] if c["severity"] == "error"]
    assert checks and out["verdict"]["decision"] != "accept"
    per_call = len(outage.critic.rubric) if mode == "per_criterion" else 1
    first, second = asked[:per_call], asked[per_call:]
    assert all("Automatic checks found" in a and "contradiction, turn [1]" in a for a in first)
    assert all("5:00 pm" in a for a in first)
    assert not any("Automatic checks found" in a for a in second)  # nothing found, nothing shown
