"""The scenario's `graph` section (alias `pipeline`): where extra roles go, and its translation.

A scenario without the section gets the default sample graph. With it:

```yaml
graph:
  turns: director                 # or round_robin (default), a role, or an order: [a, b, a, c]
  review: [fact_checker, critic, safety_filter]   # the finished dialogue's path to a decision
```

`review` lists roles in order and must hold `critic` once: roles before it are checkers
(their findings reach the critic), roles after it are gates run on an accepted sample (a gate
can reject). The explicit form names each node and its `next` hop, for shapes a list cannot
say; `rolegraph validate` refuses unknown roles, loops with no exit and unreachable nodes:

```yaml
graph:
  nodes:
    facts: {role: fact_checker, next: critic}
    safety: {role: safety_filter, next: accept, options: {blocked: [lottery]}}
  entry: facts          # where the finished dialogue goes (default: critic)
  on_accept: safety     # where an accepting critic sends the sample (default: accept)
  after_revision: facts # where the reviser sends the revised dialogue (default: entry)
```

graphs/ never imports rolegraph/, so the translation to a `graphs.GraphSpec` lives here.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Annotated, Any, Protocol

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

if TYPE_CHECKING:
    from graphs import GraphSpec

Loc = tuple[str | int, ...]


class Wired(Protocol):
    """What the wiring reads of a scenario. The schema's `Scenario` has it; a protocol keeps
    this module free of the schema, which imports the section types from here."""

    @property
    def speakers(self) -> Sequence[Any]: ...
    @property
    def graph(self) -> GraphSection | None: ...
    @property
    def critic(self) -> Any: ...
    @property
    def speaker_names(self) -> list[str]: ...


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Goal(_Strict):
    """A hidden goal the speaker pursues (the `user_simulator` role plays it and checks it)."""

    description: str = Field(min_length=1, description="What the speaker wants; never said.")
    success_when: list[str] = Field(
        default_factory=list,
        description="Phrases that show the goal was met; without them the role's model judges.",
    )
    required: bool = Field(default=False, description="A goal not met blocks acceptance.")
    expect: dict[str, Any] = Field(
        default_factory=dict,
        description="The final environment the goal needs, by TABLE.KEY.COLUMN (or "
        "record.FIELD), e.g. {reservation.R123.flight: LX318}: checked against the tools' "
        "state when the dialogue ends, instead of phrases or a model's judgment.",
    )


def _goal(value: Any) -> Any:
    return {"description": value} if isinstance(value, str) else value


GoalField = Annotated[Goal, BeforeValidator(_goal)]


class RoleStep(_Strict):
    """One role in the `review` list."""

    role: str = Field(min_length=1, description="A role name, entry point or 'pkg.mod:Class'.")
    name: str | None = Field(
        default=None,
        pattern=r"^[a-z][a-z0-9_]*$",
        description="Node name (default: the role's); needed when a role is listed twice.",
    )
    options: dict[str, Any] = Field(default_factory=dict, description="The role's options.")


def _step(value: Any) -> Any:
    return {"role": value} if isinstance(value, str) else value


class ReviewNode(_Strict):
    """A named node of the explicit form and the node that comes after it."""

    role: str = Field(min_length=1, description="A role name, entry point or 'pkg.mod:Class'.")
    next: str = Field(min_length=1, description="Another node, 'critic', 'accept' or 'reject'.")
    options: dict[str, Any] = Field(default_factory=dict, description="The role's options.")


class Turns(_Strict):
    """Who speaks next: round robin (default), a turn-router role, or a fixed order."""

    role: str | None = Field(
        default=None, description="A turn-router role such as 'director'; none: round robin."
    )
    options: dict[str, Any] = Field(default_factory=dict, description="The role's options.")
    order: list[str] | None = Field(
        default=None, min_length=1, description="Speakers in turn order, cycled."
    )


def _turns(value: Any) -> Any:
    if value == "round_robin":
        return {}
    if isinstance(value, str):
        return {"role": value}
    if isinstance(value, list):
        return {"order": value}
    return value


class GraphSection(_Strict):
    """Where extra roles go in the sample graph."""

    turns: Annotated[Turns, BeforeValidator(_turns)] = Field(
        default_factory=Turns,
        description="round_robin, a turn-router role (director), or a list: the turn order.",
    )
    review: list[Annotated[RoleStep, BeforeValidator(_step)]] | None = Field(
        default=None,
        description="Roles from the finished dialogue to the decision, holding 'critic' once.",
    )
    nodes: dict[str, ReviewNode] = Field(
        default_factory=dict, description="Explicit form: named nodes, each with its next node."
    )
    entry: str | None = Field(
        default=None, description="Explicit form: first node after the dialogue."
    )
    on_accept: str | None = Field(
        default=None, description="Explicit form: node after an accepting critic."
    )
    after_revision: str | None = Field(
        default=None, description="Explicit form: node after the reviser (default: entry)."
    )


def _step_name(step: RoleStep) -> str:
    return step.name or (step.role.rpartition(":")[2].lower() if ":" in step.role else step.role)


def _review_nodes(
    section: GraphSection,
) -> tuple[list[tuple[str, str, str, dict[str, Any], Loc]], str, str]:
    """The review list as (name, role, next, options, loc) nodes, with entry and on_accept."""
    steps = section.review or []
    names = [_step_name(s) if s.role != "critic" else "critic" for s in steps]
    nodes = []
    for i, step in enumerate(steps):
        if step.role != "critic":
            after = names[i + 1] if i + 1 < len(names) else "accept"
            nodes.append((names[i], step.role, after, step.options, ("review", i)))
    after_critic = names[names.index("critic") + 1 :] if "critic" in names else []
    return nodes, (names[0] if names else "critic"), (after_critic or ["accept"])[0]


def _players(scenario: Wired) -> dict[str, str]:
    return {
        s.name: s.played_by or "user_simulator"
        for s in scenario.speakers
        if s.played_by is not None or s.goal is not None
    }


def _parts(scenario: Wired) -> dict[str, Any]:
    """The section's content as plain values, with each node's location in the file."""
    section = scenario.graph or GraphSection()
    entry, on_accept, after = "critic", "accept", None
    if section.review is not None:
        nodes, entry, on_accept = _review_nodes(section)
    else:
        nodes = [
            (name, n.role, n.next, n.options, ("nodes", name)) for name, n in section.nodes.items()
        ]
        entry = section.entry or "critic"
        on_accept = section.on_accept or "accept"
        after = section.after_revision
    if any(s.goal is not None for s in scenario.speakers) and not any(
        role == "user_simulator" for _, role, *_ in nodes
    ):
        # a hidden goal is checked once the dialogue is over: first stop after the dialogue
        nodes.insert(0, ("goal_check", "user_simulator", entry, {}, ()))
        if after is None and entry == "critic":
            after = "critic"  # a revision does not change whether the goal was reached
        entry = "goal_check"
    return {
        "nodes": nodes,
        "entry": entry,
        "on_accept": on_accept,
        "after_revision": after,
        "turns": section.turns,
        "players": _players(scenario),
    }


def graph_spec_from(scenario: Wired) -> GraphSpec:
    """The `graphs.GraphSpec` the scenario asks for (the default graph without a section)."""
    from graphs import GraphSpec, NodeSpec
    from rolegraph.scenario.tools import tool_callers

    parts = _parts(scenario)
    turns: Turns = parts["turns"]
    tools = list(getattr(scenario, "tools", None) or [])
    use = getattr(scenario, "tool_use", None)
    return GraphSpec(
        nodes=tuple(
            NodeSpec(name, role, nxt, dict(opts)) for name, role, nxt, opts, _ in parts["nodes"]
        ),
        entry=parts["entry"],
        on_accept=parts["on_accept"],
        after_revision=parts["after_revision"],
        turns=turns.role,
        turn_options=dict(turns.options),
        turn_order=tuple(turns.order or ()),
        players=parts["players"],
        review_band=scenario.critic.review_band,
        tool_callers=tool_callers(tools, scenario.assistant) if tools else (),  # type: ignore[attr-defined]
        max_tool_calls=use.max_calls_per_dialogue if tools and use else 0,
    )


# LangGraph's own names: START/END, and dunder names it keeps for itself (__interrupt__, ...)
RESERVED_NODE_NAMES = ("__start__", "__end__")
# LangGraph's checkpoint namespace separators (NS_SEP, NS_END): `add_node` refuses them
RESERVED_NODE_CHARACTERS = ("|", ":")


def node_name_problem(name: str) -> str | None:
    """Why LangGraph would refuse `name` as a node name, or None (checked at validate, not run)."""
    if name in RESERVED_NODE_NAMES or (name.startswith("__") and name.endswith("__")):
        return (
            f"'{name}' is a name LangGraph keeps for itself (like __start__ and __end__); "
            "choose another node name"
        )
    for character in RESERVED_NODE_CHARACTERS:
        if character in name:
            return (
                f"'{name}' contains '{character}', which LangGraph reserves as a separator; "
                "choose another node name"
            )
    return None


def wiring_problems(scenario: Wired, key: str = "graph") -> list[tuple[Loc, str]]:
    """Every problem with the scenario's wiring, as (location in the file, message) pairs."""
    section = scenario.graph
    problems: list[tuple[Loc, str]] = []
    names = scenario.speaker_names
    for i, speaker in enumerate(scenario.speakers):
        if speaker.played_by is not None or speaker.goal is not None:
            problems += _role_problems(
                speaker.played_by or "user_simulator", {}, "player", ("speakers", i, "played_by")
            )
    if section is None:
        return problems
    for name in section.nodes:
        if message := node_name_problem(name):
            problems.append(((key, "nodes", name), message))
    for i, step in enumerate(section.review or []):
        if step.role != "critic" and (message := node_name_problem(_step_name(step))):
            problems.append(((key, "review", i), message))
    if problems:
        return problems
    if section.turns.role is not None and section.turns.order is not None:
        problems.append(((key, "turns"), "give a turn-router 'role' or an 'order', not both"))
    for j, who in enumerate(section.turns.order or []):
        if who not in names:
            problems.append(
                ((key, "turns", j), f"'{who}' is not a speaker (speakers: {', '.join(names)})")
            )
    if section.turns.role is not None:
        problems += _role_problems(
            section.turns.role, section.turns.options, "turns", (key, "turns")
        )
    explicit = section.nodes or any(
        v is not None for v in (section.entry, section.on_accept, section.after_revision)
    )
    if section.review is not None:
        if explicit:
            problems.append(
                (
                    (key, "review"),
                    "give either 'review' (a list) or 'nodes' with entry, "
                    "on_accept and after_revision, not both",
                )
            )
            return problems
        critics = [i for i, s in enumerate(section.review) if s.role == "critic"]
        if len(critics) != 1:
            problems.append(
                (
                    (key, "review"),
                    f"the review list must hold 'critic' exactly once "
                    f"(found {len(critics)} times): it decides accept, revise or reject",
                )
            )
            return problems
        for i, step in enumerate(section.review):
            if step.role in {"speaker", "reviser"}:
                problems.append(
                    (
                        (key, "review", i),
                        f"'{step.role}' has a fixed place in the graph; "
                        "it cannot be listed in review",
                    )
                )
            elif step.role == "critic" and step.options:
                problems.append(((key, "review", i, "options"), "the critic takes no options"))
    if problems:
        return problems
    parts = _parts(scenario)
    where = {name: (key, *loc) for name, _, _, _, loc in parts["nodes"] if loc}
    for _name, role, _, options, loc in parts["nodes"]:
        if loc:
            problems += _role_problems(role, options, "review", (key, *loc, "role"))
    from graphs import check_wiring

    for node, message in check_wiring(graph_spec_from(scenario)):
        if node in where:
            loc = where[node]
            if "next '" in message and loc[1] == "nodes":
                loc = (*loc, "next")
        else:
            loc = (key, node if node in {"entry", "on_accept", "after_revision"} else "turns")
        problems.append((loc, message))
    return problems


def _role_problems(
    ref: str, options: dict[str, Any], place: str, loc: Loc
) -> list[tuple[Loc, str]]:
    from agents.base import RoleDefinitionError
    from graphs.builder import make_role

    try:
        make_role(ref, options, place=place)
    except RoleDefinitionError as exc:
        return [(loc, str(exc))]
    return []
