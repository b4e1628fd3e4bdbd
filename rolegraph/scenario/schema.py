"""Scenario files: what to generate, typed with pydantic and checked with `file:line` errors."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated, Any

from pydantic import (
    AliasChoices,
    BeforeValidator,
    Field,
    PrivateAttr,
    ValidationError,
)

from personas import PersonaLibrary
from rolegraph.errors import ScenarioError
from rolegraph.scenario.files import (
    MAX_FILE_BYTES,
    FileProblem,
    byte_position,
    find_library,
    read_bytes_bounded,
    read_text_file,
    resolve_inside,
)
from rolegraph.scenario.problems import pydantic_problems
from rolegraph.scenario.sections import (
    ConditionValues,
    CriticSpec,
    Dialogue,
    Exemplar,
    FilterSpec,
    ModelConfig,
    RunSpec,
    SpeakerSpec,
    Strict,
    Task,
    condition_shorthand,
    model_shorthand,
    task_shorthand,
)
from rolegraph.scenario.seed import Seed, SeedError, SeedField, fingerprint, open_seed
from rolegraph.scenario.templates import template_problems
from rolegraph.scenario.tools import ToolSpec, ToolUse, tool_problems, toolbox_from
from rolegraph.scenario.trainview import TrainSpec
from rolegraph.scenario.wiring import GraphSection, wiring_problems
from rolegraph.scenario.yamlsource import Located, format_path, load_located


class Scenario(Strict):
    """A whole scenario file."""

    name: str = Field(
        pattern=r"^[a-z0-9][a-z0-9_-]*$", description="Slug, used for run directories."
    )
    description: str = ""
    task: Annotated[Task, BeforeValidator(task_shorthand)]
    facts: list[str] = Field(
        default_factory=list, description="Grounding facts the dialogue must respect."
    )
    facts_file: str | None = Field(default=None, description="A text file with one fact per line.")
    speakers: list[SpeakerSpec] = Field(min_length=2)
    conditions: dict[str, Annotated[ConditionValues, BeforeValidator(condition_shorthand)]] = Field(
        default_factory=dict
    )
    exemplars: list[Exemplar] = Field(default_factory=list)
    dialogue: Dialogue = Field(default_factory=Dialogue)
    critic: CriticSpec = Field(default_factory=CriticSpec)
    run: RunSpec = Field(default_factory=RunSpec)
    filters: FilterSpec | None = Field(
        default=None, description="Filters at acceptance time (absent: none)."
    )
    models: dict[str, Annotated[ModelConfig, BeforeValidator(model_shorthand)]] = Field(
        default_factory=dict,
        description="'default' and per-role models (speaker, critic, reviser, ...).",
    )
    seed: SeedField | None = Field(
        default=None,
        description="The user's records, one per sample: facts, task, personas and conditions "
        "can be templates over its columns ({{ column }}).",
    )
    train: TrainSpec | None = Field(
        default=None, description="What is exported for training (default: name, role, task)."
    )
    graph: GraphSection | None = Field(
        default=None,
        validation_alias=AliasChoices("graph", "pipeline"),
        description="Where extra roles go: turn router, checkers before the critic, gates "
        "after it (alias: pipeline). Absent: the default graph.",
    )
    tools: list[ToolSpec] = Field(
        default_factory=list, description="Tools the speakers may call (rolegraph.scenario.tools)."
    )
    tool_use: ToolUse = Field(
        default_factory=ToolUse, description="Bounds and the calling protocol for the tools."
    )

    _source: Path | None = PrivateAttr(default=None)
    _libraries: dict[str, PersonaLibrary] = PrivateAttr(default_factory=dict)
    _file_facts: list[str] = PrivateAttr(default_factory=list)
    _seed: Seed | None = PrivateAttr(default=None)
    _seed_hash: str = PrivateAttr(default="")

    @property
    def source(self) -> Path | None:
        return self._source

    @property
    def speaker_names(self) -> list[str]:
        return [s.name for s in self.speakers]

    @property
    def opener(self) -> str:
        order = self.graph.turns.order if self.graph else None
        return self.dialogue.opener or (order[0] if order else self.speakers[0].name)

    @property
    def assistant(self) -> str:
        return self.dialogue.assistant or self.speakers[1].name

    def all_facts(self) -> list[str]:
        """Inline facts followed by those read from `facts_file`."""
        return [*self.facts, *self._file_facts]

    def seed_data(self) -> Seed | None:
        """The opened seed (rows are read on demand), or None without a `seed:` section."""
        if self.seed is not None and self._seed is None:
            base = self._source.parent if self._source else Path(".")
            self._seed = open_seed(self.seed, base)
        return self._seed

    def default_samples(self) -> int:
        """`run.samples` as written, else (with a seed) rows × per_row."""
        seed = self.seed_data()
        if seed is None or "samples" in self.run.model_fields_set:
            return self.run.samples
        return seed.capacity

    def toolbox(self) -> Any:
        """The run's `agents.tools.ToolBox` (None without tools): tables loaded, functions found."""
        base = self._source.parent if self._source else Path(".")
        return toolbox_from(self.tools, self.tool_use, self.assistant, base)

    def library_for(self, speaker: SpeakerSpec) -> PersonaLibrary | None:
        return self._libraries.get(speaker.name)

    def digest(self) -> str:
        """A hash of everything that shapes the data, for manifests and resume checks."""
        data = self.model_dump(mode="json")
        # sections added later are left out while unset, so older runs still resume
        for parent, key in (
            (data, "filters"),
            (data["run"], "planner"),
            (data["critic"], "review_band"),
            (data, "seed"),
            (data, "train"),
        ):
            if parent.get(key) is None:
                parent.pop(key, None)
        if not data["tools"]:  # tool sections, like the ones above, only count when used
            data.pop("tools")
            data.pop("tool_use")
        for speaker in data["speakers"]:
            if speaker.get("goal") and not speaker["goal"].get("expect"):
                speaker["goal"].pop("expect", None)
        for key, default in (("mode", "single"), ("scoring", "stated")):  # critic settings too
            if data["critic"].get(key) == default:
                data["critic"].pop(key)
        payload = {"scenario": data, "facts": self.all_facts()}
        if self.seed is not None:
            payload["seed_data"] = self._seed_hash
        payload["libraries"] = {
            k: v.model_dump(mode="json") for k, v in sorted(self._libraries.items())
        }
        return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()

    @classmethod
    def from_file(cls, path: str | Path, allow: Sequence[str | Path] = ()) -> Scenario:
        """Read and check a scenario file; every problem is reported as `file:line: path: message`.

        `allow` names folders besides the scenario's own that its files may be read from
        (rolegraph.scenario.files; `--allow-path`).
        """
        path = Path(path)
        try:  # bounded, but a pipe is fine: the user named this file, not a scenario
            data = read_bytes_bounded(path, MAX_FILE_BYTES, regular=False)
        except FileProblem as exc:  # its message names the file already
            found = not str(exc).startswith("file not found")
            raise ScenarioError([str(exc) if found else f"{path}: file not found"]) from None
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            line, column = byte_position(data, exc.start)
            raise ScenarioError(
                [
                    f"{path}:{line}: (root): not UTF-8 text: byte 0x{data[exc.start]:02x} at "
                    f"column {column} (save the file as UTF-8)"
                ]
            ) from None
        return cls.from_text(text, path, allow)

    @classmethod
    def from_text(
        cls, text: str, path: str | Path = "<scenario>", allow: Sequence[str | Path] = ()
    ) -> Scenario:
        """Like `from_file`, for YAML text; relative paths resolve against `path`'s folder."""
        path = Path(path)
        located = load_located(text)
        problems = [(line, where, msg) for line, where, msg in located.problems]
        if not problems and located.data is None:
            problems.append((1, "(root)", "the scenario file is empty"))
        elif not problems and not isinstance(located.data, dict):
            problems.append(
                (
                    located.line_of(()),
                    "(root)",
                    "a scenario must be a mapping of keys such as name, task, speakers",
                )
            )
        scenario = None
        if not problems:
            try:
                scenario = cls.model_validate(located.data)
            except ValidationError as exc:
                problems += pydantic_problems(exc, located, Scenario)
        if scenario is not None:
            scenario._source = path
            problems += scenario._check_references(located, path.parent, allow)
        if problems:
            seen: set[tuple[int, str]] = set()
            lines = []
            for line, where, msg in sorted(problems, key=lambda p: p[0]):
                if (line, where) not in seen:
                    seen.add((line, where))
                    lines.append(f"{path}:{line}: {where}: {msg}")
            raise ScenarioError(lines)
        assert scenario is not None
        return scenario

    def _check_references(
        self, located: Located, base: Path, allow: Sequence[str | Path] = ()
    ) -> list[tuple[int, str, str]]:
        """Checks that span fields or reach outside the file: names, libraries, files."""
        problems: list[tuple[int, str, str]] = []

        def add(loc: tuple[str | int, ...], message: str) -> None:
            problems.append((located.line_of(loc), format_path(loc), message))

        names = self.speaker_names
        for i, speaker in enumerate(self.speakers):
            if names.index(speaker.name) != i:
                add(("speakers", i, "name"), f"speaker name '{speaker.name}' is used twice")
            if (speaker.persona is None) == (speaker.library is None):
                add(("speakers", i), "give exactly one of 'persona' (inline) or 'library'")
                continue
            if speaker.persona is not None and speaker.pick:
                add(
                    ("speakers", i, "pick"),
                    "'pick' goes with 'library', not with an inline persona",
                )
            if speaker.library is None:
                continue
            library = find_library(speaker.library, base, allow)
            if isinstance(library, str):
                add(("speakers", i, "library"), library)
                continue
            self._libraries[speaker.name] = library
            if speaker.pick and library.get(speaker.pick) is None:
                known = ", ".join(p.name for p in library.personas)
                add(
                    ("speakers", i, "pick"),
                    f"no persona '{speaker.pick}' in library '{library.name}' (has: {known})",
                )
            if speaker.role and not library.with_role(speaker.role):
                roles = ", ".join(sorted({p.role for p in library.personas}))
                add(
                    ("speakers", i, "role"),
                    f"no persona with role '{speaker.role}' in library '{library.name}' (roles: {roles})",
                )
        for key in ("opener", "assistant"):
            value = getattr(self.dialogue, key)
            if value is not None and value not in names:
                add(("dialogue", key), f"'{value}' is not a speaker (speakers: {', '.join(names)})")
        if self.dialogue.min_turns > self.dialogue.max_turns:
            add(
                ("dialogue", "min_turns"),
                f"min_turns ({self.dialogue.min_turns}) is more than max_turns ({self.dialogue.max_turns})",
            )
        if self.facts_file is not None:
            try:
                text = read_text_file(resolve_inside(self.facts_file, base, allow))
                self._file_facts = [
                    ln.strip()
                    for ln in text.splitlines()
                    if ln.strip() and not ln.lstrip().startswith("#")
                ]
            except FileProblem as exc:
                add(("facts_file",), str(exc))
        if not self.facts and self.facts_file is None:
            add(("facts",), "give at least one grounding fact (in 'facts' or 'facts_file')")
        problems += self._check_seed(located, base)
        for key, cond in self.conditions.items():
            if cond.weights is not None and len(cond.weights) != len(cond.values):
                add(
                    ("conditions", key),
                    f"{len(cond.weights)} weights for {len(cond.values)} values",
                )
        for i, exemplar in enumerate(self.exemplars):
            for key, value in exemplar.conditions.items():
                if key not in self.conditions:
                    add(
                        ("exemplars", i, "conditions", key),
                        f"'{key}' is not a condition (conditions: {', '.join(self.conditions) or 'none'})",
                    )
                elif (
                    self.conditions[key].column is None and value not in self.conditions[key].values
                ):
                    add(
                        ("exemplars", i, "conditions", key),
                        f"{value!r} is not a value of condition '{key}'",
                    )
            for j, turn in enumerate(exemplar.turns):
                if turn.speaker not in names:
                    add(
                        ("exemplars", i, "turns", j, "speaker"),
                        f"'{turn.speaker}' is not a speaker (speakers: {', '.join(names)})",
                    )
        band = self.critic.review_band
        if band is not None and not 1 <= band[0] <= band[1] <= 5:
            add(("critic", "review_band"), "give [low, high] with 1 <= low <= high <= 5")
        filters = self.filters
        for key in ("turns", "words"):
            bounds = getattr(filters, key) if filters else None
            if (
                bounds
                and bounds.min is not None
                and bounds.max is not None
                and bounds.min > bounds.max
            ):
                add(("filters", key), f"min ({bounds.min}) is more than max ({bounds.max})")
        planner = self.run.planner
        if planner is not None and planner.quotas and planner.strategy != "coverage":
            add(
                ("run", "planner", "quotas"),
                "quotas need the coverage planner (strategy: coverage)",
            )
        for key, shares in (planner.quotas if planner else {}).items():
            if key not in self.conditions:
                add(
                    ("run", "planner", "quotas", key),
                    f"'{key}' is not a condition (conditions: {', '.join(self.conditions) or 'none'})",
                )
                continue
            for value in shares:
                if self.conditions[key].column is None and value not in [
                    str(v) for v in self.conditions[key].values
                ]:
                    add(
                        ("run", "planner", "quotas", key, value),
                        f"{value!r} is not a value of condition '{key}'",
                    )
            if sum(shares.values()) > 1:
                add(("run", "planner", "quotas", key), "the shares add up to more than 1")
        rubric_names = [c.name for c in self.critic.rubric]
        for i, name in enumerate(rubric_names):
            if rubric_names.index(name) != i:
                add(("critic", "rubric", i, "name"), f"criterion '{name}' is listed twice")
        from agents.base import RoleDefinitionError, resolve_role

        for key in self.models:
            if key == "default" or (key == "tools" and self.tools):
                continue  # `tools`: the model that plays simulated tools
            try:
                resolve_role(key)
            except RoleDefinitionError as exc:
                add(("models", key), f"not 'default' or a role: {exc}")
        section = (
            "pipeline" if isinstance(located.data, dict) and "pipeline" in located.data else "graph"
        )
        order = self.graph.turns.order if self.graph else None
        if order and self.dialogue.opener and self.dialogue.opener != order[0]:
            add(
                ("dialogue", "opener"),
                f"the turn order starts with '{order[0]}', not the opener '{self.dialogue.opener}'",
            )
        goals = {i: s.goal for i, s in enumerate(self.speakers) if s.goal is not None}
        for loc, message in tool_problems(self.tools, names, self.assistant, base, goals):
            add(loc, message)
        if len(problems) == 0:  # wiring checks resolve roles: only for an otherwise sound file
            for loc, message in wiring_problems(self, section):
                add(loc, message)
        return problems

    def _check_seed(self, located: Located, base: Path) -> list[tuple[int, str, str]]:
        """The seed opens, has the columns every template names, and gives enough samples."""
        out: list[tuple[int, str, str]] = []

        def add(loc: tuple[str | int, ...], message: str) -> None:
            out.append((located.line_of(loc), format_path(loc), message))

        columns = None
        if self.seed is not None:
            try:
                seed = self.seed_data()
                assert seed is not None
                columns = seed.columns
                for i in range(min(len(seed), 100)):
                    seed.row(i)  # an unreadable format shows in the first rows
                self._seed_hash = fingerprint(seed.path)
            except (SeedError, OSError) as exc:
                add(("seed", "path"), str(exc))
                return out
            fixed = "samples" in self.run.model_fields_set
            if (
                fixed
                and self.seed.sampling != "with_replacement"
                and self.run.samples > seed.capacity
            ):
                add(
                    ("run", "samples"),
                    f"{self.run.samples} samples, but the seed gives {len(seed)} rows × "
                    f"per_row {self.seed.per_row} = {seed.capacity} (raise per_row, or use "
                    "sampling: with_replacement)",
                )
        for loc, message in template_problems(self, columns, self.seed.path if self.seed else ""):
            add(loc, message)
        return out


def scenario_json_schema() -> dict[str, Any]:
    """The JSON Schema of scenario files, for editors and `rolegraph schema`."""
    schema = Scenario.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "rolegraph scenario"
    return schema
