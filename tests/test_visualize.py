"""`rolegraph graph`: the labelled agent graph, every format for every shipped scenario."""

from __future__ import annotations

import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import networkx as nx
import pytest

from graphs import GraphSpec, build_sample_graph
from graphs.visualize import FORMATS, GraphNotes, agent_graph, layout, render, sample_graph
from rolegraph.cli import main
from rolegraph.errors import UsageError
from rolegraph.outputs.report import scenario_graph
from rolegraph.scenario.schema import Scenario
from tests.conftest import SCENARIOS
from tests.test_report import Page, browser, needs_chromium, visible

__all__ = ["browser"]  # the module-scoped Chromium fixture, shared with the report tests

SHIPPED = sorted(SCENARIOS.glob("*.yaml"))
NOTES = GraphNotes(
    title="demo: sample graph",
    speakers=("customer", "agent"),
    opener="customer",
    min_turns=4,
    max_turns=6,
    stop_phrases=("goodbye",),
    threshold=3.5,
    max_revisions=2,
)


def test_default_graph_edges_are_labelled_with_their_conditions() -> None:
    graph = sample_graph(NOTES)
    labels = {(u, v): d["label"] for u, v, d in graph.edges(data=True)}
    assert labels == {
        ("__start__", "plan"): "",
        ("plan", "speaker"): "first turn",
        ("speaker", "speaker"): "next turn",
        ("speaker", "critic"): "done: max turns / stop phrase / repetition",
        ("critic", "accept"): "accept",
        ("critic", "reviser"): "revise (budget left)",
        ("critic", "reject"): "reject",
        ("reviser", "critic"): "re-check",
        ("accept", "__end__"): "",
        ("reject", "__end__"): "",
    }
    conditional = {(u, v) for u, v, d in graph.edges(data=True) if d["conditional"]}
    assert conditional == {
        ("speaker", "speaker"),
        ("speaker", "critic"),
        ("critic", "accept"),
        ("critic", "reviser"),
        ("critic", "reject"),
    }
    condition = nx.get_edge_attributes(graph, "condition")
    assert condition["speaker", "speaker"] == (
        "fewer than 6 turns, no stop phrase (goodbye) and no repetition loop"
    )
    assert condition["critic", "reviser"] == "decision revise and fewer than 2 revisions so far"
    assert condition["critic", "accept"] == "weighted score >= 3.5 and no check fired"
    assert graph.nodes["speaker"]["detail"] == "customer ↔ agent"
    assert graph.nodes["critic"]["description"].startswith("Scores the finished dialogue")


def test_topology_is_read_from_the_compiled_graph() -> None:
    compiled = build_sample_graph().compile()
    graph = agent_graph(compiled)
    drawable = compiled.get_graph()
    assert set(graph.nodes) == set(drawable.nodes)
    assert set(graph.edges) == {(e.source, e.target) for e in drawable.edges}


def test_extra_roles_get_labels_too() -> None:
    spec = GraphSpec(turn_order=("customer", "agent", "agent"))
    graph = sample_graph(NOTES, spec)
    assert graph.edges["speaker", "turn_rule"]["label"] == "next turn"
    assert graph.edges["turn_rule", "speaker"]["label"] == "next speaker"
    assert "customer -> agent -> agent" in graph.nodes["turn_rule"]["description"]
    assert "turn_rule" in render(graph, "mermaid") and "turn_rule" in render(graph, "ascii")


def test_ascii_tree_marks_loops_and_lists_conditions() -> None:
    text = render(sample_graph(NOTES), "ascii")
    lines = text.splitlines()
    assert lines[:3] == ["demo: sample graph", "(start)", "└─▶ plan"]
    assert "      ├─ next turn ─▶ speaker ↺" in lines
    assert "         │  └─ re-check ─▶ critic ↺" in lines
    assert (
        "  critic → reject  reject: decision reject, or revise with the budget of 2 revisions spent"
        in lines
    )


def test_layout_keeps_edges_out_of_other_boxes() -> None:
    """No edge runs through a node it does not connect (sampled along each curve)."""
    for file in SHIPPED:
        graph = scenario_graph(Scenario.from_file(file))
        lay = layout(graph)
        for (u, v), curve in lay.curves.items():
            points = curve.points
            for i in range(0, len(points) - 1, 3):
                p0, c1, c2, p3 = points[i : i + 4]
                for k in range(1, 20):
                    t = k / 20
                    x = (
                        (1 - t) ** 3 * p0[0]
                        + 3 * (1 - t) ** 2 * t * c1[0]
                        + 3 * (1 - t) * t**2 * c2[0]
                        + t**3 * p3[0]
                    )
                    y = (
                        (1 - t) ** 3 * p0[1]
                        + 3 * (1 - t) ** 2 * t * c1[1]
                        + 3 * (1 - t) * t**2 * c2[1]
                        + t**3 * p3[1]
                    )
                    for node, box in lay.boxes.items():
                        if node in (u, v):
                            continue
                        inside = abs(x - box.x) < box.w / 2 - 2 and abs(y - box.y) < box.h / 2 - 2
                        assert not inside, f"{file.name}: edge {u}->{v} crosses {node}"
        assert all(b.x - b.w / 2 >= 0 and b.x + b.w / 2 <= lay.width for b in lay.boxes.values())


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("file", SHIPPED, ids=[f.stem for f in SHIPPED])
def test_every_format_for_every_shipped_scenario(
    file: Path, fmt: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = Scenario.from_file(file)
    out = tmp_path / f"graph.{fmt}"
    assert main(["graph", str(file), "--format", fmt, "-o", str(out)]) == 0
    assert capsys.readouterr().err.strip() == f"{fmt} graph written to {out}"
    graph = scenario_graph(scenario)
    roles = [n for n in graph.nodes if not n.startswith("__")]
    assert {"speaker", "critic", "reviser", "accept", "reject"} <= set(roles)
    data = out.read_bytes()
    assert len(data) > 500
    if fmt == "png":
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        return
    text = data.decode("utf-8")
    if fmt == "graphml":
        loaded = nx.read_graphml(out)
        assert set(loaded.nodes) == set(graph.nodes) and set(loaded.edges) == set(graph.edges)
        assert loaded.edges["critic", "reviser"]["label"] == "revise (budget left)"
        return
    if fmt == "svg":
        root = ET.fromstring(text)
        ns = "{http://www.w3.org/2000/svg}"
        assert len(root.findall(f"{ns}g[@class='node']")) == graph.number_of_nodes()
        assert len(root.findall(f".//{ns}path")) == graph.number_of_edges() + 1  # + arrowhead
        shown = " ".join(t.text or "" for t in root.iter(f"{ns}text"))
    else:
        shown = text
    for word in [*roles, *scenario.speaker_names, "next turn", "accept", "reject"]:
        assert word in shown, f"{fmt} does not name {word}"
    if fmt == "mermaid":
        assert text.splitlines()[3] == "flowchart TD"
        assert 'critic -.->|"revise (budget left)"| reviser' in text
    if fmt == "dot":
        assert text.startswith("digraph ")
        assert all(f'"{u}" -> "{v}"' in text for u, v in graph.edges)
    if fmt == "html":
        assert text.startswith("<!doctype html>") and "<svg" in text
        assert "src=" not in text and "href=" not in text


def test_format_follows_the_output_suffix_and_text_goes_to_stdout(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scenario = str(SCENARIOS / "support_outage.yaml")
    assert main(["graph", scenario, "-o", str(tmp_path / "g.svg")]) == 0
    assert (tmp_path / "g.svg").read_text().startswith("<svg")
    capsys.readouterr()
    assert main(["graph", scenario]) == 0
    assert capsys.readouterr().out.splitlines()[3] == "flowchart TD"  # Mermaid by default
    assert main(["graph", scenario, "--format", "ascii"]) == 0
    assert "└─ re-check ─▶ critic ↺" in capsys.readouterr().out
    assert main(["graph", scenario, "-o", str(tmp_path / "g.xyz")]) == 2
    assert "unknown graph format 'xyz'" in capsys.readouterr().err


def test_png_without_matplotlib_names_the_extra(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in [m for m in sys.modules if m == "matplotlib" or m.startswith("matplotlib.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # makes `import matplotlib` fail
    with pytest.raises(UsageError, match=r'pip install "rolegraph\[viz\]"'):
        render(sample_graph(), "png")
    file = str(SCENARIOS / "support_outage.yaml")
    assert main(["graph", file, "-o", str(tmp_path / "g.png")]) == 2
    assert 'pip install "rolegraph[viz]"' in capsys.readouterr().err
    assert render(sample_graph(), "svg").startswith("<svg")  # SVG needs no extra


@needs_chromium
@pytest.mark.parametrize("file", SHIPPED, ids=[f.stem for f in SHIPPED])
def test_graph_page_in_chromium(browser: Page, file: Path, tmp_path: Path) -> None:
    out = tmp_path / "graph.html"
    assert main(["graph", str(file), "--format", "html", "-o", str(out)]) == 0
    browser.goto(out.as_uri())
    assert browser.errors() == []
    assert all(url.startswith("file:") for url in browser.requests())
    assert visible(browser, "#agent-graph svg") == [True]
    nodes = browser.js(
        "[...document.querySelectorAll('#agent-graph g.node')].map(g => g.dataset.node)"
    )
    assert set(nodes) == set(scenario_graph(Scenario.from_file(file)).nodes)
    assert all(visible(browser, "#agent-graph g.node"))


def test_mermaid_escapes_names_and_labels_from_the_scenario():
    from graphs.visualize import to_mermaid

    hostile = 'x"] --> evil["#quot; <b>\nclick x call alert(1)'
    graph = nx.DiGraph(name="demo\n---\ninjected: yes")
    graph.add_node("end", label="end", kind="node")  # a Mermaid keyword as a node name
    graph.add_node(hostile, label=hostile, kind="node", detail="a #35; b")
    graph.add_edge("end", hostile, label='go"|x', conditional=False)
    text = to_mermaid(graph)
    lines = text.splitlines()
    assert lines[:4] == ["---", 'title: "demo --- injected: yes"', "---", "flowchart TD"]
    body = lines[4:]
    assert body[0] == '    node_0["end"]'
    assert body[1] == (
        '    node_1["x#quot;] --&gt; evil[#quot;#35;quot; &lt;b&gt; click x call alert(1)'
        '<br/><small>a #35;35; b</small>"]'
    )
    assert body[2] == '    node_0 -->|"go#quot;|x"| node_1'
    assert "class node_0,node_1 role" in text
    assert "<b>" not in text and "\nclick" not in text
