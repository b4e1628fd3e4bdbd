"""`rolegraph report`: the numbers it shows, that it is self-contained, and how it behaves in Chromium."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from rolegraph.cli import main
from rolegraph.outputs.report import (
    build_report,
    collect,
    column_chart,
    exchange_graph,
    status_bars,
)
from rolegraph.outputs.rundir import open_run
from rolegraph.run.runner import RunOptions, run_scenario
from tests.conftest import scripted_models
from tests.test_engine import transcript_of, turn_number, verdict

SCENARIO = """
name: mini-report
task: A patient asks a clinic receptionist about an appointment.
facts:
  - The appointment is on March 3 at 10:30 am.
  - The consultation costs $40.
speakers:
  - name: patient
    persona: {name: Ana Ruiz, role: patient}
  - name: receptionist
    persona: {name: Ben Cole, role: receptionist}
conditions:
  mood: [calm, worried]
dialogue: {min_turns: 2, max_turns: 4}
critic: {threshold: 3.5, max_revisions: 2}
run: {samples: 8, seed: 3, concurrency: 1}
"""

# Samples run one at a time (concurrency 1), so the k-th opening turn starts sample k:
# k % 4 == 0 is accepted at once, 1 is accepted after one revision, 2 contradicts the facts
# until the revision budget is spent (rejected), 3 fails with a model error.
GOOD = [
    "Hello, when is my appointment?",
    "It is on March 3 at 10:30 am.",
    "And the cost?",
    "It costs $40.",
]
DRAFT = "Hello, when is my appointment? (draft)"
WRONG = "It is on March 4 at 10:30 am and costs $55."


def scripts() -> dict[str, Any]:
    started = {"n": -1}

    def speaker(role: str, messages: list) -> str:
        turn = turn_number(messages)
        if turn == 0:
            started["n"] += 1
        kind = started["n"] % 4
        if kind == 3 and turn == 1:
            raise ValueError("boom: the model server said no")
        if kind == 1 and turn == 0:
            return DRAFT
        if kind == 2 and turn == 1:
            return WRONG
        return GOOD[turn % 4]

    def critic(role: str, messages: list) -> dict:
        text = transcript_of(messages)
        return verdict(2, "revise", [0]) if DRAFT in text else verdict(5)

    def reviser(role: str, messages: list) -> str:
        return GOOD[0] if DRAFT in transcript_of(messages) else WRONG

    return {"speaker": speaker, "critic": critic, "reviser": reviser}


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import asyncio

    from rolegraph.scenario.schema import Scenario

    root = tmp_path_factory.mktemp("report")
    (root / "mini.yaml").write_text(SCENARIO, encoding="utf-8")
    scenario = Scenario.from_file(root / "mini.yaml")
    options = RunOptions(out=root / "run", quiet=True, models=scripted_models(**scripts()))
    asyncio.run(run_scenario(scenario, options))
    return root / "run"


@pytest.fixture(scope="module")
def report(run_dir: Path) -> Path:
    return build_report(run_dir)


def embedded(page: str) -> dict[str, Any]:
    match = re.search(r'<script type="application/json" id="rg-data">(.*?)</script>', page, re.S)
    assert match, "the sample data is embedded in the page"
    return json.loads(match.group(1))


def test_the_run_has_every_kind_of_sample(run_dir: Path) -> None:
    manifest = open_run(run_dir).manifest
    assert manifest["counts"] == {"planned": 8, "accepted": 4, "rejected": 2, "failed": 2}


def test_report_is_self_contained(report: Path) -> None:
    page = report.read_text(encoding="utf-8")
    assert report == report.parent / "report.html"
    assert not re.search(r"""(src|href)\s*=\s*["']?\s*(https?:)?//""", page, re.I)
    assert not re.search(r"url\(\s*['\"]?(https?:)?//|@import|<link\b|<script\s+src", page, re.I)
    assert "<svg" in page and 'id="agent-graph"' in page


def test_summary_shows_the_run_numbers(report: Path) -> None:
    page = report.read_text(encoding="utf-8")
    for count, status in ((4, "accepted"), (2, "rejected"), (2, "failed")):
        assert f'<div class="card {status}"><b>{count}</b>{status}</div>' in page
    assert "<td>samples</td><td>8 planned, 8 done</td>" in page
    assert "<td>acceptance rate</td><td>50.0%</td>" in page
    # one revision for each revised sample, two for each rejected one: 1*2 + 2*2 over 6 judged
    assert "<td>revisions</td><td>6 (1.00 per judged sample)</td>" in page


def test_samples_keep_attempts_verdicts_checks_and_reasons(report: Path) -> None:
    data = embedded(report.read_text(encoding="utf-8"))
    samples = {s["id"]: s for s in data["samples"]}
    assert data["speakers"] == ["patient", "receptionist"]
    assert Counter(s["s"] for s in samples.values()) == {"accepted": 4, "rejected": 2, "failed": 2}
    first = samples["000000"]  # accepted at once: its one attempt is the final dialogue
    assert len(first["a"]) == 1 and first["a"][0]["v"]["d"] == "accept"
    assert [t[0] for t in first["a"][0]["turns"]] == [0, 1, 0, 1]
    assert [t[1] for t in first["a"][0]["turns"]] == GOOD
    revised = samples["000001"]
    assert [a["v"]["d"] for a in revised["a"]] == ["revise", "accept"]
    assert revised["a"][0]["turns"][0][1] == DRAFT and revised["a"][1]["turns"][0][1] == GOOD[0]
    assert revised["a"][0]["v"]["fl"] == [0]
    rejected = samples["000002"]
    assert rejected["s"] == "rejected" and len(rejected["a"]) == 3
    fired = {c[0] for c in rejected["a"][0]["v"]["ck"]}
    assert {"contradicted_money", "contradicted_date"} <= fired
    assert rejected["a"][0]["v"]["ms"]["faithfulness"] == 5  # the model approved, checks did not
    assert rejected["why"] and any("$55" in w for w in rejected["why"])
    failed = samples["000003"]
    assert "ValueError: boom" in failed["why"][0]
    assert failed["a"] == [{"turns": [[0, GOOD[0]]], "v": {}}]  # the turns it had when it failed


def test_plot_numbers_come_from_the_records(run_dir: Path) -> None:
    _, stats, speakers = collect(open_run(run_dir))
    assert stats.statuses == {"accepted": 4, "rejected": 2, "failed": 2}
    assert stats.revisions == {0: 2, 1: 2, 2: 2}
    assert stats.turns == {4: 6}
    assert stats.scores["faithfulness"] == {5: 4, 1: 2}  # two findings cap faithfulness at 1
    assert sum(stats.by_condition["mood"][v]["accepted"] for v in ("calm", "worried")) == 4
    assert stats.by_persona["patient"]["Ana Ruiz"] == {"accepted": 4, "rejected": 2, "failed": 2}
    assert stats.checks["contradicted_money"] == 6  # every attempt of both rejected samples
    assert len(stats.tokens) == 8 and all(t > 0 for t in stats.tokens)
    assert speakers == ["patient", "receptionist"]


def test_charts_scale_bars_to_counts() -> None:
    svg = column_chart("revisions", {"0": 10, "1": 5, "2": 0}, "revisions")
    heights = [
        float(h)
        for h in re.findall(
            r'class="bar" x="[\d.]+" y="[\d.]+" width="[\d.]+" height="([\d.]+)"', svg
        )
    ]
    assert heights[0] == pytest.approx(2 * heights[1]) and heights[2] == 0
    bars = status_bars(
        "by mood", {"calm": Counter(accepted=3, rejected=1), "angry": Counter(failed=2)}
    )
    widths = [float(w) for w in re.findall(r'width="([\d.]+)" height="15"', bars)]
    assert widths == [pytest.approx(195), pytest.approx(65), pytest.approx(130)]
    assert "75% of 4" in bars and "0% of 2" in bars


THREE = SCENARIO.replace(
    "  - name: receptionist\n",
    "  - name: nurse\n    persona: {name: Cy Dunn, role: nurse}\n  - name: receptionist\n",
).replace("samples: 8", "samples: 3")


async def test_who_spoke_after_whom_for_three_speakers(make_scenario, tmp_path: Path) -> None:
    options = RunOptions(
        out=tmp_path / "run",
        quiet=True,
        models=scripted_models(
            speaker=lambda r, m: GOOD[turn_number(m) % 4], critic=lambda r, m: verdict(5)
        ),
    )
    await run_scenario(make_scenario(THREE), options)
    _, stats, _ = collect(open_run(tmp_path / "run"))
    graph = exchange_graph(stats)
    # four turns in round robin: patient, nurse, receptionist, patient; three dialogues
    assert {(a, b): d["weight"] for a, b, d in graph.edges(data=True)} == {
        ("patient", "nurse"): 3,
        ("nurse", "receptionist"): 3,
        ("receptionist", "patient"): 3,
    }
    page = build_report(tmp_path / "run").read_text(encoding="utf-8")
    assert "Who spoke after whom" in page and "patient → nurse: 3" in page


def test_two_speaker_runs_have_no_exchange_graph(report: Path) -> None:
    assert "Who spoke after whom" not in report.read_text(encoding="utf-8")


def test_cli_report(run_dir: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "r.html"
    assert main(["report", str(run_dir), "-o", str(out)]) == 0
    assert capsys.readouterr().out.strip() == f"report written to {out}"
    assert out.stat().st_size > 10_000
    assert main(["report", str(tmp_path / "nope")]) == 2
    assert "no such run directory" in capsys.readouterr().err


def large_run(run_dir: Path, target: Path, copies: int) -> Path:
    """A run directory with `copies` samples, cloned from the small run's records."""
    target.mkdir()
    manifest = json.loads((run_dir / "manifest.json").read_text())
    records = list(open_run(run_dir).records("accepted"))
    with (target / "accepted.jsonl").open("w") as out:
        for i in range(copies):
            record = {**records[i % len(records)], "sample_id": f"{i:06d}", "status": "accepted"}
            out.write(json.dumps(record) + "\n")
    manifest["counts"] = {"planned": copies, "accepted": copies, "rejected": 0, "failed": 0}
    (target / "manifest.json").write_text(json.dumps(manifest))
    return target


def test_large_run_builds_quickly(run_dir: Path, tmp_path: Path) -> None:
    big = large_run(run_dir, tmp_path / "big", 3000)
    started = time.perf_counter()
    page = build_report(big).read_text(encoding="utf-8")
    assert time.perf_counter() - started < 20
    assert len(embedded(page)["samples"]) == 3000
    assert page.count("<tr data-id") == 0  # rows are drawn by the page, 50 at a time


# ---------------------------------------------------------------- headless Chromium

CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None
)
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium is not installed (apt-get install chromium)"
)


class Page:
    """One Chromium tab driven over the DevTools protocol; records console errors and requests."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.next_id = 0
        self.events: list[dict[str, Any]] = []
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.send(f"{domain}.enable")

    def send(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        self.ws.send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.ws.recv(timeout=30))
            if message.get("id") == self.next_id:
                assert "error" not in message, message["error"]
                return message.get("result", {})
            self.events.append(message)

    def goto(self, url: str) -> None:
        self.events.clear()
        self.send("Page.navigate", url=url)
        deadline = time.monotonic() + 30
        while not any(e.get("method") == "Page.loadEventFired" for e in self.events):
            assert time.monotonic() < deadline, "the page did not finish loading"
            self.events.append(json.loads(self.ws.recv(timeout=30)))

    def js(self, expression: str) -> Any:
        result = self.send(
            "Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True
        )
        assert "exceptionDetails" not in result, result["exceptionDetails"]
        return result["result"].get("value")

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and failed loads seen since the last goto."""
        found = []
        for e in self.events:
            method, params = e.get("method"), e.get("params", {})
            if method == "Runtime.exceptionThrown":
                found.append(json.dumps(params["exceptionDetails"])[:300])
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
                found.append(json.dumps(params.get("args"))[:300])
            elif method == "Log.entryAdded" and params["entry"]["level"] == "error":
                found.append(params["entry"]["text"])
        return found

    def requests(self) -> list[str]:
        return [
            e["params"]["request"]["url"]
            for e in self.events
            if e.get("method") == "Network.requestWillBeSent"
        ]


@pytest.fixture(scope="module")
def browser() -> Iterator[Page]:
    """A headless Chromium started for this module, with a tab to drive."""
    from websockets.sync.client import connect

    assert CHROMIUM
    profile = tempfile.mkdtemp(prefix="rolegraph-chromium-")
    flags = "--headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync --remote-debugging-port=0"
    proc = subprocess.Popen(
        [CHROMIUM, *flags.split(), f"--user-data-dir={profile}", "about:blank"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port_file = Path(profile) / "DevToolsActivePort"
        deadline = time.monotonic() + 30
        while not (port_file.exists() and port_file.read_text().strip()):
            assert proc.poll() is None and time.monotonic() < deadline, "Chromium did not start"
            time.sleep(0.1)
        port = port_file.read_text().split()[0]
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=10) as answer:
            tabs = json.load(answer)
        url = next(t for t in tabs if t["type"] == "page")["webSocketDebuggerUrl"]
        with connect(url, max_size=None, open_timeout=20) as ws:
            yield Page(ws)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(profile, ignore_errors=True)


VISIBLE = """(sel) => [...document.querySelectorAll(sel)].map(e => {
  const r = e.getBoundingClientRect(), s = getComputedStyle(e);
  return r.width > 20 && r.height > 20 && s.display !== 'none' && s.visibility !== 'hidden';
})"""


def visible(page: Page, selector: str) -> list[bool]:
    return page.js(f"({VISIBLE})({json.dumps(selector)})")


@needs_chromium
def test_report_in_chromium(browser: Page, report: Path) -> None:
    browser.goto(report.as_uri())
    assert browser.errors() == []
    assert all(url.startswith("file:") for url in browser.requests()), browser.requests()
    plots = visible(browser, "svg.plot")
    assert len(plots) >= 8 and all(plots)  # 3 criteria, revisions, turns, tokens, by value…
    assert visible(browser, "#agent-graph svg") == [True]
    assert browser.js("document.querySelectorAll('#agent-graph g.node').length") == 8
    assert browser.js("document.querySelectorAll('#rg-list tr').length") == 8
    assert browser.js("document.getElementById('rg-detail').children.length") == 0

    browser.js("document.querySelector('#rg-list tr[data-id=\"000001\"]').click()")
    detail = browser.js("document.getElementById('rg-detail').innerText")
    assert "Sample 000001 · accepted" in detail
    assert browser.js("document.querySelectorAll('#rg-detail .attempt').length") == 2
    assert "Attempt 2 (revision 1, changes marked)" in detail and "decision: revise" in detail
    assert browser.js(
        "[...document.querySelectorAll('#rg-detail del')].map(e => e.textContent.trim())"
    ) == ["(draft)"]
    assert visible(browser, "#rg-detail .attempt") == [True, True]

    browser.js("document.querySelector('#rg-list tr[data-id=\"000002\"]').click()")
    detail = browser.js("document.getElementById('rg-detail').innerText")
    assert browser.js("document.querySelectorAll('#rg-detail .attempt').length") == 3
    assert "contradicted_money" in detail and "reasons:" in detail
    browser.js("document.querySelector('#rg-list tr[data-id=\"000003\"]').click()")
    assert "ValueError: boom" in browser.js("document.getElementById('rg-detail').innerText")

    browser.js(
        "const s = document.getElementById('rg-status'); s.value = 'rejected'; s.dispatchEvent(new Event('change'))"
    )
    assert browser.js("[...document.querySelectorAll('#rg-list tr')].map(r => r.dataset.id)") == [
        "000002",
        "000006",
    ]
    assert browser.errors() == []


@needs_chromium
def test_large_report_pages_in_chromium(browser: Page, run_dir: Path, tmp_path: Path) -> None:
    page = build_report(large_run(run_dir, tmp_path / "big", 3000))
    started = time.perf_counter()
    browser.goto(page.as_uri())
    assert time.perf_counter() - started < 10
    assert browser.errors() == []
    assert browser.js("document.querySelectorAll('#rg-list tr').length") == 50
    assert "page 1 of 60 (3000 samples)" in browser.js(
        "document.getElementById('rg-page').textContent"
    )
    browser.js("document.getElementById('rg-next').click()")
    assert browser.js("document.querySelector('#rg-list tr').dataset.id") == "000050"
    browser.js("location.hash = '#sample-002999'")
    time.sleep(0.2)
    assert "Sample 002999" in browser.js("document.getElementById('rg-detail').innerText")
    assert browser.errors() == []


def test_run_without_samples_yet(tmp_path: Path) -> None:
    (tmp_path / "manifest.json").write_text(json.dumps({"scenario": "mini", "status": "running"}))
    page = build_report(tmp_path).read_text(encoding="utf-8")
    assert "<p>No samples yet.</p>" in page and "<td>samples</td><td>0 planned, 0 done</td>" in page
    assert embedded(page) == {"speakers": [], "samples": []}
