"""Tools over a seed: each sample's environment comes from its own record (issue 13 + 14)."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from langchain_core.messages import AIMessage, ToolMessage

from rolegraph.models.scripted import default_script
from rolegraph.run.runner import RunOptions, run_scenario
from rolegraph.scenario.schema import Scenario
from tests.conftest import scripted_models

SCENARIO = """
name: seeded-orders
task: "{{ customer }} asks about order {{ order_id }}."
seed: {path: orders.jsonl}
facts:
  - "Order {{ order_id }} belongs to {{ customer }}."
speakers:
  - name: customer
    persona: {name: "{{ customer }}", role: customer}
  - name: agent
    persona: {name: Sam, role: support agent}
tools:
  - name: get_order
    description: Look up an order by id.
    parameters:
      type: object
      properties: {order_id: {type: string}}
      required: [order_id]
    table: {source: record, key: order_id, name: order}
dialogue: {min_turns: 2, max_turns: 2}
run: {concurrency: 1}
"""
ROWS = [
    {"order_id": "A1", "customer": "Ada Byrne", "status": "shipped"},
    {"order_id": "B2", "customer": "Bo Lin", "status": "lost"},
    {"order_id": "C3", "customer": "Cy Ota", "status": "returned"},
]


def scenario(tmp_path: Path) -> Scenario:
    (tmp_path / "orders.jsonl").write_text(
        "".join(json.dumps(r) + "\n" for r in ROWS), encoding="utf-8"
    )
    path = tmp_path / "s.yaml"
    path.write_text(SCENARIO, encoding="utf-8")
    return Scenario.from_file(path)


def agent(role: str, messages: list[Any]) -> Any:
    """The agent looks the order up by the id in its prompt, then says the status it got."""
    system = str(messages[0].content)
    if "You are Sam" not in system:
        return default_script(role, messages)
    if isinstance(messages[-1], ToolMessage):
        return f"Your order is {json.loads(str(messages[-1].content))['status']}."
    order = re.search(r"order ([A-Z][0-9])", system)
    assert order is not None, system
    args = {"order_id": order.group(1)}
    return AIMessage(content="", tool_calls=[{"id": "c1", "name": "get_order", "args": args}])


async def test_each_sample_calls_tools_over_its_own_record(tmp_path: Path) -> None:
    out = tmp_path / "run"
    summary = await run_scenario(
        scenario(tmp_path), RunOptions(out=out, quiet=True, models=scripted_models(speaker=agent))
    )
    assert summary.planned == 3  # rows × per_row
    records = [json.loads(x) for x in (out / "accepted.jsonl").read_text().splitlines()]
    records += [json.loads(x) for x in (out / "rejected.jsonl").read_text().splitlines()]
    assert len(records) == 3
    for record in records:
        row = ROWS[record["seed_record"]["row"]]
        # the environment holds this record's row, whole (columns no template names too)
        assert record["environment"]["tables"]["order"] == {row["order_id"]: row}
        (call,) = [c for c in record["tool_calls"] if c["turn"] == 1]
        assert call["status"] == "ok" and call["result"] == row
        said = [m["content"] for m in record["messages"] if m["role"] == "assistant"]
        assert f"Your order is {row['status']}." in said
