"""What a run is given and what it gives back, shared by the runner and the executors.

`RunOptions` is what the command line (or `rolegraph.run(...)`) can change, `RunSummary` what a
run produced, and `build_context` the run-wide context the roles see. They live apart from
the runner so that the executors (`processes`, `ray`, `workers`) import them without
importing the runner that imports the executors.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from agents.context import RunContext
from rolegraph.scenario.schema import Scenario
from rolegraph.scenario.sections import ModelConfig

if TYPE_CHECKING:  # `import rolegraph` stays light: LangChain loads when a run starts
    from langchain_core.language_models import BaseChatModel

CHECKPOINTS = "checkpoints.sqlite"


@dataclass
class RunOptions:
    """What the command line can change about a run."""

    out: Path | None = None
    samples: int | None = None
    seed: int | None = None
    concurrency: int | None = None
    model: str | None = None
    base_url: str | None = None
    api_key_env: str | None = None  # the variable holding the key for every openai: model
    quiet: bool = False
    resume: bool = False
    retry_failed: bool = (
        False  # run failed samples again (implies resume); failures kept in history
    )
    force: bool = False
    max_failures: int = 10  # consecutive failures that stop the run (0: never stop)
    max_cost: float | None = None  # USD; no new samples start once it would be passed
    # "step": checkpoint every graph step, so an interrupted sample resumes mid-dialogue;
    # "sample": checkpoint only at the end (~0.2 ms less CPU per model call; an interrupted
    # sample restarts from its first turn). Finished samples are never lost either way.
    checkpoint: str = "step"
    models: dict[str, BaseChatModel] | None = None  # ready-made models (tests, embedding apps)
    executor: str = "local"  # where samples run: "local" (this process), "processes" or "ray"
    workers: int | None = None  # worker processes (executor "processes"); default: one per core
    ray_address: str | None = None  # the Ray cluster to join (executor "ray"); default: start one
    # the critic sanity check before the run (rolegraph/run/canary.py): None runs it except
    # for the scripted model, False skips it (--no-critic-check), True runs it whatever the model
    critic_check: bool | None = None


@dataclass
class RunSummary:
    """What a run produced (counts cover the whole run, resumed parts included)."""

    out_dir: Path
    planned: int
    counts: Counter = field(default_factory=Counter)
    usage: dict[str, Any] = field(default_factory=dict)
    revisions: int = 0
    cost: float = 0.0
    seconds: float = 0.0
    stopped: str | None = None  # why the run stopped early, if it did
    score_sum: float = 0.0  # critic overall scores of the samples judged in this session
    scored: int = 0

    @property
    def mean_score(self) -> float | None:
        return self.score_sum / self.scored if self.scored else None

    @property
    def done(self) -> int:
        return sum(self.counts.values())


def build_context(scenario: Scenario, models: dict[str, BaseChatModel]) -> RunContext:
    """The run-wide context the roles see, translated from the scenario."""
    from agents.usage import instrument

    for model in {id(m): m for m in models.values()}.values():
        instrument(model)
    return RunContext(
        task=scenario.task.description,
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
        tools=scenario.toolbox(),
        critic_mode=scenario.critic.mode,
        critic_scoring=scenario.critic.scoring,
    )


def default_out_dir(scenario: Scenario) -> Path:
    """Where a run goes when no --out is given: runs/NAME-TIMESTAMP."""
    return Path("runs") / f"{scenario.name}-{datetime.now(UTC).strftime('%Y%m%d-%H%M%S')}"


def model_name(config: ModelConfig, model: BaseChatModel | None, given: bool) -> str:
    """How usage is labelled per model: the spec the user wrote, or the class of a given model."""
    return type(model).__name__ if given and model is not None else config.spec
