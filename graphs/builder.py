"""The sample graph: plan → speaker turns → critic → accept, or reviser → critic, or reject.

`build_sample_graph` returns an uncompiled StateGraph; the caller compiles it with the
checkpointer it wants. Run-wide settings arrive through `Runtime[RunContext]`.

A `GraphSpec` may place extra roles (see docs/extending.md):
- review nodes, each with one `next`: a chain from the finished dialogue to the critic
  (checkers: their findings reach the critic through state) and from an accepting critic to
  `accept` (gates: a role that sets status `rejected` ends the sample in `reject`);
- a turn router run after every turn that does not end the dialogue: a role (e.g. the
  `director`) or a fixed `turn_order`; either sets `next_speaker`;
- players: a role that writes one speaker's turns instead of the `speaker` role.
Without them the graph is the default shape above.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from langgraph.graph import END, START, StateGraph
from langgraph.runtime import Runtime
from langgraph.types import RetryPolicy, interrupt

from agents.activity import ACTIVITY
from agents.base import Role, RoleDefinitionError, resolve_role
from agents.context import RunContext, record_of
from agents.errors import is_transport_error
from agents.state import SampleState, current_findings
from agents.usage import metered
from graphs.routers import route_turn, route_verdict
from graphs.tools import TOOL_NODE, route_after_speaker, route_after_tools, tool_node

ANCHORS = ("plan", "speaker", "critic", "reviser", "accept", "reject", "human_review", TOOL_NODE)
TURN_RULE_NODE = "turn_rule"


class WiringError(ValueError):
    """A GraphSpec that cannot make a sound graph; `problems` are (where, message) pairs.

    `where` is a node name or one of 'entry', 'on_accept', 'after_revision', 'turns'.
    """

    def __init__(self, problems: list[tuple[str, str]]) -> None:
        self.problems = problems
        super().__init__("; ".join(f"{where}: {msg}" for where, msg in problems))


@dataclass(frozen=True)
class NodeSpec:
    """An extra role in the review part of the graph and where it hands the sample on."""

    name: str  # the node's name in the graph
    role: str  # registry name, entry-point name or 'module.path:ClassName'
    next: str  # another node, 'critic', 'accept' or 'reject'
    options: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class GraphSpec:
    """Which role plays each part of the sample graph (by registry name or dotted path)."""

    speaker: str = "speaker"
    critic: str = "critic"
    reviser: str = "reviser"
    retry: RetryPolicy = field(
        default_factory=lambda: RetryPolicy(
            max_attempts=4,
            initial_interval=0.5,
            backoff_factor=2.0,
            max_interval=30.0,
            jitter=True,
            retry_on=is_transport_error,
        )
    )
    nodes: tuple[NodeSpec, ...] = ()
    entry: str = "critic"  # where the finished dialogue goes
    on_accept: str = "accept"  # where an accepting critic sends the sample
    after_revision: str | None = None  # where the revised dialogue goes (default: entry)
    turns: str | None = None  # a turn-router role; None: the speaker's round robin
    turn_options: Mapping[str, Any] = field(default_factory=dict)
    turn_order: tuple[str, ...] = ()  # a fixed turn rule, cycled: turn i is turn_order[i % n]
    players: Mapping[str, str] = field(default_factory=dict)  # speaker name -> role ref
    review_band: tuple[float, float] | None = None  # overall scores a person decides (interrupt)
    # speakers that may call tools (played by `tool_speaker` unless `players` says otherwise)
    # and the most calls a dialogue may make; with callers the graph gets a tool node
    tool_callers: tuple[str, ...] = ()
    max_tool_calls: int = 0

    @property
    def revision_target(self) -> str:
        return self.after_revision or self.entry


def _follow(start: str, nexts: Mapping[str, str]) -> tuple[list[str], str | None]:
    """The extra nodes passed from `start` and the anchor reached (None: a loop)."""
    path: list[str] = []
    node = start
    while node in nexts:
        if node in path:
            return path, None
        path.append(node)
        node = nexts[node]
    return path, node


def check_wiring(spec: GraphSpec) -> list[tuple[str, str]]:
    """Every structural problem of the spec's review wiring, as (where, message) pairs.

    Refused: a name clash, a `next` to a node that does not exist, a loop of nodes with no
    exit, a node nothing leads to, a dialogue or revision that can bypass the critic, and an
    accepted sample that can come back to the critic (it would be judged forever).
    """
    problems: list[tuple[str, str]] = []
    nexts = {n.name: n.next for n in spec.nodes}
    names = [n.name for n in spec.nodes]
    targets = {*nexts, "critic", "accept", "reject"}
    for i, node in enumerate(spec.nodes):
        if node.name in ANCHORS or node.name == TURN_RULE_NODE:
            problems.append((node.name, f"'{node.name}' is a built-in node; choose another name"))
        elif names.index(node.name) != i:
            problems.append((node.name, f"node name '{node.name}' is used twice"))
        if node.next not in targets:
            problems.append(
                (
                    node.name,
                    f"next '{node.next}' is not a node (choose from: {', '.join(sorted(targets))})",
                )
            )
    if problems:
        return problems
    for key, start in (("entry", spec.entry), ("on_accept", spec.on_accept)):
        if start not in targets:
            problems.append(
                (key, f"'{start}' is not a node (choose from: {', '.join(sorted(targets))})")
            )
    if spec.after_revision is not None and spec.after_revision not in targets:
        problems.append(("after_revision", f"'{spec.after_revision}' is not a node"))
    if problems:
        return problems
    reported_loops: set[str] = set()
    for node in spec.nodes:
        path, end = _follow(node.name, nexts)
        if end is None:
            loop = path[path.index(nexts[path[-1]]) :]
            if not reported_loops & set(loop):
                reported_loops.update(loop)
                problems.append(
                    (
                        loop[0],
                        f"loop with no exit: {' -> '.join([*loop, loop[0]])} never reaches "
                        "the critic, accept or reject",
                    )
                )
    reached: set[str] = set()
    for key, start, must_reach, why in (
        ("entry", spec.entry, ("critic",), "every dialogue must be judged by the critic"),
        (
            "after_revision",
            spec.revision_target,
            ("critic",),
            "a revised dialogue must go back to the critic",
        ),
        (
            "on_accept",
            spec.on_accept,
            ("accept", "reject"),
            "after the critic accepts, the sample must end in accept or reject (back to the "
            "critic it would loop: the critic judges the same dialogue again)",
        ),
    ):
        path, end = _follow(start, nexts)
        reached.update(path)
        if end is not None and end not in must_reach:
            via = f" (via {' -> '.join(path)})" if path else ""
            problems.append((key, f"leads to '{end}'{via}: {why}"))
    for node in spec.nodes:
        if node.name not in reached and node.name not in reported_loops:
            problems.append(
                (
                    node.name,
                    "unreachable: no path from the finished dialogue (entry), the critic's "
                    "accept (on_accept) or the reviser (after_revision) leads to it",
                )
            )
    if spec.turns is not None and spec.turn_order:
        problems.append(("turns", "give a turn-router role or a turn order, not both"))
    return problems


def make_role(ref: str, options: Mapping[str, Any] | None = None, place: str | None = None) -> Role:
    """An instance of the role `ref` with its options; RoleDefinitionError says what is wrong."""
    cls = resolve_role(ref)
    if place is not None and place not in cls.places:
        raise RoleDefinitionError(
            f"role '{cls.name}' cannot be placed as {PLACE_WORDS[place]} "
            f"(it can be: {', '.join(PLACE_WORDS[p] for p in cls.places) or 'a core role only'})"
        )
    try:
        return cls(**dict(options or {}))
    except RoleDefinitionError:
        raise
    except TypeError as exc:
        raise RoleDefinitionError(f"role '{cls.name}' cannot be created: {exc}") from None


PLACE_WORDS = {
    "review": "a review node (before or after the critic)",
    "turns": "the turn router",
    "player": "a player of a speaker",
}


def plan_node(state: SampleState, runtime: Runtime[RunContext]) -> dict[str, Any]:
    """Start a sample: fill the bookkeeping fields the roles rely on.

    With tools, the sample's environment is created here from its record (`state["record"]`,
    set by a seed) unless the state already carries one.
    """
    tools = runtime.context.tools if runtime.context is not None else None
    env = (
        {}
        if tools is None or state.get("env")
        else {"env": tools.new_environment(record_of(state))}
    )
    return {
        **env,
        "turns": state.get("turns") or [],
        "next_speaker": state.get("next_speaker") or state["speakers"][0],
        "stop_reason": None,
        "revisions": state.get("revisions", 0),
        "verdict": None,
        "status": "running",
        "error": None,
    }


def accept_node(state: SampleState) -> dict[str, Any]:
    """The critic passed the dialogue."""
    return {"status": "accepted"}


def reject_node(state: SampleState) -> dict[str, Any]:
    """The dialogue failed the critic and the revision budget is spent, or a gate refused it.

    A gate's refusal is folded into the verdict (decision, `rejected_by`, its findings as
    checks), so the record says why the sample was rejected.
    """
    gate = state.get("rejected_by")
    if not gate:
        return {"status": "rejected"}
    verdict = dict(state.get("verdict") or {})
    refusals = [f.as_check().model_dump(mode="json") for f in current_findings(state)]
    refusals = [c for c in refusals if c["source"] == gate]
    if verdict:
        verdict.update(
            decision="reject",
            rejected_by=gate,
            checks=[*verdict.get("checks", []), *refusals],
        )
    return {"status": "rejected", "verdict": verdict or None}


async def _call(role: Role, state: SampleState, ctx: RunContext) -> dict[str, Any]:
    """One role call: its token usage metered, its activity counted for progress displays."""
    ACTIVITY.enter(role.name)
    try:
        with metered() as usage:
            update = await role(state, ctx)
    finally:
        ACTIVITY.leave(role.name)
    written = len(update.get("turns") or ()) - len(state.get("turns") or ())
    if written > 0:
        ACTIVITY.turns += written
    if usage:
        update = {**update, "usage": {role.name: usage}}
    return update


def role_node(role: Role):
    """Wrap a role as a graph node that also records the role's token usage."""

    async def node(state: SampleState, runtime: Runtime[RunContext]) -> dict[str, Any]:
        return await _call(role, state, runtime.context)

    node.__name__ = f"{role.name}_node"
    node.__doc__ = role.description
    return node


def turn_rule_node(order: tuple[str, ...]):
    """A node that sets `next_speaker` by a fixed order, cycled over the turns."""

    def node(state: SampleState) -> dict[str, Any]:
        return {"next_speaker": order[len(state.get("turns") or []) % len(order)]}

    node.__name__ = "turn_rule_node"
    node.__doc__ = f"Turn rule: speakers take turns in the order {' -> '.join(order)}, cycled."
    return node


def players_node(default: Role, players: Mapping[str, Role]):
    """The speaker node when some speakers are played by other roles (e.g. user_simulator)."""

    async def node(state: SampleState, runtime: Runtime[RunContext]) -> dict[str, Any]:
        role = players.get(state["next_speaker"], default)
        return await _call(role, state, runtime.context)

    played = ", ".join(f"{s} by {r.name}" for s, r in players.items())
    node.__name__ = "speaker_node"
    node.__doc__ = f"{default.description} Played by other roles: {played}."
    return node


def human_review_node(state: SampleState) -> dict[str, Any]:
    """A borderline verdict: the sample pauses (LangGraph `interrupt`) until a person decides.

    The interrupt's value is what the reviewer sees; the decision it resumes with is
    `{"action": "accept" | "reject", "edits": {turn index: new text}, "note": str}`. Edits
    replace turns word for word; the verdict keeps the critic's scores and records the
    person's decision, and `review` holds the decision with each edit's old and new text.
    """
    verdict = dict(state.get("verdict") or {})
    decision = interrupt(
        {
            "sample_id": state.get("sample_id"),
            "turns": state.get("turns") or [],
            "verdict": verdict,
            "personas": state.get("personas") or {},
            "conditions": state.get("conditions") or {},
        }
    )
    action = decision.get("action")
    if action not in ("accept", "reject"):
        raise ValueError(f"a review decision is 'accept' or 'reject', not {action!r}")
    turns = [dict(t) for t in state.get("turns") or []]
    edits = []
    for key, text in sorted((decision.get("edits") or {}).items(), key=lambda kv: int(kv[0])):
        index = int(key)
        if not 0 <= index < len(turns):
            raise ValueError(f"edit of turn {index}: the dialogue has turns 0-{len(turns) - 1}")
        edits.append({"turn": index, "before": turns[index]["text"], "after": text})
        turns[index]["text"] = text
    review = {
        "decision": action,
        "model_decision": verdict.get("decision"),
        "edits": edits,
        "note": decision.get("note") or "",
        "reviewer": decision.get("reviewer") or "",
    }
    return {"turns": turns, "verdict": {**verdict, "decision": action}, "review": review}


def route_review(band: tuple[float, float]):
    """After the critic: a verdict scored inside `band` goes to a person, others as usual."""
    low, high = band

    def route(state: SampleState) -> str:
        overall = (state.get("verdict") or {}).get("overall")
        if overall is not None and low <= overall <= high:
            return "human_review"
        return route_verdict(state)

    route.__name__ = "route_verdict_or_review"
    return route


def next_router(target: str):
    """After a review node: on to `target`, unless the node rejected the sample."""

    def route(state: SampleState) -> str:
        return "reject" if state.get("status") == "rejected" else target

    route.__name__ = f"to_{target}"
    return route


def build_sample_graph(spec: GraphSpec | None = None) -> StateGraph:
    """The uncompiled LangGraph for one sample; WiringError if `spec` is unsound."""
    spec = spec or GraphSpec()
    if problems := check_wiring(spec):
        raise WiringError(problems)
    speaker, critic, reviser = (
        resolve_role(r)() for r in (spec.speaker, spec.critic, spec.reviser)
    )
    graph = StateGraph(SampleState, context_schema=RunContext)
    graph.add_node("plan", plan_node)
    player_refs = {**dict.fromkeys(spec.tool_callers, "tool_speaker"), **spec.players}
    if player_refs:
        players = {s: make_role(r, place="player") for s, r in player_refs.items()}
        graph.add_node("speaker", players_node(speaker, players), retry_policy=spec.retry)
    else:
        graph.add_node("speaker", role_node(speaker), retry_policy=spec.retry)
    graph.add_node("critic", role_node(critic), retry_policy=spec.retry)
    graph.add_node("reviser", role_node(reviser), retry_policy=spec.retry)
    graph.add_node("accept", accept_node)
    graph.add_node("reject", reject_node)
    for node in spec.nodes:
        role = make_role(node.role, node.options, place="review")
        graph.add_node(node.name, role_node(role), retry_policy=spec.retry)
        graph.add_conditional_edges(
            node.name, next_router(node.next), {node.next: node.next, "reject": "reject"}
        )
    turn_node = "speaker"
    if spec.turns is not None:
        router = make_role(spec.turns, spec.turn_options, place="turns")
        turn_node = router.name if router.name not in graph.nodes else f"{router.name}_turns"
        graph.add_node(turn_node, role_node(router), retry_policy=spec.retry)
        graph.add_edge(turn_node, "speaker")
    elif spec.turn_order:
        turn_node = TURN_RULE_NODE
        graph.add_node(turn_node, turn_rule_node(spec.turn_order))
        graph.add_edge(turn_node, "speaker")
    graph.add_edge(START, "plan")
    graph.add_edge("plan", "speaker")
    if spec.tool_callers:
        graph.add_node(TOOL_NODE, tool_node)
        graph.add_conditional_edges(
            "speaker",
            route_after_speaker,
            {TOOL_NODE: TOOL_NODE, "speaker": turn_node, "critic": spec.entry},
        )
        graph.add_conditional_edges(
            TOOL_NODE, route_after_tools, {TOOL_NODE: TOOL_NODE, "speaker": "speaker"}
        )
    else:
        graph.add_conditional_edges(
            "speaker", route_turn, {"speaker": turn_node, "critic": spec.entry}
        )
    verdict_targets = {"accept": spec.on_accept, "reviser": "reviser", "reject": "reject"}
    if spec.review_band is None:
        graph.add_conditional_edges("critic", route_verdict, verdict_targets)
    else:
        graph.add_node("human_review", human_review_node)
        graph.add_conditional_edges(
            "critic",
            route_review(spec.review_band),
            {**verdict_targets, "human_review": "human_review"},
        )
        graph.add_conditional_edges(
            "human_review",
            lambda state: (state.get("verdict") or {}).get("decision"),
            {"accept": spec.on_accept, "reject": "reject"},
        )
    graph.add_edge("reviser", spec.revision_target)
    graph.add_edge("accept", END)
    graph.add_edge("reject", END)
    return graph


def recursion_limit(max_turns: int, max_revisions: int, spec: GraphSpec | None = None) -> int:
    """A backstop above the longest legal path, so counters, not the limit, end loops.

    Pass the spec when it places extra roles: each review node runs once per critic pass
    and a turn router once per turn.
    """
    steps = 3 + max_turns + 2 * (max_revisions + 1)
    if spec is not None:
        steps += len(spec.nodes) * (max_revisions + 1)
        steps += max_turns if spec.turns is not None or spec.turn_order else 0
        steps += 1 if spec.review_band is not None else 0  # a reviewed sample ends there
        steps += 2 * spec.max_tool_calls  # each call: a tool step and the speaker again
    return 2 * steps + 10
