"""The sections of a scenario file: task, speakers, conditions, dialogue, critic, filters,
planner, run and models, each typed with pydantic (extra keys refused)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from agents.context import Criterion
from personas import Persona
from rolegraph.scenario.modelspec import spec_problem
from rolegraph.scenario.wiring import GoalField


def _scalar(value: Any) -> Any:
    if isinstance(value, dict | list):
        raise ValueError(
            "must be a single value (text, number or true/false), not a list or mapping"
        )
    return value


Scalar = Annotated[Any, AfterValidator(_scalar)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Task(Strict):
    """What the data is for and how it should look."""

    description: str = Field(min_length=1, description="The situation and what the data is for.")
    format: str = Field(default="", description="Output format notes for every turn.")


def task_shorthand(value: Any) -> Any:
    return {"description": value} if isinstance(value, str) else value


class SpeakerSpec(Strict):
    """One speaker: a label plus an inline persona or one drawn from a persona library."""

    name: str = Field(pattern=r"^[A-Za-z][A-Za-z0-9_-]*$", description="Label, e.g. 'customer'.")
    persona: Persona | None = Field(default=None, description="An inline persona.")
    library: str | None = Field(
        default=None,
        description="A built-in library name (`rolegraph personas`) or a YAML file path.",
    )
    pick: str | None = Field(
        default=None, description="A persona name from the library; random if absent."
    )
    role: str | None = Field(
        default=None, description="Draw only library personas with this role (e.g. 'candidate')."
    )
    facts: list[str] = Field(
        default_factory=list,
        description="Private facts only this speaker is told (the critic and the checks see them too).",
    )
    goal: GoalField | None = Field(
        default=None,
        description="A hidden goal this speaker pursues; played by the user_simulator role.",
    )
    played_by: str | None = Field(
        default=None,
        description="The role that writes this speaker's turns (default: speaker, or "
        "user_simulator when the speaker has a goal).",
    )


def condition_shorthand(value: Any) -> Any:
    if isinstance(value, dict) and "column" in value:  # {column: plan}: from the seed record
        return value
    if isinstance(value, dict) and "values" not in value:  # {value: weight, ...}
        return {"values": list(value), "weights": list(value.values())}
    if isinstance(value, list):
        return {"values": value}
    return value


class ConditionValues(Strict):
    """The values one condition can take, optionally weighted, or a seed column to read it from."""

    values: list[Scalar] = Field(default_factory=list)
    weights: list[Annotated[float, Field(gt=0)]] | None = None
    column: str | None = Field(
        default=None, description="Take the value from this column of the sample's seed record."
    )

    @model_validator(mode="after")
    def _values_or_column(self) -> ConditionValues:
        if self.column is None and not self.values:
            raise ValueError("give at least one value (or `column:` to read it from the seed)")
        if self.column is not None and (self.values or self.weights):
            raise ValueError("give either values or `column:`, not both")
        return self


class ExemplarTurn(Strict):
    speaker: str
    text: str = Field(min_length=1)


class Exemplar(Strict):
    """An in-context example dialogue; preferred for samples whose conditions it matches."""

    conditions: dict[str, Scalar] = Field(default_factory=dict)
    turns: list[ExemplarTurn] = Field(min_length=1)


class Dialogue(Strict):
    """How the conversation unfolds and when it stops."""

    opener: str | None = Field(
        default=None, description="Speaker who speaks first (default: the first)."
    )
    assistant: str | None = Field(
        default=None, description="Speaker trained as 'assistant' in exports (default: the second)."
    )
    min_turns: int = Field(default=4, ge=1)
    max_turns: int = Field(default=8, ge=1, le=200)
    stop_phrases: list[str] = Field(default_factory=list)
    max_words: int = Field(default=80, ge=5, le=2000, description="Longest turn, in words.")
    exemplars_per_sample: int = Field(default=1, ge=0)


DEFAULT_RUBRIC = [
    Criterion(
        name="faithfulness",
        description="Every claim agrees with the grounding facts; nothing is invented.",
    ),
    Criterion(name="persona", description="Each speaker stays in character and in their own role."),
    Criterion(
        name="quality",
        description="Natural, coherent, non-repetitive dialogue that serves the task.",
    ),
]


class CriticSpec(Strict):
    """The quality bar."""

    rubric: list[Criterion] = Field(default_factory=lambda: list(DEFAULT_RUBRIC), min_length=1)
    threshold: float = Field(
        default=3.5, ge=1, le=5, description="Weighted mean score needed to accept."
    )
    max_revisions: int = Field(default=2, ge=0, le=20)
    retries: int = Field(default=2, ge=0, le=10, description="Re-asks after invalid critic output.")
    review_band: tuple[float, float] | None = Field(
        default=None,
        description="[low, high]: a dialogue whose overall score falls in this band waits for a "
        "person (`rolegraph review RUN_DIR`) instead of being decided by the model.",
    )
    mode: Literal["single", "per_criterion"] = Field(
        default="single",
        description="single: one critic call scores the whole rubric; per_criterion: one call "
        "per criterion, each with one question and one score.",
    )
    scoring: Literal["stated", "geval"] = Field(
        default="stated",
        description="stated: the score the model writes; geval: the probability-weighted mean "
        "over 1-5 of the score token, from the server's log-probabilities (G-Eval).",
    )


def _switch(value: Any) -> Any:
    """`true` turns a filter on with its defaults, `false` leaves it off."""
    if value is True:
        return {}
    return None if value is False else value


class Bounds(Strict):
    """Inclusive bounds; either side may be left open."""

    min: int | None = Field(default=None, ge=0)
    max: int | None = Field(default=None, ge=1)


class NearDuplicateFilter(Strict):
    """Near-duplicates of an already accepted sample, by MinHash + LSH over word n-grams."""

    threshold: float = Field(
        default=0.8,
        gt=0,
        le=1,
        description="Estimated Jaccard at which two dialogues are duplicates.",
    )
    num_perm: int = Field(default=64, ge=8, le=512, description="MinHash permutations.")
    ngram: int = Field(default=3, ge=1, le=10, description="Words per shingle.")


class RepetitionFilter(Strict):
    """Repetition loops: an n-gram said over and over in a turn, or turns that repeat earlier ones."""

    ngram: int = Field(default=4, ge=2, le=10)
    max_ngram_repeats: int = Field(
        default=3, ge=1, description="Most times one n-gram may occur in one turn."
    )
    max_repeated_turns: int = Field(
        default=1, ge=0, description="Most turns that (near-)repeat an earlier turn."
    )


class FilterSpec(Strict):
    """Filters at acceptance time: an accepted sample they refuse is stored as rejected."""

    near_duplicate: Annotated[NearDuplicateFilter | None, BeforeValidator(_switch)] = None
    turns: Bounds | None = Field(default=None, description="Turn count bounds.")
    words: Bounds | None = Field(default=None, description="Dialogue length bounds, in words.")
    repetition: Annotated[RepetitionFilter | None, BeforeValidator(_switch)] = None
    role_swap: bool = Field(
        default=False, description="Refuse a speaker who introduces or labels itself as another."
    )
    empty_turns: bool = Field(default=False, description="Refuse dialogues with an empty turn.")


def _planner(value: Any) -> Any:
    return {"strategy": value} if isinstance(value, str) else value


class PlannerSpec(Strict):
    """How each sample's conditions and personas are chosen."""

    strategy: Literal["independent", "coverage"] = Field(
        default="independent",
        description="independent: each sample drawn on its own (the default); coverage: drawn "
        "toward what accepted samples under-cover and away from what keeps being rejected.",
    )
    quotas: dict[str, dict[str, Annotated[float, Field(gt=0, le=1)]]] = Field(
        default_factory=dict,
        description="Least share of accepted samples per condition value, e.g. "
        "{mood: {furious: 0.2}} (coverage planner).",
    )
    candidates: int = Field(
        default=32, ge=1, le=1000, description="Plans drawn per sample to choose from."
    )
    reject_weight: float = Field(
        default=1.0, ge=0, description="How strongly often-rejected combinations are avoided."
    )


class RunSpec(Strict):
    samples: int = Field(default=10, ge=1)
    seed: int = 0
    concurrency: int = Field(default=4, ge=1, le=4096)
    planner: Annotated[PlannerSpec | None, BeforeValidator(_planner)] = Field(
        default=None, description="'independent' (default) or 'coverage', or a planner mapping."
    )


class ModelConfig(Strict):
    """A chat model: `local`, `scripted`, `openai:MODEL` or any `init_chat_model` provider string."""

    spec: str = Field(default="local", min_length=1)
    base_url: str | None = None
    api_key_env: str | None = Field(
        default=None, description="Environment variable holding the key."
    )
    temperature: float | None = Field(default=None, ge=0, le=2)
    max_tokens: int | None = Field(default=None, gt=0)
    timeout: float | None = Field(default=None, gt=0)
    params: dict[str, Any] = Field(default_factory=dict, description="Extra keyword arguments.")
    price_input: float | None = Field(
        default=None, ge=0, description="USD per million input tokens."
    )
    price_output: float | None = Field(
        default=None, ge=0, description="USD per million output tokens."
    )
    max_in_flight: int | None = Field(
        default=None,
        ge=1,
        description="Most requests in flight to this model at once (AIMD adapts below it).",
    )
    rpm: int | None = Field(
        default=None, ge=1, description="Client-side limit: requests per minute to this model."
    )
    tpm: int | None = Field(
        default=None, ge=1, description="Client-side limit: tokens per minute to this model."
    )
    structured_output: (
        Literal["json_schema", "tools", "json_object", "prompt", "vllm", "guided_json", "tgi"]
        | None
    ) = Field(
        default=None,
        description="How to ask for JSON (critic verdicts): an OpenAI method, or a server's own "
        "guided decoding (vllm, guided_json, tgi); unset: the best the server accepts.",
    )

    @field_validator("spec")
    @classmethod
    def _known_spec(cls, value: str) -> str:
        if problem := spec_problem(value):
            raise ValueError(problem)
        return value

    def cost(self, usage: dict[str, int]) -> float:
        """USD for `usage` at this model's prices (0 when no prices are set)."""
        return (
            usage.get("input_tokens", 0) * (self.price_input or 0)
            + usage.get("output_tokens", 0) * (self.price_output or 0)
        ) / 1e6


def model_shorthand(value: Any) -> Any:
    return {"spec": value} if isinstance(value, str) else value
